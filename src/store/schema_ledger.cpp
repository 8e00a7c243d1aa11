// The transparency log of usage records (docs/LEDGER.md). Versions 600-699.
#include "store/schema_areas.h"

namespace certseal::store {
namespace {

// ledger_pending: entries written in the transaction of the action they record, waiting for the
//   sequencer (which moves them into ledger_entries in one transaction, so a crash between the
//   two loses nothing). owner: the account whose records the entry belongs to.
// ledger_entries: the sequenced log; idx is the leaf index. appended_at/sequenced_at in unix ms.
// ledger_tiles: C2SP tlog-tiles tiles as stored (the newest, possibly partial, contents of each
//   tile; a partial tile of width W is the first W hashes).
// ledger_checkpoints: every signed checkpoint, by tree size.
// ledger_state: one row (id 1): the sequenced size; the sequencer locks it.
// ledger_keys: one row (id 1): the log's origin, its SM2 key (in the key manager) and its
//   Ed25519 seed wrapped (SM2 encryption) under that key.
constexpr const char* kTables = R"sql(
CREATE TABLE ledger_entries (
  idx BIGINT PRIMARY KEY,
  data BLOB NOT NULL,
  owner TEXT NOT NULL,
  appended_at BIGINT NOT NULL,
  sequenced_at BIGINT NOT NULL
);
CREATE INDEX ledger_entries_by_owner ON ledger_entries (owner, idx);
CREATE TABLE ledger_tiles (
  level BIGINT NOT NULL,
  idx BIGINT NOT NULL,
  hashes BLOB NOT NULL,
  PRIMARY KEY (level, idx)
);
CREATE TABLE ledger_checkpoints (
  size BIGINT PRIMARY KEY,
  root BLOB NOT NULL,
  note TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE ledger_state (
  id BIGINT PRIMARY KEY,
  size BIGINT NOT NULL
);
INSERT INTO ledger_state (id, size) VALUES (1, 0);
CREATE TABLE ledger_keys (
  id BIGINT PRIMARY KEY,
  origin TEXT NOT NULL,
  sm2_key_id TEXT NOT NULL,
  sm2_public BLOB NOT NULL,
  ed25519_public BLOB NOT NULL,
  ed25519_seed_wrapped BLOB NOT NULL,
  created_at TEXT NOT NULL
);
)sql";

}  // namespace

std::vector<Migration> ledger_migrations() {
  std::string sqlite = std::string(R"sql(
CREATE TABLE ledger_pending (
  id INTEGER PRIMARY KEY,
  data BLOB NOT NULL,
  owner TEXT NOT NULL,
  appended_at BIGINT NOT NULL
);
)sql") + kTables;
  std::string postgres = std::string(R"sql(
CREATE TABLE ledger_pending (
  id BIGSERIAL PRIMARY KEY,
  data BYTEA NOT NULL,
  owner TEXT NOT NULL,
  appended_at BIGINT NOT NULL
);
)sql") + kTables;
  return {{600, "ledger", sqlite, postgres}};
}

}  // namespace certseal::store
