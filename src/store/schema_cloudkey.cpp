// Cloud key (云密钥, docs/CLOUDKEY.md): tenants, their admins and staff records, the staff
// certificates (two-party keys of the mobile shield) and the role and state of each device of
// such a key. Versions 1100-1199.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> cloudkey_migrations() {
  return {
      // 1100: a tenant (云密钥单位) with its settings; its admins (platform accounts); its staff
      // records (entered, imported, or applied for and then approved: status pending | active |
      // refused); the certificate each staff record downloaded (one current per record) and the
      // devices of its key (main or secondary; active, pending activation, or frozen).
      {1100, "cloudkey_tenants_staff_devices",
       R"sql(
CREATE TABLE cloudkey_tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  secondary_devices BIGINT NOT NULL,
  auth_mode TEXT NOT NULL,
  ca_id TEXT NOT NULL,
  validity_days BIGINT NOT NULL,
  support_key BLOB,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE cloudkey_admins (
  tenant_id TEXT NOT NULL REFERENCES cloudkey_tenants(id),
  account_id TEXT NOT NULL REFERENCES accounts(id),
  added_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, account_id)
);
CREATE TABLE cloudkey_staff (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES cloudkey_tenants(id),
  staff_no TEXT NOT NULL,
  name TEXT NOT NULL,
  phone TEXT NOT NULL,
  id_number TEXT NOT NULL,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  applicant_id TEXT,
  decided_by TEXT,
  decided_at TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (tenant_id, staff_no)
);
CREATE INDEX cloudkey_staff_by_phone ON cloudkey_staff (phone);
CREATE TABLE cloudkey_certificates (
  certificate_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES cloudkey_tenants(id),
  staff_id TEXT NOT NULL REFERENCES cloudkey_staff(id),
  account_id TEXT NOT NULL,
  key_id TEXT NOT NULL UNIQUE,
  current BIGINT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX cloudkey_certificates_by_staff ON cloudkey_certificates (staff_id, current);
CREATE TABLE cloudkey_devices (
  key_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  role TEXT NOT NULL,
  status TEXT NOT NULL,
  sms_until BIGINT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (key_id, device_id)
);
)sql",
       ""},
      // 1101: delegations (授权管理) between staff of a tenant: the holder's key, the delegate,
      // the window and uses, frozen or not; each use and refused attempt.
      {1101, "cloudkey_delegations",
       R"sql(
CREATE TABLE cloudkey_delegations (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES cloudkey_tenants(id),
  certificate_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  holder_account_id TEXT NOT NULL,
  holder_staff_id TEXT NOT NULL,
  delegate_account_id TEXT NOT NULL,
  delegate_staff_id TEXT NOT NULL,
  statement TEXT NOT NULL,
  status TEXT NOT NULL,
  frozen BIGINT NOT NULL,
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  uses_total BIGINT,
  uses_left BIGINT,
  uses_made BIGINT NOT NULL,
  reset_hash TEXT,
  reset_until BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  decided_at TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX cloudkey_delegations_by_holder ON cloudkey_delegations (holder_account_id, id);
CREATE INDEX cloudkey_delegations_by_delegate ON cloudkey_delegations (delegate_account_id, id);
CREATE TABLE cloudkey_delegation_uses (
  id TEXT PRIMARY KEY,
  delegation_id TEXT NOT NULL REFERENCES cloudkey_delegations(id),
  holder_account_id TEXT NOT NULL,
  delegate_account_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  device_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  digest TEXT,
  result TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE INDEX cloudkey_delegation_uses_by_delegation ON cloudkey_delegation_uses (delegation_id, id);
)sql",
       ""},
      // 1102: the staff member's handwritten signature picture (签名采集; cleaned, PNG), one per
      // staff record, replaceable; and the relying-party applications a tenant allows to ask its
      // staff certificates for collaborative signing (协同签名).
      {1102, "cloudkey_signatures_tenant_apps",
       R"sql(
CREATE TABLE cloudkey_signatures (
  staff_id TEXT PRIMARY KEY REFERENCES cloudkey_staff(id),
  tenant_id TEXT NOT NULL REFERENCES cloudkey_tenants(id),
  png BLOB NOT NULL,
  width_px BIGINT NOT NULL,
  height_px BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE cloudkey_tenant_apps (
  tenant_id TEXT NOT NULL REFERENCES cloudkey_tenants(id),
  app_id TEXT NOT NULL,
  added_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (tenant_id, app_id)
);
)sql",
       ""},
      // 1103: picture captchas (图形验证码) for a staff member's password recovery: only the
      // answer's hash is kept; one use, an expiry, and a budget per client address.
      {1103, "cloudkey_captchas",
       R"sql(
CREATE TABLE cloudkey_captchas (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  address TEXT NOT NULL,
  answer_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX cloudkey_captchas_by_address ON cloudkey_captchas (address, created_at);
)sql",
       ""},
      // 1104: what a delegate's step served (its purpose, e.g. "scene 20 <request id>"), so a
      // scene request answered through a delegation finds the use its two-party step counted.
      {1104, "cloudkey_delegation_use_purpose",
       R"sql(
ALTER TABLE cloudkey_delegation_uses ADD COLUMN purpose TEXT;
CREATE INDEX cloudkey_delegation_uses_by_purpose ON cloudkey_delegation_uses (delegate_account_id, purpose);
)sql",
       ""},
      // 1110: renewals of staff certificates on the server (a tenant admin or an operator): the
      // key keeps its row in cloudkey_certificates, whose certificate_id moves to the successor;
      // this is the history, unique per (staff, request id) so a retry renews once.
      {1110, "cloudkey_renewals",
       R"sql(
CREATE TABLE cloudkey_renewals (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  staff_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  old_certificate_id TEXT NOT NULL,
  new_certificate_id TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (staff_id, request_id)
);
CREATE INDEX cloudkey_renewals_by_key ON cloudkey_renewals (key_id, created_at);
)sql",
       ""},
  };
}

}  // namespace certseal::store
