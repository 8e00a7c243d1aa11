#include "service/account/account_service.h"

#include <gtest/gtest.h>

#include <regex>

#include "service/notify/sms.h"
#include "support/engine_fixture.h"

namespace certseal::service {
namespace {

using namespace std::chrono_literals;

class AccountTest : public certseal::testing::EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sender_ = std::make_unique<OutboxSmsSender>(*db_, clock_, rng_);
    sms_ = std::make_unique<SmsCodeService>(*db_, clock_, rng_, *sender_, SmsPolicy{});
    AccountPolicy policy;
    policy.argon2 = crypto::argon2_test_limits();
    policy.max_failures_per_phone = 4;
    policy.max_failures_per_address = 6;
    notices_ = std::make_unique<SecurityNotices>(clock_, rng_, log_, *sender_);
    accounts_ = std::make_unique<AccountService>(*db_, clock_, rng_, log_, *sms_, *notices_, policy);
  }

  // The code in the newest outbox message to `phone`, read as `certseald admin sms-outbox` does.
  std::string last_code(const std::string& phone) {
    auto entries = list_sms_outbox(*db_, phone, "", 1, /*reveal_codes=*/true);
    EXPECT_TRUE(entries.ok());
    if (!entries.ok() || entries->empty()) return "";
    std::smatch m;
    std::string text = entries->front().text;
    EXPECT_TRUE(std::regex_search(text, m, std::regex("([0-9]{6})")));
    return m[1];
  }
  std::string send_code(const std::string& phone, SmsPurpose p = SmsPurpose::kLogin) {
    auto r = sms_->issue(phone, p);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code);
    clock_.advance(61s);  // past the resend interval, for the next code
    return last_code(phone);
  }
  // Registers phone with a password and returns a session of it.
  SessionInfo registered(const std::string& phone, const std::string& password) {
    auto login = accounts_->login(phone, send_code(phone), std::nullopt, "10.0.0.1");
    EXPECT_TRUE(login.ok());
    auto s = accounts_->authenticate(login->token);
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(accounts_->set_password(*s, password, std::nullopt).ok());
    return *accounts_->authenticate(login->token);
  }

  ManualClock clock_{SysTime(std::chrono::seconds(1'800'000'000))};
  SystemRng rng_;
  MemoryLogger log_;
  std::unique_ptr<OutboxSmsSender> sender_;
  std::unique_ptr<SmsCodeService> sms_;
  std::unique_ptr<SecurityNotices> notices_;
  std::unique_ptr<AccountService> accounts_;
};

// `serve --demo` calls ensure_account on every start: an existing account costs no password hash
// (it took 0.5 s per start, 6-7 s under load). Proved with limits libsodium refuses: hashing
// would fail, so success means no hash was computed; a new account does need one.
TEST_P(AccountTest, EnsureAccountDoesNotHashForAnExistingAccount) {
  ASSERT_TRUE(accounts_->ensure_account("13900000555", "Demo@User55", false, false).ok());
  AccountPolicy unhashable;
  unhashable.argon2.ops = 1;
  unhashable.argon2.mem_bytes = 1;  // below libsodium's minimum: password_hash fails
  AccountService no_hash(*db_, clock_, rng_, log_, *sms_, *notices_, unhashable);
  auto again = no_hash.ensure_account("13900000555", "Demo@User55", true, false);
  ASSERT_TRUE(again.ok()) << again.error().cause;
  EXPECT_TRUE(again->is_operator);
  auto fresh = no_hash.ensure_account("13900000556", "Demo@User56", false, false);
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.error().code, "password_hash_failed");
  auto overwrite = no_hash.ensure_account("13900000555", "Demo@User57", false, true);
  EXPECT_FALSE(overwrite.ok());
}

TEST_P(AccountTest, SmsCodeIsSixDigitsAndWorksOnce) {
  std::string code = send_code("13800000001");
  EXPECT_EQ(code.size(), 6u);
  EXPECT_TRUE(sms_->verify("13800000001", SmsPurpose::kLogin, code).ok());
  EXPECT_EQ(sms_->verify("13800000001", SmsPurpose::kLogin, code).error().code, "sms_code_used");
}

TEST_P(AccountTest, SmsCodeExpiresAfterFiveMinutes) {
  ASSERT_TRUE(sms_->issue("13800000002", SmsPurpose::kLogin).ok());
  std::string code = last_code("13800000002");
  clock_.advance(301s);
  EXPECT_EQ(sms_->verify("13800000002", SmsPurpose::kLogin, code).error().code, "sms_code_expired");
}

TEST_P(AccountTest, SmsCodeIsForItsPurposeOnly) {
  std::string code = send_code("13800000003", SmsPurpose::kResetPassword);
  EXPECT_EQ(sms_->verify("13800000003", SmsPurpose::kLogin, code).error().code, "sms_code_missing");
  EXPECT_TRUE(sms_->verify("13800000003", SmsPurpose::kResetPassword, code).ok());
}

TEST_P(AccountTest, OneCodePerPhonePerMinute) {
  ASSERT_TRUE(sms_->issue("13800000004", SmsPurpose::kLogin).ok());
  clock_.advance(59s);
  auto again = sms_->issue("13800000004", SmsPurpose::kResetPassword);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "sms_too_frequent");
  EXPECT_EQ(again.error().kind, ErrorKind::kResourceExhausted);
  EXPECT_TRUE(sms_->issue("13800000005", SmsPurpose::kLogin).ok());  // another phone is fine
  clock_.advance(2s);
  EXPECT_TRUE(sms_->issue("13800000004", SmsPurpose::kLogin).ok());
}

TEST_P(AccountTest, AtMostTenCodesPerPhonePerDay) {
  // 2027-01-15 00:00:30 China time: the whole test stays inside one China day.
  clock_.set(SysTime(std::chrono::seconds(1'800'000'000 - 1'800'000'000 % 86400 + 86400 - 8 * 3600 + 30)));
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(sms_->issue("13800000006", SmsPurpose::kLogin).ok()) << i;
    clock_.advance(61s);
  }
  EXPECT_EQ(sms_->issue("13800000006", SmsPurpose::kLogin).error().code, "sms_daily_limit");
  clock_.advance(24h);
  EXPECT_TRUE(sms_->issue("13800000006", SmsPurpose::kLogin).ok());
}

TEST_P(AccountTest, FiveWrongTriesKillTheCode) {
  std::string code = send_code("13800000007");
  std::string wrong = code == "000000" ? "111111" : "000000";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(sms_->verify("13800000007", SmsPurpose::kLogin, wrong).error().code, "sms_code_wrong");
  }
  // The 6th try fails even with the right code.
  EXPECT_EQ(sms_->verify("13800000007", SmsPurpose::kLogin, code).error().code, "sms_code_locked");
}

TEST_P(AccountTest, FirstLoginRegistersWithPasswordPending) {
  auto r = accounts_->login("13900000010", send_code("13900000010"), std::nullopt, "10.0.0.1");
  ASSERT_TRUE(r.ok()) << r.error().code;
  EXPECT_TRUE(r->created);
  EXPECT_TRUE(r->password_required);
  ASSERT_EQ(r->account.identities.size(), 1u);
  EXPECT_EQ(r->account.identities[0].kind, "person");
  auto s = accounts_->authenticate(r->token);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->password_set);
  EXPECT_EQ(accounts_->set_password(*s, "weakpass", std::nullopt).error().code, "weak_password");
  EXPECT_TRUE(accounts_->set_password(*s, "Str0ng!pass", std::nullopt).ok());
  EXPECT_TRUE(accounts_->authenticate(r->token)->password_set);
}

TEST_P(AccountTest, LaterLoginsNeedCodeAndPassword) {
  registered("13900000011", "Str0ng!pass");
  auto no_pw = accounts_->login("13900000011", send_code("13900000011"), std::nullopt, "10.0.0.2");
  EXPECT_EQ(no_pw.error().code, "wrong_credentials");
  auto bad_pw = accounts_->login("13900000011", send_code("13900000011"), "Wr0ng!pass", "10.0.0.2");
  EXPECT_EQ(bad_pw.error().kind, ErrorKind::kUnauthenticated);
  auto ok = accounts_->login("13900000011", send_code("13900000011"), "Str0ng!pass", "10.0.0.2");
  ASSERT_TRUE(ok.ok()) << ok.error().code;
  EXPECT_FALSE(ok->created);
  EXPECT_FALSE(ok->password_required);
}

TEST_P(AccountTest, ChangingThePasswordEndsTheOtherSessions) {
  SessionInfo first = registered("13900000012", "Str0ng!pass");
  auto second = accounts_->login("13900000012", send_code("13900000012"), "Str0ng!pass", "x");
  ASSERT_TRUE(second.ok());
  auto s2 = *accounts_->authenticate(second->token);
  EXPECT_EQ(accounts_->set_password(s2, "N3w!password", std::nullopt).error().code,
            "current_password_required");
  EXPECT_EQ(accounts_->set_password(s2, "N3w!password", "wrong").error().code, "wrong_password");
  ASSERT_TRUE(accounts_->set_password(s2, "N3w!password", "Str0ng!pass").ok());
  EXPECT_TRUE(accounts_->authenticate(second->token).ok());  // the session that changed it
  EXPECT_EQ(accounts_->authenticate(std::string("cst_") + "x").error().code, "invalid_session");
  // `first` was made from its own token: look it up again through a fresh login of the same
  // token is impossible, so check the stored session is revoked.
  auto revoked = db_->read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
    CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS n FROM sessions WHERE token_hash = ? AND "
                                   "revoked_at IS NOT NULL", {first.session_id}));
    return r->integer("n");
  });
  EXPECT_EQ(*revoked, 1);
}

TEST_P(AccountTest, ResetPasswordEndsAllSessions) {
  registered("13900000013", "Str0ng!pass");
  auto login = accounts_->login("13900000013", send_code("13900000013"), "Str0ng!pass", "x");
  ASSERT_TRUE(login.ok());
  std::string code = send_code("13900000013", SmsPurpose::kResetPassword);
  EXPECT_EQ(accounts_->reset_password("13900000013", code, "short", "x").error().code, "weak_password");
  ASSERT_TRUE(accounts_->reset_password("13900000013", code, "Res3t!pass", "x").ok());
  EXPECT_FALSE(accounts_->authenticate(login->token).ok());
  EXPECT_TRUE(accounts_->login("13900000013", send_code("13900000013"), "Res3t!pass", "x").ok());
}

TEST_P(AccountTest, FailedLoginsAreRateLimitedPerPhoneAndPerAddress) {
  registered("13900000014", "Str0ng!pass");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(accounts_->login("13900000014", "000000", "nope", "10.1.1.1").error().code,
              "wrong_credentials");
  }
  // The phone is now over its limit, even with the right password and code, from anywhere.
  auto limited = accounts_->login("13900000014", send_code("13900000014"), "Str0ng!pass", "10.9.9.9");
  EXPECT_EQ(limited.error().code, "too_many_login_failures");
  EXPECT_EQ(limited.error().kind, ErrorKind::kResourceExhausted);
  // One address failing on many phones is limited too.
  for (int i = 0; i < 6; ++i) {
    (void)accounts_->login("1390000002" + std::to_string(i), "000000", std::nullopt, "10.2.2.2");
  }
  EXPECT_EQ(accounts_->login("13900000029", "000000", std::nullopt, "10.2.2.2").error().code,
            "too_many_login_failures");
  // The window moves on.
  clock_.advance(901s);
  EXPECT_TRUE(accounts_->login("13900000014", send_code("13900000014"), "Str0ng!pass", "10.9.9.9").ok());
}

TEST_P(AccountTest, SessionsExpire) {
  auto login = accounts_->login("13900000015", send_code("13900000015"), std::nullopt, "x");
  ASSERT_TRUE(login.ok());
  clock_.advance(std::chrono::seconds(accounts_->policy().session_ttl_s + 1));
  EXPECT_EQ(accounts_->authenticate(login->token).error().code, "invalid_session");
}

TEST_P(AccountTest, DeregistrationCoolsOffCanBeWithdrawnThenCloses) {
  SessionInfo s = registered("13900000016", "Str0ng!pass");
  EXPECT_EQ(accounts_->request_deregistration(s, "123456").error().code, "sms_code_missing");
  ASSERT_TRUE(accounts_->request_deregistration(s, send_code("13900000016", SmsPurpose::kDeregister)).ok());
  EXPECT_EQ(accounts_->account(s)->status, "deregistering");
  ASSERT_TRUE(accounts_->withdraw_deregistration(s).ok());
  EXPECT_EQ(accounts_->account(s)->status, "active");
  ASSERT_TRUE(accounts_->request_deregistration(s, send_code("13900000016", SmsPurpose::kDeregister)).ok());
  clock_.advance(std::chrono::seconds(accounts_->policy().deregistration_cooling_s - 10));
  EXPECT_EQ(*accounts_->close_due_accounts(), 0);
  clock_.advance(20s);
  EXPECT_EQ(*accounts_->close_due_accounts(), 1);
  EXPECT_EQ(*accounts_->close_due_accounts(), 0);  // idempotent
  EXPECT_FALSE(accounts_->authenticate("cst_whatever").ok());
  auto again = accounts_->login("13900000016", send_code("13900000016"), "Str0ng!pass", "x");
  EXPECT_EQ(again.error().code, "account_closed");
}

TEST_P(AccountTest, IdentitySwitchOnlyToOwnIdentities) {
  SessionInfo a = registered("13900000017", "Str0ng!pass");
  SessionInfo b = registered("13900000018", "Str0ng!pass");
  auto b_identity = accounts_->account(b)->identities[0].id;
  EXPECT_EQ(accounts_->switch_identity(a, b_identity).error().code, "identity_not_found");
  EXPECT_TRUE(accounts_->switch_identity(a, accounts_->account(a)->identities[0].id).ok());
}

TEST_P(AccountTest, EnsureAccountIsIdempotentAndKeepsPasswordsUnlessAsked) {
  ASSERT_TRUE(accounts_->ensure_account("13800000099", "Op3rator!x", true, false).ok());
  ASSERT_TRUE(accounts_->ensure_account("13800000099", "Oth3r!pass", true, false).ok());
  EXPECT_TRUE(accounts_->login("13800000099", send_code("13800000099"), "Op3rator!x", "x").ok());
  ASSERT_TRUE(accounts_->ensure_account("13800000099", "Oth3r!pass", true, true).ok());
  auto r = accounts_->login("13800000099", send_code("13800000099"), "Oth3r!pass", "x");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->account.is_operator);
}

CERTSEAL_INSTANTIATE_ENGINES(AccountTest);

TEST(HttpSms, BodyTemplateIsJsonEscaped) {
  certseal::testing::TempDir dir;
  auto db = std::move(store::open_sqlite({dir.path() + "/s.db"})).value();
  SystemClock clock;
  SystemRng rng;
  HttpSmsSender s({"http://127.0.0.1:1/", "", "", R"({"to":"{phone}","c":"{param.code}","t":"{text}"})", 500},
                  *db, clock, rng);
  SmsMessage m{"13800000000", "sms_code_login", {{"code", "123456"}}, "say \"hi\"\n"};
  auto j = nlohmann::json::parse(s.render_body(m));
  EXPECT_EQ(j["to"], "13800000000");
  EXPECT_EQ(j["c"], "123456");
  EXPECT_EQ(j["t"], "say \"hi\"\n");
}

}  // namespace
}  // namespace certseal::service
