// The transparency log (docs/LEDGER.md):
//  * BM_SustainedAppends/<engine>/<entries per transaction>: 4 writer threads append for 3 s, each
//    transaction holding N entries (N = 1: one action, one entry), while the background Sequencer
//    (server defaults: idle interval 200 ms, pace 10 ms) moves them into the tree and signs
//    checkpoints. Counters: appends/s, the time from an append to the first checkpoint covering
//    it, as a watcher thread polling /ledger/checkpoint's source sees it (p50, p99), checkpoints
//    signed, and on SQLite the commits (group commit: several writers share one).
//  * BM_PacedAppends/<engine>/<entries per second>: the same with one entry per transaction and
//    the writers paced to a fixed total rate for 5 s (the goal's 5,000/s and twice that): the
//    inclusion time a user sees at that load, where the unpaced run measures saturation.
//  * BM_BareCommits/<engine>/<threads>: the baseline of the same machine and engine: transactions
//    of one small INSERT into a scratch table, no log, no sequencer, for 2 s.
//  * BM_InclusionProof/<size>, BM_ConsistencyProof/<size>: LedgerService proofs on SQLite over a
//    tree of 1M and 10M leaves (tiles written directly from synthetic leaf hashes: proofs read only
//    tiles, and writing 10M entries through the sequencer would take minutes).
// PostgreSQL: CERTSEAL_BENCH_PG_URL (a fresh database; the appends bench skips without it).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "keystore/software_key_manager.h"
#include "service/ledger/ledger_service.h"
#include "service/ledger/recorder.h"
#include "store/migrate.h"
#include "store/sqlite_stats.h"

namespace {
using namespace certseal;
using namespace certseal::service::ledger;
namespace merkle = crypto::merkle;

std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("certseal-ledger-bench-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

std::unique_ptr<store::Database> open_engine(const std::string& engine, const std::string& dir) {
  Result<std::unique_ptr<store::Database>> db = engine == "postgres"
                                                    ? store::open_postgres({std::getenv("CERTSEAL_BENCH_PG_URL"), 16})
                                                    : store::open_sqlite({dir + "/bench.db"});
  if (!db) return nullptr;
  SystemClock clock;
  if (!store::migrate(**db, store::schema_migrations(), clock)) return nullptr;
  return std::move(db).value();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// Four writers append `per_tx` entries per transaction for `seconds`; with `rate` > 0 the
// transactions are paced so that the four together append `rate` entries per second.
void run_appends(benchmark::State& state, const std::string& engine, int per_tx, int rate, int seconds) {
  if (engine == "postgres" && !std::getenv("CERTSEAL_BENCH_PG_URL")) {
    state.SkipWithError("CERTSEAL_BENCH_PG_URL not set");
    return;
  }
  std::string dir = temp_dir(engine + std::to_string(per_tx) + "-" + std::to_string(rate));
  SystemClock clock;
  SystemRng rng;
  MemoryLogger log;
  for (auto _ : state) {
    auto db = open_engine(engine, dir);
    if (!db) {
      state.SkipWithError("database");
      return;
    }
    if (engine == "postgres") {
      (void)db->write([](store::Tx& tx) -> Status {
        CS_TRY(tx.exec_script("DELETE FROM ledger_pending; DELETE FROM ledger_entries; DELETE FROM ledger_tiles; "
                              "DELETE FROM ledger_checkpoints; DELETE FROM ledger_keys; UPDATE ledger_state SET size = 0;"));
        return {};
      });
    }
    auto km = keystore::SoftwareKeyManager::open(dir + "/keys", SecretBytes(32, 1), rng).value();
    auto keys = LogKeys::open(*db, *km, clock, rng, log, "bench.example/ledger").value();
    Sequencer seq(*db, *keys, clock, log);
    (void)seq.run_once();
    seq.start();
    Recorder rec(clock);

    // The watcher: when each checkpoint size was first seen.
    std::atomic<bool> done{false};
    std::vector<std::pair<std::int64_t, std::int64_t>> seen;  // (size, ms)
    std::thread watcher([&] {
      std::int64_t last = -1;
      while (!done) {
        auto r = db->read_value<std::int64_t>([](store::Tx& tx) -> Result<std::int64_t> {
          CS_ASSIGN(auto row, tx.query_one("SELECT MAX(size) AS s FROM ledger_checkpoints"));
          return row ? row->integer("s") : 0;
        });
        if (r && *r != last) {
          last = *r;
          seen.emplace_back(*r, clock.now_unix_ms());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });

    std::atomic<std::int64_t> appended{0};
    const std::int64_t commits0 = store::sqlite_commits(*db).value_or(0);
    const auto t0 = std::chrono::steady_clock::now();
    const auto until = t0 + std::chrono::seconds(seconds);
    // Each writer's transactions start on its own schedule (offset so the four interleave).
    const auto step = rate > 0 ? std::chrono::nanoseconds(4'000'000'000LL * per_tx / rate) : std::chrono::nanoseconds(0);
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        int n = 0;
        auto next = t0 + step * w / 4;
        while (std::chrono::steady_clock::now() < until) {
          if (rate > 0) {
            std::this_thread::sleep_until(next);
            next += step;
          }
          Status s = db->write([&](store::Tx& tx) -> Status {
            for (int i = 0; i < per_tx; ++i) {
              CS_TRY(rec.append(tx, LedgerEvent("shield.sign").by("acct-" + std::to_string(w)).of("acct-" + std::to_string(w))
                                        .on("key-bench").doc("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")
                                        .with("n", n++)));
            }
            return {};
          });
          if (s) appended += per_tx;
        }
      });
    }
    for (auto& t : writers) t.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::int64_t commits = store::sqlite_commits(*db).value_or(0) - commits0;
    seq.notify();
    for (int i = 0; i < 600; ++i) {
      auto sz = db->read_value<std::int64_t>([](store::Tx& tx) -> Result<std::int64_t> {
        CS_ASSIGN(auto row, tx.query_one("SELECT size FROM ledger_state WHERE id = 1"));
        return row->integer("size");
      });
      if (sz && *sz >= appended) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    done = true;
    watcher.join();
    seq.stop();

    // Latency: first sighting of a checkpoint covering the entry minus the entry's append time.
    std::vector<double> lat;
    (void)db->read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto rows, tx.query("SELECT idx, appended_at FROM ledger_entries ORDER BY idx"));
      std::size_t j = 0;
      for (auto& r : rows) {
        std::int64_t idx = r.integer("idx");
        while (j < seen.size() && seen[j].first <= idx) ++j;
        if (j < seen.size()) lat.push_back(static_cast<double>(seen[j].second - r.integer("appended_at")));
      }
      return {};
    });
    state.counters["appends_per_s"] = static_cast<double>(appended.load()) / secs;
    state.counters["inclusion_p50_ms"] = percentile(lat, 0.50);
    state.counters["inclusion_p99_ms"] = percentile(lat, 0.99);
    state.counters["entries"] = static_cast<double>(appended.load());
    state.counters["checkpoints"] = static_cast<double>(seen.size());
    state.counters["commits"] = static_cast<double>(commits);
  }
  std::filesystem::remove_all(dir);
}

void BM_SustainedAppends(benchmark::State& state, const std::string& engine) {
  run_appends(state, engine, static_cast<int>(state.range(0)), 0, 3);
}
void BM_PacedAppends(benchmark::State& state, const std::string& engine) {
  run_appends(state, engine, 1, static_cast<int>(state.range(0)), 5);
}
BENCHMARK_CAPTURE(BM_SustainedAppends, sqlite, std::string("sqlite"))->Arg(1)->Arg(100)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_SustainedAppends, postgres, std::string("postgres"))->Arg(1)->Arg(100)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_PacedAppends, sqlite, std::string("sqlite"))->Arg(5000)->Arg(10000)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_PacedAppends, postgres, std::string("postgres"))->Arg(5000)->Arg(10000)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

void BM_BareCommits(benchmark::State& state, const std::string& engine) {
  const int threads = static_cast<int>(state.range(0));
  if (engine == "postgres" && !std::getenv("CERTSEAL_BENCH_PG_URL")) {
    state.SkipWithError("CERTSEAL_BENCH_PG_URL not set");
    return;
  }
  std::string dir = temp_dir("bare-" + engine + std::to_string(threads));
  for (auto _ : state) {
    auto db = open_engine(engine, dir);
    if (!db) {
      state.SkipWithError("database");
      return;
    }
    (void)db->write([](store::Tx& tx) -> Status {
      return tx.exec_script("DROP TABLE IF EXISTS bench_bare; CREATE TABLE bench_bare (id BIGINT, w BIGINT)");
    });
    std::atomic<std::int64_t> done{0};
    const std::int64_t commits0 = store::sqlite_commits(*db).value_or(0);
    const auto t0 = std::chrono::steady_clock::now();
    const auto until = t0 + std::chrono::seconds(2);
    std::vector<std::thread> writers;
    for (int w = 0; w < threads; ++w) {
      writers.emplace_back([&, w] {
        std::int64_t n = 0;
        while (std::chrono::steady_clock::now() < until) {
          Status s = db->write([&](store::Tx& tx) -> Status {
            CS_TRY(tx.exec("INSERT INTO bench_bare (id, w) VALUES (?, ?)", {n++, w}));
            return {};
          });
          if (s) ++done;
        }
      });
    }
    for (auto& t : writers) t.join();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.counters["commits_per_s"] = static_cast<double>(done.load()) / secs;
    state.counters["sqlite_commits"] = static_cast<double>(store::sqlite_commits(*db).value_or(0) - commits0);
    state.counters["writes"] = static_cast<double>(done.load());
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK_CAPTURE(BM_BareCommits, sqlite, std::string("sqlite"))->Arg(1)->Arg(4)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);
BENCHMARK_CAPTURE(BM_BareCommits, postgres, std::string("postgres"))->Arg(1)->Arg(4)->Iterations(1)->UseRealTime()->Unit(benchmark::kSecond);

// A SQLite log of `size` synthetic leaves: tiles only, plus its checkpoint row.
struct ProofLog {
  std::string dir;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<keystore::SoftwareKeyManager> km;
  std::unique_ptr<LogKeys> keys;
  std::unique_ptr<Sequencer> seq;
  std::unique_ptr<LedgerService> svc;
};

ProofLog* proof_log(std::int64_t size) {
  static std::map<std::int64_t, std::unique_ptr<ProofLog>> logs;
  static std::mutex mu;
  std::lock_guard lock(mu);
  auto& slot = logs[size];
  if (slot) return slot.get();
  auto p = std::make_unique<ProofLog>();
  p->dir = temp_dir("proofs" + std::to_string(size));
  p->db = open_engine("sqlite", p->dir);
  static SystemClock clock;
  static SystemRng rng;
  static MemoryLogger log;
  p->km = keystore::SoftwareKeyManager::open(p->dir + "/keys", SecretBytes(32, 1), rng).value();
  p->keys = LogKeys::open(*p->db, *p->km, clock, rng, log, "bench.example/ledger").value();
  p->seq = std::make_unique<Sequencer>(*p->db, *p->keys, clock, log);
  p->svc = std::make_unique<LedgerService>(*p->db, *p->keys, *p->seq);
  // Level by level: level-0 hashes are leaf hashes of "entry i"; each full tile's root goes up.
  std::vector<merkle::Hash> level;
  level.reserve(static_cast<std::size_t>(size));
  for (std::int64_t i = 0; i < size; ++i) {
    std::string e = "entry " + std::to_string(i);
    level.push_back(merkle::leaf_hash(as_bytes(e)));
  }
  merkle::CompactRange range;
  for (const auto& h : level) range.append(h);
  for (int l = 0; !level.empty(); ++l) {
    std::vector<merkle::Hash> up;
    (void)p->db->write([&](store::Tx& tx) -> Status {
      for (std::size_t t = 0; t * kTileWidth < level.size(); ++t) {
        std::size_t n = std::min<std::size_t>(kTileWidth, level.size() - t * kTileWidth);
        std::span<const merkle::Hash> part(level.data() + t * kTileWidth, n);
        CS_TRY(tx.exec("INSERT INTO ledger_tiles (level, idx, hashes) VALUES (?, ?, ?)",
                       {l, static_cast<std::int64_t>(t), blob_from_hashes(part)}));
        if (n == kTileWidth) up.push_back(merkle::root_of(part));
      }
      return {};
    });
    level = std::move(up);
  }
  auto root = range.root();
  (void)p->db->write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, 'synthetic', '')",
                   {size, Bytes(root.begin(), root.end())}));
    CS_TRY(tx.exec("UPDATE ledger_state SET size = ?", {size}));
    return {};
  });
  slot = std::move(p);
  return slot.get();
}

void BM_InclusionProof(benchmark::State& state) {
  auto* p = proof_log(state.range(0));
  std::mt19937_64 gen(42);
  std::uniform_int_distribution<std::uint64_t> pick(0, static_cast<std::uint64_t>(state.range(0)) - 1);
  for (auto _ : state) {
    auto r = p->svc->inclusion(pick(gen), std::nullopt);
    if (!r) state.SkipWithError(r.error().cause.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProof)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ConsistencyProof(benchmark::State& state) {
  auto* p = proof_log(state.range(0));
  std::mt19937_64 gen(7);
  std::uniform_int_distribution<std::uint64_t> pick(1, static_cast<std::uint64_t>(state.range(0)));
  for (auto _ : state) {
    auto r = p->svc->consistency(pick(gen), std::nullopt);
    if (!r) state.SkipWithError(r.error().cause.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProof)->Arg(1'000'000)->Arg(10'000'000)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
