// The token objects of one certificate of the paired phone (docs/PKCS11.md "Objects"): an X.509
// certificate, its public key and a private-key handle, sharing CKA_ID (SHA-1 of the public
// point, or of an RSA key's modulus) and CKA_LABEL. SM2 keys are CKK_EC with CKA_EC_PARAMS the
// SM2 curve's OID (1.2.156.10197.1.301), so generic consumers (pkcs11-tool, libp11) see an EC
// key; two-party P-256 keys are CKK_EC with the prime256v1 OID and sign only (CKA_DECRYPT false);
// both carry CKA_EC_POINT, the DER OCTET STRING of the uncompressed point, on the public key.
// Two-party RSA keys are CKK_RSA with CKA_MODULUS and CKA_PUBLIC_EXPONENT on both keys. The
// private key is sensitive and never extractable: it has no CKA_VALUE (nor an RSA key's private
// exponent or primes), because the PC never holds a share.
//
// Contract: plain values, no locking of their own (the module's lock guards them).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <p11-kit/pkcs11.h>

#include "base/bytes.h"
#include "base/result.h"
#include "pkcs11/platform.h"

namespace certseal::pkcs11 {

// Vendor-defined mechanisms: CKM_VENDOR_DEFINED | the GM/T 0006 algorithm identifier (as used by
// GM/T 0016's SKF interface).
inline constexpr CK_MECHANISM_TYPE kCkmSm2 =
    CKM_VENDOR_DEFINED | 0x00020100UL;  // SGD_SM2_1: raw SM2 of e
inline constexpr CK_MECHANISM_TYPE kCkmSm2Sm3 = CKM_VENDOR_DEFINED | 0x00020201UL;  // SGD_SM3_SM2
inline constexpr CK_MECHANISM_TYPE kCkmSm2Encrypt = CKM_VENDOR_DEFINED | 0x00020800UL;  // SGD_SM2_3

enum class KeyKind { kSm2, kEcP256, kRsa };

struct TokenObject {
  CK_OBJECT_HANDLE handle = 0;
  CK_OBJECT_CLASS cls = 0;
  bool is_private = false;
  std::string certificate_id;
  KeyKind kind = KeyKind::kSm2;
  CK_ULONG modulus_bytes = 0;  // RSA: k, the length of a signature and of a ciphertext
  std::map<CK_ATTRIBUTE_TYPE, Bytes> attrs;
  // Attributes that exist but are never revealed (CKR_ATTRIBUTE_SENSITIVE).
  std::vector<CK_ATTRIBUTE_TYPE> sensitive;
};

// The three objects of a certificate, with handles base, base + 1, base + 2. Errors:
// bad_certificate (DER that does not parse), unsupported_key (not SM2, P-256, RSA 2048 or 3072;
// a public key that does not parse).
Result<std::vector<TokenObject>> objects_for(const PhoneCertificate& cert, CK_OBJECT_HANDLE base);

// Whether the object has every attribute of the template with exactly that value.
bool matches(const TokenObject& o, const CK_ATTRIBUTE* tmpl, CK_ULONG count);

}  // namespace certseal::pkcs11
