// The `certseal` client driven as a separate process (fixture of tests/integration/client_e2e_test.cpp
// and scene_test.cpp): run_cli spawns the real binary with passwords fed through a pipe on fd 3,
// ClientE2eTest registers, verifies, buys and installs certificates through it.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/encoding.h"
#include "support/api_fixture.h"

extern char** environ;

namespace certseal::testing {

namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out, nullptr, false); }
};

inline std::ostream& operator<<(std::ostream& os, const CliResult& r) {
  return os << "exit " << r.exit_code << "\nstdout: " << r.out << "\nstderr: " << r.err;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

inline void put(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Runs the certseal binary with `args`; `lines` are written to a pipe that the child reads as
// fd 3 (pass --password-fd 3). The language is left to the default (LANG=C.UTF-8: Chinese).
inline CliResult run_cli(const std::vector<std::string>& args, const std::vector<std::string>& lines, const std::string& tmp) {
  static std::atomic<int> counter{0};
  const std::string base = tmp + "/cli-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
  int fds[2];
  if (::pipe(fds) != 0) return {};
  // Keep the child's end away from fd 3 so that dup2 really makes a fresh descriptor.
  int rfd = ::fcntl(fds[0], F_DUPFD_CLOEXEC, 10);
  int wfd = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
  ::close(fds[0]);
  ::close(fds[1]);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string s = *e;
    if (s.rfind("LANG=", 0) == 0 || s.rfind("LC_ALL=", 0) == 0 || s.rfind("LC_MESSAGES=", 0) == 0 ||
        s.rfind("CERTSEAL_", 0) == 0) {
      continue;
    }
    env_strings.push_back(s);
  }
  env_strings.push_back("LANG=C.UTF-8");
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_strings = args;
  argv_strings.insert(argv_strings.begin(), CERTSEAL_BIN);
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, (base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, (base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, rfd, 3);
  // A new session: no controlling terminal, so a prompt that wrongly went to /dev/tty fails.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, CERTSEAL_BIN, &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(rfd);
  CliResult r;
  if (rc != 0) {
    ::close(wfd);
    r.err = "spawn failed";
    return r;
  }
  std::string input;
  for (const auto& l : lines) input += l + "\n";
  ssize_t w = ::write(wfd, input.data(), input.size());
  (void)w;
  ::close(wfd);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  int status = 0;
  for (;;) {
    pid_t p = ::waitpid(pid, &status, WNOHANG);
    if (p == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_all(base + ".out");
  r.err = read_all(base + ".err");
  return r;
}

class ClientE2eTest : public ApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    return {"--set", "ca.sm2o.algorithm=sm2", "--set", "ca.sm2o.sm2_id="};
  }

 protected:
  // certseal with --server, --data-dir and --password-fd 3 added.
  CliResult cli(const std::string& data_dir, std::vector<std::string> args, const std::vector<std::string>& lines = {}) {
    std::vector<std::string> full = {"--server", server_->base_url(), "--data-dir", data_dir, "--password-fd", "3"};
    full.insert(full.end(), args.begin(), args.end());
    return run_cli(full, lines, dir_.path());
  }
  std::string dev(const std::string& name) {
    std::string d = dir_.path() + "/dev-" + name;
    return d;
  }
  std::string f(const std::string& name) { return dir_.path() + "/" + name; }
  std::string sh(const std::string& cmd) { return run_command(cmd + " 2>&1"); }

  // The code the server sent last to `phone`, after asking it through the CLI.
  std::string code(const std::string& data_dir, const std::string& phone, const std::string& purpose) {
    std::vector<std::string> args = {"sms-code", "--purpose", purpose};
    if (purpose == "login") args = {"sms-code", "--phone", phone, "--purpose", "login"};
    auto r = cli(data_dir, args);
    EXPECT_EQ(r.exit_code, 0) << r;
    return code_for(phone);
  }

  // An authorise code bound to one operation on one object (review L2).
  std::string scoped_code(const std::string& data_dir, const std::string& phone, const std::string& action,
                          const std::string& object) {
    auto r = cli(data_dir, {"sms-code", "--purpose", "authorise", "--for", action, "--object", object});
    EXPECT_EQ(r.exit_code, 0) << r;
    return code_for(phone);
  }

  void catalogue() {
    if (!product_.empty()) return;
    auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "示例交易平台"}});
    ASSERT_EQ(p.status, 201) << p.body;
    platform_ = p.json()["id"];
    auto a = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "个人证书 SM2 1年"}, {"cert_type", "personal"},
                   {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 12000}, {"ca_id", "sm2o"},
                   {"seal_type", "handwritten"}});
    ASSERT_EQ(a.status, 201) << a.body;
    product_ = a.json()["id"];
  }

  // Registers through the CLI (first login sets the login password).
  void register_cli(const std::string& d, const std::string& phone) {
    std::string c = code(d, phone, "login");
    auto r = cli(d, {"login", "--phone", phone, "--code", c}, {"", kLoginPw, kLoginPw});
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_NE(r.out.find("账号已注册"), std::string::npos) << r;
  }
  // A later login on another device of the same account.
  void login_cli(const std::string& d, const std::string& phone) {
    std::string c = code(d, phone, "login");
    auto r = cli(d, {"login", "--phone", phone, "--code", c}, {kLoginPw});
    ASSERT_EQ(r.exit_code, 0) << r;
  }
  void verify_cli(const std::string& d, const std::string& phone, const std::string& name, const std::string& id_number) {
    put(f("front.png"), kPng);
    put(f("back.png"), kPng);
    std::string c = code(d, phone, "verify_person");
    auto r = cli(d, {"--json", "verify", "--name", name, "--id-number", id_number, "--front", f("front.png"), "--back",
                     f("back.png"), "--code", c});
    ASSERT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.json()["status"], "verified") << r;
  }
  // Order, authorise, pay through the sandbox page, operator approval: the approved order id.
  std::string buy_cli(const std::string& d, const std::string& phone) {
    catalogue();
    auto cat = cli(d, {"--json", "order", "catalogue"});
    EXPECT_EQ(cat.exit_code, 0) << cat;
    bool listed = false;
    const nlohmann::json products = cat.json()["products"];
    for (const auto& p : products) listed = listed || p["id"] == product_;
    EXPECT_TRUE(listed) << cat;
    auto o = cli(d, {"--json", "order", "create", "--product", product_, "--platform", platform_});
    EXPECT_EQ(o.exit_code, 0) << o;
    std::string order = o.json().value("id", "");
    EXPECT_EQ(o.json()["status"], "created");
    // A wrong code is refused by the server: exit 3 with its problem on one line.
    auto bad = cli(d, {"order", "authorise", order, "--code", "000000"});
    EXPECT_EQ(bad.exit_code, 3) << bad;
    EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad;
    auto a = cli(d, {"--json", "order", "authorise", order, "--code", code(d, phone, "authorise")});
    EXPECT_EQ(a.exit_code, 0) << a;
    EXPECT_EQ(a.json()["status"], "awaiting_payment") << a;
    auto pay = cli(d, {"--json", "pay", "online", order, "--sandbox-complete"});
    EXPECT_EQ(pay.exit_code, 0) << pay;
    EXPECT_NE(pay.json().value("pay_url", "").find("/sandbox-pay/"), std::string::npos) << pay;
    EXPECT_EQ(pay.json()["order"]["status"], "in_review") << pay;
    auto tab = cli(d, {"--json", "order", "list", "--tab", "in_review"});
    EXPECT_EQ(tab.json()["items"].size(), 1u) << tab;
    auto ap = call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_);
    EXPECT_EQ(ap.status, 200) << ap.body;
    return order;
  }
  struct Installed {
    std::string key_id, cert_id, pem;
  };
  Installed install_cli(const std::string& d, const std::string& order, const std::string& pin) {
    auto r = cli(d, {"--json", "cert", "install", order}, {pin, pin});
    EXPECT_EQ(r.exit_code, 0) << r;
    auto j = r.json();
    return {j.value("key_id", ""), j.value("certificate_id", ""), j["certificate"].value("certificate_pem", "")};
  }
  // A verified person with an installed certificate on device `d`.
  Installed person_with_certificate(const std::string& d, const std::string& phone, const std::string& name,
                                    const std::string& id_number, const std::string& pin) {
    register_cli(d, phone);
    verify_cli(d, phone, name, id_number);
    return install_cli(d, buy_cli(d, phone), pin);
  }

  // `openssl verify` of a certificate PEM under the CA chain (with the CA's CRL when crl is set).
  std::string openssl_verify(const std::string& pem, bool crl = false) {
    put(f("leaf.pem"), pem);
    put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
    if (!crl) return sh("openssl verify -CAfile " + f("chain.pem") + " " + f("leaf.pem"));
    put(f("crl.der"), http_->get("/ca/sm2o/crl").body);
    sh("openssl crl -inform DER -in " + f("crl.der") + " -out " + f("crl.pem"));
    sh("cat " + f("chain.pem") + " " + f("crl.pem") + " > " + f("bundle.pem"));
    return sh("openssl verify -crl_check -CAfile " + f("bundle.pem") + " " + f("leaf.pem"));
  }
  std::string cert_pem(const std::string& d, const std::string& cert_id) {
    auto r = cli(d, {"cert", "show", cert_id, "--copy", "pem"});
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out;
  }
  std::string sm_crypto(const std::string& args) {
    std::string dir = std::string(CERTSEAL_SOURCE_DIR) + "/tests/interop";
    if (!fs::exists(dir + "/node_modules/sm-crypto")) {
      ADD_FAILURE() << "sm-crypto is not installed: run scripts/setup (npm ci in tests/interop)";
      return {};
    }
    std::string out = run_command("node " + dir + "/sm2.js " + args);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }

  static constexpr const char* kLoginPw = "Str0ng!pw";
  std::string platform_, product_;
};

}  // namespace certseal::testing
