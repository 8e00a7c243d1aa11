// Electronic seals: seal makers' credentials, seals (one per certificate) and their records.
// Versions 700-799.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> seal_migrations() {
  return {
      {700, "seals",
       R"sql(
CREATE TABLE seal_maker_credentials (
  maker_id TEXT PRIMARY KEY REFERENCES seal_makers(id),
  ca_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  certificate_id TEXT NOT NULL REFERENCES pki_certificate(id),
  uscc TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE seals (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  certificate_id TEXT,
  order_id TEXT,
  maker_id TEXT NOT NULL REFERENCES seal_makers(id),
  kind TEXT NOT NULL,
  method TEXT NOT NULL,
  name TEXT NOT NULL,
  design TEXT NOT NULL,
  status TEXT NOT NULL,
  picture_png BLOB NOT NULL,
  picture_svg TEXT NOT NULL,
  width_mm DOUBLE PRECISION NOT NULL,
  height_mm DOUBLE PRECISION NOT NULL,
  seseal BLOB,
  reason TEXT,
  reviewed_by TEXT,
  reviewed_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX seals_one_per_certificate ON seals (certificate_id) WHERE status <> 'deleted';
CREATE UNIQUE INDEX seals_one_unbound_per_order ON seals (order_id)
  WHERE status <> 'deleted' AND certificate_id IS NULL;
CREATE INDEX seals_by_account ON seals (account_id, id);
CREATE INDEX seals_by_status ON seals (status, id);
CREATE TABLE seal_events (
  id TEXT PRIMARY KEY,
  seal_id TEXT NOT NULL REFERENCES seals(id),
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX seal_events_by_seal ON seal_events (seal_id, id);
)sql",
       ""},
  };
}

}  // namespace certseal::store
