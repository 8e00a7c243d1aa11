// The client's token and transport policy, from the side of a server that must not get the
// token (security review L6).
#include "client/origin.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "client/http.h"

namespace certseal::client {
namespace {

TEST(Origin, ParsesSchemeHostAndDefaultPorts) {
  auto a = parse_origin("https://CA.Example/api/v1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->scheme, "https");
  EXPECT_EQ(a->host, "ca.example");
  EXPECT_EQ(a->port, 443);
  auto b = parse_origin("http://[::1]:8080");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 8080);
  EXPECT_FALSE(parse_origin("ftp://ca.example"));
  EXPECT_FALSE(parse_origin("ca.example"));
  EXPECT_FALSE(parse_origin("https://user:pw@ca.example"));
  EXPECT_FALSE(parse_origin("https://ca.example:99999"));
}

TEST(Origin, APrefixOfTheHostIsNotTheSameOrigin) {
  EXPECT_TRUE(same_origin("https://a.example", "https://a.example:443/x"));
  EXPECT_FALSE(same_origin("https://a.example", "https://a.example.evil.net"));
  EXPECT_FALSE(same_origin("https://a.example", "https://a.example:8443"));
  EXPECT_FALSE(same_origin("https://a.example", "http://a.example"));
  EXPECT_FALSE(same_origin("https://a.example", "https://a.example@evil.net"));
}

TEST(Origin, PlainHttpOnlyToLoopback) {
  EXPECT_TRUE(check_transport("https://ca.example"));
  EXPECT_TRUE(check_transport("http://127.0.0.1:8080"));
  EXPECT_TRUE(check_transport("http://127.9.9.9"));
  EXPECT_TRUE(check_transport("http://[::1]:1"));
  EXPECT_TRUE(check_transport("http://localhost:8080"));
  auto s = check_transport("http://ca.example");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, "insecure_server_url");
  EXPECT_FALSE(check_transport("http://128.0.0.1"));
  EXPECT_FALSE(check_transport("http://localhost.evil.net"));
}

// A one-shot HTTP server on loopback that records the request it got.
class OneShotServer {
 public:
  OneShotServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[8192];
      ssize_t n;
      while ((n = ::recv(c, buf, sizeof buf, 0)) > 0) {
        request_.append(buf, static_cast<std::size_t>(n));
        if (request_.find("\r\n\r\n") != std::string::npos) break;
      }
      std::string ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
      (void)::send(c, ok.data(), ok.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneShotServer() {
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(ClientToken, GoesToTheOriginThatIssuedIt) {
  OneShotServer server;
  Http http(server.url(), "secret-token", server.url());
  auto r = http.call("GET", "/api/v1/account");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(server.request().find("Authorization: Bearer secret-token"), std::string::npos);
}

TEST(ClientToken, AnotherServerGetsNoToken) {
  // --server points at this server, but the saved session was issued by another origin.
  OneShotServer elsewhere;
  Http http(elsewhere.url(), "secret-token", "http://127.0.0.1:1");
  EXPECT_FALSE(http.sends_token_to(elsewhere.url() + "/api/v1/account"));
  auto r = http.call("GET", "/api/v1/account");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(elsewhere.request().find("secret-token"), std::string::npos) << elsewhere.request();
}

TEST(ClientToken, AbsoluteUrlsWithTheBaseAsPrefixGetNoToken) {
  Http http("https://a.example", "secret-token");
  EXPECT_TRUE(http.sends_token_to("https://a.example/api/v1/account"));
  EXPECT_FALSE(http.sends_token_to("https://a.example.evil.net/api/v1/account"));
  EXPECT_FALSE(http.sends_token_to("https://a.example:444/x"));
  EXPECT_FALSE(http.sends_token_to("http://a.example/x"));
}

TEST(ClientToken, PlainHttpToAnotherMachineIsRefusedBeforeConnecting) {
  Http http("http://192.0.2.1:8080", "secret-token");
  auto r = http.call("GET", "/api/v1/account");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "insecure_server_url");
}

}  // namespace
}  // namespace certseal::client
