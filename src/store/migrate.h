// Versioned schema migrations, applied at start.
//
// Contract: migrate() is safe to run twice (already-applied versions are skipped) and from two
// processes at once: the whole run is one transaction under an exclusive lock (SQLite
// BEGIN IMMEDIATE; PostgreSQL pg_advisory_xact_lock), so the second process waits, then finds
// everything applied. Versions must be strictly increasing; a database that has a version this
// binary does not know is refused (it was migrated by a newer release).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/db.h"

namespace certseal::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;           // portable SQL (see db.h), or SQLite SQL when sql_postgres is set
  std::string sql_postgres;  // optional PostgreSQL-specific variant
};

struct MigrateReport {
  std::vector<int> applied;  // versions applied by this call
  int current = 0;           // highest version after the call
};

Result<MigrateReport> migrate(Database& db, std::span<const Migration> migrations,
                              const Clock& clock);

// The schema of CertSeal itself, in order.
std::span<const Migration> schema_migrations();

}  // namespace certseal::store
