// The electronic signature data of GB/T 38540-2020 §6 (SES_Signature, version 4) that an OFD
// signature's SignedValue.dat holds (GB/T 33190 §18.2):
//
//   SES_Signature ::= SEQUENCE {
//     toSign          TBS_Sign,
//     cert            OCTET STRING,        -- the signer's certificate (DER)
//     signatureAlgID  OBJECT IDENTIFIER,   -- 1.2.156.10197.1.501 (SM2 with SM3)
//     signature       BIT STRING,          -- DER SM2Signature over the DER of toSign
//     timeStamp   [0] EXPLICIT BIT STRING OPTIONAL }
//   TBS_Sign ::= SEQUENCE {
//     version         INTEGER (4),
//     eseal           SESeal,              -- the seal used (seal/seseal.h), byte for byte
//     timeInfo        GeneralizedTime,     -- when it was signed
//     dataHash        BIT STRING,          -- OFD: SM3 of the signature's Signature.xml
//     propertyInfo    IA5String,           -- OFD: the package path of that Signature.xml
//     extDatas        ExtensionDatas OPTIONAL }
//
// The signature is SM2 with SM3 and the default ID 1234567812345678 (GB/T 35276 §7), made over
// the DER of TBS_Sign: the bytes build_tbs_sign() returns and parse keeps as tbs_der.
//
// Contract: pure functions, thread-safe. Errors (kInvalidArgument): ses_bad_signature_data (not a
// v4 SES_Signature, trailing bytes, a field of the wrong type).
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace certseal::docsign {

inline constexpr std::string_view kOidSm2Sm3 = "1.2.156.10197.1.501";
inline constexpr std::string_view kOidSm3 = "1.2.156.10197.1.401";

struct SesSignature {
  int version = 4;
  Bytes seseal;               // the SESeal DER
  SysTime time{};
  Bytes data_hash;
  std::string property_info;
  Bytes tbs_der;              // what the signature covers
  Bytes cert;
  std::string sign_alg_oid;   // dotted, "" when not SM2 with SM3 (the only one we read)
  Bytes signature;            // DER SM2Signature
  bool has_timestamp = false;
};

// The DER of TBS_Sign (version 4, no extensions).
Bytes build_tbs_sign(BytesView seseal, SysTime time, BytesView data_hash, std::string_view property_info);

// The DER of SES_Signature around a TBS_Sign and its SM2 signature (no time stamp).
Bytes build_ses_signature(BytesView tbs_der, BytesView signer_cert, BytesView signature);

Result<SesSignature> parse_ses_signature(BytesView der);

}  // namespace certseal::docsign
