// The HTTP server's limits against a real certseald, from the attacker's side (security review
// M6, L5, L9; issue 11 item 6): slowloris from one address, a large body before authentication,
// deeply nested JSON, request floods from one address behind a trusted proxy, a process short of
// file descriptors, /metrics without credentials, credentials in the third-party list, sniffable
// downloads, and the application-form e-mail as a relay. OCSP and TSA limits (M7) are in
// pki_test.cpp; the client's token policy (L6) in client/origin_test.cpp.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "base/bytes.h"
#include "base/encoding.h"
#include "support/api_fixture.h"

namespace certseal::testing {
namespace {

// A real 1×1 PNG: uploads are checked from the image header (review M8), so a file that only
// starts with the PNG signature is refused; what follows IEND is the payload of each test.
std::string png_with_trailer(const std::string& trailer) {
  return to_string(*hex_decode("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cf"
                               "c0f01f00050001ff89993d1d0000000049454e44ae426082")) +
         trailer;
}

using namespace std::chrono_literals;

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const std::string& s) { (void)::send(fd, s.data(), s.size(), MSG_NOSIGNAL); }

// What the server sends until it closes or `timeout` passes; *closed tells which.
std::string drain(int fd, std::chrono::milliseconds timeout, bool* closed = nullptr) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (closed) *closed = false;
  for (;;) {  // polls at least once, even with a timeout of 0
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, left.count()))) <= 0) return out;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

class ServerLimitsTest : public ApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    return {"--set", "server.header_timeout_ms=1000", "--set", "server.body_timeout_ms=1000",
            "--set", "server.body_min_bytes_per_s=2048", "--set", "server.idle_timeout_ms=5000",
            "--set", "server.max_connections_per_address=24", "--set", "server.metrics_token=scrape-secret-123",
            "--set", "limits.form_email_per_day_per_account=2", "--set", "email.sender=smtp",
            "--set", "limits.pc_pairings_per_hour_per_address=3",
            "--set", "limits.shield_enrolments_per_hour_per_account=2",
            "--set", "email.smtp_url=smtps://apikey:s3cr3t@mail.example:465/relay",
            "--set", "email.from=noreply@certseal.example"};
  }
};

// Slowloris: one address opens connection after connection and trickles a header into each.
// It gets at most server.max_connections_per_address of them, every one is cut at the header
// timeout, and other clients are served all along.
TEST_P(ServerLimitsTest, SlowlorisFromOneAddressIsCappedAndCut) {
  std::vector<int> slow;
  std::string refused;
  for (int i = 0; i < 40; ++i) {
    int fd = connect_to(server_->port());
    ASSERT_GE(fd, 0);
    send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ");
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5) > 0) {  // all within well under the 1 s header timeout
      refused = drain(fd, 500ms);
      ::close(fd);
      break;
    }
    slow.push_back(fd);
  }
  EXPECT_LE(slow.size(), 24u);
  EXPECT_NE(refused.find("429"), std::string::npos) << refused;
  EXPECT_NE(refused.find("too_many_connections_from_address"), std::string::npos) << refused;
  // Keep trickling one byte every 200 ms; the server still closes each at the header timeout.
  auto t0 = std::chrono::steady_clock::now();
  std::vector<bool> closed(slow.size(), false);
  std::size_t n_closed = 0;
  while (n_closed < slow.size() && std::chrono::steady_clock::now() - t0 < 5s) {
    for (std::size_t i = 0; i < slow.size(); ++i) {
      if (closed[i]) continue;
      send_all(slow[i], "a");
      bool c = false;
      drain(slow[i], 0ms, &c);
      if (c) {
        closed[i] = true;
        ++n_closed;
      }
    }
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(n_closed, slow.size());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  for (int fd : slow) ::close(fd);
  HttpClient other(server_->base_url());
  EXPECT_EQ(other.get("/healthz").status, 200);
}

// A body that trickles in below server.body_min_bytes_per_s is cut.
TEST_P(ServerLimitsTest, SlowBodyIsCut) {
  int fd = connect_to(server_->port());
  send_all(fd, "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 4000\r\n\r\n{");
  auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() - t0 < 6s) {
    send_all(fd, " ");
    drain(fd, 100ms, &closed);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  ::close(fd);
}

// 8 MiB announced to the upload route without a session: 401 at once, and not a byte of the
// body is waited for. A JSON route refuses a body above 64 KiB the same way (413).
TEST_P(ServerLimitsTest, EightMiBBodyBeforeLoginIsRefusedUnread) {
  int fd = connect_to(server_->port());
  send_all(fd, "POST /api/v1/blobs?purpose=licence HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
               "Content-Length: 8388608\r\n\r\n");
  auto t0 = std::chrono::steady_clock::now();
  std::string r = drain(fd, 3s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_NE(r.find("HTTP/1.1 401"), std::string::npos) << r;
  EXPECT_NE(r.find("application/problem+json"), std::string::npos) << r;
  ::close(fd);

  fd = connect_to(server_->port());
  send_all(fd, "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 1048576\r\n\r\n");
  r = drain(fd, 3s);
  EXPECT_NE(r.find("HTTP/1.1 413"), std::string::npos) << r;
  ::close(fd);
  // Sent in full, 65 KiB of JSON is still too much for a JSON route.
  auto big = http_->request("POST", "/api/v1/sessions", std::string(65 * 1024, ' '), {"Content-Type: application/json"});
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.json()["code"], "payload_too_large");

  // A logged-in user may upload a large file.
  std::string token = register_person("13900000501", "Passw0rd!x");
  std::string png = png_with_trailer(std::string(300 * 1024, 'p'));
  auto up = http_->request("POST", "/api/v1/blobs?purpose=licence", png,
                           {"Content-Type: image/png", "Authorization: Bearer " + token});
  EXPECT_EQ(up.status, 201) << up.body;
}

TEST_P(ServerLimitsTest, DeeplyNestedJsonIsRefusedWith400) {
  std::string deep = std::string(20000, '[') + std::string(20000, ']');
  auto r = http_->request("POST", "/api/v1/sessions", deep, {"Content-Type: application/json"});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["code"], "json_too_deep");
  std::string objects;
  for (int i = 0; i < 33; ++i) objects += "{\"a\":";
  objects += "1" + std::string(33, '}');
  r = http_->request("POST", "/api/v1/sessions", objects, {"Content-Type: application/json"});
  EXPECT_EQ(r.json()["code"], "json_too_deep");
  EXPECT_EQ(http_->get("/healthz").status, 200);
}

TEST_P(ServerLimitsTest, MetricsNeedAnOperatorOrTheScrapeToken) {
  EXPECT_EQ(http_->get("/metrics").status, 401);
  EXPECT_EQ(http_->request("GET", "/metrics", {}, {"Authorization: Bearer wrong-token"}).status, 401);
  std::string user = register_person("13900000502", "Passw0rd!x");
  EXPECT_EQ(http_->request("GET", "/metrics", {}, auth(user)).status, 403);
  EXPECT_EQ(http_->request("GET", "/metrics", {}, auth(operator_token_)).status, 200);
  auto scraped = http_->request("GET", "/metrics", {}, {"Authorization: Bearer scrape-secret-123"});
  EXPECT_EQ(scraped.status, 200);
  EXPECT_NE(scraped.body.find("certseal_http_requests_rate_limited_total"), std::string::npos);
}

TEST_P(ServerLimitsTest, ThirdPartiesShowTheMailHostWithoutCredentials) {
  std::string user = register_person("13900000503", "Passw0rd!x");
  auto r = call("GET", "/api/v1/account/third-parties", user);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("mail.example:465"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("s3cr3t"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("apikey"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("/relay"), std::string::npos) << r.body;
}

// The platform's mail server sends the application form to an address the caller names: each
// account has a small daily budget, so it cannot be used as an open relay.
TEST_P(ServerLimitsTest, FormEmailRelayIsBudgetedPerAccount) {
  std::string user = register_person("13900000504", "Passw0rd!x");
  for (int i = 0; i < 2; ++i) {
    auto r = call("POST", "/api/v1/orders/no-such-order/application-form/email", user, {{"email", "victim@example.org"}});
    EXPECT_EQ(r.status, 404) << r.body;
  }
  auto r = call("POST", "/api/v1/orders/no-such-order/application-form/email", user, {{"email", "victim@example.org"}});
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.json()["code"], "rate_limited");
  std::string other = register_person("13900000505", "Passw0rd!x");
  EXPECT_EQ(call("POST", "/api/v1/orders/no-such-order/application-form/email", other, {{"email", "a@example.org"}}).status,
            404);
}

// Each shield installation or reissue attempt, failed ones too, costs the server the check of the
// device's key-generation message (for P-256 two proofs over a Paillier modulus): one account gets a
// budget per hour that installation and reissue share, and other accounts keep theirs.
TEST_P(ServerLimitsTest, ShieldEnrolmentsAreBudgetedPerAccount) {
  std::string user = register_person("13900000507", "Passw0rd!x");
  const nlohmann::json junk = {{"device_id", "device-1"}, {"device_name", "phone"}, {"p1", "AAAA"}};
  for (int i = 0; i < 2; ++i) {
    auto r = call("POST", "/api/v1/orders/no-such-order/installation", user, junk);
    EXPECT_NE(r.status, 429) << i << " " << r.body;
    EXPECT_EQ(r.status / 100, 4) << r.body;
  }
  for (const char* path : {"/api/v1/orders/no-such-order/installation", "/api/v1/account/certificates/no-such-cert/reissues"}) {
    SCOPED_TRACE(path);
    auto r = call("POST", path, user, junk);
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(r.json()["code"], "rate_limited");
  }
  std::string other = register_person("13900000508", "Passw0rd!x");
  auto r = call("POST", "/api/v1/orders/no-such-order/installation", other, junk);
  EXPECT_NE(r.status, 429) << r.body;
  EXPECT_EQ(r.status / 100, 4) << r.body;
}

// An uploaded file is served as a download that browsers neither sniff nor render in our origin.
// Starting a PC pairing needs no account and stores a pending link: one address gets a small
// budget per hour, and the links it already has keep working.
TEST_P(ServerLimitsTest, PcPairingsAreBudgetedPerAddress) {
  std::string first_token;
  for (int i = 0; i < 3; ++i) {
    auto r = call("POST", "/api/v1/pc/pairings", "", {{"name", "办公电脑 " + std::to_string(i)}});
    ASSERT_EQ(r.status, 201) << i << " " << r.body;
    if (i == 0) first_token = r.json()["token"];
  }
  auto r = call("POST", "/api/v1/pc/pairings", "", {{"name", "办公电脑 3"}});
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.json()["code"], "rate_limited");
  auto link = http_->request("GET", "/api/v1/pc/link", {}, {"Authorization: PC " + first_token});
  EXPECT_EQ(link.status, 200) << link.body;
}

TEST_P(ServerLimitsTest, BlobDownloadsAreAttachmentsThatAreNeverSniffed) {
  std::string token = register_person("13900000506", "Passw0rd!x");
  std::string png = png_with_trailer("<html><script>alert(1)</script></html>");
  auto up = http_->request("POST", "/api/v1/blobs?purpose=licence", png,
                           {"Content-Type: image/png", "Authorization: Bearer " + token});
  ASSERT_EQ(up.status, 201) << up.body;
  std::string id = up.json()["id"];
  for (auto [path, who] : {std::pair{"/api/v1/blobs/" + id, token}, std::pair{"/api/v1/operator/blobs/" + id, operator_token_}}) {
    SCOPED_TRACE(path);
    auto r = http_->request("GET", path, {}, auth(who));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.header("content-disposition").rfind("attachment", 0), 0u) << r.header("content-disposition");
    EXPECT_NE(r.header("content-security-policy").find("sandbox"), std::string::npos);
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ServerLimitsTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

// A server behind a trusted reverse proxy on 127.0.0.1: requests are counted per client address
// from X-Forwarded-For.
class ProxyRateLimitTest : public ::testing::TestWithParam<std::string> {
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
  TempDir dir_;
  std::unique_ptr<FreshPgDatabase> pg_;
  ServerOptions opts_;
};

TEST_P(ProxyRateLimitTest, AFloodingClientIsThrottledOthersAreNot) {
  opts_.extra_args = {"--set", "server.trusted_proxies=127.0.0.1", "--set", "server.requests_per_s_per_address=1",
                      "--set", "server.request_burst_per_address=5"};
  ServerProcess s(opts_);
  ASSERT_TRUE(s.started()) << s.log_text();
  HttpClient c(s.base_url());
  auto from = [&](const std::string& xff) { return c.request("GET", "/healthz", {}, {"X-Forwarded-For: " + xff}); };
  for (int i = 0; i < 5; ++i) ASSERT_EQ(from("198.51.100.7").status, 200) << i;
  auto r = from("198.51.100.7");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.json()["code"], "rate_limited");
  EXPECT_FALSE(r.header("retry-after").empty());
  // Prepending a made-up address does not buy a fresh bucket: the right-most untrusted counts.
  EXPECT_EQ(from("203.0.113.1, 198.51.100.7").status, 429);
  HttpClient c2(s.base_url());
  EXPECT_EQ(c2.request("GET", "/healthz", {}, {"X-Forwarded-For: 198.51.100.8"}).status, 200);
}

// Issue 11 item 6: certseald under `prlimit --nofile=64`, with server.max_connections at its
// default of 1024. It lowers max_connections to what the descriptors allow and says so; 300 idle
// connections get either a connection or a 503, never silence; the log stays short; the server
// keeps answering.
TEST_P(ProxyRateLimitTest, FewDescriptorsManyIdleConnections) {
  opts_.wrapper = {"/usr/bin/prlimit", "--nofile=64:64", "--"};
  opts_.extra_args = {"--set", "server.max_connections_per_address=0"};
  ServerProcess s(opts_);
  ASSERT_TRUE(s.started()) << s.log_text();
  EXPECT_NE(s.log_text().find("max_connections lowered"), std::string::npos) << s.log_text();
  std::vector<int> fds;
  for (int i = 0; i < 300; ++i) {
    int fd = connect_to(s.port());
    ASSERT_GE(fd, 0) << i;
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(1s);
  int answered = 0;
  for (int fd : fds) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0) {
      char buf[1024];
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0 && std::string(buf, static_cast<std::size_t>(n)).find(" 503 ") != std::string::npos) ++answered;
    }
  }
  EXPECT_GE(answered, 250);  // everyone past the (lowered) limit heard 503
  // A client arriving now is answered at once too.
  auto t0 = std::chrono::steady_clock::now();
  std::string late = raw_exchange(s.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 2000);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1500ms);
  EXPECT_NE(late.find("503"), std::string::npos) << late;
  for (int fd : fds) ::close(fd);
  std::this_thread::sleep_for(500ms);
  HttpClient c(s.base_url());
  EXPECT_EQ(c.get("/healthz").status, 200);
  std::size_t lines = 0;
  std::string log = s.log_text();
  for (char ch : log) lines += ch == '\n';
  EXPECT_LT(lines, 60u) << log.substr(0, 4000);
}

INSTANTIATE_TEST_SUITE_P(Engines, ProxyRateLimitTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace certseal::testing
