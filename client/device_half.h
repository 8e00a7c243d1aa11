// The device half of the mobile shield's two-party steps (docs/SHIELD.md): whoever holds the
// unlocked share d1 and the auth key makes each step's request and its unlock proof, and finishes
// the step with the server's answer. Two holders:
//   LocalDeviceHalf  in this process, right after the certificate password unlocked the share;
//   AgentDeviceHalf  inside the PIN cache (client/agent.h), reached over its socket. The agent
//                    keeps d1 and the auth key and never hands them out (security review L3):
//                    while the share is cached a process of the same user can use it, as with
//                    ssh-agent, but cannot take it away and keep signing after the cache ends.
//
// A step (ShieldClient::sign / decrypt): ask the server for a challenge nonce; *_start(nonce, ...)
// gives the request bytes, the proof over exactly those bytes for that nonce, and a session;
// post them; *_finish(session, response) gives the signature (verified under the public key) or
// the plaintext (its C3 checked). The proof is only ever made over a request the holder made
// itself, for the operation it performs: no caller can obtain a proof for another operation.
//
// Usage:
//   LocalDeviceHalf half(key.key_id, device_id, std::move(unlocked.share), std::move(unlocked.auth_key), rng, clock);
//   CS_ASSIGN(Bytes raw_rs, shield.sign(key, half, message, sm2_id, purpose));
//
// Contract: not thread-safe. A session is used once: finish forgets it whatever the result;
// sessions are forgotten kSessionTtl after their start, and at most kMaxSessions are kept (the
// oldest goes first). Errors: unknown_session (finish of a session that is not open), the
// crypto/cosign.h codes (cosign_retry: start again with a new nonce), agent_* (AgentDeviceHalf).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/cosign.h"
#include "crypto/sm2.h"

namespace certseal::client {

struct StepStart {
  std::string session;
  Bytes request;  // the encoded cosign SignRequest / DecryptRequest
  Bytes proof;    // crypto::unlock::proof over `request` for the nonce given
};

class DeviceHalf {
 public:
  virtual ~DeviceHalf() = default;
  // digest: e = SM3(Z_A ‖ M) of the message (crypto::sm2_message_digest), 32 bytes.
  virtual Result<StepStart> sign_start(const std::string& nonce, BytesView digest) = 0;
  // Raw r||s, verified for the digest under the public key.
  virtual Result<Bytes> sign_finish(const std::string& session, BytesView response) = 0;
  virtual Result<StepStart> decrypt_start(const std::string& nonce, BytesView ciphertext,
                                          crypto::Sm2CipherOrder order) = 0;
  virtual Result<SecretBytes> decrypt_finish(const std::string& session, BytesView response) = 0;
};

class LocalDeviceHalf final : public DeviceHalf {
 public:
  static constexpr std::chrono::seconds kSessionTtl{120};
  static constexpr std::size_t kMaxSessions = 16;

  LocalDeviceHalf(std::string key_id, std::string device_id, crypto::cosign::DeviceShare share, SecretBytes auth_key,
                  Rng& rng, const Clock& clock)
      : key_id_(std::move(key_id)),
        device_id_(std::move(device_id)),
        share_(std::move(share)),
        auth_key_(std::move(auth_key)),
        rng_(rng),
        clock_(clock) {}

  Result<StepStart> sign_start(const std::string& nonce, BytesView digest) override;
  Result<Bytes> sign_finish(const std::string& session, BytesView response) override;
  Result<StepStart> decrypt_start(const std::string& nonce, BytesView ciphertext,
                                  crypto::Sm2CipherOrder order) override;
  Result<SecretBytes> decrypt_finish(const std::string& session, BytesView response) override;

  const std::string& key_id() const { return key_id_; }
  const std::string& device_id() const { return device_id_; }
  const Bytes& public_key() const { return share_.public_key(); }
  std::size_t open_sessions() const { return sessions_.size(); }

 private:
  struct Session {
    bool sign = true;
    crypto::cosign::SignState sign_state;
    std::optional<crypto::cosign::DecryptState> decrypt_state;
    std::int64_t started_ms = 0;
  };
  // A fresh session id, after forgetting expired sessions and, when full, the oldest.
  std::string open_session(Session s);
  Result<Session> take_session(const std::string& id, bool sign);

  std::string key_id_;
  std::string device_id_;
  crypto::cosign::DeviceShare share_;
  SecretBytes auth_key_;
  Rng& rng_;
  const Clock& clock_;
  std::map<std::string, Session> sessions_;
};

}  // namespace certseal::client
