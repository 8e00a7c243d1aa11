// Electronic seals end to end (issue #13) on both engines: a real certseald, the real certseal
// client. A person buys and installs a certificate through the client; the operator certifies a
// seal maker; the person previews and makes a handwritten seal with `certseal seal`, an
// operator reviews it over HTTP, and the person uses it; the seal data verifies at
// /api/v1/seal-verifications and with `openssl asn1parse`. From the attacker's side: a second
// seal for the certificate, another account's seal (show, use, delete, picture), the unreviewed
// seal, a non-operator reviewing, and the seal of a revoked certificate.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "base/encoding.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

// The client fixture (certseal through a pipe for passwords) with a seal maker in the catalogue.
class SealE2eTest : public ClientE2eTest {
 protected:
  void setup_catalogue() {
    auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "示例交易平台"}});
    ASSERT_EQ(p.status, 201) << p.body;
    platform_ = p.json()["id"];
    auto m = call("POST", "/api/v1/operator/catalogue/seal-makers", operator_token_, {{"name", "测试制章单位"}});
    ASSERT_EQ(m.status, 201) << m.body;
    maker_ = m.json()["id"];
    auto c = call("POST", "/api/v1/operator/seal-makers/" + maker_ + "/certificate", operator_token_,
                  {{"uscc", uscc_for("91110108MA01MKR09")}});
    ASSERT_EQ(c.status, 201) << c.body;
    auto a = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "个人证书 SM2 1年"}, {"cert_type", "personal"},
                   {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 12000}, {"ca_id", "sm2o"},
                   {"seal_type", "handwritten"}});
    ASSERT_EQ(a.status, 201) << a.body;
    product_ = a.json()["id"];
  }
  // Register, verify, buy (sandbox payment), operator approval, install: the certificate id.
  std::string person_with_certificate(const std::string& d, const std::string& phone, const std::string& name,
                                      const std::string& id_number) {
    std::string c = code(d, phone, "login");
    auto r = cli(d, {"login", "--phone", phone, "--code", c}, {"", kLoginPw, kLoginPw});
    EXPECT_EQ(r.exit_code, 0) << r;
    put(f("front.png"), kPng);
    put(f("back.png"), kPng);
    auto v = cli(d, {"--json", "verify", "--name", name, "--id-number", id_number, "--front", f("front.png"), "--back",
                     f("back.png"), "--code", code(d, phone, "verify_person")});
    EXPECT_EQ(v.exit_code, 0) << v;
    auto o = cli(d, {"--json", "order", "create", "--product", product_, "--platform", platform_});
    EXPECT_EQ(o.exit_code, 0) << o;
    std::string order = o.json().value("id", "");
    auto au = cli(d, {"--json", "order", "authorise", order, "--code", code(d, phone, "authorise")});
    EXPECT_EQ(au.exit_code, 0) << au;
    auto pay = cli(d, {"--json", "pay", "online", order, "--sandbox-complete"});
    EXPECT_EQ(pay.exit_code, 0) << pay;
    auto ap = call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_);
    EXPECT_EQ(ap.status, 200) << ap.body;
    auto in = cli(d, {"--json", "cert", "install", order}, {kPin, kPin});
    EXPECT_EQ(in.exit_code, 0) << in;
    return in.json().value("certificate_id", "");
  }
  std::string session_token(const std::string& d) {
    nlohmann::json s = nlohmann::json::parse(read_all(d + "/session.json"), nullptr, false);
    return s.value("token", "");
  }

  static constexpr const char* kPin = "Pin#2026";
  std::string maker_;
};

TEST_P(SealE2eTest, HandwrittenSealThroughTheClient) {
  setup_catalogue();
  const std::string a = dir_.path() + "/dev-a", m = dir_.path() + "/dev-m";
  const std::string cert = person_with_certificate(a, "13912360001", "张三", "11010519491231002X");
  ASSERT_FALSE(cert.empty());
  put(f("strokes.json"), "[[[10,40,0.4,0],[30,10,0.6,20],[50,45,0.7,40],[70,12,0.5,60],[90,40,0.3,80]],"
                         "[[20,60,0.5,200],[80,62,0.6,260]]]");
  // The live preview, to a file: a PNG and an SVG.
  auto pv = cli(a, {"seal", "preview", "--kind", "handwritten", "--strokes", f("strokes.json"), "--out", f("p.png")});
  ASSERT_EQ(pv.exit_code, 0) << pv;
  EXPECT_EQ(read_all(f("p.png")).substr(1, 3), "PNG");
  auto pvs = cli(a, {"seal", "preview", "--kind", "official", "--name", "北京某某科技有限公司", "--format", "svg", "--out",
                     f("p.svg")});
  ASSERT_EQ(pvs.exit_code, 0) << pvs;
  EXPECT_NE(read_all(f("p.svg")).find("<svg"), std::string::npos);
  // A photo of a paper seal (here: a rendered one), uploaded and cleaned by the server.
  auto po = cli(a, {"seal", "preview", "--kind", "official", "--name", "北京某某科技有限公司", "--dpi", "300", "--out",
                    f("o.png")});
  ASSERT_EQ(po.exit_code, 0) << po;
  auto ps = cli(a, {"seal", "preview", "--kind", "official", "--photo", f("o.png"), "--out", f("scan.png")});
  ASSERT_EQ(ps.exit_code, 0) << ps;
  EXPECT_EQ(read_all(f("scan.png")).substr(1, 3), "PNG");
  // A bad design: one line on stderr, exit code for a refusal, nothing stored.
  auto bad = cli(a, {"seal", "make", "--cert", cert, "--kind", "official", "--name", "北京某某科技有限公司"});
  EXPECT_NE(bad.exit_code, 0) << bad;
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << bad;
  auto made = cli(a, {"--json", "seal", "make", "--cert", cert, "--kind", "handwritten", "--strokes", f("strokes.json")});
  ASSERT_EQ(made.exit_code, 0) << made;
  const std::string seal = made.json().value("id", "");
  EXPECT_EQ(made.json()["status"], "pending_review");
  // Second seal for the same certificate: refused (409).
  auto second = cli(a, {"seal", "make", "--cert", cert, "--kind", "handwritten", "--strokes", f("strokes.json")});
  EXPECT_NE(second.exit_code, 0) << second;
  EXPECT_NE(second.err.find("一张证书只能配一枚印章"), std::string::npos) << second;
  // Unreviewed: cannot be used.
  auto early = cli(a, {"seal", "use", seal, "--purpose", "sign:early.pdf"});
  EXPECT_NE(early.exit_code, 0) << early;
  // A user who is not an operator cannot approve.
  auto self = call("POST", "/api/v1/operator/seals/" + seal + "/approval", session_token(a));
  EXPECT_EQ(self.status, 403) << self.body;
  // The operator sees it in the queue with its picture, and approves.
  auto queue = call("GET", "/api/v1/operator/seals", operator_token_);
  ASSERT_EQ(queue.status, 200);
  ASSERT_EQ(queue.json()["items"].size(), 1u);
  auto pic = call("GET", "/api/v1/operator/seals/" + seal + "/picture", operator_token_);
  EXPECT_EQ(pic.status, 200);
  EXPECT_EQ(pic.body.substr(1, 3), "PNG");
  auto ok = call("POST", "/api/v1/operator/seals/" + seal + "/approval", operator_token_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto use = cli(a, {"--json", "seal", "use", seal, "--purpose", "sign:contract.pdf", "--out", f("used.png")});
  ASSERT_EQ(use.exit_code, 0) << use;
  EXPECT_EQ(read_all(f("used.png")).substr(1, 3), "PNG");
  auto data = cli(a, {"seal", "data", seal, "--out", f("seal.der")});
  ASSERT_EQ(data.exit_code, 0) << data;
  std::string parsed = run_command("openssl asn1parse -inform DER -in " + f("seal.der") + " 2>&1");
  EXPECT_NE(parsed.find(":ES"), std::string::npos) << parsed;
  EXPECT_NE(parsed.find("SM2-with-SM3"), std::string::npos) << parsed;
  auto ver = http_->post_json("/api/v1/seal-verifications", {{"seal_data", base64_encode(as_bytes(read_all(f("seal.der"))))}});
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  auto show = cli(a, {"--json", "seal", "show", seal});
  ASSERT_EQ(show.exit_code, 0) << show;
  std::vector<std::string> actions;
  const nlohmann::json shown = show.json();
  for (const auto& e : shown["events"]) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"made", "use_refused", "approved", "used"})) << show;

  // Another account: the seal does not exist for them.
  const std::string m_cert = person_with_certificate(m, "13912360002", "李四", "110105198001010016");
  const std::string m_token = session_token(m);
  for (auto [method, path] : {std::pair{"GET", "/api/v1/seals/" + seal}, std::pair{"GET", "/api/v1/seals/" + seal + "/picture"},
                              std::pair{"GET", "/api/v1/seals/" + seal + "/seal-data"},
                              std::pair{"DELETE", "/api/v1/seals/" + seal}}) {
    EXPECT_EQ(call(method, path, m_token).status, 404) << method << " " << path;
  }
  EXPECT_EQ(call("POST", "/api/v1/seals/" + seal + "/uses", m_token, {{"purpose", "sign:theft.pdf"}}).status, 404);
  auto foreign = cli(m, {"seal", "make", "--cert", cert, "--kind", "handwritten", "--strokes", f("strokes.json")});
  EXPECT_NE(foreign.exit_code, 0) << foreign;
  EXPECT_EQ(cli(m, {"--json", "seal", "list"}).json()["items"].size(), 0u);
  (void)m_cert;

  // Revoke the certificate: the seal can no longer be used, and the verifier says so.
  auto rv = cli(a, {"cert", "revoke", cert, "--reason", "cessation_of_operation", "--code",
                    code(a, "13912360001", "authorise")});
  ASSERT_EQ(rv.exit_code, 0) << rv;
  auto after = cli(a, {"seal", "use", seal, "--purpose", "sign:after.pdf"});
  EXPECT_NE(after.exit_code, 0) << after;
  EXPECT_NE(after.err.find("证书已注销"), std::string::npos) << after;
  auto ver2 = http_->post_json("/api/v1/seal-verifications", {{"seal_data", base64_encode(as_bytes(read_all(f("seal.der"))))}});
  EXPECT_EQ(ver2.json()["valid"], false) << ver2.body;
}

CERTSEAL_INSTANTIATE_API_ENGINES(SealE2eTest);

}  // namespace
}  // namespace certseal::testing
