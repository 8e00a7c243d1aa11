// Admin-transfer letters (授权委托书, docs/ORGS.md "Admin transfer"): the letter the current
// admin signs (PAdES, through the two-party shield) before the admin role moves. Versions 1400-1499.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> letter_migrations() {
  return {
      {1400, "admin transfer letters",
       R"sql(
CREATE TABLE org_admin_letters (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  signer_account_id TEXT NOT NULL REFERENCES accounts(id),
  signer_role TEXT NOT NULL,
  former_admin_account_id TEXT NOT NULL,
  former_membership_id TEXT NOT NULL,
  member_id TEXT NOT NULL,
  new_admin_account_id TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  seal_id TEXT,
  signature_blob_id TEXT,
  status TEXT NOT NULL,
  signing_time BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  signed_attributes BLOB NOT NULL,
  prepared BLOB NOT NULL,
  contents_offset BIGINT NOT NULL,
  contents_capacity BIGINT NOT NULL,
  signed_pdf BLOB,
  signed_sha256 TEXT,
  level TEXT,
  created_at TEXT NOT NULL,
  signed_at TEXT
);
CREATE INDEX org_admin_letters_by_org ON org_admin_letters (org_id, created_at);
)sql",
       ""},
  };
}

}  // namespace certseal::store
