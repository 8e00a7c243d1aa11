#include "net/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace certseal::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection if it is waiting for a new request; otherwise marks it to close after
  // the current response. Thread-safe (posts to the session's strand).
  virtual void drain() = 0;
};

class HttpServer::Impl : public std::enable_shared_from_this<HttpServer::Impl> {
 public:
  Impl(ServerOptions opts, Handler handler, RefusalRenderer refusal, Logger& log)
      : opts_(std::move(opts)),
        handler_(std::move(handler)),
        refusal_(std::move(refusal)),
        log_(log),
        iocs_(make_contexts(opts_.threads)),
        ioc_(*iocs_[0]),
        acceptor_(ioc_),
        ssl_ctx_(ssl::context::tls_server),
        signals_(ioc_),
        deadline_(ioc_) {
    for (auto& c : iocs_) guards_.emplace_back(asio::make_work_guard(*c));
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
  void start_accept();
  void run();
  void shutdown(std::chrono::milliseconds grace);
  void watch_signals(std::chrono::milliseconds grace);

  void add(const std::shared_ptr<SessionBase>& s) {
    std::lock_guard lock(mu_);
    sessions_.insert(s.get());
  }
  void remove(SessionBase* s) {
    std::lock_guard lock(mu_);
    sessions_.erase(s);
    --open_;
  }

  ServerOptions opts_;
  Handler handler_;
  RefusalRenderer refusal_;
  Logger& log_;
  std::vector<std::unique_ptr<asio::io_context>> iocs_;
  asio::io_context& ioc_;  // the first context: acceptor, signals, shutdown timers
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::atomic<std::size_t> next_{0};
  tcp::acceptor acceptor_;
  ssl::context ssl_ctx_;
  asio::signal_set signals_;
  asio::steady_timer deadline_;
  bool tls_ = false;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<std::int64_t> open_{0}, total_{0}, refused_{0};
  std::mutex mu_;
  std::set<SessionBase*> sessions_;
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
  Session(std::shared_ptr<HttpServer::Impl> server, std::string remote, Args&&... args)
      : server_(std::move(server)), stream_(std::forward<Args>(args)...), remote_(std::move(remote)) {}

  ~Session() override { server_->remove(this); }

  void start() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(server_->opts_.request_timeout);
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
  void read() {
    if (draining_ || server_->draining_) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts_.header_limit));
    parser_->body_limit(server_->opts_.body_limit);
    idle_ = buffer_.size() == 0;
    beast::get_lowest_layer(stream_).expires_after(server_->opts_.request_timeout);
    http::async_read_some(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](error_code ec, std::size_t) {
                            self->on_read_some(ec);
                          });
  }

  // Reads until the message is complete; the first bytes make the connection "busy" so a
  // shutdown no longer closes it under a client that has started sending.
  void on_read_some(error_code ec) {
    idle_ = false;
    if (!ec && !parser_->is_done()) {
      http::async_read_some(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](error_code e, std::size_t) {
                              self->on_read_some(e);
                            });
      return;
    }
    on_read(ec);
  }

  void on_read(error_code ec) {
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
    if (ec) return close();  // end of stream, timeout, reset, or closed by drain()

    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos) req.query = req.target.substr(q + 1);
    req.headers.reserve(8);
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    req.remote_addr = remote_;
    req.keep_alive = msg.keep_alive();
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();

    Response r;
    try {
      r = server_->handler_(req);
    } catch (const std::exception& e) {
      server_->log_.error("handler threw", {{"what", e.what()}, {"path", req.path}});
      r = to_refusal(*server_, 500, "internal", "internal error");
    }
    write(std::move(r));
  }

  void refuse(int status, std::string_view code, const std::string& detail) {
    keep_alive_ = false;
    write(to_refusal(*server_, status, code, detail));
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
    beast::get_lowest_layer(stream_).expires_after(server_->opts_.request_timeout);
    http::async_write(stream_, *res_,
                      [self = this->shared_from_this(), keep](error_code ec, std::size_t) {
                        if (ec || !keep) return self->close();
                        self->read();
                      });
  }

  void close() {
    error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
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
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> res_;
  bool keep_alive_ = true;
  bool idle_ = true;
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
  return {};
}

void HttpServer::Impl::start_accept() {
  acceptor_.async_accept(
      next_context(), [self = shared_from_this()](error_code ec, tcp::socket socket) {
        if (ec) {
          if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) return;
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
          // Answer the one too many synchronously, then drop it.
          Response r = self->refusal_(503, "too_many_connections",
                                      "the server has too many open connections");
          std::string wire = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                             "Content-Type: " + r.content_type + "\r\nContent-Length: " +
                             std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
          asio::write(socket, asio::buffer(wire), rec);
          socket.close(rec);
          return self->start_accept();
        }
        ++self->open_;
        socket.set_option(tcp::no_delay(true), rec);
        if (self->tls_) {
          auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              self, remote, std::move(socket), self->ssl_ctx_);
          self->add(s);
          s->start();
        } else {
          auto s = std::make_shared<Session<beast::tcp_stream>>(self, remote, std::move(socket));
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

HttpServer::HttpServer(ServerOptions opts, Handler handler, RefusalRenderer refusal, Logger& log)
    : impl_(std::make_shared<Impl>(std::move(opts), std::move(handler), std::move(refusal), log)) {}

HttpServer::~HttpServer() { impl_->stop_all(); }

Status HttpServer::listen() { return impl_->listen(); }
std::uint16_t HttpServer::port() const { return impl_->port_; }
bool HttpServer::tls() const { return impl_->tls_; }
void HttpServer::run() { impl_->run(); }
void HttpServer::run_until_signal(std::chrono::milliseconds grace) {
  impl_->watch_signals(grace);
  impl_->run();
}
void HttpServer::shutdown(std::chrono::milliseconds grace) { impl_->shutdown(grace); }

TransportStats HttpServer::stats() const {
  return {impl_->open_.load(), impl_->total_.load(), impl_->refused_.load()};
}

}  // namespace certseal::net
