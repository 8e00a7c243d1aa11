// What the SQLite engine's group commit did (sqlite_db.cpp "Group commit"), for tests and
// benchmarks: concurrent write() calls share one transaction and one WAL sync, so under load the
// number of commits grows slower than the number of writes.
// Contract: thread-safe. Returns nullopt for a database that is not SQLite.
#pragma once

#include <cstdint>
#include <optional>

#include "store/db.h"

namespace certseal::store {

// Write transactions committed on `db` since it was opened.
std::optional<std::int64_t> sqlite_commits(const Database& db);

}  // namespace certseal::store
