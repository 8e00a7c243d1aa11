// Turns the route table into the net::Handler of the HTTP server: request ids, matching,
// media types, authentication and roles, error mapping, metrics and the access log.
// Contract: handle() is thread-safe; the Services and Authenticator outlive the Dispatcher.
#pragma once

#include <map>
#include <optional>
#include <span>

#include "api/router.h"
#include "api/services.h"
#include "net/http.h"

namespace certseal::api {

// Body sizes per BodyLimit class (see router.h).
struct DispatchLimits {
  std::size_t json_body = 64 * 1024;
  std::size_t upload_body = 8u << 20;
  std::size_t small_body = 4 * 1024;
  std::string metrics_token{};  // Bearer token that may read /metrics; empty: operators only
};

class Dispatcher {
 public:
  // authenticator may be null: then every non-public route answers 401.
  Dispatcher(Services& services, Authenticator* authenticator, std::span<const Route> routes,
             bool access_log = true);

  void set_limits(DispatchLimits limits) { limits_ = std::move(limits); }
  // Replaces the authenticator; only before the server runs (app wiring).
  void set_authenticator(Authenticator* a) { auth_ = a; }

  net::Response handle(net::Request& req);
  // net::Admission: for a request whose head announces a large body. Refuses unknown routes
  // (404/405) and unauthenticated or unauthorised callers of upload routes (401/403) before any
  // of the body is read; otherwise sets *limit to the route's body limit.
  std::optional<net::Response> admit(const net::Request& head, std::size_t* limit);
  // net::InlinePredicate: true for routes marked Exec::kInline.
  bool runs_inline(const net::Request& head) const;
  // For requests the transport refused before routing (see net::RefusalRenderer).
  net::Response refusal(int status, std::string_view code, std::string_view detail);

 private:
  net::Response dispatch(net::Request& req, const std::string& request_id,
                         std::string_view* route_label);
  const Route* find(const net::Request& req, std::string* allow,
                    std::map<std::string, std::string, std::less<>>* params) const;
  std::size_t limit_of(const Route& r) const;
  // Authenticates and checks the route's role; the principal on success.
  Result<std::optional<Principal>> authorise(const Route& r, const net::Request& req, bool head_only = false);

  Services& services_;
  Authenticator* auth_;
  std::span<const Route> routes_;
  bool access_log_;
  DispatchLimits limits_;
};

// Returns the client's X-Request-Id when it is 1-64 characters of [A-Za-z0-9._-], else a new id.
std::string request_id_for(const net::Request& req);

}  // namespace certseal::api
