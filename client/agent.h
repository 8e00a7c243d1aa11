// The PIN cache (SPEC §7 "PIN cache"), like ssh-agent: `certseal agent start` runs a small server
// on a Unix socket in the data dir that keeps unlocked device shares (d1 and the auth key) for a
// chosen time, so the certificate password is not asked for every operation. The agent performs
// the device half of each two-party step itself (client/device_half.h) and never hands d1 or the
// auth key out (security review L3): a client can use a cached share, not export it.
//
// Protocol: one request and one answer per connection; each message is a 4-byte big-endian
// length followed by that many bytes of JSON (at most 1 MiB). Requests:
//   {"op":"put","key_id","device_id","public_key","d1","auth_key"}
//                                              → {"ok":true,"cached":bool,"expires_at":unix}
//                                                (cached is false while the cache is "off"); d1 and
//                                                auth_key go in, nothing ever brings them out
//   {"op":"sign_start","key_id","nonce","digest"}
//                                              → {"ok":true,"session","request","proof"}: the encoded
//                                                SignRequest for digest e = SM3(Z_A‖M) and its unlock
//                                                proof ("sign") for the server's nonce
//   {"op":"sign_finish","key_id","session","response"}
//                                              → {"ok":true,"signature"} raw r||s, verified under P
//   {"op":"decrypt_start","key_id","nonce","ciphertext","order":"c1c3c2"|"c1c2c3"}
//                                              → {"ok":true,"session","request","proof"} ("decrypt")
//   {"op":"decrypt_finish","key_id","session","response"}
//                                              → {"ok":true,"plaintext"}
//   {"op":"forget","key_id"}                   → {"ok":true}
//   {"op":"ttl","ttl_s":N}                     → {"ok":true,"ttl_s":N}   N = 0 means off; applies to
//                                                later puts only, cached entries keep their expiry
//   {"op":"status"}                            → {"ok":true,"ttl_s":N,"entries":[{"key_id","expires_at"}]}
//   {"op":"clear"}                             → {"ok":true} (every entry wiped, the agent keeps running)
//   {"op":"stop"}                              → {"ok":true}, then every entry is wiped and the server returns
// Binary values are base64. Errors: {"ok":false,"error":code,"detail":text}; code not_cached when
// the key is not (or no longer) cached, unknown_op for anything else asked (there is no request
// that returns a share or an auth key), the device-half codes of client/device_half.h.
//
// Security: the socket is created with umask 077 and chmod 0600 inside the 0700 data dir, and
// every connection's peer uid (SO_PEERCRED) must equal the agent's allowed uid (its own user);
// others are answered {"ok":false,"error":"peer_uid"} and closed. Secrets are held in
// SecretBytes (wiped when dropped, on expiry, on forget and on stop, with the steps in progress).
// Contract: AgentCache is not thread-safe (the server is single-threaded); the client helpers
// return errors as values and never block longer than the socket timeouts (5 s).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/rng.h"
#include "client/device_half.h"

namespace certseal::client {

struct CachedShare {
  std::unique_ptr<LocalDeviceHalf> half;  // holds d1 and the auth key; wiped when dropped
  std::int64_t expires_at = 0;            // unix seconds
};

class AgentCache {
 public:
  AgentCache(const Clock& clock, Rng& rng, std::chrono::seconds ttl) : clock_(clock), rng_(rng), ttl_(ttl) {}
  // Cached with expiry now + ttl; false (and nothing kept) when the ttl is 0 (off).
  bool put(const std::string& key_id, const std::string& device_id, crypto::cosign::DeviceShare share,
           SecretBytes auth_key);
  // The entry's device half if present and not expired (expired entries are wiped on the way).
  LocalDeviceHalf* get(const std::string& key_id);
  std::optional<std::int64_t> expires_at(const std::string& key_id) const;
  void forget(const std::string& key_id);
  void purge_expired();
  void clear();
  void set_ttl(std::chrono::seconds ttl) { ttl_ = ttl; }
  std::chrono::seconds ttl() const { return ttl_; }
  std::size_t size() const { return entries_.size(); }
  const std::map<std::string, CachedShare>& entries() const { return entries_; }

 private:
  const Clock& clock_;
  Rng& rng_;
  std::chrono::seconds ttl_;
  std::map<std::string, CachedShare> entries_;
};

// Frames: write/read one length-prefixed message on a connected socket.
Status write_frame(int fd, std::string_view payload);
Result<std::string> read_frame(int fd);

class AgentServer {
 public:
  AgentServer(std::string socket_path, const Clock& clock, std::chrono::seconds ttl, uid_t allowed_uid);
  ~AgentServer();  // closes and unlinks the socket, wipes the cache
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  // Binds the socket (0600). "agent_running" when another agent answers on it; a stale socket
  // file is replaced.
  Status listen();
  // Serves until a stop request, until *cancel becomes true, or until the socket file is removed
  // or replaced (checked every 200 ms); wipes the cache before returning.
  void serve(const std::atomic<bool>* cancel = nullptr);
  // One request (for tests and for serve()).
  nlohmann::json handle(const nlohmann::json& request, bool* stop);
  AgentCache& cache() { return cache_; }

 private:
  void serve_one(int conn, bool* stop);
  std::string path_;
  SystemRng rng_;
  AgentCache cache_;
  uid_t allowed_uid_;
  int listen_fd_ = -1;
  ino_t socket_inode_ = 0;
};

// Client side. Every call connects, sends one request and reads one answer. "agent_unavailable"
// (kUnavailable) when no agent listens on the socket; an answer with ok false is
// "agent_refused" (kPermissionDenied) naming the agent's error.
Result<nlohmann::json> agent_request(const std::string& socket_path, const nlohmann::json& request);
// The same, but an answer with ok false is returned as it is (the caller reads "error").
Result<nlohmann::json> agent_exchange(const std::string& socket_path, const nlohmann::json& request);
bool agent_running(const std::string& socket_path);
// Whether the agent holds key_id now.
bool agent_has_key(const std::string& socket_path, const std::string& key_id);
// Hands an unlocked share to the agent (which keeps it for its ttl); the request is wiped.
Status agent_put(const std::string& socket_path, const std::string& key_id, const std::string& device_id,
                 const crypto::cosign::DeviceShare& share, BytesView auth_key);

// The device half inside the agent: every step runs in the agent process, which keeps d1 and the
// auth key. Errors: agent_not_cached (kFailedPrecondition: the key expired or was forgotten; ask
// for the password), cosign_retry (kUnavailable), agent_unavailable, and the agent's other codes
// (kInvalidArgument).
class AgentDeviceHalf final : public DeviceHalf {
 public:
  AgentDeviceHalf(std::string socket_path, std::string key_id)
      : path_(std::move(socket_path)), key_id_(std::move(key_id)) {}
  Result<StepStart> sign_start(const std::string& nonce, BytesView digest) override;
  Result<Bytes> sign_finish(const std::string& session, BytesView response) override;
  Result<StepStart> decrypt_start(const std::string& nonce, BytesView ciphertext,
                                  crypto::Sm2CipherOrder order) override;
  Result<SecretBytes> decrypt_finish(const std::string& session, BytesView response) override;

 private:
  Result<nlohmann::json> call(nlohmann::json request);
  std::string path_;
  std::string key_id_;
};

// Wipes the characters of every string value named in `fields` (best effort for JSON that carried
// secrets in std::string buffers).
void wipe_json_strings(nlohmann::json& j, std::initializer_list<const char*> fields);

}  // namespace certseal::client
