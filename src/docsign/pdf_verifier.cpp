#include "docsign/pdf_verifier.h"

#include <qpdf/QPDFObjectHandle.hh>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <set>

#include "docsign/cert_path.h"
#include "docsign/dss.h"
#include "docsign/pades_cms.h"
#include "docsign/pdf_internal.h"
#include "docsign/revocation_data.h"
#include "pki/certificate.h"

namespace certseal::docsign {
namespace {

using internal::File;

bool same(BytesView a, BytesView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

// D:YYYYMMDDHHmmSS with an optional Z / +HH'mm' (ISO 32000-1 §7.9.4).
std::optional<SysTime> parse_pdf_date(std::string s) {
  if (s.rfind("D:", 0) == 0) s = s.substr(2);
  if (s.size() < 14) return std::nullopt;
  for (int i = 0; i < 14; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[static_cast<std::size_t>(i)]))) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(6, 2));
  tm.tm_hour = std::stoi(s.substr(8, 2));
  tm.tm_min = std::stoi(s.substr(10, 2));
  tm.tm_sec = std::stoi(s.substr(12, 2));
  std::int64_t offset = 0;
  if (s.size() >= 17 && (s[14] == '+' || s[14] == '-') && std::isdigit(static_cast<unsigned char>(s[15]))) {
    const int hh = std::stoi(s.substr(15, 2));
    const int mm = s.size() >= 20 ? std::atoi(s.substr(18, 2).c_str()) : 0;
    offset = (s[14] == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
  }
  return sys_time_from_unix(timegm(&tm) - offset);
}

bool is_signature_field(QPDFObjectHandle h) {
  for (int depth = 0; h.isDictionary() && depth < 16; ++depth) {
    if (h.getKey("/FT").isName()) return h.getKey("/FT").getName() == "/Sig";
    h = h.getKey("/Parent");
  }
  return false;
}

void collect_fields(QPDFObjectHandle field, std::vector<QPDFObjectHandle>& out, std::set<QPDFObjGen>& seen, int depth) {
  if (!field.isDictionary() || depth > 16) return;
  if (field.isIndirect() && !seen.insert(field.getObjGen()).second) return;
  if (is_signature_field(field) && field.getKey("/V").isDictionary()) out.push_back(field);
  QPDFObjectHandle kids = field.getKey("/Kids");
  if (kids.isArray()) {
    for (int i = 0; i < kids.getArrayNItems(); ++i) collect_fields(kids.getArrayItem(i), out, seen, depth + 1);
  }
}

std::string field_name(QPDFObjectHandle f) {
  std::string name;
  for (int depth = 0; f.isDictionary() && depth < 16; ++depth) {
    if (f.getKey("/T").isString()) name = f.getKey("/T").getUTF8Value() + (name.empty() ? "" : "." + name);
    f = f.getKey("/Parent");
  }
  return name;
}

Result<Bytes> read_range(std::FILE* f, std::uint64_t at, std::uint64_t len) {
  Bytes out(len);
  if (std::fseek(f, static_cast<long>(at), SEEK_SET) != 0 || std::fread(out.data(), 1, len, f) != len) {
    return internal::io_error("read");
  }
  return out;
}

Status hash_range(std::FILE* f, std::uint64_t at, std::uint64_t len, crypto::Hasher& h) {
  if (std::fseek(f, static_cast<long>(at), SEEK_SET) != 0) return internal::io_error("seek");
  std::vector<std::uint8_t> buf(1 << 20);
  while (len > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(len, buf.size()));
    if (std::fread(buf.data(), 1, want, f) != want) return internal::io_error("read");
    h.update(BytesView(buf.data(), want));
    len -= want;
  }
  return {};
}

// --- later changes ----------------------------------------------------------------------------

bool is_sig_widget_or_field(QPDFObjectHandle h) {
  if (!h.isDictionary()) return false;
  if (h.getKey("/FT").isName() && h.getKey("/FT").getName() == "/Sig") return true;
  return h.getKey("/Subtype").isName() && h.getKey("/Subtype").getName() == "/Widget" && is_signature_field(h);
}

// The keys whose values differ (values compared in PDF syntax; references by number).
std::set<std::string> changed_keys(QPDFObjectHandle a, QPDFObjectHandle b) {
  std::set<std::string> keys = a.getKeys(), out;
  for (const auto& k : b.getKeys()) keys.insert(k);
  for (const auto& k : keys) {
    if (a.getKey(k).unparse() != b.getKey(k).unparse()) out.insert(k);
  }
  return out;
}

// The old array's items, in order, are the first items of the new one, and every added item is a
// signature field or widget.
bool only_signatures_appended(QPDFObjectHandle old_a, QPDFObjectHandle new_a) {
  if (old_a.isNull()) old_a = QPDFObjectHandle::newArray();
  if (!old_a.isArray() || !new_a.isArray() || new_a.getArrayNItems() < old_a.getArrayNItems()) return false;
  for (int i = 0; i < old_a.getArrayNItems(); ++i) {
    if (old_a.getArrayItem(i).unparse() != new_a.getArrayItem(i).unparse()) return false;
  }
  for (int i = old_a.getArrayNItems(); i < new_a.getArrayNItems(); ++i) {
    if (!is_sig_widget_or_field(new_a.getArrayItem(i))) return false;
  }
  return true;
}

bool same_object(QPDFObjectHandle a, QPDFObjectHandle b) {
  if (a.isStream() != b.isStream()) return false;
  if (a.isStream()) {
    if (a.getDict().unparse() != b.getDict().unparse()) return false;
    auto da = a.getRawStreamData(), db = b.getRawStreamData();
    return da->getSize() == db->getSize() && std::memcmp(da->getBuffer(), db->getBuffer(), da->getSize()) == 0;
  }
  return a.unparseResolved() == b.unparseResolved();
}

// "" when every change from the signed revision to the final file is allowed; else what changed.
std::string disallowed_changes(QPDF& old_q, QPDF& new_q) {
  QPDFObjectHandle old_root = old_q.getRoot();
  const QPDFObjGen root_og = old_root.getObjGen();
  QPDFObjectHandle old_acro = old_root.getKey("/AcroForm");
  // A DSS (and its VRI) may be rewritten in place by other writers: allowed (ISO 32000-2 §12.8.4.3).
  std::set<QPDFObjGen> dss_objects;
  QPDFObjectHandle old_dss = old_root.getKey("/DSS");
  if (old_dss.isDictionary()) {
    if (old_dss.isIndirect()) dss_objects.insert(old_dss.getObjGen());
    for (const char* k : {"/VRI", "/Certs", "/CRLs", "/OCSPs"}) {
      if (old_dss.getKey(k).isIndirect()) dss_objects.insert(old_dss.getKey(k).getObjGen());
    }
  }
  if (new_q.getRoot().getObjGen() != root_og) return "the document catalog was replaced";
  for (QPDFObjectHandle o : old_q.getAllObjects()) {
    const QPDFObjGen og = o.getObjGen();
    QPDFObjectHandle n = new_q.getObjectByObjGen(og);
    if (same_object(o, n) || dss_objects.count(og)) continue;
    const std::string what = "object " + og.unparse(' ');
    if (o.isStream() || n.isStream()) return what + " (a stream) was changed";
    if (og == root_og) {
      for (const auto& k : changed_keys(o, n)) {
        if (k == "/AcroForm") {
          QPDFObjectHandle a = o.getKey("/AcroForm"), b = n.getKey("/AcroForm");
          if (a.isIndirect() && b.isIndirect() && a.getObjGen() == b.getObjGen()) continue;
          if (!b.isDictionary()) return "the AcroForm was removed";
          for (const auto& ak : (a.isDictionary() ? changed_keys(a, b) : b.getKeys())) {
            if (ak == "/Fields") {
              if (!only_signatures_appended(a.isDictionary() ? a.getKey("/Fields") : QPDFObjectHandle::newNull(),
                                            b.getKey("/Fields")))
                return "form fields other than signatures were changed";
            } else if (ak != "/SigFlags" && ak != "/DR" && ak != "/NeedAppearances") {
              return "the AcroForm's " + ak + " was changed";
            }
          }
        } else if (k != "/DSS") {
          return "the catalog's " + k + " was changed";
        }
      }
      continue;
    }
    if (old_acro.isIndirect() && og == old_acro.getObjGen() && o.isDictionary() && n.isDictionary()) {
      for (const auto& k : changed_keys(o, n)) {
        if (k == "/Fields") {
          if (!only_signatures_appended(o.getKey("/Fields"), n.getKey("/Fields")))
            return "form fields other than signatures were changed";
        } else if (k != "/SigFlags" && k != "/DR" && k != "/NeedAppearances") {
          return "the AcroForm's " + k + " was changed";
        }
      }
      continue;
    }
    if (o.isDictionary() && n.isDictionary() && o.getKey("/Type").isName() && o.getKey("/Type").getName() == "/Page") {
      for (const auto& k : changed_keys(o, n)) {
        if (k != "/Annots") return "page " + what + ": " + k + " was changed";
        if (!only_signatures_appended(o.getKey("/Annots"), n.getKey("/Annots")))
          return "page " + what + ": annotations other than signatures were added or changed";
      }
      continue;
    }
    if (o.isArray() && n.isArray() && only_signatures_appended(o, n)) continue;  // an /Annots or /Fields array
    return what + " was changed";
  }
  return "";
}

}  // namespace

Result<std::vector<PdfSignatureReport>> verify_pdf(const std::string& path, const std::vector<Bytes>& trusted_roots) {
  CS_ASSIGN(auto q, internal::open_pdf(path));
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) return internal::io_error("open " + path);
  std::fseek(file.get(), 0, SEEK_END);
  const auto file_size = static_cast<std::uint64_t>(std::ftell(file.get()));

  std::vector<QPDFObjectHandle> fields;
  DssView dss;
  CS_TRY(internal::guarded("read form", [&]() -> Status {
    dss = read_dss(*q);
    std::set<QPDFObjGen> seen;
    QPDFObjectHandle acro = q->getRoot().getKey("/AcroForm");
    QPDFObjectHandle list = acro.isDictionary() ? acro.getKey("/Fields") : QPDFObjectHandle::newNull();
    if (list.isArray()) {
      for (int i = 0; i < list.getArrayNItems(); ++i) collect_fields(list.getArrayItem(i), fields, seen, 0);
    }
    return {};
  }));

  std::vector<PdfSignatureReport> out;
  for (auto& field : fields) {
    PdfSignatureReport r;
    auto fill = [&]() -> Status {
      return internal::guarded("read signature", [&]() -> Status {
        r.field_name = field_name(field);
        QPDFObjectHandle v = field.getKey("/V");
        if (v.getKey("/SubFilter").isName()) r.sub_filter = v.getKey("/SubFilter").getName().substr(1);
        if (v.getKey("/M").isString()) r.claimed_time = parse_pdf_date(v.getKey("/M").getUTF8Value());
        if (v.getKey("/CertSeal.SESeal").isString()) r.seseal = to_bytes(v.getKey("/CertSeal.SESeal").getStringValue());
        QPDFObjectHandle br = v.getKey("/ByteRange");
        if (!br.isArray() || br.getArrayNItems() != 4 || !v.getKey("/Contents").isString()) {
          r.problem = "no byte range or contents";
          return {};
        }
        std::uint64_t b[4];
        for (int i = 0; i < 4; ++i) {
          QPDFObjectHandle it = br.getArrayItem(i);
          if (!it.isInteger() || it.getIntValue() < 0) {
            r.problem = "bad byte range";
            return {};
          }
          b[i] = static_cast<std::uint64_t>(it.getIntValue());
        }
        if (b[0] != 0 || b[1] == 0 || b[2] <= b[1] + 1 || b[2] + b[3] > file_size) {
          r.problem = "the byte range does not start at 0 or runs past the end of the file";
          return {};
        }
        r.revision_end = b[2] + b[3];
        r.covers_whole_file = r.revision_end == file_size;
        // The gap must be exactly the /Contents hex string.
        CS_ASSIGN(Bytes gap, read_range(file.get(), b[1], b[2] - b[1]));
        bool gap_ok = gap.front() == '<' && gap.back() == '>';
        for (std::size_t i = 1; gap_ok && i + 1 < gap.size(); ++i) gap_ok = std::isxdigit(gap[i]) != 0;
        if (!gap_ok) {
          r.problem = "the byte range leaves out more than the signature value";
          return {};
        }
        // The signed revision ends with %%EOF (and an end of line).
        CS_ASSIGN(Bytes end, read_range(file.get(), r.revision_end - std::min<std::uint64_t>(r.revision_end, 8),
                                        std::min<std::uint64_t>(r.revision_end, 8)));
        if (to_string(end).find("%%EOF") == std::string::npos) {
          r.problem = "the byte range does not end at the end of a revision";
          return {};
        }
        const Bytes contents = to_bytes(v.getKey("/Contents").getStringValue());
        auto cms = pades::read_signed_data(contents);
        if (!cms) {
          r.problem = "the signature value is not a CMS SignedData we can read: " + cms.error().cause;
          return {};
        }
        r.alg = cms->alg;
        r.signer_cert = cms->signer_cert;
        auto facts = pki::read_certificate(cms->signer_cert);
        if (facts) r.signer = pki::name_text(facts->subject);
        crypto::Hasher h(cms->digest);
        CS_TRY(hash_range(file.get(), b[0], b[1], h));
        CS_TRY(hash_range(file.get(), b[2], b[3], h));
        r.bytes_intact = same(h.finish(), cms->message_digest);
        r.signature_valid = pades::signature_valid(*cms);
        r.signing_certificate_bound = cms->signing_cert_v2_hash && cms->signing_cert_v2_alg &&
                                      same(*cms->signing_cert_v2_hash,
                                           crypto::digest(*cms->signing_cert_v2_alg, cms->signer_cert));
        if (cms->timestamp_token) {
          r.has_timestamp = true;
          auto ts = pades::check_timestamp(*cms->timestamp_token, cms->signature);
          if (ts && ts->imprint_matches && ts->signature_valid) {
            std::vector<Bytes> pool = dss.all.certs;
            auto tsa_path = check_cert_path(ts->tsa_cert, pool, trusted_roots, ts->gen_time);
            r.timestamp_valid = tsa_path.trusted && tsa_path.valid_at_time;
            if (r.timestamp_valid) r.timestamp_time = ts->gen_time;
          }
        }
        const SysTime at = r.timestamp_time ? *r.timestamp_time : r.claimed_time.value_or(SysTime{});
        std::vector<Bytes> pool = cms->certificates;
        ValidationData embedded;
        r.dss_present = dss.present;
        if (dss.present) {
          embedded = dss.all;
          auto vri = dss.vri.find(vri_key(contents));
          r.vri_present = vri != dss.vri.end();
          if (r.vri_present) embedded.add(vri->second);
          pool.insert(pool.end(), embedded.certs.begin(), embedded.certs.end());
        }
        auto path_result = check_cert_path(cms->signer_cert, pool, trusted_roots, at);
        r.certificate_trusted = path_result.trusted;
        r.certificate_valid_then = path_result.trusted && path_result.valid_at_time;
        r.certificate_problem = path_result.problem;
        bool revoked_then = false;
        if (!embedded.crls.empty() || !embedded.ocsps.empty()) {
          std::vector<Bytes> issuers = trusted_roots;
          issuers.insert(issuers.end(), pool.begin(), pool.end());
          auto issuer = find_issuer(cms->signer_cert, issuers);
          if (!issuer) {
            r.revocation_problem = "the signer's issuer is not known, so the embedded revocation data cannot be checked";
          } else {
            auto verdict = check_revocation(cms->signer_cert, *issuer, embedded.crls, embedded.ocsps, pool, at);
            std::vector<std::string> reasons = verdict.rejected;
            if (!verdict.known) {
              reasons.insert(reasons.end(), verdict.unrelated.begin(), verdict.unrelated.end());
              r.revocation_problem = "no embedded revocation data for this certificate counts";
            }
            for (const auto& why : reasons) {
              r.revocation_problem += (r.revocation_problem.empty() ? "" : "; ") + why;
            }
            if (verdict.known) {
              r.revocation_status = verdict.revoked ? "revoked" : "good";
              r.revocation_source = verdict.source;
              r.revoked_at = verdict.revoked_at;
              revoked_then = verdict.revoked;
              if (revoked_then) r.certificate_valid_then = false;
            }
          }
        }
        r.level = r.timestamp_valid ? "B-T" : "B-B";
        if (r.timestamp_valid && r.certificate_trusted && r.revocation_status == "good") r.level = "B-LT";
        // What came after.
        if (r.covers_whole_file) {
          r.later_changes_allowed = true;
        } else {
          CS_ASSIGN(Bytes revision, read_range(file.get(), 0, r.revision_end));
          CS_ASSIGN(auto old_q, internal::open_pdf_bytes(revision, "signed revision"));
          r.later_changes = disallowed_changes(*old_q, *q);
          r.later_changes_allowed = r.later_changes.empty();
        }
        if (!r.bytes_intact) r.problem = "the signed bytes were changed";
        else if (!r.signature_valid) r.problem = "the signature does not verify";
        else if (!r.signing_certificate_bound && r.sub_filter == "ETSI.CAdES.detached") r.problem = "signing-certificate-v2 is missing or names another certificate";
        else if (r.has_timestamp && !r.timestamp_valid) r.problem = "the time stamp does not verify";
        else if (revoked_then) r.problem = "the embedded revocation data says the certificate was revoked at that time";
        else if (!r.certificate_valid_then) r.problem = path_result.problem;
        else if (!r.later_changes_allowed) r.problem = "changed after signing: " + r.later_changes;
        return {};
      });
    };
    auto st = fill();
    if (!st) {
      if (st.error().code == "io_error") return std::move(st).error();
      r.problem = st.error().cause.empty() ? st.error().message : st.error().cause;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace certseal::docsign
