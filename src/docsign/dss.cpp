#include "docsign/dss.h"

#include <openssl/evp.h>
#include <qpdf/Buffer.hh>
#include <qpdf/QPDFObjectHandle.hh>

#include <algorithm>

#include "base/encoding.h"
#include "docsign/pdf_internal.h"

namespace certseal::docsign {
namespace {

using internal::io_error;
using internal::ref;

bool same(BytesView a, BytesView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

void add_unique(std::vector<Bytes>& to, const Bytes& item) {
  for (const auto& have : to) {
    if (same(have, item)) return;
  }
  to.push_back(item);
}

// The decoded data of each stream in an array (other items skipped).
std::vector<std::pair<QPDFObjectHandle, Bytes>> streams_of(QPDFObjectHandle a) {
  std::vector<std::pair<QPDFObjectHandle, Bytes>> out;
  if (!a.isArray()) return out;
  for (int i = 0; i < a.getArrayNItems(); ++i) {
    QPDFObjectHandle s = a.getArrayItem(i);
    if (!s.isStream()) continue;
    try {
      auto buf = s.getStreamData(qpdf_dl_generalized);
      out.emplace_back(s, Bytes(buf->getBuffer(), buf->getBuffer() + buf->getSize()));
    } catch (const std::exception&) {
      // unreadable: left out
    }
  }
  return out;
}

}  // namespace

void ValidationData::add(const ValidationData& o) {
  for (const auto& c : o.certs) add_unique(certs, c);
  for (const auto& c : o.crls) add_unique(crls, c);
  for (const auto& c : o.ocsps) add_unique(ocsps, c);
}

std::string vri_key(BytesView signature_contents) {
  Bytes h(20);
  EVP_Digest(signature_contents.data(), signature_contents.size(), h.data(), nullptr, EVP_sha1(), nullptr);
  return hex_encode(h, true);
}

DssView read_dss(QPDF& q) {
  DssView v;
  try {
    QPDFObjectHandle dss = q.getRoot().getKey("/DSS");
    if (!dss.isDictionary()) return v;
    v.present = true;
    for (auto& [s, data] : streams_of(dss.getKey("/Certs"))) v.all.certs.push_back(std::move(data));
    for (auto& [s, data] : streams_of(dss.getKey("/CRLs"))) v.all.crls.push_back(std::move(data));
    for (auto& [s, data] : streams_of(dss.getKey("/OCSPs"))) v.all.ocsps.push_back(std::move(data));
    QPDFObjectHandle vri = dss.getKey("/VRI");
    if (vri.isDictionary()) {
      for (const auto& k : vri.getKeys()) {
        QPDFObjectHandle e = vri.getKey(k);
        if (!e.isDictionary()) continue;
        std::string key = k.substr(1);
        for (auto& ch : key) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        ValidationData d;
        for (auto& [s, data] : streams_of(e.getKey("/Cert"))) d.certs.push_back(std::move(data));
        for (auto& [s, data] : streams_of(e.getKey("/CRL"))) d.crls.push_back(std::move(data));
        for (auto& [s, data] : streams_of(e.getKey("/OCSP"))) d.ocsps.push_back(std::move(data));
        v.vri[key] = std::move(d);
      }
    }
  } catch (const std::exception&) {
    // a DSS that does not read is as good as none
  }
  return v;
}

Status append_dss(const std::string& path, BytesView signature_contents, const ValidationData& vd, SysTime now) {
  CS_ASSIGN(auto tail, internal::read_xref_tail(path));
  CS_ASSIGN(auto q, internal::open_pdf(path));
  CS_ASSIGN(std::string text, internal::guarded("add the DSS", [&]() -> Result<std::string> {
    QPDFObjectHandle root = q->getRoot();
    QPDFObjectHandle trailer = q->getTrailer();
    int next = trailer.getKey("/Size").isInteger() ? static_cast<int>(trailer.getKey("/Size").getIntValue()) : 0;
    if (next <= 0) return invalid_argument("pdf_damaged", "PDF 文件的 trailer 缺少 /Size");
    QPDFObjectHandle old = root.getKey("/DSS");
    if (!old.isDictionary()) old = QPDFObjectHandle::newNull();
    std::vector<internal::NewObject> objs;
    // Each list: the earlier streams (by reference), then new ones for what they do not hold.
    // refs_for gives this signature's entries for its VRI.
    struct List {
      std::string refs;                          // the whole list, PDF syntax
      std::vector<std::pair<Bytes, std::string>> have;  // data -> reference
    };
    auto build = [&](const char* key, const std::vector<Bytes>& items, std::string& vri_refs) {
      List l;
      if (old.isDictionary()) {
        for (auto& [s, data] : streams_of(old.getKey(key))) {
          const QPDFObjGen og = s.getObjGen();
          l.have.emplace_back(std::move(data), ref(og.getObj(), og.getGen()));
          l.refs += l.have.back().second + " ";
        }
      }
      for (const auto& item : items) {
        std::string r;
        for (const auto& [data, rr] : l.have) {
          if (same(data, item)) r = rr;
        }
        if (r.empty()) {
          const int n = next++;
          objs.push_back({n, 0, internal::stream_obj(n, "", item)});
          r = ref(n);
          l.have.emplace_back(item, r);
          l.refs += r + " ";
        }
        vri_refs += r + " ";
      }
      return l;
    };
    std::string vri_certs, vri_crls, vri_ocsps;
    const List certs = build("/Certs", vd.certs, vri_certs);
    const List crls = build("/CRLs", vd.crls, vri_crls);
    const List ocsps = build("/OCSPs", vd.ocsps, vri_ocsps);
    const std::string key = vri_key(signature_contents);
    std::string vri;
    if (old.isDictionary() && old.getKey("/VRI").isDictionary()) {
      vri = internal::entries_except(old.getKey("/VRI"), {"/" + key});
    }
    vri += "/" + key + " << /Cert [" + vri_certs + "] /CRL [" + vri_crls + "] /OCSP [" + vri_ocsps + "] /TU (" +
           internal::pdf_date(now) + ") >>\n";
    const int dss_n = next++;
    objs.push_back({dss_n, 0, std::to_string(dss_n) + " 0 obj\n<< /Type /DSS /Certs [" + certs.refs + "] /CRLs [" +
                                  crls.refs + "] /OCSPs [" + ocsps.refs + "]\n/VRI <<\n" + vri + ">> >>\nendobj\n"});
    const QPDFObjGen root_og = root.getObjGen();
    objs.push_back({root_og.getObj(), root_og.getGen(),
                    std::to_string(root_og.getObj()) + " " + std::to_string(root_og.getGen()) + " obj\n<<" +
                        internal::entries_except(root, {"/DSS"}) + "/DSS " + ref(dss_n) + "\n>>\nendobj\n"});
    if (q->anyWarnings()) {
      return invalid_argument("pdf_damaged", "PDF 文件有损坏（交叉引用表需要修复），请先修复后再签章");
    }
    return internal::update_section(objs, tail, *q, next, nullptr);
  }));
  internal::File out(std::fopen(path.c_str(), "ab"));
  if (!out) return io_error("open " + path);
  if (std::fwrite(text.data(), 1, text.size(), out.get()) != text.size()) return io_error("write " + path);
  if (std::fflush(out.get()) != 0) return io_error("flush " + path);
  return {};
}

}  // namespace certseal::docsign
