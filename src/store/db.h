// One database interface, two engines: SQLite (embedded default) and PostgreSQL (several nodes).
//
// SQL is written once with `?` placeholders; the PostgreSQL engine rewrites them to $1..$n.
// Portable types only: TEXT, BIGINT, DOUBLE PRECISION, BLOB (rewritten to BYTEA on PostgreSQL).
//
// Contract:
// - Database is thread-safe. Tx is not: it belongs to the one call of write()/read() it is
//   passed to and must not escape it.
// - write() runs fn in a read-write transaction. SQLite has exactly one writer connection,
//   taken by the process's threads first come, first served (BEGIN IMMEDIATE, so other
//   processes wait on the busy timeout; calls that wait together share one commit: sqlite_db.cpp);
//   PostgreSQL takes a pooled connection. fn returning an error rolls back; ok commits. Serialisation failures and
//   deadlocks on PostgreSQL are retried up to 3 times, so fn must not have side effects outside
//   the database.
// - read() runs fn on a reader: on SQLite a pooled read-only connection inside one snapshot; on
//   PostgreSQL statements in autocommit at READ COMMITTED (each statement sees committed data;
//   use write() when several reads must agree with each other). fn must only read.
// - Errors never carry SQL to the user: the SQL and driver text go into Error::cause only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::store {

enum class Engine { kSqlite, kPostgres };
std::string_view engine_name(Engine e);

// A bound parameter or a column value.
class Value {
 public:
  using Storage = std::variant<std::monostate, std::int64_t, double, std::string, Bytes>;
  Value() = default;
  Value(std::nullptr_t) {}                                  // NOLINT
  Value(int v) : v_(std::int64_t{v}) {}                     // NOLINT
  Value(std::int64_t v) : v_(v) {}                          // NOLINT
  Value(bool v) : v_(std::int64_t{v ? 1 : 0}) {}            // NOLINT
  Value(double v) : v_(v) {}                                // NOLINT
  Value(std::string v) : v_(std::move(v)) {}                // NOLINT
  Value(std::string_view v) : v_(std::string(v)) {}         // NOLINT
  Value(const char* v) : v_(std::string(v)) {}              // NOLINT
  Value(Bytes v) : v_(std::move(v)) {}                      // NOLINT
  Value(const std::optional<std::string>& v) {              // NOLINT
    if (v) v_ = *v;
  }
  Value(const std::optional<std::int64_t>& v) {             // NOLINT
    if (v) v_ = *v;
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  const Storage& storage() const { return v_; }
  // Conversions are lenient where engines differ (an integer stored as text, etc.).
  std::int64_t as_int(std::int64_t fallback = 0) const;
  double as_double(double fallback = 0) const;
  std::string as_text() const;  // NULL -> ""
  Bytes as_blob() const;        // text is returned as its bytes
  std::optional<std::string> as_opt_text() const {
    return is_null() ? std::nullopt : std::optional(as_text());
  }

 private:
  Storage v_;
};

class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> cols, std::vector<Value> vals)
      : cols_(std::move(cols)), vals_(std::move(vals)) {}
  std::size_t size() const { return vals_.size(); }
  const Value& at(std::size_t i) const { return vals_.at(i); }
  // Column by name; an unknown name is a programming error and returns a NULL value.
  const Value& operator[](std::string_view name) const;
  std::int64_t integer(std::string_view name) const { return (*this)[name].as_int(); }
  std::string text(std::string_view name) const { return (*this)[name].as_text(); }
  Bytes blob(std::string_view name) const { return (*this)[name].as_blob(); }
  bool is_null(std::string_view name) const { return (*this)[name].is_null(); }

 private:
  std::shared_ptr<const std::vector<std::string>> cols_;
  std::vector<Value> vals_;
};

using Rows = std::vector<Row>;
using Params = std::vector<Value>;

class Tx {
 public:
  virtual ~Tx() = default;
  virtual Engine engine() const = 0;
  virtual Result<Rows> query(std::string_view sql, const Params& params = {}) = 0;
  // Returns the number of rows changed.
  virtual Result<std::int64_t> exec(std::string_view sql, const Params& params = {}) = 0;
  // Several statements without parameters (migrations).
  virtual Status exec_script(std::string_view sql) = 0;

  // The first row, or nullopt when there is none.
  Result<std::optional<Row>> query_one(std::string_view sql, const Params& params = {});
};

struct PoolStats {
  int size = 0;       // connections open
  int in_use = 0;     // connections lent out right now
  int max_size = 0;   // configured limit
  std::int64_t waits = 0;     // times a caller had to wait for a connection
  std::int64_t timeouts = 0;  // times a caller gave up waiting
};

class Database {
 public:
  virtual ~Database() = default;
  virtual Engine engine() const = 0;
  virtual Status write(const std::function<Status(Tx&)>& fn) = 0;
  virtual Status read(const std::function<Status(Tx&)>& fn) = 0;
  // A cheap round trip that proves the database answers (readiness).
  virtual Status ping() = 0;
  virtual PoolStats stats() const = 0;

  // Value-returning conveniences over write()/read().
  template <class T>
  Result<T> write_value(const std::function<Result<T>(Tx&)>& fn) {
    std::optional<T> out;
    CS_TRY(write([&](Tx& tx) -> Status {
      auto r = fn(tx);
      if (!r) return std::move(r).error();
      out.emplace(std::move(r).value());
      return {};
    }));
    return std::move(*out);
  }
  template <class T>
  Result<T> read_value(const std::function<Result<T>(Tx&)>& fn) {
    std::optional<T> out;
    CS_TRY(read([&](Tx& tx) -> Status {
      auto r = fn(tx);
      if (!r) return std::move(r).error();
      out.emplace(std::move(r).value());
      return {};
    }));
    return std::move(*out);
  }
};

struct SqliteOptions {
  std::string path;            // database file; created if missing
  int readers = 4;             // read-only connections in the pool
  int busy_timeout_ms = 10000; // how long to wait for another process's write lock
  // PRAGMA synchronous in WAL mode. FULL (the default) syncs the WAL on every commit, so an
  // acknowledged transaction survives a power loss; NORMAL syncs only at checkpoints: still safe
  // against a process kill, but the last commits can vanish when the machine loses power.
  bool synchronous_full = true;
};

struct PostgresOptions {
  std::string url;             // libpq connection URI
  int pool_size = 16;
  int acquire_timeout_ms = 10000;
  int connect_timeout_s = 10;
};

Result<std::unique_ptr<Database>> open_sqlite(const SqliteOptions& opts);
Result<std::unique_ptr<Database>> open_postgres(const PostgresOptions& opts);

// Rewrites `?` placeholders to `$1..$n`, leaving quoted strings and identifiers alone, and the
// portable BLOB type to BYTEA. Exposed for tests.
std::string to_postgres_sql(std::string_view sql);

}  // namespace certseal::store
