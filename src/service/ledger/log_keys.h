// The transparency log's identity: its origin (checkpoint first line and signing key name) and
// its two signing keys (docs/LEDGER.md "Keys").
//   SM2: generated inside the key manager (software or PKCS#11), used there for the second
//        checkpoint signature line; never leaves it.
//   Ed25519: a 32-byte seed, wrapped by SM2 encryption (C1C3C2) under the SM2 key's public key and
//        stored in ledger_keys; unwrapped by the key manager at start and kept in memory. The key
//        manager has no Ed25519 keys of its own, so this keeps the seed under its protection.
// Created at the first start (one row, id 1; with several nodes the first insert wins and the
// others reuse it). The origin is fixed then: a later, different `ledger.origin` is logged and
// ignored, because changing it would make a new log.
//
// Contract: thread-safe after open() (immutable; the key manager is thread-safe). Errors:
// "ledger_keys" (a stored seed that does not match its public key, or that the key manager
// cannot unwrap: another node's keys folder), and the key manager's and the database's.
#pragma once

#include <memory>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "crypto/checkpoint.h"
#include "keystore/key_manager.h"
#include "store/db.h"

namespace certseal::service::ledger {

class LogKeys {
 public:
  // `clock` dates the ledger_keys row when open() creates it.
  static Result<std::unique_ptr<LogKeys>> open(store::Database& db, keystore::KeyManager& km, const Clock& clock,
                                               Rng& rng, Logger& log, const std::string& origin);

  const std::string& origin() const { return origin_; }
  const Bytes& ed25519_public() const { return ed25519_public_; }
  const Bytes& sm2_public_spki() const { return sm2_public_; }
  std::uint32_t ed25519_key_id() const;
  std::uint32_t sm2_key_id() const;
  // "<origin>+<key id>+<base64(0x01||key)>": what sumdb/note verifiers and `certseal ledger` take.
  std::string verifier_key() const;

  // The signed note of a checkpoint: its text, a blank line, the Ed25519 line, the SM2 line.
  Result<std::string> sign(const crypto::Checkpoint& c) const;

 private:
  LogKeys(keystore::KeyManager& km) : km_(km) {}
  keystore::KeyManager& km_;
  std::string origin_;
  std::string sm2_key_id_;  // in the key manager
  Bytes sm2_public_;        // SPKI DER
  Bytes ed25519_public_;
  SecretBytes ed25519_seed_;
};

// Verifies the SM2 line of a checkpoint note (the Ed25519 one: crypto::open_note_ed25519).
Status verify_sm2_line(std::string_view note, std::string_view origin, BytesView sm2_public_spki);

}  // namespace certseal::service::ledger
