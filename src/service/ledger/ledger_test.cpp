// The transparency log on both engines: appends in the action's transaction, sequencing into
// tiles, checkpoints with both signatures, tiles and bundles as tlog-tiles lays them out, proofs
// that verify against roots computed independently from the stored entries, and the tamper cases
// from the operator's side (edit an entry, delete one, rewrite history and re-sign).
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "base/encoding.h"
#include "base/log.h"
#include "crypto/checkpoint.h"
#include "crypto/signed_note.h"
#include "keystore/software_key_manager.h"
#include "service/ledger/audit.h"
#include "service/ledger/ledger_service.h"
#include "service/ledger/recorder.h"
#include "support/engine_fixture.h"

namespace certseal::service::ledger {
namespace {

using crypto::merkle::Hash;
namespace merkle = crypto::merkle;

class LedgerTest : public testing::EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto km = keystore::SoftwareKeyManager::open(dir_.path() + "/keys", SecretBytes(32, 7), rng_);
    ASSERT_TRUE(km) << km.error().message;
    km_ = std::move(km).value();
    open_log();
  }

  void open_log() {
    auto keys = LogKeys::open(*db_, *km_, clock_, rng_, log_, "test.example/ledger");
    ASSERT_TRUE(keys) << keys.error().code << " " << keys.error().cause;
    keys_ = std::move(keys).value();
    seq_ = std::make_unique<Sequencer>(*db_, *keys_, clock_, log_, std::chrono::milliseconds(50), 100);
    svc_ = std::make_unique<LedgerService>(*db_, *keys_, *seq_);
  }

  void append(int n, const std::string& owner = "acct-1") {
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        CS_TRY(recorder_.append(tx, LedgerEvent("shield.sign").by(owner).of(owner).on("key-" + std::to_string(next_)).with("n", next_)));
        ++next_;
      }
      return {};
    }).ok());
  }

  std::vector<Bytes> stored_entries() {
    std::vector<Bytes> out;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto rows, tx.query("SELECT data FROM ledger_entries ORDER BY idx"));
      for (auto& r : rows) out.push_back(r.blob("data"));
      return {};
    }).ok());
    return out;
  }

  // The root computed from the entries alone (no tiles, no code of the sequencer).
  static Hash independent_root(const std::vector<Bytes>& entries, std::size_t n) {
    merkle::CompactRange r;
    for (std::size_t i = 0; i < n; ++i) r.append(merkle::leaf_hash(entries[i]));
    return r.root();
  }

  crypto::Checkpoint open_checkpoint(const std::string& note) {
    auto text = crypto::open_note_ed25519(note, keys_->origin(), keys_->ed25519_public());
    EXPECT_TRUE(text.ok()) << note;
    EXPECT_TRUE(verify_sm2_line(note, keys_->origin(), keys_->sm2_public_spki()).ok());
    return crypto::parse_checkpoint_text(text.value()).value();
  }

  Status exec(const std::string& sql, const store::Params& p = {}) {
    return db_->write([&](store::Tx& tx) -> Status {
      CS_TRY(tx.exec(sql, p));
      return {};
    });
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  SystemRng rng_;
  MemoryLogger log_;
  std::unique_ptr<keystore::SoftwareKeyManager> km_;
  std::unique_ptr<LogKeys> keys_;
  std::unique_ptr<Sequencer> seq_;
  std::unique_ptr<LedgerService> svc_;
  Recorder recorder_{clock_};
  int next_ = 0;
};

TEST_P(LedgerTest, SequencesIntoTilesWithCheckpointsAndProofsThatVerify) {
  ASSERT_TRUE(seq_->run_once().ok());  // empty log: a checkpoint of size 0
  EXPECT_EQ(open_checkpoint(svc_->checkpoint().value()).size, 0u);

  std::vector<crypto::Checkpoint> seen;
  for (int round : {1, 37, 300, 262}) {  // sizes 1, 38, 338, 600: partial and full tiles, two levels
    append(round);
    auto size = seq_->run_until_idle();
    ASSERT_TRUE(size.ok()) << size.error().cause;
    auto cp = open_checkpoint(svc_->checkpoint().value());
    EXPECT_EQ(cp.size, *size);
    auto entries = stored_entries();
    ASSERT_EQ(entries.size(), cp.size);
    EXPECT_EQ(cp.root, independent_root(entries, cp.size));
    for (std::uint64_t i : {std::uint64_t{0}, cp.size / 2, cp.size - 1}) {
      auto p = svc_->inclusion(i, std::nullopt);
      ASSERT_TRUE(p.ok());
      EXPECT_TRUE(merkle::verify_inclusion(i, cp.size, merkle::leaf_hash(entries[i]), p->hashes, cp.root).ok());
    }
    for (const auto& old : seen) {
      auto c = svc_->consistency(old.size, cp.size);
      ASSERT_TRUE(c.ok());
      EXPECT_TRUE(merkle::verify_consistency(old.size, cp.size, old.root, cp.root, c->hashes).ok())
          << old.size << " -> " << cp.size;
    }
    seen.push_back(cp);
  }

  // Tiles exactly as tlog-tiles lays them out for size 600: 0/000, 0/001 full, 0/002.p/88,
  // 1/000.p/2, bundles likewise.
  auto entries = stored_entries();
  auto t0 = svc_->tile("0/000");
  ASSERT_TRUE(t0.ok());
  ASSERT_EQ(t0->size(), 8192u);
  auto leaf5 = merkle::leaf_hash(entries[5]);
  EXPECT_TRUE(std::equal(leaf5.begin(), leaf5.end(), t0->begin() + 5 * 32));
  EXPECT_EQ(svc_->tile("0/002.p/88")->size(), 88u * 32);
  EXPECT_EQ(svc_->tile("0/002.p/10")->size(), 10u * 32);  // an older checkpoint's partial tile
  auto t1 = svc_->tile("1/000.p/2");
  ASSERT_TRUE(t1.ok());
  std::vector<Hash> first256;
  for (int i = 0; i < 256; ++i) first256.push_back(merkle::leaf_hash(entries[i]));
  auto h1 = merkle::root_of(first256);
  EXPECT_TRUE(std::equal(h1.begin(), h1.end(), t1->begin()));
  auto bundle = svc_->tile("entries/002.p/88");
  ASSERT_TRUE(bundle.ok());
  std::size_t len = (std::size_t{(*bundle)[0]} << 8) | (*bundle)[1];
  EXPECT_EQ(Bytes(bundle->begin() + 2, bundle->begin() + 2 + static_cast<std::ptrdiff_t>(len)), entries[512]);

  // Beyond the tree or malformed: refused.
  EXPECT_EQ(svc_->tile("0/002").error().code, "tile_not_found");
  EXPECT_EQ(svc_->tile("0/002.p/89").error().code, "tile_not_found");
  EXPECT_EQ(svc_->tile("0/003.p/1").error().code, "tile_not_found");
  EXPECT_EQ(svc_->tile("entries/002").error().code, "tile_not_found");
  EXPECT_EQ(svc_->tile("2/000").error().code, "tile_not_found");
  for (const char* bad : {"0/2", "00/000", "0/x000/001", "0/000.p/0", "0/000.p/256", "0/000.p/07", "64/000",
                          "0/001/002", "entries/x001", "x/000"}) {
    EXPECT_EQ(svc_->tile(bad).error().code, "bad_tile_path") << bad;
  }
  EXPECT_EQ(svc_->inclusion(600, std::nullopt).error().code, "bad_proof_request");
  EXPECT_EQ(svc_->inclusion(0, 601).error().code, "bad_proof_request");

  auto rep = audit_log(*db_, *keys_);
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok()) << rep->problem;
  EXPECT_EQ(rep->entries_checked, 600u);
  EXPECT_EQ(rep->checkpoints_checked, 9u);  // 0, 1, 38, 138, 238, 338, 438, 538, 600
}

TEST_P(LedgerTest, TilePathsRoundTrip) {
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{1000}, std::uint64_t{1234067}}) {
    TileRef t{false, 1, n, 0};
    EXPECT_EQ(parse_tile_path(tile_path(t))->index, n);
  }
  EXPECT_EQ(tile_path(TileRef{false, 0, 1234067, 0}), "0/x001/x234/067");
  EXPECT_EQ(tile_path(TileRef{true, 0, 3, 5}), "entries/003.p/5");
}

TEST_P(LedgerTest, RolledBackActionLeavesNoEntryAndPendingSurvivesARestart) {
  Status s = db_->write([&](store::Tx& tx) -> Status {
    CS_TRY(recorder_.append(tx, LedgerEvent("shield.sign").of("a")));
    return failed_precondition("refused", "the action failed after its entry was written");
  });
  ASSERT_FALSE(s.ok());
  append(5);
  // The process dies before sequencing: a new sequencer (as after a restart) covers the entries.
  seq_.reset();
  svc_.reset();
  keys_.reset();
  open_log();
  EXPECT_EQ(seq_->run_until_idle().value(), 5u);
  EXPECT_EQ(stored_entries().size(), 5u);
}

TEST_P(LedgerTest, RefusesFloatsAndOversizedEntries) {
  LedgerEvent e("x");
  e.detail = {{"amount", 1.5}};
  EXPECT_EQ(canonical_entry(e, "t").error().code, "ledger_float");
  e.detail = {{"blob", std::string(70000, 'a')}};
  EXPECT_EQ(canonical_entry(e, "t").error().code, "ledger_entry_too_large");
  auto f = LedgerEvent("t").by("b");
  f.detail = {{"z", 1}, {"a", "x"}};
  EXPECT_EQ(to_string(canonical_entry(f, "T").value()),
            R"({"actor":"b","detail":{"a":"x","z":1},"result":"ok","time":"T","type":"t","v":1})");
}

// The operator edits one field of one stored entry: the audit names it, and the owner's proof
// of that entry no longer leads to the signed root.
TEST_P(LedgerTest, EditedEntryIsNamedByTheAuditAndFailsItsProof) {
  append(300);
  ASSERT_TRUE(seq_->run_until_idle().ok());
  auto cp = open_checkpoint(svc_->checkpoint().value());
  auto before = stored_entries();
  std::string edited = to_string(before[123]);
  edited.replace(edited.find("\"ok\""), 4, "\"no\"");
  ASSERT_TRUE(exec("UPDATE ledger_entries SET data = ? WHERE idx = 123", {to_bytes(edited)}).ok());

  auto rep = audit_log(*db_, *keys_);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ok());
  EXPECT_EQ(rep->bad_entry, std::optional<std::uint64_t>(123)) << rep->problem;

  auto p = svc_->inclusion(123, cp.size);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(merkle::verify_inclusion(123, cp.size, merkle::leaf_hash(to_bytes(edited)), p->hashes, cp.root).ok());
}

TEST_P(LedgerTest, DeletedEntryIsDetected) {
  append(40);
  ASSERT_TRUE(seq_->run_until_idle().ok());
  ASSERT_TRUE(exec("DELETE FROM ledger_entries WHERE idx = 17").ok());
  auto rep = audit_log(*db_, *keys_);
  ASSERT_TRUE(rep.ok());
  EXPECT_EQ(rep->bad_entry, std::optional<std::uint64_t>(17)) << rep->problem;
  EXPECT_EQ(svc_->tile("entries/000.p/40").error().code, "internal");
}

TEST_P(LedgerTest, EditedEntryAndTilesAreCaughtByTheSignedRoot) {
  append(20);
  ASSERT_TRUE(seq_->run_until_idle().ok());
  // The operator edits entry 3 and its leaf hash in the tile, but cannot re-sign old checkpoints
  // without the audit seeing roots that differ from the stored entries... so it re-signs nothing.
  auto entries = stored_entries();
  std::string edited = to_string(entries[3]);
  edited.replace(edited.find("\"ok\""), 4, "\"no\"");
  auto tile = svc_->tile("0/000.p/20").value();
  auto lh = merkle::leaf_hash(to_bytes(edited));
  std::copy(lh.begin(), lh.end(), tile.begin() + 3 * 32);
  ASSERT_TRUE(exec("UPDATE ledger_entries SET data = ? WHERE idx = 3", {to_bytes(edited)}).ok());
  ASSERT_TRUE(exec("UPDATE ledger_tiles SET hashes = ? WHERE level = 0 AND idx = 0", {tile}).ok());
  auto rep = audit_log(*db_, *keys_);
  ASSERT_TRUE(rep.ok());
  EXPECT_FALSE(rep->ok());
  EXPECT_EQ(rep->bad_checkpoint, std::optional<std::uint64_t>(20)) << rep->problem;
}

// The operator rewrites history consistently (edits an entry, rebuilds tiles and checkpoints,
// re-signs with the log's own keys): the audit of the new log passes, but a client holding a
// checkpoint from before sees the consistency proof fail.
TEST_P(LedgerTest, RewrittenAndResignedHistoryFailsAgainstAnOldCheckpoint) {
  append(50);
  ASSERT_TRUE(seq_->run_until_idle().ok());
  auto held = open_checkpoint(svc_->checkpoint().value());  // the client saved this
  auto entries = stored_entries();

  std::string edited = to_string(entries[10]);
  edited.replace(edited.find("\"ok\""), 4, "\"no\"");
  entries[10] = to_bytes(edited);
  ASSERT_TRUE(exec("DELETE FROM ledger_entries").ok());
  ASSERT_TRUE(exec("DELETE FROM ledger_tiles").ok());
  ASSERT_TRUE(exec("DELETE FROM ledger_checkpoints").ok());
  ASSERT_TRUE(exec("UPDATE ledger_state SET size = 0").ok());
  ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Status {
    for (auto& e : entries) {
      CS_TRY(tx.exec("INSERT INTO ledger_pending (data, owner, appended_at) VALUES (?, 'acct-1', 0)", {e}));
    }
    return {};
  }).ok());
  append(5);
  ASSERT_TRUE(seq_->run_until_idle().ok());
  auto now = open_checkpoint(svc_->checkpoint().value());  // validly signed
  EXPECT_TRUE(audit_log(*db_, *keys_)->ok());

  auto c = svc_->consistency(held.size, now.size);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(merkle::verify_consistency(held.size, now.size, held.root, now.root, c->hashes).error().code,
            "proof_invalid");
}

TEST_P(LedgerTest, KeysAreStableAcrossRestartsAndTheOriginIsFixed) {
  Bytes pub = keys_->ed25519_public();
  auto again = LogKeys::open(*db_, *km_, clock_, rng_, log_, "other.example/ledger");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->ed25519_public(), pub);
  EXPECT_EQ((*again)->origin(), "test.example/ledger");
  // A key manager without the SM2 key (another machine's keys folder) cannot open the seed.
  auto other_km = keystore::SoftwareKeyManager::open(dir_.path() + "/other-keys", SecretBytes(32, 9), rng_);
  ASSERT_TRUE(other_km.ok());
  EXPECT_EQ(LogKeys::open(*db_, **other_km, clock_, rng_, log_, "").error().code, "ledger_keys");
}

// The keys row is dated by the injected clock, not the machine's (LogKeys reads no system clock).
TEST_P(LedgerTest, KeysRowIsDatedByTheInjectedClock) {
  ASSERT_TRUE(exec("DELETE FROM ledger_keys").ok());
  clock_.set(SysTime(std::chrono::seconds(1'900'000'000)));
  auto keys = LogKeys::open(*db_, *km_, clock_, rng_, log_, "dated.example/ledger");
  ASSERT_TRUE(keys.ok()) << keys.error().cause;
  auto created = db_->read_value<std::string>([](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto row, tx.query_one("SELECT created_at FROM ledger_keys WHERE id = 1"));
    if (!row) return internal_error("no keys row");
    return row->text("created_at");
  });
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(*created, format_rfc3339(SysTime(std::chrono::seconds(1'900'000'000))));
}

// Two nodes sequencing the same database at once (PostgreSQL: several certseald processes) while
// entries keep arriving: one tree, every entry once, every checkpoint consistent.
TEST_P(LedgerTest, ConcurrentSequencersKeepOneTree) {
  Sequencer other(*db_, *keys_, clock_, log_, std::chrono::milliseconds(5), 37);
  std::atomic<bool> stop{false};
  std::vector<std::thread> runners;
  for (Sequencer* s : {seq_.get(), &other}) {
    runners.emplace_back([&, s] {
      while (!stop) EXPECT_TRUE(s->run_once().ok());
    });
  }
  for (int i = 0; i < 20; ++i) append(25);
  stop = true;
  for (auto& t : runners) t.join();
  ASSERT_EQ(seq_->run_until_idle().value(), 500u);
  auto entries = stored_entries();
  ASSERT_EQ(entries.size(), 500u);
  std::set<std::string> distinct;
  for (auto& e : entries) distinct.insert(to_string(e));
  EXPECT_EQ(distinct.size(), 500u);
  auto rep = audit_log(*db_, *keys_);
  ASSERT_TRUE(rep.ok());
  EXPECT_TRUE(rep->ok()) << rep->problem;
  EXPECT_EQ(rep->entries_checked, 500u);
}

CERTSEAL_INSTANTIATE_ENGINES(LedgerTest);

}  // namespace
}  // namespace certseal::service::ledger
