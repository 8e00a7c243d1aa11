// The master key that seals the software key manager's keys and the mobile shield's server
// shares (docs/CONFIG.md "Master key"; security review L4: it need not live beside the data).
//
// keys.master_key_source:
//   file   32 raw bytes in keys.master_key_file (default <data_dir>/keys/master.key), created 0600
//          on first start. Put the file outside data_dir (another disk, a tmpfs filled at boot) so
//          that a copy of the data folder alone does not open the keys.
//   env    64 hex digits in the environment variable CERTSEAL_MASTER_KEY (from a secret store or
//          a systemd credential); never created: a missing or malformed value is an error.
//   pkcs11 a 32-byte key generated once, kept in <keys.dir>/master.key.p11 only as a ciphertext
//          (RSA-OAEP SHA-256, or PKCS#1 v1.5 on tokens without OAEP-SHA-256 such as SoftHSM2 2.6)
//          under an RSA-3072 key generated inside the token
//          (keys.pkcs11_module / keys.pkcs11_token / keys.pkcs11_pin); each start asks the token to
//          unwrap it. Without the token, the data folder opens nothing.
// Contract: called once at start, before any key is used; not thread-safe (no need).
#pragma once

#include <string>

#include "app/config.h"
#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"

namespace certseal::app {

inline constexpr const char* kMasterKeyEnv = "CERTSEAL_MASTER_KEY";

struct MasterKey {
  SecretBytes key;    // 32 bytes
  std::string where;  // for the startup log: "file /x/master.key", "environment CERTSEAL_MASTER_KEY", ...
  bool inside_data_dir = false;  // file source with the file under data_dir (logged as a warning)
};

// Errors: bad_master_key (file of the wrong size, bad or missing environment value, a wrapped
// key the token cannot unwrap), keystore_io (cannot create or write the file), and the PKCS#11
// manager's errors (no module, no token, wrong PIN).
Result<MasterKey> load_master_key(const Config& c, const Getenv& getenv, Rng& rng);

}  // namespace certseal::app
