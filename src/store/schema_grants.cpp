// Organisation grants of certificates and seals (docs/GRANTS.md): the grants, their uses, and
// which device shares and pairings serve a grant. Versions 800-899.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> grant_migrations() {
  return {
      {800, "grants",
       R"sql(
CREATE TABLE grants (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  certificate_id TEXT NOT NULL,
  seal_id TEXT,
  key_id TEXT NOT NULL,
  platform_id TEXT NOT NULL,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  task_id TEXT,
  statement TEXT NOT NULL,
  asked_from BIGINT,
  asked_until BIGINT,
  status TEXT NOT NULL,
  not_before BIGINT,
  not_after BIGINT,
  uses_total BIGINT,
  uses_left BIGINT,
  uses_made BIGINT NOT NULL DEFAULT 0,
  decided_by TEXT,
  decided_at TEXT,
  reason TEXT,
  revoked_by TEXT,
  revoked_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX grants_by_org ON grants (org_id, created_at);
CREATE INDEX grants_by_account ON grants (account_id, status);
CREATE INDEX grants_by_certificate ON grants (certificate_id, created_at);
CREATE TABLE grant_uses (
  id TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL REFERENCES grants(id),
  org_id TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  seal_id TEXT,
  account_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  platform_id TEXT NOT NULL,
  scene TEXT,
  scene_request_id TEXT,
  operation TEXT NOT NULL,
  purpose TEXT,
  digest TEXT,
  document_hash TEXT,
  result TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX grant_uses_by_grant ON grant_uses (grant_id, id);
CREATE INDEX grant_uses_by_org ON grant_uses (org_id, at);
CREATE INDEX grant_uses_by_scene ON grant_uses (scene_request_id);
ALTER TABLE shield_devices ADD COLUMN grant_id TEXT;
ALTER TABLE shield_devices ADD COLUMN account_id TEXT;
ALTER TABLE shield_pairings ADD COLUMN grant_id TEXT;
)sql",
       ""},
  };
}

}  // namespace certseal::store
