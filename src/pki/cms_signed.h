// CMS SignedData (RFC 5652 §5) assembled in DER by our own code, so that a signature made through
// the two-party protocol (the key is never whole: no EVP_PKEY can sign) goes into an ordinary CMS
// message. OpenSSL 3.0 cannot sign CMS with SM2 at all.
//
// Two forms of the same structure (chosen by the relying party):
//   kRfc5652  content types id-data 1.2.840.113549.1.7.1 / id-signedData 1.2.840.113549.1.7.2;
//             for SM2 the digest is SM3 (1.2.156.10197.1.401) and the signature algorithm
//             SM2-with-SM3 (1.2.156.10197.1.501), the RFC 5652 shape with SM OIDs.
//   kGmt0010  GM/T 0010-2012 §6-§8: data 1.2.156.10197.6.1.4.2.1 / signedData
//             1.2.156.10197.6.1.4.2.2, signature algorithm SM2-1 (1.2.156.10197.1.301.1).
// ECDSA P-256 (ecdsa-with-SHA256) and RSA (sha256WithRSAEncryption) certificates always use
// kRfc5652 with SHA-256; `openssl cms -verify` accepts those.
//
// The signer always includes signed attributes (§5.3: content-type, signing-time, message-digest),
// and the signature covers their DER encoding as a SET OF (explicit tag 0x31, §5.4), which is what
// signed_attributes() returns. SM2 signatures use the signer ID 1234567812345678 (GM/T 0009).
//
// Contract: pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "pki/signer.h"

namespace certseal::pki::cms {

enum class Form { kRfc5652, kGmt0010 };
std::string_view form_name(Form f);  // "rfc5652" | "gmt0010"
Result<Form> form_from_name(std::string_view name);

std::string_view data_oid(Form f);
std::string_view signed_data_oid(Form f);
std::string_view enveloped_data_oid(Form f);

// The digest a signer with this algorithm uses (SM3 for SM2, else SHA-256).
crypto::HashAlg digest_for(SigAlg alg);

// The DER SET OF the three signed attributes: what the signer signs.
Bytes signed_attributes(Form form, crypto::HashAlg digest, BytesView content, SysTime signing_time);

struct SignedDataParts {
  Form form = Form::kRfc5652;
  SigAlg alg = SigAlg::kSm2Sm3;
  Bytes certificate;        // the signer's certificate, DER
  Bytes content;            // the signed content
  bool detached = false;    // leave the content out of encapContentInfo
  SysTime signing_time;
  Bytes signature;          // DER ECDSA/SM2 SEQUENCE{r,s} or the RSA block, over signed_attributes()
  // An RFC 3161 TimeStampToken (ContentInfo DER) over the signature value, carried as the
  // unsigned attribute id-aa-timeStampToken (RFC 3161 appendix A).
  std::optional<Bytes> timestamp_token;
};
// ContentInfo { signedData, SignedData } DER. Errors: bad_certificate.
Result<Bytes> signed_data(const SignedDataParts& p);

// What verify() found.
struct Verified {
  Form form = Form::kRfc5652;
  SigAlg alg = SigAlg::kSm2Sm3;
  Bytes certificate;  // the signer's, from the message
  Bytes content;      // encapsulated, or the detached content given
  SysTime signing_time;
  Bytes signed_attributes;  // DER SET OF (what the signature covers)
  Bytes signature;
  bool detached = false;
  std::optional<Bytes> timestamp_token;  // the unsigned id-aa-timeStampToken attribute, unchecked
};
// Parses a SignedData we or others made (one signer, signed attributes present, signer certificate
// included and matched by issuer and serial) and checks the message digest and the signature
// under the certificate's key. detached_content: required when the message has none.
// DER only, and nothing OpenSSL's reader refuses: every element of certificates a certificate,
// of crls a CertificateList (or [1] other format); the signed attributes sorted (DER SET OF),
// with one content type, one message digest and at most one signing time, each of one value; a
// signing time a real calendar date. The signer's certificate is the first that matches. Unsigned
// attributes: at most one time-stamp token (returned, not checked here); others are ignored.
// Errors: cms_malformed, cms_digest_mismatch, cms_signature_invalid, cms_unsupported.
Result<Verified> verify(BytesView der, std::optional<BytesView> detached_content = std::nullopt);

}  // namespace certseal::pki::cms
