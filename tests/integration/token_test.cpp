// `certseal token …` against a SoftHSM2 token standing in for a file-based token, found through
// p11-kit's registered modules (as a user's USB key would be): the token is listed, its
// certificate shown with thumbprints that match `openssl x509 -fingerprint` (SHA-1, SHA-256, SM3,
// MD5), the PIN changed (the old PIN then fails), a certificate deleted only with the right PIN,
// and a seal picture written to the token read back byte-identical.
//
// Refusals from the side of who must be refused: a wrong PIN deletes nothing and writes nothing;
// a certificate that is not there is named as such before any PIN is asked.
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/client_fixture.h"
#include "support/test_env.h"

namespace certseal::testing {
namespace {

constexpr const char* kSoftHsm = "/usr/lib/softhsm/libsofthsm2.so";

class TokenCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir((dir_.path() + "/tokens").c_str(), 0700);
    put(f("softhsm2.conf"),
        "directories.tokendir = " + dir_.path() + "/tokens\nobjectstore.backend = file\n");
    ::setenv("SOFTHSM2_CONF", f("softhsm2.conf").c_str(), 1);
    ASSERT_NE(
        sh("softhsm2-util --init-token --free --label 文件证书介质 --pin 123456 --so-pin 87654321")
            .find("initialized"),
        std::string::npos);
    // A certificate on the token, as an issuer would have put it there.
    sh("openssl req -utf8 -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
       f("k.pem") + " -out " + f("c.pem") + " -days 30 -subj '/CN=张三/O=示例单位'");
    sh("openssl x509 -in " + f("c.pem") + " -outform DER -out " + f("c.der"));
    auto w = sh(std::string("pkcs11-tool --module ") + kSoftHsm +
                " --token-label 文件证书介质 --login --pin 123456 " + "--write-object " +
                f("c.der") + " --type cert --label 签名证书 --id 0a1b");
    ASSERT_NE(w.find("Certificate"), std::string::npos) << w;
  }
  void TearDown() override { ::unsetenv("SOFTHSM2_CONF"); }
  CliResult cli(std::vector<std::string> args, const std::vector<std::string>& lines = {}) {
    std::vector<std::string> full = {"--data-dir", dir_.path() + "/client", "--password-fd", "3"};
    full.insert(full.end(), args.begin(), args.end());
    return run_cli(full, lines, dir_.path());
  }
  std::string f(const std::string& n) { return dir_.path() + "/" + n; }
  std::string sh(const std::string& cmd) { return run_command(cmd + " 2>&1"); }
  std::string fingerprint(const std::string& alg) {
    auto out = sh("openssl x509 -in " + f("c.pem") + " -noout -fingerprint -" + alg);
    std::string hex;
    for (char c : out.substr(out.find('=') + 1)) {
      if (std::isxdigit(static_cast<unsigned char>(c)))
        hex.push_back(static_cast<char>(std::toupper(c)));
    }
    return hex;
  }
  TempDir dir_;
};

TEST_F(TokenCliTest, ListsShowsChangesPinDeletesAndKeepsASealPicture) {
  // Through p11-kit's registered modules: the SoftHSM token is there.
  auto list = cli({"--json", "token", "list"});
  ASSERT_EQ(list.exit_code, 0) << list;
  bool found = false;
  const auto listed = list.json();
  for (const auto& t : listed["items"]) {
    if (t.value("label", "") == "文件证书介质") found = true;
  }
  EXPECT_TRUE(found) << list;

  auto certs = cli({"--json", "token", "certs", "--token", "文件证书介质"});
  ASSERT_EQ(certs.exit_code, 0) << certs;
  ASSERT_EQ(certs.json()["items"].size(), 1u) << certs;
  EXPECT_EQ(certs.json()["items"][0]["label"], "签名证书");
  EXPECT_EQ(certs.json()["items"][0]["id"], "0a1b");
  EXPECT_EQ(certs.json()["items"][0]["thumbprint"], fingerprint("sha1"));  // SHA-1 by default

  for (const char* alg : {"sha1", "sha256", "sm3", "md5"}) {
    auto show = cli({"--json", "token", "show", "--token", "文件证书介质", "--label", "签名证书",
                     "--hash", alg});
    ASSERT_EQ(show.exit_code, 0) << show;
    EXPECT_EQ(show.json()["thumbprint"], fingerprint(alg)) << alg;
    EXPECT_NE(show.json()["subject"].get<std::string>().find("张三"), std::string::npos) << show;
  }
  auto copy = cli({"token", "show", "--token", "文件证书介质", "--id", "0A1B", "--copy", "sha256"});
  ASSERT_EQ(copy.exit_code, 0) << copy;
  EXPECT_EQ(copy.out, fingerprint("sha256") + "\n");
  auto bad_hash =
      cli({"token", "show", "--token", "文件证书介质", "--label", "签名证书", "--hash", "crc32"});
  EXPECT_EQ(bad_hash.exit_code, 2) << bad_hash;

  // PIN change: the new PIN works, the old one no longer does.
  auto pin = cli({"token", "pin", "--token", "文件证书介质"}, {"123456", "654321", "654321"});
  ASSERT_EQ(pin.exit_code, 0) << pin;
  auto old_pin =
      cli({"token", "delete", "--token", "文件证书介质", "--label", "签名证书"}, {"123456"});
  EXPECT_NE(old_pin.exit_code, 0) << old_pin;
  EXPECT_NE(old_pin.err.find("口令错误"), std::string::npos) << old_pin;
  // The wrong PIN deleted nothing.
  EXPECT_EQ(cli({"--json", "token", "certs", "--token", "文件证书介质"}).json()["items"].size(),
            1u);

  // A seal picture, written and read back byte-identical; a wrong PIN neither writes nor reads.
  std::string picture = "\x89PNG\r\n\x1a\n";
  for (int i = 0; i < 3000; ++i) picture.push_back(static_cast<char>((i * 37) & 0xff));
  put(f("seal.png"), picture);
  auto refused = cli(
      {"token", "picture", "write", "--token", "文件证书介质", "--in", f("seal.png")}, {"000000"});
  EXPECT_NE(refused.exit_code, 0) << refused;
  auto none = cli({"token", "picture", "read", "--token", "文件证书介质", "--out", f("none.png")},
                  {"654321"});
  EXPECT_NE(none.exit_code, 0) << none;
  auto wrote = cli({"token", "picture", "write", "--token", "文件证书介质", "--in", f("seal.png")},
                   {"654321"});
  ASSERT_EQ(wrote.exit_code, 0) << wrote;
  auto wrong_read =
      cli({"token", "picture", "read", "--token", "文件证书介质", "--out", f("x.png")}, {"111111"});
  EXPECT_NE(wrong_read.exit_code, 0) << wrong_read;
  auto read = cli({"token", "picture", "read", "--token", "文件证书介质", "--out", f("back.png")},
                  {"654321"});
  ASSERT_EQ(read.exit_code, 0) << read;
  EXPECT_EQ(read_all(f("back.png")), picture);
  // Written again: replaced, not doubled.
  put(f("seal2.png"), picture + "v2");
  ASSERT_EQ(cli({"token", "picture", "write", "--token", "文件证书介质", "--in", f("seal2.png")},
                {"654321"})
                .exit_code,
            0);
  ASSERT_EQ(cli({"token", "picture", "read", "--token", "文件证书介质", "--out", f("back2.png")},
                {"654321"})
                .exit_code,
            0);
  EXPECT_EQ(read_all(f("back2.png")), picture + "v2");

  // Deletion: a certificate that is not there is said before a PIN is asked; then with the PIN.
  auto missing = cli({"token", "delete", "--token", "文件证书介质", "--label", "没有的证书"});
  EXPECT_EQ(missing.exit_code, 3) << missing;
  EXPECT_NE(missing.err.find("没有的证书"), std::string::npos) << missing;
  auto deleted = cli(
      {"--json", "token", "delete", "--token", "文件证书介质", "--label", "签名证书"}, {"654321"});
  ASSERT_EQ(deleted.exit_code, 0) << deleted;
  EXPECT_TRUE(cli({"--json", "token", "certs", "--token", "文件证书介质"}).json()["items"].empty());

  // The same through --module (one module by path, without p11-kit's registry).
  auto direct = cli({"--json", "token", "--module", kSoftHsm, "list"});
  ASSERT_EQ(direct.exit_code, 0) << direct;
  EXPECT_EQ(direct.json()["items"].size(), 1u) << direct;
}

}  // namespace
}  // namespace certseal::testing
