// A real certseald (SQLite or PostgreSQL, by test parameter) with an operator logged in, and
// helpers to drive the API as people do: request SMS codes, read them from the outbox as the
// operator, log in, register.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "support/http_client.h"
#include "support/pg_fixture.h"
#include "support/server_process.h"
#include "support/test_env.h"

namespace certseal::testing {

inline constexpr const char* kOperatorPhone = "13800000000";
inline constexpr const char* kOperatorPassword = "Op3rator!pw";

// A 1x1 transparent PNG: stands in for ID photos and licences where nothing reads the picture.
inline const std::string kPng = to_string(*hex_decode(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cf"
    "c0f01f00050001ff89993d1d0000000049454e44ae426082"));

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ApiTest : public ::testing::TestWithParam<std::string> {
 public:
  // Settings a test suite adds to the server's (after the fast defaults below).
  virtual std::vector<std::string> extra_server_args() const { return {}; }

 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    db_args_ = {"--data-dir", data_, "--db-engine", GetParam()};
    if (GetParam() == "postgres") {
      pg_ = std::make_unique<FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      db_args_.push_back("--db-url");
      db_args_.push_back(pg_->url());
    }
    // Fast password hashing and no resend wait, so the flows run quickly; the limits themselves
    // are tested with their real values in unit_tests (AccountTest.*).
    fast_ = {"--set", "security.argon2_ops=1", "--set", "security.argon2_mem_kib=8",
             "--set", "sms.resend_s=0", "--set", "sms.address_hourly_limit=10000",
             "--set", "org.bank_transfer_cooldown_s=0",
             "--set", "account.deregistration_cooling_days=0"};
    auto args = db_args_;
    args.insert(args.begin(), {"admin", "create-operator", "--phone", kOperatorPhone, "--password",
                               kOperatorPassword});
    args.insert(args.end(), fast_.begin(), fast_.end());
    ASSERT_EQ(run_certseald(args, dir_.path() + "/admin.log"), 0) << slurp(dir_.path() + "/admin.log");

    start_server();
    if (HasFatalFailure()) return;

    // The operator logs in with a code read by the admin command on the server machine.
    request_code(kOperatorPhone, "login");
    auto out_args = db_args_;
    out_args.insert(out_args.begin(), {"admin", "sms-outbox", "--phone", kOperatorPhone, "--limit", "1"});
    std::string log = dir_.path() + "/outbox.log";
    ASSERT_EQ(run_certseald(out_args, log), 0);
    std::smatch m;
    std::string text = slurp(log);
    ASSERT_TRUE(std::regex_search(text, m, std::regex("验证码([0-9]{6})"))) << text;
    auto r = login(kOperatorPhone, m[1], kOperatorPassword);
    ASSERT_EQ(r.status, 201) << r.body;
    operator_token_ = r.json()["token"];
  }

  // The options of this test's server: its engine and data, the fast settings and the suite's own.
  ServerOptions server_options() {
    ServerOptions o;
    o.engine = GetParam();
    o.data_dir = data_;
    if (pg_) o.pg_url = pg_->url();
    o.extra_args = fast_;
    for (auto& a : extra_server_args()) o.extra_args.push_back(a);
    return o;
  }
  // (Re)starts the server on the same data; a previous process is only reaped (stop it first).
  void start_server() {
    server_ = std::make_unique<ServerProcess>(server_options());
    ASSERT_TRUE(server_->started()) << server_->log_text();
    http_ = std::make_unique<HttpClient>(server_->base_url());
  }

  std::vector<std::string> auth(const std::string& token) { return {"Authorization: Bearer " + token}; }

  HttpResponse request_code(const std::string& phone, const std::string& purpose) {
    return http_->post_json("/api/v1/sms-codes", {{"phone", phone}, {"purpose", purpose}});
  }
  // The newest code sent to `phone`, read on the server machine with `certseald admin sms-outbox`
  // (operators over HTTP see codes masked: security review M5).
  std::string code_for(const std::string& phone) {
    auto args = db_args_;
    args.insert(args.begin(), {"admin", "sms-outbox", "--phone", phone, "--limit", "1"});
    std::string log = dir_.path() + "/code.log";
    std::remove(log.c_str());
    EXPECT_EQ(run_certseald(args, log), 0) << slurp(log);
    std::smatch m;
    std::string text = slurp(log);
    return std::regex_search(text, m, std::regex("验证码([0-9]{6})")) ? std::string(m[1]) : "";
  }
  HttpResponse login(const std::string& phone, const std::string& code,
                     const std::optional<std::string>& password = std::nullopt) {
    nlohmann::json body = {{"phone", phone}, {"code", code}};
    if (password) body["password"] = *password;
    return http_->post_json("/api/v1/sessions", body);
  }
  // Registers a new person with a password; returns the session token.
  std::string register_person(const std::string& phone, const std::string& password) {
    EXPECT_EQ(request_code(phone, "login").status, 202);
    auto r = login(phone, code_for(phone));
    EXPECT_EQ(r.status, 201) << r.body;
    std::string token = r.json()["token"];
    auto pw = http_->request("PUT", "/api/v1/account/password", nlohmann::json{{"password", password}}.dump(),
                             {"Content-Type: application/json", "Authorization: Bearer " + token});
    EXPECT_EQ(pw.status, 204) << pw.body;
    return token;
  }
  HttpResponse call(const std::string& method, const std::string& path, const std::string& token,
                    const nlohmann::json& body = nullptr) {
    std::vector<std::string> h;
    if (!token.empty()) h.push_back("Authorization: Bearer " + token);
    if (!body.is_null()) h.push_back("Content-Type: application/json");
    return http_->request(method, path, body.is_null() ? std::string() : body.dump(), h);
  }
  // Switches the session to the account's identity in org_id (docs/ACCOUNTS.md, "Identities"):
  // of that kind when given, else the admin one (then the legal representative's, then any).
  // org_id "" switches back to the natural person. Returns the identity id ("" when none).
  std::string act_as(const std::string& token, const std::string& org_id, const std::string& kind = "") {
    auto ids = call("GET", "/api/v1/identities", token).json()["items"];
    std::string chosen;
    int best = 99;
    for (const auto& i : ids) {
      const std::string org = i["org_id"].is_null() ? "" : std::string(i["org_id"]);
      if (org != org_id) continue;
      const std::string k = i["kind"];
      int rank = !kind.empty() ? (k == kind ? 0 : 99) : k == "admin" ? 0 : k == "legal_representative" ? 1 : 2;
      if (rank < best) {
        best = rank;
        chosen = i["id"];
      }
    }
    if (chosen.empty()) return "";
    auto r = call("PUT", "/api/v1/sessions/current/identity", token, {{"identity_id", chosen}});
    EXPECT_EQ(r.status, 200) << r.body;
    return chosen;
  }
  // POST /api/v1/blobs as it is answered (tests of the upload checks read the status).
  HttpResponse upload_blob(const std::string& token, const std::string& purpose, const std::string& bytes,
                           const std::string& type = "image/png") {
    return http_->request("POST", "/api/v1/blobs?purpose=" + purpose, bytes,
                          {"Authorization: Bearer " + token, "Content-Type: " + type});
  }
  // The same, expecting 201; returns the blob id.
  std::string upload(const std::string& token, const std::string& purpose, const std::string& bytes = kPng,
                     const std::string& type = "image/png") {
    auto r = upload_blob(token, purpose, bytes, type);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.json().value("id", "") : "";
  }
  // Real-name verification of a registered person (the development verifier approves at once).
  void verify_person(const std::string& token, const std::string& phone, const std::string& name,
                     const std::string& id_number) {
    std::string front = upload(token, "id_card_front"), back = upload(token, "id_card_back");
    call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "verify_person"}});
    auto r = call("POST", "/api/v1/person-verifications", token,
                  {{"agreement_version", 1}, {"name", name}, {"id_number", id_number}, {"code", code_for(phone)},
                   {"id_card_front", front}, {"id_card_back", back}});
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json().value("status", ""), "verified") << r.body;
  }
  // A registered, real-name verified person; returns the session token.
  std::string verified_person(const std::string& phone, const std::string& name, const std::string& id_number) {
    std::string t = register_person(phone, "Str0ng!pw");
    verify_person(t, phone, name, id_number);
    return t;
  }
  // Confirms the organisation's bank account with the amount the operator sees.
  void confirm_bank(const std::string& token, const std::string& org) {
    ASSERT_EQ(call("POST", "/api/v1/organisations/" + org + "/bank-transfers", token).status, 202);
    auto t = call("GET", "/api/v1/operator/organisations/" + org + "/bank-transfers", operator_token_);
    ASSERT_EQ(t.status, 200);
    int amount = t.json()["items"][0]["amount_fen"];
    ASSERT_EQ(call("POST", "/api/v1/organisations/" + org + "/bank-verification", token, {{"amount_fen", amount}}).status,
              200);
  }
  // A verified organisation (a PNG stands in for the licence: no OCR needed). When the creator is
  // not the legal representative, the generated letter is uploaded back as "signed". The creator's
  // session acts as the organisation's admin from then on.
  std::string verified_org(const std::string& token, const std::string& name, const std::string& code,
                           bool creator_is_legal_rep = true) {
    auto c = call("POST", "/api/v1/organisations", token,
                  {{"name", name}, {"credit_code", code}, {"creator_is_legal_rep", creator_is_legal_rep},
                   {"agreement_version", 1}});
    EXPECT_EQ(c.status, 201) << c.body;
    if (c.status != 201) return "";
    std::string org = c.json()["id"];
    if (!creator_is_legal_rep) {
      auto letter = call("GET", "/api/v1/organisations/" + org + "/authorisation-letter", token);
      std::string blob = upload(token, "authorisation_letter", letter.body, "application/pdf");
      EXPECT_EQ(call("PATCH", "/api/v1/organisations/" + org, token,
                     {{"letter_blob_id", blob},
                      {"legal_representative",
                       {{"name", "法人甲"}, {"id_number", "11010519491231002X"}, {"phone", "13900000398"}}}})
                    .status,
                200);
    }
    std::string licence = upload(token, "licence");
    EXPECT_EQ(call("PUT", "/api/v1/organisations/" + org + "/licence", token, {{"blob_id", licence}}).status, 200);
    EXPECT_EQ(call("PATCH", "/api/v1/organisations/" + org, token,
                   {{"bank", {{"bank_name", "中国工商银行北京分行"}, {"account", "0200001234567890123"}, {"account_name", name}}}})
                  .status,
              200);
    confirm_bank(token, org);
    EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/submission", token).status, 200);
    EXPECT_EQ(call("POST", "/api/v1/operator/organisations/" + org + "/approval", operator_token_).status, 200);
    act_as(token, org);
    return org;
  }
  void run_jobs() {
    auto args = db_args_;
    args.insert(args.begin(), {"admin", "run-jobs"});
    args.insert(args.end(), fast_.begin(), fast_.end());
    ASSERT_EQ(run_certseald(args, dir_.path() + "/jobs.log"), 0) << slurp(dir_.path() + "/jobs.log");
  }

  TempDir dir_;
  std::string data_;
  std::unique_ptr<FreshPgDatabase> pg_;
  std::vector<std::string> db_args_, fast_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> http_;
  std::string operator_token_;
};


#define CERTSEAL_INSTANTIATE_API_ENGINES(Suite)                                          \
  INSTANTIATE_TEST_SUITE_P(Engines, Suite, ::testing::Values("sqlite", "postgres"),       \
                           [](const auto& p) { return p.param; })

}  // namespace certseal::testing
