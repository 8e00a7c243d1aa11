// Self-service certificates for a token (自助服务) end to end on both engines: the real `certseal`
// client generates the key pair inside a SoftHSM2 token (CKA_NEVER_EXTRACTABLE), proves
// possession, an operator reviews (standard flow) or a roster uploaded beforehand approves at once
// (pre-entered flow, each entry once), the business query installs the certificate into the token,
// `openssl verify` accepts it against the platform's chain, and renewal replaces it.
//
// Refusals from the side of who must be refused: a request whose proof of possession is not the
// key's, a user approving their own request, a roster entry used a second time.
#include <cstdlib>

#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class TokenSelfServiceTest : public ClientE2eTest {
 public:
  // The client fixture's SM2 CA, and the CA that certifies token keys (tokens have no SM2).
  std::vector<std::string> extra_server_args() const override {
    auto args = ClientE2eTest::extra_server_args();
    args.insert(args.end(), {"--set", "ca.intl.algorithm=ec-p256"});
    return args;
  }

 protected:
  void SetUp() override {
    ClientE2eTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ::mkdir(f("tokens").c_str(), 0700);
    put(f("softhsm2.conf"),
        "directories.tokendir = " + f("tokens") + "\nobjectstore.backend = file\n");
    ::setenv("SOFTHSM2_CONF", f("softhsm2.conf").c_str(), 1);
    ASSERT_NE(
        sh("softhsm2-util --init-token --free --label 自助介质 --pin 123456 --so-pin 87654321")
            .find("initialized"),
        std::string::npos);
  }
  void TearDown() override {
    ::unsetenv("SOFTHSM2_CONF");
    ClientE2eTest::TearDown();
  }
  std::string verify_pem(const std::string& pem) {
    put(f("tok.pem"), pem);
    put(f("intl.pem"), http_->get("/ca/intl/chain.pem").body);
    return sh("openssl verify -CAfile " + f("intl.pem") + " " + f("tok.pem"));
  }
};

TEST_P(TokenSelfServiceTest, StandardAndPreEnteredFlowsInstallIntoTheTokenAndRenewalReplaces) {
  const std::string d = dev("u");
  register_cli(d, "13912380001");
  const std::string me = nlohmann::json::parse(read_all(d + "/session.json"))["token"];

  // Standard flow: the key pair is made in the token; the request waits for an operator.
  auto enrolled = cli(d,
                      {"--json", "token", "enroll", "--token", "自助介质", "--name", "赵六",
                       "--id-number", "11010519491231002X"},
                      {"123456"});
  ASSERT_EQ(enrolled.exit_code, 0) << enrolled;
  EXPECT_EQ(enrolled.json()["status"], "pending_review");
  EXPECT_EQ(enrolled.json()["flow"], "standard");
  const std::string id = enrolled.json()["id"], key_id = enrolled.json()["key_id"];
  auto flags =
      cli(d, {"--json", "token", "key", "--token", "自助介质", "--id", key_id}, {"123456"});
  ASSERT_EQ(flags.exit_code, 0) << flags;
  EXPECT_EQ(flags.json()["never_extractable"], true) << flags;
  EXPECT_EQ(flags.json()["extractable"], false) << flags;
  EXPECT_EQ(flags.json()["sensitive"], true) << flags;
  EXPECT_EQ(flags.json()["local"], true) << flags;
  auto early = cli(d, {"--json", "token", "query", "--token", "自助介质"});
  ASSERT_EQ(early.exit_code, 0) << early;
  EXPECT_TRUE(early.json()["installed"].empty());

  // The user cannot approve their own request; the operator can.
  EXPECT_EQ(call("POST", "/api/v1/operator/token-requests/" + id + "/approval", me).status, 403);
  auto pending = call("GET", "/api/v1/operator/token-requests", operator_token_).json()["items"];
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["id"], id);
  auto approved =
      call("POST", "/api/v1/operator/token-requests/" + id + "/approval", operator_token_);
  ASSERT_EQ(approved.status, 200) << approved.body;
  EXPECT_EQ(approved.json()["status"], "issued");
  EXPECT_EQ(
      call("POST", "/api/v1/operator/token-requests/" + id + "/approval", operator_token_).status,
      409);

  // Business query: installed into the token next to its key; it verifies against the chain.
  auto query = cli(d, {"--json", "token", "query", "--token", "自助介质"}, {"123456"});
  ASSERT_EQ(query.exit_code, 0) << query;
  ASSERT_EQ(query.json()["installed"].size(), 1u) << query;
  auto certs = cli(d, {"--json", "token", "certs", "--token", "自助介质"});
  ASSERT_EQ(certs.json()["items"].size(), 1u) << certs;
  EXPECT_EQ(certs.json()["items"][0]["id"], key_id);
  auto shown = cli(d, {"--json", "token", "show", "--token", "自助介质", "--id", key_id});
  ASSERT_EQ(shown.exit_code, 0) << shown;
  EXPECT_NE(shown.json()["subject"].get<std::string>().find("赵六"), std::string::npos) << shown;
  EXPECT_NE(verify_pem(shown.json()["pem"]).find(": OK"), std::string::npos);
  const std::string first_serial = shown.json()["serial"];

  // Renewal: a new certificate for the same key replaces the old one in the token.
  auto renewed =
      cli(d, {"--json", "token", "renew", "--token", "自助介质", "--request", id}, {"123456"});
  ASSERT_EQ(renewed.exit_code, 0) << renewed;
  EXPECT_EQ(renewed.json()["installed"].size(), 1u) << renewed;
  auto after = cli(d, {"--json", "token", "show", "--token", "自助介质", "--id", key_id});
  ASSERT_EQ(after.exit_code, 0) << after;
  EXPECT_NE(after.json()["serial"], first_serial);
  EXPECT_NE(verify_pem(after.json()["pem"]).find(": OK"), std::string::npos);
  EXPECT_EQ(cli(d, {"--json", "token", "certs", "--token", "自助介质"}).json()["items"].size(), 1u);
  const std::string first_cert = approved.json()["certificate_id"];
  auto old_record = call("GET", "/api/v1/certificates/" + first_cert, operator_token_);
  ASSERT_EQ(old_record.status, 200) << old_record.body;
  EXPECT_EQ(old_record.json()["status"], "revoked") << old_record.body;

  // Pre-entered flow: the organisation's roster, uploaded beforehand, approves at once, once.
  ASSERT_EQ(call("POST", "/api/v1/operator/token-roster", me,
                 {{"entries", {{{"name", "钱七"}, {"id_number", "110105194912310134"}}}}})
                .status,
            403);
  auto roster = call("POST", "/api/v1/operator/token-roster", operator_token_,
                     {{"entries", {{{"name", "钱七"}, {"id_number", "110105194912310134"}}}}});
  ASSERT_EQ(roster.status, 201) << roster.body;
  auto pre = cli(d,
                 {"--json", "token", "enroll", "--token", "自助介质", "--name", "钱七",
                  "--id-number", "110105194912310134"},
                 {"123456"});
  ASSERT_EQ(pre.exit_code, 0) << pre;
  EXPECT_EQ(pre.json()["flow"], "preentered");
  EXPECT_EQ(pre.json()["status"], "issued");
  EXPECT_EQ(pre.json()["installed"].size(), 1u) << pre;
  EXPECT_EQ(cli(d, {"--json", "token", "certs", "--token", "自助介质"}).json()["items"].size(), 2u);
  auto again = cli(d,
                   {"--json", "token", "enroll", "--token", "自助介质", "--name", "钱七",
                    "--id-number", "110105194912310134"},
                   {"123456"});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_EQ(again.json()["status"], "pending_review");  // the entry was used up

  // A proof of possession that is not the key's is refused, and nothing is recorded.
  sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + f("k.pem"));
  sh("openssl pkey -in " + f("k.pem") + " -pubout -outform DER -out " + f("spki.der"));
  auto forged = call("POST", "/api/v1/token-requests", me,
                     {{"name", "孙八"},
                      {"id_number", "11010519491231002X"},
                      {"public_key", base64_encode(as_bytes(read_all(f("spki.der"))))},
                      {"pop", base64_encode(Bytes(70, 0x30))}});
  EXPECT_EQ(forged.status, 403) << forged.body;
  EXPECT_EQ(forged.json()["code"], "pop_invalid");
  EXPECT_EQ(call("GET", "/api/v1/token-requests", me).json()["items"].size(), 3u);
}

CERTSEAL_INSTANTIATE_API_ENGINES(TokenSelfServiceTest);

}  // namespace
}  // namespace certseal::testing
