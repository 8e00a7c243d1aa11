// The device side of the mobile shield over HTTP (docs/SHIELD.md): installation, unlocking a
// device share with the certificate password, the proof-carrying two-party steps (sign, decrypt,
// password change, adding a device), recovery and pairing.
//
// Contract: every function talks to the server through the given Http (session token set) and
// returns errors as values; server refusals keep their problem code (bad_unlock_proof,
// key_locked, device_not_active, bad_nonce, ...). Secrets (password, d1, auth key, recovery key)
// stay in SecretBytes/SecretString and are never sent: only auth_key at installation, password
// change, pairing and recovery (with the login password there), as SHIELD.md prescribes. Not
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "client/device_half.h"
#include "client/device_store.h"
#include "client/http.h"
#include "crypto/cosign.h"
#include "crypto/ecdsa_split.h"
#include "crypto/rsa_split.h"
#include "crypto/sm2.h"

namespace certseal::client {

struct Unlocked {
  crypto::cosign::DeviceShare share;
  SecretBytes auth_key;
};

// Derives the unlock keys of `password` for this device and unmasks the stored share. Any
// password gives *some* share: only the server can tell (bad_unlock_proof). SM2 keys only
// (algorithm_not_supported for a two-party RSA key: unlock_rsa_with_password).
Result<Unlocked> unlock_with_password(const KeyFile& key, std::string_view device_id, std::string_view password);

// A two-party RSA key's device half (crypto/rsa_split.h), unlocked the same way: d_dev is masked
// like d1 (no check value: every password unmasks to *some* exponent).
struct UnlockedRsa {
  crypto::rsa_split::DeviceShare share;
  SecretBytes auth_key;
};
bool is_rsa_key(const KeyFile& key);
Result<UnlockedRsa> unlock_rsa_with_password(const KeyFile& key, std::string_view device_id,
                                             std::string_view password);

// A two-party ECDSA P-256 key's device half (crypto/ecdsa_split.h): x1 ‖ Paillier seed, masked
// like d1 (any password unmasks to some share that looks as right as the true one: the seed
// stands for the Paillier primes, and N is not kept on the device). key_unusable when the key
// was marked unusable after a failed signature (the abort rule).
struct UnlockedEcdsa {
  crypto::ecdsa_split::DeviceShare share;
  SecretBytes auth_key;
};
bool is_ecdsa_key(const KeyFile& key);
Result<UnlockedEcdsa> unlock_ecdsa_with_password(const KeyFile& key, std::string_view device_id,
                                                 std::string_view password);

// A fresh share masked under a password for this device: the key file fields salt, limits,
// masked_d1 and the auth key to give the server.
struct Masked {
  Bytes salt;
  crypto::Argon2Limits limits;
  Bytes masked_d1;
  SecretBytes auth_key;
};
Result<Masked> mask_for_password(BytesView d1, std::string_view device_id, std::string_view password, Rng& rng);

// SM2 public point of a certificate PEM (to check that an installed share matches it).
Result<Bytes> certificate_public_point(const std::string& pem);

class ShieldClient {
 public:
  ShieldClient(Http& http, DeviceInfo device, Rng& rng) : http_(http), device_(std::move(device)), rng_(rng) {}

  // POST /shield/challenges, then `method path` with body + device_id, nonce and proof over payload.
  Result<nlohmann::json> step(const std::string& key_id, BytesView auth_key, std::string_view operation,
                              const std::string& method, const std::string& path, nlohmann::json body,
                              BytesView payload);

  // Installation (POST /orders/{id}/installation) or reissue (POST /account/certificates/{id}/reissues
  // with request_id and code in `extra`): generates the device half, sends p1, auth key and salt,
  // finishes the key, checks it against the certificate and returns the key file to store.
  // algorithm: the product's ("sm2", or "rsa-2048"/"rsa-3072": the device generates the RSA key,
  // sends the server its exponent share d_srv with a check value, keeps d_dev and forgets d, p,
  // q; shield_rsa.cpp).
  Result<KeyFile> install(const std::string& path, const nlohmann::json& extra, std::string_view password,
                          nlohmann::json* answer, std::string_view algorithm = "sm2");

  // ---- two-party RSA steps (shield_rsa.cpp; same challenge, proof and endpoints as SM2) ----
  // A PKCS#1 v1.5 SHA-256 signature of `message` (k bytes), verified with OpenSSL under the
  // key before it is returned (a wrong server half is caught: cosign_bad_server_answer).
  Result<Bytes> rsa_sign(const KeyFile& key, const UnlockedRsa& u, BytesView message, const std::string& purpose);
  // The same for a SHA-256 digest the caller computed (a PC program's CKM_RSA_PKCS DigestInfo,
  // docs/PKCS11.md). Errors: bad_digest_length unless 32 bytes, rsa_sign's.
  Result<Bytes> rsa_sign_digest(const KeyFile& key, const UnlockedRsa& u, BytesView digest,
                                const std::string& purpose);
  // The plaintext of an RSA ciphertext (k bytes): blinded before it goes to the server, the
  // padding removed here. Errors: decryption_failed, cosign_bad_server_answer, the step's.
  Result<SecretBytes> rsa_decrypt(const KeyFile& key, const UnlockedRsa& u, BytesView ciphertext,
                                  crypto::rsa_split::Padding padding, const std::string& purpose);

  // ---- two-party ECDSA P-256 steps (shield_ecdsa.cpp; same challenge, proof and endpoints) ----
  // A DER ECDSA-with-SHA256 signature of `message`, verified under Q before it is returned.
  // ecdsa_split_abort when the server's answer does not give a valid signature: the caller must
  // mark the key unusable (with_ecdsa_unlocked does).
  Result<Bytes> ecdsa_sign(const KeyFile& key, const UnlockedEcdsa& u, BytesView message, const std::string& purpose);
  // The same for a SHA-256 digest the caller computed (a PC program's CKM_ECDSA, docs/PKCS11.md):
  // DER, verified for that digest under Q. Errors: bad_digest_length unless 32 bytes, ecdsa_sign's.
  Result<Bytes> ecdsa_sign_digest(const KeyFile& key, const UnlockedEcdsa& u, BytesView digest,
                                  const std::string& purpose);
  // The ECDH shared secret (x coordinate of x·R, 32 bytes) with the sender's ephemeral point R;
  // the server sees only a blinded point.
  Result<SecretBytes> ecdsa_ecdh(const KeyFile& key, const UnlockedEcdsa& u, BytesView peer_point,
                                 const std::string& purpose);

  // Two-party signature of `message` with signer ID `sm2_id`: raw r||s (64 bytes), verified
  // under the public key before it is returned. The device half (this process's, or the PIN
  // cache's, which keeps d1 to itself) only ever sees the digest SM3(Z_A ‖ M); a fresh challenge
  // and start on cosign_retry (at most 4 times).
  Result<Bytes> sign(const KeyFile& key, DeviceHalf& half, BytesView message, std::string_view sm2_id,
                     const std::string& purpose);
  // The same for a digest e the caller computed (raw SM2 of e; the PKCS#11 raw-SM2 mechanism):
  // verified for e under the public key. Errors: bad_digest_length unless 32 bytes, sign's.
  Result<Bytes> sign_digest(const KeyFile& key, DeviceHalf& half, BytesView e, const std::string& purpose);
  Result<SecretBytes> decrypt(const KeyFile& key, DeviceHalf& half, BytesView ciphertext,
                              crypto::Sm2CipherOrder order, const std::string& purpose);
  // Re-masks the share under a new password after the server accepted the new auth key.
  Result<KeyFile> change_password(const KeyFile& key, const Unlocked& u, std::string_view new_password);
  Result<KeyFile> change_password(const KeyFile& key, const UnlockedRsa& u, std::string_view new_password);
  Result<KeyFile> change_password(const KeyFile& key, const UnlockedEcdsa& u, std::string_view new_password);
  // POST /shield/keys/{id}/recovery (SMS code, login password, face image); unmasks the recovery
  // copy with the key the server retires and masks a new one under the next key and the share
  // under the new password.
  struct RecoveryFactors {
    std::string code;
    SecretString login_password;
    Bytes face_image;  // JPEG or PNG
  };
  Result<KeyFile> recover(const KeyFile& key, const RecoveryFactors& f, std::string_view new_password);
  // The same device half against another authority's endpoint: POSTs `factors` (what that
  // endpoint checks) with this device's id and the new unlock material to `path`, which answers
  // recovery_key and next_recovery_key (a cloud key delegate's password reset, docs/CLOUDKEY.md).
  Result<KeyFile> recover_at(const std::string& path, nlohmann::json factors, const KeyFile& key,
                             std::string_view new_password);
  // Old device (docs/SHIELD.md "Adding a device"): checks the pairing's relayed key against the
  // code the user read off the new device (pairing_code_mismatch: nothing is sent), then seals
  // x = d1·u for the new device and gives the server u. Returns the new device's id and name.
  Result<nlohmann::json> add_device(const KeyFile& key, const Unlocked& u, const std::string& pairing_id,
                                    const std::string& code);
  // New device: starts a pairing; its ephemeral key and the code's secret stay in the store until
  // completion. The answer carries "code", to show the user.
  // With grant_id: the pairing joins the organisation key of that approved grant of this account
  // (docs/GRANTS.md); the key's holder delivers it with `certseal device add`.
  Result<nlohmann::json> start_pairing(DeviceStore& store, const std::string& grant_id = "");
  // New device: fetches the envelope ("pairing_pending" while there is none), opens it
  // (pairing_envelope_forged unless the other device sealed it for this code), draws its own
  // share, masks it under `password`, and completes with a signature of its pairing key.
  Result<KeyFile> complete_pairing(DeviceStore& store, const std::string& pairing_id, std::string_view password);
  // Whether the pairing's envelope has arrived.
  Result<bool> pairing_ready(const std::string& pairing_id);

  const DeviceInfo& device() const { return device_; }

 private:
  // POST /shield/challenges: a single-use nonce for key_id and this device.
  Result<std::string> challenge(const std::string& key_id);
  // The password step with the new auth key and salt, then the share masked under the new password.
  Result<KeyFile> remask(const KeyFile& key, BytesView share, BytesView auth_key, std::string_view new_password);
  Result<KeyFile> install_rsa(const std::string& path, const nlohmann::json& extra, std::string_view password,
                              nlohmann::json* answer, std::string_view algorithm);
  Result<KeyFile> install_ecdsa(const std::string& path, const nlohmann::json& extra, std::string_view password,
                                nlohmann::json* answer);
  // One two-party ECDSA step: challenge, proof over the request for `operation`, POST to `endpoint`;
  // the answer's "response" bytes.
  Result<Bytes> ecdsa_step(const KeyFile& key, const UnlockedEcdsa& u, const std::string& operation,
                           const std::string& endpoint, const Bytes& request, const std::string& purpose);
  // One RSA step: challenge, proof over the request for `operation`, POST to `endpoint`.
  Result<crypto::rsa_split::StepResponse> rsa_step(const KeyFile& key, const UnlockedRsa& u, const std::string& operation,
                                                   const std::string& endpoint, const crypto::rsa_split::StepRequest& req,
                                                   const std::string& purpose);
  // `method path` with body + device_id, nonce and a proof made by a device half.
  Result<nlohmann::json> post_step(const std::string& method, const std::string& path, nlohmann::json body,
                                   const std::string& nonce, BytesView proof);

  Http& http_;
  DeviceInfo device_;
  Rng& rng_;
};

}  // namespace certseal::client
