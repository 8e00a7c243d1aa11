// The in-app notification list (消息通知) of each account: review decisions on orders, invoices,
// person verifications and organisations. Written inside the transaction that made the decision,
// so a notice exists exactly when the decision was committed. Read with OrderService::notifications
// (GET /api/v1/notifications).
#pragma once

#include <string>

#include "base/clock.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

Status add_notification(store::Tx& tx, const Clock& clock, Rng& rng, const std::string& account_id,
                        const std::string& kind, const std::string& text, const std::string& ref_id);

}  // namespace certseal::service
