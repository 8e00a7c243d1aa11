// The mobile shield's recent activity by hour, for the operators' dashboard: two-party signatures
// that succeeded and unlocks refused for a wrong certificate password, counted from shield_events
// (every step, refused or not, is recorded there: shield_service.h).
//
//   auto hours = service::shield_activity(db, clock, 24);  // oldest hour first, 24 entries
//
// Thread-safety: a free function over the database; safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

struct ShieldActivityHour {
  std::string hour;  // the hour's start, RFC 3339 UTC ("2026-11-30T05:00:00Z")
  std::int64_t signatures = 0;      // operation "sign", result "ok"
  std::int64_t failed_unlocks = 0;  // result "bad_unlock_proof" (a wrong certificate password)
};

// The last `hours` hours up to the current one, each listed (zero when nothing happened), oldest
// first. REQUIRES: 1 <= hours <= 168. Errors: bad_hours (outside that range), internal
// (database). Own read transaction; reads every event of those hours (no index on time).
Result<std::vector<ShieldActivityHour>> shield_activity(store::Database& db, const Clock& clock, int hours);

}  // namespace certseal::service
