#include "docsign/pades_cms.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>

#include "pki/certificate.h"
#include "pki/der.h"

namespace certseal::docsign::pades {
namespace {

namespace der = pki::der;

constexpr std::string_view kRsaEncryption = "1.2.840.113549.1.1.1";
constexpr std::string_view kSm2Sign = "1.2.156.10197.1.301.1";
constexpr std::string_view kEcPublicKey = "1.2.840.10045.2.1";

Error malformed(std::string why) {
  return Error(ErrorKind::kInvalidArgument, "cms_malformed", "签名数据格式错误", std::move(why));
}
Error unsupported(std::string why) {
  return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "不支持的签名数据", std::move(why));
}

bool same(BytesView a, BytesView b) { return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin()); }

using Kids = std::vector<std::pair<der::Tlv, BytesView>>;  // (header facts, whole TLV)

Result<Kids> children(BytesView content) {
  Kids out;
  while (!content.empty()) {
    CS_ASSIGN(auto t, der::read_tlv(content));
    out.emplace_back(t, content.subspan(0, t.total()));
    content = content.subspan(t.total());
  }
  return out;
}
BytesView inner(const std::pair<der::Tlv, BytesView>& k) { return k.first.content(k.second); }
Result<Kids> kids_of(const std::pair<der::Tlv, BytesView>& k) { return children(inner(k)); }

Bytes attribute(std::string_view oid, BytesView value) {
  return der::seq({der::oid_or_die(oid), der::set_of({Bytes(value.begin(), value.end())})});
}

// ESSCertIDv2's hashAlgorithm: absent for SHA-256 (its DEFAULT), else named.
Bytes signing_certificate_v2(crypto::HashAlg h, BytesView cert, const pki::CertFacts& f) {
  Bytes general_names = der::seq({der::tlv(der::context(4, true), f.issuer)});
  Bytes issuer_serial = der::seq({general_names, der::integer_unsigned(f.serial)});
  Bytes hash = der::octet_string(crypto::digest(h, cert));
  Bytes id = h == crypto::HashAlg::kSha256 ? der::seq({hash, issuer_serial})
                                           : der::seq({pki::digest_algorithm_identifier(h), hash, issuer_serial});
  return der::seq({der::seq({id})});
}

Bytes signature_algorithm(pki::SigAlg alg) { return pki::algorithm_identifier(alg); }

// GeneralizedTime with optional fractional seconds, or UTCTime; "Z" only.
Result<SysTime> parse_time(const der::Tlv& t, BytesView whole) {
  BytesView c = t.content(whole);
  std::string s(c.begin(), c.end());
  const std::size_t yd = t.tag == der::kUtcTime ? 2 : t.tag == der::kGeneralizedTime ? 4 : 0;
  if (yd == 0 || s.size() < yd + 11 || s.back() != 'Z') return malformed("time format");
  std::string frac;
  if (s.size() > yd + 11) {
    if (t.tag != der::kGeneralizedTime || s[yd + 10] != '.') return malformed("time format");
    frac = s.substr(yd + 11, s.size() - yd - 12);
  }
  for (std::size_t i = 0; i < yd + 10; ++i) {
    if (s[i] < '0' || s[i] > '9') return malformed("time digits");
  }
  auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  std::tm tm{};
  int year = num(0, yd);
  if (yd == 2) year += year < 50 ? 2000 : 1900;
  tm.tm_year = year - 1900;
  tm.tm_mon = num(yd, 2) - 1;
  tm.tm_mday = num(yd + 2, 2);
  tm.tm_hour = num(yd + 4, 2);
  tm.tm_min = num(yd + 6, 2);
  tm.tm_sec = num(yd + 8, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
      tm.tm_sec > 60) {
    return malformed("time out of range");
  }
  // Saturates past 2262 (a token or attribute may claim any year); no fraction is added there.
  const SysTime out = sys_time_from_unix(timegm(&tm));
  int ms = 0, scale = 100;
  for (char ch : frac) {
    if (ch < '0' || ch > '9') return malformed("time fraction");
    ms += (ch - '0') * scale;
    scale /= 10;
  }
  if (out == SysTime::max() || out == SysTime::min()) return out;
  return out + std::chrono::milliseconds(ms);
}

std::optional<crypto::HashAlg> hash_of(BytesView alg_id) {
  for (auto h : {crypto::HashAlg::kSha256, crypto::HashAlg::kSm3, crypto::HashAlg::kSha384}) {
    if (same(alg_id, pki::digest_algorithm_identifier(h)) ||
        same(alg_id, der::seq({der::oid_or_die(pki::digest_oid(h)), der::null()}))) {
      return h;
    }
  }
  return std::nullopt;
}

// The signature algorithm of a SignerInfo, and which key type it fits.
std::optional<pki::SigAlg> sig_alg_of(BytesView alg_id) {
  for (pki::SigAlg a : {pki::SigAlg::kSm2Sm3, pki::SigAlg::kEcdsaSha256, pki::SigAlg::kRsaSha256}) {
    if (same(alg_id, pki::algorithm_identifier(a))) return a;
  }
  if (same(alg_id, der::seq({der::oid_or_die(kSm2Sign)})) || same(alg_id, der::seq({der::oid_or_die(kSm2Sign), der::null()})))
    return pki::SigAlg::kSm2Sm3;
  if (same(alg_id, der::seq({der::oid_or_die(kRsaEncryption), der::null()})) ||
      same(alg_id, der::seq({der::oid_or_die(kRsaEncryption)})))
    return pki::SigAlg::kRsaSha256;
  if (same(alg_id, der::seq({der::oid_or_die(kEcPublicKey)}))) return pki::SigAlg::kEcdsaSha256;
  return std::nullopt;
}

}  // namespace

Result<Bytes> signed_attributes(pki::SigAlg alg, BytesView byte_range_digest, BytesView signer_cert) {
  auto f = pki::read_certificate(signer_cert);
  if (!f) return invalid_argument("bad_certificate", "签名证书无法解析");
  const crypto::HashAlg h = pki::digest_alg(alg);
  return der::set_of({attribute(kOidContentType, der::oid_or_die(kOidData)),
                      attribute(kOidMessageDigest, der::octet_string(byte_range_digest)),
                      attribute(kOidSigningCertificateV2, signing_certificate_v2(h, signer_cert, *f))});
}

Result<std::size_t> max_signature_size(pki::SigAlg alg, BytesView signer_cert) {
  if (alg != pki::SigAlg::kRsaSha256) return std::size_t{72};
  auto f = pki::read_certificate(signer_cert);
  if (!f) return invalid_argument("bad_certificate", "签名证书无法解析");
  auto key = crypto::PublicKey::from_spki_der(f->spki);
  if (!key) return invalid_argument("bad_certificate", "签名证书的公钥无法解析");
  int size = EVP_PKEY_get_size(key->get());
  if (size <= 0) return invalid_argument("bad_certificate", "签名证书的公钥无法解析");
  return static_cast<std::size_t>(size);
}

Result<Bytes> assemble(const CmsParts& p) {
  auto f = pki::read_certificate(p.signer_cert);
  if (!f) return invalid_argument("bad_certificate", "签名证书无法解析");
  const crypto::HashAlg h = pki::digest_alg(p.alg);
  CS_ASSIGN(auto at, der::read_tlv(p.signed_attributes));
  if (at.tag != der::kSet || at.total() != p.signed_attributes.size()) return malformed("signed attributes");
  Bytes sid = der::seq({f->issuer, der::integer_unsigned(f->serial)});
  Bytes si_body = der::concat({der::integer(1), sid, pki::digest_algorithm_identifier(h),
                               der::implicit(0, true, at.content(p.signed_attributes)), signature_algorithm(p.alg),
                               der::octet_string(p.signature)});
  if (p.timestamp_token) {
    Bytes unsigned_attrs = attribute(kOidSignatureTimeStamp, *p.timestamp_token);
    si_body = der::concat({si_body, der::implicit(1, true, unsigned_attrs)});
  }
  Bytes certs = p.signer_cert;
  for (const auto& c : p.chain) certs = der::concat({certs, c});
  Bytes sd = der::seq({der::integer(1), der::set_of({pki::digest_algorithm_identifier(h)}),
                       der::seq({der::oid_or_die(kOidData)}), der::implicit(0, true, certs),
                       der::set_of({der::tlv(der::kSequence, si_body)})});
  return der::seq({der::oid_or_die(kOidSignedData), der::explicit_tag(0, sd)});
}

namespace {
Result<SignedDataView> read_parts(BytesView in) {
  SignedDataView v;
  CS_ASSIGN(auto outer, der::read_tlv(in));
  if (outer.tag != der::kSequence) return malformed("ContentInfo");
  // A PDF's /Contents is zero-padded after the DER: only the first TLV counts.
  in = in.subspan(0, outer.total());
  CS_ASSIGN(auto ci, children(outer.content(in)));
  if (ci.size() != 2 || ci[1].first.tag != der::context(0, true)) return malformed("ContentInfo fields");
  if (!same(ci[0].second, der::oid_or_die(kOidSignedData))) return unsupported("not SignedData");
  CS_ASSIGN(auto sd_outer, kids_of(ci[1]));
  if (sd_outer.size() != 1 || sd_outer[0].first.tag != der::kSequence) return malformed("SignedData");
  CS_ASSIGN(auto sd, kids_of(sd_outer[0]));
  if (sd.size() < 4 || sd[1].first.tag != der::kSet || sd[2].first.tag != der::kSequence) {
    return malformed("SignedData fields");
  }
  CS_ASSIGN(auto encap, kids_of(sd[2]));
  if (encap.empty() || encap[0].first.tag != der::kOid) return malformed("encapContentInfo");
  v.econtent_type.assign(encap[0].second.begin(), encap[0].second.end());
  if (encap.size() == 2) {
    if (encap[1].first.tag != der::context(0, true)) return malformed("eContent");
    CS_ASSIGN(auto octets, kids_of(encap[1]));
    if (octets.size() != 1 || octets[0].first.tag != der::kOctetString) return malformed("eContent");
    BytesView c = inner(octets[0]);
    v.econtent = Bytes(c.begin(), c.end());
  } else if (encap.size() > 2) {
    return malformed("encapContentInfo");
  }
  std::size_t i = 3;
  if (sd[i].first.tag == der::context(0, true)) {
    CS_ASSIGN(auto cs, kids_of(sd[i]));
    // CertificateChoices other than a certificate (attribute or extended certificates) are no
    // part of PAdES; OpenSSL's reader refuses what is neither, and so do we.
    for (auto& c : cs) {
      if (c.first.tag != der::kSequence) return malformed("certificates: not a certificate");
      v.certificates.emplace_back(c.second.begin(), c.second.end());
    }
    ++i;
  }
  if (i < sd.size() && sd[i].first.tag == der::context(1, true)) ++i;  // revocation data
  if (i + 1 != sd.size() || sd[i].first.tag != der::kSet) return malformed("signerInfos");
  CS_ASSIGN(auto sis, kids_of(sd[i]));
  // PAdES has one SignerInfo; podofosign 0.9.8 writes the same one twice. The first is read.
  if (sis.empty()) return malformed("no SignerInfo");
  v.signer_infos = sis.size();
  CS_ASSIGN(auto si, kids_of(sis[0]));
  if (si.size() < 6 || si.size() > 7 || si[1].first.tag != der::kSequence || si[3].first.tag != der::context(0, true) ||
      si[5].first.tag != der::kOctetString || (si.size() == 7 && si[6].first.tag != der::context(1, true))) {
    return malformed("SignerInfo (issuer and serial, signed attributes required)");
  }
  CS_ASSIGN(auto sid, kids_of(si[1]));
  if (sid.size() != 2) return malformed("sid");
  for (const auto& c : v.certificates) {
    auto f = pki::read_certificate(c);
    if (f && same(f->issuer, sid[0].second) && same(der::integer_unsigned(f->serial), sid[1].second)) {
      v.signer_cert = c;
      break;
    }
  }
  auto alg = sig_alg_of(si[4].second);
  auto h = hash_of(si[2].second);
  if (!alg || !h) return unsupported("signature or digest algorithm");
  v.alg = *alg;
  v.digest = *h;
  v.signed_attributes = der::tlv(der::kSet, inner(si[3]));
  CS_ASSIGN(auto attrs, kids_of(si[3]));
  // RFC 5652 §11: content-type, message-digest and signing-time appear once each (a reader that
  // took the last of two would see another time or digest than one that took the first), and
  // content-type names the encapsulated content. signing-certificate-v2 is single-valued too.
  bool have_digest = false, have_type = false, have_time = false, have_cert_v2 = false;
  for (const auto& a : attrs) {
    CS_ASSIGN(auto parts, kids_of(a));
    if (parts.size() != 2 || parts[1].first.tag != der::kSet) return malformed("attribute");
    CS_ASSIGN(auto vals, kids_of(parts[1]));
    if (vals.size() != 1) return malformed("attribute values");
    const BytesView oid = parts[0].second;
    if (same(oid, der::oid_or_die(kOidMessageDigest))) {
      if (vals[0].first.tag != der::kOctetString || have_digest) return malformed("message digest");
      BytesView d = inner(vals[0]);
      v.message_digest.assign(d.begin(), d.end());
      have_digest = true;
    } else if (same(oid, der::oid_or_die(kOidContentType))) {
      if (vals[0].first.tag != der::kOid || have_type) return malformed("content type");
      if (!same(vals[0].second, v.econtent_type)) return malformed("content type differs from the content's");
      have_type = true;
    } else if (same(oid, der::oid_or_die(kOidSigningTime))) {
      if (have_time) return malformed("two signing times");
      CS_ASSIGN(v.signing_time, parse_time(vals[0].first, vals[0].second));
      have_time = true;
    } else if (same(oid, der::oid_or_die(kOidSigningCertificateV2))) {
      if (have_cert_v2) return malformed("two signing-certificate-v2 attributes");
      have_cert_v2 = true;
      // SigningCertificateV2 { certs SEQUENCE OF ESSCertIDv2 { [hashAlgorithm], certHash, ... } }
      CS_ASSIGN(auto scv2, kids_of(vals[0]));
      if (scv2.empty() || scv2[0].first.tag != der::kSequence) return malformed("signing-certificate-v2");
      CS_ASSIGN(auto ids, kids_of(scv2[0]));
      if (ids.empty()) return malformed("signing-certificate-v2 certs");
      CS_ASSIGN(auto id, kids_of(ids[0]));
      std::size_t k = 0;
      crypto::HashAlg ha = crypto::HashAlg::kSha256;
      if (!id.empty() && id[0].first.tag == der::kSequence) {
        auto got = hash_of(id[0].second);
        if (!got) return unsupported("signing-certificate-v2 hash algorithm");
        ha = *got;
        k = 1;
      }
      if (id.size() <= k || id[k].first.tag != der::kOctetString) return malformed("ESSCertIDv2");
      BytesView ch = inner(id[k]);
      v.signing_cert_v2_hash = Bytes(ch.begin(), ch.end());
      v.signing_cert_v2_alg = ha;
    }
  }
  if (!have_digest) return malformed("message-digest attribute missing");
  if (!have_type) return malformed("content-type attribute missing");
  BytesView sig = inner(si[5]);
  v.signature.assign(sig.begin(), sig.end());
  if (si.size() == 7) {
    CS_ASSIGN(auto uattrs, kids_of(si[6]));
    for (const auto& a : uattrs) {
      CS_ASSIGN(auto parts, kids_of(a));
      if (parts.size() != 2) return malformed("unsigned attribute");
      if (!same(parts[0].second, der::oid_or_die(kOidSignatureTimeStamp))) continue;
      CS_ASSIGN(auto vals, kids_of(parts[1]));
      if (vals.size() != 1 || v.timestamp_token) return malformed("time-stamp attribute");
      v.timestamp_token = Bytes(vals[0].second.begin(), vals[0].second.end());
    }
  }
  return v;
}
}  // namespace

Result<SignedDataView> read_signed_data(BytesView der_in) {
  auto v = read_parts(der_in);
  if (!v && v.error().code.rfind("cms_", 0) != 0) return malformed(v.error().code + ": " + v.error().cause);
  return v;
}

bool signature_valid(const SignedDataView& v) {
  if (v.signer_cert.empty()) return false;
  auto f = pki::read_certificate(v.signer_cert);
  if (!f) return false;
  if (v.digest != pki::digest_alg(v.alg)) return false;
  return pki::verify_signature(f->spki, v.alg, v.signed_attributes, v.signature).ok();
}

Result<TimeStamp> check_timestamp(BytesView token, BytesView stamped) {
  CS_ASSIGN(auto v, read_signed_data(token));
  if (!same(v.econtent_type, der::oid_or_die(kOidTstInfo)) || !v.econtent) return unsupported("not a TSTInfo token");
  TimeStamp ts;
  ts.tsa_cert = v.signer_cert;
  // A TSA's SM2 signer ID is the CA's setting (docs/PKI.md: GM/T 0009's, or OpenSSL's empty one
  // so that `openssl ts -verify` accepts the token): either is taken.
  bool sig_ok = signature_valid(v);
  if (!sig_ok && v.alg == pki::SigAlg::kSm2Sm3 && !v.signer_cert.empty()) {
    auto f = pki::read_certificate(v.signer_cert);
    sig_ok = f && pki::verify_signature(f->spki, v.alg, v.signed_attributes, v.signature, "").ok();
  }
  ts.signature_valid = sig_ok && same(v.message_digest, crypto::digest(v.digest, *v.econtent));
  // TSTInfo { version, policy, messageImprint { alg, hashedMessage }, serialNumber, genTime, ... }
  const Bytes& tst = *v.econtent;
  CS_ASSIGN(auto t, der::read_tlv(tst));
  CS_ASSIGN(auto f, children(t.content(tst)));
  if (f.size() < 5 || f[2].first.tag != der::kSequence) return malformed("TSTInfo");
  CS_ASSIGN(auto imprint, kids_of(f[2]));
  if (imprint.size() != 2 || imprint[1].first.tag != der::kOctetString) return malformed("messageImprint");
  auto h = hash_of(imprint[0].second);
  if (!h) return unsupported("time-stamp hash algorithm");
  ts.imprint_matches = same(inner(imprint[1]), crypto::digest(*h, stamped));
  CS_ASSIGN(ts.gen_time, parse_time(f[4].first, f[4].second));
  return ts;
}

Result<SysTime> read_time(BytesView tlv) {
  CS_ASSIGN(auto t, der::read_tlv(tlv));
  if (t.total() != tlv.size()) return malformed("time length");
  return parse_time(t, tlv);
}

Bytes timestamp_request(crypto::HashAlg h, BytesView data, BytesView nonce) {
  Bytes imprint = der::seq({pki::digest_algorithm_identifier(h), der::octet_string(crypto::digest(h, data))});
  return der::seq({der::integer(1), imprint, der::integer_unsigned(nonce), der::boolean(true)});
}

Result<Bytes> token_from_response(BytesView resp) {
  auto read = [&]() -> Result<Bytes> {
    CS_ASSIGN(auto t, der::read_tlv(resp));
    CS_ASSIGN(auto f, children(t.content(resp)));
    if (f.empty() || f[0].first.tag != der::kSequence) return malformed("TimeStampResp");
    CS_ASSIGN(auto status, kids_of(f[0]));
    if (status.empty() || status[0].first.tag != der::kInteger) return malformed("PKIStatusInfo");
    BytesView st = inner(status[0]);
    if (st.size() != 1 || st[0] > 1 || f.size() < 2) {
      return Error(ErrorKind::kUnavailable, "tsa_refused", "时间戳服务拒绝了请求");
    }
    return Bytes(f[1].second.begin(), f[1].second.end());
  };
  auto r = read();
  if (!r && r.error().code != "tsa_refused" && r.error().code != "cms_malformed") return malformed(r.error().code);
  return r;
}

}  // namespace certseal::docsign::pades
