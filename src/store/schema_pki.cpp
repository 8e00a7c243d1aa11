// CAs, certificates, CRLs, OCSP, time stamps. Versions 200-299.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> pki_migrations() {
  return {
      {200, "pki_ca_and_certificates",
       // pki_ca: one row per configured CA hierarchy; private keys live in the key manager, the
       // rows hold only key ids and certificates. pki_certificate: every certificate issued, with
       // its status; pki_certificate_event: its history; pki_request: the idempotency record of
       // every lifecycle request (a retry with the same request id returns the same certificate).
       R"sql(
CREATE TABLE pki_ca (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  backend TEXT NOT NULL,
  root_key_id TEXT NOT NULL,
  root_cert BLOB NOT NULL,
  issuing_key_id TEXT NOT NULL,
  issuing_cert BLOB NOT NULL,
  ocsp_key_id TEXT NOT NULL,
  ocsp_cert BLOB,
  tsa_key_id TEXT NOT NULL,
  tsa_cert BLOB,
  crl_number BIGINT NOT NULL,
  crl BLOB,
  crl_this_update BIGINT NOT NULL,
  crl_next_update BIGINT NOT NULL,
  sm2_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE pki_certificate (
  id TEXT PRIMARY KEY,
  ca_id TEXT NOT NULL REFERENCES pki_ca(id),
  serial TEXT NOT NULL,
  profile TEXT NOT NULL,
  subject TEXT NOT NULL,
  subject_json TEXT NOT NULL,
  spki BLOB NOT NULL,
  der BLOB NOT NULL,
  status TEXT NOT NULL,
  not_before BIGINT NOT NULL,
  not_after BIGINT NOT NULL,
  revoked_at BIGINT,
  revocation_reason BIGINT,
  predecessor_id TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (ca_id, serial)
);
CREATE INDEX pki_certificate_revoked ON pki_certificate (ca_id, status, not_after);
CREATE TABLE pki_certificate_event (
  id TEXT PRIMARY KEY,
  certificate_id TEXT NOT NULL REFERENCES pki_certificate(id),
  seq BIGINT NOT NULL,
  action TEXT NOT NULL,
  request_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  at TEXT NOT NULL
);
CREATE UNIQUE INDEX pki_certificate_event_cert ON pki_certificate_event (certificate_id, seq);
CREATE TABLE pki_request (
  request_id TEXT PRIMARY KEY,
  action TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  created_at TEXT NOT NULL
);
)sql",
       {}},
  };
}

}  // namespace certseal::store
