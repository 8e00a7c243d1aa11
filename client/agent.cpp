#include "client/agent.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/encoding.h"

namespace certseal::client {
namespace {

constexpr std::size_t kMaxFrame = 1024 * 1024;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error agent_io(const std::string& what) {
  return unavailable("agent_unavailable", "PIN cache: " + what + ": " + std::strerror(errno));
}

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return invalid_argument("usage", "socket path too long: " + path);
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

void set_timeouts(int fd, int seconds) {
  timeval tv{seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

Status write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return agent_io("write");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return ok_status();
}

Status read_all(int fd, void* data, std::size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return agent_io("read");
    }
    if (r == 0) return unavailable("agent_unavailable", "PIN cache: connection closed");
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return ok_status();
}

Result<SecretBytes> secret_field(const nlohmann::json& j, const char* name, std::size_t size = 32) {
  if (!j.contains(name) || !j[name].is_string()) return invalid_argument("bad_request", std::string("missing ") + name);
  auto b = base64_decode(j[name].get<std::string>());
  if (!b || (size != 0 && b->size() != size)) {
    if (b) secure_wipe(b->data(), b->size());
    return invalid_argument("bad_request", std::string("bad ") + name);
  }
  SecretBytes s(b->begin(), b->end());
  secure_wipe(b->data(), b->size());
  return s;
}

Result<Bytes> bytes_field(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) return invalid_argument("bad_request", std::string("missing ") + name);
  auto b = base64_decode(j[name].get<std::string>());
  if (!b) return invalid_argument("bad_request", std::string("bad ") + name);
  return std::move(b).value();
}

Result<std::string> text_field(const nlohmann::json& j, const char* name, std::size_t max = 256) {
  if (!j.contains(name) || !j[name].is_string() || j[name].get<std::string>().empty() ||
      j[name].get<std::string>().size() > max) {
    return invalid_argument("bad_request", std::string("missing or bad ") + name);
  }
  return j[name].get<std::string>();
}

std::string b64(BytesView b) { return base64_encode(b); }

nlohmann::json refusal(const Error& e) { return {{"ok", false}, {"error", e.code}, {"detail", e.message}}; }
nlohmann::json refusal(const std::string& code, const std::string& detail) {
  return {{"ok", false}, {"error", code}, {"detail", detail}};
}

nlohmann::json started(const StepStart& s) {
  return {{"ok", true}, {"session", s.session}, {"request", b64(s.request)}, {"proof", b64(s.proof)}};
}

}  // namespace

void wipe_json_strings(nlohmann::json& j, std::initializer_list<const char*> fields) {
  if (!j.is_object()) return;
  for (const char* f : fields) {
    auto it = j.find(f);
    if (it != j.end() && it->is_string()) {
      auto& s = it->get_ref<std::string&>();
      secure_wipe(s.data(), s.size());
    }
  }
}

// ---- cache ----

bool AgentCache::put(const std::string& key_id, const std::string& device_id, crypto::cosign::DeviceShare share,
                     SecretBytes auth_key) {
  if (ttl_.count() <= 0) return false;
  CachedShare c{std::make_unique<LocalDeviceHalf>(key_id, device_id, std::move(share), std::move(auth_key), rng_,
                                                  clock_),
                clock_.now_unix() + ttl_.count()};
  entries_.insert_or_assign(key_id, std::move(c));
  return true;
}

LocalDeviceHalf* AgentCache::get(const std::string& key_id) {
  purge_expired();
  auto it = entries_.find(key_id);
  return it == entries_.end() ? nullptr : it->second.half.get();
}

std::optional<std::int64_t> AgentCache::expires_at(const std::string& key_id) const {
  auto it = entries_.find(key_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.expires_at;
}

void AgentCache::forget(const std::string& key_id) { entries_.erase(key_id); }

void AgentCache::purge_expired() {
  std::int64_t now = clock_.now_unix();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires_at <= now) {
      it = entries_.erase(it);  // SecretBytes wipe themselves
    } else {
      ++it;
    }
  }
}

void AgentCache::clear() { entries_.clear(); }

// ---- frames ----

Status write_frame(int fd, std::string_view payload) {
  if (payload.size() > kMaxFrame) return invalid_argument("frame_too_large", "message too large");
  std::uint8_t len[4] = {static_cast<std::uint8_t>(payload.size() >> 24), static_cast<std::uint8_t>(payload.size() >> 16),
                         static_cast<std::uint8_t>(payload.size() >> 8), static_cast<std::uint8_t>(payload.size())};
  CS_TRY(write_all(fd, len, 4));
  return write_all(fd, payload.data(), payload.size());
}

Result<std::string> read_frame(int fd) {
  std::uint8_t len[4];
  CS_TRY(read_all(fd, len, 4));
  std::size_t n = (std::size_t{len[0]} << 24) | (std::size_t{len[1]} << 16) | (std::size_t{len[2]} << 8) | len[3];
  if (n > kMaxFrame) return invalid_argument("frame_too_large", "message too large");
  std::string out(n, '\0');
  CS_TRY(read_all(fd, out.data(), n));
  return out;
}

// ---- server ----

AgentServer::AgentServer(std::string socket_path, const Clock& clock, std::chrono::seconds ttl, uid_t allowed_uid)
    : path_(std::move(socket_path)), cache_(clock, rng_, ttl), allowed_uid_(allowed_uid) {}

AgentServer::~AgentServer() {
  cache_.clear();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    struct stat st {};
    // Only our own socket file: never one a newer agent put in its place.
    if (::stat(path_.c_str(), &st) == 0 && st.st_ino == socket_inode_) ::unlink(path_.c_str());
  }
}

Status AgentServer::listen() {
  if (agent_running(path_)) return conflict("agent_running", "a PIN cache already runs on " + path_);
  ::unlink(path_.c_str());  // a stale socket from an agent that died
  CS_ASSIGN(auto addr, unix_address(path_));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return agent_io("socket");
  mode_t old = ::umask(077);
  int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (rc != 0 || ::chmod(path_.c_str(), 0600) != 0 || ::listen(fd, 16) != 0) {
    Error e = agent_io("bind " + path_);
    ::close(fd);
    return e;
  }
  listen_fd_ = fd;
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) socket_inode_ = st.st_ino;
  return ok_status();
}

nlohmann::json AgentServer::handle(const nlohmann::json& req, bool* stop) {
  std::string op = req.is_object() ? req.value("op", "") : "";
  std::string key_id = req.is_object() && req.contains("key_id") && req["key_id"].is_string() ? req["key_id"].get<std::string>() : "";
  if (op == "put") {
    if (key_id.empty()) return refusal("bad_request", "missing key_id");
    auto device_id = text_field(req, "device_id");
    auto public_key = bytes_field(req, "public_key");
    auto d1 = secret_field(req, "d1");
    auto ak = secret_field(req, "auth_key");
    if (!device_id || !public_key || !d1 || !ak) return refusal("bad_request", "bad share");
    auto share = crypto::cosign::DeviceShare::from_parts(*d1, *public_key);
    if (!share) return refusal(share.error());
    bool cached = cache_.put(key_id, *device_id, std::move(*share), std::move(*ak));
    nlohmann::json out = {{"ok", true}, {"cached", cached}};
    if (cached) out["expires_at"] = *cache_.expires_at(key_id);
    return out;
  }
  if (op == "sign_start" || op == "sign_finish" || op == "decrypt_start" || op == "decrypt_finish") {
    LocalDeviceHalf* half = cache_.get(key_id);
    if (half == nullptr) return refusal("not_cached", "this key is not in the PIN cache");
    if (op == "sign_start") {
      auto nonce = text_field(req, "nonce");
      auto digest = bytes_field(req, "digest");
      if (!nonce || !digest) return refusal("bad_request", "sign_start needs nonce and digest");
      auto s = half->sign_start(*nonce, *digest);
      return s ? started(*s) : refusal(s.error());
    }
    if (op == "decrypt_start") {
      auto nonce = text_field(req, "nonce");
      auto cipher = bytes_field(req, "ciphertext");
      std::string order = req.value("order", "c1c3c2");
      if (!nonce || !cipher || (order != "c1c3c2" && order != "c1c2c3")) {
        return refusal("bad_request", "decrypt_start needs nonce, ciphertext and order c1c3c2 or c1c2c3");
      }
      auto s = half->decrypt_start(*nonce, *cipher,
                                   order == "c1c2c3" ? crypto::Sm2CipherOrder::kC1C2C3 : crypto::Sm2CipherOrder::kC1C3C2);
      return s ? started(*s) : refusal(s.error());
    }
    auto session = text_field(req, "session");
    auto response = bytes_field(req, "response");
    if (!session || !response) return refusal("bad_request", op + " needs session and response");
    if (op == "sign_finish") {
      auto sig = half->sign_finish(*session, *response);
      if (!sig) return refusal(sig.error());
      return {{"ok", true}, {"signature", b64(*sig)}};
    }
    auto plain = half->decrypt_finish(*session, *response);
    if (!plain) return refusal(plain.error());
    return {{"ok", true}, {"plaintext", b64(BytesView(plain->data(), plain->size()))}};
  }
  if (op == "forget") {
    cache_.forget(key_id);
    return {{"ok", true}};
  }
  if (op == "ttl") {
    if (!req.contains("ttl_s") || !req["ttl_s"].is_number_integer() || req["ttl_s"].get<long>() < 0) {
      return refusal("bad_request", "bad ttl_s");
    }
    cache_.set_ttl(std::chrono::seconds(req["ttl_s"].get<long>()));
    return {{"ok", true}, {"ttl_s", cache_.ttl().count()}};
  }
  if (op == "status") {
    cache_.purge_expired();
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& [id, c] : cache_.entries()) entries.push_back({{"key_id", id}, {"expires_at", c.expires_at}});
    return {{"ok", true}, {"ttl_s", cache_.ttl().count()}, {"entries", entries}, {"pid", ::getpid()}};
  }
  if (op == "clear") {
    cache_.clear();
    return {{"ok", true}};
  }
  if (op == "stop") {
    cache_.clear();
    if (stop) *stop = true;
    return {{"ok", true}};
  }
  // Nothing else is answered; in particular no request returns d1 or the auth key.
  return refusal("unknown_op", "unknown request");
}

void AgentServer::serve_one(int conn, bool* stop) {
  set_timeouts(conn, 5);
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.uid != allowed_uid_) {
    (void)write_frame(conn, R"({"ok":false,"error":"peer_uid"})");
    return;
  }
  auto frame = read_frame(conn);
  if (!frame) return;
  auto req = nlohmann::json::parse(*frame, nullptr, false);
  secure_wipe(frame->data(), frame->size());
  nlohmann::json answer = handle(req, stop);
  wipe_json_strings(req, {"d1", "auth_key"});
  std::string text = answer.dump();
  wipe_json_strings(answer, {"plaintext"});
  (void)write_frame(conn, text);
  secure_wipe(text.data(), text.size());
}

void AgentServer::serve(const std::atomic<bool>* cancel) {
  bool stop = false;
  while (!stop && !(cancel && cancel->load())) {
    pollfd p{listen_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, 200);
    cache_.purge_expired();
    // The socket file removed or replaced (data folder deleted, another agent): nobody can reach
    // this one any more, so it wipes everything and ends.
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0 || st.st_ino != socket_inode_) break;
    if (n <= 0) continue;
    int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    Fd guard(conn);
    serve_one(conn, &stop);
  }
  cache_.clear();
}

// ---- client ----

Result<nlohmann::json> agent_exchange(const std::string& socket_path, const nlohmann::json& request) {
  CS_ASSIGN(auto addr, unix_address(socket_path));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return agent_io("socket");
  set_timeouts(fd.get(), 5);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return agent_io("connect");
  std::string text = request.dump();
  Status w = write_frame(fd.get(), text);
  secure_wipe(text.data(), text.size());
  // The agent may answer and close before taking the request (a refusal of a peer of another
  // user): the write then fails with EPIPE, but the answer is already here to read.
  auto read = read_frame(fd.get());
  if (!read) {
    CS_TRY(w);
    return std::move(read).error();
  }
  std::string frame = std::move(read).value();
  auto j = nlohmann::json::parse(frame, nullptr, false);
  secure_wipe(frame.data(), frame.size());
  if (!j.is_object()) return unavailable("agent_unavailable", "PIN cache: bad answer");
  return j;
}

Result<nlohmann::json> agent_request(const std::string& socket_path, const nlohmann::json& request) {
  CS_ASSIGN(auto j, agent_exchange(socket_path, request));
  if (!j.value("ok", false)) {
    return Error(ErrorKind::kPermissionDenied, "agent_refused", "PIN cache refused: " + j.value("error", "?"));
  }
  return j;
}

bool agent_running(const std::string& socket_path) {
  auto r = agent_request(socket_path, {{"op", "status"}});
  return r.ok();
}

bool agent_has_key(const std::string& socket_path, const std::string& key_id) {
  auto r = agent_request(socket_path, {{"op", "status"}});
  if (!r || !r->contains("entries") || !(*r)["entries"].is_array()) return false;
  for (const auto& e : (*r)["entries"]) {
    if (e.is_object() && e.value("key_id", "") == key_id) return true;
  }
  return false;
}

Status agent_put(const std::string& socket_path, const std::string& key_id, const std::string& device_id,
                 const crypto::cosign::DeviceShare& share, BytesView auth_key) {
  const SecretBytes& d1 = share.scalar();
  nlohmann::json put = {{"op", "put"},
                        {"key_id", key_id},
                        {"device_id", device_id},
                        {"public_key", b64(share.public_key())},
                        {"d1", b64(BytesView(d1.data(), d1.size()))},
                        {"auth_key", b64(auth_key)}};
  auto r = agent_request(socket_path, put);
  wipe_json_strings(put, {"d1", "auth_key"});
  CS_TRY(r);
  return ok_status();
}

// ---- the device half inside the agent ----

Result<nlohmann::json> AgentDeviceHalf::call(nlohmann::json request) {
  request["key_id"] = key_id_;
  CS_ASSIGN(auto j, agent_exchange(path_, request));
  if (j.value("ok", false)) return j;
  const std::string code = j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : "?";
  const std::string detail = j.contains("detail") && j["detail"].is_string() ? j["detail"].get<std::string>() : code;
  if (code == "not_cached") {
    return Error(ErrorKind::kFailedPrecondition, "agent_not_cached", "the PIN cache no longer holds this key");
  }
  if (code == "cosign_retry") return Error(ErrorKind::kUnavailable, code, detail);
  return Error(ErrorKind::kInvalidArgument, code, "PIN cache: " + detail);
}

namespace {
Result<StepStart> step_start_from(const nlohmann::json& j) {
  StepStart s;
  if (!j.contains("session") || !j["session"].is_string()) return unavailable("agent_unavailable", "PIN cache: bad answer");
  s.session = j["session"].get<std::string>();
  CS_ASSIGN(s.request, bytes_field(j, "request"));
  CS_ASSIGN(s.proof, bytes_field(j, "proof"));
  return s;
}
}  // namespace

Result<StepStart> AgentDeviceHalf::sign_start(const std::string& nonce, BytesView digest) {
  CS_ASSIGN(auto j, call({{"op", "sign_start"}, {"nonce", nonce}, {"digest", b64(digest)}}));
  return step_start_from(j);
}

Result<Bytes> AgentDeviceHalf::sign_finish(const std::string& session, BytesView response) {
  CS_ASSIGN(auto j, call({{"op", "sign_finish"}, {"session", session}, {"response", b64(response)}}));
  return bytes_field(j, "signature");
}

Result<StepStart> AgentDeviceHalf::decrypt_start(const std::string& nonce, BytesView ciphertext,
                                                 crypto::Sm2CipherOrder order) {
  CS_ASSIGN(auto j, call({{"op", "decrypt_start"},
                          {"nonce", nonce},
                          {"ciphertext", b64(ciphertext)},
                          {"order", order == crypto::Sm2CipherOrder::kC1C2C3 ? "c1c2c3" : "c1c3c2"}}));
  return step_start_from(j);
}

Result<SecretBytes> AgentDeviceHalf::decrypt_finish(const std::string& session, BytesView response) {
  CS_ASSIGN(auto j, call({{"op", "decrypt_finish"}, {"session", session}, {"response", b64(response)}}));
  auto plain = secret_field(j, "plaintext", 0);
  wipe_json_strings(j, {"plaintext"});
  return plain;
}

}  // namespace certseal::client
