#include "keystore/software_key_manager.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/encoding.h"
#include "base/locked_rng.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"

namespace certseal::keystore {
namespace {

namespace fs = std::filesystem;
using crypto::KeyType;
using crypto::PrivateKey;

constexpr const char* kSuffix = ".key";

Error io_error(const std::string& what) {
  return unavailable("keystore_io", "the key store could not be read or written", what + ": " + std::strerror(errno));
}

Error corrupt(const std::string& id, const std::string& why) {
  return Error(ErrorKind::kInternal, "keystore_corrupt", "a stored key is damaged", id + ": " + why);
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Bytes aad_for(std::string_view id, KeyType type) {
  return to_bytes("certseal-key:v1:" + std::string(id) + ":" + std::string(crypto::key_type_name(type)));
}

// Writes data to path atomically (temp file in the same directory, fsync, rename), mode 0600.
Status write_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("open " + tmp);
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return io_error("write " + tmp);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return io_error("fsync " + tmp);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return io_error("rename " + tmp);
  return ok_status();
}

Result<std::string> read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (!fs::exists(path)) return Error(ErrorKind::kNotFound, "key_not_found", "no such key");
    return io_error("open " + path);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct StoredKey {
  std::string id;
  KeyType type = KeyType::kSm2;
  std::string label;
  Bytes public_key;
  std::string master_key_id;
  Bytes sealed;
};

Result<StoredKey> parse_stored(const std::string& id, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return corrupt(id, "not a JSON object");
  try {
    StoredKey k;
    if (j.at("v").get<int>() != 1) return corrupt(id, "unknown version");
    k.id = j.at("id").get<std::string>();
    if (k.id != id) return corrupt(id, "id inside the file does not match its name");
    CS_ASSIGN(k.type, crypto::key_type_from_name(j.at("type").get<std::string>()));
    k.label = j.at("label").get<std::string>();
    CS_ASSIGN(k.public_key, base64_decode(j.at("public_key").get<std::string>()));
    k.master_key_id = j.at("master_key_id").get<std::string>();
    CS_ASSIGN(k.sealed, base64_decode(j.at("sealed").get<std::string>()));
    return k;
  } catch (const nlohmann::json::exception& e) {
    return corrupt(id, e.what());
  }
}

std::string render_stored(const StoredKey& k) {
  nlohmann::json j = {{"v", 1},
                      {"id", k.id},
                      {"type", std::string(crypto::key_type_name(k.type))},
                      {"label", k.label},
                      {"public_key", base64_encode(k.public_key)},
                      {"master_key_id", k.master_key_id},
                      {"sealed", base64_encode(k.sealed)}};
  return j.dump(2) + "\n";
}

}  // namespace

Error key_not_found(std::string_view id) {
  return not_found("key_not_found", "no key with id " + std::string(id.substr(0, 64)));
}

std::string master_key_fingerprint(BytesView master_key) {
  Bytes mac = crypto::hmac_sm3(master_key, as_bytes("CertSeal master key id"));
  return hex_encode(BytesView(mac).first(8));
}

SoftwareKeyManager::SoftwareKeyManager(std::string dir, SecretBytes master, Rng& rng,
                                       std::vector<SecretBytes> previous)
    : dir_(std::move(dir)), master_(std::move(master)), rng_(rng), previous_(std::move(previous)) {}

Result<std::unique_ptr<SoftwareKeyManager>> SoftwareKeyManager::open(std::string dir, SecretBytes master_key,
                                                                     Rng& rng,
                                                                     std::vector<SecretBytes> previous_keys) {
  if (master_key.size() < crypto::kSm4KeySize) {
    return invalid_argument("bad_master_key", "the master key must be at least 16 bytes");
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("keystore_io", "the key store directory could not be created", ec.message());
  ::chmod(dir.c_str(), 0700);
  return std::unique_ptr<SoftwareKeyManager>(
      new SoftwareKeyManager(std::move(dir), std::move(master_key), rng, std::move(previous_keys)));
}

std::string SoftwareKeyManager::path_for(std::string_view key_id) const {
  return dir_ + "/" + std::string(key_id) + kSuffix;
}

std::string SoftwareKeyManager::master_key_id() const {
  std::lock_guard lock(mu_);
  return master_key_fingerprint(master_);
}

Result<KeyInfo> SoftwareKeyManager::store(const PrivateKey& key, std::string_view label) {
  LockedRng rng(rng_, rng_mu_);
  StoredKey k;
  k.id = hex_encode(rng.bytes(16));
  k.type = key.type();
  k.label = std::string(label);
  k.public_key = key.public_key().spki_der();
  k.master_key_id = master_key_fingerprint(master_);
  SecretBytes pkcs8 = key.pkcs8_der();
  CS_ASSIGN(k.sealed, crypto::sm4_aead_seal(master_, pkcs8, aad_for(k.id, k.type), rng));
  CS_TRY(write_atomic(path_for(k.id), render_stored(k)));
  return KeyInfo{k.id, k.type, k.label, k.public_key};
}

Result<KeyInfo> SoftwareKeyManager::generate(KeyType type, std::string_view label) {
  std::lock_guard lock(mu_);
  LockedRng rng(rng_, rng_mu_);
  CS_ASSIGN(PrivateKey key, PrivateKey::generate(type, rng));
  return store(key, label);
}

Result<KeyInfo> SoftwareKeyManager::import_key(const PrivateKey& key, std::string_view label) {
  std::lock_guard lock(mu_);
  return store(key, label);
}

Result<PrivateKey> SoftwareKeyManager::load_private(std::string_view key_id) {
  if (!valid_id(key_id)) return key_not_found(key_id);
  auto text = read_text(path_for(key_id));
  if (!text.ok()) {
    if (text.error().kind == ErrorKind::kNotFound) return key_not_found(key_id);
    return std::move(text).error();
  }
  CS_ASSIGN(StoredKey k, parse_stored(std::string(key_id), *text));
  const SecretBytes* master = nullptr;
  if (master_key_fingerprint(master_) == k.master_key_id) master = &master_;
  for (const auto& prev : previous_) {
    if (master == nullptr && master_key_fingerprint(prev) == k.master_key_id) master = &prev;
  }
  if (master == nullptr) {
    return Error(ErrorKind::kFailedPrecondition, "master_key_unknown",
                 "the key was sealed under a master key this server does not have", k.master_key_id);
  }
  auto pkcs8 = crypto::sm4_aead_open(*master, k.sealed, aad_for(k.id, k.type));
  if (!pkcs8.ok()) return corrupt(k.id, "sealed key fails authentication");
  CS_ASSIGN(PrivateKey key, PrivateKey::from_pkcs8_der(*pkcs8));
  if (key.type() != k.type) return corrupt(k.id, "key type does not match");
  return key;
}

Result<std::shared_ptr<const PrivateKey>> SoftwareKeyManager::cached_private(std::string_view key_id) {
  std::lock_guard lock(mu_);
  if (!valid_id(key_id)) return key_not_found(key_id);
  // Reading the small file costs microseconds; unsealing and parsing it is what the cache saves.
  auto text = read_text(path_for(key_id));
  if (!text.ok()) {
    cache_.erase(std::string(key_id));
    if (text.error().kind == ErrorKind::kNotFound) return key_not_found(key_id);
    return std::move(text).error();
  }
  if (auto it = cache_.find(key_id); it != cache_.end()) {
    if (it->second.file == *text) return it->second.key;
    cache_.erase(it);
  }
  CS_ASSIGN(PrivateKey key, load_private(key_id));
  if (cache_.size() >= kMaxCachedKeys) cache_.clear();
  auto shared = std::make_shared<const PrivateKey>(std::move(key));
  cache_.emplace(std::string(key_id), CachedKey{shared, std::move(*text)});
  return shared;
}

Result<Bytes> SoftwareKeyManager::sign(std::string_view key_id, crypto::SignScheme scheme, BytesView message,
                                       std::string_view sm2_id) {
  CS_ASSIGN(auto key, cached_private(key_id));
  // SM2: the engine's hedged nonce mixes the injected Rng with the key and the message digest.
  // The signature runs outside mu_; the Rng is drawn from under rng_mu_ (it need not be thread-safe).
  LockedRng rng(rng_, rng_mu_);
  return crypto::sign(*key, scheme, message, sm2_id, rng);
}

Result<SecretBytes> SoftwareKeyManager::decrypt(std::string_view key_id, crypto::EncryptScheme scheme,
                                                BytesView ciphertext) {
  CS_ASSIGN(auto key, cached_private(key_id));
  return crypto::decrypt(*key, scheme, ciphertext);
}

Result<Bytes> SoftwareKeyManager::public_key(std::string_view key_id) {
  std::lock_guard lock(mu_);
  if (!valid_id(key_id)) return key_not_found(key_id);
  auto text = read_text(path_for(key_id));
  if (!text.ok()) return key_not_found(key_id);
  CS_ASSIGN(StoredKey k, parse_stored(std::string(key_id), *text));
  return k.public_key;
}

Status SoftwareKeyManager::destroy(std::string_view key_id) {
  std::lock_guard lock(mu_);
  if (!valid_id(key_id)) return key_not_found(key_id);
  std::string path = path_for(key_id);
  cache_.erase(std::string(key_id));
  if (!fs::exists(path)) return key_not_found(key_id);
  // Overwrite before unlinking (best effort on journaling filesystems).
  auto text = read_text(path);
  if (text.ok()) {
    std::string zeros(text->size(), '\0');
    (void)write_atomic(path, zeros);
  }
  if (::unlink(path.c_str()) != 0) return io_error("unlink " + path);
  return ok_status();
}

Result<std::vector<KeyInfo>> SoftwareKeyManager::list() {
  std::lock_guard lock(mu_);
  std::vector<KeyInfo> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= 4 || name.substr(name.size() - 4) != kSuffix) continue;
    std::string id = name.substr(0, name.size() - 4);
    if (!valid_id(id)) continue;
    CS_ASSIGN(std::string text, read_text(entry.path().string()));
    CS_ASSIGN(StoredKey k, parse_stored(id, text));
    out.push_back(KeyInfo{k.id, k.type, k.label, k.public_key});
  }
  if (ec) return unavailable("keystore_io", "the key store could not be listed", ec.message());
  std::sort(out.begin(), out.end(), [](const KeyInfo& a, const KeyInfo& b) { return a.id < b.id; });
  return out;
}

Status SoftwareKeyManager::check_master_key() {
  std::lock_guard lock(mu_);
  std::vector<std::string> known = {master_key_fingerprint(master_)};
  for (const auto& p : previous_) known.push_back(master_key_fingerprint(p));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() <= 4 || name.substr(name.size() - 4) != kSuffix) continue;
    std::string id = name.substr(0, name.size() - 4);
    if (!valid_id(id)) continue;
    CS_ASSIGN(std::string text, read_text(entry.path().string()));
    CS_ASSIGN(StoredKey k, parse_stored(id, text));
    if (std::find(known.begin(), known.end(), k.master_key_id) == known.end()) {
      return invalid_argument("bad_master_key",
                              "the master key (id " + known.front() + ") is not the one the stored keys were sealed "
                              "with (id " + k.master_key_id + "): check keys.master_key_source")
          .with_cause("key " + id);
    }
  }
  if (ec) return unavailable("keystore_io", "the key store could not be listed", ec.message());
  return {};
}

Status SoftwareKeyManager::rotate_master_key(SecretBytes new_master_key) {
  if (new_master_key.size() < crypto::kSm4KeySize) {
    return invalid_argument("bad_master_key", "the master key must be at least 16 bytes");
  }
  std::lock_guard lock(mu_);
  // The new key becomes current first; the old one stays readable while files are re-sealed.
  previous_.push_back(std::move(master_));
  master_ = std::move(new_master_key);
  const std::string new_id = master_key_fingerprint(master_);
  std::error_code ec;
  std::vector<std::string> ids;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == kSuffix && valid_id(name.substr(0, name.size() - 4))) {
      ids.push_back(name.substr(0, name.size() - 4));
    }
  }
  if (ec) return unavailable("keystore_io", "the key store could not be listed", ec.message());
  for (const std::string& id : ids) {
    CS_ASSIGN(std::string text, read_text(path_for(id)));
    CS_ASSIGN(StoredKey k, parse_stored(id, text));
    if (k.master_key_id == new_id) continue;
    CS_ASSIGN(PrivateKey key, load_private(id));
    SecretBytes pkcs8 = key.pkcs8_der();
    LockedRng rng(rng_, rng_mu_);
    CS_ASSIGN(k.sealed, crypto::sm4_aead_seal(master_, pkcs8, aad_for(k.id, k.type), rng));
    k.master_key_id = new_id;
    CS_TRY(write_atomic(path_for(id), render_stored(k)));
  }
  return ok_status();
}

}  // namespace certseal::keystore
