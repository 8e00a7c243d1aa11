// Platform tables: the node registry and idempotency keys. Versions 1-99.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> platform_migrations() {
  return {
      {1, "node_registry",
       // Which certseald processes have run against this database.
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
}

}  // namespace certseal::store
