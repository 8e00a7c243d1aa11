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

constexpr std::size_t kMaxFrame = 64 * 1024;

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

Result<SecretBytes> secret_field(const nlohmann::json& j, const char* name) {
  if (!j.contains(name) || !j[name].is_string()) return invalid_argument("bad_request", std::string("missing ") + name);
  auto b = base64_decode(j[name].get<std::string>());
  if (!b || b->size() != 32) return invalid_argument("bad_request", std::string("bad ") + name);
  SecretBytes s(b->begin(), b->end());
  secure_wipe(b->data(), b->size());
  return s;
}

std::string b64_secret(const SecretBytes& s) { return base64_encode(BytesView(s.data(), s.size())); }

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

bool AgentCache::put(const std::string& key_id, SecretBytes d1, SecretBytes auth_key) {
  if (ttl_.count() <= 0) return false;
  CachedShare c{std::move(d1), std::move(auth_key), clock_.now_unix() + ttl_.count()};
  entries_.insert_or_assign(key_id, std::move(c));
  return true;
}

const CachedShare* AgentCache::get(const std::string& key_id) {
  purge_expired();
  auto it = entries_.find(key_id);
  return it == entries_.end() ? nullptr : &it->second;
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
    : path_(std::move(socket_path)), cache_(clock, ttl), allowed_uid_(allowed_uid) {}

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
  std::string key_id = req.is_object() ? req.value("key_id", "") : "";
  if (op == "get") {
    const CachedShare* c = cache_.get(key_id);
    if (!c) return {{"ok", true}, {"found", false}};
    return {{"ok", true}, {"found", true}, {"d1", b64_secret(c->d1)}, {"auth_key", b64_secret(c->auth_key)},
            {"expires_at", c->expires_at}};
  }
  if (op == "put") {
    if (key_id.empty()) return {{"ok", false}, {"error", "missing key_id"}};
    auto d1 = secret_field(req, "d1");
    auto ak = secret_field(req, "auth_key");
    if (!d1 || !ak) return {{"ok", false}, {"error", "bad share"}};
    bool cached = cache_.put(key_id, std::move(*d1), std::move(*ak));
    nlohmann::json out = {{"ok", true}, {"cached", cached}};
    if (cached) out["expires_at"] = cache_.entries().at(key_id).expires_at;
    return out;
  }
  if (op == "forget") {
    cache_.forget(key_id);
    return {{"ok", true}};
  }
  if (op == "ttl") {
    if (!req.contains("ttl_s") || !req["ttl_s"].is_number_integer() || req["ttl_s"].get<long>() < 0) {
      return {{"ok", false}, {"error", "bad ttl_s"}};
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
  return {{"ok", false}, {"error", "unknown op"}};
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
  wipe_json_strings(answer, {"d1", "auth_key"});
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

Result<nlohmann::json> agent_request(const std::string& socket_path, const nlohmann::json& request) {
  CS_ASSIGN(auto addr, unix_address(socket_path));
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return agent_io("socket");
  set_timeouts(fd.get(), 5);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return agent_io("connect");
  std::string text = request.dump();
  Status w = write_frame(fd.get(), text);
  secure_wipe(text.data(), text.size());
  CS_TRY(w);
  CS_ASSIGN(auto frame, read_frame(fd.get()));
  auto j = nlohmann::json::parse(frame, nullptr, false);
  secure_wipe(frame.data(), frame.size());
  if (!j.is_object()) return unavailable("agent_unavailable", "PIN cache: bad answer");
  if (!j.value("ok", false)) {
    return Error(ErrorKind::kPermissionDenied, "agent_refused", "PIN cache refused: " + j.value("error", "?"));
  }
  return j;
}

bool agent_running(const std::string& socket_path) {
  auto r = agent_request(socket_path, {{"op", "status"}});
  return r.ok();
}

}  // namespace certseal::client
