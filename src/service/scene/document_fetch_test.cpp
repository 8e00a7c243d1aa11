// Scene 13's document by URL, from the side of whoever must be refused: a URL on another host,
// port or scheme than the relying party registered (the server must not be turned against other
// hosts), URLs that do not parse, an answer that is not a PDF; and a real fetch with curl from a
// local HTTP server (Python's http.server): the file, a missing one, one over the limit, a
// redirect (not followed), and a port where nothing listens.
#include "service/scene/document_fetch.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/static_http_server.h"
#include "support/test_env.h"

namespace certseal::service {
namespace {

class CannedFetcher final : public DocumentFetcher {
 public:
  explicit CannedFetcher(std::string body) : DocumentFetcher(1 << 20), body_(std::move(body)) {}
  Result<Bytes> get(const std::string& url) override {
    urls.push_back(url);
    return to_bytes(body_);
  }
  std::vector<std::string> urls;

 private:
  std::string body_;
};

RpAppView app_with_callback(const std::string& callback) {
  RpAppView a;
  a.id = "app-1";
  a.callback_url = callback;
  return a;
}

TEST(DocumentFetch, OnlyTheRegisteredOriginIsFetched) {
  const std::string cb = "https://bid.example.com/certseal/callback?v=1";
  EXPECT_TRUE(document_url_allowed("https://bid.example.com/files/a.pdf", cb).ok());
  EXPECT_TRUE(document_url_allowed("https://BID.example.com:443/files/a.pdf?x=1", cb).ok());
  for (const char* other : {"http://bid.example.com/files/a.pdf", "https://bid.example.com:8443/a.pdf",
                            "https://evil.example.com/a.pdf", "https://bid.example.com.evil.example/a.pdf",
                            "https://127.0.0.1/a.pdf", "https://169.254.169.254/latest/meta-data",
                            "https://user@evil.example.com/a.pdf"}) {
    auto r = document_url_allowed(other, cb);
    ASSERT_FALSE(r.ok()) << other;
    EXPECT_EQ(r.error().code, "document_url_not_allowed") << other;
  }
  for (const char* bad : {"", "a.pdf", "file:///etc/passwd", "ftp://bid.example.com/a.pdf", "gopher://x/",
                          "https://", "https://bid.example.com:99999/a.pdf"}) {
    auto r = document_url_allowed(bad, cb);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "document_url_invalid") << bad;
  }
}

TEST(DocumentFetch, AnotherOriginIsRefusedBeforeAnythingIsFetched) {
  CannedFetcher f("%PDF-1.7\n");
  auto r = fetch_rp_document(f, app_with_callback("https://bid.example.com/cb"), "https://intranet.example/a.pdf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "document_url_not_allowed");
  EXPECT_TRUE(f.urls.empty());
  auto ok = fetch_rp_document(f, app_with_callback("https://bid.example.com/cb"), "https://bid.example.com/a.pdf");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(to_string(*ok), "%PDF-1.7\n");
}

TEST(DocumentFetch, AnAnswerThatIsNotAPdfIsRefused) {
  CannedFetcher f("<html>login</html>");
  auto r = fetch_rp_document(f, app_with_callback("https://bid.example.com/cb"), "https://bid.example.com/a.pdf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "document_not_pdf");
}

TEST(DocumentFetch, CurlFetchesFromALocalServerWithinItsLimits) {
  certseal::testing::TempDir dir;
  std::ofstream(dir.path() + "/bid.pdf") << "%PDF-1.4\n% a bid\n%%EOF\n";
  std::ofstream(dir.path() + "/big.pdf") << "%PDF-1.4\n" << std::string(5000, 'x');
  certseal::testing::StaticHttpServer server(dir.path());  // /moved.pdf: a 302 to /bid.pdf, not followed
  const std::string base = server.base();
  CurlDocumentFetcher fetcher(1024);
  const RpAppView app = app_with_callback(base + "/certseal/callback");
  auto got = fetch_rp_document(fetcher, app, base + "/bid.pdf");
  ASSERT_TRUE(got.ok()) << got.error().code << " " << got.error().cause;
  EXPECT_EQ(to_string(*got), "%PDF-1.4\n% a bid\n%%EOF\n");
  EXPECT_EQ(fetch_rp_document(fetcher, app, base + "/missing.pdf").error().code, "document_url_failed");
  EXPECT_EQ(fetch_rp_document(fetcher, app, base + "/big.pdf").error().code, "document_too_large");
  EXPECT_EQ(fetch_rp_document(fetcher, app, base + "/moved.pdf").error().code, "document_url_failed");
  const std::string closed = "http://127.0.0.1:" + std::to_string(certseal::testing::free_tcp_port());
  EXPECT_EQ(fetch_rp_document(fetcher, app_with_callback(closed + "/cb"), closed + "/bid.pdf").error().code,
            "document_url_unreachable");
}

}  // namespace
}  // namespace certseal::service
