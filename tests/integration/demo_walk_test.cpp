// The README's first walk, run as it is written (issue 11 item 2), on both engines: a real
// `certseald serve --demo` (demo accounts and catalogue), the real `certseal` and `certseald admin`
// binaries, curl and openssl. The test takes the block between `<!-- walk` and `<!-- /walk -->`
// from README.md and runs it with bash; only three things differ from a person at a terminal:
//   * the two `export` lines are replaced (the server listens on a free port, the binaries are
//     the ones of this build);
//   * `certseal` is a small wrapper that adds --data-dir (a device folder in the test folder) and
//     answers the password prompts from files through --password-fd, picked by command (login,
//     cert install, cert sign);
//   * the server's data folder is ./var of the test folder, as scripts/run makes it, with a
//     certseald.toml that the `certseald admin sms-outbox --data-dir var` of the walk reads too
//     (PostgreSQL URL; fast password hashing and no SMS resend wait, as scripts/run sets).
// Then: a second start with --demo changes nothing; empty lists say so in both languages.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "support/http_client.h"
#include "support/pg_fixture.h"
#include "support/server_process.h"
#include "support/test_env.h"

namespace certseal::testing {
namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// The walk block of README.md, without the fence lines.
std::string readme_walk() {
  std::string readme = read_text(std::string(CERTSEAL_SOURCE_DIR) + "/README.md");
  auto begin = readme.find("<!-- walk");
  auto end = readme.find("<!-- /walk -->");
  if (begin == std::string::npos || end == std::string::npos || end < begin) return "";
  std::string block = readme.substr(begin, end - begin);
  block = block.substr(block.find('\n') + 1);  // the marker line
  std::string out;
  std::istringstream in(block);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) continue;
    out += line + "\n";
  }
  return out;
}

class DemoWalkTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    var_ = dir_.path() + "/var";
    fs::create_directories(var_);
    std::string toml = "[security]\nargon2_ops = 1\nargon2_mem_kib = 8\n[sms]\nresend_s = 0\n";
    opts_.engine = GetParam();
    if (GetParam() == "postgres") {
      pg_ = std::make_unique<FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      opts_.pg_url = pg_->url();
      toml += "[db]\nengine = \"postgres\"\nurl = \"" + pg_->url() + "\"\n";
    }
    write_text(var_ + "/certseald.toml", toml);
    opts_.data_dir = var_;
    opts_.dev_mode = false;  // --demo alone allows the development components
    opts_.extra_args = {"--demo"};
    start();
  }

  void start() {
    server_ = std::make_unique<ServerProcess>(opts_);
    ASSERT_TRUE(server_->started()) << server_->log_text();
  }

  // The wrapper `certseal` and the real `certseald` on a PATH of their own.
  std::string make_bin() {
    std::string bin = dir_.path() + "/bin";
    fs::create_directories(bin);
    write_text(bin + "/certseal",
               "#!/bin/sh\n"
               "case \" $* \" in\n"
               "  *\" login \"*) answers=\"$WALK_DIR/answers-login\" ;;\n"
               "  *\" install \"*) answers=\"$WALK_DIR/answers-install\" ;;\n"
               "  *\" sign \"*) answers=\"$WALK_DIR/answers-sign\" ;;\n"
               "  *) answers=/dev/null ;;\n"
               "esac\n"
               "exec \"" CERTSEAL_BIN "\" --data-dir \"$WALK_DIR/device\" --password-fd 3 \"$@\" 3<\"$answers\"\n");
    ::chmod((bin + "/certseal").c_str(), 0755);
    fs::create_symlink(CERTSEALD_BIN, bin + "/certseald");
    write_text(dir_.path() + "/answers-login", "Demo@User01\n");
    write_text(dir_.path() + "/answers-install", "Pin#2026\nPin#2026\n");
    write_text(dir_.path() + "/answers-sign", "Pin#2026\n");
    return bin;
  }

  // `certseal` (the real one) with a device folder and no prompts; LANG=C.UTF-8 (Chinese).
  std::string cli(const std::string& device, const std::string& args) {
    return run_command("cd " + dir_.path() + " && env -u LC_ALL -u LC_MESSAGES -u CERTSEAL_SERVER LANG=C.UTF-8 " +
                       CERTSEAL_BIN + " --server " + server_->base_url() + " --data-dir " + device + " " + args +
                       " 2>&1");
  }

  TempDir dir_;
  std::string var_;
  std::unique_ptr<FreshPgDatabase> pg_;
  ServerOptions opts_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(DemoWalkTest, ReadmeWalkWorksAsWritten) {
  std::string walk = readme_walk();
  ASSERT_FALSE(walk.empty()) << "README.md has no walk block";
  // The two lines a person runs as they are and the test must replace.
  ASSERT_NE(walk.find("export PATH=\"$PWD/build/release/client:$PWD/build/release:$PATH\"\n"), std::string::npos);
  ASSERT_NE(walk.find("export CERTSEAL_SERVER=http://127.0.0.1:8080\n"), std::string::npos);
  std::string script;
  std::istringstream in(walk);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("export PATH=", 0) == 0 || line.rfind("export CERTSEAL_SERVER=", 0) == 0) continue;
    script += line + "\n";
  }
  std::string bin = make_bin();
  std::string preamble = "set -euo pipefail\nunset LC_ALL LC_MESSAGES CERTSEAL_DATA_DIR\nexport LANG=C.UTF-8\n"
                         "export WALK_DIR='" + dir_.path() + "'\nexport PATH='" + bin + "':\"$PATH\"\n" +
                         "export CERTSEAL_SERVER=" + server_->base_url() + "\ncd \"$WALK_DIR\"\n";
  write_text(dir_.path() + "/walk.sh", preamble + script);
  std::string out = run_command("bash " + dir_.path() + "/walk.sh 2>&1; echo \"exit=$?\"");
  EXPECT_NE(out.find("exit=0"), std::string::npos) << out;
  EXPECT_NE(out.find("Signature Verified Successfully"), std::string::npos) << out;
  // What the walk showed on the way: the catalogue with products of both CAs, the sandbox mark in
  // the review queue, the installed certificate.
  EXPECT_NE(out.find("demo-personal-sm2"), std::string::npos) << out;
  EXPECT_NE(out.find("demo-org-p256"), std::string::npos) << out;
  EXPECT_NE(out.find("\"sandbox_paid\":true"), std::string::npos) << out;
  EXPECT_NE(out.find("证书已安装"), std::string::npos) << out;

  // The certificate is from the SM2 CA, its key is on the walk's device, and the order is done.
  std::string held = cli(dir_.path() + "/device", "--json cert list");
  EXPECT_NE(held.find("\"ca_id\":\"sm2\""), std::string::npos) << held;
  EXPECT_NE(held.find("\"on_this_device\":true"), std::string::npos) << held;
  std::string orders = cli(dir_.path() + "/device", "--json order list");
  EXPECT_NE(orders.find("\"status\":\"done\""), std::string::npos) << orders;
}

// A second start with --demo creates nothing (same catalogue, same ids) and keeps the accounts.
TEST_P(DemoWalkTest, SecondDemoStartChangesNothing) {
  HttpClient http(server_->base_url());
  auto first = http.get("/api/v1/catalogue");
  ASSERT_EQ(first.status, 200);
  auto j1 = first.json();
  EXPECT_EQ(j1["platforms"].size(), 2u) << first.body;
  EXPECT_EQ(j1["seal_makers"].size(), 2u) << first.body;
  ASSERT_EQ(j1["products"].size(), 6u) << first.body;
  std::set<std::string> algorithms, cas, kinds, types;
  for (const auto& p : j1["products"]) {
    algorithms.insert(p["algorithm"]);
    cas.insert(p["ca_id"]);
    kinds.insert(p["kind"]);
    types.insert(p["cert_type"]);
  }
  EXPECT_EQ(algorithms, (std::set<std::string>{"sm2", "ec-p256"}));
  EXPECT_EQ(cas, (std::set<std::string>{"sm2", "intl"}));
  EXPECT_EQ(kinds, (std::set<std::string>{"certificate", "mutual_recognition", "renewal"}));
  EXPECT_EQ(types, (std::set<std::string>{"personal", "organisation"}));
  EXPECT_NE(server_->log_text().find("\"demo catalogue ready\""), std::string::npos);

  ASSERT_EQ(server_->terminate(), 0);
  std::string log_before = server_->log_text();
  start();
  HttpClient again(server_->base_url());
  auto second = again.get("/api/v1/catalogue");
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);
  std::string log = server_->log_text().substr(log_before.size());
  std::string ready;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("\"demo catalogue ready\"") != std::string::npos) ready = line;
  }
  EXPECT_NE(ready.find("\"created\":0"), std::string::npos) << log;
}

// Every list command says so when the list is empty: Chinese by default, English with --lang en.
TEST_P(DemoWalkTest, EmptyListsSaySoInBothLanguages) {
  std::string d = dir_.path() + "/fresh";
  std::string code_log = dir_.path() + "/code.log";
  // A new account (first login registers; no password yet: the prompt gets an empty line).
  std::string sent = cli(d, "sms-code --phone 13912340077 --purpose login");
  ASSERT_EQ(run_certseald({"admin", "sms-outbox", "--data-dir", var_, "--phone", "13912340077", "--code"}, code_log), 0)
      << sent << read_text(code_log);
  std::smatch m;
  std::string text = read_text(code_log);
  ASSERT_TRUE(std::regex_search(text, m, std::regex("\\b([0-9]{6})\\b"))) << text;
  write_text(dir_.path() + "/pw", "\nStr0ng!pw\nStr0ng!pw\n");
  std::string login = run_command("cd " + dir_.path() + " && LANG=C.UTF-8 " + CERTSEAL_BIN + " --server " +
                                  server_->base_url() + " --data-dir " + d + " --password-fd 3 login --phone " +
                                  "13912340077 --code " + std::string(m[1]) + " 3<" + dir_.path() + "/pw 2>&1");
  ASSERT_NE(login.find("账号已注册"), std::string::npos) << login;
  struct Case {
    const char* args;
    const char* zh;
    const char* en;
  };
  for (const auto& c : {Case{"order list", "没有订单", "No orders"},
                        Case{"cert list", "您还没有证书", "You have no certificates"},
                        Case{"org list", "您尚未加入任何单位", "You belong to no organisation"},
                        Case{"org search --name 不存在的单位", "没有找到符合条件的单位", "No organisation matches"}}) {
    SCOPED_TRACE(c.args);
    EXPECT_NE(cli(d, c.args).find(c.zh), std::string::npos) << cli(d, c.args);
    EXPECT_NE(cli(d, std::string("--lang en ") + c.args).find(c.en), std::string::npos);
  }
  // JSON output stays a document (no message mixed in).
  EXPECT_EQ(cli(d, "--json order list").find("没有订单"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Engines, DemoWalkTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace certseal::testing
