#include "service/ledger/sequencer.h"

#include <map>

#include "service/ledger/tiles.h"

namespace certseal::service::ledger {
namespace {

using crypto::merkle::Hash;

// The rightmost tiles of every level while a run appends to them.
class TileAppender {
 public:
  TileAppender(TileReader& reader, std::uint64_t size) : reader_(reader), size_(size) {}

  Status append_leaf(const Hash& h) { return append(0, h); }

  // Writes every changed tile back and into the reader's cache.
  Status flush(store::Tx& tx) {
    for (auto& [key, hashes] : dirty_) {
      CS_TRY(tx.exec("INSERT INTO ledger_tiles (level, idx, hashes) VALUES (?, ?, ?) "
                     "ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes",
                     {key.first, static_cast<std::int64_t>(key.second), blob_from_hashes(hashes)}));
      reader_.put(key.first, key.second, hashes);
    }
    return {};
  }

 private:
  // Hashes at `level` before this run: one per complete 256^level leaves.
  std::uint64_t count_at(int level) {
    auto it = counts_.find(level);
    if (it != counts_.end()) return it->second;
    std::uint64_t c = level * kTileHeight >= 64 ? 0 : size_ >> (level * kTileHeight);
    counts_[level] = c;
    return c;
  }

  Status append(int level, const Hash& h) {
    std::uint64_t n = count_at(level);
    std::uint64_t index = n / kTileWidth;
    auto key = std::pair{level, index};
    auto it = dirty_.find(key);
    if (it == dirty_.end()) {
      std::vector<Hash> start;
      if (n % kTileWidth != 0) {
        CS_ASSIGN(auto stored, reader_.tile(level, index));
        if (stored->size() < n % kTileWidth) {
          return internal_error("ledger_corrupt: tile " + std::to_string(level) + "/" + std::to_string(index) +
                                " is shorter than the tree size says");
        }
        start.assign(stored->begin(), stored->begin() + static_cast<std::ptrdiff_t>(n % kTileWidth));
      }
      it = dirty_.emplace(key, std::move(start)).first;
    }
    it->second.push_back(h);
    counts_[level] = n + 1;
    if (it->second.size() == kTileWidth) CS_TRY(append(level + 1, crypto::merkle::root_of(it->second)));
    return {};
  }

  TileReader& reader_;
  std::uint64_t size_;
  std::map<int, std::uint64_t> counts_;
  std::map<std::pair<int, std::uint64_t>, std::vector<Hash>> dirty_;
};

constexpr std::size_t kRowsPerInsert = 200;

}  // namespace

Result<SequenceResult> Sequencer::run_once() {
  // A read first, so an idle log costs no write transaction (and no fsync on SQLite).
  CS_ASSIGN(auto idle, db_.read_value<std::optional<std::uint64_t>>(
                           [](store::Tx& tx) -> Result<std::optional<std::uint64_t>> {
                             CS_ASSIGN(auto p, tx.query_one("SELECT id FROM ledger_pending LIMIT 1"));
                             if (p) return std::optional<std::uint64_t>();
                             CS_ASSIGN(auto c, tx.query_one("SELECT size FROM ledger_checkpoints ORDER BY size DESC LIMIT 1"));
                             if (!c) return std::optional<std::uint64_t>();
                             return std::optional<std::uint64_t>(static_cast<std::uint64_t>(c->integer("size")));
                           }));
  if (idle) return SequenceResult{0, *idle, false};
  return db_.write_value<SequenceResult>([&](store::Tx& tx) -> Result<SequenceResult> {
    SequenceResult out;
    CS_TRY(tx.exec("UPDATE ledger_state SET size = size WHERE id = 1"));  // the run's lock
    CS_ASSIGN(auto st, tx.query_one("SELECT size FROM ledger_state WHERE id = 1"));
    if (!st) return internal_error("ledger_state row missing");
    const std::uint64_t size = static_cast<std::uint64_t>(st->integer("size"));
    out.size = size;
    CS_ASSIGN(auto pending, tx.query("SELECT id, data, owner, appended_at FROM ledger_pending ORDER BY id LIMIT ?",
                                     {static_cast<std::int64_t>(batch_)}));
    if (pending.empty()) {
      if (size == 0) {
        CS_ASSIGN(auto any, tx.query_one("SELECT size FROM ledger_checkpoints WHERE size = 0"));
        if (!any) {
          crypto::Checkpoint c{keys_.origin(), 0, crypto::merkle::empty_root()};
          CS_ASSIGN(auto note, keys_.sign(c));
          CS_TRY(tx.exec("INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (0, ?, ?, ?)",
                         {Bytes(c.root.begin(), c.root.end()), note, format_rfc3339_ms(clock_.now())}));
          out.signed_checkpoint = true;
        }
      }
      return out;
    }

    const std::int64_t now_ms = clock_.now_unix_ms();
    TileReader reader(tx);
    TileAppender tiles(reader, size);
    for (std::size_t i = 0; i < pending.size(); i += kRowsPerInsert) {
      std::size_t end = std::min(pending.size(), i + kRowsPerInsert);
      std::string sql = "INSERT INTO ledger_entries (idx, data, owner, appended_at, sequenced_at) VALUES ";
      std::string del = "DELETE FROM ledger_pending WHERE id IN (";
      store::Params params, ids;
      for (std::size_t j = i; j < end; ++j) {
        const auto& r = pending[j];
        Bytes data = r.blob("data");
        CS_TRY(tiles.append_leaf(crypto::merkle::leaf_hash(data)));
        sql += j == i ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
        del += j == i ? "?" : ", ?";
        params.insert(params.end(), {static_cast<std::int64_t>(size + j), std::move(data), r.text("owner"),
                                     r.integer("appended_at"), now_ms});
        ids.emplace_back(r.integer("id"));
      }
      CS_TRY(tx.exec(sql, params));
      CS_ASSIGN(auto gone, tx.exec(del + ")", ids));
      if (gone != static_cast<std::int64_t>(end - i)) return internal_error("ledger_pending rows vanished mid-run");
    }
    CS_TRY(tiles.flush(tx));
    const std::uint64_t new_size = size + pending.size();
    CS_ASSIGN(Hash root, crypto::merkle::tree_root(new_size, reader.subtree_fn()));
    crypto::Checkpoint c{keys_.origin(), new_size, root};
    CS_ASSIGN(auto note, keys_.sign(c));
    CS_TRY(tx.exec("INSERT INTO ledger_checkpoints (size, root, note, created_at) VALUES (?, ?, ?, ?)",
                   {static_cast<std::int64_t>(new_size), Bytes(root.begin(), root.end()), note,
                    format_rfc3339_ms(clock_.now())}));
    CS_TRY(tx.exec("UPDATE ledger_state SET size = ? WHERE id = 1", {static_cast<std::int64_t>(new_size)}));
    out.added = pending.size();
    out.size = new_size;
    out.signed_checkpoint = true;
    return out;
  });
}

Result<std::uint64_t> Sequencer::run_until_idle(int max_runs) {
  std::uint64_t size = 0;
  for (int i = 0; i < max_runs; ++i) {
    CS_ASSIGN(auto r, run_once());
    size = r.size;
    if (r.added == 0) break;
  }
  return size;
}

void Sequencer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Sequencer::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Sequencer::notify() {
  {
    std::lock_guard lock(mu_);
    poke_ = true;
  }
  cv_.notify_all();
}

void Sequencer::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    poke_ = false;
    lock.unlock();
    // Idle (or failing): wait `interval`. Busy: entries are most likely waiting again, so run
    // after `pace` (which lets them gather into one run instead of one run per commit), or at
    // once when the last run had to leave some behind.
    auto wait = interval_;
    auto r = run_once();
    if (!r) {
      log_.error("ledger sequencing failed", {{"code", r.error().code}, {"cause", r.error().cause}});
    } else if (r->added >= batch_) {
      wait = std::chrono::milliseconds(0);
    } else if (r->added > 0) {
      wait = pace_;
    }
    lock.lock();
    if (wait.count() > 0) cv_.wait_for(lock, wait, [this] { return stop_ || poke_; });
  }
}

}  // namespace certseal::service::ledger
