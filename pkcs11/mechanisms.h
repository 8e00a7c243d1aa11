// The mechanisms of libcertseal-pkcs11.so (docs/PKCS11.md "Mechanisms"): which key types each
// fits, what C_GetMechanismInfo says of it, and how the data a PC program passes becomes the
// platform's request (mechanism name and data, pc_service.h). Pure functions over a fixed table:
// no module state, no locking, nothing reaches the phone from here.
//
//   mechanism             keys         platform request
//   SGD_SM3_SM2           SM2          sm2-sm3 (the message, 1-16384 bytes)
//   SGD_SM2_1             SM2          sm2 (the 32-byte digest e)
//   CKM_ECDSA             SM2, P-256   sm2 / ecdsa-sha256-digest (a 32-byte digest only)
//   CKM_ECDSA_SHA256      P-256        ecdsa-sha256 (the message) or, past 16384 bytes or
//                                      multi-part past it, ecdsa-sha256-digest (module hashes)
//   CKM_RSA_PKCS (sign)   RSA          rsa-sha256-digest (a SHA-256 DigestInfo only)
//   CKM_SHA256_RSA_PKCS   RSA          rsa-sha256 or rsa-sha256-digest (module hashes)
//   SGD_SM2_3 (decrypt)   SM2          sm2 (C1‖C3‖C2)
//   CKM_RSA_PKCS (decr.)  RSA          rsa-pkcs1 (a k-byte ciphertext)
#pragma once

#include <string>
#include <vector>

#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>

#include "base/bytes.h"
#include "pkcs11/objects.h"

namespace certseal::pkcs11 {

inline constexpr std::size_t kMaxData = 16384;   // what the phone is shown or receives at most
inline constexpr CK_ULONG kEcSignatureLen = 64;  // SM2 and ECDSA P-256: r‖s

struct MechanismSpec {
  CK_MECHANISM_TYPE type = 0;
  CK_FLAGS flags = 0;  // CKF_HW | CKF_SIGN and/or CKF_DECRYPT (and the EC flags for CKM_ECDSA*)
  CK_ULONG min_key_bits = 0, max_key_bits = 0;
  bool sm2 = false, p256 = false, rsa = false;  // the key types it fits
  bool module_hashes = false;  // SHA-256 of any length, computed in the module as data comes
};

// Every mechanism, in the order C_GetMechanismList gives them.
const std::vector<MechanismSpec>& mechanisms();
// nullptr for a mechanism the module does not know.
const MechanismSpec* mechanism_spec(CK_MECHANISM_TYPE type);
// Whether the mechanism fits a key of kind k.
bool fits_key(const MechanismSpec& m, KeyKind k);

// The platform's request for the data given to a sign mechanism on a key of kind `kind`.
// `input`: the whole message or digest (single-part), or what C_SignUpdate kept; `too_long`: the
// message grew past kMaxData, so only `sha256` (a module_hashes mechanism's running hash, which
// this does not finalise) stands for it. Refusals (CK_RV, nothing asked of the phone):
// CKR_DATA_LEN_RANGE (a digest not 32 bytes, a message empty or past kMaxData, a CKM_RSA_PKCS
// input not 51 bytes), CKR_DATA_INVALID (51 bytes that are not a SHA-256 DigestInfo).
CK_RV sign_request(CK_MECHANISM_TYPE mechanism, KeyKind kind, const Bytes& input, bool too_long,
                   EVP_MD_CTX* sha256, std::string* platform_mechanism, Bytes* data);

}  // namespace certseal::pkcs11
