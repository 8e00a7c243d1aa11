#include "support/pg_fixture.h"

#include <libpq-fe.h>

#include <random>

#include "support/test_env.h"

namespace certseal::testing {
namespace {
bool run_admin(const std::string& url, const std::string& sql, std::string* err) {
  PGconn* c = PQconnectdb(url.c_str());
  bool ok = false;
  if (PQstatus(c) == CONNECTION_OK) {
    PGresult* r = PQexec(c, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok && err) *err = PQresultErrorMessage(r);
    PQclear(r);
  } else if (err) {
    *err = PQerrorMessage(c);
  }
  PQfinish(c);
  return ok;
}
}  // namespace

FreshPgDatabase::FreshPgDatabase() {
  auto base = postgres_url();
  if (!base) {
    error_ = "CERTSEAL_TEST_PG_URL(_FILE) not set";
    return;
  }
  admin_url_ = *base;
  std::random_device rd;
  name_ = "cs_" + std::to_string(rd()) + std::to_string(rd());
  if (!run_admin(admin_url_, "CREATE DATABASE " + name_, &error_)) return;
  auto slash = admin_url_.rfind('/');
  url_ = admin_url_.substr(0, slash + 1) + name_;
}

FreshPgDatabase::~FreshPgDatabase() {
  if (!url_.empty()) run_admin(admin_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)", nullptr);
}

}  // namespace certseal::testing
