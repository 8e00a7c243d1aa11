// The PIN cache (SPEC §7 "PIN cache"), like ssh-agent: `certseal agent start` runs a small server
// on a Unix socket in the data dir that keeps unlocked device shares (d1 and the auth key) for a
// chosen time, so the certificate password is not asked for every operation.
//
// Protocol: one request and one answer per connection; each message is a 4-byte big-endian
// length followed by that many bytes of JSON (at most 64 KiB). Requests:
//   {"op":"get","key_id"}                      → {"ok":true,"found":false} or
//                                                {"ok":true,"found":true,"d1":b64,"auth_key":b64,"expires_at":unix}
//   {"op":"put","key_id","d1","auth_key"}      → {"ok":true,"cached":bool,"expires_at":unix}
//                                                (cached is false while the cache is "off")
//   {"op":"forget","key_id"}                   → {"ok":true}
//   {"op":"ttl","ttl_s":N}                     → {"ok":true,"ttl_s":N}   N = 0 means off; applies to
//                                                later puts only, cached entries keep their expiry
//   {"op":"status"}                            → {"ok":true,"ttl_s":N,"entries":[{"key_id","expires_at"}]}
//   {"op":"clear"}                             → {"ok":true} (every entry wiped, the agent keeps running)
//   {"op":"stop"}                              → {"ok":true}, then every entry is wiped and the server returns
// Errors: {"ok":false,"error":"..."}.
//
// Security: the socket is created with umask 077 and chmod 0600 inside the 0700 data dir, and
// every connection's peer uid (SO_PEERCRED) must equal the agent's allowed uid (its own user);
// others are answered {"ok":false,"error":"peer_uid"} and closed. Secrets are held in
// SecretBytes (wiped when dropped, on expiry, on forget and on stop).
// Contract: AgentCache is not thread-safe (the server is single-threaded); the client helpers
// return errors as values and never block longer than the socket timeouts (5 s).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace certseal::client {

struct CachedShare {
  SecretBytes d1;        // 32 bytes
  SecretBytes auth_key;  // 32 bytes
  std::int64_t expires_at = 0;  // unix seconds
};

class AgentCache {
 public:
  AgentCache(const Clock& clock, std::chrono::seconds ttl) : clock_(clock), ttl_(ttl) {}
  // Cached with expiry now + ttl; false (and nothing kept) when the ttl is 0 (off).
  bool put(const std::string& key_id, SecretBytes d1, SecretBytes auth_key);
  // The entry if present and not expired (expired entries are wiped on the way).
  const CachedShare* get(const std::string& key_id);
  void forget(const std::string& key_id);
  void purge_expired();
  void clear();
  void set_ttl(std::chrono::seconds ttl) { ttl_ = ttl; }
  std::chrono::seconds ttl() const { return ttl_; }
  std::size_t size() const { return entries_.size(); }
  const std::map<std::string, CachedShare>& entries() const { return entries_; }

 private:
  const Clock& clock_;
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
  AgentCache cache_;
  uid_t allowed_uid_;
  int listen_fd_ = -1;
  ino_t socket_inode_ = 0;
};

// Client side. Every call connects, sends one request and reads one answer. "agent_unavailable"
// (kUnavailable) when no agent listens on the socket.
Result<nlohmann::json> agent_request(const std::string& socket_path, const nlohmann::json& request);
bool agent_running(const std::string& socket_path);

// Wipes the characters of every string value named in `fields` (best effort for JSON that carried
// secrets in std::string buffers).
void wipe_json_strings(nlohmann::json& j, std::initializer_list<const char*> fields);

}  // namespace certseal::client
