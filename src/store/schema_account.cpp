// Accounts, sessions, SMS codes and outbox, identities, agreements, person verification, blobs,
// organisations. Versions 100-199.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> account_migrations() {
  return {
      {100, "accounts_sessions_sms",
       R"sql(
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  is_operator BIGINT NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  password_changed_at TEXT,
  deregister_requested_at BIGINT,
  deregister_due_at BIGINT,
  closed_at TEXT
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  identity_id TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  remote_addr TEXT
);
CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE TABLE sms_codes (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  purpose TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  used_at BIGINT
);
CREATE INDEX sms_codes_by_phone ON sms_codes (phone, created_at);
CREATE TABLE sms_throttle (
  phone TEXT PRIMARY KEY,
  last_sent_at BIGINT NOT NULL
);
CREATE TABLE sms_outbox (
  id TEXT PRIMARY KEY,
  phone TEXT NOT NULL,
  template TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  sender TEXT NOT NULL,
  delivery TEXT NOT NULL
);
CREATE INDEX sms_outbox_by_phone ON sms_outbox (phone, id);
CREATE TABLE auth_failures (
  scope_key TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX auth_failures_by_key ON auth_failures (scope_key, at);
)sql",
       {}},
      {101, "identities_agreements",
       R"sql(
CREATE TABLE identities (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  org_id TEXT,
  created_at TEXT NOT NULL,
  ended_at TEXT
);
CREATE INDEX identities_by_account ON identities (account_id);
CREATE TABLE agreements (
  kind TEXT NOT NULL,
  version BIGINT NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  published_at TEXT NOT NULL,
  PRIMARY KEY (kind, version)
);
CREATE TABLE agreement_acceptances (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  version BIGINT NOT NULL,
  accepted_at TEXT NOT NULL,
  remote_addr TEXT
);
CREATE INDEX agreement_acceptances_by_account ON agreement_acceptances (account_id, kind);
INSERT INTO agreements (kind, version, title, body, published_at) VALUES
 ('user', 1, '用户服务协议 (User agreement)', 'CertSeal user agreement, version 1. You register with your mobile phone number, keep your password and certificate password secret, and are responsible for operations confirmed with them. Certificates are issued by the certificate authority you choose, under its certificate policy.', '2026-11-21T00:00:00Z'),
 ('privacy', 1, '隐私政策 (Privacy policy)', 'CertSeal privacy policy, version 1. We collect your phone number, name, ID number, ID-card photos and the records of your certificate use to verify your identity, issue certificates and trace their use as the law on electronic signatures requires. We share them only with the parties listed in the third-party sharing list.', '2026-11-21T00:00:00Z'),
 ('person_verification', 1, '个人实名认证协议 (Real-name verification agreement)', 'You authorise CertSeal and its identity verification provider to check your name, ID number, ID-card photos and a live image of your face against official records, for the purpose of issuing certificates in your name.', '2026-11-21T00:00:00Z'),
 ('organisation', 1, '机构认证协议 (Organisation verification agreement)', 'You declare that you are authorised to act for the organisation and authorise CertSeal to verify its business licence, legal representative and corporate bank account.', '2026-11-21T00:00:00Z');
)sql",
       {}},
      {102, "blobs_person_verification",
       R"sql(
CREATE TABLE blobs (
  id TEXT PRIMARY KEY,
  sha256 TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  owner_account_id TEXT NOT NULL REFERENCES accounts(id),
  purpose TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX blobs_by_owner ON blobs (owner_account_id);
CREATE TABLE person_verifications (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  id_number TEXT NOT NULL,
  front_blob_id TEXT NOT NULL REFERENCES blobs(id),
  back_blob_id TEXT NOT NULL REFERENCES blobs(id),
  agreement_version BIGINT NOT NULL,
  status TEXT NOT NULL,
  verified_by TEXT,
  reviewer_id TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  decided_at TEXT
);
CREATE INDEX person_verifications_by_account ON person_verifications (account_id, created_at);
CREATE INDEX person_verifications_by_status ON person_verifications (status, id);
)sql",
       {}},
      {103, "organisations_memberships_tasks",
       R"sql(
CREATE TABLE organisations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  credit_code TEXT NOT NULL,
  status TEXT NOT NULL,
  creator_account_id TEXT NOT NULL REFERENCES accounts(id),
  creator_is_legal_rep BIGINT NOT NULL,
  legal_rep_name TEXT,
  legal_rep_id_number TEXT,
  legal_rep_phone TEXT,
  licence_blob_id TEXT REFERENCES blobs(id),
  letter_blob_id TEXT REFERENCES blobs(id),
  ocr_name TEXT,
  ocr_credit_code TEXT,
  ocr_legal_rep TEXT,
  bank_name TEXT,
  bank_account TEXT,
  bank_account_name TEXT,
  transfer_status TEXT NOT NULL DEFAULT 'none',
  transfer_attempts BIGINT NOT NULL DEFAULT 0,
  address TEXT,
  contact_phone TEXT,
  reason TEXT,
  reviewer_id TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  submitted_at TEXT,
  verified_at TEXT
);
CREATE INDEX organisations_by_code ON organisations (credit_code);
CREATE INDEX organisations_by_status ON organisations (status, id);
CREATE TABLE bank_transfers (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  bank_name TEXT NOT NULL,
  bank_account TEXT NOT NULL,
  account_name TEXT NOT NULL,
  amount_fen BIGINT NOT NULL,
  backend TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX bank_transfers_by_org ON bank_transfers (org_id, created_at);
CREATE TABLE memberships (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  account_id TEXT NOT NULL REFERENCES accounts(id),
  role TEXT NOT NULL,
  identity_id TEXT NOT NULL REFERENCES identities(id),
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  ended_at TEXT
);
CREATE INDEX memberships_by_org ON memberships (org_id, status);
CREATE INDEX memberships_by_account ON memberships (account_id, status);
CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  requester_account_id TEXT NOT NULL REFERENCES accounts(id),
  statement TEXT NOT NULL,
  payload TEXT NOT NULL,
  decided_by TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  decided_at TEXT
);
CREATE INDEX tasks_by_org ON tasks (org_id, status, id);
CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  phone TEXT NOT NULL,
  invited_by TEXT NOT NULL REFERENCES accounts(id),
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  decided_at TEXT
);
CREATE INDEX invitations_by_phone ON invitations (phone, status);
)sql",
       {}},
      {104, "organisation_change_requests",
       R"sql(
CREATE TABLE org_changes (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL REFERENCES organisations(id),
  requested_by TEXT NOT NULL REFERENCES accounts(id),
  name TEXT,
  credit_code TEXT,
  legal_rep_name TEXT,
  legal_rep_id_number TEXT,
  legal_rep_phone TEXT,
  licence_blob_id TEXT REFERENCES blobs(id),
  status TEXT NOT NULL,
  reason TEXT,
  reviewer_id TEXT,
  created_at TEXT NOT NULL,
  decided_at TEXT
);
CREATE INDEX org_changes_by_status ON org_changes (status, id);
CREATE INDEX org_changes_by_org ON org_changes (org_id, created_at);
)sql",
       {}},
      // 110: the liveness / face step of real-name verification: the face image and what the
      // verifier says it checked (the development verifier: nothing).
      {110, "person_verification_liveness",
       R"sql(
ALTER TABLE person_verifications ADD COLUMN face_blob_id TEXT REFERENCES blobs(id);
ALTER TABLE person_verifications ADD COLUMN liveness_note TEXT;
)sql",
       {}},
      // The bank check's cool-down (review M4): when the last test transfer was sent (unix seconds).
      {120, "organisation_transfer_sent_at",
       R"sql(
ALTER TABLE organisations ADD COLUMN transfer_sent_at BIGINT NOT NULL DEFAULT 0;
)sql",
       ""},
      // Login limits checked and charged in one step (review L1): a lockable row per scope, and
      // an id per attempt so that a success takes back exactly its own reservation.
      {121, "auth_buckets",
       R"sql(
CREATE TABLE auth_buckets (
  scope_key TEXT PRIMARY KEY
);
ALTER TABLE auth_failures ADD COLUMN id TEXT;
CREATE INDEX auth_failures_by_id ON auth_failures (id);
)sql",
       ""},
      // When the login password was last reset by SMS (unix seconds): a reissue waits after it
      // (review H1).
      {122, "account_password_reset_at",
       R"sql(
ALTER TABLE accounts ADD COLUMN password_reset_at BIGINT NOT NULL DEFAULT 0;
)sql",
       ""},
      // SMS codes bound to an operation and object, and counted per client address (review L2).
      {123, "sms_code_scope_and_address",
       R"sql(
ALTER TABLE sms_codes ADD COLUMN scope TEXT;
ALTER TABLE sms_codes ADD COLUMN client_addr TEXT;
CREATE INDEX sms_codes_by_addr ON sms_codes (client_addr, created_at);
)sql",
       ""},
  };
}

}  // namespace certseal::store
