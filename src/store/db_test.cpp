// Repository-level tests, run against both engines: SQLite in a temp folder and a fresh
// database on the throw-away PostgreSQL server.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "store/db.h"
#include "store/migrate.h"
#include "store/sqlite_stats.h"
#include "support/pg_fixture.h"
#include "support/test_env.h"

namespace certseal::store {
namespace {

using certseal::testing::FreshPgDatabase;
using certseal::testing::TempDir;

class DbTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kSqlite) {
      auto db = open_sqlite({dir_.path() + "/t.db"});
      ASSERT_TRUE(db.ok()) << db.error().cause;
      db_ = std::move(db).value();
      return;
    }
    pg_ = std::make_unique<FreshPgDatabase>();
    if (pg_->url().empty()) {
      if (certseal::testing::postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
      GTEST_SKIP() << "no PostgreSQL test server configured";
    }
    auto db = open_postgres({pg_->url(), 8});
    ASSERT_TRUE(db.ok()) << db.error().cause;
    db_ = std::move(db).value();
  }
  // A second, independent handle on the same database (as another process would have).
  std::unique_ptr<Database> reopen() {
    auto db = GetParam() == Engine::kSqlite ? open_sqlite({dir_.path() + "/t.db"})
                                            : open_postgres({pg_->url(), 8});
    EXPECT_TRUE(db.ok());
    return db ? std::move(db).value() : nullptr;
  }
  void make_table() {
    ASSERT_TRUE(db_->write([](Tx& tx) {
      return tx.exec_script(
          "CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT, d DOUBLE PRECISION, b BLOB, s TEXT)");
    }).ok());
  }

  TempDir dir_;
  std::unique_ptr<FreshPgDatabase> pg_;
  std::unique_ptr<Database> db_;
  SystemClock clock_;
};

// SQLite commits are durable against power loss by default (synchronous=FULL in WAL mode); NORMAL
// only when asked (db.sqlite_synchronous).
TEST(SqliteDurability, SynchronousFullByDefaultNormalOnRequest) {
  TempDir dir;
  for (bool full : {true, false}) {
    SqliteOptions o;
    o.path = dir.path() + (full ? "/full.db" : "/normal.db");
    o.synchronous_full = full;
    auto db = open_sqlite(o);
    ASSERT_TRUE(db.ok()) << db.error().cause;
    std::int64_t level = -1;
    ASSERT_TRUE((*db)->write([&](Tx& tx) -> Status {
      CS_ASSIGN(auto r, tx.query_one("PRAGMA synchronous"));
      level = r->integer("synchronous");
      return {};
    }).ok());
    EXPECT_EQ(level, full ? 2 : 1);  // 2 = FULL, 1 = NORMAL
  }
  EXPECT_TRUE(SqliteOptions{}.synchronous_full);
}

// Group commit (SQLite): writers that arrive while a transaction is under way share its commit;
// each is acknowledged only once its row is committed, and one that fails is rolled back alone, to
// its savepoint, while the others in its group commit. The first writer holds its transaction
// open until three more have queued behind it, so the grouping is certain: the leader takes them
// in before it commits.
TEST(SqliteGroupCommit, WritersWaitingTogetherShareOneCommitAndAFailureRollsBackAlone) {
  TempDir dir;
  auto opened = open_sqlite({dir.path() + "/g.db"});
  ASSERT_TRUE(opened.ok());
  auto& db = **opened;
  ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec_script("CREATE TABLE g (id TEXT PRIMARY KEY)"); }).ok());
  const std::int64_t commits_before = *sqlite_commits(db);
  auto visible = [&](const std::string& id) {
    bool found = false;
    EXPECT_TRUE(db.read([&](Tx& tx) -> Status {
      CS_ASSIGN(auto r, tx.query_one("SELECT id FROM g WHERE id = ?", {id}));
      found = r.has_value();
      return {};
    }).ok());
    return found;
  };
  std::atomic<bool> first_in{false};
  std::thread first([&] {
    Status s = db.write([&](Tx& tx) -> Status {
      CS_TRY(tx.exec("INSERT INTO g (id) VALUES ('first')"));
      first_in = true;
      while (db.stats().in_use < 4) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return {};
    });
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(visible("first"));
  });
  while (!first_in) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::vector<std::thread> others;
  std::atomic<int> acked{0};
  for (std::string id : {"a", "b", "fails"}) {
    others.emplace_back([&, id] {
      Status s = db.write([&](Tx& tx) -> Status {
        CS_TRY(tx.exec("INSERT INTO g (id) VALUES (?)", {id}));
        if (id == "fails") return invalid_argument("refused", "refused after its insert");
        return {};
      });
      if (id == "fails") {
        EXPECT_EQ(s.error().code, "refused");
      } else {
        EXPECT_TRUE(s.ok());
        EXPECT_TRUE(visible(id)) << id << " acknowledged before its commit";
        ++acked;
      }
    });
  }
  first.join();
  for (auto& t : others) t.join();
  EXPECT_EQ(acked.load(), 2);
  EXPECT_TRUE(visible("a"));
  EXPECT_TRUE(visible("b"));
  EXPECT_FALSE(visible("fails"));
  EXPECT_EQ(*sqlite_commits(db) - commits_before, 1);  // four writers, one commit
}

// An exception thrown by a grouped writer's fn reaches that writer's own thread; the others commit.
TEST(SqliteGroupCommit, AnExceptionReachesItsOwnWriterOnly) {
  TempDir dir;
  auto opened = open_sqlite({dir.path() + "/x.db"});
  ASSERT_TRUE(opened.ok());
  auto& db = **opened;
  ASSERT_TRUE(db.write([](Tx& tx) { return tx.exec_script("CREATE TABLE g (id TEXT PRIMARY KEY)"); }).ok());
  std::atomic<bool> first_in{false};
  std::thread first([&] {
    EXPECT_TRUE(db.write([&](Tx&) -> Status {
      first_in = true;
      while (db.stats().in_use < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return {};
    }).ok());
  });
  while (!first_in) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  bool caught = false;
  std::thread thrower([&] {
    try {
      (void)db.write([](Tx& tx) -> Status {
        CS_TRY(tx.exec("INSERT INTO g (id) VALUES ('thrown')"));
        throw std::runtime_error("boom");
      });
    } catch (const std::runtime_error&) {
      caught = true;
    }
  });
  std::thread fine([&] {
    EXPECT_TRUE(db.write([](Tx& tx) -> Status {
      CS_TRY(tx.exec("INSERT INTO g (id) VALUES ('fine')"));
      return {};
    }).ok());
  });
  first.join();
  thrower.join();
  fine.join();
  EXPECT_TRUE(caught);
  std::int64_t n = -1;
  ASSERT_TRUE(db.read([&](Tx& tx) -> Status {
    CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS n FROM g WHERE id = 'fine'"));
    n = r->integer("n");
    CS_ASSIGN(auto t, tx.query_one("SELECT COUNT(*) AS n FROM g WHERE id = 'thrown'"));
    n += 10 * t->integer("n");
    return {};
  }).ok());
  EXPECT_EQ(n, 1);
}

TEST_P(DbTest, ValuesRoundTrip) {
  make_table();
  Bytes blob = {0, 1, 2, 0, 255, '\\', 'x'};
  ASSERT_TRUE(db_->write([&](Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO t (id, n, d, b, s) VALUES (?, ?, ?, ?, ?)",
                   {"a", std::int64_t{1} << 40, 2.5, blob, "统一社会信用代码 'quoted' ?"}));
    CS_TRY(tx.exec("INSERT INTO t (id, n, d, b, s) VALUES (?, ?, ?, ?, ?)",
                   {"b", nullptr, nullptr, nullptr, nullptr}));
    return {};
  }).ok());
  auto rows = db_->read_value<Rows>([](Tx& tx) { return tx.query("SELECT * FROM t ORDER BY id"); });
  ASSERT_TRUE(rows.ok()) << rows.error().cause;
  ASSERT_EQ(rows->size(), 2u);
  const Row& a = (*rows)[0];
  EXPECT_EQ(a.text("id"), "a");
  EXPECT_EQ(a.integer("n"), std::int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(a["d"].as_double(), 2.5);
  EXPECT_EQ(a.blob("b"), blob);
  EXPECT_EQ(a.text("s"), "统一社会信用代码 'quoted' ?");
  const Row& b = (*rows)[1];
  EXPECT_TRUE(b.is_null("n"));
  EXPECT_TRUE(b.is_null("b"));
  EXPECT_TRUE(b.is_null("s"));
}

TEST_P(DbTest, ErrorInsideWriteRollsBackEverything) {
  make_table();
  Status s = db_->write([](Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO t (id) VALUES (?)", {"x"}));
    return invalid_argument("nope", "refused by the caller");
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "nope");
  auto n = db_->read_value<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS c FROM t"));
    return r->integer("c");
  });
  EXPECT_EQ(*n, 0);
}

TEST_P(DbTest, ConstraintViolationIsAConflictWithoutSqlInTheMessage) {
  make_table();
  ASSERT_TRUE(db_->write([](Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO t (id) VALUES (?)", {"dup"}));
    return {};
  }).ok());
  Status s = db_->write([](Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO t (id) VALUES (?)", {"dup"}));
    return {};
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(s.error().message.find("INSERT"), std::string::npos);
  EXPECT_NE(s.error().cause.find("INSERT"), std::string::npos);  // the log keeps the detail
}

TEST_P(DbTest, ExecReportsChangedRows) {
  make_table();
  auto n = db_->write_value<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    CS_TRY(tx.exec("INSERT INTO t (id, n) VALUES ('p', 1), ('q', 1), ('r', 2)"));
    return tx.exec("UPDATE t SET s = ? WHERE n = ?", {"one", 1});
  });
  ASSERT_TRUE(n.ok()) << n.error().cause;
  EXPECT_EQ(*n, 2);
}

TEST_P(DbTest, ConcurrentWritersNeverLoseAnUpdate) {
  make_table();
  ASSERT_TRUE(db_->write([](Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO t (id, n) VALUES ('c', 0)"));
    return {};
  }).ok());
  auto other = reopen();
  ASSERT_TRUE(other);
  std::atomic<int> failures{0};
  auto worker = [&](Database* db) {
    for (int i = 0; i < 50; ++i) {
      Status s = db->write([](Tx& tx) -> Status {
        CS_TRY(tx.exec("UPDATE t SET n = n + 1 WHERE id = 'c'"));
        return {};
      });
      if (!s.ok()) ++failures;
    }
  };
  std::thread a(worker, db_.get()), b(worker, other.get()), c(worker, db_.get());
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(failures.load(), 0);
  auto n = db_->read_value<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    CS_ASSIGN(auto r, tx.query_one("SELECT n FROM t WHERE id = 'c'"));
    return r->integer("n");
  });
  EXPECT_EQ(*n, 150);
}

TEST_P(DbTest, MigrationsRunTwiceWithoutDuplication) {
  auto first = migrate(*db_, schema_migrations(), clock_);
  ASSERT_TRUE(first.ok()) << first.error().cause;
  EXPECT_EQ(first->applied.size(), schema_migrations().size());
  auto second = migrate(*db_, schema_migrations(), clock_);
  ASSERT_TRUE(second.ok()) << second.error().cause;
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(second->current, schema_migrations().back().version);
  auto n = db_->read_value<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS c FROM schema_migrations"));
    return r->integer("c");
  });
  EXPECT_EQ(*n, static_cast<std::int64_t>(schema_migrations().size()));
}

TEST_P(DbTest, ConcurrentMigratorsApplyEachVersionOnce) {
  std::vector<Migration> ms = {
      {1, "a", "CREATE TABLE m1 (x BIGINT)", {}},
      {2, "b", "CREATE TABLE m2 (x BIGINT); INSERT INTO m2 VALUES (1)", {}},
      {3, "c", "INSERT INTO m2 VALUES (2)", {}},
  };
  auto other = reopen();
  ASSERT_TRUE(other);
  Result<MigrateReport> r1 = internal_error("unset"), r2 = internal_error("unset");
  std::thread a([&] { r1 = migrate(*db_, ms, clock_); });
  std::thread b([&] { r2 = migrate(*other, ms, clock_); });
  a.join();
  b.join();
  ASSERT_TRUE(r1.ok()) << r1.error().cause;
  ASSERT_TRUE(r2.ok()) << r2.error().cause;
  EXPECT_EQ(r1->applied.size() + r2->applied.size(), 3u);
  auto n = db_->read_value<std::int64_t>([](Tx& tx) -> Result<std::int64_t> {
    CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS c FROM m2"));
    return r->integer("c");
  });
  EXPECT_EQ(*n, 2);  // migration 3 ran exactly once
}

TEST_P(DbTest, RefusesADatabaseFromANewerRelease) {
  std::vector<Migration> newer = {{1, "a", "CREATE TABLE z1 (x BIGINT)", {}},
                                  {2, "b", "CREATE TABLE z2 (x BIGINT)", {}}};
  ASSERT_TRUE(migrate(*db_, newer, clock_).ok());
  std::vector<Migration> older(newer.begin(), newer.begin() + 1);
  auto r = migrate(*db_, older, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "schema_too_new");
}

TEST_P(DbTest, PingAndStats) {
  EXPECT_TRUE(db_->ping().ok());
  auto s = db_->stats();
  EXPECT_GE(s.max_size, 1);
  EXPECT_EQ(s.in_use, 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, DbTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& p) { return std::string(engine_name(p.param)); });

TEST(PostgresSql, RewritesPlaceholdersAndBlob) {
  EXPECT_EQ(to_postgres_sql("SELECT ? , '?' , \"a?\" FROM t WHERE x = ?"),
            "SELECT $1 , '?' , \"a?\" FROM t WHERE x = $2");
  EXPECT_EQ(to_postgres_sql("CREATE TABLE t (b BLOB, blobby TEXT)"),
            "CREATE TABLE t (b BYTEA, blobby TEXT)");
  // Identifiers that merely contain the word stay as they are.
  EXPECT_EQ(to_postgres_sql("SELECT front_blob_id, blob_x, x_blob FROM blobs"),
            "SELECT front_blob_id, blob_x, x_blob FROM blobs");
}

TEST(PostgresOpen, UnreachableServerIsUnavailableNotACrash) {
  auto db = open_postgres({"postgresql://nobody@127.0.0.1:1/none", 2, 100, 2});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind, ErrorKind::kUnavailable);
}

}  // namespace
}  // namespace certseal::store
