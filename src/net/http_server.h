// An HTTP/1.1 server on Boost.Beast/Asio: keep-alive, optional TLS, limits, graceful shutdown.
//
// Contract:
// - The Handler runs on a bounded worker pool (`workers` threads, `worker_queue` waiting
//   requests), never on the I/O threads, and may block (database calls); it must be thread-safe.
//   When the queue is full the request is answered 503 server_busy at once. Requests for which
//   `runs_inline` says so (handlers that never block) run on the I/O thread instead. One
//   connection's requests are serial.
// - Limits, each answered with the RefusalRenderer's problem: header bytes (431), body bytes
//   (413), simultaneous connections (503 too_many_connections; `max_connections` is lowered at
//   listen() to what RLIMIT_NOFILE allows, and logged), connections per client address (429),
//   requests per client address (429 with Retry-After). Timeouts close the connection: the
//   header block must arrive within `header_timeout` (from accept, or from the first byte of a
//   later keep-alive request), a kept-alive connection may sit idle for `idle_timeout`, and the
//   body must keep up `body_min_rate` bytes/s after a grace of `body_timeout`.
// - Bodies up to `small_body_limit` are read at once. A larger announced body is first shown to
//   the Admission hook (on a worker thread) with the head only: it decides the limit for that
//   request (e.g. after checking the session) or refuses it, and no body byte is read before.
// - The client address of a request is the TCP peer, or, when the peer is one of
//   `trusted_proxies`, what X-Forwarded-For says (see net/client_address.h).
// - When accept() fails for lack of descriptors (EMFILE/ENFILE) the server backs off for a
//   moment, uses a reserved descriptor to answer the waiting clients 503 and close them, and logs
//   the failure at most once every 5 s (with the count of repeats).
// - shutdown(grace): stops accepting, closes connections that are idle between requests, lets
//   requests in flight finish and be answered (with "Connection: close"), and returns from
//   run() when all are done or `grace` has passed, whichever is first. Thread-safe and
//   async-signal-independent (call it from any thread; SIGTERM/SIGINT are handled after
//   handle_signals() or in run_until_signal()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "base/log.h"
#include "base/result.h"
#include "net/http.h"
#include "net/rate_limiter.h"

namespace certseal::net {

class WorkerPool;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 picks a free port; see HttpServer::port()
  int threads = 2;
  std::size_t max_connections = 1024;
  std::size_t header_limit = 16 * 1024;
  std::size_t body_limit = 1024 * 1024;        // the largest body any request may have (413 above)
  std::size_t small_body_limit = 64 * 1024;    // read without asking the Admission hook
  std::chrono::milliseconds request_timeout{30'000};  // to send one response
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds body_timeout{10'000};     // grace before body_min_rate applies
  std::size_t body_min_rate = 4096;                   // bytes per second
  std::size_t max_connections_per_address = 0;        // 0: no per-address limit
  RateLimit requests_per_address{};                   // rate 0: no per-address request limit
  std::string trusted_proxies;                        // see net/client_address.h
  int workers = 8;
  std::size_t worker_queue = 256;
  std::size_t fd_reserve = 32;  // descriptors kept for everything else (database, files, logs)
  // TEST_ only: false keeps max_connections as given, so tests can run out of descriptors.
  bool fit_max_connections_to_nofile = true;
  std::string tls_cert_file;  // PEM; TLS is on when both files are set
  std::string tls_key_file;   // PEM
};

struct TransportStats {
  std::int64_t connections_open = 0;
  std::int64_t connections_total = 0;
  std::int64_t connections_refused = 0;       // over max_connections or per address
  std::int64_t requests_rate_limited = 0;     // 429 by the per-address request limit
  std::int64_t requests_busy = 0;             // 503 because the worker queue was full
  std::int64_t accept_descriptor_failures = 0;  // EMFILE/ENFILE
  std::int64_t worker_queue = 0;              // requests waiting for a worker now
};

// Called for a request whose head announces a body larger than small_body_limit, before any
// of the body is read (see the contract above). Returns a response to refuse the request, or
// nullopt after setting *limit to the largest body this request may have.
using Admission = std::function<std::optional<Response>(const Request& head, std::size_t* limit)>;
// True for requests whose handler never blocks; they run on the I/O thread.
using InlinePredicate = std::function<bool(const Request& head)>;

class HttpServer {
 public:
  HttpServer(ServerOptions opts, Handler handler, RefusalRenderer refusal, Logger& log,
             Admission admit = nullptr, InlinePredicate runs_inline = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. After success port() is the bound port.
  Status listen();
  std::uint16_t port() const;
  bool tls() const;

  // Runs the I/O threads until shutdown() completes, then waits for handlers still running on
  // the worker pool and stops it (the server does not run again). Blocks.
  void run();
  // From now on SIGTERM or SIGINT starts shutdown(grace) (once run() runs). Call it before the
  // port is announced, so that a signal sent the moment the port is known is a graceful stop and
  // not the default action. At most once.
  void handle_signals(std::chrono::milliseconds grace);
  // handle_signals(grace), then run().
  void run_until_signal(std::chrono::milliseconds grace);
  void shutdown(std::chrono::milliseconds grace);

  TransportStats stats() const;
  // max_connections after listen() fitted it to the open-files limit.
  std::size_t max_connections() const;

  class Impl;  // defined in http_server.cpp

 private:
  std::shared_ptr<Impl> impl_;
  std::unique_ptr<WorkerPool> pool_;  // outlives impl_'s I/O; joined first on destruction
};

}  // namespace certseal::net
