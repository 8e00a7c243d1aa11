// KeyStepGate: how another area adds its own rules to the steps of keys it issued, at the moment
// of use (docs/CLOUDKEY.md). The cloud key area (service/cloudkey) implements it: a frozen or
// not yet activated device of a staff key is refused, a secondary device needs a fresh SMS
// unlock, a tenant that turned secondary devices off refuses them. The shield calls it inside
// the step's own transaction, after the challenge and the unlock proof were accepted and before
// the server share is used, for every step of the key's holder (granted devices go through the
// GrantGate instead); a refusal is recorded as the step's event (its code is the reason) and
// committed with whatever the gate wrote.
//
// Contract: implementations are thread-safe and run inside the caller's store::Tx; a key the
// implementation does not know passes.
#pragma once

#include <string>

#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

struct KeyStep {
  std::string account_id, key_id, device_id;
  std::string operation;  // sign, decrypt, refresh, password, add_device
  std::string purpose;
};

class KeyStepGate {
 public:
  virtual ~KeyStepGate() = default;
  virtual Status check(store::Tx& tx, const KeyStep& step) = 0;
};

}  // namespace certseal::service
