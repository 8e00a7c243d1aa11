// GrantService on both engines, in-process with a manual clock: the gate at the moment of use
// (window, uses, membership, scene purpose, one use per scene request), the deletion of the
// device's server share when a grant ends, concurrency of the check and count, the admin's
// checks on decisions, and the records' visibility. Each refusal is written from the side of the
// one who must be refused.
#include "service/grant/grant_service.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "service/ledger/recorder.h"
#include "support/engine_fixture.h"

namespace certseal::service {
namespace {

constexpr std::int64_t kStart = 1'800'000'000;

class GrantServiceTest : public testing::EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    grants_ = std::make_unique<GrantService>(*db_, clock_, rng_, log_);
    for (const char* a : {"admin", "emp", "emp2", "stranger"}) {
      exec("INSERT INTO accounts (id, phone, status, created_at) VALUES (?, ?, 'active', 'now')",
           {a, std::string("1390000") + std::to_string(std::string(a).size()) + "000"});
    }
    exec("INSERT INTO organisations (id, name, credit_code, status, creator_account_id, creator_is_legal_rep, "
         "created_at, updated_at) VALUES ('org', '示例公司', '91110108MA01A0001D', 'verified', 'admin', 1, 'now', 'now')");
    exec("INSERT INTO organisations (id, name, credit_code, status, creator_account_id, creator_is_legal_rep, "
         "created_at, updated_at) VALUES ('org2', '另一公司', '91310115MA1K3B0020', 'verified', 'stranger', 1, 'now', "
         "'now')");
    member("admin", "org", "admin");
    member("emp", "org", "employee");
    member("emp2", "org", "employee");
    member("stranger", "org2", "admin");
    exec("INSERT INTO trading_platforms (id, name, created_at) VALUES ('home', '本地交易平台', 'now')");
    exec("INSERT INTO trading_platforms (id, name, created_at) VALUES ('away', '异地交易平台', 'now')");
    exec("INSERT INTO rp_apps (id, name, platform_id, secret_enc, secret_version, callback_url, scenes, ip_allow, "
         "status, created_by, created_at, updated_at) VALUES ('app', 'a', 'home', ?, 1, 'x', '[]', '[]', 'active', "
         "'op', 'now', 'now')",
         {Bytes{1}});
    exec("INSERT INTO rp_apps (id, name, platform_id, secret_enc, secret_version, callback_url, scenes, ip_allow, "
         "status, created_by, created_at, updated_at) VALUES ('app2', 'b', 'away', ?, 1, 'x', '[]', '[]', 'active', "
         "'op', 'now', 'now')",
         {Bytes{1}});
    exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, recovery_key_enc, created_at, "
         "updated_at) VALUES ('key', 'admin', 'sm2', ?, 'active', ?, 'now', 'now')",
         {Bytes{4}, Bytes{5}});
    exec("INSERT INTO pki_ca (id, name, algorithm, backend, root_key_id, root_cert, issuing_key_id, issuing_cert, "
         "ocsp_key_id, tsa_key_id, crl_number, crl_this_update, crl_next_update, sm2_id, created_at) "
         "VALUES ('sm2', 'test', 'sm2', 'local', 'k', ?, 'k', ?, 'k', 'k', 1, 0, 0, '1234567812345678', 'now')",
         {Bytes{3}, Bytes{3}});
    exec("INSERT INTO pki_certificate (id, ca_id, serial, profile, subject, subject_json, spki, der, status, "
         "not_before, not_after, created_at) VALUES ('cert', 'sm2', 's', 'organisation', 'CN=示例公司', '{}', ?, ?, "
         "'valid', ?, ?, 'now')",
         {Bytes{1}, Bytes{2}, kStart - 86400, kStart + 365 * 86400});
    exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, org_id, "
         "platform_id, current, created_at) VALUES ('cert', 'admin', 'key', 'o', 'r', 'org', 'home', 1, 'now')");
  }

  void exec(const std::string& sql, std::vector<store::Value> params = {}) {
    auto r = db_->write([&](store::Tx& tx) -> Status {
      CS_TRY(tx.exec(sql, params));
      return {};
    });
    ASSERT_TRUE(r.ok()) << r.error().cause << " " << sql;
  }
  std::int64_t count(const std::string& sql, std::vector<store::Value> params = {}) {
    auto v = db_->read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      CS_ASSIGN(auto r, tx.query_one(sql, params));
      return r ? r->at(0).as_int() : -1;
    });
    return v.ok() ? *v : -2;
  }
  void member(const std::string& acc, const std::string& org, const std::string& role) {
    exec("INSERT INTO identities (id, account_id, kind, org_id, created_at) VALUES (?, ?, ?, ?, 'now')",
         {"id-" + acc, acc, role, org});
    exec("INSERT INTO memberships (id, org_id, account_id, role, identity_id, status, created_at) "
         "VALUES (?, ?, ?, ?, ?, 'active', 'now')",
         {"m-" + acc, org, acc, role, "id-" + acc});
  }
  // An approved grant for emp on `home`, with a device of emp bound to it.
  std::string approved(std::optional<std::int64_t> uses, std::int64_t from_offset = 0, std::int64_t length = 3600) {
    GrantRequest in;
    in.certificate_id = "cert";
    in.platform_id = "home";
    in.statement = "投标";
    auto g = grants_->request("emp", "org", in);
    EXPECT_TRUE(g.ok()) << g.error().code;
    if (!g.ok()) return "";
    const std::int64_t now = clock_.now_unix();
    auto a = grants_->approve("admin", "org", g->id, {now + from_offset, now + from_offset + length, uses});
    EXPECT_TRUE(a.ok()) << a.error().code;
    exec("INSERT INTO shield_devices (key_id, device_id, name, status, server_share_enc, auth_key_enc, request_hash, "
         "created_at, grant_id, account_id) VALUES ('key', ?, 'phone', 'active', ?, ?, 'x', 'now', ?, 'emp')",
         {"dev-" + g->id, Bytes{7}, Bytes{8}, g->id});
    return g->id;
  }
  // A scene request of `app` claimed by `acc`.
  std::string scene(const std::string& acc, const std::string& app = "app", const std::string& code = "20") {
    std::string id = "scene-" + std::to_string(++scenes_);
    exec("INSERT INTO scene_requests (id, app_id, platform_id, scene, token_hash, status, title, options, rp_nonce, "
         "claimed_by, expires_at, created_at) VALUES (?, ?, ?, ?, ?, 'claimed', 't', '{}', 'n', ?, ?, 'now')",
         {id, app, app == "app" ? "home" : "away", code, id, acc, clock_.now_unix() + 300});
    return id;
  }
  Status use(const std::string& grant, const std::string& purpose, const std::string& account = "emp") {
    return db_->write([&](store::Tx& tx) -> Status {
      Status s = grants_->use(tx, {grant, account, "key", "dev-" + grant, "sign", purpose, Bytes(32, 1)});
      if (!s && s.error().kind != ErrorKind::kInternal) {
        last_ = s.error().code;
        return {};  // refusals commit, as in the shield's step
      }
      last_.clear();
      return s;
    });
  }
  bool share_deleted(const std::string& grant) {
    return count("SELECT COUNT(*) FROM shield_devices WHERE grant_id = ? AND status = 'removed' AND "
                 "server_share_enc IS NULL",
                 {grant}) == 1;
  }

  ManualClock clock_{SysTime(std::chrono::seconds(kStart))};
  SystemRng rng_;
  MemoryLogger log_;
  std::unique_ptr<GrantService> grants_;
  std::string last_;
  int scenes_ = 0;
};

TEST_P(GrantServiceTest, UsesAreCountedAndTheLastOneDeletesTheShare) {
  const std::string g = approved(2);
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "");
  EXPECT_FALSE(share_deleted(g));
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "");
  EXPECT_TRUE(share_deleted(g));  // with the last use, not at the next try
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "grant_used_up");
  EXPECT_EQ(count("SELECT uses_made FROM grants WHERE id = ?", {g}), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM grant_uses WHERE grant_id = ? AND result = 'counted'", {g}), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM grant_uses WHERE grant_id = ? AND result = 'grant_used_up'", {g}), 1);
}

TEST_P(GrantServiceTest, AUseNamesAnOpenSceneOfTheEmployeeOnTheGrantsPlatformOnce) {
  const std::string g = approved(std::nullopt);
  ASSERT_TRUE(use(g, "cli").ok());
  EXPECT_EQ(last_, "grant_use_needs_scene");
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp2")).ok());  // someone else's claim
  EXPECT_EQ(last_, "grant_scene_invalid");
  ASSERT_TRUE(use(g, "scene 06 " + scene("emp")).ok());  // the code does not match the request
  EXPECT_EQ(last_, "grant_scene_invalid");
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp", "app2")).ok());  // another platform
  EXPECT_EQ(last_, "grant_platform_mismatch");
  const std::string once = scene("emp");
  ASSERT_TRUE(use(g, "scene 20 " + once).ok());
  EXPECT_EQ(last_, "");
  ASSERT_TRUE(use(g, "scene 20 " + once).ok());
  EXPECT_EQ(last_, "grant_scene_used");
  // Another account cannot use the employee's grant device.
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp2"), "emp2").ok());
  EXPECT_EQ(last_, "grant_not_live");
  EXPECT_EQ(count("SELECT uses_made FROM grants WHERE id = ?", {g}), 1);
  EXPECT_FALSE(share_deleted(g));  // none of these ends the grant
}

TEST_P(GrantServiceTest, WindowMembershipAndTakeBackAreCheckedAtTheUse) {
  const std::string later = approved(std::nullopt, 3600);
  ASSERT_TRUE(use(later, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "grant_not_started");
  EXPECT_FALSE(share_deleted(later));  // not started is not ended
  clock_.advance(std::chrono::seconds(3600));
  // A grant approved now for an hour, then the clock passes its end: refused and its share gone.
  ASSERT_TRUE(grants_->revoke("admin", "org", later, "").ok());
  const std::string g = approved(std::nullopt);
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "");
  clock_.advance(std::chrono::seconds(3601));
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "grant_expired");
  EXPECT_TRUE(share_deleted(g));

  // Membership ended: refused at the use even before any sweep.
  const std::string m = approved(std::nullopt);
  exec("UPDATE memberships SET status = 'ended' WHERE account_id = 'emp'");
  ASSERT_TRUE(use(m, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "not_an_active_member");
  EXPECT_TRUE(share_deleted(m));
}

TEST_P(GrantServiceTest, TakeBackDeletesTheShareInItsTransactionAndTheSweepEndsExpiredOnes) {
  const std::string g = approved(std::nullopt);
  // Only an admin of the organisation takes it back.
  EXPECT_EQ(grants_->revoke("emp", "org", g, "").error().code, "not_org_admin");
  EXPECT_EQ(grants_->revoke("stranger", "org", g, "").error().code, "not_org_admin");
  EXPECT_FALSE(share_deleted(g));
  ASSERT_TRUE(grants_->revoke("admin", "org", g, "项目结束").ok());
  EXPECT_TRUE(share_deleted(g));
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "grant_revoked");

  const std::string h = approved(std::nullopt, 0, 60);
  clock_.advance(std::chrono::seconds(61));
  EXPECT_FALSE(share_deleted(h));
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return grants_->drop_dead_shares(tx, ""); }).ok());
  EXPECT_TRUE(share_deleted(h));
}

// The transparency log (docs/LEDGER.md): a grant's request, approval, counted use, refused use and
// take-back are one entry each, in their transaction; an employee's attempt to take it back is
// refused with no entry, and a use whose transaction rolls back leaves none.
TEST_P(GrantServiceTest, GrantEventsAreLoggedAndARolledBackUseLeavesNoEntry) {
  ledger::Recorder recorder(clock_);
  grants_->set_ledger(&recorder);
  auto entries = [&] {
    std::vector<nlohmann::json> out;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto rows, tx.query("SELECT data FROM ledger_pending ORDER BY id"));
      for (auto& r : rows) out.push_back(nlohmann::json::parse(r.text("data")));
      return {};
    }).ok());
    return out;
  };
  const std::string g = approved(1);
  // Rolled back: the use is checked and counted, then its transaction fails.
  const std::string sc = scene("emp");
  Status rolled = db_->write([&](store::Tx& tx) -> Status {
    CS_TRY(grants_->use(tx, {g, "emp", "key", "dev-" + g, "sign", "scene 20 " + sc, Bytes(32, 1)}));
    return internal_error("the step failed after the use was counted");
  });
  EXPECT_FALSE(rolled.ok());
  EXPECT_EQ(entries().size(), 2u);
  EXPECT_EQ(count("SELECT uses_made FROM grants WHERE id = ?", {g}), 0);
  ASSERT_TRUE(use(g, "scene 20 " + sc).ok());
  EXPECT_EQ(last_, "");
  ASSERT_TRUE(use(g, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(last_, "grant_used_up");
  EXPECT_EQ(grants_->revoke("emp", "org", g, "").error().code, "not_org_admin");
  ASSERT_TRUE(grants_->revoke("admin", "org", g, "项目结束").ok());
  auto e = entries();
  std::vector<std::string> types;
  for (const auto& x : e) types.push_back(x["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"grant.request", "grant.approve", "grant.use", "grant.use",
                                             "grant.revoke"}));
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[1]["actor"], "admin");
  EXPECT_EQ(e[1]["account"], "emp");
  EXPECT_EQ(e[1]["subject"], g);
  EXPECT_EQ(e[2]["actor"], "emp");
  EXPECT_EQ(e[2]["certificate"], "cert");
  EXPECT_EQ(e[2]["scene"], sc);
  EXPECT_EQ(e[3]["result"], "grant_used_up");
  EXPECT_EQ(e[4]["actor"], "admin");
}

TEST_P(GrantServiceTest, ConcurrentUsesOfAOneUseGrantCountOnce) {
  const std::string g = approved(1);
  std::vector<std::string> ids;
  for (int i = 0; i < 16; ++i) ids.push_back(scene("emp"));
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (const auto& id : ids) {
    threads.emplace_back([&, id] {
      std::string code;
      Status s = db_->write([&](store::Tx& tx) -> Status {
        Status r = grants_->use(tx, {g, "emp", "key", "dev-" + g, "sign", "scene 20 " + id, Bytes(32, 1)});
        if (!r && r.error().kind != ErrorKind::kInternal) {
          code = r.error().code;
          return {};
        }
        return r;
      });
      if (s.ok() && code.empty()) ++ok;
      if (s.ok() && !code.empty()) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 15);
  EXPECT_EQ(count("SELECT uses_made FROM grants WHERE id = ?", {g}), 1);
  EXPECT_EQ(count("SELECT uses_left FROM grants WHERE id = ?", {g}), 0);
}

TEST_P(GrantServiceTest, RequestsDecisionsAndRecordsFromTheRefusedSide) {
  GrantRequest in;
  in.certificate_id = "cert";
  in.platform_id = "away";
  in.statement = "异地";
  EXPECT_EQ(grants_->request("emp", "org", in).error().code, "certificate_not_enabled_for_platform");
  in.platform_id = "home";
  EXPECT_EQ(grants_->request("stranger", "org", in).error().code, "not_an_active_member");
  EXPECT_EQ(grants_->request("admin", "org", in).error().code, "grant_not_needed");
  auto g = grants_->request("emp", "org", in);
  ASSERT_TRUE(g.ok()) << g.error().code;
  EXPECT_EQ(grants_->request("emp", "org", in).error().code, "grant_pending");
  const std::int64_t now = clock_.now_unix();
  EXPECT_EQ(grants_->approve("emp", "org", g->id, {now, now + 60, 1}).error().code, "not_org_admin");
  EXPECT_EQ(grants_->approve("stranger", "org2", g->id, {now, now + 60, 1}).error().code, "grant_not_found");
  EXPECT_EQ(grants_->approve("admin", "org", g->id, {now, now - 1, 1}).error().code, "invalid_field");
  EXPECT_EQ(grants_->approve("admin", "org", g->id, {now, now + 60, 0}).error().code, "invalid_field");
  EXPECT_EQ(grants_->refuse("admin", "org", g->id, "").error().code, "reason_required");
  ASSERT_TRUE(grants_->refuse("admin", "org", g->id, "不需要").ok());
  EXPECT_EQ(grants_->approve("admin", "org", g->id, {now, now + 60, 1}).error().code, "grant_closed");
  EXPECT_EQ(count("SELECT COUNT(*) FROM tasks WHERE kind = 'certificate_grant' AND status = 'refused'"), 1);

  // Records: the admin sees all, a member only their own, another organisation nothing.
  const std::string used = approved(std::nullopt);
  ASSERT_TRUE(use(used, "scene 20 " + scene("emp")).ok());
  EXPECT_EQ(grants_->uses("admin", "org", {}).value().size(), 1u);
  EXPECT_EQ(grants_->uses("emp", "org", {}).value().size(), 1u);
  EXPECT_EQ(grants_->uses("emp2", "org", {}).value().size(), 0u);
  RecordFilter someone_else;
  someone_else.member_account_id = "emp";
  EXPECT_EQ(grants_->uses("emp2", "org", someone_else).value().size(), 0u);
  EXPECT_EQ(grants_->list("emp2", "org", {}).value().size(), 0u);
  EXPECT_EQ(grants_->list("admin", "org", {}).value().size(), 2u);
  EXPECT_EQ(grants_->uses("stranger", "org", {}).error().code, "not_an_active_member");
  EXPECT_EQ(grants_->list("stranger", "org", {}).error().code, "not_an_active_member");
  EXPECT_EQ(grants_->get("emp2", "org", used).error().code, "grant_not_found");
  RecordFilter future;
  future.from = clock_.now_unix() + 10;
  EXPECT_EQ(grants_->uses("admin", "org", future).value().size(), 0u);
}

// Scene 13's view of seal grants (granted_seals): offered only to the grant's employee, live while
// approved, inside the window and with uses left; not live once spent (through use_seal), taken
// back or ended; nothing counted by listing.
TEST_P(GrantServiceTest, GrantedSealsAreLiveOnlyWithinTheGrant) {
  exec("INSERT INTO seal_makers (id, name, created_at) VALUES ('maker', '制章', 'now')");
  exec("INSERT INTO seals (id, account_id, certificate_id, maker_id, kind, method, name, design, status, picture_png, "
       "picture_svg, width_mm, height_mm, created_at, updated_at) VALUES ('seal', 'admin', 'cert', 'maker', "
       "'official', 'template', '示例公司', '{}', 'active', ?, '', 40, 40, 'now', 'now')",
       {Bytes{9}});
  auto seals_of = [&](const std::string& acc) {
    return db_->read_value<std::vector<GrantedSeal>>([&](store::Tx& tx) { return grants_->granted_seals(tx, acc); })
        .value();
  };
  EXPECT_TRUE(seals_of("emp").empty());
  const std::int64_t now = clock_.now_unix();
  GrantRequest in;
  in.kind = "seal";
  in.seal_id = "seal";
  in.statement = "投标函盖章";
  in.asked_from = now;
  in.asked_until = now + 7200;
  auto g = grants_->request("emp", "org", in);
  ASSERT_TRUE(g.ok()) << g.error().code;
  EXPECT_TRUE(seals_of("emp").empty());  // asked for, not approved
  ASSERT_TRUE(grants_->approve("admin", "org", g->id, {now, now + 3600, 1}).ok());
  auto live = seals_of("emp");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].seal_id, "seal");
  EXPECT_EQ(live[0].holder_account_id, "admin");
  EXPECT_TRUE(live[0].live);
  EXPECT_TRUE(seals_of("emp2").empty());  // someone else's grant
  EXPECT_EQ(count("SELECT uses_made FROM grants WHERE id = ?", {g->id}), 0);  // listing counts nothing
  // The one use (scene 13 counts through use_seal): no longer live.
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return grants_->use_seal(tx, "emp", "seal", "scene 13 x"); }).ok());
  EXPECT_FALSE(seals_of("emp")[0].live);
  // A second grant, live, then taken back.
  auto g2 = grants_->request("emp", "org", in);
  ASSERT_TRUE(g2.ok()) << g2.error().code;
  ASSERT_TRUE(grants_->approve("admin", "org", g2->id, {now, now + 3600, std::nullopt}).ok());
  EXPECT_TRUE(seals_of("emp")[0].live);
  ASSERT_TRUE(grants_->revoke("admin", "org", g2->id, "").ok());
  ASSERT_EQ(seals_of("emp").size(), 1u);
  EXPECT_FALSE(seals_of("emp")[0].live);
  // A third, whose window ends.
  auto g3 = grants_->request("emp", "org", in);
  ASSERT_TRUE(g3.ok()) << g3.error().code;
  ASSERT_TRUE(grants_->approve("admin", "org", g3->id, {now, now + 600, std::nullopt}).ok());
  EXPECT_TRUE(seals_of("emp")[0].live);
  clock_.advance(std::chrono::seconds(601));
  EXPECT_FALSE(seals_of("emp")[0].live);
}

// The seals a member may ask to use: the organisation's active seals with a current, valid
// certificate; a stranger (another organisation's admin) is refused, a deleted seal is not shown.
TEST_P(GrantServiceTest, GrantableSealsAreShownToMembersOnly) {
  exec("INSERT INTO seal_makers (id, name, created_at) VALUES ('maker', '制章', 'now')");
  for (const char* id : {"seal", "gone"}) {
    exec("INSERT INTO seals (id, account_id, certificate_id, maker_id, kind, method, name, design, status, "
         "picture_png, picture_svg, width_mm, height_mm, created_at, updated_at) VALUES (?, 'admin', 'cert', 'maker', "
         "'official', 'template', '示例公司', '{}', ?, ?, '', 40, 40, 'now', 'now')",
         {std::string(id), std::string(id) == "seal" ? "active" : "deleted", Bytes{9}});
  }
  auto list = grants_->grantable_seals("emp", "org");
  ASSERT_TRUE(list.ok()) << list.error().code;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].seal_id, "seal");
  EXPECT_EQ((*list)[0].certificate_id, "cert");
  EXPECT_EQ(grants_->grantable_seals("stranger", "org").error().code, "not_an_active_member");
  // The certificate revoked: nothing left to ask for.
  exec("UPDATE pki_certificate SET status = 'revoked' WHERE id = 'cert'");
  EXPECT_TRUE(grants_->grantable_seals("emp", "org").value().empty());
}

CERTSEAL_INSTANTIATE_ENGINES(GrantServiceTest);

}  // namespace
}  // namespace certseal::service
