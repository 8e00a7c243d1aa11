// Recorder: how services append to the transparency log. One call per recorded action, inside
// the action's own transaction, so an acknowledged action always has its entry and a rolled-back
// one never does; the Sequencer moves the entry into the tree in the background.
//
//   CS_TRY(recorder.append(tx, LedgerEvent("shield.sign").by(a).of(a).on(key)));
//
// Contract: thread-safe (holds only a clock). append() runs inside the caller's store::Tx.
// Errors: those of canonical_entry (ledger_float, ledger_entry_too_large, invalid_field) and the
// database's; any error makes the caller's transaction roll back.
#pragma once

#include "base/clock.h"
#include "service/ledger/entry.h"
#include "store/db.h"

namespace certseal::service::ledger {

class Recorder {
 public:
  explicit Recorder(const Clock& clock) : clock_(clock) {}
  Status append(store::Tx& tx, const LedgerEvent& event);

 private:
  const Clock& clock_;
};

// For services whose recorder is optional (unit tests of other areas): appends when set.
inline Status record(Recorder* recorder, store::Tx& tx, const LedgerEvent& event) {
  return recorder ? recorder->append(tx, event) : Status{};
}

}  // namespace certseal::service::ledger
