// The device's files (docs/SHIELD.md "What each side stores"):
//
//   <data dir>/device.json          {"device_id", "device_name", "created_at"}  (created on first use)
//   <data dir>/session.json         {"server", "token", "phone", "expires_at"}
//   <data dir>/keys/<key_id>.json   KeyFile below
//   <data dir>/pairings/<id>.json   a pending pairing's ephemeral SM2 private key (new device side)
//   <data dir>/agent.sock           the PIN cache's Unix socket (client/agent.h)
//
// The data dir is --data-dir, else $CERTSEAL_DATA_DIR, else $XDG_DATA_HOME/certseal, else
// ~/.local/share/certseal. Directories are created 0700 (and tightened to 0700 if they exist);
// files are written 0600 atomically: a temporary file in the same directory (O_EXCL, 0600),
// written and fsync'ed, then renamed over the target, then the directory fsync'ed. A reader thus
// sees the old or the new content, never a torn file.
// Contract: errors as values (codes "data_dir", "io", "bad_file"); not thread-safe (one
// command at a time per process; concurrent processes are safe through the atomic renames).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/password.h"

namespace certseal::client {

namespace fs = std::filesystem;

// --data-dir value (may be empty) → the directory to use (not yet created).
Result<fs::path> resolve_data_dir(const std::string& flag);
// mkdir -p with mode 0700 for every directory created, and chmod 0700 on `dir` itself.
Status ensure_private_dir(const fs::path& dir);
// Temporary file + rename, mode 0600. The parent directory must exist.
Status write_file_atomic(const fs::path& path, std::string_view data);
// nullopt when the file does not exist.
Result<std::optional<std::string>> read_text_file(const fs::path& path);

struct DeviceInfo {
  std::string device_id;
  std::string device_name;
};

struct Session {
  std::string server;
  std::string token;
  std::string phone;
  std::string expires_at;
};

// One installed key: the device share of a two-party SM2 key, or of a two-party RSA key
// (crypto/rsa_split.h; algorithm "rsa-2048"/"rsa-3072", public_key its SPKI DER, masked_d1 and
// recovery_d1 the masked d_dev of |N|/8 + 16 bytes), or of a two-party ECDSA P-256 key
// (crypto/ecdsa_split.h; algorithm "ec-p256", public_key the SPKI DER of Q, masked_d1 and
// recovery_d1 the masked x1 ‖ Paillier seed, 64 bytes). Files without "algorithm" are SM2.
// unusable: set on the device when a two-party ECDSA signature did not verify (the abort rule of
// ecdsa_split.h); such a key is refused for every step from then on.
struct KeyFile {
  std::string key_id;
  std::string certificate_id;
  std::string algorithm = "sm2";
  Bytes public_key;         // 65-byte point P (SM2) or SPKI DER (RSA)
  Bytes salt;               // 16 bytes, Argon2id salt of the certificate password
  crypto::Argon2Limits limits;
  Bytes masked_d1;          // d1 XOR SM2-KDF(share_key, 32)
  Bytes recovery_d1;        // d1 XOR SM2-KDF(recovery_key ‖ device_id, 32)
  std::string created_at;
  bool unusable = false;
  std::string unusable_reason;

  nlohmann::json to_json() const;
  static Result<KeyFile> from_json(const nlohmann::json& j);
};

// Key ids and pairing ids name files: only [A-Za-z0-9_-], 1..128 characters.
bool safe_file_id(std::string_view id);

class DeviceStore {
 public:
  // Creates the data dir (0700) and its keys/ and pairings/ folders.
  static Result<DeviceStore> open(const fs::path& root);

  const fs::path& root() const { return root_; }
  fs::path agent_socket() const { return root_ / "agent.sock"; }

  // The device identity; created with 16 random bytes (UUID v4 form) on first use.
  Result<DeviceInfo> device(Rng& rng);

  Result<std::optional<Session>> session() const;
  Status save_session(const Session& s);
  Status clear_session();

  Result<KeyFile> load_key(std::string_view key_id) const;
  Result<std::vector<KeyFile>> keys() const;
  Status save_key(const KeyFile& k);
  Status remove_key(std::string_view key_id);

  Status save_pairing(std::string_view pairing_id, const nlohmann::json& j);
  Result<std::optional<nlohmann::json>> load_pairing(std::string_view pairing_id) const;
  Status remove_pairing(std::string_view pairing_id);

 private:
  explicit DeviceStore(fs::path root) : root_(std::move(root)) {}
  fs::path root_;
};

}  // namespace certseal::client
