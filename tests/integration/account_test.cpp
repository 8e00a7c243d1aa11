// SPEC §3 account flows over HTTP against a real certseald, on SQLite and PostgreSQL, including
// the refusals: every protected endpoint is tried by callers that must be turned away.
#include "support/api_fixture.h"

namespace certseal::testing {
namespace {

class AccountApiTest : public ApiTest {};

TEST_P(AccountApiTest, FirstLoginRegistersThenPasswordThenLoginsNeedBoth) {
  const std::string phone = "13900000101";
  ASSERT_EQ(request_code(phone, "login").status, 202);
  auto first = login(phone, code_for(phone));
  ASSERT_EQ(first.status, 201) << first.body;
  auto j = first.json();
  EXPECT_TRUE(j["created"]);
  EXPECT_TRUE(j["password_required"]);
  EXPECT_EQ(j["account"]["identities"][0]["kind"], "person");
  std::string token = j["token"];

  // Until a password is set the session can only read the account, set a password, log out.
  EXPECT_EQ(call("GET", "/api/v1/account", token).status, 200);
  auto blocked = call("GET", "/api/v1/identities", token);
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(blocked.json()["code"], "password_required");

  auto weak = call("PUT", "/api/v1/account/password", token, {{"password", "abcdefgh"}});
  EXPECT_EQ(weak.status, 400);
  EXPECT_EQ(weak.json()["code"], "weak_password");
  EXPECT_EQ(weak.json()["errors"][0]["field"], "password");
  ASSERT_EQ(call("PUT", "/api/v1/account/password", token, {{"password", "Str0ng!pw"}}).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/identities", token).status, 200);

  // Later logins: the SMS code alone is not enough.
  request_code(phone, "login");
  auto no_pw = login(phone, code_for(phone));
  EXPECT_EQ(no_pw.status, 401);
  EXPECT_EQ(no_pw.json()["code"], "wrong_credentials");
  request_code(phone, "login");
  auto both = login(phone, code_for(phone), "Str0ng!pw");
  ASSERT_EQ(both.status, 201) << both.body;
  EXPECT_FALSE(both.json()["created"]);
  EXPECT_FALSE(both.json()["password_required"]);

  // Logout ends that session.
  std::string t2 = both.json()["token"];
  EXPECT_EQ(call("DELETE", "/api/v1/sessions/current", t2).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/account", t2).status, 401);
}

TEST_P(AccountApiTest, ChangePasswordEndsOtherSessionsAndResetEndsAll) {
  const std::string phone = "13900000102";
  std::string a = register_person(phone, "Str0ng!pw");
  request_code(phone, "login");
  std::string b = login(phone, code_for(phone), "Str0ng!pw").json()["token"];
  auto wrong = call("PUT", "/api/v1/account/password", b,
                    {{"password", "N3w!passw"}, {"current_password", "nope"}});
  EXPECT_EQ(wrong.status, 403);
  ASSERT_EQ(call("PUT", "/api/v1/account/password", b,
                 {{"password", "N3w!passw"}, {"current_password", "Str0ng!pw"}}).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/account", a).status, 401);
  EXPECT_EQ(call("GET", "/api/v1/account", b).status, 200);

  ASSERT_EQ(request_code(phone, "reset_password").status, 202);
  auto reset = http_->post_json("/api/v1/password-resets",
                                {{"phone", phone}, {"code", code_for(phone)}, {"password", "Res3t!pw"}});
  ASSERT_EQ(reset.status, 204) << reset.body;
  EXPECT_EQ(call("GET", "/api/v1/account", b).status, 401);
  request_code(phone, "login");
  EXPECT_EQ(login(phone, code_for(phone), "N3w!passw").status, 401);
  request_code(phone, "login");
  EXPECT_EQ(login(phone, code_for(phone), "Res3t!pw").status, 201);
}

TEST_P(AccountApiTest, BadInputIsRefusedClearly) {
  auto bad_phone = request_code("12345", "login");
  EXPECT_EQ(bad_phone.status, 400);
  EXPECT_EQ(bad_phone.json()["code"], "invalid_phone");
  EXPECT_EQ(request_code("13900000103", "teleport").json()["code"], "invalid_purpose");
  EXPECT_EQ(request_code("13900000103", "deregister").json()["code"], "purpose_needs_login");
  auto broken = http_->request("POST", "/api/v1/sessions", "{\"phone\": \"139", {"Content-Type: application/json"});
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(broken.json()["code"], "malformed_json");
  auto not_object = http_->request("POST", "/api/v1/sessions", "[1,2]", {"Content-Type: application/json"});
  EXPECT_EQ(not_object.json()["code"], "body_not_object");
  auto wrong_type = http_->post_json("/api/v1/sessions", {{"phone", 13900000103}, {"code", "1"}});
  EXPECT_EQ(wrong_type.json()["errors"][0]["field"], "phone");
  auto form = http_->request("POST", "/api/v1/sessions", "phone=1", {"Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(form.status, 415);

  // Reused and wrong codes.
  const std::string phone = "13900000104";
  request_code(phone, "login");
  std::string code = code_for(phone);
  ASSERT_EQ(login(phone, code).status, 201);
  auto reused = login(phone, code);
  EXPECT_EQ(reused.status, 400);
  EXPECT_EQ(reused.json()["code"], "sms_code_used");
  // A 6th wrong code: five wrong tries kill the code, the sixth (even right) is refused.
  const std::string phone2 = "13900000105";
  request_code(phone2, "login");
  std::string good = code_for(phone2);
  std::string bad = good == "000000" ? "111111" : "000000";
  for (int i = 0; i < 5; ++i) EXPECT_EQ(login(phone2, bad).json()["code"], "sms_code_wrong");
  auto sixth = login(phone2, good);
  EXPECT_EQ(sixth.status, 400);
  EXPECT_EQ(sixth.json()["code"], "sms_code_locked");
}

TEST_P(AccountApiTest, DeregistrationCanBeWithdrawnThenClosesTheAccount) {
  const std::string phone = "13900000106";
  std::string token = register_person(phone, "Str0ng!pw");
  auto noc = call("POST", "/api/v1/account/deregistration", token, {{"code", "000000"}});
  EXPECT_EQ(noc.status, 400);
  ASSERT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "deregister"}}).status, 202);
  auto dr = call("POST", "/api/v1/account/deregistration", token, {{"code", code_for(phone)}});
  ASSERT_EQ(dr.status, 202) << dr.body;
  EXPECT_EQ(dr.json()["status"], "deregistering");
  EXPECT_FALSE(dr.json()["deregister_due_at"].is_null());
  ASSERT_EQ(call("DELETE", "/api/v1/account/deregistration", token).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/account", token).json()["status"], "active");
  EXPECT_EQ(call("DELETE", "/api/v1/account/deregistration", token).status, 409);

  call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "deregister"}});
  ASSERT_EQ(call("POST", "/api/v1/account/deregistration", token, {{"code", code_for(phone)}}).status, 202);
  run_jobs();  // cooling-off is 0 days in this test
  EXPECT_EQ(call("GET", "/api/v1/account", token).status, 401);
  request_code(phone, "login");
  auto closed = login(phone, code_for(phone), "Str0ng!pw");
  EXPECT_EQ(closed.status, 403);
  EXPECT_EQ(closed.json()["code"], "account_closed");
}

TEST_P(AccountApiTest, IdentitiesAndSwitching) {
  std::string a = register_person("13900000107", "Str0ng!pw");
  std::string b = register_person("13900000108", "Str0ng!pw");
  auto ids = call("GET", "/api/v1/identities", a).json();
  ASSERT_EQ(ids["items"].size(), 1u);
  std::string mine = ids["items"][0]["id"];
  std::string theirs = call("GET", "/api/v1/identities", b).json()["items"][0]["id"];
  EXPECT_EQ(call("PUT", "/api/v1/sessions/current/identity", a, {{"identity_id", mine}}).status, 200);
  auto refused = call("PUT", "/api/v1/sessions/current/identity", a, {{"identity_id", theirs}});
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(call("GET", "/api/v1/identities", b).json()["current_identity_id"], theirs);
}

// Every protected endpoint of the accounts area, tried by callers that must be refused.
TEST_P(AccountApiTest, AuthorisationMatrix) {
  std::string user = register_person("13900000109", "Str0ng!pw");
  // A password-pending session.
  request_code("13900000110", "login");
  std::string pending = login("13900000110", code_for("13900000110")).json()["token"];
  // A closed (deregistered) account's old session.
  const std::string closed_phone = "13900000111";
  std::string closed = register_person(closed_phone, "Str0ng!pw");
  call("POST", "/api/v1/account/sms-codes", closed, {{"purpose", "deregister"}});
  ASSERT_EQ(call("POST", "/api/v1/account/deregistration", closed, {{"code", code_for(closed_phone)}}).status, 202);
  run_jobs();

  struct Ep {
    const char* method;
    const char* path;
    nlohmann::json body;
    bool user_ok;  // a normal user may call it
  };
  const std::vector<Ep> eps = {
      {"DELETE", "/api/v1/sessions/current", nullptr, true},
      {"PUT", "/api/v1/sessions/current/identity", {{"identity_id", "x"}}, true},
      {"GET", "/api/v1/account", nullptr, true},
      {"PUT", "/api/v1/account/password", {{"password", "Oth3r!pw"}}, true},
      {"POST", "/api/v1/account/sms-codes", {{"purpose", "authorise"}}, true},
      {"POST", "/api/v1/account/deregistration", {{"code", "000000"}}, true},
      {"DELETE", "/api/v1/account/deregistration", nullptr, true},
      {"GET", "/api/v1/identities", nullptr, true},
      {"GET", "/api/v1/operator/sms-outbox", nullptr, false},
  };
  for (const auto& e : eps) {
    SCOPED_TRACE(std::string(e.method) + " " + e.path);
    EXPECT_EQ(call(e.method, e.path, "", e.body).status, 401);                // no session
    EXPECT_EQ(call(e.method, e.path, "cst_forged", e.body).status, 401);      // forged token
    EXPECT_EQ(call(e.method, e.path, closed, e.body).status, 401);            // deregistered
    if (!e.user_ok) {
      auto r = call(e.method, e.path, user, e.body);
      EXPECT_EQ(r.status, 403);                                               // not an operator
      EXPECT_EQ(r.json()["code"], "forbidden");
    }
  }
  // A password-pending session only reaches its own account, its password and logout.
  for (const auto& e : eps) {
    std::string p = e.path;
    if (p == "/api/v1/account" || p == "/api/v1/account/password" || p == "/api/v1/sessions/current" ||
        (p == "/api/v1/account/deregistration" && std::string(e.method) == "DELETE")) {
      continue;
    }
    SCOPED_TRACE(std::string("pending: ") + e.method + " " + p);
    EXPECT_EQ(call(e.method, e.path, pending, e.body).status, 403);
  }
  // The refused calls changed nothing: the user still logs in with the old password and is
  // still active; the closed account is still closed.
  EXPECT_EQ(call("GET", "/api/v1/account", user).json()["status"], "active");
  request_code("13900000109", "login");
  EXPECT_EQ(login("13900000109", code_for("13900000109"), "Str0ng!pw").status, 201);
}

CERTSEAL_INSTANTIATE_API_ENGINES(AccountApiTest);

}  // namespace
}  // namespace certseal::testing
