// What the platform tells its clients (docs/CLI.md "about, update check, logs"): published
// releases per client business and the support certificates exported client logs are encrypted
// to. Versions 1500-1599.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> client_migrations() {
  return {
      // 1500: releases, newest last (ids are UUIDv7), one version at most once per business;
      // one support certificate per business.
      {1500, "client_releases",
       R"sql(
CREATE TABLE client_releases (
  id TEXT PRIMARY KEY,
  business TEXT NOT NULL,
  version TEXT NOT NULL,
  notes TEXT NOT NULL,
  download_url TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  min_version TEXT NOT NULL,
  published_by TEXT NOT NULL,
  published_at TEXT NOT NULL,
  UNIQUE (business, version)
);
CREATE INDEX client_releases_by_business ON client_releases (business, id);
CREATE TABLE client_support_certificates (
  business TEXT PRIMARY KEY,
  certificate BLOB NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
)sql",
       ""},
  };
}

}  // namespace certseal::store
