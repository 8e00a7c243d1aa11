#include "pki/cms_signed.h"

#include <openssl/x509.h>

#include <ctime>
#include <vector>

#include "crypto/ossl.h"
#include "pki/certificate.h"
#include "pki/der.h"

namespace certseal::pki::cms {
namespace {

constexpr std::string_view kAttrContentType = "1.2.840.113549.1.9.3";
constexpr std::string_view kAttrMessageDigest = "1.2.840.113549.1.9.4";
constexpr std::string_view kAttrSigningTime = "1.2.840.113549.1.9.5";
constexpr std::string_view kAttrTimeStampToken = "1.2.840.113549.1.9.16.2.14";
constexpr std::string_view kSm2Sign = "1.2.156.10197.1.301.1";  // GM/T 0006 SM2-1 (signature)
constexpr std::string_view kRsaEncryption = "1.2.840.113549.1.1.1";

Error malformed(std::string why) {
  return Error(ErrorKind::kInvalidArgument, "cms_malformed", "the CMS message is malformed", std::move(why));
}

Bytes attribute(std::string_view oid, BytesView value) {
  return der::seq({der::oid_or_die(oid), der::set_of({Bytes(value.begin(), value.end())})});
}

Bytes signature_algorithm(Form form, SigAlg alg) {
  if (alg == SigAlg::kSm2Sm3 && form == Form::kGmt0010) return der::seq({der::oid_or_die(kSm2Sign)});
  return algorithm_identifier(alg);
}

// Reads the TLVs inside a constructed value, in order.
Result<std::vector<std::pair<der::Tlv, BytesView>>> children(BytesView content) {
  std::vector<std::pair<der::Tlv, BytesView>> out;
  while (!content.empty()) {
    CS_ASSIGN(auto t, der::read_tlv(content));
    out.emplace_back(t, content.subspan(0, t.total()));
    content = content.subspan(t.total());
  }
  return out;
}

bool same(BytesView a, BytesView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

// A RevocationInfoChoice (RFC 5652 §10.2.1): a CertificateList OpenSSL reads whole, or
// [1] OtherRevocationInfoFormat { OID, info }.
bool revocation_info_ok(const der::Tlv& t, BytesView whole) {
  if (t.tag == der::kSequence) {
    const unsigned char* p = whole.data();
    crypto::X509CrlPtr crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(whole.size())));
    return crl && p == whole.data() + whole.size();
  }
  if (t.tag != der::context(1, true)) return false;
  auto parts = children(t.content(whole));
  return parts && parts->size() == 2 && (*parts)[0].first.tag == der::kOid;
}

// UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (the DER forms, RFC 5280 §4.1.2.5).
Result<SysTime> parse_time(const der::Tlv& t, BytesView whole) {
  BytesView c = t.content(whole);
  const std::string s(c.begin(), c.end());
  const std::size_t year_digits = t.tag == der::kUtcTime ? 2 : t.tag == der::kGeneralizedTime ? 4 : 0;
  if (year_digits == 0 || s.size() != year_digits + 11 || s.back() != 'Z') return malformed("signing time format");
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return malformed("signing time digits");
  }
  auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  int year = num(0, year_digits);
  if (year_digits == 2) year += year < 50 ? 2000 : 1900;
  const std::size_t off = year_digits;
  tm.tm_year = year - 1900;
  tm.tm_mon = num(off, 2) - 1;
  tm.tm_mday = num(off + 2, 2);
  tm.tm_hour = num(off + 4, 2);
  tm.tm_min = num(off + 6, 2);
  tm.tm_sec = num(off + 8, 2);
  // A real calendar date (no 30 February: timegm would move it into March) and OpenSSL's ranges
  // for ASN.1 times (seconds up to 59).
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
      tm.tm_mday > kDays[tm.tm_mon] + (tm.tm_mon == 1 && leap ? 1 : 0) || tm.tm_hour > 23 ||
      tm.tm_min > 59 || tm.tm_sec > 59) {
    return malformed("signing time out of range");
  }
  return sys_time_from_unix(timegm(&tm));
}

}  // namespace

std::string_view form_name(Form f) { return f == Form::kGmt0010 ? "gmt0010" : "rfc5652"; }

Result<Form> form_from_name(std::string_view name) {
  if (name == "rfc5652" || name.empty()) return Form::kRfc5652;
  if (name == "gmt0010") return Form::kGmt0010;
  return invalid_argument("unknown_cms_form", "the CMS form is rfc5652 or gmt0010");
}

std::string_view data_oid(Form f) {
  return f == Form::kGmt0010 ? "1.2.156.10197.6.1.4.2.1" : "1.2.840.113549.1.7.1";
}
std::string_view signed_data_oid(Form f) {
  return f == Form::kGmt0010 ? "1.2.156.10197.6.1.4.2.2" : "1.2.840.113549.1.7.2";
}
std::string_view enveloped_data_oid(Form f) {
  return f == Form::kGmt0010 ? "1.2.156.10197.6.1.4.2.3" : "1.2.840.113549.1.7.3";
}

crypto::HashAlg digest_for(SigAlg alg) { return digest_alg(alg); }

Bytes signed_attributes(Form form, crypto::HashAlg digest, BytesView content, SysTime signing_time) {
  return der::set_of({attribute(kAttrContentType, der::oid_or_die(data_oid(form))),
                      attribute(kAttrSigningTime, der::x509_time(signing_time)),
                      attribute(kAttrMessageDigest, der::octet_string(crypto::digest(digest, content)))});
}

Result<Bytes> signed_data(const SignedDataParts& p) {
  auto facts = read_certificate(p.certificate);
  if (!facts) return invalid_argument("bad_certificate", "the signer's certificate does not parse");
  const crypto::HashAlg h = digest_alg(p.alg);
  const Form form = p.alg == SigAlg::kSm2Sm3 ? p.form : Form::kRfc5652;
  Bytes attrs = signed_attributes(form, h, p.content, p.signing_time);
  // [0] IMPLICIT SET OF Attribute: same content, tag A0 (§5.3).
  CS_ASSIGN(auto at, der::read_tlv(attrs));
  Bytes attrs_implicit = der::implicit(0, true, at.content(attrs));
  Bytes sid = der::seq({facts->issuer, der::integer_unsigned(facts->serial)});
  const Bytes unsigned_attrs =
      p.timestamp_token ? der::implicit(1, true, attribute(kAttrTimeStampToken, *p.timestamp_token)) : Bytes{};
  Bytes signer_info = der::seq({der::integer(1), sid, digest_algorithm_identifier(h), attrs_implicit,
                                signature_algorithm(form, p.alg), der::octet_string(p.signature), unsigned_attrs});
  Bytes encap = p.detached ? der::seq({der::oid_or_die(data_oid(form))})
                           : der::seq({der::oid_or_die(data_oid(form)), der::explicit_tag(0, der::octet_string(p.content))});
  Bytes sd = der::seq({der::integer(1), der::set_of({digest_algorithm_identifier(h)}), encap,
                       der::implicit(0, true, p.certificate), der::set_of({signer_info})});
  return der::seq({der::oid_or_die(signed_data_oid(form)), der::explicit_tag(0, sd)});
}

namespace {
Result<Verified> verify_parts(BytesView in, std::optional<BytesView> detached_content);
}  // namespace

Result<Verified> verify(BytesView in, std::optional<BytesView> detached_content) {
  auto v = verify_parts(in, detached_content);
  // DER reading errors (truncation, bad lengths) are a malformed message too.
  if (!v && v.error().code.rfind("cms_", 0) != 0) return malformed(v.error().code + ": " + v.error().cause);
  return v;
}

namespace {
Result<Verified> verify_parts(BytesView in, std::optional<BytesView> detached_content) {
  Verified v;
  CS_ASSIGN(auto outer, der::read_tlv(in));
  if (outer.tag != der::kSequence || outer.total() != in.size()) return malformed("ContentInfo");
  CS_ASSIGN(auto ci, children(outer.content(in)));
  if (ci.size() != 2 || ci[1].first.tag != der::context(0, true)) return malformed("ContentInfo fields");
  if (same(ci[0].second, der::oid_or_die(signed_data_oid(Form::kGmt0010)))) v.form = Form::kGmt0010;
  else if (!same(ci[0].second, der::oid_or_die(signed_data_oid(Form::kRfc5652))))
    return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "the message is not SignedData");
  CS_ASSIGN(auto sd_outer, children(ci[1].first.content(ci[1].second)));
  if (sd_outer.size() != 1 || sd_outer[0].first.tag != der::kSequence) return malformed("SignedData");
  CS_ASSIGN(auto sd, children(sd_outer[0].first.content(sd_outer[0].second)));
  if (sd.size() < 4) return malformed("SignedData fields");
  // version 1 (issuerAndSerialNumber signers) or 3; digestAlgorithms and encapContentInfo shapes.
  if (!same(sd[0].second, der::integer(1)) && !same(sd[0].second, der::integer(3))) return malformed("version");
  if (sd[1].first.tag != der::kSet || sd[2].first.tag != der::kSequence) return malformed("SignedData shape");
  // encapContentInfo
  CS_ASSIGN(auto encap, children(sd[2].first.content(sd[2].second)));
  if (encap.empty() || !same(encap[0].second, der::oid_or_die(data_oid(v.form)))) {
    return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "the signed content is not of type data");
  }
  if (encap.size() > 2 || (encap.size() == 2 && encap[1].first.tag != der::context(0, true))) {
    return malformed("encapContentInfo");
  }
  if (encap.size() == 2) {
    CS_ASSIGN(auto octets, children(encap[1].first.content(encap[1].second)));
    if (octets.size() != 1 || octets[0].first.tag != der::kOctetString) return malformed("eContent");
    BytesView c = octets[0].first.content(octets[0].second);
    v.content.assign(c.begin(), c.end());
  } else {
    if (!detached_content) return invalid_argument("cms_content_missing", "the message is detached: give the content");
    v.detached = true;
    v.content.assign(detached_content->begin(), detached_content->end());
  }
  std::size_t i = 3;
  std::vector<Bytes> certs;
  if (sd[i].first.tag == der::context(0, true)) {
    // Every element a certificate (the other CertificateChoices are not read): OpenSSL refuses a
    // message with anything else in the SET, so skipping it would accept what it refuses.
    CS_ASSIGN(auto cs, children(sd[i].first.content(sd[i].second)));
    for (auto& c : cs) {
      if (c.first.tag != der::kSequence || !read_certificate(c.second))
        return malformed("certificates");
      certs.emplace_back(c.second.begin(), c.second.end());
    }
    ++i;
  }
  if (i < sd.size() && sd[i].first.tag == der::context(1, true)) {
    // CRLs: not used here, but they must be what the field holds (OpenSSL refuses anything else).
    CS_ASSIGN(auto crls, children(sd[i].first.content(sd[i].second)));
    for (auto& c : crls) {
      if (!revocation_info_ok(c.first, c.second)) return malformed("crls");
    }
    ++i;
  }
  if (i + 1 != sd.size() || sd[i].first.tag != der::kSet) return malformed("signerInfos");
  CS_ASSIGN(auto sis, children(sd[i].first.content(sd[i].second)));
  if (sis.size() != 1) return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "one signer is supported");
  CS_ASSIGN(auto si, children(sis[0].first.content(sis[0].second)));
  if (sis[0].first.tag != der::kSequence || si.size() < 6 || si.size() > 7 || !same(si[0].second, der::integer(1)) ||
      si[1].first.tag != der::kSequence || si[3].first.tag != der::context(0, true) ||
      si[5].first.tag != der::kOctetString || (si.size() == 7 && si[6].first.tag != der::context(1, true))) {
    return malformed("SignerInfo (version 1, issuer and serial, signed attributes are required)");
  }
  // The signer's certificate, by issuer and serial.
  CS_ASSIGN(auto sid, children(si[1].first.content(si[1].second)));
  if (sid.size() != 2) return malformed("sid");
  for (const auto& c : certs) {
    auto f = read_certificate(c);
    if (!f) continue;
    // The first that matches, as OpenSSL takes it.
    if (same(f->issuer, sid[0].second) && same(der::integer_unsigned(f->serial), sid[1].second)) {
      v.certificate = c;
      break;
    }
  }
  if (v.certificate.empty()) return Error(ErrorKind::kInvalidArgument, "cms_signer_certificate_missing",
                                          "the signer's certificate is not in the message");
  // Signature algorithm.
  BytesView sig_alg = si[4].second;
  bool found = false;
  for (SigAlg a : {SigAlg::kSm2Sm3, SigAlg::kEcdsaSha256, SigAlg::kRsaSha256}) {
    if (same(sig_alg, algorithm_identifier(a))) {
      v.alg = a;
      found = true;
    }
  }
  if (!found && (same(sig_alg, der::seq({der::oid_or_die(kSm2Sign)})) ||
                 same(sig_alg, der::seq({der::oid_or_die(kSm2Sign), der::null()})))) {
    v.alg = SigAlg::kSm2Sm3;
    found = true;
  }
  if (!found && (same(sig_alg, der::seq({der::oid_or_die(kRsaEncryption), der::null()})) ||
                 same(sig_alg, der::seq({der::oid_or_die(kRsaEncryption)})))) {
    v.alg = SigAlg::kRsaSha256;
    found = true;
  }
  if (!found) return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "unsupported signature algorithm");
  const crypto::HashAlg h = digest_alg(v.alg);
  auto digest_alg_ok = [&](BytesView a) {
    return same(a, digest_algorithm_identifier(h)) || same(a, der::seq({der::oid_or_die(digest_oid(h)), der::null()}));
  };
  if (!digest_alg_ok(si[2].second)) {
    return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "unsupported digest algorithm");
  }
  // digestAlgorithms lists the signer's (and, with one signer, nothing else).
  CS_ASSIGN(auto digests, children(sd[1].first.content(sd[1].second)));
  if (digests.size() != 1 || !digest_alg_ok(digests[0].second)) return malformed("digestAlgorithms");
  // Signed attributes: re-tagged as SET OF for the signature (§5.4).
  v.signed_attributes = der::tlv(der::kSet, si[3].first.content(si[3].second));
  CS_ASSIGN(auto attrs, children(si[3].first.content(si[3].second)));
  // DER (RFC 5652 §5.3: signedAttrs MUST be DER): the SET OF sorted (X.690 §11.6). OpenSSL
  // verifies over the order received, so it takes an unsorted set; the RFC does not.
  std::vector<Bytes> attr_encodings;
  for (const auto& a : attrs) attr_encodings.emplace_back(a.second.begin(), a.second.end());
  if (!same(der::set_of(attr_encodings), v.signed_attributes))
    return malformed("signed attributes not in DER order");
  std::optional<Bytes> digest;
  bool type_ok = false;
  // Content type, message digest and signing time once each (RFC 5652 §11.1-11.3; OpenSSL
  // refuses a second one too): with two, which one the signer meant is not ours to choose.
  int type_count = 0, time_count = 0;
  for (const auto& a : attrs) {
    CS_ASSIGN(auto parts, children(a.first.content(a.second)));
    if (parts.size() != 2) return malformed("attribute");
    CS_ASSIGN(auto vals, children(parts[1].first.content(parts[1].second)));
    if (vals.size() != 1) return malformed("attribute values");
    if (same(parts[0].second, der::oid_or_die(kAttrMessageDigest))) {
      if (vals[0].first.tag != der::kOctetString || digest) return malformed("message digest");
      BytesView d = vals[0].first.content(vals[0].second);
      digest = Bytes(d.begin(), d.end());
    } else if (same(parts[0].second, der::oid_or_die(kAttrContentType))) {
      if (++type_count > 1) return malformed("two content-type attributes");
      type_ok = same(vals[0].second, der::oid_or_die(data_oid(v.form)));
    } else if (same(parts[0].second, der::oid_or_die(kAttrSigningTime))) {
      if (++time_count > 1) return malformed("two signing-time attributes");
      CS_ASSIGN(v.signing_time, parse_time(vals[0].first, vals[0].second));
    }
  }
  if (!digest || !type_ok) return malformed("content-type and message-digest attributes are required");
  if (!same(*digest, crypto::digest(h, v.content))) {
    return Error(ErrorKind::kInvalidArgument, "cms_digest_mismatch", "the content does not match the signed digest");
  }
  BytesView sig = si[5].first.content(si[5].second);
  v.signature.assign(sig.begin(), sig.end());
  if (si.size() == 7) {
    CS_ASSIGN(auto unsigned_attrs, children(si[6].first.content(si[6].second)));
    for (const auto& a : unsigned_attrs) {
      if (a.first.tag != der::kSequence) return malformed("unsigned attribute");
      CS_ASSIGN(auto parts, children(a.first.content(a.second)));
      if (parts.size() != 2 || parts[1].first.tag != der::kSet) return malformed("unsigned attribute");
      if (!same(parts[0].second, der::oid_or_die(kAttrTimeStampToken))) continue;
      CS_ASSIGN(auto vals, children(parts[1].first.content(parts[1].second)));
      if (vals.size() != 1 || v.timestamp_token) return malformed("one time-stamp token");
      v.timestamp_token = Bytes(vals[0].second.begin(), vals[0].second.end());
    }
  }
  CS_ASSIGN(auto facts, read_certificate(v.certificate));
  if (!verify_signature(facts.spki, v.alg, v.signed_attributes, v.signature)) {
    return Error(ErrorKind::kInvalidArgument, "cms_signature_invalid", "the signature does not verify");
  }
  return v;
}
}  // namespace

}  // namespace certseal::pki::cms
