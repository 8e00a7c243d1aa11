// The CMS that goes into a PDF signature's /Contents: PAdES baseline (ETSI EN 319 142-1 §6.3,
// with the CAdES attributes of ETSI EN 319 122-1 §5.2), assembled in DER by our own code so that a
// two-party SM2 signature (no whole private key anywhere) fits in it like any other.
//
//   SignedData v1, detached (encapContentInfo = id-data with no content); certificates = the
//   signer's certificate then its issuers; one SignerInfo (issuerAndSerialNumber) with the signed
//   attributes content-type (id-data), message-digest (of the PDF's byte ranges) and
//   signing-certificate-v2 (RFC 5035 §3: ESSCertIDv2 = hash of the signer's certificate plus its
//   issuer and serial; hashAlgorithm omitted when SHA-256, SM3 named otherwise). No signing-time
//   attribute: PAdES puts the claimed time in the signature dictionary's /M (EN 319 142-1 §5.4).
//   B-T adds the unsigned attribute signature-time-stamp (id-aa-signatureTimeStampToken,
//   RFC 3161 Appendix A): a time-stamp token over the signature value.
//
// Algorithms: SM2 → digest SM3 (1.2.156.10197.1.401), signature SM2-with-SM3 (1.2.156.10197.1.501),
// the GM/T 0009 signer ID 1234567812345678 in Z; ECDSA P-256 → SHA-256 / ecdsa-with-SHA256;
// RSA → SHA-256 / sha256WithRSAEncryption.
//
// Contract: pure functions, thread-safe.
#pragma once

#include <optional>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "crypto/hash.h"
#include "pki/signer.h"

namespace certseal::docsign::pades {

// Object identifiers the signer writes and the reader checks (RFC 5652 §11, RFC 5035, RFC 3161).
inline constexpr std::string_view kOidData = "1.2.840.113549.1.7.1";
inline constexpr std::string_view kOidSignedData = "1.2.840.113549.1.7.2";
inline constexpr std::string_view kOidContentType = "1.2.840.113549.1.9.3";
inline constexpr std::string_view kOidMessageDigest = "1.2.840.113549.1.9.4";
inline constexpr std::string_view kOidSigningTime = "1.2.840.113549.1.9.5";
inline constexpr std::string_view kOidSigningCertificateV2 = "1.2.840.113549.1.9.16.2.47";
inline constexpr std::string_view kOidSignatureTimeStamp = "1.2.840.113549.1.9.16.2.14";
inline constexpr std::string_view kOidTstInfo = "1.2.840.113549.1.9.16.1.4";

// The DER SET OF signed attributes for a byte-range digest made with digest_alg(alg): what the
// signer signs. Errors: bad_certificate.
Result<Bytes> signed_attributes(pki::SigAlg alg, BytesView byte_range_digest, BytesView signer_cert);

// The largest signature value `alg` can give with the key in `signer_cert` (RSA: the modulus
// size; ECDSA/SM2: 72, the DER SEQUENCE of two 33-byte INTEGERs). Errors: bad_certificate.
Result<std::size_t> max_signature_size(pki::SigAlg alg, BytesView signer_cert);

struct CmsParts {
  pki::SigAlg alg = pki::SigAlg::kSm2Sm3;
  Bytes signer_cert;                      // DER
  std::vector<Bytes> chain;               // issuers of the signer, nearest first (DER)
  Bytes signed_attributes;                // from signed_attributes()
  Bytes signature;                        // over signed_attributes
  std::optional<Bytes> timestamp_token;   // B-T: a TimeStampToken (ContentInfo DER)
};
// ContentInfo{signedData} DER. Errors: bad_certificate, cms_malformed (signed attributes).
Result<Bytes> assemble(const CmsParts& p);

// --- Reading ---------------------------------------------------------------------------------

// One SignedData and its first SignerInfo, as read. Checked: the shape, content-type present and
// naming the encapsulated content, message-digest present; content-type, message-digest,
// signing-time, signing-certificate-v2 and the signature time stamp at most once each; every
// certificate choice a certificate. Not checked: the signature (signature_valid).
struct SignedDataView {
  Bytes econtent_type;               // OID DER
  std::optional<Bytes> econtent;     // the encapsulated content, when not detached
  std::vector<Bytes> certificates;   // DER, as included
  Bytes signer_cert;                 // matched by issuer and serial; empty when absent
  pki::SigAlg alg = pki::SigAlg::kSm2Sm3;
  crypto::HashAlg digest = crypto::HashAlg::kSha256;
  Bytes signed_attributes;           // DER SET OF (what the signature covers)
  Bytes message_digest;              // the message-digest attribute
  std::optional<Bytes> signing_cert_v2_hash;  // ESSCertIDv2 certHash of the first entry
  std::optional<crypto::HashAlg> signing_cert_v2_alg;
  std::optional<SysTime> signing_time;        // signing-time attribute, if any (not PAdES)
  Bytes signature;
  std::optional<Bytes> timestamp_token;       // unsigned signature-time-stamp
  std::size_t signer_infos = 1;               // how many there were (the first is read)
};
// Errors: cms_malformed, cms_unsupported.
Result<SignedDataView> read_signed_data(BytesView der);

// True when the signature over signed_attributes verifies under the signer certificate's key
// (SM2: with the GM/T 0009 ID).
bool signature_valid(const SignedDataView& v);

// A time-stamp token checked against the value it stamps. An SM2 token is accepted under the
// GM/T 0009 signer ID or OpenSSL's empty one (a CA's TSA may use either, docs/PKI.md).
struct TimeStamp {
  SysTime gen_time;
  Bytes tsa_cert;            // DER, from the token
  bool imprint_matches = false;   // messageImprint = hash(stamped)
  bool signature_valid = false;   // token's CMS signature and message digest over TSTInfo
};
// Errors: cms_malformed, cms_unsupported (not a TSTInfo token).
Result<TimeStamp> check_timestamp(BytesView token, BytesView stamped);

// A DER UTCTime or GeneralizedTime TLV (fractional seconds allowed, "Z" only). Errors: cms_malformed.
Result<SysTime> read_time(BytesView tlv);

// RFC 3161 §2.4.1 TimeStampReq over hash(data) (SM3 or SHA-256), certReq TRUE, with a nonce.
Bytes timestamp_request(crypto::HashAlg h, BytesView data, BytesView nonce);
// The token inside a TimeStampResp; errors: tsa_refused (status not granted), cms_malformed.
Result<Bytes> token_from_response(BytesView resp);

}  // namespace certseal::docsign::pades
