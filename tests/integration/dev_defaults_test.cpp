// Development defaults and where the master key lives (issue 11: security review M5 and L4),
// against a real certseald on both engines.
//
//   * M5: a production configuration (no dev_mode, no --demo) that leaves the sandbox gateway, the
//     dev identity verifier or the SMS outbox on does not start, with one line naming the
//     settings; with dev_mode it starts and /api/v1/info and the log say what is on; with the
//     production components it starts and /api/v1/info says nothing is; an operator listing the
//     SMS outbox over HTTP sees no code, while `certseald admin sms-outbox` on the server machine
//     still prints it.
//   * L4: the master key in a file outside the data folder, in the environment
//     (CERTSEAL_MASTER_KEY), or wrapped by an RSA key in a PKCS#11 token (SoftHSM2): nothing of it
//     in the data folder, the startup log says where it is, a restart opens the same keys, and a
//     wrong or missing key refuses to start.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "support/api_fixture.h"
#include "support/http_client.h"
#include "support/pg_fixture.h"
#include "support/server_process.h"
#include "support/test_env.h"

namespace certseal::testing {
namespace {

namespace fs = std::filesystem;

std::string text_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The three production choices: no sandbox gateway, operator review of identities, a real SMS
// gateway (nothing listens on port 1: only sending would fail, not starting).
const std::vector<std::string> kProduction = {"--set", "payment.sandbox_enabled=false", "--set",
                                              "identity.verifier=manual", "--set", "sms.sender=http",
                                              "--set", "sms.http_url=http://127.0.0.1:1/sms"};

class DevDefaultsTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    opts_.engine = GetParam();
    opts_.data_dir = dir_.path() + "/data";
    opts_.dev_mode = false;
    if (opts_.engine == "postgres") {
      pg_ = std::make_unique<FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      opts_.pg_url = pg_->url();
    }
  }
  std::vector<std::string> db_args() const {
    std::vector<std::string> a = {"--data-dir", opts_.data_dir, "--db-engine", opts_.engine};
    if (pg_) a.insert(a.end(), {"--db-url", pg_->url()});
    return a;
  }
  // Runs `certseald serve` expecting it to stop by itself; returns the exit code, output in *out.
  int serve_expecting_exit(std::vector<std::string> extra, std::string* out,
                           const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> args = {"serve", "--listen", "127.0.0.1:0"};
    auto d = db_args();
    args.insert(args.end(), d.begin(), d.end());
    args.insert(args.end(), extra.begin(), extra.end());
    std::string log = dir_.path() + "/refused.log";
    fs::remove(log);
    int rc = run_certseald(args, log, env);
    *out = text_of(log);
    return rc;
  }
  std::unique_ptr<ServerProcess> start(std::vector<std::string> extra, std::map<std::string, std::string> env = {}) {
    auto o = opts_;
    o.extra_args = std::move(extra);
    o.env = std::move(env);
    return std::make_unique<ServerProcess>(o);
  }

  // SIGTERM, once the server answers: certseald writes its port file a moment before it watches
  // for signals, so a signal sent at once can kill it instead of stopping it (see the report).
  int stop(ServerProcess& s) {
    HttpClient http(s.base_url());
    EXPECT_EQ(http.get("/healthz").status, 200);
    return s.terminate();
  }

  TempDir dir_;
  std::unique_ptr<FreshPgDatabase> pg_;
  ServerOptions opts_;
};

// ---- M5 ----

TEST_P(DevDefaultsTest, ProductionConfigWithTheSandboxRefusesToStart) {
  std::string out;
  // Everything production but the sandbox gateway.
  std::vector<std::string> sandbox_on = kProduction;
  sandbox_on[1] = "payment.sandbox_enabled=true";
  EXPECT_EQ(serve_expecting_exit(sandbox_on, &out), 2) << out;
  EXPECT_NE(out.find("development components are on (payment.sandbox_enabled = true)"), std::string::npos) << out;
  EXPECT_NE(out.find("dev_mode"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  // The built-in defaults are all three development components: each is named.
  EXPECT_EQ(serve_expecting_exit({}, &out), 2) << out;
  for (const char* s : {"payment.sandbox_enabled = true", "identity.verifier = dev", "sms.sender = outbox"}) {
    EXPECT_NE(out.find(s), std::string::npos) << out;
  }
  EXPECT_FALSE(fs::exists(opts_.data_dir + "/certseal.db")) << "a refused start touched the database";
}

TEST_P(DevDefaultsTest, DevModeStartsAndInfoSaysSo) {
  auto dev = start({"--set", "dev_mode=true"});
  ASSERT_TRUE(dev->started()) << dev->log_text();
  HttpClient http(dev->base_url());
  auto info = http.get("/api/v1/info").json();
  EXPECT_EQ(info["development_mode"], true) << info;
  EXPECT_EQ(info["development_components"],
            nlohmann::json({"payment.sandbox_enabled = true", "identity.verifier = dev", "sms.sender = outbox"}))
      << info;
  EXPECT_NE(dev->log_text().find("development components are on"), std::string::npos);
  // An empty catalogue says so (Chinese by default).
  std::string cat = run_command("env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 " CERTSEAL_BIN " --server " +
                                dev->base_url() + " --data-dir " + dir_.path() + "/dev order catalogue 2>&1");
  EXPECT_NE(cat.find("商品目录为空"), std::string::npos) << cat;
  ASSERT_EQ(stop(*dev), 0);

  // The production components: it starts without dev_mode and says nothing is on.
  auto prod = start(kProduction);
  ASSERT_TRUE(prod->started()) << prod->log_text();
  HttpClient http2(prod->base_url());
  auto info2 = http2.get("/api/v1/info").json();
  EXPECT_EQ(info2["development_mode"], false) << info2;
  EXPECT_TRUE(info2["development_components"].empty()) << info2;
  // Without the sandbox gateway there is no sandbox payment page.
  EXPECT_EQ(http2.post_json("/sandbox-pay/anything", nlohmann::json::object()).status, 404);
}

// An operator reading the SMS outbox over HTTP must not learn login or authorise codes.
class OutboxMaskTest : public ApiTest {};

TEST_P(OutboxMaskTest, OperatorListingTheOutboxSeesNoCode) {
  const std::string phone = "13912340088";
  ASSERT_EQ(request_code(phone, "login").status, 202);
  std::string code = code_for(phone);  // `certseald admin sms-outbox` on the server machine
  ASSERT_EQ(code.size(), 6u);
  auto r = call("GET", "/api/v1/operator/sms-outbox?limit=5&phone=" + phone, operator_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = r.json()["items"];
  ASSERT_EQ(items.size(), 1u) << r.body;
  std::string text = items[0]["text"];
  EXPECT_EQ(r.body.find(code), std::string::npos) << r.body;
  EXPECT_NE(text.find("验证码******"), std::string::npos) << text;
  EXPECT_EQ(items[0]["template"], "sms_code_login");
  // The code still works for its owner (masking changed nothing stored).
  EXPECT_EQ(login(phone, code).status, 201);
}

CERTSEAL_INSTANTIATE_API_ENGINES(OutboxMaskTest);

// ---- L4: the master key outside the data folder ----

TEST_P(DevDefaultsTest, MasterKeyInAFileOutsideTheDataFolder) {
  std::string key = dir_.path() + "/secrets/master.key";
  auto s = start({"--set", "dev_mode=true", "--set", "keys.master_key_file=" + key});
  ASSERT_TRUE(s->started()) << s->log_text();
  EXPECT_TRUE(fs::exists(key));
  EXPECT_EQ(fs::file_size(key), 32u);
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_FALSE(fs::exists(opts_.data_dir + "/keys/master.key"));
  EXPECT_NE(s->log_text().find("\"where\":\"file " + key + " (created)\""), std::string::npos) << s->log_text();
  EXPECT_EQ(s->log_text().find("lives inside the data folder"), std::string::npos);
  ASSERT_EQ(stop(*s), 0);
  // The same file opens the same CA keys again; another key does not.
  auto again = start({"--set", "dev_mode=true", "--set", "keys.master_key_file=" + key});
  ASSERT_TRUE(again->started()) << again->log_text();
  ASSERT_EQ(stop(*again), 0);
  std::string other = dir_.path() + "/other.key";
  std::ofstream(other, std::ios::binary) << std::string(32, 'x');
  std::string out;
  EXPECT_EQ(serve_expecting_exit({"--set", "dev_mode=true", "--set", "keys.master_key_file=" + other}, &out), 2)
      << out;
  EXPECT_NE(out.find("is not the one the stored keys were sealed with"), std::string::npos) << out;
}

TEST_P(DevDefaultsTest, MasterKeyFromTheEnvironment) {
  const std::string hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  std::vector<std::string> args = {"--set", "dev_mode=true", "--set", "keys.master_key_source=env"};
  auto s = start(args, {{"CERTSEAL_MASTER_KEY", hex}});
  ASSERT_TRUE(s->started()) << s->log_text();
  EXPECT_FALSE(fs::exists(opts_.data_dir + "/keys/master.key"));
  EXPECT_NE(s->log_text().find("\"where\":\"environment CERTSEAL_MASTER_KEY\""), std::string::npos) << s->log_text();
  EXPECT_EQ(s->log_text().find(hex), std::string::npos) << "the key must never be logged";
  ASSERT_EQ(stop(*s), 0);
  auto again = start(args, {{"CERTSEAL_MASTER_KEY", hex}});
  ASSERT_TRUE(again->started()) << again->log_text();
  ASSERT_EQ(stop(*again), 0);

  std::string out;
  EXPECT_EQ(serve_expecting_exit(args, &out, {{"CERTSEAL_MASTER_KEY", ""}}), 2) << out;
  EXPECT_NE(out.find("CERTSEAL_MASTER_KEY is not set"), std::string::npos) << out;
  EXPECT_EQ(serve_expecting_exit(args, &out, {{"CERTSEAL_MASTER_KEY", "abcd"}}), 2) << out;
  EXPECT_NE(out.find("must be 64 hex digits"), std::string::npos) << out;
  // Another key of the right form does not open the CA keys sealed under the first.
  std::string other(64, 'e');
  EXPECT_EQ(serve_expecting_exit(args, &out, {{"CERTSEAL_MASTER_KEY", other}}), 2) << out;
  EXPECT_NE(out.find("is not the one the stored keys were sealed with"), std::string::npos) << out;
}

TEST_P(DevDefaultsTest, MasterKeyWrappedByAPkcs11Token) {
  const char* module = "/usr/lib/softhsm/libsofthsm2.so";
  ASSERT_TRUE(fs::exists(module)) << "softhsm2 is not installed: run scripts/setup";
  std::string tokens = dir_.path() + "/tokens";
  fs::create_directories(tokens);
  std::string conf = dir_.path() + "/softhsm2.conf";
  std::ofstream(conf) << "directories.tokendir = " << tokens << "\nobjectstore.backend = file\nlog.level = ERROR\n";
  run_command("SOFTHSM2_CONF=" + conf +
              " softhsm2-util --init-token --free --label certseal-master --so-pin 87654321 --pin 123456");
  std::map<std::string, std::string> env = {{"SOFTHSM2_CONF", conf}, {"CERTSEAL_KEYS_PKCS11_PIN", "123456"}};
  std::vector<std::string> args = {"--set", "dev_mode=true", "--set", "keys.master_key_source=pkcs11",
                                   "--set", std::string("keys.pkcs11_module=") + module,
                                   "--set", "keys.pkcs11_token=certseal-master"};
  auto s = start(args, env);
  ASSERT_TRUE(s->started()) << s->log_text();
  EXPECT_FALSE(fs::exists(opts_.data_dir + "/keys/master.key"));
  std::string wrapped = text_of(opts_.data_dir + "/keys/master.key.p11");
  EXPECT_NE(wrapped.find("\"wrapped\""), std::string::npos) << wrapped;
  EXPECT_NE(s->log_text().find("PKCS#11 token 'certseal-master'"), std::string::npos) << s->log_text();
  ASSERT_EQ(stop(*s), 0);
  auto again = start(args, env);
  ASSERT_TRUE(again->started()) << again->log_text();
  ASSERT_EQ(stop(*again), 0);
  // Without the token's PIN the wrapped key opens nothing.
  std::string out;
  env["CERTSEAL_KEYS_PKCS11_PIN"] = "000000";
  EXPECT_NE(serve_expecting_exit(args, &out, env), 0) << out;
}

INSTANTIATE_TEST_SUITE_P(Engines, DevDefaultsTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace certseal::testing
