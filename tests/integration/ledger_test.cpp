// The transparency log end to end on both engines (issue #15, docs/LEDGER.md):
//   * GoVerifierChecksTheLog: Go's golang.org/x/mod/sumdb/tlog and sumdb/note (tests/ledger_go,
//     no CertSeal code) verify the Ed25519 checkpoint, read the tiles from the running certseald
//     and check inclusion of chosen entries and consistency with an earlier checkpoint.
//   * EditedEntryIsNamedByAuditAndFailsTheUsersVerify, DeletedEntryIsNamedByAudit,
//     RewrittenHistoryFailsForAClientHoldingAnOldCheckpoint: the operator's tampering, caught by
//     `certseald admin ledger audit` and by the user's `certseal ledger verify`.
//   * KilledDuringABurstLosesNoAcknowledgedUse: kill -9 during a burst of logins; after restart
//     every acknowledged login is in the log and the next checkpoint is consistent with the last.
// Entries come from the server's own flows (logins) and, for volume, from the production append
// path (service::ledger::Recorder) run in this process against the same database, as another
// node would.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "base/encoding.h"
#include "crypto/checkpoint.h"
#include "crypto/merkle.h"
#include "crypto/signed_note.h"
#include "service/ledger/recorder.h"
#include "store/db.h"
#include "support/api_fixture.h"

namespace certseal::testing {
namespace {

namespace merkle = crypto::merkle;

struct ProcRun {
  int exit_code = -1;
  std::string out;
};
std::ostream& operator<<(std::ostream& os, const ProcRun& r) { return os << "exit " << r.exit_code << "\n" << r.out; }

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

ProcRun sh(const std::vector<std::string>& args) {
  std::string cmd;
  for (const auto& a : args) cmd += quote(a) + " ";
  cmd += "2>&1; echo \"@@EXIT:$?\"";
  std::string out = run_command(cmd);
  ProcRun r;
  auto p = out.rfind("@@EXIT:");
  if (p != std::string::npos) {
    r.exit_code = std::stoi(out.substr(p + 7));
    r.out = out.substr(0, p);
  }
  return r;
}

class LedgerApiTest : public ApiTest {
 public:
  std::vector<std::string> extra_server_args() const override { return {"--set", "ledger.interval_ms=50"}; }

 protected:
  std::unique_ptr<store::Database> open_db() {
    auto db = GetParam() == "postgres" ? store::open_postgres({pg_->url(), 2})
                                       : store::open_sqlite({data_ + "/certseal.db", 1});
    EXPECT_TRUE(db.ok());
    return db ? std::move(db).value() : nullptr;
  }
  std::string account_of(const std::string& token) { return call("GET", "/api/v1/account", token).json()["id"]; }
  // n entries of `owner` through the production append path.
  void append(store::Database& db, const std::string& owner, int n) {
    SystemClock clock;
    service::ledger::Recorder rec(clock);
    ASSERT_TRUE(db.write([&](store::Tx& tx) -> Status {
      for (int i = 0; i < n; ++i) {
        CS_TRY(rec.append(tx, service::ledger::LedgerEvent("shield.sign").by(owner).of(owner).on("key-test").with("n", i)));
      }
      return {};
    }).ok());
  }
  std::string checkpoint_now() {
    auto r = call("POST", "/api/v1/operator/ledger/checkpoints", operator_token_);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  crypto::Checkpoint parse(const std::string& note) {
    auto n = crypto::parse_note(note);
    EXPECT_TRUE(n.ok()) << note;
    return crypto::parse_checkpoint_text(n->text).value();
  }
  std::string file(const std::string& name, const std::string& text) {
    std::string p = dir_.path() + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  ProcRun audit() {
    std::vector<std::string> args = {CERTSEALD_BIN, "admin", "ledger", "audit"};
    args.insert(args.end(), db_args_.begin(), db_args_.end());
    return sh(args);
  }
  // The user's `certseal ledger verify` after logging in the client with the session token.
  ProcRun verify(const std::string& token, const std::string& state) {
    std::string d = dir_.path() + "/client";
    std::filesystem::create_directories(d);
    // The client keeps its session in its data folder; write it as `certseal login` would.
    auto who = call("GET", "/api/v1/account", token).json();
    std::ofstream(d + "/session.json") << nlohmann::json{{"server", server_->base_url()}, {"token", token},
                                                          {"phone", who["phone"]}}.dump();
    return sh({CERTSEAL_BIN, "--server", server_->base_url(), "--data-dir", d, "ledger", "verify", "--state", state});
  }
  std::string person(const std::string& phone) { return register_person(phone, "Passw0rd!x"); }
  std::string vkey() { return call("GET", "/api/v1/ledger/keys", "").json()["ed25519_verifier_key"]; }
};

TEST_P(LedgerApiTest, GoVerifierChecksTheLog) {
  std::string token = person("13900000101");
  auto db = open_db();
  ASSERT_TRUE(db);
  append(*db, account_of(token), 300);
  std::string first = checkpoint_now();
  auto c1 = parse(first);
  ASSERT_GE(c1.size, 301u);
  append(*db, account_of(token), 420);
  // The sequencer runs on its own (ledger.interval_ms = 50): wait for the checkpoint to grow.
  for (int i = 0; i < 100 && parse(http_->get("/ledger/checkpoint").body).size < c1.size + 420; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto c2 = parse(http_->get("/ledger/checkpoint").body);
  ASSERT_EQ(c2.size, c1.size + 420);
  // Tiles are immutable and cacheable; the checkpoint is not.
  auto t = http_->get("/ledger/tile/0/000");
  EXPECT_EQ(t.status, 200);
  EXPECT_EQ(t.body.size(), 8192u);

  std::string old_file = file("old-checkpoint", first);
  auto r = sh({LEDGER_VERIFY_BIN, server_->base_url(), vkey(), old_file, "0", "255", "256", std::to_string(c1.size - 1),
               std::to_string(c1.size), std::to_string(c2.size - 1)});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("Ed25519 signature ok"), std::string::npos) << r;
  EXPECT_NE(r.out.find("consistency " + std::to_string(c1.size) + " -> " + std::to_string(c2.size) + " ok"),
            std::string::npos)
      << r;
  EXPECT_NE(r.out.find("entry " + std::to_string(c2.size - 1) + " included"), std::string::npos) << r;

  // Another key under the log's name: the Go verifier refuses the checkpoint.
  std::string wrong = vkey();
  auto plus = wrong.find('+', wrong.find('+') + 1);  // name+id+base64 (base64 may hold '+')
  auto key = base64_decode(wrong.substr(plus + 1)).value();
  key[5] ^= 1;
  auto bad = sh({LEDGER_VERIFY_BIN, server_->base_url(), crypto::note_ed25519_verifier_key(
                                                             wrong.substr(0, wrong.find('+')), Bytes(key.begin() + 1, key.end())),
                 "-"});
  EXPECT_EQ(bad.exit_code, 1) << bad;
}

TEST_P(LedgerApiTest, EditedEntryIsNamedByAuditAndFailsTheUsersVerify) {
  std::string token = person("13900000102");
  auto db = open_db();
  ASSERT_TRUE(db);
  append(*db, account_of(token), 30);
  checkpoint_now();
  std::string state = dir_.path() + "/ledger-state.json";
  auto ok = verify(token, state);
  ASSERT_EQ(ok.exit_code, 0) << ok;
  auto a = audit();
  ASSERT_EQ(a.exit_code, 0) << a;

  // The operator changes one field of one of the user's entries.
  std::int64_t idx = -1;
  std::string data;
  ASSERT_TRUE(db->read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto row, tx.query_one("SELECT idx, data FROM ledger_entries WHERE owner = ? ORDER BY idx DESC LIMIT 1",
                                     {account_of(token)}));
    idx = row->integer("idx");
    data = row->text("data");
    return {};
  }).ok());
  data.replace(data.find("\"ok\""), 4, "\"no\"");
  ASSERT_TRUE(db->write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("UPDATE ledger_entries SET data = ? WHERE idx = ?", {to_bytes(data), idx}));
    return {};
  }).ok());

  auto bad = audit();
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_NE(bad.out.find("\"bad_entry\":" + std::to_string(idx)), std::string::npos) << bad;
  auto v = verify(token, state);
  EXPECT_NE(v.exit_code, 0) << v;
  EXPECT_NE(v.out.find("#" + std::to_string(idx) + " shield.sign"), std::string::npos) << v;
}

TEST_P(LedgerApiTest, DeletedEntryIsNamedByAudit) {
  std::string token = person("13900000103");
  auto db = open_db();
  ASSERT_TRUE(db);
  append(*db, account_of(token), 10);
  checkpoint_now();
  ASSERT_TRUE(db->write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("DELETE FROM ledger_entries WHERE idx = 4"));
    return {};
  }).ok());
  auto bad = audit();
  EXPECT_EQ(bad.exit_code, 1) << bad;
  EXPECT_NE(bad.out.find("\"bad_entry\":4"), std::string::npos) << bad;
  EXPECT_EQ(http_->get("/ledger/tile/entries/000.p/" + std::to_string(parse(checkpoint_now()).size)).status, 500);
}

// The operator rewrites history consistently and has the server re-sign it: the log audits clean,
// but the user holding the earlier checkpoint sees the consistency proof fail.
TEST_P(LedgerApiTest, RewrittenHistoryFailsForAClientHoldingAnOldCheckpoint) {
  std::string token = person("13900000104");
  auto db = open_db();
  ASSERT_TRUE(db);
  append(*db, account_of(token), 20);
  checkpoint_now();
  std::string state = dir_.path() + "/ledger-state.json";
  ASSERT_EQ(verify(token, state).exit_code, 0);

  ASSERT_TRUE(db->write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto rows, tx.query("SELECT data, owner FROM ledger_entries ORDER BY idx"));
    CS_TRY(tx.exec("DELETE FROM ledger_entries"));
    CS_TRY(tx.exec("DELETE FROM ledger_tiles"));
    CS_TRY(tx.exec("DELETE FROM ledger_checkpoints WHERE size > 0"));
    CS_TRY(tx.exec("UPDATE ledger_state SET size = 0"));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      std::string d = rows[i].text("data");
      if (i == 3) d.replace(d.find("\"ok\""), 4, "\"no\"");
      CS_TRY(tx.exec("INSERT INTO ledger_pending (data, owner, appended_at) VALUES (?, ?, 0)",
                     {to_bytes(d), rows[i].text("owner")}));
    }
    return {};
  }).ok());
  append(*db, account_of(token), 3);
  checkpoint_now();
  auto a = audit();
  EXPECT_EQ(a.exit_code, 0) << a;  // consistent with itself
  auto v = verify(token, state);
  EXPECT_NE(v.exit_code, 0) << v;
  EXPECT_NE(v.out.find("历史记录被改写"), std::string::npos) << v;
}

TEST_P(LedgerApiTest, KilledDuringABurstLosesNoAcknowledgedUse) {
  const std::string phone = "13900000105";
  std::string token = person(phone);
  const std::string account = account_of(token);
  auto before = parse(checkpoint_now());

  // A burst of logins (each one use, appended in its own transaction); kill -9 in the middle.
  std::atomic<int> acknowledged{0};
  std::atomic<bool> stop{false};
  std::thread burst([&] {
    while (!stop) {
      if (request_code(phone, "login").status != 202) break;
      std::string c = code_for(phone);
      if (c.empty()) break;
      auto r = login(phone, c, "Passw0rd!x");
      if (r.status != 201) break;
      ++acknowledged;
    }
  });
  while (acknowledged < 4) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(server_->pid(), SIGKILL);
  stop = true;
  burst.join();

  start_server();  // the old process is gone; its ServerProcess only reaps it
  ASSERT_FALSE(HasFatalFailure());

  auto after = parse(checkpoint_now());
  auto proof = call("GET", "/api/v1/ledger/proofs/consistency?old=" + std::to_string(before.size) +
                               "&new=" + std::to_string(after.size), "");
  ASSERT_EQ(proof.status, 200) << proof.body;
  std::vector<merkle::Hash> hashes;
  const nlohmann::json proof_json = proof.json();  // kept alive: the loop reads into it
  for (const auto& h : proof_json["hashes"]) hashes.push_back(merkle::hash_from_bytes(*base64_decode(h.get<std::string>())).value());
  EXPECT_TRUE(merkle::verify_consistency(before.size, after.size, before.root, after.root, hashes).ok())
      << before.size << " -> " << after.size << " " << proof.body;

  auto db = open_db();
  ASSERT_TRUE(db);
  std::int64_t logins = 0;
  ASSERT_TRUE(db->read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto rows, tx.query("SELECT data FROM ledger_entries WHERE owner = ?", {account}));
    for (auto& r : rows) logins += r.text("data").find("\"account.login\"") != std::string::npos;
    return {};
  }).ok());
  // The registration's login plus every acknowledged one of the burst (one more may have been
  // committed without its answer reaching us).
  EXPECT_GE(logins, 1 + acknowledged.load());
  EXPECT_LE(logins, 2 + acknowledged.load());
  EXPECT_EQ(audit().exit_code, 0);
}

CERTSEAL_INSTANTIATE_API_ENGINES(LedgerApiTest);

}  // namespace
}  // namespace certseal::testing
