#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>

#include "store/listener.h"

namespace certseal::store {
namespace {

bool valid_channel(std::string_view c) {
  return !c.empty() && c.size() <= 63 &&
         std::all_of(c.begin(), c.end(), [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_'; });
}

class PgListener final : public Listener {
 public:
  explicit PgListener(PGconn* c) : c_(c) {}
  ~PgListener() override { PQfinish(c_); }
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  Status wait(std::chrono::milliseconds timeout, std::vector<std::string>* out) override {
    if (drain(out) > 0) return {};
    pollfd p{PQsocket(c_), POLLIN, 0};
    if (p.fd < 0) return lost("no socket");
    int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (rc < 0) return {};  // EINTR: the caller waits again
    if (rc == 0) return {};
    if (PQconsumeInput(c_) == 0) return lost(PQerrorMessage(c_));
    drain(out);
    return {};
  }

 private:
  int drain(std::vector<std::string>* out) {
    int n = 0;
    while (PGnotify* note = PQnotifies(c_)) {
      out->push_back(note->extra ? note->extra : "");
      PQfreemem(note);
      ++n;
    }
    return n;
  }
  static Error lost(std::string why) {
    return unavailable("database_unavailable", "the database connection was lost", "listener: " + why);
  }
  PGconn* c_;
};

}  // namespace

Status notify(Tx& tx, std::string_view channel, std::string_view payload) {
  if (tx.engine() != Engine::kPostgres) return {};
  CS_TRY(tx.query("SELECT pg_notify(?, ?)", {std::string(channel), std::string(payload)}));
  return {};
}

Result<std::unique_ptr<Listener>> open_pg_listener(const std::string& url, const std::string& channel,
                                                   int connect_timeout_s) {
  if (!valid_channel(channel)) return invalid_argument("invalid_channel", "channel names are [a-z_]");
  std::string timeout = std::to_string(connect_timeout_s);
  const char* keys[] = {"connect_timeout", "dbname", nullptr};
  const char* vals[] = {timeout.c_str(), url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, vals, 1);
  if (!c || PQstatus(c) != CONNECTION_OK) {
    std::string detail = c ? PQerrorMessage(c) : "out of memory";
    if (c) PQfinish(c);
    return unavailable("database_unavailable", "the database is not reachable", "listener connect: " + detail);
  }
  auto l = std::make_unique<PgListener>(c);
  PGresult* r = PQexec(c, ("LISTEN " + channel).c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) return unavailable("database_unavailable", "LISTEN failed", PQerrorMessage(c));
  return std::unique_ptr<Listener>(std::move(l));
}

}  // namespace certseal::store
