#include "client/device_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "base/encoding.h"

namespace certseal::client {
namespace {

Error io_error(const std::string& what, const fs::path& p) {
  return Error(ErrorKind::kInternal, "io", what + " " + p.string() + ": " + std::strerror(errno));
}

// Closes a file descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};

Result<Bytes> b64_field(const nlohmann::json& j, const char* name, std::size_t want_size) {
  if (!j.contains(name) || !j[name].is_string()) {
    return invalid_argument("bad_file", std::string("key file lacks ") + name);
  }
  auto b = base64_decode(j[name].get<std::string>());
  if (!b || (want_size && b->size() != want_size)) {
    return invalid_argument("bad_file", std::string("key file has a bad ") + name);
  }
  return std::move(b).value();
}

std::string random_uuid_v4(Rng& rng) {
  Bytes b = rng.bytes(16);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
  std::string h = hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace

Result<fs::path> resolve_data_dir(const std::string& flag) {
  if (!flag.empty()) return fs::path(flag);
  if (const char* d = std::getenv("CERTSEAL_DATA_DIR"); d && *d) return fs::path(d);
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "certseal";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local" / "share" / "certseal";
  return invalid_argument("data_dir", "no data directory: set --data-dir, CERTSEAL_DATA_DIR or HOME");
}

Status ensure_private_dir(const fs::path& dir) {
  fs::path acc;
  for (const auto& part : dir) {
    acc /= part;
    if (acc.empty() || acc == acc.root_path()) continue;
    if (::mkdir(acc.c_str(), 0700) != 0 && errno != EEXIST) return io_error("cannot create", acc);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return io_error("cannot stat", dir);
  if (!S_ISDIR(st.st_mode)) return Error(ErrorKind::kInternal, "data_dir", dir.string() + " is not a directory");
  if ((st.st_mode & 07777) != 0700 && ::chmod(dir.c_str(), 0700) != 0) return io_error("cannot chmod", dir);
  return ok_status();
}

Status write_file_atomic(const fs::path& path, std::string_view data) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  // Appended piecewise: GCC 12 at -O3 warns falsely (-Wrestrict) about "." + std::string.
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-XXXXXX";
  std::string tmpl = (dir / name).string();
  // mkstemp creates the file 0600 with O_EXCL.
  Fd fd(::mkstemp(tmpl.data()));
  if (fd.get() < 0) return io_error("cannot create a temporary file in", dir);
  auto fail = [&](const char* what) {
    Error e = io_error(what, tmpl);
    ::unlink(tmpl.c_str());
    return e;
  };
  if (::fchmod(fd.get(), 0600) != 0) return fail("cannot chmod");
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  if (::close(fd.release()) != 0) return fail("cannot close");
  if (::rename(tmpl.c_str(), path.c_str()) != 0) return fail("cannot rename");
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return ok_status();
}

Result<std::optional<std::string>> read_text_file(const fs::path& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return io_error("cannot open", path);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return std::optional<std::string>(std::move(out));
}

bool safe_file_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

nlohmann::json KeyFile::to_json() const {
  nlohmann::json j = {{"version", 1},
          {"key_id", key_id},
          {"certificate_id", certificate_id},
          {"public_key", base64_encode(public_key)},
          {"salt", base64_encode(salt)},
          {"argon2", {{"ops", limits.ops}, {"mem_bytes", limits.mem_bytes}}},
          {"masked_d1", base64_encode(masked_d1)},
          {"recovery_d1", base64_encode(recovery_d1)},
          {"created_at", created_at}};
  if (algorithm != "sm2") j["algorithm"] = algorithm;
  if (unusable) {
    j["unusable"] = true;
    j["unusable_reason"] = unusable_reason;
  }
  return j;
}

Result<KeyFile> KeyFile::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("key_id") || !j["key_id"].is_string()) {
    return invalid_argument("bad_file", "not a key file");
  }
  KeyFile k;
  k.key_id = j["key_id"];
  if (!safe_file_id(k.key_id)) return invalid_argument("bad_file", "bad key id in key file");
  k.certificate_id = j.value("certificate_id", "");
  k.algorithm = j.value("algorithm", "sm2");
  if (k.algorithm != "sm2" && k.algorithm != "rsa-2048" && k.algorithm != "rsa-3072" && k.algorithm != "ec-p256") {
    return invalid_argument("bad_file", "unknown key algorithm in key file");
  }
  const bool rsa = k.algorithm == "rsa-2048" || k.algorithm == "rsa-3072";
  const bool p256 = k.algorithm == "ec-p256";
  // RSA shares are |N|/8 + 16 bytes, checked against the key when unlocked (rsa_split.h);
  // P-256 shares are x1 ‖ Paillier seed (ecdsa_split.h).
  const std::size_t share_size = rsa ? 0 : p256 ? 64 : 32;
  CS_ASSIGN(k.public_key, b64_field(j, "public_key", rsa || p256 ? 0 : 65));
  CS_ASSIGN(k.salt, b64_field(j, "salt", crypto::kArgon2SaltSize));
  CS_ASSIGN(k.masked_d1, b64_field(j, "masked_d1", share_size));
  CS_ASSIGN(k.recovery_d1, b64_field(j, "recovery_d1", share_size));
  k.unusable = j.value("unusable", false);
  k.unusable_reason = j.value("unusable_reason", "");
  if (j.contains("argon2") && j["argon2"].is_object()) {
    k.limits.ops = j["argon2"].value("ops", k.limits.ops);
    k.limits.mem_bytes = j["argon2"].value("mem_bytes", k.limits.mem_bytes);
  }
  k.created_at = j.value("created_at", "");
  return k;
}

Result<DeviceStore> DeviceStore::open(const fs::path& root) {
  CS_TRY(ensure_private_dir(root));
  CS_TRY(ensure_private_dir(root / "keys"));
  CS_TRY(ensure_private_dir(root / "pairings"));
  return DeviceStore(root);
}

Result<DeviceInfo> DeviceStore::device(Rng& rng) {
  fs::path p = root_ / "device.json";
  CS_ASSIGN(auto text, read_text_file(p));
  if (text) {
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_object() && j.contains("device_id") && j["device_id"].is_string()) {
      return DeviceInfo{j["device_id"], j.value("device_name", "")};
    }
    return invalid_argument("bad_file", p.string() + " is damaged");
  }
  DeviceInfo d;
  d.device_id = random_uuid_v4(rng);
  char host[256] = {0};
  if (::gethostname(host, sizeof host - 1) != 0 || !*host) std::strcpy(host, "certseal");
  d.device_name = std::string("certseal@") + host;
  nlohmann::json j = {{"device_id", d.device_id}, {"device_name", d.device_name},
                      {"created_at", format_rfc3339(SystemClock().now())}};
  CS_TRY(write_file_atomic(p, j.dump(2) + "\n"));
  return d;
}

Result<std::optional<Session>> DeviceStore::session() const {
  CS_ASSIGN(auto text, read_text_file(root_ / "session.json"));
  if (!text) return std::optional<Session>();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return invalid_argument("bad_file", "session.json is damaged");
  Session s{j.value("server", ""), j.value("token", ""), j.value("phone", ""), j.value("expires_at", "")};
  return std::optional<Session>(std::move(s));
}

Status DeviceStore::save_session(const Session& s) {
  nlohmann::json j = {{"server", s.server}, {"token", s.token}, {"phone", s.phone}, {"expires_at", s.expires_at}};
  return write_file_atomic(root_ / "session.json", j.dump(2) + "\n");
}

Status DeviceStore::clear_session() {
  std::error_code ec;
  fs::remove(root_ / "session.json", ec);
  if (ec) return Error(ErrorKind::kInternal, "io", "cannot remove session.json: " + ec.message());
  return ok_status();
}

Result<KeyFile> DeviceStore::load_key(std::string_view key_id) const {
  if (!safe_file_id(key_id)) return not_found("unknown_key", std::string(key_id));
  CS_ASSIGN(auto text, read_text_file(root_ / "keys" / (std::string(key_id) + ".json")));
  if (!text) return not_found("unknown_key", std::string(key_id));
  auto j = nlohmann::json::parse(*text, nullptr, false);
  return KeyFile::from_json(j);
}

Result<std::vector<KeyFile>> DeviceStore::keys() const {
  std::vector<KeyFile> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "keys", ec)) {
    if (e.path().extension() != ".json") continue;
    std::string id = e.path().stem().string();
    if (!safe_file_id(id)) continue;
    CS_ASSIGN(auto k, load_key(id));
    out.push_back(std::move(k));
  }
  if (ec) return Error(ErrorKind::kInternal, "io", "cannot list keys: " + ec.message());
  std::sort(out.begin(), out.end(), [](const KeyFile& a, const KeyFile& b) { return a.created_at > b.created_at; });
  return out;
}

Status DeviceStore::save_key(const KeyFile& k) {
  if (!safe_file_id(k.key_id)) return invalid_argument("bad_key_id", "the server sent an unusable key id");
  return write_file_atomic(root_ / "keys" / (k.key_id + ".json"), k.to_json().dump(2) + "\n");
}

Status DeviceStore::remove_key(std::string_view key_id) {
  if (!safe_file_id(key_id)) return ok_status();
  std::error_code ec;
  fs::remove(root_ / "keys" / (std::string(key_id) + ".json"), ec);
  if (ec) return Error(ErrorKind::kInternal, "io", "cannot remove key file: " + ec.message());
  return ok_status();
}

Status DeviceStore::save_pairing(std::string_view pairing_id, const nlohmann::json& j) {
  if (!safe_file_id(pairing_id)) return invalid_argument("bad_pairing_id", "unusable pairing id");
  return write_file_atomic(root_ / "pairings" / (std::string(pairing_id) + ".json"), j.dump());
}

Result<std::optional<nlohmann::json>> DeviceStore::load_pairing(std::string_view pairing_id) const {
  if (!safe_file_id(pairing_id)) return std::optional<nlohmann::json>();
  CS_ASSIGN(auto text, read_text_file(root_ / "pairings" / (std::string(pairing_id) + ".json")));
  if (!text) return std::optional<nlohmann::json>();
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object()) return invalid_argument("bad_file", "pairing file is damaged");
  return std::optional<nlohmann::json>(std::move(j));
}

Status DeviceStore::remove_pairing(std::string_view pairing_id) {
  if (!safe_file_id(pairing_id)) return ok_status();
  std::error_code ec;
  fs::remove(root_ / "pairings" / (std::string(pairing_id) + ".json"), ec);
  return ok_status();
}

}  // namespace certseal::client
