// What the operator console needs stored beside the other areas (docs/CONSOLE.md). Versions
// 1600-1699.
#include "store/schema_areas.h"

namespace certseal::store {

std::vector<Migration> console_migrations() {
  return {
      // 1600: every delivery attempt of a relying party's scene callback (the console's callback
      // delivery log): which event, when, to which URL, the HTTP status that came back or the
      // error when none did, the attempt's number, and when the next attempt is due (NULL when
      // it was delivered or given up). Written by SceneService::deliver_batch in the transaction
      // that records the attempt's outcome on scene_callbacks.
      {1600, "scene_callback_attempts",
       R"sql(
CREATE TABLE scene_callback_attempts (
  event_id TEXT NOT NULL REFERENCES scene_callbacks(event_id),
  attempt BIGINT NOT NULL,
  app_id TEXT NOT NULL,
  url TEXT NOT NULL,
  http_status BIGINT,
  error TEXT,
  attempted_at TEXT NOT NULL,
  next_at BIGINT,
  PRIMARY KEY (event_id, attempt)
);
CREATE INDEX scene_callback_attempts_by_app ON scene_callback_attempts (app_id, attempted_at);
)sql",
       ""},
  };
}

}  // namespace certseal::store
