#include "app/master_key.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "crypto/pkey.h"
#include "keystore/pkcs11_key_manager.h"

namespace certseal::app {
namespace {

namespace fs = std::filesystem;

Error bad_key(std::string msg) { return invalid_argument("bad_master_key", std::move(msg)); }

// Writes `data` to `path` with mode 0600 through a temporary file and a rename (never half-written).
Status write_private_file(const std::string& path, BytesView data) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp";
  fs::remove(tmp, ec);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return unavailable("keystore_io", "cannot create the master key file '" + path + "'");
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return unavailable("keystore_io", "cannot write the master key file '" + path + "'");
  fs::rename(tmp, path, ec);
  if (ec) return unavailable("keystore_io", "cannot create the master key file '" + path + "'");
  return {};
}

Result<std::string> read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return unavailable("keystore_io", "cannot read '" + path + "'");
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

bool under(const std::string& file, const std::string& dir) {
  std::error_code ec;
  auto f = fs::weakly_canonical(fs::absolute(file), ec);
  auto d = fs::weakly_canonical(fs::absolute(dir), ec);
  auto rel = f.lexically_relative(d);
  return !rel.empty() && *rel.begin() != "..";
}

Result<MasterKey> from_file(const Config& c, Rng& rng) {
  const std::string& path = c.keys.master_key_file;
  MasterKey m{SecretBytes(32), "file " + path, under(path, c.data_dir)};
  if (fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(m.key.data()), 32);
    if (in.gcount() != 32 || in.peek() != std::char_traits<char>::eof()) {
      return bad_key("master key file '" + path + "' is not 32 bytes");
    }
    return m;
  }
  rng.fill(m.key);
  CS_TRY(write_private_file(path, m.key));
  m.where += " (created)";
  return m;
}

Result<MasterKey> from_env(const Getenv& getenv) {
  auto v = getenv(kMasterKeyEnv);
  if (!v || v->empty()) {
    return bad_key(std::string("keys.master_key_source = env but ") + kMasterKeyEnv + " is not set");
  }
  auto bytes = hex_decode(*v);
  if (!bytes || bytes->size() != 32) {
    return bad_key(std::string(kMasterKeyEnv) + " must be 64 hex digits (32 bytes)");
  }
  MasterKey m{SecretBytes(bytes->begin(), bytes->end()), std::string("environment ") + kMasterKeyEnv, false};
  std::fill(bytes->begin(), bytes->end(), 0);
  return m;
}

Result<MasterKey> from_pkcs11(const Config& c, Rng& rng) {
  CS_ASSIGN(auto km, keystore::Pkcs11KeyManager::open(c.keys.pkcs11_module, c.keys.pkcs11_token,
                                                        SecretString(c.keys.pkcs11_pin.begin(), c.keys.pkcs11_pin.end()),
                                                        rng));
  const std::string path = c.keys.dir + "/master.key.p11";
  MasterKey m{{}, "PKCS#11 token '" + c.keys.pkcs11_token + "' (" + c.keys.pkcs11_module + "), wrapped in " + path,
              false};
  if (fs::exists(path)) {
    CS_ASSIGN(std::string text, read_whole(path));
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("key_id") || !j.contains("wrapped") || !j["key_id"].is_string() ||
        !j["wrapped"].is_string()) {
      return bad_key("'" + path + "' is not a wrapped master key");
    }
    auto wrapped = base64_decode(j["wrapped"].get<std::string>());
    if (!wrapped) return bad_key("'" + path + "' is not a wrapped master key");
    auto scheme = j.value("scheme", "rsa-oaep-sha256") == "rsa-pkcs1" ? crypto::EncryptScheme::kRsaPkcs1
                                                                      : crypto::EncryptScheme::kRsaOaepSha256;
    auto key = km->decrypt(j["key_id"].get<std::string>(), scheme, *wrapped);
    if (!key || key->size() != 32) {
      return bad_key("the PKCS#11 token cannot unwrap the master key in '" + path + "' (another token?)")
          .with_cause(key ? "wrong size" : key.error().message);
    }
    m.key = std::move(key).value();
    return m;
  }
  CS_ASSIGN(auto wrap_key, km->generate(crypto::KeyType::kRsa3072, "certseal master key wrapping"));
  CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(wrap_key.public_key));
  m.key = SecretBytes(32);
  rng.fill(m.key);
  // RSA-OAEP with SHA-256 where the token has it; tokens that offer OAEP with SHA-1 only (SoftHSM2
  // 2.6) get PKCS#1 v1.5, which is safe here: the token decrypts one stored blob at start and
  // answers no one else, so there is no padding oracle. The unwrap is tried before the file is
  // written, so a key that this token cannot open is never kept.
  std::string scheme_name = "rsa-oaep-sha256";
  CS_ASSIGN(Bytes wrapped, crypto::encrypt(pub, crypto::EncryptScheme::kRsaOaepSha256, m.key));
  auto back = km->decrypt(wrap_key.id, crypto::EncryptScheme::kRsaOaepSha256, wrapped);
  if (!back && back.error().code == "pkcs11_mechanism_unsupported") {
    scheme_name = "rsa-pkcs1";
    CS_ASSIGN(wrapped, crypto::encrypt(pub, crypto::EncryptScheme::kRsaPkcs1, m.key));
    back = km->decrypt(wrap_key.id, crypto::EncryptScheme::kRsaPkcs1, wrapped);
  }
  if (!back) return back.error();
  if (*back != m.key) return bad_key("the PKCS#11 token did not give the master key back");
  std::string text =
      nlohmann::json({{"key_id", wrap_key.id}, {"scheme", scheme_name}, {"wrapped", base64_encode(wrapped)}}).dump();
  CS_TRY(write_private_file(path, as_bytes(text)));
  m.where += " (created)";
  return m;
}

}  // namespace

Result<MasterKey> load_master_key(const Config& c, const Getenv& getenv, Rng& rng) {
  if (c.keys.master_key_source == "env") return from_env(getenv);
  if (c.keys.master_key_source == "pkcs11") return from_pkcs11(c, rng);
  return from_file(c, rng);
}

}  // namespace certseal::app
