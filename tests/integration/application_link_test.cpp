// Application links end to end (SPEC §8 "Certificate and seal application can also start from a QR
// code printed by a trading platform"; docs/INTEGRATION.md "Application links"): a relying party
// creates a link with a signed request; the real `certseal` client reads the printed QR picture
// (ZBar), sees the platform and the products; an order placed through the link is for that
// platform and one of those products, and the relying party sees it counted, then done.
//
// Refused, from the side of whoever must be refused: an unsigned request, a product that is not on
// sale, another app reading or disabling the link, an order for a product or platform outside the
// link, and everything about a disabled link (it resolves to nothing and buys nothing).
#include "service/scene/rp_apps.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class ApplicationLinkTest : public ClientE2eTest {
 protected:
  struct App {
    std::string id, secret;
  };
  App register_app(const std::string& platform) {
    auto r = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", "示例交易平台接入"}, {"platform_id", platform}, {"callback_url", "https://rp.example/cb"},
                   {"scenes", {"06"}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.json().value("id", ""), r.json().value("secret", "")};
  }
  HttpResponse rp(const App& app, const std::string& method, const std::string& target,
                  const nlohmann::json& body = nullptr) {
    const std::string text = body.is_null() ? "" : body.dump();
    const std::string nonce = "link-" + std::to_string(++nonces_) + "-" + std::to_string(::getpid());
    std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app.id,
                                                                                 app.secret, method, target, text,
                                                                                 SystemClock().now_unix(), nonce)};
    if (!text.empty()) h.push_back("Content-Type: application/json");
    return http_->request(method, target, text, h);
  }
  int nonces_ = 0;
};

TEST_P(ApplicationLinkTest, APrintedCodeStartsAnApplicationForItsPlatform) {
  catalogue();
  auto other_platform = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "另一交易平台"}});
  ASSERT_EQ(other_platform.status, 201) << other_platform.body;
  const std::string platform2 = other_platform.json()["id"];
  auto p2 = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                 {{"kind", "certificate"}, {"name", "个人证书 SM2 2年"}, {"cert_type", "personal"}, {"algorithm", "sm2"},
                  {"validity_years", 2}, {"price_fen", 20000}, {"ca_id", "sm2o"}, {"seal_type", "handwritten"}});
  ASSERT_EQ(p2.status, 201) << p2.body;
  const std::string product2 = p2.json()["id"];
  App app = register_app(platform_);

  // Only a signed request creates a link; what it offers must be on sale.
  const nlohmann::json want = {{"label", "投标人数字证书办理"}, {"product_ids", {product_}}};
  auto unsigned_req = http_->request("POST", "/api/v1/rp/application-links", want.dump(),
                                     {"Content-Type: application/json"});
  EXPECT_EQ(unsigned_req.status, 401) << unsigned_req.body;
  auto bad_product = rp(app, "POST", "/api/v1/rp/application-links",
                        {{"label", "x"}, {"product_ids", {"no-such-product"}}});
  EXPECT_EQ(bad_product.status, 400) << bad_product.body;
  auto bad_label = rp(app, "POST", "/api/v1/rp/application-links", {{"label", ""}});
  EXPECT_EQ(bad_label.status, 400) << bad_label.body;
  EXPECT_TRUE(rp(app, "GET", "/api/v1/rp/application-links").json()["items"].empty());

  auto created = rp(app, "POST", "/api/v1/rp/application-links", want);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string link_id = created.json()["id"], url = created.json()["url"];
  ASSERT_EQ(url.rfind(server_->base_url() + "/a/", 0), 0u) << url;
  const std::string token = url.substr(url.rfind('/') + 1);
  EXPECT_EQ(created.json()["platform_id"], platform_);
  put(f("link.png"), to_string(base64_decode(created.json()["qr_png"].get<std::string>()).value()));

  // A phone's camera opens the address: it leads to the app's purchase page for this link.
  auto page = http_->get("/a/" + token);
  EXPECT_EQ(page.status, 302);
  EXPECT_EQ(page.header("location"), "/app/buy?link=" + token);

  // The client reads the printed picture and shows who offers what (one product, not the other).
  const std::string a = dev("a"), phone = "13912360077";
  register_cli(a, phone);
  verify_cli(a, phone, "王五", "110105194912310118");
  auto shown = cli(a, {"scan", f("link.png")});
  ASSERT_EQ(shown.exit_code, 0) << shown;
  EXPECT_NE(shown.out.find("示例交易平台接入（示例交易平台）的证书申请：投标人数字证书办理"), std::string::npos) << shown;
  EXPECT_NE(shown.out.find(product_), std::string::npos) << shown;
  EXPECT_EQ(shown.out.find(product2), std::string::npos) << shown;

  // Outside the link: another product, another platform. Nothing is ordered.
  auto wrong_product = cli(a, {"order", "create", "--link", token, "--product", product2});
  EXPECT_EQ(wrong_product.exit_code, 3) << wrong_product;
  EXPECT_NE(wrong_product.err.find("does not offer"), std::string::npos) << wrong_product;
  auto wrong_platform = cli(a, {"order", "create", "--link", token, "--product", product_, "--platform", platform2});
  EXPECT_EQ(wrong_platform.exit_code, 3) << wrong_platform;
  EXPECT_TRUE(cli(a, {"--json", "order", "list"}).json()["items"].empty());

  // Through the link: the link's platform, counted for the link in the order's transaction.
  auto o = cli(a, {"--json", "order", "create", "--link", token, "--product", product_});
  ASSERT_EQ(o.exit_code, 0) << o;
  const std::string order = o.json()["id"];
  EXPECT_EQ(o.json()["platform_id"], platform_) << o;
  auto counted = rp(app, "GET", "/api/v1/rp/application-links/" + link_id);
  ASSERT_EQ(counted.status, 200) << counted.body;
  EXPECT_EQ(counted.json()["orders"], 1);
  EXPECT_EQ(counted.json()["orders_done"], 0);

  // Another relying party neither sees nor disables it.
  App other = register_app(platform_);
  EXPECT_EQ(rp(other, "GET", "/api/v1/rp/application-links/" + link_id).status, 404);
  EXPECT_EQ(rp(other, "POST", "/api/v1/rp/application-links/" + link_id + "/disabling").status, 404);
  EXPECT_TRUE(rp(other, "GET", "/api/v1/rp/application-links").json()["items"].empty());

  // The order goes to done (certificate installed): the link shows it.
  auto auth = cli(a, {"--json", "order", "authorise", order, "--code", code(a, phone, "authorise")});
  ASSERT_EQ(auth.exit_code, 0) << auth;
  auto pay = cli(a, {"--json", "pay", "online", order, "--sandbox-complete"});
  ASSERT_EQ(pay.exit_code, 0) << pay;
  ASSERT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_).status, 200);
  Installed inst = install_cli(a, order, "Pin#link1");
  ASSERT_FALSE(inst.cert_id.empty());
  EXPECT_EQ(rp(app, "GET", "/api/v1/rp/application-links/" + link_id).json()["orders_done"], 1);

  // Disabled: the token resolves to nothing, scanning says so, ordering through it is refused.
  auto off = rp(app, "POST", "/api/v1/rp/application-links/" + link_id + "/disabling");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(off.json()["status"], "disabled");
  EXPECT_EQ(http_->get("/api/v1/application-links/" + token).status, 404);
  auto gone = cli(a, {"scan", "--payload", url});
  EXPECT_EQ(gone.exit_code, 3) << gone;
  auto late = cli(a, {"order", "create", "--link", token, "--product", product_});
  EXPECT_EQ(late.exit_code, 3) << late;
  EXPECT_EQ(cli(a, {"--json", "order", "list"}).json()["items"].size(), 1u);
  EXPECT_EQ(rp(app, "GET", "/api/v1/rp/application-links/" + link_id).json()["orders"], 1);
  // A token-shaped guess and a malformed one are both just "no such link".
  EXPECT_EQ(http_->get("/api/v1/application-links/AAAAAAAAAAAAAAAAAAAAAA").status, 404);
  EXPECT_EQ(http_->get("/api/v1/application-links/%27%20OR%201%3D1").status, 404);
}

CERTSEAL_INSTANTIATE_API_ENGINES(ApplicationLinkTest);

}  // namespace
}  // namespace certseal::testing
