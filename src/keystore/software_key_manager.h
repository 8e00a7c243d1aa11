// SoftwareKeyManager: keys as files in one directory, each private key (PKCS#8) sealed with the
// authenticated SM4-CTR-HMAC-SM3 mode (crypto/cipher.h) under a master key, with the key id and
// type as associated data so a sealed key cannot be moved to another id or type.
//
// File <id>.key (JSON, mode 0600): {"v":1,"id","type","label","public_key":base64 SPKI,
// "master_key_id":hex, "sealed":base64}. master_key_id = first 8 bytes of
// HMAC-SM3(master, "CertSeal master key id") tells which master key sealed the file.
//
// Master key rotation: rotate_master_key(new) re-seals every file under the new key (each file is
// replaced atomically: write to a temp file, fsync, rename). The previous keys stay readable
// through `previous_keys`, so a rotation interrupted half-way loses nothing: reopen with the new
// key as current and the old one in previous_keys and rotate again.
//
// Unsealed keys are kept in memory after their first use (a CA's OCSP signer signs thousands of
// answers a second; unsealing the file each time cost more than the signature). Each use still
// reads the (small) file and compares it with the one the cached key came from: a key file that
// another process replaced, re-sealed, damaged or removed is unsealed again or reported, so
// several servers sharing the directory never sign with a destroyed or tampered key.
// At most kMaxCachedKeys are kept; past that the cache starts again empty.
//
// Thread-safety: the file operations and the cache lock one mutex; signatures and decryptions run
// outside it, so several threads sign with the same key at once. The Rng must outlive the manager; it is
// only ever drawn from under the manager's own lock, so it need not be thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/rng.h"
#include "keystore/key_manager.h"

namespace certseal::keystore {

class SoftwareKeyManager final : public KeyManager {
 public:
  // master_key: at least 16 bytes of secret (32 recommended). The directory is created if missing.
  static Result<std::unique_ptr<SoftwareKeyManager>> open(std::string dir, SecretBytes master_key, Rng& rng,
                                                          std::vector<SecretBytes> previous_keys = {});

  std::string_view backend() const override { return "software"; }
  Result<KeyInfo> generate(crypto::KeyType type, std::string_view label) override;
  Result<KeyInfo> import_key(const crypto::PrivateKey& key, std::string_view label) override;
  Result<Bytes> sign(std::string_view key_id, crypto::SignScheme scheme, BytesView message,
                     std::string_view sm2_id) override;
  Result<SecretBytes> decrypt(std::string_view key_id, crypto::EncryptScheme scheme, BytesView ciphertext) override;
  Result<Bytes> public_key(std::string_view key_id) override;
  Status destroy(std::string_view key_id) override;
  Result<std::vector<KeyInfo>> list() override;

  Status rotate_master_key(SecretBytes new_master_key);
  std::string master_key_id() const;
  // At start: every stored key was sealed under the current master key or one of previous_keys.
  // Errors: bad_master_key (names the fingerprints), keystore_io. An empty store passes.
  Status check_master_key();

 private:
  SoftwareKeyManager(std::string dir, SecretBytes master, Rng& rng, std::vector<SecretBytes> previous);
  Result<KeyInfo> store(const crypto::PrivateKey& key, std::string_view label);
  Result<crypto::PrivateKey> load_private(std::string_view key_id);
  // The unsealed key, from the cache while its file's bytes are unchanged.
  Result<std::shared_ptr<const crypto::PrivateKey>> cached_private(std::string_view key_id);
  std::string path_for(std::string_view key_id) const;

  std::string dir_;
  SecretBytes master_;
  Rng& rng_;
  std::vector<SecretBytes> previous_;
  mutable std::mutex mu_;
  std::mutex rng_mu_;  // guards rng_ for signatures made outside mu_

  struct CachedKey {
    std::shared_ptr<const crypto::PrivateKey> key;
    std::string file;  // the sealed file the key was read from
  };
  static constexpr std::size_t kMaxCachedKeys = 256;
  std::map<std::string, CachedKey, std::less<>> cache_;  // guarded by mu_
};

// Master key id as described above (hex, 16 characters).
std::string master_key_fingerprint(BytesView master_key);

}  // namespace certseal::keystore
