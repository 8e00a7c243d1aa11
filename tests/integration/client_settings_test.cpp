// The settings of the legacy business (SPEC §11; docs/CLI.md "Settings"), end to end with a real
// certseald and the real `certseal` client: version and update check against the releases
// operators publish (one endpoint for every business), agreements and privacy texts and the
// personal-information and third-party lists the server serves, logs on/off on the client, and
// the log exported encrypted to the business's support certificate.
//
// Refusals from the side of whoever must be refused: a user (not an operator) publishing a
// release or a support certificate, an operator publishing a version that is not newer, an
// unknown business, a certificate logs cannot be encrypted to; the exported log does not open
// with another key, holds no secret typed on the command line, and is not readable as text.
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class ClientSettingsE2eTest : public ClientE2eTest {
 protected:
  HttpResponse publish(const std::string& token, const nlohmann::json& body) {
    return call("POST", "/api/v1/operator/client/releases", token, body);
  }
};

TEST_P(ClientSettingsE2eTest, UpdateCheckFollowsThePublishedReleases) {
  const std::string d = dev("legacy");
  // About works offline and says the client's version.
  auto offline = run_cli({"--server", "http://127.0.0.1:9", "--data-dir", d, "--json", "about"}, {}, f(""));
  ASSERT_EQ(offline.exit_code, 0) << offline;
  EXPECT_EQ(offline.json()["version"], "0.1.0") << offline;
  EXPECT_EQ(offline.json()["logs"], false);

  // Nothing published yet.
  auto none = cli(d, {"--json", "update", "check"});
  ASSERT_EQ(none.exit_code, 0) << none;
  EXPECT_EQ(none.json()["status"], "no_release") << none;
  EXPECT_EQ(http_->get("/api/v1/client/releases/latest?business=legacy").status, 404);
  EXPECT_EQ(http_->get("/api/v1/client/releases/latest").status, 400);
  EXPECT_EQ(http_->get("/api/v1/client/releases/latest?business=other").status, 400);

  // A user is no operator.
  const std::string user = dev("user");
  register_cli(user, "13912372001");
  const std::string user_token = nlohmann::json::parse(read_all(user + "/session.json"))["token"];
  auto forged = publish(user_token, {{"business", "legacy"}, {"version", "9.9.9"},
                                     {"download_url", "https://evil.example/certseal"}});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(http_->get("/api/v1/client/releases/latest?business=legacy").status, 404);

  // The operator publishes this very version: up to date.
  auto same = publish(operator_token_, {{"business", "legacy"}, {"version", "0.1.0"},
                                        {"download_url", "https://downloads.example/certseal-0.1.0.deb"}});
  ASSERT_EQ(same.status, 201) << same.body;
  auto up = cli(d, {"--json", "update", "check"});
  ASSERT_EQ(up.exit_code, 0) << up;
  EXPECT_EQ(up.json()["status"], "up_to_date") << up;
  // Older or equal versions, bad fields: refused, nothing changes.
  for (const char* v : {"0.1.0", "0.0.9", "0.1"}) {
    auto r = publish(operator_token_, {{"business", "legacy"}, {"version", v},
                                       {"download_url", "https://downloads.example/x"}});
    EXPECT_EQ(r.status, 409) << v << " " << r.body;
    EXPECT_EQ(r.json()["code"], "release_not_newer");
  }
  for (const auto& bad : {nlohmann::json{{"business", "legacy"}, {"version", "1.0-rc1"}, {"download_url", "https://x/y"}},
                          nlohmann::json{{"business", "legacy"}, {"version", "1.0"}, {"download_url", "ftp://x/y"}},
                          nlohmann::json{{"business", "legacy"}, {"version", "1.0"}, {"download_url", "https://x/y"},
                                         {"min_version", "2.0"}},
                          nlohmann::json{{"business", "legacy"}, {"version", "1.0"}, {"download_url", "https://x/y"},
                                         {"sha256", "abc"}},
                          nlohmann::json{{"business", "nope"}, {"version", "1.0"}, {"download_url", "https://x/y"}}}) {
    auto r = publish(operator_token_, bad);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
  }
  EXPECT_EQ(http_->get("/api/v1/client/releases/latest?business=legacy").json()["version"], "0.1.0");

  // A newer release: update available, with the notes and where to get it.
  ASSERT_EQ(publish(operator_token_, {{"business", "legacy"}, {"version", "0.2.0"}, {"notes", "支持 RSA 证书"},
                                      {"download_url", "https://downloads.example/certseal-0.2.0.deb"},
                                      {"sha256", std::string(64, 'a')}, {"min_version", "0.1.0"}})
                .status,
            201);
  auto avail = cli(d, {"update", "check"});
  ASSERT_EQ(avail.exit_code, 0) << avail;
  EXPECT_NE(avail.out.find("有新版本：0.1.0 → 0.2.0"), std::string::npos) << avail;
  EXPECT_NE(avail.out.find("支持 RSA 证书"), std::string::npos) << avail;
  // One that no longer supports this client: update required.
  ASSERT_EQ(publish(operator_token_, {{"business", "legacy"}, {"version", "0.3.0"}, {"min_version", "0.2.0"},
                                      {"download_url", "https://downloads.example/certseal-0.3.0.deb"}})
                .status,
            201);
  auto required = cli(d, {"--json", "about"});
  ASSERT_EQ(required.exit_code, 0) << required;
  EXPECT_EQ(required.json()["update"]["status"], "update_required") << required;
  EXPECT_EQ(required.json()["update"]["latest"], "0.3.0");
  EXPECT_FALSE(required.json().value("server_version", "").empty()) << required;
  // Another business is separate: the same endpoint, its own releases.
  auto ck = cli(d, {"--json", "update", "check", "--business", "cloudkey"});
  ASSERT_EQ(ck.exit_code, 0) << ck;
  EXPECT_EQ(ck.json()["status"], "no_release") << ck;
  // The cloud key's own release reaches `about` and `update check` for that business only.
  ASSERT_EQ(publish(operator_token_, {{"business", "cloudkey"}, {"version", "0.2.0"},
                                      {"download_url", "https://downloads.example/certseal-cloudkey-0.2.0.apk"}})
                .status,
            201);
  auto ck_about = cli(d, {"--json", "about", "--business", "cloudkey"});
  ASSERT_EQ(ck_about.exit_code, 0) << ck_about;
  EXPECT_EQ(ck_about.json()["update"]["status"], "update_available") << ck_about;
  EXPECT_EQ(ck_about.json()["update"]["latest"], "0.2.0") << ck_about;
  EXPECT_EQ(http_->get("/api/v1/client/releases/latest?business=legacy").json()["version"], "0.3.0");
  EXPECT_EQ(cli(d, {"update", "check", "--business", "other"}).exit_code, 2);
}

TEST_P(ClientSettingsE2eTest, AgreementsListsLogsAndTheEncryptedExport) {
  const std::string d = dev("legacy");
  // The texts the server serves.
  auto agreement = cli(d, {"agreement", "show", "user"});
  ASSERT_EQ(agreement.exit_code, 0) << agreement;
  EXPECT_NE(agreement.out.find("用户服务协议"), std::string::npos) << agreement;
  auto privacy = cli(d, {"--json", "agreement", "show", "privacy"});
  ASSERT_EQ(privacy.exit_code, 0) << privacy;
  EXPECT_NE(privacy.json()["body"].get<std::string>().find("privacy policy"), std::string::npos);
  EXPECT_NE(cli(d, {"agreement", "show", "../account"}).exit_code, 0);

  // Logs are off by default: nothing is recorded.
  auto status = cli(d, {"--json", "logs", "status"});
  ASSERT_EQ(status.exit_code, 0) << status;
  EXPECT_EQ(status.json()["logs"], false);
  EXPECT_EQ(status.json()["entries"], 0);
  ASSERT_EQ(cli(d, {"logs", "on"}).exit_code, 0);
  // The lists, after login (logged: the commands' names, never the code or the phone number).
  register_cli(d, "13912372002");
  auto info = cli(d, {"--json", "privacy", "personal-info"});
  ASSERT_EQ(info.exit_code, 0) << info;
  bool phone_listed = false;
  const nlohmann::json info_items = info.json()["items"];  // kept: a temporary's items would dangle
  for (const auto& i : info_items) phone_listed = phone_listed || i["category"] == "phone";
  EXPECT_TRUE(phone_listed) << info;
  auto third = cli(d, {"--json", "privacy", "third-parties"});
  ASSERT_EQ(third.exit_code, 0) << third;
  EXPECT_FALSE(third.json()["items"].empty()) << third;
  EXPECT_NE(cli(d, {"agreement", "show", "no_such_kind"}).exit_code, 0);  // recorded as an error
  auto counted = cli(d, {"--json", "logs", "status"});
  EXPECT_EQ(counted.json()["logs"], true);
  EXPECT_GE(counted.json()["entries"].get<int>(), 5) << counted;
  const std::string plain_log = read_all(d + "/client.log");
  EXPECT_NE(plain_log.find("\"command\":\"privacy personal-info\""), std::string::npos) << plain_log;
  EXPECT_NE(plain_log.find("agreement_not_found"), std::string::npos) << plain_log;
  EXPECT_EQ(plain_log.find("13912372002"), std::string::npos) << plain_log;
  EXPECT_EQ(plain_log.find(kLoginPw), std::string::npos) << plain_log;

  // Export: no support certificate yet.
  auto early = cli(d, {"logs", "export", "--out", f("early.p7")});
  EXPECT_NE(early.exit_code, 0) << early;
  EXPECT_FALSE(fs::exists(f("early.p7")));
  for (const char* who : {"support", "stranger"}) {
    const std::string w = who;
    sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out " + f(w + ".key"));
    sh("openssl req -x509 -new -key " + f(w + ".key") + " -subj /CN=" + w + " -days 30 -sm3 -out " + f(w + ".pem"));
  }
  sh("openssl req -x509 -new -newkey rsa:2048 -nodes -keyout " + f("rsa.key") + " -subj /CN=rsa -days 30 -out " +
     f("rsa.pem"));
  const std::string session = nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  // A user cannot set it; an operator cannot set what logs cannot be opened with.
  EXPECT_EQ(call("PUT", "/api/v1/operator/client/support-certificate", session,
                 {{"business", "legacy"}, {"certificate_pem", read_all(f("stranger.pem"))}})
                .status,
            403);
  for (const std::string& pem : {std::string("not a certificate"), read_all(f("rsa.pem"))}) {
    auto bad = call("PUT", "/api/v1/operator/client/support-certificate", operator_token_,
                    {{"business", "legacy"}, {"certificate_pem", pem}});
    EXPECT_EQ(bad.status, 400) << bad.body;
  }
  EXPECT_EQ(http_->get("/api/v1/client/support-certificate?business=legacy").status, 404);
  auto set = call("PUT", "/api/v1/operator/client/support-certificate", operator_token_,
                  {{"business", "legacy"}, {"certificate_pem", read_all(f("support.pem"))}});
  ASSERT_EQ(set.status, 200) << set.body;
  auto ex = cli(d, {"--json", "logs", "export", "--out", f("log.p7")});
  ASSERT_EQ(ex.exit_code, 0) << ex;
  // Not readable as text; the support key opens it (the cloud key's decrypt-log, reused).
  EXPECT_EQ(read_all(f("log.p7")).find("personal-info"), std::string::npos);
  auto open = cli(d, {"--json", "cloudkey", "decrypt-log", "--in", f("log.p7"), "--support-key", f("support.key")});
  ASSERT_EQ(open.exit_code, 0) << open;
  EXPECT_EQ(open.json()["business"], "legacy") << open;
  EXPECT_EQ(open.json()["client_version"], "0.1.0");
  bool seen = false;
  const nlohmann::json log_items = open.json()["items"];
  for (const auto& e : log_items) seen = seen || e["command"] == "privacy third-parties";
  EXPECT_TRUE(seen) << open;
  auto other = cli(d, {"cloudkey", "decrypt-log", "--in", f("log.p7"), "--support-key", f("stranger.key")});
  EXPECT_NE(other.exit_code, 0) << other;

  // Off: no more lines.
  ASSERT_EQ(cli(d, {"logs", "off"}).exit_code, 0);
  const std::string before = read_all(d + "/client.log");
  ASSERT_EQ(cli(d, {"agreement", "show", "user"}).exit_code, 0);
  EXPECT_EQ(read_all(d + "/client.log"), before);
}

CERTSEAL_INSTANTIATE_API_ENGINES(ClientSettingsE2eTest);

}  // namespace
}  // namespace certseal::testing
