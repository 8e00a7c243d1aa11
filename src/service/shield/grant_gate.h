// GrantGate: how the mobile shield asks, at the moment of use, whether a device that serves an
// organisation grant may take part in a two-party step (docs/GRANTS.md). The grant area
// (service/grant) implements it; the shield calls it inside the step's own transaction, after
// the unlock proof and before its server share is used, so the check, the count and the step
// commit together or not at all.
//
// Contract: implementations are thread-safe and run inside the caller's store::Tx.
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

// One attempt of a granted device to use the organisation's key.
struct GrantedStep {
  std::string grant_id, account_id, key_id, device_id;
  std::string operation;  // "sign" or "decrypt"; every other step of a granted device is refused
  std::string purpose;    // "scene <code> <request id>": a use names the scene it serves
  Bytes digest;           // sign: e = SM3(Z_A || M)
};

// What a grant lets a pairing do: the employee's new device joins `key_id`, delivered by the
// device of `holder_account_id`.
struct GrantPairingTarget {
  std::string grant_id, key_id, certificate_id, holder_account_id, employee_account_id;
};

class GrantGate {
 public:
  virtual ~GrantGate() = default;
  // Checks the grant (approved, not taken back, inside its window, uses left, the employee still
  // an active member, the certificate valid and enabled for the scene's platform, the scene
  // claimed by the employee) and counts the use, in one statement. A refusal is an Error the
  // shield records and commits (whatever the gate wrote, such as deleting the device's server
  // share of a grant that has ended, commits with it).
  virtual Status use(store::Tx& tx, const GrantedStep& step) = 0;
  // The key and accounts a pairing made for grant_id may join; grant_not_found (404) or
  // grant_not_live (409) otherwise.
  virtual Result<GrantPairingTarget> pairing_target(store::Tx& tx, const std::string& grant_id) = 0;
  // Deletes the server shares of devices whose grant is no longer live (of account_id; all
  // accounts when empty). Called when membership changes and by the scheduled sweep.
  virtual Status drop_dead_shares(store::Tx& tx, const std::string& account_id) = 0;
};

}  // namespace certseal::service
