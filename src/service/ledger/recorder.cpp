#include "service/ledger/recorder.h"

namespace certseal::service::ledger {

Status Recorder::append(store::Tx& tx, const LedgerEvent& event) {
  auto now = clock_.now();
  CS_ASSIGN(Bytes data, canonical_entry(event, format_rfc3339_ms(now)));
  CS_TRY(tx.exec("INSERT INTO ledger_pending (data, owner, appended_at) VALUES (?, ?, ?)",
                 {std::move(data), event.owner,
                  std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count()}));
  return {};
}

}  // namespace certseal::service::ledger
