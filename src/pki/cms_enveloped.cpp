#include "pki/cms_enveloped.h"

#include <algorithm>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "pki/certificate.h"
#include "pki/der.h"

namespace certseal::pki::cms {
namespace {

constexpr std::string_view kSm2Encrypt = "1.2.156.10197.1.301.3";
constexpr std::string_view kSm4Cbc = "1.2.156.10197.1.104.2";
constexpr std::string_view kRsaEncryption = "1.2.840.113549.1.1.1";
constexpr std::string_view kRsaesOaep = "1.2.840.113549.1.1.7";
constexpr std::string_view kMgf1 = "1.2.840.113549.1.1.8";
constexpr std::string_view kSha1 = "1.3.14.3.2.26";
constexpr std::string_view kSha256 = "2.16.840.1.101.3.4.2.1";
constexpr std::string_view kAes128Cbc = "2.16.840.1.101.3.4.1.2";
constexpr std::string_view kAes192Cbc = "2.16.840.1.101.3.4.1.22";
constexpr std::string_view kAes256Cbc = "2.16.840.1.101.3.4.1.42";
constexpr std::string_view kDes3Cbc = "1.2.840.113549.3.7";
constexpr std::string_view kEcPublicKey = "1.2.840.10045.2.1";
constexpr std::string_view kPrime256v1 = "1.2.840.10045.3.1.7";
constexpr std::string_view kStdDhSha1Kdf = "1.3.133.16.840.63.0.2";
constexpr std::string_view kStdDhSha224Kdf = "1.3.132.1.11.0";
constexpr std::string_view kStdDhSha256Kdf = "1.3.132.1.11.1";
constexpr std::string_view kStdDhSha384Kdf = "1.3.132.1.11.2";
constexpr std::string_view kStdDhSha512Kdf = "1.3.132.1.11.3";
constexpr std::string_view kAes128Wrap = "2.16.840.1.101.3.4.1.5";
constexpr std::string_view kAes192Wrap = "2.16.840.1.101.3.4.1.25";
constexpr std::string_view kAes256Wrap = "2.16.840.1.101.3.4.1.45";
constexpr std::string_view kCms3DesWrap = "1.2.840.113549.1.9.16.3.6";
constexpr std::string_view kAuthEnvelopedData = "1.2.840.113549.1.9.16.1.23";
constexpr std::string_view kAes128Gcm = "2.16.840.1.101.3.4.1.6";
constexpr std::string_view kAes192Gcm = "2.16.840.1.101.3.4.1.26";
constexpr std::string_view kAes256Gcm = "2.16.840.1.101.3.4.1.46";
constexpr std::string_view kAttrContentType = "1.2.840.113549.1.9.3";
constexpr std::size_t kGcmNonce = 12;
constexpr std::size_t kGcmTagWritten = 16;

Error malformed(std::string why) {
  return Error(ErrorKind::kInvalidArgument, "cms_malformed", "the CMS message is malformed", std::move(why));
}
Error unsupported(std::string what) {
  return Error(ErrorKind::kInvalidArgument, "cms_unsupported", "unsupported CMS message: " + what);
}

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

// An INTEGER (tag and content) in DER: content not empty and minimal two's complement, no leading
// 0x00 or 0xFF that the next byte's top bit makes redundant (X.690 §8.3.2). OpenSSL refuses the
// others, so an envelope with one is no envelope other readers read.
bool der_integer(const std::pair<der::Tlv, BytesView>& f) {
  if (f.first.tag != der::kInteger) return false;
  const BytesView c = f.first.content(f.second);
  if (c.empty()) return false;
  return !(c.size() > 1 && ((c[0] == 0x00 && !(c[1] & 0x80)) || (c[0] == 0xff && (c[1] & 0x80))));
}

// The parameters of an AlgorithmIdentifier (the fields after its OID) are absent or NULL: what
// the key transport and key wrap algorithms read here take (RFC 8017 A.1 rsaEncryption: NULL;
// GM/T 0010 SM2: absent or NULL; RFC 3565 AES wrap: absent; RFC 3370 §4.3.1 3DES wrap: NULL).
// Anything else is refused, as OpenSSL refuses an ANY that is no well-formed value (an empty
// BIT STRING, say) and would not read the envelope.
bool params_absent_or_null(const std::vector<std::pair<der::Tlv, BytesView>>& alg) {
  return alg.size() == 1 || (alg.size() == 2 && alg[1].first.tag == der::kNull && alg[1].first.length == 0);
}

// RSAES-OAEP-params (RFC 4055 §4.1 / RFC 8017 A.2.1): hash SHA-1 (the default) or SHA-256, MGF1
// with the same hash, the default (empty) label.
Result<KeyTransport> oaep_params(const std::vector<std::pair<der::Tlv, BytesView>>& kalg) {
  std::string_view hash = kSha1, mgf_hash = kSha1;
  if (kalg.size() > 2) return malformed("RSAES-OAEP parameters");
  if (kalg.size() == 2) {
    if (kalg[1].first.tag != der::kSequence) return malformed("RSAES-OAEP parameters");
    CS_ASSIGN(auto params, children(kalg[1].first.content(kalg[1].second)));
    for (const auto& [t, whole] : params) {
      CS_ASSIGN(auto inner, children(t.content(whole)));
      if (inner.size() != 1 || inner[0].first.tag != der::kSequence) return malformed("RSAES-OAEP parameter");
      CS_ASSIGN(auto alg, children(inner[0].first.content(inner[0].second)));
      if (alg.empty()) return malformed("RSAES-OAEP algorithm");
      auto which = [&](BytesView oid) -> Result<std::string_view> {
        if (same(oid, der::oid_or_die(kSha1))) return kSha1;
        if (same(oid, der::oid_or_die(kSha256))) return kSha256;
        return unsupported("OAEP hash");
      };
      if (t.tag == der::context(0, true)) {
        CS_ASSIGN(hash, which(alg[0].second));
      } else if (t.tag == der::context(1, true)) {
        if (!same(alg[0].second, der::oid_or_die(kMgf1)) || alg.size() != 2) return unsupported("OAEP mask generation");
        CS_ASSIGN(auto mh, children(alg[1].first.content(alg[1].second)));
        if (alg[1].first.tag != der::kSequence || mh.empty()) return malformed("MGF1 hash");
        CS_ASSIGN(mgf_hash, which(mh[0].second));
      } else {
        return unsupported("OAEP label");
      }
    }
  }
  if (hash != mgf_hash) return unsupported("OAEP with different hashes");
  return hash == kSha1 ? KeyTransport::kRsaOaepSha1 : KeyTransport::kRsaOaepSha256;
}

// KeyAgreeRecipientInfo (RFC 5652 §6.2.2, RFC 5753 §3.1.1): [1] { version 3, originator [0]
// { originatorKey [1] { algorithm, publicKey } }, ukm [1] OPTIONAL, keyEncryptionAlgorithm
// { scheme, wrap AlgorithmIdentifier }, recipientEncryptedKeys { { rid, encryptedKey } } }.
Status parse_kari(BytesView content, Enveloped& e) {
  CS_ASSIGN(auto f, children(content));
  std::size_t i = 0;
  if (f.size() < 4 || !der_integer(f[i])) return malformed("KeyAgreeRecipientInfo version");
  ++i;
  if (f[i].first.tag != der::context(0, true)) return malformed("originator");
  CS_ASSIGN(auto orig, children(f[i].first.content(f[i].second)));
  if (orig.size() != 1 || orig[0].first.tag != der::context(1, true)) return unsupported("originator not a public key");
  CS_ASSIGN(auto opk, children(orig[0].first.content(orig[0].second)));
  if (opk.size() != 2 || opk[0].first.tag != der::kSequence || opk[1].first.tag != der::kBitString) {
    return malformed("OriginatorPublicKey");
  }
  CS_ASSIGN(auto oalg, children(opk[0].first.content(opk[0].second)));
  if (oalg.empty() || !same(oalg[0].second, der::oid_or_die(kEcPublicKey))) return unsupported("originator key type");
  if (oalg.size() == 2 && oalg[1].first.tag == der::kOid && !same(oalg[1].second, der::oid_or_die(kPrime256v1))) {
    return unsupported("originator curve");
  }
  // Parameters: absent, NULL or the P-256 OID (RFC 5753 §7.1.2 lets the originator omit them).
  if (!params_absent_or_null(oalg) && !(oalg.size() == 2 && oalg[1].first.tag == der::kOid)) {
    return malformed("originator key algorithm parameters");
  }
  BytesView bits = opk[1].first.content(opk[1].second);
  if (bits.size() != 66 || bits[0] != 0 || bits[1] != 0x04) return unsupported("originator point (not uncompressed P-256)");
  e.originator_point.assign(bits.begin() + 1, bits.end());
  ++i;
  if (f[i].first.tag == der::context(1, true)) {
    CS_ASSIGN(auto u, children(f[i].first.content(f[i].second)));
    if (u.size() != 1 || u[0].first.tag != der::kOctetString) return malformed("ukm");
    BytesView ukm = u[0].first.content(u[0].second);
    e.ukm.assign(ukm.begin(), ukm.end());
    ++i;
  }
  if (f.size() != i + 2 || f[i].first.tag != der::kSequence || f[i + 1].first.tag != der::kSequence) {
    return malformed("KeyAgreeRecipientInfo");
  }
  CS_ASSIGN(auto kea, children(f[i].first.content(f[i].second)));
  if (kea.size() != 2 || kea[1].first.tag != der::kSequence) return malformed("keyEncryptionAlgorithm");
  const std::pair<std::string_view, crypto::KdfHash> schemes[] = {
      {kStdDhSha1Kdf, crypto::KdfHash::kSha1},     {kStdDhSha224Kdf, crypto::KdfHash::kSha224},
      {kStdDhSha256Kdf, crypto::KdfHash::kSha256}, {kStdDhSha384Kdf, crypto::KdfHash::kSha384},
      {kStdDhSha512Kdf, crypto::KdfHash::kSha512}};
  bool known = false;
  for (const auto& [oid, h] : schemes) {
    if (same(kea[0].second, der::oid_or_die(oid))) {
      e.kdf = h;
      known = true;
    }
  }
  if (!known) return unsupported("key agreement scheme");
  e.wrap_algorithm.assign(kea[1].second.begin(), kea[1].second.end());
  CS_ASSIGN(auto wrap, children(kea[1].first.content(kea[1].second)));
  if (wrap.empty()) return malformed("key wrap algorithm");
  if (!params_absent_or_null(wrap)) return malformed("key wrap parameters");
  const std::pair<std::string_view, KeyWrap> wraps[] = {{kAes128Wrap, KeyWrap::kAes128},
                                                        {kAes192Wrap, KeyWrap::kAes192},
                                                        {kAes256Wrap, KeyWrap::kAes256},
                                                        {kCms3DesWrap, KeyWrap::kCms3Des}};
  known = false;
  for (const auto& [oid, w] : wraps) {
    if (same(wrap[0].second, der::oid_or_die(oid))) {
      e.wrap = w;
      known = true;
    }
  }
  if (!known) return unsupported("key wrap");
  CS_ASSIGN(auto reks, children(f[i + 1].first.content(f[i + 1].second)));
  if (reks.size() != 1 || reks[0].first.tag != der::kSequence) return unsupported("one recipient is supported");
  CS_ASSIGN(auto rek, children(reks[0].first.content(reks[0].second)));
  if (rek.size() != 2 || rek[0].first.tag != der::kSequence || rek[1].first.tag != der::kOctetString) {
    return unsupported("rid by issuer and serial only");
  }
  CS_ASSIGN(auto rid, children(rek[0].first.content(rek[0].second)));
  if (rid.size() != 2 || rid[1].first.tag != der::kInteger) return unsupported("rid by issuer and serial only");
  if (!der_integer(rid[1])) return malformed("recipient serial is not a DER INTEGER");
  if (!is_name_der(rid[0].second)) return malformed("recipient issuer is not a Name");
  e.recipient_issuer.assign(rid[0].second.begin(), rid[0].second.end());
  BytesView serial = rid[1].first.content(rid[1].second);
  while (serial.size() > 1 && serial[0] == 0) serial = serial.subspan(1);
  e.recipient_serial.assign(serial.begin(), serial.end());
  BytesView ek = rek[1].first.content(rek[1].second);
  e.encrypted_key.assign(ek.begin(), ek.end());
  e.key_transport = KeyTransport::kEcdh;
  return {};
}

// GCMParameters (RFC 5084 §3.2): SEQUENCE { aes-nonce OCTET STRING (12 octets here: what OpenSSL
// reads), aes-ICVlen INTEGER (12..16) DEFAULT 12 }.
Status parse_gcm_parameters(const std::pair<der::Tlv, BytesView>& p, Enveloped& e) {
  if (p.first.tag != der::kSequence) return malformed("GCMParameters");
  CS_ASSIGN(auto f, children(p.first.content(p.second)));
  if (f.empty() || f.size() > 2 || f[0].first.tag != der::kOctetString) return malformed("GCMParameters");
  BytesView nonce = f[0].first.content(f[0].second);
  if (nonce.size() != kGcmNonce) return malformed("the GCM nonce is not 12 octets");
  e.iv.assign(nonce.begin(), nonce.end());
  e.icv_len = 12;  // the DEFAULT
  if (f.size() == 2) {
    if (!der_integer(f[1])) return malformed("aes-ICVlen");
    BytesView v = f[1].first.content(f[1].second);
    if (v.size() != 1 || v[0] < 12 || v[0] > 16) return malformed("aes-ICVlen is not 12 to 16");
    e.icv_len = v[0];
  }
  return {};
}

// What follows authEncryptedContentInfo (RFC 5083 §2.1): authAttrs [1] IMPLICIT SET OF Attribute
// OPTIONAL, mac OCTET STRING, unauthAttrs [2] OPTIONAL (refused here).
Status parse_auth_tail(const std::vector<std::pair<der::Tlv, BytesView>>& ed, std::size_t j, Enveloped& e) {
  if (j < ed.size() && ed[j].first.tag == der::context(1, true)) {
    const BytesView attrs = ed[j].first.content(ed[j].second);
    CS_ASSIGN(auto list, children(attrs));
    if (list.empty()) return malformed("authAttrs");
    for (const auto& [t, whole] : list) {
      if (t.tag != der::kSequence) return malformed("authAttrs attribute");
      CS_ASSIGN(auto a, children(t.content(whole)));
      if (a.size() != 2 || a[0].first.tag != der::kOid || a[1].first.tag != der::kSet) {
        return malformed("authAttrs attribute");
      }
      CS_ASSIGN(auto values, children(a[1].first.content(a[1].second)));
      if (values.empty()) return malformed("authAttrs attribute values");
      if (same(a[0].second, der::oid_or_die(kAttrContentType)) &&
          (values.size() != 1 || !same(values[0].second, der::oid_or_die(data_oid(Form::kRfc5652))))) {
        return unsupported("content-type attribute other than id-data");
      }
    }
    // The additional data: the attributes' DER with the SET OF tag in place of [1] (RFC 5083 §2.2).
    e.aad = der::tlv(der::kSet, attrs);
    ++j;
  }
  if (j >= ed.size() || ed[j].first.tag != der::kOctetString) return malformed("no mac");
  BytesView mac = ed[j].first.content(ed[j].second);
  if (mac.size() != e.icv_len) return malformed("the mac's length is not aes-ICVlen");
  e.mac.assign(mac.begin(), mac.end());
  ++j;
  if (j < ed.size()) {
    if (ed[j].first.tag == der::context(2, true)) return unsupported("unauthenticated attributes");
    return malformed("AuthEnvelopedData fields");
  }
  return {};
}

Result<Enveloped> parse(BytesView in) {
  Enveloped e;
  CS_ASSIGN(auto outer, der::read_tlv(in));
  if (outer.tag != der::kSequence || outer.total() != in.size()) return malformed("ContentInfo");
  CS_ASSIGN(auto ci, children(outer.content(in)));
  if (ci.size() != 2 || ci[1].first.tag != der::context(0, true)) return malformed("ContentInfo fields");
  if (same(ci[0].second, der::oid_or_die(enveloped_data_oid(Form::kGmt0010)))) e.form = Form::kGmt0010;
  else if (same(ci[0].second, der::oid_or_die(kAuthEnvelopedData))) e.authenticated = true;
  else if (!same(ci[0].second, der::oid_or_die(enveloped_data_oid(Form::kRfc5652)))) return unsupported("not EnvelopedData");
  CS_ASSIGN(auto ed_outer, children(ci[1].first.content(ci[1].second)));
  if (ed_outer.size() != 1 || ed_outer[0].first.tag != der::kSequence) return malformed("EnvelopedData");
  CS_ASSIGN(auto ed, children(ed_outer[0].first.content(ed_outer[0].second)));
  if (ed.empty() || !der_integer(ed[0])) return malformed("EnvelopedData version");
  // RFC 5083 §2.1: the AuthEnvelopedData version is 0.
  if (e.authenticated && !same(ed[0].second, der::integer(0))) return malformed("AuthEnvelopedData version");
  std::size_t i = 1;
  if (ed.size() > i && ed[i].first.tag == der::context(0, true)) ++i;  // originatorInfo
  if (ed.size() < i + 2 || ed[i].first.tag != der::kSet) return malformed("recipientInfos");
  CS_ASSIGN(auto ris, children(ed[i].first.content(ed[i].second)));
  if (ris.size() != 1) return unsupported("one recipient is supported");
  if (ris[0].first.tag == der::context(1, true)) {
    CS_TRY(parse_kari(ris[0].first.content(ris[0].second), e));
  } else {
  CS_ASSIGN(auto ri, children(ris[0].first.content(ris[0].second)));
  if (ris[0].first.tag != der::kSequence || ri.size() != 4) return unsupported("only key transport or agreement recipients");
  if (!der_integer(ri[0])) return malformed("KeyTransRecipientInfo version");
  if (ri[1].first.tag != der::kSequence || ri[2].first.tag != der::kSequence) return malformed("KeyTransRecipientInfo");
  CS_ASSIGN(auto rid, children(ri[1].first.content(ri[1].second)));
  if (rid.size() != 2 || rid[1].first.tag != der::kInteger) return unsupported("rid by issuer and serial only");
  if (!der_integer(rid[1])) return malformed("recipient serial is not a DER INTEGER");
  if (!is_name_der(rid[0].second)) return malformed("recipient issuer is not a Name");
  e.recipient_issuer.assign(rid[0].second.begin(), rid[0].second.end());
  BytesView serial = rid[1].first.content(rid[1].second);
  while (serial.size() > 1 && serial[0] == 0) serial = serial.subspan(1);
  e.recipient_serial.assign(serial.begin(), serial.end());
  CS_ASSIGN(auto kalg, children(ri[2].first.content(ri[2].second)));
  if (kalg.empty()) return malformed("keyEncryptionAlgorithm");
  if (same(kalg[0].second, der::oid_or_die(kSm2Encrypt))) {
    e.key_transport = KeyTransport::kSm2;
  } else if (same(kalg[0].second, der::oid_or_die(kRsaEncryption))) {
    e.key_transport = KeyTransport::kRsaPkcs1;
  } else if (same(kalg[0].second, der::oid_or_die(kRsaesOaep))) {
    CS_ASSIGN(e.key_transport, oaep_params(kalg));
  } else {
    return unsupported("key encryption");
  }
  if ((e.key_transport == KeyTransport::kSm2 || e.key_transport == KeyTransport::kRsaPkcs1) &&
      !params_absent_or_null(kalg)) {
    return malformed("keyEncryptionAlgorithm parameters");
  }
  if (ri[3].first.tag != der::kOctetString) return malformed("encryptedKey");
  BytesView ek = ri[3].first.content(ri[3].second);
  e.encrypted_key.assign(ek.begin(), ek.end());
  }
  if (ed[i + 1].first.tag != der::kSequence) return malformed("EncryptedContentInfo");
  CS_ASSIGN(auto eci, children(ed[i + 1].first.content(ed[i + 1].second)));
  if (eci.size() != 3 || eci[2].first.tag != der::context(0, false)) return malformed("EncryptedContentInfo");
  if (!same(eci[0].second, der::oid_or_die(data_oid(e.form)))) return unsupported("content type");
  if (eci[1].first.tag != der::kSequence) return malformed("contentEncryptionAlgorithm");
  CS_ASSIGN(auto calg, children(eci[1].first.content(eci[1].second)));
  if (calg.size() != 2) return unsupported("content encryption");
  const std::pair<std::string_view, std::size_t> gcms[] = {{kAes128Gcm, 16}, {kAes192Gcm, 24}, {kAes256Gcm, 32}};
  bool gcm = false;
  for (const auto& [oid, size] : gcms) {
    if (same(calg[0].second, der::oid_or_die(oid))) {
      gcm = true;
      e.cipher = ContentCipher::kAesGcm;
      e.content_key_size = size;
    }
  }
  // An AEAD cipher goes in AuthEnvelopedData and only there (OpenSSL refuses GCM in
  // EnvelopedData: no tag; a CBC cipher in AuthEnvelopedData authenticates nothing).
  if (gcm != e.authenticated) {
    return unsupported(gcm ? "GCM in EnvelopedData" : "AuthEnvelopedData without AES-GCM");
  }
  if (gcm) {
    CS_TRY(parse_gcm_parameters(calg[1], e));
  } else if (calg[1].first.tag != der::kOctetString) {
    return unsupported("content encryption");
  } else if (same(calg[0].second, der::oid_or_die(kSm4Cbc))) {
    e.cipher = ContentCipher::kSm4Cbc;
    e.content_key_size = 16;
  } else if (same(calg[0].second, der::oid_or_die(kAes128Cbc))) {
    e.cipher = ContentCipher::kAesCbc;
    e.content_key_size = 16;
  } else if (same(calg[0].second, der::oid_or_die(kAes192Cbc))) {
    e.cipher = ContentCipher::kAesCbc;
    e.content_key_size = 24;
  } else if (same(calg[0].second, der::oid_or_die(kAes256Cbc))) {
    e.cipher = ContentCipher::kAesCbc;
    e.content_key_size = 32;
  } else if (same(calg[0].second, der::oid_or_die(kDes3Cbc)) && e.key_transport == KeyTransport::kEcdh) {
    e.cipher = ContentCipher::kDes3Cbc;
    e.content_key_size = 24;
  } else {
    return unsupported("content encryption");
  }
  if ((e.key_transport == KeyTransport::kSm2) != (e.cipher == ContentCipher::kSm4Cbc)) {
    return unsupported("SM2 key transport goes with SM4 content encryption, RSA with AES");
  }
  if (!gcm) {
    BytesView iv = calg[1].first.content(calg[1].second);
    e.iv.assign(iv.begin(), iv.end());
    if (e.iv.size() != (e.cipher == ContentCipher::kDes3Cbc ? 8u : 16u)) return malformed("IV");
  }
  BytesView ct = eci[2].first.content(eci[2].second);
  e.encrypted_content.assign(ct.begin(), ct.end());
  if (e.authenticated) CS_TRY(parse_auth_tail(ed, i + 2, e));
  if (e.key_transport == KeyTransport::kEcdh) {
    // The wrap's key size must fit the content key (RFC 5753 §3.1.1 pairs them).
    const bool des = e.cipher == ContentCipher::kDes3Cbc;
    if (des != (e.wrap == KeyWrap::kCms3Des)) return unsupported("key wrap and content cipher do not match");
  }
  return e;
}

// The content part of an envelope to an RSA or P-256 certificate under the content key `cek`
// (32 bytes), with the recipient info `ri` made for it: AES-256-GCM AuthEnvelopedData (version 0,
// the tag in `mac`) or AES-256-CBC EnvelopedData (version `cbc_version`: 0 with a
// KeyTransRecipientInfo, 2 with a KeyAgreeRecipientInfo; RFC 5652 §6.1).
Result<Bytes> international_envelope(ContentEncryption enc, BytesView cek, const Bytes& ri, int cbc_version,
                                     BytesView content, Rng& rng) {
  const Bytes data = der::oid_or_die(data_oid(Form::kRfc5652));
  if (enc == ContentEncryption::kAesCbc) {
    const Bytes iv = rng.bytes(16);
    CS_ASSIGN(auto ct, crypto::aes_cbc_encrypt(cek, iv, content));
    const Bytes eci = der::seq({data, der::seq({der::oid_or_die(kAes256Cbc), der::octet_string(iv)}),
                                der::implicit(0, false, ct)});
    const Bytes ed = der::seq({der::integer(cbc_version), der::set_of({ri}), eci});
    return der::seq({der::oid_or_die(enveloped_data_oid(Form::kRfc5652)), der::explicit_tag(0, ed)});
  }
  const Bytes nonce = rng.bytes(kGcmNonce);
  Bytes tag;
  CS_ASSIGN(auto ct, crypto::aes_gcm_encrypt(cek, nonce, {}, content, kGcmTagWritten, &tag));
  const Bytes eci = der::seq({data, der::seq({der::oid_or_die(kAes256Gcm), gcm_parameters(nonce, kGcmTagWritten)}),
                              der::implicit(0, false, ct)});
  const Bytes aed = der::seq({der::integer(0), der::set_of({ri}), eci, der::octet_string(tag)});
  return der::seq({der::oid_or_die(kAuthEnvelopedData), der::explicit_tag(0, aed)});
}

// RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 4055 §4.1; hash parameters absent, RFC 5754 §2);
// RFC 5652 OIDs.
Result<Bytes> rsa_enveloped(const crypto::PublicKey& key, const CertFacts& facts, BytesView content, Rng& rng,
                            ContentEncryption enc) {
  const SecretBytes cek = [&] {
    const Bytes k = rng.bytes(32);
    return SecretBytes(k.begin(), k.end());
  }();
  const BytesView cekv(cek.data(), cek.size());
  CS_ASSIGN(auto ek, crypto::encrypt(key, crypto::EncryptScheme::kRsaOaepSha256, cekv));
  const Bytes sha256 = der::seq({der::oid_or_die(kSha256)});
  const Bytes oaep = der::seq({der::oid_or_die(kRsaesOaep),
                               der::seq({der::explicit_tag(0, sha256),
                                         der::explicit_tag(1, der::seq({der::oid_or_die(kMgf1), sha256}))})});
  Bytes rid = der::seq({facts.issuer, der::integer_unsigned(facts.serial)});
  Bytes ktri = der::seq({der::integer(0), rid, oaep, der::octet_string(ek)});
  return international_envelope(enc, cekv, ktri, 0, content, rng);
}

// ECC-CMS-SharedInfo (RFC 5753 §7.2): keyInfo (the wrap AlgorithmIdentifier as sent),
// entityUInfo [0] (the ukm, when present), suppPubInfo [2] (the KEK length in bits, 32-bit).
Bytes shared_info(BytesView wrap_algorithm, BytesView ukm, std::size_t kek_bytes) {
  const std::uint32_t bits = static_cast<std::uint32_t>(kek_bytes * 8);
  const std::uint8_t len[4] = {static_cast<std::uint8_t>(bits >> 24), static_cast<std::uint8_t>(bits >> 16),
                               static_cast<std::uint8_t>(bits >> 8), static_cast<std::uint8_t>(bits)};
  const Bytes supp = der::explicit_tag(2, der::octet_string(BytesView(len, 4)));
  if (ukm.empty()) return der::seq({wrap_algorithm, supp});
  return der::seq({wrap_algorithm, der::explicit_tag(0, der::octet_string(ukm)), supp});
}

std::size_t kek_size(KeyWrap w) {
  switch (w) {
    case KeyWrap::kAes128: return 16;
    case KeyWrap::kAes192: return 24;
    case KeyWrap::kAes256: return 32;
    case KeyWrap::kCms3Des: return 24;
  }
  return 32;
}

// Ephemeral-static ECDH to a P-256 certificate: dhSinglePass-stdDH-sha256kdf-scheme,
// id-aes256-wrap, no ukm.
Result<Bytes> ec_enveloped(const crypto::PublicKey& key, const CertFacts& facts, BytesView content, Rng& rng,
                           ContentEncryption enc) {
  const Bytes cek = rng.bytes(32);
  CS_ASSIGN(auto eph, crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng));
  crypto::EvpPkeyCtx dctx(EVP_PKEY_CTX_new_from_pkey(nullptr, eph.get(), nullptr));
  std::size_t zlen = 0;
  if (!dctx || EVP_PKEY_derive_init(dctx.get()) != 1 || EVP_PKEY_derive_set_peer(dctx.get(), key.get()) != 1 ||
      EVP_PKEY_derive(dctx.get(), nullptr, &zlen) != 1) {
    return crypto::openssl_internal("EVP_PKEY_derive");
  }
  SecretBytes z(zlen);
  if (EVP_PKEY_derive(dctx.get(), z.data(), &zlen) != 1) return crypto::openssl_internal("EVP_PKEY_derive");
  const Bytes wrap_alg = der::seq({der::oid_or_die(kAes256Wrap)});
  const Bytes info = shared_info(wrap_alg, {}, 32);
  SecretBytes kek = crypto::x963_kdf(crypto::KdfHash::kSha256, BytesView(z.data(), z.size()), info, 32);
  CS_ASSIGN(auto wrapped, crypto::aes_key_wrap(BytesView(kek.data(), kek.size()), cek));
  CS_ASSIGN(auto point, eph.public_key().ec_point());
  const Bytes originator =
      der::explicit_tag(0, der::implicit(1, true, der::concat({der::seq({der::oid_or_die(kEcPublicKey)}),
                                                                   der::bit_string(point)})));
  const Bytes rid = der::seq({facts.issuer, der::integer_unsigned(facts.serial)});
  const Bytes rek = der::seq({der::seq({rid, der::octet_string(wrapped)})});
  const Bytes kari = der::implicit(1, true, der::concat({der::integer(3), originator,
                                                          der::seq({der::oid_or_die(kStdDhSha256Kdf), wrap_alg}), rek}));
  return international_envelope(enc, cek, kari, 2, content, rng);
}

}  // namespace

Result<SecretBytes> kari_unwrap(const Enveloped& e, BytesView z) {
  if (e.key_transport != KeyTransport::kEcdh) return unsupported("not a key agreement envelope");
  const std::size_t kek_len = kek_size(e.wrap);
  const Bytes info = shared_info(e.wrap_algorithm, e.ukm, kek_len);
  SecretBytes kek = crypto::x963_kdf(e.kdf, z, info, kek_len);
  const BytesView k(kek.data(), kek.size());
  auto cek = e.wrap == KeyWrap::kCms3Des ? crypto::cms3des_unwrap(k, e.encrypted_key)
                                         : crypto::aes_key_unwrap(k, e.encrypted_key);
  if (!cek || cek->size() != e.content_key_size) {
    return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the wrapped content key does not unwrap");
  }
  return cek;
}

std::string_view content_encryption_name(ContentEncryption c) {
  return c == ContentEncryption::kAesCbc ? "aes-256-cbc" : "aes-256-gcm";
}
std::optional<ContentEncryption> content_encryption_from_name(std::string_view name) {
  if (name == "aes-256-gcm") return ContentEncryption::kAesGcm;
  if (name == "aes-256-cbc") return ContentEncryption::kAesCbc;
  return std::nullopt;
}

Bytes gcm_parameters(BytesView nonce, std::size_t icv_len) {
  if (icv_len == 12) return der::seq({der::octet_string(nonce)});
  return der::seq({der::octet_string(nonce), der::integer(static_cast<std::int64_t>(icv_len))});
}

Result<Bytes> enveloped_data(Form form, BytesView recipient_certificate, BytesView content, Rng& rng,
                             ContentEncryption encryption) {
  auto facts = read_certificate(recipient_certificate);
  if (!facts) return invalid_argument("bad_certificate", "the recipient's certificate does not parse");
  auto key = crypto::PublicKey::from_spki_der(facts->spki);
  if (key && (key->type() == crypto::KeyType::kRsa2048 || key->type() == crypto::KeyType::kRsa3072)) {
    return rsa_enveloped(*key, *facts, content, rng, encryption);
  }
  if (key && key->type() == crypto::KeyType::kEcP256) return ec_enveloped(*key, *facts, content, rng, encryption);
  if (!key || key->type() != crypto::KeyType::kSm2) {
    return invalid_argument("unsupported_recipient", "envelopes go to SM2, RSA or P-256 certificates only");
  }
  const Bytes cek = rng.bytes(16), iv = rng.bytes(16);
  CS_ASSIGN(auto ct, crypto::sm4_cbc_encrypt(cek, iv, content));
  CS_ASSIGN(auto raw, crypto::sm2_encrypt(*key, cek, crypto::Sm2CipherOrder::kC1C3C2));
  CS_ASSIGN(auto parsed, crypto::Sm2Ciphertext::parse_raw(raw, crypto::Sm2CipherOrder::kC1C3C2));
  Bytes rid = der::seq({facts->issuer, der::integer_unsigned(facts->serial)});
  Bytes ktri = der::seq({der::integer(0), rid, der::seq({der::oid_or_die(kSm2Encrypt)}), der::octet_string(parsed.der())});
  Bytes eci = der::seq({der::oid_or_die(data_oid(form)), der::seq({der::oid_or_die(kSm4Cbc), der::octet_string(iv)}),
                        der::implicit(0, false, ct)});
  Bytes ed = der::seq({der::integer(0), der::set_of({ktri}), eci});
  return der::seq({der::oid_or_die(enveloped_data_oid(form)), der::explicit_tag(0, ed)});
}

Result<Enveloped> parse_enveloped(BytesView der) {
  auto e = parse(der);
  if (!e && e.error().code.rfind("cms_", 0) != 0) return malformed(e.error().code);
  return e;
}

Result<Bytes> open_content(const Enveloped& e, BytesView content_key) {
  if (content_key.size() != e.content_key_size) {
    return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the content key has the wrong length");
  }
  if (e.cipher == ContentCipher::kAesGcm) {
    auto plain = crypto::aes_gcm_decrypt(content_key, e.iv, e.aad, e.encrypted_content, e.mac);
    if (!plain) return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the content does not decrypt");
    return Bytes(plain->begin(), plain->end());
  }
  auto plain = e.cipher == ContentCipher::kSm4Cbc    ? crypto::sm4_cbc_decrypt(content_key, e.iv, e.encrypted_content)
               : e.cipher == ContentCipher::kDes3Cbc ? crypto::des3_cbc_decrypt(content_key, e.iv, e.encrypted_content)
                                                     : crypto::aes_cbc_decrypt(content_key, e.iv, e.encrypted_content);
  if (!plain) return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the content does not decrypt");
  return Bytes(plain->begin(), plain->end());
}

}  // namespace certseal::pki::cms
