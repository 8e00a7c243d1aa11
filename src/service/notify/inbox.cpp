#include "service/notify/inbox.h"

#include "base/id.h"

namespace certseal::service {

Status add_notification(store::Tx& tx, const Clock& clock, Rng& rng, const std::string& account_id,
                        const std::string& kind, const std::string& text, const std::string& ref_id) {
  CS_TRY(tx.exec("INSERT INTO notifications (id, account_id, kind, text, ref_id, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                 {new_uuid_v7(clock, rng), account_id, kind, text, ref_id, format_rfc3339(clock.now())}));
  return {};
}

}  // namespace certseal::service
