// The cms target's differential for SignedData (docs/SECURITY.md "Fuzzing"): when pki::cms::verify
// accepts a message of the RFC 5652 form, OpenSSL must agree on what it is. Checked:
//   - d2i_CMS_ContentInfo reads it, with exactly one SignerInfo;
//   - the SignerInfo names the certificate ours verified with: same issuer, same serial;
//   - the SignerInfo's digest algorithm is the one ours used;
//   - OpenSSL's attribute rules hold: one content-type and one message-digest attribute with one
//     value each, at most one signing time;
//   - for ECDSA P-256 and RSA, `CMS_verify` (no certificate path: CMS_NO_SIGNER_CERT_VERIFY)
//     accepts it with the same content and the same signer certificate. OpenSSL 3.0 cannot verify
//     SM2 CMS, so SM2 messages get the checks above only.
// The other way round is not checked: ours refuses on purpose what DER forbids and OpenSSL (a BER
// reader) takes: indefinite lengths, unsorted signed attributes, impossible signing times,
// parameters other than absent or NULL on the algorithms.
// Kept apart from cms_fuzz.cpp so the EnvelopedData side of that file changes on its own.
#pragma once

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "pki/certificate.h"
#include "pki/cms_signed.h"
#include "pki/signer.h"

namespace certseal::fuzz {

namespace signed_data_oracle_detail {

inline void fail(const char* what) {
  std::fprintf(stderr, "signed_data_oracle: ours accepted a SignedData, but %s\n", what);
  std::abort();
}

inline std::string oid_text(const ASN1_OBJECT* o) {
  char buf[128];
  const int n = OBJ_obj2txt(buf, sizeof buf, o, 1);
  return n > 0 && static_cast<std::size_t>(n) < sizeof buf ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

inline bool same_der(X509* x, BytesView der) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(x, &out);
  const bool eq = n >= 0 && static_cast<std::size_t>(n) == der.size() && std::memcmp(out, der.data(), der.size()) == 0;
  OPENSSL_free(out);
  return eq;
}

}  // namespace signed_data_oracle_detail

inline void check_signed_data_against_openssl(BytesView der, std::optional<BytesView> detached,
                                              const pki::cms::Verified& v) {
  namespace d = signed_data_oracle_detail;
  if (v.form != pki::cms::Form::kRfc5652) return;  // OpenSSL knows no GM/T 0010 content types
  const unsigned char* p = der.data();
  CMS_ContentInfo* ci = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size()));
  if (ci == nullptr) d::fail("d2i_CMS_ContentInfo refuses it");
  STACK_OF(CMS_SignerInfo)* sis = CMS_get0_SignerInfos(ci);
  if (sis == nullptr || sk_CMS_SignerInfo_num(sis) != 1) d::fail("OpenSSL does not see one SignerInfo");
  CMS_SignerInfo* si = sk_CMS_SignerInfo_value(sis, 0);

  // The signer's identity: issuer and serial of the certificate ours verified with.
  auto facts = pki::read_certificate(v.certificate);
  if (!facts) d::fail("its signer certificate does not read again");
  ASN1_OCTET_STRING* keyid = nullptr;
  X509_NAME* issuer = nullptr;
  ASN1_INTEGER* serial = nullptr;
  if (CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial) != 1 || issuer == nullptr || serial == nullptr) {
    d::fail("OpenSSL reads no issuer and serial");
  }
  unsigned char* issuer_der = nullptr;
  const int issuer_len = i2d_X509_NAME(issuer, &issuer_der);
  const bool issuer_same = issuer_len >= 0 && static_cast<std::size_t>(issuer_len) == facts->issuer.size() &&
                           std::memcmp(issuer_der, facts->issuer.data(), facts->issuer.size()) == 0;
  OPENSSL_free(issuer_der);
  if (!issuer_same) d::fail("OpenSSL reads another issuer");
  if (ASN1_STRING_length(serial) < 0 ||
      static_cast<std::size_t>(ASN1_STRING_length(serial)) != facts->serial.size() ||
      std::memcmp(ASN1_STRING_get0_data(serial), facts->serial.data(), facts->serial.size()) != 0) {
    d::fail("OpenSSL reads another serial");
  }

  // The digest algorithm.
  X509_ALGOR* digest = nullptr;
  X509_ALGOR* sig = nullptr;
  CMS_SignerInfo_get0_algs(si, nullptr, nullptr, &digest, &sig);
  const ASN1_OBJECT* digest_oid = nullptr;
  if (digest != nullptr) X509_ALGOR_get0(&digest_oid, nullptr, nullptr, digest);
  if (digest_oid == nullptr ||
      d::oid_text(digest_oid) != std::string(pki::digest_oid(pki::digest_alg(v.alg)))) {
    d::fail("OpenSSL reads another digest algorithm");
  }

  // OpenSSL's attribute rules (its ossl_cms_si_check_attributes; lastpos -3: exactly one, with one
  // value).
  if (CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest), -3, V_ASN1_OCTET_STRING) == nullptr ||
      CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT) == nullptr) {
    d::fail("it has not one content type and one message digest");
  }
  const int first_time = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (first_time >= 0 && CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, first_time) >= 0) {
    d::fail("it has two signing times");
  }

  // The whole verification, where OpenSSL can.
  if (v.alg != pki::SigAlg::kSm2Sm3) {
    BIO* content = v.detached && detached ? BIO_new_mem_buf(detached->data(), static_cast<int>(detached->size())) : nullptr;
    BIO* out = BIO_new(BIO_s_mem());
    const int ok = CMS_verify(ci, nullptr, nullptr, content, out, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY);
    if (ok != 1) d::fail("CMS_verify refuses it");
    BUF_MEM* got = nullptr;
    BIO_get_mem_ptr(out, &got);
    if (got == nullptr || got->length != v.content.size() ||
        (got->length > 0 && std::memcmp(got->data, v.content.data(), got->length) != 0)) {
      d::fail("CMS_verify gives another content");
    }
    X509* signer = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, &signer, nullptr, nullptr);
    if (signer == nullptr || !d::same_der(signer, v.certificate)) d::fail("OpenSSL verified with another certificate");
    BIO_free(out);
    BIO_free(content);
  }
  CMS_ContentInfo_free(ci);
}

}  // namespace certseal::fuzz
