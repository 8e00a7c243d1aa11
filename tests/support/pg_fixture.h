// A fresh, empty PostgreSQL database on the throw-away test server, dropped when done.
#pragma once

#include <optional>
#include <string>

namespace certseal::testing {

class FreshPgDatabase {
 public:
  // Creates the database; url() is empty when no server is configured (see test_env.h).
  FreshPgDatabase();
  ~FreshPgDatabase();
  FreshPgDatabase(const FreshPgDatabase&) = delete;
  FreshPgDatabase& operator=(const FreshPgDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
  std::string error_;
};

}  // namespace certseal::testing

// In a test body: obtain a fresh database or skip/fail depending on CERTSEAL_REQUIRE_PG.
#define CERTSEAL_REQUIRE_PG_DB(var)                                                      \
  ::certseal::testing::FreshPgDatabase var;                                              \
  if (var.url().empty()) {                                                               \
    if (::certseal::testing::postgres_required()) FAIL() << "PostgreSQL: " << var.error(); \
    GTEST_SKIP() << "no PostgreSQL test server configured";                              \
  }
