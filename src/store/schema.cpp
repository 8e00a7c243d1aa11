// CertSeal's schema, one migration per change, never edited after release: add a new one.
#include "store/migrate.h"

namespace certseal::store {
namespace {

const std::vector<Migration>& all() {
  static const std::vector<Migration> kMigrations = {
      {1, "node_registry",
       // Which certseald processes have run against this database (shown in /readyz and logs).
       R"sql(
CREATE TABLE node_registry (
  node_id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  version TEXT NOT NULL,
  started_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL
);
CREATE TABLE idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status INTEGER NOT NULL,
  response BLOB,
  created_at TEXT NOT NULL,
  PRIMARY KEY (scope, key)
);
)sql",
       {}},
  };
  return kMigrations;
}

}  // namespace

std::span<const Migration> schema_migrations() { return all(); }

}  // namespace certseal::store
