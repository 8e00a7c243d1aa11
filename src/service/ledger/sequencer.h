// Sequencer: moves pending entries into the tree and signs a checkpoint (docs/LEDGER.md
// "Sequencing").
//
// One run is one write transaction: lock ledger_state (UPDATE of its one row, so on PostgreSQL
// several nodes take turns), take up to `batch` pending entries in id order, give them the next
// leaf indexes, write them to ledger_entries, extend the rightmost tiles of each level, sign a
// checkpoint of the new size, store it, delete the pending rows. A crash at any point leaves
// either the whole run or nothing; the next run covers what is still pending.
// An empty log gets a checkpoint of size 0 on the first run.
//
// start() runs it in a thread as soon as work waits: a run that sequenced entries is followed by
// the next one `pace` later (at once after a full batch), so under load runs go back to back and
// an entry waits for about one run, not for a timer; an idle log is looked at every `interval`
// (a cheap read), and at once after notify() (on demand). stop() joins.
//
// Contract: run_once() is thread-safe (the database serialises runs); start()/stop() are called
// by one owner. Errors: the database's and the keys'.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "service/ledger/log_keys.h"
#include "store/db.h"

namespace certseal::service::ledger {

struct SequenceResult {
  std::uint64_t added = 0;  // entries sequenced by this run
  std::uint64_t size = 0;   // tree size after it
  bool signed_checkpoint = false;
};

class Sequencer {
 public:
  Sequencer(store::Database& db, const LogKeys& keys, const Clock& clock, Logger& log,
            std::chrono::milliseconds interval = std::chrono::milliseconds(200), std::size_t batch = 4096,
            std::chrono::milliseconds pace = std::chrono::milliseconds(10))
      : db_(db), keys_(keys), clock_(clock), log_(log), interval_(interval), pace_(std::min(pace, interval)),
        batch_(batch) {}
  ~Sequencer() { stop(); }
  Sequencer(const Sequencer&) = delete;
  Sequencer& operator=(const Sequencer&) = delete;

  Result<SequenceResult> run_once();
  // Runs until nothing is pending (at most `max_runs` runs); returns the final size.
  Result<std::uint64_t> run_until_idle(int max_runs = 1000);

  void start();
  void stop();
  void notify();

 private:
  void loop();

  store::Database& db_;
  const LogKeys& keys_;
  const Clock& clock_;
  Logger& log_;
  std::chrono::milliseconds interval_;  // idle: how often to look for waiting entries
  std::chrono::milliseconds pace_;      // busy: the gap between runs that sequence entries
  std::size_t batch_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool poke_ = false;
  std::thread thread_;
};

}  // namespace certseal::service::ledger
