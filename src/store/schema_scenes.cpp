// Relying parties (接入方) and their QR scene requests (docs/INTEGRATION.md). Versions 500-599.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> scene_migrations() {
  return {
      // 500: applications of relying parties (secret sealed under the master key: HMAC needs the
      // secret itself), the nonces they used (shared by every certseald on the database), scene
      // requests, their callbacks, and the usage columns of shield_events (全程追溯).
      {500, "rp_apps_scene_requests",
       R"sql(
CREATE TABLE rp_apps (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  platform_id TEXT NOT NULL REFERENCES trading_platforms(id),
  secret_enc BLOB NOT NULL,
  secret_version BIGINT NOT NULL,
  callback_url TEXT NOT NULL,
  scenes TEXT NOT NULL,
  ip_allow TEXT NOT NULL,
  status TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE rp_nonces (
  app_id TEXT NOT NULL,
  nonce TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (app_id, nonce)
);
CREATE INDEX rp_nonces_by_expiry ON rp_nonces (expires_at);
CREATE TABLE scene_requests (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL REFERENCES rp_apps(id),
  platform_id TEXT NOT NULL,
  scene TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  title TEXT NOT NULL,
  message BLOB,
  options TEXT NOT NULL,
  rp_nonce TEXT NOT NULL,
  required_certificate_id TEXT,
  required_org_id TEXT,
  client_request_id TEXT,
  expires_at BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  claimed_by TEXT,
  claimed_at TEXT,
  finished_at TEXT,
  certificate_id TEXT,
  document_hash TEXT,
  result TEXT,
  UNIQUE (app_id, client_request_id)
);
CREATE INDEX scene_requests_by_app ON scene_requests (app_id, id);
CREATE TABLE scene_callbacks (
  event_id TEXT PRIMARY KEY,
  request_id TEXT NOT NULL REFERENCES scene_requests(id),
  app_id TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_at BIGINT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  delivered_at TEXT
);
CREATE INDEX scene_callbacks_due ON scene_callbacks (status, next_at);
ALTER TABLE shield_events ADD COLUMN certificate_id TEXT;
ALTER TABLE shield_events ADD COLUMN platform_id TEXT;
ALTER TABLE shield_events ADD COLUMN scene TEXT;
ALTER TABLE shield_events ADD COLUMN document_hash TEXT;
)sql",
       ""},
  };
}

}  // namespace certseal::store
