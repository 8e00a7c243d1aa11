// PostgreSQL engine over libpq: a bounded connection pool; every call is one transaction.
#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <unordered_map>

#include "base/encoding.h"
#include "store/db.h"

namespace certseal::store {
namespace {

struct ConnCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgConnPtr = std::unique_ptr<PGconn, ConnCloser>;
using PgResultPtr = std::unique_ptr<PGresult, ResultClearer>;

// PostgreSQL type OIDs we convert (pg_type.h).
constexpr Oid kBoolOid = 16, kByteaOid = 17, kInt8Oid = 20, kInt2Oid = 21, kInt4Oid = 23,
              kFloat4Oid = 700, kFloat8Oid = 701, kNumericOid = 1700;

std::string sqlstate(const PGresult* r) {
  const char* s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  return s ? s : "";
}

Error pg_error(PGconn* c, const PGresult* r, std::string_view sql) {
  std::string state = sqlstate(r);
  std::string cause = "postgres " + state + ": " + (r ? PQresultErrorMessage(r) : PQerrorMessage(c));
  if (!sql.empty()) cause += " [" + std::string(sql) + "]";
  if (state.rfind("23", 0) == 0) {
    return Error(ErrorKind::kConflict, "constraint_violation",
                 "the change conflicts with data already stored", cause);
  }
  if (state == "40001" || state == "40P01") {
    return unavailable("serialization_failure", "the database is busy, try again", cause);
  }
  if (PQstatus(c) != CONNECTION_OK || state.rfind("08", 0) == 0 || state.rfind("57", 0) == 0) {
    return unavailable("database_unavailable", "the database is not reachable", cause);
  }
  return internal_error(cause);
}

// Why a connection attempt failed, in words an administrator can act on. libpq gives no SQLSTATE
// for a failed connect, only its message (server messages in English: the tests' and Debian's
// default lc_messages); anything not recognised keeps the generic words, the cause has the rest.
std::string connect_failure_reason(const std::string& m) {
  auto has = [&m](const char* s) { return m.find(s) != std::string::npos; };
  if (has("does not exist") && has("database")) return "no such database (check the database name in db.url)";
  if (has("password authentication failed") || has("authentication failed") || has("no password supplied") ||
      has("no pg_hba.conf entry")) {
    return "authentication failed (check the user and password in db.url, and pg_hba.conf)";
  }
  if (has("role") && has("does not exist")) return "authentication failed: no such user (check db.url)";
  if (has("Connection refused")) return "connection refused (is PostgreSQL running on the host and port of db.url?)";
  if (has("could not translate host name") || has("Name or service not known")) {
    return "unknown host (check the host in db.url)";
  }
  if (has("timeout expired")) return "no answer before the connect timeout (check the host and port in db.url)";
  if (has("too many clients") || has("remaining connection slots")) return "the server has no free connection slot";
  if (has("invalid") && (has("URI") || has("connection option") || has("integer value"))) {
    return "db.url is not a valid PostgreSQL connection URI";
  }
  return "";
}

// A pooled connection with the statements it has prepared (PostgreSQL plans each once).
struct PgConn {
  PgConnPtr conn;
  std::unordered_map<std::string, std::string> prepared;  // SQL (PostgreSQL form) -> name
};
constexpr std::size_t kMaxPreparedPerConnection = 256;

class PgTx final : public Tx {
 public:
  explicit PgTx(PgConn& pc) : pc_(pc), c_(pc.conn.get()) {}
  Engine engine() const override { return Engine::kPostgres; }

  Result<Rows> query(std::string_view sql, const Params& params) override {
    CS_ASSIGN(PgResultPtr r, run(sql, params));
    Rows rows;
    int nrows = PQntuples(r.get()), ncols = PQnfields(r.get());
    auto cols = std::make_shared<std::vector<std::string>>();
    for (int j = 0; j < ncols; ++j) cols->emplace_back(PQfname(r.get(), j));
    rows.reserve(static_cast<std::size_t>(nrows));
    for (int i = 0; i < nrows; ++i) {
      std::vector<Value> vals;
      vals.reserve(static_cast<std::size_t>(ncols));
      for (int j = 0; j < ncols; ++j) vals.push_back(cell(r.get(), i, j));
      rows.emplace_back(cols, std::move(vals));
    }
    return rows;
  }

  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    CS_ASSIGN(PgResultPtr r, run(sql, params));
    const char* n = PQcmdTuples(r.get());
    return static_cast<std::int64_t>(n && *n ? std::atoll(n) : 0);
  }

  Status exec_script(std::string_view sql) override {
    std::string s = to_postgres_sql(sql);
    PgResultPtr r(PQexec(c_, s.c_str()));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(c_, r.get(), "script");
    return {};
  }

  Status simple(const char* sql) {
    PgResultPtr r(PQexec(c_, sql));
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(c_, r.get(), sql);
    return {};
  }

 private:
  Result<PgResultPtr> run(std::string_view sql, const Params& params) {
    std::string q = to_postgres_sql(sql);
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0), formats(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& v = params[i].storage();
      if (std::holds_alternative<std::monostate>(v)) continue;
      if (auto* b = std::get_if<Bytes>(&v)) {
        values[i] = reinterpret_cast<const char*>(b->data());
        lengths[i] = static_cast<int>(b->size());
        formats[i] = 1;
        continue;
      }
      texts[i] = params[i].as_text();
      values[i] = texts[i].c_str();
    }
    const int n = static_cast<int>(params.size());
    auto exec_unnamed = [&] {
      return PgResultPtr(PQexecParams(c_, q.c_str(), n, nullptr, values.data(), lengths.data(),
                                      formats.data(), 0));
    };
    PgResultPtr r;
    auto it = pc_.prepared.find(q);
    if (it == pc_.prepared.end() && pc_.prepared.size() < kMaxPreparedPerConnection &&
        PQtransactionStatus(c_) != PQTRANS_INERROR) {
      std::string name = "cs" + std::to_string(pc_.prepared.size());
      PgResultPtr prep(PQprepare(c_, name.c_str(), q.c_str(), n, nullptr));
      if (PQresultStatus(prep.get()) == PGRES_COMMAND_OK) {
        it = pc_.prepared.emplace(q, std::move(name)).first;
      } else {
        return pg_error(c_, prep.get(), sql);
      }
    }
    if (it != pc_.prepared.end()) {
      r.reset(PQexecPrepared(c_, it->second.c_str(), n, values.data(), lengths.data(), formats.data(), 0));
      // A table changed under a cached plan (another node migrated): plan it afresh this time.
      if (sqlstate(r.get()) == "0A000" && PQtransactionStatus(c_) == PQTRANS_IDLE) r = exec_unnamed();
    } else {
      r = exec_unnamed();
    }
    auto st = PQresultStatus(r.get());
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return pg_error(c_, r.get(), sql);
    return r;
  }

  static Value cell(PGresult* r, int i, int j) {
    if (PQgetisnull(r, i, j)) return Value();
    const char* p = PQgetvalue(r, i, j);
    int len = PQgetlength(r, i, j);
    switch (PQftype(r, j)) {
      case kInt8Oid:
      case kInt4Oid:
      case kInt2Oid: return Value(static_cast<std::int64_t>(std::atoll(p)));
      case kBoolOid: return Value(static_cast<std::int64_t>(p[0] == 't' ? 1 : 0));
      case kFloat4Oid:
      case kFloat8Oid:
      case kNumericOid: return Value(std::strtod(p, nullptr));
      case kByteaOid: {
        // Text output of bytea is "\x" followed by hex (bytea_output = hex, the default).
        std::string_view s(p, static_cast<std::size_t>(len));
        if (s.size() >= 2 && s[0] == '\\' && s[1] == 'x') {
          auto b = hex_decode(s.substr(2));
          if (b) return Value(std::move(b).value());
        }
        return Value(Bytes(s.begin(), s.end()));
      }
      default: return Value(std::string(p, static_cast<std::size_t>(len)));
    }
  }

  PgConn& pc_;
  PGconn* c_;
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(PostgresOptions opts) : opts_(std::move(opts)) {}

  Status open() {
    // Prove the URL works now rather than on the first request.
    CS_ASSIGN(PgConnPtr c, connect());
    std::lock_guard lock(mu_);
    idle_.push_back(std::make_unique<PgConn>(PgConn{std::move(c), {}}));
    ++open_;
    return {};
  }

  Engine engine() const override { return Engine::kPostgres; }

  Status write(const std::function<Status(Tx&)>& fn) override { return run_tx(fn, "BEGIN"); }
  // Reads run in autocommit: at READ COMMITTED (PostgreSQL's default) a BEGIN would give no
  // snapshot across statements anyway, and it costs two round trips.
  Status read(const std::function<Status(Tx&)>& fn) override { return run_tx(fn, nullptr); }

  Status ping() override {
    return read([](Tx& tx) -> Status {
      CS_TRY(tx.query("SELECT 1"));
      return {};
    });
  }

  PoolStats stats() const override {
    std::lock_guard lock(mu_);
    PoolStats s;
    s.size = open_;
    s.in_use = open_ - static_cast<int>(idle_.size());
    s.max_size = opts_.pool_size;
    s.waits = waits_;
    s.timeouts = timeouts_;
    return s;
  }

 private:
  Result<PgConnPtr> connect() {
    // The URL is expanded by libpq (expand_dbname); the timeout applies unless the URL sets one.
    std::string timeout = std::to_string(opts_.connect_timeout_s);
    const char* keys[] = {"connect_timeout", "dbname", nullptr};
    const char* vals[] = {timeout.c_str(), opts_.url.c_str(), nullptr};
    PgConnPtr c(PQconnectdbParams(keys, vals, 1));
    if (!c || PQstatus(c.get()) != CONNECTION_OK) {
      std::string detail = c ? PQerrorMessage(c.get()) : "out of memory";
      std::string reason = connect_failure_reason(detail);
      return unavailable("database_unavailable",
                         reason.empty() ? "the database is not reachable" : "the database is not reachable: " + reason,
                         "postgres connect: " + detail);
    }
    PgResultPtr r(PQexec(c.get(), "SET client_min_messages = warning"));
    return c;
  }

  Result<std::unique_ptr<PgConn>> acquire() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        return c;
      }
      if (open_ < opts_.pool_size) {
        ++open_;
        lock.unlock();
        auto c = connect();
        if (!c) {
          std::lock_guard relock(mu_);
          --open_;
          cv_.notify_one();
          return std::move(c).error();
        }
        return std::make_unique<PgConn>(PgConn{std::move(c).value(), {}});
      }
      ++waits_;
      if (!cv_.wait_for(lock, std::chrono::milliseconds(opts_.acquire_timeout_ms),
                        [&] { return !idle_.empty() || open_ < opts_.pool_size; })) {
        ++timeouts_;
        return unavailable("database_pool_exhausted", "the database is busy, try again",
                           "no pooled connection within the acquire timeout");
      }
    }
  }

  void release(std::unique_ptr<PgConn> c) {
    std::lock_guard lock(mu_);
    if (c && PQstatus(c->conn.get()) == CONNECTION_OK &&
        PQtransactionStatus(c->conn.get()) == PQTRANS_IDLE) {
      idle_.push_back(std::move(c));
    } else {
      --open_;  // broken or mid-transaction: drop it, a new one is made on demand
    }
    cv_.notify_one();
  }

  // begin == nullptr: no transaction (autocommit statements).
  Status run_tx(const std::function<Status(Tx&)>& fn, const char* begin) {
    Status last;
    for (int attempt = 0; attempt < 4; ++attempt) {
      CS_ASSIGN(auto c, acquire());
      PgTx tx(*c);
      last = begin ? tx.simple(begin) : Status();
      if (last.ok()) {
        last = fn(tx);
        if (begin) {
          if (last.ok()) {
            last = tx.simple("COMMIT");
          } else {
            (void)tx.simple("ROLLBACK");
          }
        }
      }
      if (!last.ok() && PQtransactionStatus(c->conn.get()) != PQTRANS_IDLE) {
        (void)tx.simple("ROLLBACK");
      }
      release(std::move(c));
      if (last.ok() || last.error().code != "serialization_failure") return last;
    }
    return last;
  }

  PostgresOptions opts_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> idle_;
  int open_ = 0;
  std::int64_t waits_ = 0;
  std::int64_t timeouts_ = 0;
};

}  // namespace

Result<std::unique_ptr<Database>> open_postgres(const PostgresOptions& opts) {
  auto db = std::make_unique<PostgresDatabase>(opts);
  CS_TRY(db->open());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace certseal::store
