// The phone as a PC key (移动电子密钥, docs/PKCS11.md): PCs linked to an account and the
// operations their PKCS#11 module asks the phone to confirm. Versions 1000-1099.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> pc_migrations() {
  return {
      // 1000: a PC link is made by the PC (pending, with its bearer token and the pairing code,
      // both kept as SHA-256 only) and bound to an account when the phone enters the code; an
      // operation request of the PC waits for the phone (pending) and ends completed, refused or
      // expired. The data and the result are cleared once the PC has read the outcome.
      {1000, "pc_links_requests",
       R"sql(
CREATE TABLE pc_links (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  code_hash TEXT NOT NULL,
  account_id TEXT,
  status TEXT NOT NULL,
  failures INTEGER NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  paired_at TEXT,
  removed_at TEXT
);
CREATE INDEX pc_links_by_account ON pc_links (account_id, id);
CREATE TABLE pc_requests (
  id TEXT PRIMARY KEY,
  link_id TEXT NOT NULL REFERENCES pc_links(id),
  account_id TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  key_id TEXT NOT NULL,
  operation TEXT NOT NULL,
  mechanism TEXT NOT NULL,
  data BLOB,
  data_sha256 TEXT NOT NULL,
  status TEXT NOT NULL,
  result BLOB,
  reason TEXT,
  expires_at BIGINT NOT NULL,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX pc_requests_by_account ON pc_requests (account_id, status, id);
CREATE INDEX pc_requests_by_link ON pc_requests (link_id, status);
)sql",
       ""},
      // 1001: self-service certificates for hardware and file tokens (自助服务): the requests
      // (the public key of a key pair generated inside the token, the details the user gave,
      // the operator's review, the certificate issued) and the details organisations registered
      // beforehand (pre-entered flow), each usable once.
      {1001, "token_certificate_requests",
       R"sql(
CREATE TABLE token_roster (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  id_number TEXT NOT NULL,
  uploaded_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  used_by TEXT
);
CREATE INDEX token_roster_by_person ON token_roster (id_number, name);
CREATE TABLE token_requests (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  flow TEXT NOT NULL,
  name TEXT NOT NULL,
  id_number TEXT NOT NULL,
  spki BLOB NOT NULL,
  status TEXT NOT NULL,
  certificate_id TEXT,
  reason TEXT,
  created_at TEXT NOT NULL,
  reviewed_by TEXT,
  reviewed_at TEXT
);
CREATE INDEX token_requests_by_account ON token_requests (account_id, id);
CREATE INDEX token_requests_by_status ON token_requests (status, id);
)sql",
       ""},
  };
}

}  // namespace certseal::store
