// certseald as a real process on a free port, on SQLite and on PostgreSQL.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "support/http_client.h"
#include "support/pg_fixture.h"
#include "support/server_process.h"
#include "support/test_env.h"

namespace certseal::testing {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    opts_.engine = GetParam();
    opts_.data_dir = dir_.path() + "/data";
    if (opts_.engine == "postgres") {
      pg_ = std::make_unique<FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      opts_.pg_url = pg_->url();
    }
  }
  std::unique_ptr<ServerProcess> start(std::vector<std::string> extra = {}) {
    auto o = opts_;
    o.extra_args = std::move(extra);
    auto s = std::make_unique<ServerProcess>(o);
    EXPECT_TRUE(s->started()) << s->log_text();
    return s;
  }

  TempDir dir_;
  std::unique_ptr<FreshPgDatabase> pg_;
  ServerOptions opts_;
};

TEST_P(ServerTest, HealthAndReadinessOnTheEngine) {
  auto s = start();
  ASSERT_TRUE(s->started());
  HttpClient c(s->base_url());
  auto h = c.get("/healthz");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.json()["status"], "ok");
  auto r = c.get("/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json()["database"], GetParam());
  auto info = c.get("/api/v1/info");
  EXPECT_EQ(info.json()["name"], "certseald");
  auto doc = c.get("/api/openapi.yaml");
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body.rfind("openapi: 3.1.0", 0), 0u);
  EXPECT_EQ(s->terminate(), 0);
}

TEST_P(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto s = start();
  HttpClient c(s->base_url());
  for (int i = 0; i < 50; ++i) ASSERT_EQ(c.get("/healthz").status, 200);
  EXPECT_EQ(c.connects(), 1);
}

TEST_P(ServerTest, BadRequestsGetProblemsAndTheServerKeepsServing) {
  auto s = start({"--set", "server.body_limit=1024", "--set", "server.header_limit=2048"});
  HttpClient c(s->base_url());
  auto check_problem = [](const HttpResponse& r, long status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json");
    auto j = r.json();
    EXPECT_EQ(j["status"], status);
    EXPECT_EQ(j["code"], code);
    EXPECT_TRUE(j.contains("type") && j.contains("title") && j.contains("detail"));
  };
  check_problem(c.get("/no/such/route"), 404, "not_found");
  check_problem(c.request("DELETE", "/healthz"), 405, "method_not_allowed");
  check_problem(c.request("POST", "/healthz", std::string(4096, 'x'),
                          {"Content-Type: application/json"}), 413, "payload_too_large");
  HttpClient c2(s->base_url());
  check_problem(c2.request("GET", "/healthz", {}, {"X-Big: " + std::string(4096, 'a')}), 431,
                "headers_too_large");
  std::string garbage = raw_exchange(s->port(), "THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(garbage.find("400 Bad Request"), std::string::npos) << garbage;
  EXPECT_NE(garbage.find("application/problem+json"), std::string::npos);
  // Still serving, on a fresh connection.
  HttpClient after(s->base_url());
  EXPECT_EQ(after.get("/healthz").status, 200);
  EXPECT_EQ(s->terminate(), 0);
}

TEST_P(ServerTest, SigtermFinishesTheRequestInFlightThenExits) {
  auto s = start();
  // An idle keep-alive connection and a request that is half sent when SIGTERM arrives.
  HttpClient idle(s->base_url());
  ASSERT_EQ(idle.get("/healthz").status, 200);
  int fd = -1;
  {
    std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 10\r\n\r\n{\"a\":";
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(s->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto t0 = std::chrono::steady_clock::now();
  kill(s->pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // New connections are refused once shutdown has begun.
  EXPECT_TRUE(raw_exchange(s->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 500).empty());
  std::string rest = "1234}";
  ASSERT_EQ(send(fd, rest.data(), rest.size(), 0), 5);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  EXPECT_NE(reply.find("HTTP/1.1 200 OK"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_EQ(s->terminate(10), 0);  // already exiting: collects the status
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  std::string log = s->log_text();
  EXPECT_NE(log.find("\"msg\":\"stopped\""), std::string::npos);
}

TEST_P(ServerTest, ConnectionLimitAnswers503ToTheOneTooMany) {
  auto s = start({"--set", "server.max_connections=2"});
  HttpClient a(s->base_url()), b(s->base_url());
  ASSERT_EQ(a.get("/healthz").status, 200);
  ASSERT_EQ(b.get("/healthz").status, 200);
  std::string third = raw_exchange(s->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 2000);
  EXPECT_NE(third.find("503"), std::string::npos) << third;
  EXPECT_NE(third.find("too_many_connections"), std::string::npos);
  EXPECT_EQ(a.get("/healthz").status, 200);  // the kept connections still work
}

TEST_P(ServerTest, MetricsShowRoutesStatusesLatencyAndPool) {
  auto s = start({"--set", "server.metrics_token=scrape-me"});
  HttpClient c(s->base_url());
  c.get("/healthz");
  c.get("/healthz");
  c.get("/missing");
  EXPECT_EQ(c.get("/metrics").status, 401);  // not public (review L5)
  auto m = c.request("GET", "/metrics", {}, {"Authorization: Bearer scrape-me"});
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(m.body.find("certseal_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"),
            std::string::npos) << m.body;
  EXPECT_NE(m.body.find("status=\"404\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("certseal_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"),
            std::string::npos);
  EXPECT_NE(m.body.find("certseal_db_pool_connections{engine=\"" + GetParam() + "\",state=\"max\"}"),
            std::string::npos);
}

TEST_P(ServerTest, LogsAreJsonLinesWithRequestIds) {
  auto s = start();
  HttpClient c(s->base_url());
  auto r = c.request("GET", "/healthz", {}, {"X-Request-Id: trace-me-42"});
  EXPECT_EQ(r.header("x-request-id"), "trace-me-42");
  s->terminate();
  std::istringstream in(s->log_text());
  std::string line;
  bool found = false;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg"));
    if (j.value("request_id", "") == "trace-me-42") {
      found = true;
      EXPECT_EQ(j["status"], 200);
      EXPECT_EQ(j["route"], "/healthz");
    }
  }
  EXPECT_TRUE(found);
}

TEST_P(ServerTest, MigrationsFromTwoProcessesAtOnce) {
  std::vector<std::string> args = {"migrate", "--data-dir", opts_.data_dir, "--db-engine", GetParam()};
  if (GetParam() == "postgres") {
    args.push_back("--db-url");
    args.push_back(opts_.pg_url);
  }
  std::string log1 = dir_.path() + "/m1.log", log2 = dir_.path() + "/m2.log";
  int rc1 = -1, rc2 = -1;
  std::thread a([&] { rc1 = run_certseald(args, log1); });
  std::thread b([&] { rc2 = run_certseald(args, log2); });
  a.join();
  b.join();
  ASSERT_EQ(rc1, 0) << read_file(log1);
  ASSERT_EQ(rc2, 0) << read_file(log2);
  auto report = [](const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.contains("applied") && j.contains("current") && !j.contains("msg")) {
        return j;
      }
    }
    return nlohmann::json();
  };
  auto j1 = report(read_file(log1)), j2 = report(read_file(log2));
  ASSERT_FALSE(j1.is_null());
  ASSERT_FALSE(j2.is_null());
  EXPECT_EQ(j1["current"], j2["current"]);
  // Every version applied by exactly one of the two: together they applied the whole schema once.
  std::set<int> all;
  for (auto& v : j1["applied"]) all.insert(v.get<int>());
  for (auto& v : j2["applied"]) EXPECT_TRUE(all.insert(v.get<int>()).second) << "applied twice: " << v;
  EXPECT_FALSE(all.empty());
  EXPECT_EQ(*all.rbegin(), j1["current"].get<int>());
  // And a third run, later, has nothing to do.
  std::string log3 = dir_.path() + "/m3.log";
  ASSERT_EQ(run_certseald(args, log3), 0);
  EXPECT_TRUE(report(read_file(log3))["applied"].empty());
}

TEST_P(ServerTest, ServesTlsFromPemFiles) {
  std::string key = dir_.path() + "/tls.key", cert = dir_.path() + "/tls.pem";
  std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
                    "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " + key +
                    " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto s = start({"--set", "server.tls_cert=" + cert, "--set", "server.tls_key=" + key});
  ASSERT_TRUE(s->started());
  HttpClient c("https://127.0.0.1:" + std::to_string(s->port()));
  c.set_ca_file(cert);
  auto r = c.get("/healthz");
  EXPECT_EQ(r.status, 200) << r.transport_error;
  // Plain HTTP on the TLS port gets nothing useful.
  HttpClient plain(s->base_url());
  EXPECT_NE(plain.get("/healthz").status, 200);
  EXPECT_EQ(s->terminate(), 0);
}

// The built mobile app at /app/ (web.app_dir): the index revalidated, hashed assets cached a
// year, the precompressed copy for gzip clients, client routes get the index; a folder that is
// not a built app stops the server at start with a clear line.
TEST_P(ServerTest, ServesTheBuiltMobileAppUnderApp) {
  const std::string app = dir_.path() + "/dist";
  std::filesystem::create_directories(app + "/assets");
  std::ofstream(app + "/index.html") << "<!doctype html><title>CertSeal</title>";
  std::ofstream(app + "/assets/index-Ab12.js") << "console.log('app')";
  std::ofstream(app + "/assets/index-Ab12.js.gz") << "precompressed";
  auto s = start({"--set", "web.app_dir=" + app});
  ASSERT_TRUE(s->started());
  HttpClient c(s->base_url());
  auto index = c.get("/app/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>CertSeal</title>");
  EXPECT_EQ(index.header("cache-control"), "no-cache");
  EXPECT_NE(index.header("content-security-policy").find("frame-ancestors 'none'"), std::string::npos);
  auto js = c.get("/app/assets/index-Ab12.js");
  EXPECT_EQ(js.body, "console.log('app')");
  EXPECT_EQ(js.header("cache-control"), "public, max-age=31536000, immutable");
  auto gz = c.request("GET", "/app/assets/index-Ab12.js", "", {"Accept-Encoding: gzip"});
  EXPECT_EQ(gz.header("content-encoding"), "gzip");
  EXPECT_EQ(c.get("/app/orders/123").body, index.body);
  EXPECT_EQ(c.get("/app/../certseald.toml").status, 404);
  EXPECT_EQ(s->terminate(), 0);

  auto o = opts_;
  o.extra_args = {"--set", "web.app_dir=" + dir_.path() + "/nothing-built-here"};
  ServerProcess refused(o);
  EXPECT_FALSE(refused.started());
  EXPECT_NE(refused.log_text().find("web app"), std::string::npos) << refused.log_text();
}

// The built operator console at /console/ (web.console_dir), beside the app; a folder that is not
// a built console stops the server at start.
TEST_P(ServerTest, ServesTheBuiltConsoleUnderConsole) {
  const std::string console = dir_.path() + "/console-dist";
  std::filesystem::create_directories(console + "/assets");
  std::ofstream(console + "/index.html") << "<!doctype html><title>CertSeal console</title>";
  std::ofstream(console + "/assets/main-Cd34.js") << "console.log('console')";
  auto s = start({"--set", "web.console_dir=" + console});
  ASSERT_TRUE(s->started());
  HttpClient c(s->base_url());
  auto index = c.get("/console/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>CertSeal console</title>");
  EXPECT_EQ(index.header("cache-control"), "no-cache");
  EXPECT_EQ(c.get("/console/assets/main-Cd34.js").header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(c.get("/console/queues/orders").body, index.body);
  EXPECT_EQ(c.get("/app/").status, 404);  // no app configured: only the console is served
  EXPECT_EQ(s->terminate(), 0);

  auto o = opts_;
  o.extra_args = {"--set", "web.console_dir=" + dir_.path() + "/nothing-built-here"};
  ServerProcess refused(o);
  EXPECT_FALSE(refused.started());
  EXPECT_NE(refused.log_text().find("web console"), std::string::npos) << refused.log_text();
}

INSTANTIATE_TEST_SUITE_P(Engines, ServerTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

TEST(ServerConfig, BadConfigurationExitsWithAOneLineMessage) {
  TempDir dir;
  std::string log = dir.path() + "/out.log";
  EXPECT_EQ(run_certseald({"--data-dir", dir.path(), "--db-engine", "oracle"}, log), 2);
  std::string text = read_file(log);
  EXPECT_NE(text.find("db.engine must be sqlite or postgres"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
}

TEST(ServerConfig, UnreachablePostgresFailsCleanly) {
  TempDir dir;
  std::string log = dir.path() + "/out.log";
  EXPECT_EQ(run_certseald({"migrate", "--data-dir", dir.path(), "--db-engine", "postgres", "--db-url",
                           "postgresql://x@127.0.0.1:1/none"}, log), 1);
  std::string text = read_file(log);
  EXPECT_NE(text.find("database is not reachable: connection refused"), std::string::npos) << text;
}

// A PostgreSQL that answers but has no such database says so, not only "not reachable".
TEST(ServerConfig, PostgresWithoutTheDatabaseSaysNoSuchDatabase) {
  CERTSEAL_REQUIRE_PG_DB(pg);
  std::string url = pg.url();
  url = url.substr(0, url.rfind('/')) + "/certseal_no_such_db";
  TempDir dir;
  std::string log = dir.path() + "/out.log";
  EXPECT_EQ(run_certseald({"migrate", "--data-dir", dir.path(), "--db-engine", "postgres", "--db-url", url}, log), 1);
  std::string text = read_file(log);
  EXPECT_NE(text.find("database is not reachable: no such database"), std::string::npos) << text;
  EXPECT_EQ(text.find("connection refused"), std::string::npos) << text;
}

}  // namespace
}  // namespace certseal::testing
