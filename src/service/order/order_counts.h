// Order figures for the operators' dashboard that no list gives: how many orders were placed
// since a moment (the start of the operator's day).
//
//   auto today = service::count_orders_since(db, midnight_unix);
//
// Thread-safety: a free function over the database; safe to call concurrently.
#pragma once

#include <cstdint>

#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

// Orders whose created_at is at or after `since_unix` (any status, any account). Errors:
// internal (database). Own read transaction; scans the orders table (no index on created_at).
Result<std::int64_t> count_orders_since(store::Database& db, std::int64_t since_unix);

}  // namespace certseal::service
