#include "service/shield/shield_activity.h"

#include <chrono>
#include <map>

namespace certseal::service {

Result<std::vector<ShieldActivityHour>> shield_activity(store::Database& db, const Clock& clock, int hours) {
  if (hours < 1 || hours > 168) {
    return invalid_argument("bad_hours", "hours must be 1 to 168").with_field("hours", "out_of_range", "1 to 168");
  }
  const std::int64_t now = clock.now_unix();
  const std::int64_t first = (now / 3600 - (hours - 1)) * 3600;
  // Event times are RFC 3339 in UTC (shield_service.cpp add_event): the first 13 characters
  // name the hour, and such prefixes sort as the hours do. Every time of an hour at or after the
  // first one compares >= that hour's prefix, so `at >= prefix` selects them through the index on
  // `at` (a condition on SUBSTR(at, ...) would scan every event ever recorded).
  auto prefix = [](std::int64_t t) { return format_rfc3339(sys_time_from_unix(t)).substr(0, 13); };
  CS_ASSIGN(auto rows, db.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query("SELECT SUBSTR(at, 1, 13) AS hour, "
                    "SUM(CASE WHEN operation = 'sign' AND result = 'ok' THEN 1 ELSE 0 END) AS signatures, "
                    "SUM(CASE WHEN result = 'bad_unlock_proof' THEN 1 ELSE 0 END) AS failed "
                    "FROM shield_events WHERE at >= ? GROUP BY SUBSTR(at, 1, 13)",
                    {prefix(first)});
  }));
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> seen;
  for (const auto& r : rows) seen[r.text("hour")] = {r.integer("signatures"), r.integer("failed")};
  std::vector<ShieldActivityHour> out;
  for (int i = 0; i < hours; ++i) {
    const std::int64_t t = first + std::int64_t{i} * 3600;
    ShieldActivityHour h;
    h.hour = format_rfc3339(sys_time_from_unix(t));
    if (auto it = seen.find(prefix(t)); it != seen.end()) {
      h.signatures = it->second.first;
      h.failed_unlocks = it->second.second;
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace certseal::service
