// An HTTP/1.1 server on Boost.Beast/Asio: keep-alive, optional TLS, limits, graceful shutdown.
//
// Contract:
// - The Handler is called on one of `threads` I/O threads and may block (database calls); it
//   must be thread-safe. One connection is handled by one strand, so its requests are serial.
// - Limits: request header bytes (431 when exceeded), body bytes (413), time to read a whole
//   request (the connection is closed), simultaneous connections (503 for the one too many).
// - shutdown(grace): stops accepting, closes connections that are idle between requests, lets
//   requests in flight finish and be answered (with "Connection: close"), and returns from
//   run() when all are done or `grace` has passed, whichever is first. Thread-safe and
//   async-signal-independent (call it from any thread; SIGTERM/SIGINT are handled by
//   run_until_signal()).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/log.h"
#include "base/result.h"
#include "net/http.h"

namespace certseal::net {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; see HttpServer::port()
  int threads = 2;
  std::size_t max_connections = 1024;
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1024 * 1024;
  std::chrono::milliseconds request_timeout{30'000};
  std::string tls_cert_file;  // PEM; TLS is on when both files are set
  std::string tls_key_file;   // PEM
};

struct TransportStats {
  std::int64_t connections_open = 0;
  std::int64_t connections_total = 0;
  std::int64_t connections_refused = 0;
};

class HttpServer {
 public:
  HttpServer(ServerOptions opts, Handler handler, RefusalRenderer refusal, Logger& log);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. After success port() is the bound port.
  Status listen();
  std::uint16_t port() const;
  bool tls() const;

  // Runs the I/O threads until shutdown() completes. Blocks.
  void run();
  // Like run(), but SIGTERM or SIGINT starts shutdown(grace).
  void run_until_signal(std::chrono::milliseconds grace);
  void shutdown(std::chrono::milliseconds grace);

  TransportStats stats() const;

  class Impl;  // defined in http_server.cpp

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace certseal::net
