// Scene 13's PDF named by URL instead of uploaded (docs/INTEGRATION.md "Scene 13"), through a
// real certseald on both engines: the relying party's own site (a local HTTP server on the
// origin of its registered callback URL) serves the PDF, certseald fetches it, keeps it with the
// same SHA-256 and a scene-13 request can name it. Refused from the relying party's side: a URL
// on another port of the same host (certseald must not fetch from anywhere else), a file URL, a
// missing file, a redirect (not followed), an answer that is not a PDF.
#include "crypto/hash.h"
#include "docsign/text_render.h"
#include "support/intl_shield_fixture.h"
#include "support/static_http_server.h"

namespace certseal::testing {
namespace {

class DocumentUrlE2eTest : public IntlShieldE2eTest {};

TEST_P(DocumentUrlE2eTest, ThePdfIsFetchedOnlyFromTheRelyingPartysOwnOrigin) {
  catalogue();  // the trading platform the app belongs to
  TempDir site;
  Bytes pdf = docsign::render_pdf({{"投标函", 18, true, docsign::TextBlock::Align::kCenter}, {"投标人 签字处", 12}},
                                  {"投标函", "示例招标平台"})
                  .value();
  put(site.path() + "/bid.pdf", to_string(pdf));
  put(site.path() + "/login.html", "<html>请先登录</html>");
  StaticHttpServer rp_site(site.path());
  App app = register_app(rp_site.base() + "/certseal/callback", {"13"});

  auto doc = rp(app, "POST", "/api/v1/rp/documents", {{"url", rp_site.base() + "/bid.pdf"}});
  ASSERT_EQ(doc.status, 201) << doc.body;
  EXPECT_EQ(doc.json()["sha256"], hex_encode(crypto::sha256(pdf)));
  EXPECT_EQ(doc.json()["pages"], 1);
  auto created = rp(app, "POST", "/api/v1/rp/scene-requests",
                    {{"scene", "13"}, {"title", "投标函签章"}, {"nonce", "url-doc-0001"},
                     {"document_id", doc.json()["id"]},
                     {"placement", {{"mode", "keyword"}, {"keyword", "签字处"}, {"width_mm", 30}}},
                     {"seal_kinds", {"handwritten"}}});
  EXPECT_EQ(created.status, 201) << created.body;

  struct Refusal {
    std::string url;
    int status;
    std::string code;
  };
  const std::string elsewhere = "http://127.0.0.1:" + std::to_string(free_tcp_port());
  for (const Refusal& r : std::vector<Refusal>{{elsewhere + "/bid.pdf", 403, "document_url_not_allowed"},
                                                {"file:///etc/passwd", 400, "document_url_invalid"},
                                                {rp_site.base() + "/missing.pdf", 400, "document_url_failed"},
                                                {rp_site.base() + "/moved.pdf", 400, "document_url_failed"},
                                                {rp_site.base() + "/login.html", 400, "document_not_pdf"}}) {
    auto refused = rp(app, "POST", "/api/v1/rp/documents", {{"url", r.url}});
    EXPECT_EQ(refused.status, r.status) << r.url << " " << refused.body;
    EXPECT_EQ(refused.json().value("code", ""), r.code) << r.url << " " << refused.body;
  }
}

CERTSEAL_INSTANTIATE_API_ENGINES(DocumentUrlE2eTest);

}  // namespace
}  // namespace certseal::testing
