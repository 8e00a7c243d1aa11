// The application form signed online with a digital signature (docs/ORDERS.md "Application
// form"): the prepared form waiting for the applicant's two-party signature, and the level and
// certificate of a digitally signed form. Versions 1900-1909.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> formsign_migrations() {
  return {
      {1900, "application forms signed digitally",
       R"sql(
CREATE TABLE application_form_signings (
  id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL UNIQUE REFERENCES orders(id),
  account_id TEXT NOT NULL REFERENCES accounts(id),
  certificate_id TEXT NOT NULL,
  seal_id TEXT,
  signature_blob_id TEXT,
  algorithm TEXT NOT NULL,
  text_sha256 TEXT NOT NULL,
  signing_time BIGINT NOT NULL,
  signed_attributes BLOB NOT NULL,
  prepared BLOB NOT NULL,
  contents_offset BIGINT NOT NULL,
  contents_capacity BIGINT NOT NULL,
  created_at TEXT NOT NULL
);
ALTER TABLE application_forms ADD COLUMN certificate_id TEXT;
ALTER TABLE application_forms ADD COLUMN level TEXT;
)sql",
       ""},
  };
}

}  // namespace certseal::store
