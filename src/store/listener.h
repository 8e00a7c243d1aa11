// Cross-process wake-ups through the database: PostgreSQL LISTEN/NOTIFY.
//
// A writer that wants waiting processes to look again calls notify(tx, channel, payload) inside
// its transaction; PostgreSQL delivers the notification to every listening connection when (and
// only if) the transaction commits. On SQLite notify() does nothing: processes sharing one SQLite
// file must poll (the callers re-check on a short interval).
//
//   auto l = open_pg_listener(url, "certseal_scenes");       // its own connection, LISTEN issued
//   std::vector<std::string> got;
//   CS_TRY((*l)->wait(std::chrono::milliseconds(500), &got));  // payloads that arrived, maybe none
//
// Contract: a Listener is used by one thread at a time (the one that waits). A lost connection is
// an error from wait(); the caller opens a new listener (and should assume it missed
// notifications meanwhile). Channel names are SQL identifiers of [a-z_].
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/db.h"

namespace certseal::store {

// pg_notify(channel, payload) in the caller's transaction on PostgreSQL; nothing on SQLite.
Status notify(Tx& tx, std::string_view channel, std::string_view payload);

class Listener {
 public:
  virtual ~Listener() = default;
  // Waits up to `timeout` for notifications; appends their payloads to *out (none on timeout).
  virtual Status wait(std::chrono::milliseconds timeout, std::vector<std::string>* out) = 0;
};

// Errors: database_unavailable, invalid_channel.
Result<std::unique_ptr<Listener>> open_pg_listener(const std::string& url, const std::string& channel,
                                                   int connect_timeout_s = 10);

}  // namespace certseal::store
