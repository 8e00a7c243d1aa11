// Signed documents (docsign): PDFs relying parties hand in for scene 13 and the signed results,
// and the prepared (not yet signed) file of a scene 13 request between the user's preview and
// the signature. Versions 900-999.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> docsign_migrations() {
  return {
      {900, "docsign documents",
       R"sql(
CREATE TABLE docsign_documents (
  id TEXT PRIMARY KEY,
  app_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  scene_request_id TEXT,
  sha256 TEXT NOT NULL,
  size BIGINT NOT NULL,
  data BLOB NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX docsign_documents_app ON docsign_documents (app_id, created_at);
CREATE TABLE docsign_preparations (
  scene_request_id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  seal_id TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  signing_time BIGINT NOT NULL,
  signed_attributes BLOB NOT NULL,
  prepared BLOB NOT NULL,
  contents_offset BIGINT NOT NULL,
  contents_capacity BIGINT NOT NULL,
  created_at TEXT NOT NULL
);
)sql",
       ""},
  };
}

}  // namespace certseal::store
