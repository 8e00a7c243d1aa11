// KeyManager: where private keys live and are used without leaving (ARCHITECTURE.md "Interfaces at
// the seams"). Two backends: SoftwareKeyManager (keys encrypted at rest under a master key) and
// Pkcs11KeyManager (keys inside a PKCS#11 token: SoftHSM2 in tests, a real HSM in production).
//
// Contract: implementations are thread-safe (one internal lock). Key ids are opaque lowercase hex
// strings chosen by the manager. Signatures are the formats of crypto/pkey.h (DER for SM2 and
// ECDSA, raw for RSA). Errors: "key_not_found" (kNotFound), "unsupported_key_type",
// "scheme_key_mismatch", "decryption_failed", "keystore_io" / "pkcs11_error" (kUnavailable, cause
// holds the errno text or the CKR_ value).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/pkey.h"

namespace certseal::keystore {

struct KeyInfo {
  std::string id;
  crypto::KeyType type = crypto::KeyType::kSm2;
  std::string label;
  Bytes public_key;  // SubjectPublicKeyInfo DER
};

class KeyManager {
 public:
  virtual ~KeyManager() = default;

  virtual std::string_view backend() const = 0;  // "software", "pkcs11"
  virtual Result<KeyInfo> generate(crypto::KeyType type, std::string_view label) = 0;
  virtual Result<KeyInfo> import_key(const crypto::PrivateKey& key, std::string_view label) = 0;
  // sm2_id is used only by kSm2Sm3 (pass crypto::kSm2DefaultId unless told otherwise).
  virtual Result<Bytes> sign(std::string_view key_id, crypto::SignScheme scheme, BytesView message,
                             std::string_view sm2_id) = 0;
  virtual Result<SecretBytes> decrypt(std::string_view key_id, crypto::EncryptScheme scheme,
                                      BytesView ciphertext) = 0;
  virtual Result<Bytes> public_key(std::string_view key_id) = 0;  // SPKI DER
  virtual Status destroy(std::string_view key_id) = 0;
  virtual Result<std::vector<KeyInfo>> list() = 0;
};

Error key_not_found(std::string_view id);

}  // namespace certseal::keystore
