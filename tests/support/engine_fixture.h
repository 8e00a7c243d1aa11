// A test fixture parameterised over the two database engines, with the schema migrated.
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "base/clock.h"
#include "store/db.h"
#include "store/migrate.h"
#include "support/pg_fixture.h"
#include "support/test_env.h"

namespace certseal::testing {

class EngineTest : public ::testing::TestWithParam<store::Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == store::Engine::kSqlite) {
      auto db = store::open_sqlite({dir_.path() + "/t.db"});
      ASSERT_TRUE(db.ok()) << db.error().cause;
      db_ = std::move(db).value();
    } else {
      pg_ = std::make_unique<FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      auto db = store::open_postgres({pg_->url(), 8});
      ASSERT_TRUE(db.ok()) << db.error().cause;
      db_ = std::move(db).value();
    }
    SystemClock clock;
    auto m = store::migrate(*db_, store::schema_migrations(), clock);
    ASSERT_TRUE(m.ok()) << m.error().cause;
  }

  TempDir dir_;
  std::unique_ptr<FreshPgDatabase> pg_;
  std::unique_ptr<store::Database> db_;
};

inline std::string engine_param_name(const ::testing::TestParamInfo<store::Engine>& p) {
  return std::string(store::engine_name(p.param));
}

#define CERTSEAL_INSTANTIATE_ENGINES(Suite)                                                   \
  INSTANTIATE_TEST_SUITE_P(Engines, Suite,                                                    \
                           ::testing::Values(::certseal::store::Engine::kSqlite,              \
                                             ::certseal::store::Engine::kPostgres),           \
                           ::certseal::testing::engine_param_name)

}  // namespace certseal::testing
