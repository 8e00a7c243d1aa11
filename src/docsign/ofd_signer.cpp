#include "docsign/ofd_signer.h"

#include <libxml/tree.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "docsign/ofd_ses_signature.h"
#include "docsign/ofd_xml.h"
#include "pki/certificate.h"
#include "seal/seseal.h"

namespace certseal::docsign {
namespace {

constexpr std::string_view kXmlHead = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
constexpr std::string_view kNs = "xmlns:ofd=\"http://www.ofdspec.org/2016\"";

std::string folder_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash + 1));
}

std::string mm(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

std::string compact_utc(SysTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm);
  return buf;
}

Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

// OFD.xml with <Signatures> added to its first DocBody, in that element's own prefix.
Result<Bytes> with_signatures_entry(const Bytes& ofd_xml, const std::string& signatures_path) {
  CS_ASSIGN(XmlDoc d, XmlDoc::parse(ofd_xml, "OFD.xml"));
  XmlNode body = xml_child(d.root(), "DocBody");
  std::string prefix;
  if (body != nullptr && body->ns != nullptr && body->ns->prefix != nullptr) {
    prefix = std::string(reinterpret_cast<const char*>(body->ns->prefix)) + ":";
  }
  const std::string text(ofd_xml.begin(), ofd_xml.end());
  const std::string close = "</" + prefix + "DocBody>";
  const auto at = text.find(close);
  if (at == std::string::npos) return invalid_argument("ofd_bad_document", "OFD 文档结构有误：找不到 DocBody 的结束标记");
  const std::string entry = "<" + prefix + "Signatures>" + xml_escape(signatures_path) + "</" + prefix + "Signatures>";
  return to_bytes(text.substr(0, at) + entry + text.substr(at));
}

}  // namespace

Result<PreparedOfd> prepare_ofd_signature(const OfdSignRequest& req) {
  CS_ASSIGN(OfdPackage pkg, read_ofd(req.ofd));
  CS_ASSIGN(OfdDocument doc, read_ofd_document(pkg));

  auto facts = pki::read_certificate(req.signer_cert);
  if (!facts.ok()) return invalid_argument("bad_certificate", "签名证书无法解析");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (!key.ok()) return invalid_argument("bad_certificate", "签名证书的公钥无法解析");
  if (key->type() != crypto::KeyType::kSm2) {
    return invalid_argument("ofd_needs_sm2", "OFD 签章只能使用 SM2 证书（GB/T 38540 规定的算法）");
  }
  auto seal = seal::parse_seseal(req.seseal);
  if (!seal.ok() || seal->info.version != 4) return invalid_argument("bad_seal_data", "印章数据不是 GB/T 38540 电子印章");

  if (req.page < 1 || static_cast<std::size_t>(req.page) > doc.pages.size()) {
    return invalid_argument("bad_page", "页码超出范围");
  }
  const double pic_w = std::max(1, seal->info.picture_width_mm), pic_h = std::max(1, seal->info.picture_height_mm);
  const double w = req.width_mm > 0 ? req.width_mm : pic_w;
  if (!(w >= 5 && w <= 200)) return invalid_argument("bad_placement", "印章宽度须在 5 到 200 毫米之间");
  const double h = w * pic_h / pic_w;
  if (!(req.x_mm >= 0 && req.y_mm >= 0 && req.x_mm + w <= doc.page_width_mm + 1e-6 &&
        req.y_mm + h <= doc.page_height_mm + 1e-6)) {
    return invalid_argument("bad_placement", "印章超出页面范围");
  }

  // Where the signatures live; OFD.xml names Signatures.xml on the first signature.
  if (doc.signatures_path.empty()) {
    doc.signatures_path = folder_of(doc.doc_root) + "Signs/Signatures.xml";
    if (pkg.find(doc.signatures_path) != nullptr) {
      return invalid_argument("ofd_bad_document", "OFD 文档结构有误：已有未登记的 Signatures.xml");
    }
    CS_ASSIGN(Bytes ofd_xml, with_signatures_entry(*pkg.find("OFD.xml"), doc.signatures_path));
    pkg.put("OFD.xml", std::move(ofd_xml));
  }
  CS_ASSIGN(OfdSignatureList list, read_signature_list(pkg, doc.signatures_path));
  const long long sign_id = list.max_sign_id + 1;
  const std::string signs_dir = folder_of(doc.signatures_path);
  std::string sign_dir;
  for (int k = 0;; ++k) {
    sign_dir = signs_dir + "Sign_" + std::to_string(k) + "/";
    const bool used = std::any_of(pkg.files.begin(), pkg.files.end(),
                                  [&](const ZipEntry& e) { return e.name.rfind(sign_dir, 0) == 0; });
    if (!used) break;
  }
  PreparedOfd out;
  out.signature_path = sign_dir + "Signature.xml";
  out.signed_value_path = sign_dir + "SignedValue.dat";
  out.page = req.page;
  const std::string seal_path = sign_dir + "Seal.esl";
  pkg.put(seal_path, req.seseal);

  // References: every file there now, except Signatures.xml.
  std::string refs;
  for (const ZipEntry& e : pkg.files) {
    if (e.name == doc.signatures_path) continue;
    refs += "      <ofd:Reference FileRef=\"/" + xml_escape(e.name) + "\"><ofd:CheckValue>" +
            base64_encode(crypto::sm3(e.data)) + "</ofd:CheckValue></ofd:Reference>\n";
  }
  const OfdPage& page = doc.pages[static_cast<std::size_t>(req.page - 1)];
  std::string sig_xml = std::string(kXmlHead) + "<ofd:Signature " + std::string(kNs) + ">\n  <ofd:SignedInfo>\n" +
                        "    <ofd:Provider ProviderName=\"" + xml_escape(req.provider) +
                        "\" Version=\"1.0\" Company=\"CertSeal\"/>\n" + "    <ofd:SignatureMethod>" +
                        std::string(kOidSm2Sm3) + "</ofd:SignatureMethod>\n" + "    <ofd:SignatureDateTime>" +
                        compact_utc(req.signing_time) + "</ofd:SignatureDateTime>\n" +
                        "    <ofd:References CheckMethod=\"" + std::string(kOidSm3) + "\">\n" + refs +
                        "    </ofd:References>\n" + "    <ofd:StampAnnot ID=\"" + std::to_string(sign_id) +
                        "\" PageRef=\"" + xml_escape(page.id) + "\" Boundary=\"" + mm(req.x_mm) + " " + mm(req.y_mm) +
                        " " + mm(w) + " " + mm(h) + "\"/>\n" + "    <ofd:Seal><ofd:BaseLoc>/" + xml_escape(seal_path) +
                        "</ofd:BaseLoc></ofd:Seal>\n" + "  </ofd:SignedInfo>\n" + "  <ofd:SignedValue>/" +
                        xml_escape(out.signed_value_path) + "</ofd:SignedValue>\n</ofd:Signature>\n";
  Bytes sig_bytes = to_bytes(sig_xml);
  out.tbs_sign = build_tbs_sign(req.seseal, req.signing_time, crypto::sm3(sig_bytes), "/" + out.signature_path);
  pkg.put(out.signature_path, std::move(sig_bytes));

  // Signatures.xml: the earlier entries as they were, then this one.
  std::string list_xml = std::string(kXmlHead) + "<ofd:Signatures " + std::string(kNs) + ">\n  <ofd:MaxSignId>" +
                         std::to_string(sign_id) + "</ofd:MaxSignId>\n";
  for (const OfdSignatureEntry& e : list.entries) {
    list_xml += "  <ofd:Signature ID=\"" + xml_escape(e.id) + "\" Type=\"" + xml_escape(e.type) + "\" BaseLoc=\"/" +
                xml_escape(e.path) + "\"/>\n";
  }
  list_xml += "  <ofd:Signature ID=\"" + std::to_string(sign_id) + "\" Type=\"Seal\" BaseLoc=\"/" +
              xml_escape(out.signature_path) + "\"/>\n</ofd:Signatures>\n";
  pkg.put(doc.signatures_path, to_bytes(list_xml));
  out.package = std::move(pkg);
  return out;
}

Result<Bytes> finish_ofd_signature(const OfdSignRequest& req, BytesView tbs_sign, BytesView signature) {
  CS_ASSIGN(PreparedOfd p, prepare_ofd_signature(req));
  if (!std::equal(p.tbs_sign.begin(), p.tbs_sign.end(), tbs_sign.begin(), tbs_sign.end())) {
    return invalid_argument("ofd_signature_mismatch", "签章请求与已签名的内容不一致");
  }
  p.package.put(p.signed_value_path, build_ses_signature(p.tbs_sign, req.signer_cert, signature));
  return write_ofd(p.package);
}

Result<Bytes> hold_prepared_ofd(const PreparedOfd& p) { return write_ofd(p.package); }

Result<Bytes> finish_held_ofd(BytesView held, BytesView signer_cert, BytesView tbs_sign, BytesView signature) {
  auto mismatch = [] { return invalid_argument("ofd_signature_mismatch", "签章请求与已签名的内容不一致"); };
  CS_ASSIGN(OfdPackage pkg, read_ofd(held));
  CS_ASSIGN(OfdDocument doc, read_ofd_document(pkg));
  CS_ASSIGN(OfdSignatureList list, read_signature_list(pkg, doc.signatures_path));
  if (list.entries.empty()) return mismatch();
  const std::string sig_path = list.entries.back().path;
  const Bytes* sig_xml = pkg.find(sig_path);
  if (sig_xml == nullptr) return mismatch();
  CS_ASSIGN(XmlDoc d, XmlDoc::parse(*sig_xml, sig_path));
  CS_ASSIGN(std::string value_path, resolve_loc(sig_path, xml_text(xml_child(d.root(), "SignedValue"))));
  if (pkg.find(value_path) != nullptr) return mismatch();
  CS_ASSIGN(SesSignature parsed, parse_ses_signature(build_ses_signature(tbs_sign, signer_cert, signature)));
  const Bytes digest = crypto::sm3(*sig_xml);
  if (parsed.data_hash != digest || parsed.property_info != "/" + sig_path) return mismatch();
  pkg.put(value_path, build_ses_signature(tbs_sign, signer_cert, signature));
  return write_ofd(pkg);
}

Result<Bytes> sign_ofd(const OfdSignRequest& req, const std::function<Result<Bytes>(BytesView tbs)>& sign) {
  CS_ASSIGN(PreparedOfd p, prepare_ofd_signature(req));
  CS_ASSIGN(Bytes sig, sign(p.tbs_sign));
  p.package.put(p.signed_value_path, build_ses_signature(p.tbs_sign, req.signer_cert, sig));
  return write_ofd(p.package);
}

}  // namespace certseal::docsign
