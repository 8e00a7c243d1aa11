#include "net/http_server.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "net/client_address.h"
#include "net/worker_pool.h"

namespace certseal::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using steady = std::chrono::steady_clock;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection if it is waiting for a new request; otherwise marks it to close after
  // the current response. Thread-safe (posts to the session's strand).
  virtual void drain() = 0;
};

namespace {

// A whole HTTP/1.1 response for refusals written straight to a socket (no session).
std::string wire_for(int status, const Response& r) {
  std::string reason = status == 503 ? "Service Unavailable" : status == 429 ? "Too Many Requests" : "Error";
  std::string w = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\nServer: certseald\r\nConnection: close\r\nContent-Type: " + r.content_type +
                  "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
  for (const auto& [k, v] : r.headers) w += k + ": " + v + "\r\n";
  return w + "\r\n" + r.body;
}

// Writes a prepared refusal without blocking, reads what the client already sent (so closing
// does not turn into a reset that loses the answer) and closes.
void refuse_fd(int fd, const std::string& wire) {
  (void)::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  ::shutdown(fd, SHUT_WR);
}

std::size_t open_descriptors() {
  std::error_code ec;
  std::size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(ServerOptions opts, Handler handler, RefusalRenderer refusal, Logger& log, Admission admit,
       InlinePredicate runs_inline, WorkerPool& pool, TrustedProxies proxies)
      : opts_(std::move(opts)),
        handler_(std::move(handler)),
        refusal_(std::move(refusal)),
        admit_(std::move(admit)),
        runs_inline_(std::move(runs_inline)),
        log_(log),
        pool_(pool),
        proxies_(std::move(proxies)),
        rate_(opts_.requests_per_address),
        iocs_(make_contexts(opts_.threads)),
        ioc_(*iocs_[0]),
        acceptor_(ioc_),
        ssl_ctx_(ssl::context::tls_server),
        signals_(ioc_),
        deadline_(ioc_),
        backoff_(ioc_) {
    for (auto& c : iocs_) guards_.emplace_back(asio::make_work_guard(*c));
  }
  ~Impl() {
    if (reserve_fd_ >= 0) ::close(reserve_fd_);
  }

  // One io_context per thread, each run by exactly one thread (concurrency hint 1: no internal
  // locking, no cross-thread wake-ups). Connections are spread round-robin over them.
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> v;
    for (int i = 0; i < (n > 0 ? n : 1); ++i) v.push_back(std::make_unique<asio::io_context>(1));
    return v;
  }
  asio::io_context& next_context() {
    return *iocs_[next_.fetch_add(1, std::memory_order_relaxed) % iocs_.size()];
  }
  void stop_all() {
    for (auto& c : iocs_) c->stop();
  }

  Status listen();
  void fit_to_descriptor_limit();
  void start_accept();
  void on_descriptors_exhausted(const error_code& ec);
  void run();
  void shutdown(std::chrono::milliseconds grace);
  void watch_signals(std::chrono::milliseconds grace);

  void add(const std::shared_ptr<SessionBase>& s) {
    std::lock_guard lock(mu_);
    sessions_.insert(s.get());
  }
  void remove(SessionBase* s, const std::string& counted_address) {
    std::lock_guard lock(mu_);
    sessions_.erase(s);
    if (!counted_address.empty()) {
      auto it = per_address_.find(counted_address);
      if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
    }
    --open_;
  }
  // Takes one connection slot for `addr`; false when it already has the most allowed.
  bool take_address_slot(const std::string& addr) {
    std::lock_guard lock(mu_);
    auto& n = per_address_[addr];
    if (n >= opts_.max_connections_per_address) {
      if (n == 0) per_address_.erase(addr);
      return false;
    }
    ++n;
    return true;
  }

  ServerOptions opts_;
  Handler handler_;
  RefusalRenderer refusal_;
  Admission admit_;
  InlinePredicate runs_inline_;
  Logger& log_;
  WorkerPool& pool_;
  TrustedProxies proxies_;
  KeyedRateLimiter rate_;
  std::vector<std::unique_ptr<asio::io_context>> iocs_;
  asio::io_context& ioc_;  // the first context: acceptor, signals, shutdown timers
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::atomic<std::size_t> next_{0};
  tcp::acceptor acceptor_;
  ssl::context ssl_ctx_;
  asio::signal_set signals_;
  asio::steady_timer deadline_;
  asio::steady_timer backoff_;  // accept pause after EMFILE/ENFILE
  bool tls_ = false;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<std::int64_t> open_{0}, total_{0}, refused_{0}, rate_limited_{0}, busy_{0}, fd_failures_{0};
  std::mutex mu_;
  std::set<SessionBase*> sessions_;
  std::map<std::string, std::size_t> per_address_;
  // Prepared answers for connections refused at accept (no per-connection rendering or log).
  std::string wire_too_many_, wire_per_address_;
  // Accept-side state, touched only on ioc_'s thread.
  int reserve_fd_ = -1;
  steady::time_point last_fd_log_{};
  std::int64_t fd_log_suppressed_ = 0;
};

namespace {

Response to_refusal(HttpServer::Impl& s, int status, std::string_view code,
                    std::string_view detail) {
  return s.refusal_(status, code, detail);
}

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(std::shared_ptr<HttpServer::Impl> server, std::string peer, std::string counted_address,
          Args&&... args)
      : server_(std::move(server)),
        stream_(std::forward<Args>(args)...),
        peer_(std::move(peer)),
        counted_address_(std::move(counted_address)) {}

  ~Session() override { server_->remove(this, counted_address_); }

  void start() {
    // The first request's header block must be complete within header_timeout of the accept
    // (TLS handshake included).
    beast::get_lowest_layer(stream_).expires_after(server_->opts_.header_timeout);
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (ec) return;  // a failed handshake just ends the connection
                                self->read();
                              });
    } else {
      asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->read(); });
    }
  }

  void drain() override {
    asio::post(beast::get_lowest_layer(stream_).get_executor(),
               [self = this->shared_from_this()] {
                 self->draining_ = true;
                 if (self->idle_) beast::get_lowest_layer(self->stream_).socket().close();
               });
  }

 private:
  auto& timer_stream() { return beast::get_lowest_layer(stream_); }

  void read() {
    if (draining_ || server_->draining_) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts_.header_limit));
    parser_->body_limit(server_->opts_.body_limit);
    started_ = buffer_.size() > 0;
    idle_ = !started_;
    head_done_ = false;
    body_bytes_ = 0;
    if (!first_) {
      timer_stream().expires_after(started_ ? server_->opts_.header_timeout : server_->opts_.idle_timeout);
    }
    read_more();
  }

  void read_more() {
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](error_code ec, std::size_t n) {
                            self->on_read_some(ec, n);
                          });
  }

  // Phases of one request: idle (nothing yet; idle_timeout) -> header (from the first byte;
  // header_timeout) -> body (body_timeout plus body_min_rate) -> handler -> write.
  void on_read_some(error_code ec, std::size_t n) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    if (!started_) {
      started_ = true;
      if (!first_) timer_stream().expires_after(server_->opts_.header_timeout);
    }
    if (!parser_->is_header_done()) return read_more();
    if (!head_done_) {
      head_done_ = true;
      return on_header();
    }
    body_bytes_ += n;
    if (parser_->is_done()) return on_request();
    extend_body_deadline();
    read_more();
  }

  void extend_body_deadline() {
    const auto& o = server_->opts_;
    auto allowance = o.body_min_rate > 0
                         ? std::chrono::milliseconds(static_cast<std::int64_t>(body_bytes_ * 1000 / o.body_min_rate))
                         : std::chrono::milliseconds(0);
    timer_stream().expires_at(body_start_ + o.body_timeout + allowance);
  }

  void on_read_error(error_code ec) {
    if (ec == http::error::body_limit) {
      return refuse(413, "payload_too_large",
                    "the request body exceeds " + std::to_string(server_->opts_.body_limit) +
                        " bytes");
    }
    if (ec == http::error::header_limit) {
      return refuse(431, "headers_too_large", "the request header fields are too large");
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return refuse(400, "bad_request", "the request is not valid HTTP/1.1");
    }
    close();  // end of stream, timeout, reset, or closed by drain()
  }

  void on_header() {
    auto& msg = parser_->get();
    req_ = Request();
    req_.method = std::string(msg.method_string());
    req_.target = std::string(msg.target());
    auto q = req_.target.find('?');
    req_.path = req_.target.substr(0, q);
    if (q != std::string::npos) req_.query = req_.target.substr(q + 1);
    req_.headers.reserve(8);
    std::vector<std::string_view> forwarded;
    for (const auto& f : msg) {
      req_.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    for (const auto& [k, v] : req_.headers) {
      if (beast::iequals(k, "X-Forwarded-For")) forwarded.emplace_back(v);
    }
    req_.remote_addr = forwarded.empty() ? peer_ : client_address(peer_, forwarded, server_->proxies_);
    version_ = msg.version();

    auto& rate = server_->rate_;
    if (rate.enabled()) {
      auto now = steady::now();
      if (!rate.allow(req_.remote_addr, now)) {
        ++server_->rate_limited_;
        return refuse(429, "rate_limited", "too many requests from this address; try again later",
                      rate.retry_after_s(req_.remote_addr, now));
      }
    }
    if (parser_->is_done()) return on_request();

    const auto& o = server_->opts_;
    std::size_t small = std::min(o.small_body_limit, o.body_limit);
    auto len = parser_->content_length();
    if (len && *len > small) {
      if (!server_->admit_) {
        return refuse(413, "payload_too_large", "the request body exceeds " + std::to_string(small) + " bytes");
      }
      // Ask the application (which may check the session) before reading a byte of the body.
      timer_stream().expires_never();
      bool posted = server_->pool_.try_post([self = this->shared_from_this()] {
        std::size_t limit = 0;
        std::optional<Response> refusal;
        try {
          refusal = self->server_->admit_(self->req_, &limit);
        } catch (const std::exception& e) {
          self->server_->log_.error("admission threw", {{"what", e.what()}});
          refusal = to_refusal(*self->server_, 500, "internal", "internal error");
        }
        asio::post(self->timer_stream().get_executor(),
                   [self, refusal = std::move(refusal), limit]() mutable {
                     self->on_admitted(std::move(refusal), limit);
                   });
      });
      if (!posted) {
        ++server_->busy_;
        return refuse(503, "server_busy", "the server is busy; try again shortly", 1);
      }
      return;
    }
    parser_->body_limit(small);
    start_body();
  }

  void on_admitted(std::optional<Response> refusal, std::size_t limit) {
    if (refusal) {
      keep_alive_ = false;  // the body was never read
      return write(std::move(*refusal));
    }
    limit = std::min(limit, server_->opts_.body_limit);
    auto len = parser_->content_length();
    if (len && *len > limit) {
      return refuse(413, "payload_too_large", "the request body exceeds " + std::to_string(limit) + " bytes");
    }
    parser_->body_limit(limit);
    start_body();
  }

  void start_body() {
    body_start_ = steady::now();
    body_bytes_ = 0;
    timer_stream().expires_at(body_start_ + server_->opts_.body_timeout);
    auto expect = parser_->get()[http::field::expect];
    if (expect.size() == 12 && beast::iequals(expect, "100-continue") && buffer_.size() == 0) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = this->shared_from_this()](error_code ec, std::size_t) {
                          if (ec) return self->close();
                          self->read_more();
                        });
      return;
    }
    read_more();
  }

  void on_request() {
    auto& msg = parser_->get();
    req_.body = std::move(msg.body());
    req_.keep_alive = msg.keep_alive();
    keep_alive_ = msg.keep_alive();
    first_ = false;
    timer_stream().expires_never();  // the handler's time is not the client's
    if (server_->runs_inline_ && server_->runs_inline_(req_)) return write(call_handler());
    bool posted = server_->pool_.try_post([self = this->shared_from_this()] {
      Response r = self->call_handler();
      asio::post(self->timer_stream().get_executor(),
                 [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
    });
    if (!posted) {
      ++server_->busy_;
      refuse(503, "server_busy", "the server is busy; try again shortly", 1);
    }
  }

  Response call_handler() {
    try {
      return server_->handler_(req_);
    } catch (const std::exception& e) {
      server_->log_.error("handler threw", {{"what", e.what()}, {"path", req_.path}});
      return to_refusal(*server_, 500, "internal", "internal error");
    }
  }

  void refuse(int status, std::string_view code, const std::string& detail, int retry_after_s = 0) {
    keep_alive_ = false;
    Response r = to_refusal(*server_, status, code, detail);
    if (retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
    write(std::move(r));
  }

  void write(Response r) {
    res_.emplace();
    res_->result(static_cast<unsigned>(r.status));
    res_->version(version_);
    res_->set(http::field::server, "certseald");
    if (!r.content_type.empty()) res_->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res_->insert(k, v);
    res_->body() = std::move(r.body);
    bool keep = keep_alive_ && !draining_ && !server_->draining_;
    res_->keep_alive(keep);
    res_->prepare_payload();
    timer_stream().expires_after(server_->opts_.request_timeout);
    http::async_write(stream_, *res_,
                      [self = this->shared_from_this(), keep](error_code ec, std::size_t) {
                        if (ec || !keep) return self->close();
                        self->read();
                      });
  }

  void close() {
    error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      timer_stream().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {
        error_code e;
        beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, e);
      });
      return;
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream_.socket().close(ec);
    }
  }

  std::shared_ptr<HttpServer::Impl> server_;
  Stream stream_;
  std::string peer_;             // the TCP peer
  std::string counted_address_;  // the per-address slot this connection holds ("" for none)
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  Request req_;  // the request being read or handled (one at a time per connection)
  steady::time_point body_start_{};
  std::size_t body_bytes_ = 0;
  bool keep_alive_ = true;
  bool idle_ = true;
  bool first_ = true;       // the connection's first request (deadline counts from accept)
  bool started_ = false;    // a byte of the current request has arrived
  bool head_done_ = false;  // on_header() ran for the current request
  bool draining_ = false;
  unsigned version_ = 11;
};

}  // namespace

Status HttpServer::Impl::listen() {
  if (!opts_.tls_cert_file.empty() || !opts_.tls_key_file.empty()) {
    if (opts_.tls_cert_file.empty() || opts_.tls_key_file.empty()) {
      return invalid_argument("tls_config", "TLS needs both a certificate file and a key file");
    }
    error_code ec;
    ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
    ssl_ctx_.use_certificate_chain_file(opts_.tls_cert_file, ec);
    if (ec) {
      return invalid_argument("tls_config", "cannot read the TLS certificate file")
          .with_cause(opts_.tls_cert_file + ": " + ec.message());
    }
    ssl_ctx_.use_private_key_file(opts_.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      return invalid_argument("tls_config", "cannot read the TLS key file")
          .with_cause(opts_.tls_key_file + ": " + ec.message());
    }
    tls_ = true;
  }
  error_code ec;
  auto addr = asio::ip::make_address(opts_.host, ec);
  if (ec) return invalid_argument("bad_listen_address", "the listen host is not an IP address");
  tcp::endpoint ep(addr, opts_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return unavailable("listen_failed", "cannot listen on " + opts_.host + ":" +
                                            std::to_string(opts_.port), ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  acceptor_.native_non_blocking(true, ec);  // the EMFILE path accepts by hand and must not block
  if (opts_.fit_max_connections_to_nofile) fit_to_descriptor_limit();
  reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  wire_too_many_ = wire_for(503, refusal_(503, "too_many_connections", "the server has too many open connections"));
  wire_per_address_ = wire_for(
      429, refusal_(429, "too_many_connections_from_address", "too many open connections from this address"));
  return {};
}

// Raises the soft RLIMIT_NOFILE to the hard one, and lowers max_connections so that every
// connection can have its descriptor with fd_reserve left for the rest of the process.
void HttpServer::Impl::fit_to_descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
    rlimit up = rl;
    up.rlim_cur = rl.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(rl.rlim_cur, 1u << 20) : rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &up) == 0) rl = up;
  }
  if (rl.rlim_cur == RLIM_INFINITY) return;
  std::size_t limit = static_cast<std::size_t>(rl.rlim_cur);
  std::size_t used = open_descriptors() + 1;  // + the reserve descriptor
  std::size_t room = limit > used + opts_.fd_reserve ? limit - used - opts_.fd_reserve : 1;
  if (opts_.max_connections > room) {
    log_.warn("server.max_connections lowered to fit the open-files limit (RLIMIT_NOFILE)",
              {{"configured", static_cast<std::int64_t>(opts_.max_connections)},
               {"max_connections", static_cast<std::int64_t>(room)},
               {"nofile", static_cast<std::int64_t>(limit)},
               {"descriptors_in_use", static_cast<std::int64_t>(used)},
               {"reserved", static_cast<std::int64_t>(opts_.fd_reserve)}});
    opts_.max_connections = room;
  }
}

void HttpServer::Impl::on_descriptors_exhausted(const error_code& ec) {
  ++fd_failures_;
  auto now = steady::now();
  if (last_fd_log_ == steady::time_point{} || now - last_fd_log_ >= std::chrono::seconds(5)) {
    log_.warn("accept failed: out of file descriptors; answering 503 and backing off",
              {{"error", ec.message()}, {"repeats", fd_log_suppressed_}});
    last_fd_log_ = now;
    fd_log_suppressed_ = 0;
  } else {
    ++fd_log_suppressed_;
  }
  // Free the reserve, answer whoever is waiting 503 through it, then take it back.
  if (reserve_fd_ >= 0) {
    ::close(reserve_fd_);
    reserve_fd_ = -1;
    for (int i = 0; i < 64; ++i) {
      int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) break;
      ++total_;
      ++refused_;
      refuse_fd(fd, wire_too_many_);
      ::close(fd);
    }
    reserve_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  backoff_.expires_after(std::chrono::milliseconds(100));
  backoff_.async_wait([self = shared_from_this()](error_code e) {
    if (e || self->draining_) return;
    self->start_accept();
  });
}


void HttpServer::Impl::start_accept() {
  acceptor_.async_accept(
      next_context(), [self = shared_from_this()](error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
          if (ec == asio::error::no_descriptors ||
              ec == boost::system::errc::too_many_files_open_in_system) {
            return self->on_descriptors_exhausted(ec);
          }
          self->log_.warn("accept failed", {{"error", ec.message()}});
          return self->start_accept();
        }
        if (self->draining_) return;
        ++self->total_;
        error_code rec;
        auto ep = socket.remote_endpoint(rec);
        std::string remote = rec ? "" : ep.address().to_string();
        if (static_cast<std::size_t>(self->open_.load()) >= self->opts_.max_connections) {
          ++self->refused_;
          refuse_fd(socket.native_handle(), self->wire_too_many_);
          socket.close(rec);
          return self->start_accept();
        }
        // Per-address slots; a trusted proxy carries many clients and is exempt.
        std::string counted;
        if (self->opts_.max_connections_per_address > 0 && !self->proxies_.contains(remote)) {
          if (!self->take_address_slot(remote)) {
            ++self->refused_;
            refuse_fd(socket.native_handle(), self->wire_per_address_);
            socket.close(rec);
            return self->start_accept();
          }
          counted = remote;
        }
        ++self->open_;
        socket.set_option(tcp::no_delay(true), rec);
        if (self->tls_) {
          auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              self, remote, counted, std::move(socket), self->ssl_ctx_);
          self->add(s);
          s->start();
        } else {
          auto s = std::make_shared<Session<beast::tcp_stream>>(self, remote, counted, std::move(socket));
          self->add(s);
          s->start();
        }
        self->start_accept();
      });
}

void HttpServer::Impl::run() {
  start_accept();
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < iocs_.size(); ++i) {
    threads.emplace_back([c = iocs_[i].get()] { c->run(); });
  }
  ioc_.run();
  for (auto& t : threads) t.join();
}

void HttpServer::Impl::shutdown(std::chrono::milliseconds grace) {
  asio::post(acceptor_.get_executor(), [self = shared_from_this(), grace] {
    if (self->draining_.exchange(true)) return;
    self->log_.info("shutdown started", {{"open_connections", self->open_.load()},
                                         {"grace_ms", grace.count()}});
    error_code ec;
    self->acceptor_.close(ec);
    self->backoff_.cancel();
    self->signals_.cancel(ec);
    {
      std::lock_guard lock(self->mu_);
      for (auto* s : self->sessions_) s->drain();
    }
    self->deadline_.expires_after(grace);
    self->deadline_.async_wait([self](error_code e) {
      if (e) return;
      self->log_.warn("shutdown grace period over; stopping",
                      {{"open_connections", self->open_.load()}});
      self->stop_all();
    });
    // When the last connection is gone nothing else keeps run() going but the deadline timer;
    // poll for that and cancel the timer so run() returns at once.
    auto poll = std::make_shared<asio::steady_timer>(self->ioc_);
    auto check = std::make_shared<std::function<void()>>();
    *check = [self, poll, check] {
      if (self->open_.load() == 0) {
        self->deadline_.cancel();
        for (auto& g : self->guards_) g.reset();  // every context may now run out of work
        *check = nullptr;  // break the self-reference
        return;
      }
      poll->expires_after(std::chrono::milliseconds(20));
      poll->async_wait([check](error_code) {
        if (*check) (*check)();
      });
    };
    (*check)();
  });
}

void HttpServer::Impl::watch_signals(std::chrono::milliseconds grace) {
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.async_wait([self = shared_from_this(), grace](error_code ec, int sig) {
    if (ec) return;
    self->log_.info("signal received", {{"signal", sig}});
    self->shutdown(grace);
  });
}

namespace {
TrustedProxies proxies_or_none(const std::string& list, Logger& log) {
  auto p = TrustedProxies::parse(list);
  if (!p) {
    log.error("server.trusted_proxies ignored", {{"detail", p.error().message}});
    return {};
  }
  return std::move(p).value();
}
}  // namespace

HttpServer::HttpServer(ServerOptions opts, Handler handler, RefusalRenderer refusal, Logger& log,
                       Admission admit, InlinePredicate runs_inline)
    : pool_(std::make_unique<WorkerPool>(opts.workers, opts.worker_queue)) {
  TrustedProxies proxies = proxies_or_none(opts.trusted_proxies, log);
  impl_ = std::make_shared<Impl>(std::move(opts), std::move(handler), std::move(refusal), log, std::move(admit),
                                 std::move(runs_inline), *pool_, std::move(proxies));
}

HttpServer::~HttpServer() {
  impl_->stop_all();
  pool_->stop();
}

Status HttpServer::listen() { return impl_->listen(); }
std::uint16_t HttpServer::port() const { return impl_->port_; }
bool HttpServer::tls() const { return impl_->tls_; }
std::size_t HttpServer::max_connections() const { return impl_->opts_.max_connections; }
// After the I/O threads stop, wait for handlers still running on the pool (after a grace period
// ran out), so that nothing the handlers use is destroyed under them once run() returns.
void HttpServer::run() {
  impl_->run();
  pool_->stop();
}
void HttpServer::handle_signals(std::chrono::milliseconds grace) { impl_->watch_signals(grace); }
void HttpServer::run_until_signal(std::chrono::milliseconds grace) {
  handle_signals(grace);
  run();
}
void HttpServer::shutdown(std::chrono::milliseconds grace) { impl_->shutdown(grace); }

TransportStats HttpServer::stats() const {
  TransportStats t;
  t.connections_open = impl_->open_.load();
  t.connections_total = impl_->total_.load();
  t.connections_refused = impl_->refused_.load();
  t.requests_rate_limited = impl_->rate_limited_.load();
  t.requests_busy = impl_->busy_.load();
  t.accept_descriptor_failures = impl_->fd_failures_.load();
  t.worker_queue = static_cast<std::int64_t>(pool_->queued());
  return t;
}

}  // namespace certseal::net
