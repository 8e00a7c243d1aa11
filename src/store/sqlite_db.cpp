// SQLite engine: WAL, a busy timeout, exactly one writer connection and a pool of readers.
#include <sqlite3.h>

#include <chrono>
#include <deque>
#include <exception>
#include <condition_variable>
#include <thread>
#include <map>
#include <mutex>

#include "store/db.h"
#include "store/sqlite_stats.h"

namespace certseal::store {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Error sqlite_error(sqlite3* db, std::string_view what, std::string_view sql = {}) {
  int code = sqlite3_extended_errcode(db);
  std::string cause = std::string(what) + ": " + sqlite3_errmsg(db);
  if (!sql.empty()) cause += " [" + std::string(sql) + "]";
  int primary = code & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return unavailable("database_busy", "the database is busy, try again", cause);
  }
  if (primary == SQLITE_CONSTRAINT) {
    return Error(ErrorKind::kConflict, "constraint_violation",
                 "the change conflicts with data already stored", cause);
  }
  return internal_error(cause);
}

// One connection with its prepared-statement cache.
class Conn final : public Tx {
 public:
  explicit Conn(DbPtr db) : db_(std::move(db)) {}
  Engine engine() const override { return Engine::kSqlite; }
  sqlite3* raw() const { return db_.get(); }

  Result<Rows> query(std::string_view sql, const Params& params) override {
    CS_ASSIGN(sqlite3_stmt * st, prepare(sql));
    CS_TRY(bind(st, params, sql));
    Rows rows;
    std::shared_ptr<std::vector<std::string>> cols;
    for (;;) {
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        auto e = sqlite_error(db_.get(), "step", sql);
        sqlite3_reset(st);
        return e;
      }
      int n = sqlite3_column_count(st);
      if (!cols) {
        cols = std::make_shared<std::vector<std::string>>();
        for (int i = 0; i < n; ++i) cols->emplace_back(sqlite3_column_name(st, i));
      }
      std::vector<Value> vals;
      vals.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) vals.push_back(column(st, i));
      rows.emplace_back(cols, std::move(vals));
    }
    sqlite3_reset(st);
    return rows;
  }

  Result<std::int64_t> exec(std::string_view sql, const Params& params) override {
    CS_ASSIGN(sqlite3_stmt * st, prepare(sql));
    CS_TRY(bind(st, params, sql));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) {
      auto e = sqlite_error(db_.get(), "step", sql);
      sqlite3_reset(st);
      return e;
    }
    sqlite3_reset(st);
    return static_cast<std::int64_t>(sqlite3_changes(db_.get()));
  }

  Status exec_script(std::string_view sql) override {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown";
      sqlite3_free(err);
      return internal_error("script: " + msg);
    }
    return {};
  }

  Status simple(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err) != SQLITE_OK) {
      sqlite3_free(err);
      return sqlite_error(db_.get(), sql);
    }
    return {};
  }

 private:
  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second.get();
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
      return sqlite_error(db_.get(), "prepare", sql);
    }
    StmtPtr owned(st);
    cache_.emplace(std::string(sql), std::move(owned));
    return st;
  }

  Status bind(sqlite3_stmt* st, const Params& params, std::string_view sql) {
    sqlite3_clear_bindings(st);
    if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(st)) {
      return internal_error("parameter count mismatch [" + std::string(sql) + "]");
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i + 1);
      const auto& v = params[i].storage();
      int rc = SQLITE_OK;
      if (std::holds_alternative<std::monostate>(v)) {
        rc = sqlite3_bind_null(st, idx);
      } else if (auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(st, idx, *n);
      } else if (auto* d = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(st, idx, *d);
      } else if (auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(st, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else if (auto* b = std::get_if<Bytes>(&v)) {
        rc = sqlite3_bind_blob64(st, idx, b->data(), b->size(), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) return sqlite_error(db_.get(), "bind", sql);
    }
    return {};
  }

  static Value column(sqlite3_stmt* st, int i) {
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER: return Value(static_cast<std::int64_t>(sqlite3_column_int64(st, i)));
      case SQLITE_FLOAT: return Value(sqlite3_column_double(st, i));
      case SQLITE_TEXT: {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
        return Value(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i))));
      }
      case SQLITE_BLOB: {
        auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, i));
        return Value(Bytes(p, p + sqlite3_column_bytes(st, i)));
      }
      default: return Value();
    }
  }

  DbPtr db_;
  std::map<std::string, StmtPtr, std::less<>> cache_;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(SqliteOptions opts) : opts_(std::move(opts)) {}

  Status open() {
    CS_ASSIGN(writer_, connect(false));
    // Switching a new file to WAL needs an exclusive lock and does not always go through the
    // busy handler, so a second process starting at the same moment retries here.
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(opts_.busy_timeout_ms);
    for (;;) {
      Status wal = writer_->simple("PRAGMA journal_mode=WAL");
      if (wal.ok()) break;
      if (wal.error().code != "database_busy" || std::chrono::steady_clock::now() > deadline) {
        return wal;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CS_TRY(writer_->simple(opts_.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
    for (int i = 0; i < opts_.readers; ++i) {
      CS_ASSIGN(auto r, connect(true));
      readers_.push_back(std::move(r));
    }
    return {};
  }

  Engine engine() const override { return Engine::kSqlite; }

  // Group commit: writers that arrive while a commit is under way queue up, and the next of them
  // to lead runs the whole queue in one transaction, each writer's fn inside its own savepoint,
  // then commits once: one WAL sync (synchronous=FULL) acknowledges them all. A writer whose fn
  // fails is rolled back to its savepoint alone; every writer returns only after the commit that
  // holds its changes returned (or with the error that undid them). Before committing, the leader
  // takes in writers that arrived meanwhile, and when the last group had more writers than this
  // one it waits for them a little (at most half the last commit's duration, at most 1 ms; the
  // idea of PostgreSQL's commit_delay): otherwise groups alternate between one writer and the
  // rest. Arrival order is kept, as the first-come-first-served lock before it kept it (the
  // transparency log's sequencer must not starve under a write burst: docs/LEDGER.md). fn must
  // not call write() itself (it would wait for its own group). Commits are counted
  // (sqlite_stats.h).
  Status write(const std::function<Status(Tx&)>& fn) override {
    Writer me{&fn, {}, nullptr, false};
    std::unique_lock l(group_mu_);
    queue_.push_back(&me);
    // Counted once queued, under the queue's lock: a writer that stats() counts is one the
    // leader's next look at the queue finds (SqliteGroupCommit tests wait on this count).
    ++in_use_;
    struct Done {
      std::atomic<int>& n;
      ~Done() { --n; }
    } done{in_use_};
    arrived_cv_.notify_one();
    while (!me.done && leading_) group_cv_.wait(l);
    if (!me.done) {
      leading_ = true;
      while (!me.done) {
        std::vector<Writer*> group;
        while (!queue_.empty() && group.size() < kMaxGroup) {
          group.push_back(queue_.front());
          queue_.pop_front();
        }
        l.unlock();
        run_group(group);
        l.lock();
        for (Writer* w : group) w->done = true;
        group_cv_.notify_all();
      }
      leading_ = false;
      group_cv_.notify_all();
    }
    l.unlock();
    if (me.thrown) std::rethrow_exception(me.thrown);
    return std::move(me.result);
  }

  Status read(const std::function<Status(Tx&)>& fn) override {
    std::unique_ptr<Conn> conn;
    {
      std::unique_lock lock(pool_mu_);
      if (readers_.empty()) {
        ++waits_;
        pool_cv_.wait(lock, [&] { return !readers_.empty(); });
      }
      conn = std::move(readers_.back());
      readers_.pop_back();
    }
    ++in_use_;
    Status s = conn->simple("BEGIN");
    if (s.ok()) {
      s = fn(*conn);
      Status c = conn->simple("COMMIT");
      if (s.ok()) s = c;
    }
    --in_use_;
    {
      std::lock_guard lock(pool_mu_);
      readers_.push_back(std::move(conn));
    }
    pool_cv_.notify_one();
    return s;
  }

  Status ping() override {
    return read([](Tx& tx) -> Status {
      CS_TRY(tx.query("SELECT 1"));
      return {};
    });
  }

  std::int64_t commits() const { return commits_.load(); }

  PoolStats stats() const override {
    PoolStats s;
    s.size = opts_.readers + 1;
    s.max_size = opts_.readers + 1;
    s.in_use = in_use_.load();
    std::lock_guard lock(pool_mu_);
    s.waits = waits_;
    return s;
  }

 private:
  Result<std::unique_ptr<Conn>> connect(bool readonly) {
    sqlite3* raw = nullptr;
    int flags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(opts_.path.c_str(), &raw, flags, nullptr);
    DbPtr db(raw);
    if (rc != SQLITE_OK) {
      return unavailable("database_unavailable", "the database cannot be opened",
                         "sqlite open " + opts_.path + ": " +
                             (raw ? sqlite3_errmsg(raw) : "out of memory"));
    }
    sqlite3_busy_timeout(db.get(), opts_.busy_timeout_ms);
    sqlite3_extended_result_codes(db.get(), 1);
    auto conn = std::make_unique<Conn>(std::move(db));
    CS_TRY(conn->simple("PRAGMA foreign_keys=ON"));
    return conn;
  }

  // One queued write() call. `result`/`thrown` are set by whichever thread leads its group.
  struct Writer {
    const std::function<Status(Tx&)>* fn;
    Status result;
    std::exception_ptr thrown;
    bool done = false;
  };
  static constexpr std::size_t kMaxGroup = 64;

  // Runs one writer's fn, keeping an exception for its own thread to rethrow.
  Status call(Writer& w) {
    try {
      return (*w.fn)(*writer_);
    } catch (...) {
      w.thrown = std::current_exception();
      return internal_error("write: exception in the transaction");
    }
  }

  // Writers that queued since the group was taken; when there are none and the last group was
  // larger, waits for one until `deadline`.
  std::vector<Writer*> late_joiners(std::size_t have, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock l(group_mu_);
    if (queue_.empty() && have < last_group_) arrived_cv_.wait_until(l, deadline, [&] { return !queue_.empty(); });
    std::vector<Writer*> more;
    while (!queue_.empty() && have + more.size() < kMaxGroup) {
      more.push_back(queue_.front());
      queue_.pop_front();
    }
    return more;
  }

  // Runs `group` in one transaction on the writer connection, taking in late joiners (appended
  // to `group`), and sets each writer's result.
  void run_group(std::vector<Writer*>& group) {
    // Each round either commits or drops at least one writer whose error aborted the whole
    // transaction (SQLite rolls back on its own after some errors: SQLITE_FULL, SQLITE_IOERR,
    // SQLITE_NOMEM, a busy deadlock); the others then run again in a fresh transaction, which
    // write()'s contract allows (fn has no effect outside the database).
    std::vector<Writer*> todo = group;
    bool join = true;  // late joiners only in the first round
    while (!todo.empty()) {
      Status b = writer_->simple("BEGIN IMMEDIATE");
      if (!b.ok()) {
        for (Writer* w : todo) w->result = b;
        return;
      }
      std::vector<Writer*> committed, again;
      bool aborted = false;
      const auto deadline = std::chrono::steady_clock::now() + std::min(last_commit_ / 2, kMaxDelay);
      for (std::size_t i = 0; i < todo.size(); ++i) {
        Writer& w = *todo[i];
        if (aborted) {
          again.push_back(&w);
          continue;
        }
        Status sp = writer_->simple("SAVEPOINT cs_group_member");
        if (sp.ok()) sp = call(w);
        if (sp.ok()) sp = writer_->simple("RELEASE cs_group_member");
        if (sp.ok()) {
          committed.push_back(&w);
        } else {
          w.result = std::move(sp);
          if (sqlite3_get_autocommit(writer_->raw()) ||
              !writer_->simple("ROLLBACK TO cs_group_member").ok() ||
              !writer_->simple("RELEASE cs_group_member").ok()) {
            aborted = true;  // the transaction is gone: those before run again
            again.insert(again.end(), committed.begin(), committed.end());
            committed.clear();
          }
        }
        if (join && !aborted && i + 1 == todo.size()) {
          auto more = late_joiners(todo.size(), deadline);
          group.insert(group.end(), more.begin(), more.end());
          todo.insert(todo.end(), more.begin(), more.end());
        }
      }
      join = false;
      if (aborted) {
        if (!sqlite3_get_autocommit(writer_->raw())) (void)writer_->simple("ROLLBACK");
        todo = std::move(again);
        continue;
      }
      const auto t0 = std::chrono::steady_clock::now();
      Status c = writer_->simple("COMMIT");
      last_commit_ = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
      if (!c.ok()) {
        (void)writer_->simple("ROLLBACK");
      } else {
        ++commits_;
      }
      {
        std::lock_guard l(group_mu_);
        last_group_ = committed.size();
      }
      for (Writer* w : committed) w->result = c;
      return;
    }
  }

  SqliteOptions opts_;
  static constexpr std::chrono::microseconds kMaxDelay{1000};
  std::mutex group_mu_;
  std::condition_variable group_cv_;    // a group is done, or nobody leads
  std::condition_variable arrived_cv_;  // a writer queued (for a leader waiting for late joiners)
  std::size_t last_group_ = 0;          // writers in the last committed group
  std::chrono::microseconds last_commit_{0};  // how long its COMMIT took (leader only)
  std::deque<Writer*> queue_;  // waiting write() calls, in arrival order
  bool leading_ = false;       // a thread is running a group
  std::unique_ptr<Conn> writer_;
  mutable std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Conn>> readers_;
  std::atomic<int> in_use_{0};
  std::atomic<std::int64_t> commits_{0};
  std::int64_t waits_ = 0;
};

}  // namespace

std::optional<std::int64_t> sqlite_commits(const Database& db) {
  auto* s = dynamic_cast<const SqliteDatabase*>(&db);
  if (s == nullptr) return std::nullopt;
  return s->commits();
}

Result<std::unique_ptr<Database>> open_sqlite(const SqliteOptions& opts) {
  if (sqlite3_threadsafe() == 0) return internal_error("sqlite built without thread support");
  auto db = std::make_unique<SqliteDatabase>(opts);
  CS_TRY(db->open());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace certseal::store
