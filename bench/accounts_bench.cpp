// Logins per second through AccountService (SMS code issued and read back from the outbox, then
// login with code + password), on SQLite and on PostgreSQL (CERTSEAL_BENCH_PG_URL), next to the
// bare Argon2id hash with the same parameters: password hashing dominates a login.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "crypto/password.h"
#include "service/account/account_service.h"
#include "service/notify/sms.h"
#include "store/migrate.h"

namespace {
using namespace certseal;

// The production default: libsodium's INTERACTIVE limits (2 passes, 64 MiB).
const crypto::Argon2Limits kLimits{};

void BM_Argon2idVerify(benchmark::State& state) {
  auto hash = crypto::password_hash("Demo@User01", kLimits);
  for (auto _ : state) benchmark::DoNotOptimize(crypto::password_verify(*hash, "Demo@User01"));
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("ops=2 mem=64MiB");
}
BENCHMARK(BM_Argon2idVerify)->Unit(benchmark::kMillisecond)->UseRealTime();

void login_bench(benchmark::State& state, std::unique_ptr<store::Database> db) {
  SystemClock clock;
  SystemRng rng;
  MemoryLogger log;
  if (!store::migrate(*db, store::schema_migrations(), clock)) {
    state.SkipWithError("migration failed");
    return;
  }
  service::OutboxSmsSender sender(*db, clock, rng);
  service::SmsCodeService sms(*db, clock, rng, sender, {300, 0, 1'000'000, 5});
  service::AccountPolicy policy;
  policy.argon2 = kLimits;
  policy.max_failures_per_phone = 1'000'000;
  service::SecurityNotices notices(clock, rng, log, sender);
  service::AccountService accounts(*db, clock, rng, log, sms, notices, policy);
  const std::string phone = "13900009999";
  if (!accounts.ensure_account(phone, "Demo@User01", false, true)) {
    state.SkipWithError("account");
    return;
  }
  std::regex six("([0-9]{6})");
  for (auto _ : state) {
    if (!sms.issue(phone, service::SmsPurpose::kLogin)) state.SkipWithError("sms");
    auto out = service::list_sms_outbox(*db, phone, "", 1, /*reveal_codes=*/true);
    std::smatch m;
    std::string text = (*out)[0].text;
    std::regex_search(text, m, six);
    auto r = accounts.login(phone, m[1], std::string("Demo@User01"), "127.0.0.1");
    if (!r) state.SkipWithError(r.error().code.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_LoginSqlite(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / "certseal-bench-login";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  login_bench(state, std::move(store::open_sqlite({(dir / "b.db").string()})).value());
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LoginSqlite)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_LoginPostgres(benchmark::State& state) {
  const char* url = std::getenv("CERTSEAL_BENCH_PG_URL");
  if (!url) {
    state.SkipWithError("set CERTSEAL_BENCH_PG_URL");
    return;
  }
  auto db = store::open_postgres({url, 4});
  if (!db) {
    state.SkipWithError("postgres unreachable");
    return;
  }
  login_bench(state, std::move(db).value());
}
BENCHMARK(BM_LoginPostgres)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
