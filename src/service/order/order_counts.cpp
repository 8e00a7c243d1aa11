#include "service/order/order_counts.h"

#include "base/clock.h"

namespace certseal::service {

Result<std::int64_t> count_orders_since(store::Database& db, std::int64_t since_unix) {
  // created_at is format_rfc3339 (seconds, UTC, "Z": order_service.cpp), so the same text of
  // `since` orders as the times do.
  const std::string since = format_rfc3339(sys_time_from_unix(since_unix));
  return db.read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
    CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS n FROM orders WHERE created_at >= ?", {since}));
    return r->integer("n");
  });
}

}  // namespace certseal::service
