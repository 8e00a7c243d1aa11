// shield_activity on both engines: events of the last hours counted by hour (successful
// signatures, wrong-password unlocks), the others (older, other operations, other refusals) not.
#include "service/shield/shield_activity.h"

#include <gtest/gtest.h>

#include "store/migrate.h"
#include "support/pg_fixture.h"
#include "support/test_env.h"

namespace certseal::service {
namespace {

using store::Engine;

class ShieldActivityTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kSqlite) {
      auto db = store::open_sqlite({dir_.path() + "/t.db"});
      ASSERT_TRUE(db.ok()) << db.error().cause;
      db_ = std::move(db).value();
    } else {
      pg_ = std::make_unique<testing::FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (testing::postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      auto db = store::open_postgres({pg_->url(), 4});
      ASSERT_TRUE(db.ok()) << db.error().cause;
      db_ = std::move(db).value();
    }
    ASSERT_TRUE(store::migrate(*db_, store::schema_migrations(), clock_).ok());
  }

  // One shield event `seconds_ago` before now (times as ShieldService writes them).
  void event(std::int64_t seconds_ago, const std::string& operation, const std::string& result) {
    const std::string at = format_rfc3339_ms(sys_time_from_unix(clock_.now_unix() - seconds_ago));
    const std::string id = "e" + std::to_string(++n_);
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Status {
                     CS_TRY(tx.exec("INSERT INTO shield_events (id, key_id, account_id, device_id, operation, purpose, "
                                    "result, at) VALUES (?, 'k', 'a', 'd', ?, '', ?, ?)",
                                    {id, operation, result, at}));
                     return {};
                   }).ok());
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::FreshPgDatabase> pg_;
  std::unique_ptr<store::Database> db_;
  // 2026-11-30 05:30:00 UTC: half past an hour.
  ManualClock clock_{sys_time_from_unix(1'796'016'600)};
  int n_ = 0;
};

TEST_P(ShieldActivityTest, CountsSignaturesAndWrongPasswordsByHour) {
  event(0, "sign", "ok");
  event(60, "sign", "ok");
  event(120, "sign", "bad_unlock_proof");
  event(180, "decrypt", "ok");                // not a signature
  event(240, "sign", "key_locked");           // refused, but not a wrong password
  event(2 * 3600, "sign", "ok");              // two hours before
  event(2 * 3600 + 10, "password", "bad_unlock_proof");
  event(30 * 3600, "sign", "ok");             // outside the window
  event(23 * 3600 + 1800, "sign", "ok");      // 06:00:00.000 the day before: the window's first instant
  event(23 * 3600 + 1801, "sign", "ok");      // a second earlier: outside
  auto hours = shield_activity(*db_, clock_, 24);
  ASSERT_TRUE(hours) << hours.error().message;
  ASSERT_EQ(hours->size(), 24u);
  EXPECT_EQ(hours->back().hour, "2026-11-30T05:00:00Z");
  EXPECT_EQ(hours->front().hour, "2026-11-29T06:00:00Z");
  EXPECT_EQ(hours->front().signatures, 1);
  EXPECT_EQ(hours->back().signatures, 2);
  EXPECT_EQ(hours->back().failed_unlocks, 1);
  EXPECT_EQ((*hours)[21].hour, "2026-11-30T03:00:00Z");
  EXPECT_EQ((*hours)[21].signatures, 1);
  EXPECT_EQ((*hours)[21].failed_unlocks, 1);
  std::int64_t total = 0;
  for (const auto& h : *hours) total += h.signatures;
  EXPECT_EQ(total, 4);
  EXPECT_EQ(shield_activity(*db_, clock_, 0).error().code, "bad_hours");
  EXPECT_EQ(shield_activity(*db_, clock_, 169).error().code, "bad_hours");
}

INSTANTIATE_TEST_SUITE_P(Engines, ShieldActivityTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& p) { return std::string(store::engine_name(p.param)); });

}  // namespace
}  // namespace certseal::service
