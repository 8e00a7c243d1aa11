// In-process cost of the API layer, without the network: route matching, the whole dispatch of
// GET /healthz (request id, match, handler, metrics, response), and a problem+json render.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "api/dispatcher.h"
#include "api/metrics.h"
#include "api/problem.h"
#include "store/db.h"

namespace {
using namespace certseal;

void BM_MatchPattern(benchmark::State& state) {
  std::map<std::string, std::string, std::less<>> p;
  for (auto _ : state) {
    p.clear();
    benchmark::DoNotOptimize(api::match_pattern("/api/v1/orders/{id}/events", "/api/v1/orders/01a2/events", &p));
  }
}
BENCHMARK(BM_MatchPattern);

void BM_DispatchHealthz(benchmark::State& state) {
  auto dir = std::filesystem::temp_directory_path() / "certseal-bench-api";
  std::filesystem::create_directories(dir);
  auto db = std::move(store::open_sqlite({(dir / "b.db").string()})).value();
  SystemClock clock;
  SystemRng rng;
  MemoryLogger log;
  api::Metrics metrics;
  api::Services services{clock, rng, log, *db, metrics, "bench", "node"};
  api::Dispatcher d(services, nullptr, api::route_table(), /*access_log=*/false);
  net::Request req;
  req.method = "GET";
  req.target = req.path = "/healthz";
  for (auto _ : state) benchmark::DoNotOptimize(d.handle(req));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_DispatchHealthz);

void BM_ProblemRender(benchmark::State& state) {
  Error e = invalid_argument("bad_id_number", "the ID number's check digit is wrong");
  for (auto _ : state) benchmark::DoNotOptimize(api::problem_response(e, "0123456789abcdef01234567"));
}
BENCHMARK(BM_ProblemRender);

}  // namespace
