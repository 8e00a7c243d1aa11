// Raw bytes on certseald's port: the HTTP/1.1 server (net/http_server.h) with its limits —
// header size, body size, the small-body/admission split, per-connection keep-alive — running
// in this process on a loopback port, fed each input on a fresh connection that then closes its
// sending side. The handler and the admission hook look at every field the server parsed. The
// property: every input ends with an answer or a close, and the server keeps serving (a crash,
// a hang past the timeouts or a memory error is what the fuzzer reports).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "fuzz/fuzz_input.h"
#include "net/http_server.h"

using namespace certseal;
using namespace std::chrono_literals;

namespace {

net::Response refusal(int status, std::string_view code, std::string_view) {
  net::Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = "{\"code\":\"" + std::string(code) + "\"}";
  return r;
}

net::Response echo(net::Request& req) {
  net::Response r;
  r.body = req.method + " " + req.path + " " + req.query + " " + std::to_string(req.body.size()) + " " +
           std::string(req.header("Content-Type"));
  return r;
}

std::uint16_t server_port() {
  static const std::uint16_t port = [] {
    static SystemClock clock;
    static JsonLinesLogger log(clock, LogLevel::kError);
    net::ServerOptions o;
    o.port = 0;
    o.threads = 1;
    o.header_limit = 2048;
    o.body_limit = 8192;
    o.small_body_limit = 1024;
    o.header_timeout = 2s;
    o.body_timeout = 2s;
    auto* server = new net::HttpServer(
        o, echo, refusal, log,
        [](const net::Request& head, std::size_t* limit) -> std::optional<net::Response> {
          // Large bodies only on /upload; anything else above the small limit is refused.
          if (head.path != "/upload") return refusal(413, "payload_too_large", "");
          *limit = 8192;
          return std::nullopt;
        });
    if (!server->listen()) std::abort();
    std::thread([server] { server->run(); }).detach();
    return server->port();
  }();
  return port;
}

// A connected socket to the server on loopback. A refused connection means the server died:
// that aborts, with the reason. Any other failure is retried for a second first.
//
// Each connection comes from the next source address in 127.0.0.0/8. The client half-closes
// first, so its side of every connection waits a minute in TIME_WAIT; from one source address, a
// campaign at ~900 inputs a second ran out of loopback ports after 480,000 inputs, and the failed
// connect looked like a dead server.
int connect_to(std::uint16_t port) {
  static std::uint32_t next_source = 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int err = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7F000002u + (next_source++ % 0xFFFF00u));  // 127.0.0.2 .. 127.255.255.x
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0 &&
        ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      return fd;
    }
    err = errno;
    if (fd >= 0) ::close(fd);
    if (err == ECONNREFUSED) break;
    std::this_thread::sleep_for(10ms);
  }
  std::fprintf(stderr, "http_fuzz: cannot connect to the server: %s\n", std::strerror(err));
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::uint16_t port = server_port();
  const int fd = connect_to(port);
  (void)::send(fd, data, size, MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  // Read until the server closes; 5 s is well past every timeout above.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) std::abort();  // neither an answer nor a close
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    if (::recv(fd, buf, sizeof buf, 0) <= 0) break;
  }
  ::close(fd);
  return 0;
}
