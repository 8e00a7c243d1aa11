#include "api/web_files.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "api/dispatcher.h"
#include "api/metrics.h"
#include "base/log.h"
#include "store/db.h"
#include "support/test_env.h"

namespace certseal::api {
namespace {
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// The real route table with a small built app in a temporary folder.
class WebFilesTest : public ::testing::Test {
 protected:
  WebFilesTest()
      : db_(std::move(store::open_sqlite({dir_.path() + "/d.db"})).value()),
        services_{clock_, rng_, log_, *db_, metrics_, "test", "node"},
        dispatcher_(services_, nullptr, route_table()) {
    app_ = fs::path(dir_.path()) / "dist";
    write(app_ / "index.html", "<!doctype html><title>app</title>");
    write(app_ / "assets" / "index-AbC123.js", "console.log(1)");
    write(app_ / "assets" / "index-AbC123.js.gz", "GZIPPED");
    write(app_ / "favicon.svg", "<svg/>");
    write(fs::path(dir_.path()) / "secret.txt", "outside the app");
  }

  void load() {
    auto w = WebFiles::load(app_);
    ASSERT_TRUE(w.ok()) << w.error().message;
    web_ = std::move(w).value();
    services_.web_app = &*web_;
  }

  net::Response get(std::string path, net::Headers headers = {}) {
    net::Request req;
    req.method = "GET";
    req.target = path;
    req.path = std::move(path);
    req.headers = std::move(headers);
    return dispatcher_.handle(req);
  }
  static std::string header(const net::Response& r, std::string_view name) {
    return std::string(net::find_header(r.headers, name));
  }

  certseal::testing::TempDir dir_;
  SystemClock clock_;
  SystemRng rng_;
  MemoryLogger log_;
  Metrics metrics_;
  std::unique_ptr<store::Database> db_;
  Services services_;
  Dispatcher dispatcher_;
  fs::path app_;
  std::optional<WebFiles> web_;
};

TEST_F(WebFilesTest, IndexIsRevalidatedAndCarriesTheContentSecurityPolicy) {
  load();
  auto r = get("/app/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body, "<!doctype html><title>app</title>");
  EXPECT_EQ(header(r, "Cache-Control"), "no-cache");
  EXPECT_NE(header(r, "Content-Security-Policy").find("script-src 'self' 'wasm-unsafe-eval'"), std::string::npos);
  EXPECT_NE(header(r, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(header(r, "Content-Security-Policy").find("font-src 'self' data:"), std::string::npos);
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
}

TEST_F(WebFilesTest, HashedAssetsAreImmutableForAYear) {
  load();
  auto r = get("/app/assets/index-AbC123.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(r.body, "console.log(1)");
  EXPECT_EQ(header(r, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(r, "Vary"), "Accept-Encoding");
  EXPECT_TRUE(header(r, "Content-Encoding").empty());
  // Files outside assets/ are not hashed: revalidated.
  EXPECT_EQ(header(get("/app/favicon.svg"), "Cache-Control"), "no-cache");
}

TEST_F(WebFilesTest, PrecompressedCopyOnlyForClientsThatAcceptGzip) {
  load();
  auto gz = get("/app/assets/index-AbC123.js", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  EXPECT_EQ(gz.body, "GZIPPED");
  EXPECT_EQ(header(gz, "Content-Encoding"), "gzip");
  auto refused = get("/app/assets/index-AbC123.js", {{"Accept-Encoding", "gzip;q=0, br"}});
  EXPECT_EQ(refused.body, "console.log(1)");
  EXPECT_TRUE(header(refused, "Content-Encoding").empty());
  // The .gz file itself is not a file of the app.
  EXPECT_EQ(get("/app/assets/index-AbC123.js.gz").status, 404);
}

TEST_F(WebFilesTest, ClientRoutesGetTheAppAndMissingFilesAre404) {
  load();
  auto route = get("/app/orders/123");
  EXPECT_EQ(route.status, 200);
  EXPECT_EQ(route.body, "<!doctype html><title>app</title>");
  auto missing = get("/app/assets/gone-111.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  auto bare = get("/app");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(header(bare, "Location"), "/app/");
}

// An attacker asks for files outside the app's folder: nothing but the loaded files is ever sent.
TEST_F(WebFilesTest, PathsOutsideTheAppFolderAreRefused) {
  load();
  for (const char* p : {"/app/../secret.txt", "/app/%2e%2e/secret.txt", "/app/assets/..%2f..%2fsecret.txt",
                        "/app//etc/passwd", "/app/%2fetc%2fpasswd"}) {
    auto r = get(p);
    EXPECT_NE(r.body, "outside the app") << p;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << p;
    EXPECT_TRUE(r.status == 404 || r.body == "<!doctype html><title>app</title>") << p << " " << r.status;
  }
}

TEST_F(WebFilesTest, SymbolicLinksInTheBuildAreNotFollowed) {
  fs::create_symlink(fs::path(dir_.path()) / "secret.txt", app_ / "linked.txt");
  load();
  EXPECT_EQ(get("/app/linked.txt").status, 404);
}

TEST_F(WebFilesTest, WithoutABuiltAppTheRoutesAnswer404) {
  auto r = get("/app/");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("web_app_not_built"), std::string::npos);
}

// The operator console (web.console_dir) is mounted at /console/ with the same caching rules, and
// each mount serves only its own build: the console's files never come out of /app/ and back.
TEST_F(WebFilesTest, TheConsoleIsServedUnderConsoleWithTheSameRules) {
  EXPECT_NE(get("/console/").body.find("web_console_not_built"), std::string::npos);
  load();
  const fs::path console = fs::path(dir_.path()) / "console";
  write(console / "index.html", "<!doctype html><title>console</title>");
  write(console / "assets" / "main-Zz9.js", "console.log(2)");
  write(console / "assets" / "main-Zz9.js.gz", "GZ2");
  auto w = WebFiles::load(console);
  ASSERT_TRUE(w.ok());
  std::optional<WebFiles> web_console = std::move(w).value();
  services_.web_console = &*web_console;
  auto index = get("/console/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>console</title>");
  EXPECT_EQ(header(index, "Cache-Control"), "no-cache");
  EXPECT_NE(header(index, "Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(get("/console/orders/ord_1").body, index.body);  // a client-side route
  auto js = get("/console/assets/main-Zz9.js");
  EXPECT_EQ(js.body, "console.log(2)");
  EXPECT_EQ(header(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(get("/console/assets/main-Zz9.js", {{"Accept-Encoding", "gzip"}}).body, "GZ2");
  auto bare = get("/console");
  EXPECT_EQ(bare.status, 301);
  EXPECT_EQ(header(bare, "Location"), "/console/");
  EXPECT_EQ(get("/console/assets/index-AbC123.js").status, 404);  // the app's file
  EXPECT_EQ(get("/app/assets/main-Zz9.js").status, 404);           // the console's file
  EXPECT_EQ(get("/console/../dist/index.html").body.find("<title>app"), std::string::npos);
}

TEST_F(WebFilesTest, LoadRefusesAFolderWithoutIndex) {
  fs::remove(app_ / "index.html");
  auto w = WebFiles::load(app_);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, "web_dir");
  EXPECT_FALSE(WebFiles::load(app_ / "nope").ok());
}

}  // namespace
}  // namespace certseal::api
