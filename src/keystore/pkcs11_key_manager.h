// Pkcs11KeyManager: RSA (2048/3072) and EC P-256 keys generated and used inside a PKCS#11 token
// (PKCS#11 v2.40; SoftHSM2 in tests, an HSM in production). Private keys are created
// CKA_SENSITIVE and not extractable; only public keys and results leave the token.
//
// Key ids are the hex of the objects' CKA_ID (16 random bytes). ECDSA: the digest is computed here
// and signed with CKM_ECDSA (raw r||s from the token, returned as DER). RSA: CKM_SHA256_RSA_PKCS,
// CKM_SHA256_RSA_PKCS_PSS (MGF1-SHA-256, 32-byte salt), decryption with CKM_RSA_PKCS or
// CKM_RSA_PKCS_OAEP (SHA-256). SM2 is not offered: tokens like SoftHSM2 have no SM2 mechanisms;
// SM2 keys live in the software manager or as two-party shares (crypto/cosign.h).
//
// Ownership: the manager dlopen()s the module, initialises it, opens one R/W session and logs in;
// the destructor logs out, closes the session, finalises and unloads. One manager per module per
// process (PKCS#11 allows one C_Initialize per process). Thread-safety: one mutex around the session.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "base/rng.h"
#include "keystore/key_manager.h"

namespace certseal::keystore {

class Pkcs11KeyManager final : public KeyManager {
 public:
  static Result<std::unique_ptr<Pkcs11KeyManager>> open(const std::string& module_path,
                                                         std::string_view token_label, const SecretString& user_pin,
                                                         Rng& rng);
  ~Pkcs11KeyManager() override;
  Pkcs11KeyManager(const Pkcs11KeyManager&) = delete;
  Pkcs11KeyManager& operator=(const Pkcs11KeyManager&) = delete;

  std::string_view backend() const override { return "pkcs11"; }
  Result<KeyInfo> generate(crypto::KeyType type, std::string_view label) override;
  Result<KeyInfo> import_key(const crypto::PrivateKey& key, std::string_view label) override;
  Result<Bytes> sign(std::string_view key_id, crypto::SignScheme scheme, BytesView message,
                     std::string_view sm2_id) override;
  Result<SecretBytes> decrypt(std::string_view key_id, crypto::EncryptScheme scheme, BytesView ciphertext) override;
  Result<Bytes> public_key(std::string_view key_id) override;
  Status destroy(std::string_view key_id) override;
  Result<std::vector<KeyInfo>> list() override;

  struct Impl;

 private:
  explicit Pkcs11KeyManager(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::mutex mu_;
};

}  // namespace certseal::keystore
