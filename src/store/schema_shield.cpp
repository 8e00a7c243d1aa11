// Mobile shield (two-party SM2 keys, their devices) and the certificates users hold.
// Versions 400-499.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> shield_migrations() {
  return {
      {400, "shield_keys_devices_certificates",
       R"sql(
CREATE TABLE shield_keys (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  algorithm TEXT NOT NULL,
  public_key BLOB NOT NULL,
  status TEXT NOT NULL,
  failures BIGINT NOT NULL DEFAULT 0,
  recovery_key_enc BLOB NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX shield_keys_by_account ON shield_keys (account_id, id);
CREATE TABLE shield_devices (
  key_id TEXT NOT NULL REFERENCES shield_keys(id),
  device_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  server_share_enc BLOB,
  auth_key_enc BLOB,
  salt BLOB,
  request_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  removed_at TEXT,
  PRIMARY KEY (key_id, device_id)
);
CREATE TABLE shield_challenges (
  nonce TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE TABLE shield_pairings (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  device_id TEXT NOT NULL,
  device_name TEXT NOT NULL,
  public_key BLOB NOT NULL,
  status TEXT NOT NULL,
  key_id TEXT,
  envelope BLOB,
  created_at TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE TABLE shield_events (
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  purpose TEXT NOT NULL,
  result TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX shield_events_by_key ON shield_events (key_id, id);
CREATE TABLE account_certificates (
  certificate_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  key_id TEXT NOT NULL REFERENCES shield_keys(id),
  order_id TEXT NOT NULL,
  request_id TEXT NOT NULL UNIQUE,
  org_id TEXT,
  platform_id TEXT,
  current BIGINT NOT NULL DEFAULT 1,
  reissue_notice TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX account_certificates_by_account ON account_certificates (account_id, certificate_id);
CREATE INDEX account_certificates_by_order ON account_certificates (order_id);
)sql",
       ""},
      // Adding a device (docs/SHIELD.md "Adding a device"): the server's challenge that the new
      // device signs with its pairing key to complete. Recovery keys are per device (sealed with
      // the key id, device id and "recovery"); shield_keys.recovery_key_enc stays for keys made
      // before this version (a sealed empty value for newer keys).
      {420, "shield_pairing_challenge_device_recovery_keys",
       R"sql(
ALTER TABLE shield_pairings ADD COLUMN challenge TEXT;
ALTER TABLE shield_devices ADD COLUMN recovery_key_enc BLOB;
)sql",
       ""},
      // The unlock budget decays from the last failure instead of resetting on success (review M2).
      {421, "shield_unlock_budget",
       R"sql(
ALTER TABLE shield_keys ADD COLUMN failure_at BIGINT NOT NULL DEFAULT 0;
)sql",
       ""},
      // A reissue notice can carry the operator's identity review (review H1).
      {422, "reissue_identity_checked",
       R"sql(
ALTER TABLE account_certificates ADD COLUMN reissue_identity_checked BIGINT NOT NULL DEFAULT 0;
)sql",
       ""},
      // The operator dashboard's signatures and failed unlocks per hour (shield_activity.cpp) read
      // the last hours of shield_events, which grows with every use, through this index.
      {423, "shield_events_by_time",
       R"sql(
CREATE INDEX shield_events_by_at ON shield_events (at);
)sql",
       ""},
  };
}

}  // namespace certseal::store
