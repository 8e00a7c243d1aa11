// Electronic seal data (电子印章数据): SESeal version 4 of GB/T 38540-2020 (built and read) and
// version 1 of GM/T 0031-2014 (read only), encoded with OpenSSL's ASN.1 templates.
//
//   SESeal (v4) ::= SEQUENCE {
//     eSealInfo    SES_SealInfo,       -- header ("ES", 4, vendor id), seal id, properties, picture
//     cert         OCTET STRING,       -- the seal maker's certificate (DER)
//     signAlgID    OBJECT IDENTIFIER,  -- 1.2.156.10197.1.501 (SM2 with SM3)
//     signedValue  BIT STRING }        -- the maker's signature, DER SM2Signature (GB/T 35276)
//   SES_ESPropertyInfo (v4) ::= SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER,
//     certList SES_CertList, createDate, validStart, validEnd GeneralizedTime }
//   SES_CertList ::= CHOICE { certs SEQUENCE OF OCTET STRING,                -- certListType 1
//                             certDigestList SEQUENCE OF CertDigestObj }     -- certListType 2
//   SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER }
//   SESeal (v1) ::= SEQUENCE { esealInfo SES_SealInfo, signInfo SEQUENCE { cert OCTET STRING,
//     signatureAlgorithm OBJECT IDENTIFIER, signData BIT STRING } }; the v1 property has no
//     certListType, its certList is SEQUENCE OF OCTET STRING and its dates are UTCTime.
//
// What the maker signs (to_be_signed): v4 — the DER of SEQUENCE { eSealInfo, cert, signAlgID }
// (GB/T 38540 §5.2: the seal information, the maker's certificate and the algorithm together);
// v1 — the DER of SES_SealInfo. The signature is SM2 with SM3 and the default ID
// 1234567812345678 (GB/T 35276 §7). Parsing keeps the exact bytes that were signed.
// Verifying a v4 seal also accepts a signature over the DER of eSealInfo alone: seal systems in
// use differ on this point, and that form still covers every byte of the seal information (the
// certificate supplies the key and the algorithm is checked to be SM2 with SM3), so accepting it
// lets a verifier read their seals without letting anything unsigned through. We always build
// the GB/T 38540 form.
//
// Usage:
//   SealInfo info; info.seal_id = "..."; info.name = "..."; info.certificates = {cert_der}; ...
//   CS_ASSIGN(Bytes der, build_seseal_v4(info, maker_cert_der, [&](BytesView tbs) { return sign(tbs); }));
//   CS_ASSIGN(ParsedSeal seal, parse_seseal(der));
//   CS_TRY(verify_maker_signature(seal));
//
// Contract: pure functions, thread-safe. Errors (kInvalidArgument): bad_seal_data (not a SESeal
// of a known version, trailing bytes, a field out of range, a certificate list that does not
// match its type); bad_seal_signature (the maker signature does not verify);
// bad_maker_certificate (the maker certificate does not parse or has no SM2 key);
// unsupported_seal_algorithm. The signer's errors pass through.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace certseal::seal {

inline constexpr std::string_view kSm2Sm3Oid = "1.2.156.10197.1.501";

enum class SealHolder { kOrganisation = 1, kPersonal = 2 };  // SES_ESPropertyInfo.type

struct CertDigest {
  std::string type;  // e.g. "sm3"
  Bytes value;
};

struct SealExtension {
  std::string oid;
  bool critical = false;
  Bytes value;
};

// SES_SealInfo and its parts, as plain values.
struct SealInfo {
  int version = 4;
  std::string vendor_id;        // SES_Header.Vid (IA5)
  std::string seal_id;          // esID (IA5), unique per maker
  SealHolder holder = SealHolder::kOrganisation;
  std::string name;             // UTF-8
  int cert_list_type = 1;       // 1: certificates, 2: digests (v4 only)
  std::vector<Bytes> certificates;       // DER, when cert_list_type == 1 (and always in v1)
  std::vector<CertDigest> cert_digests;  // when cert_list_type == 2
  SysTime created{};
  SysTime valid_from{};
  SysTime valid_to{};
  std::string picture_type = "PNG";  // "PNG", "SVG", "JPG", "GIF", "BMP", "OFD"
  Bytes picture;
  int picture_width_mm = 0;
  int picture_height_mm = 0;
  std::vector<SealExtension> extensions;
};

struct ParsedSeal {
  SealInfo info;
  Bytes maker_certificate;  // DER
  std::string sign_alg_oid;
  Bytes signature;          // DER SM2Signature
  Bytes to_be_signed;       // the exact bytes the signature covers
  Bytes seal_info_der;      // the DER of SES_SealInfo as found
};

// Signs `tbs` with the maker's SM2 key (SM3, default ID) and returns the DER signature.
using SealSigner = std::function<Result<Bytes>(BytesView tbs)>;

// Builds a v4 SESeal. info.version must be 4; times are written as GeneralizedTime (seconds).
// Errors: bad_seal_data (empty seal id, name or picture, a non-IA5 id or type, picture size not
// in 1..1000 mm, valid_to not after valid_from, no certificate or digest), the signer's errors.
Result<Bytes> build_seseal_v4(const SealInfo& info, BytesView maker_certificate, const SealSigner& sign);

// Reads a v4 (GB/T 38540) or v1 (GM/T 0031) SESeal; info.version says which.
Result<ParsedSeal> parse_seseal(BytesView der);

// The maker signature with the public key in the maker certificate: over to_be_signed, or, for
// v4, over seal_info_der (see above).
Status verify_maker_signature(const ParsedSeal& seal);

}  // namespace certseal::seal
