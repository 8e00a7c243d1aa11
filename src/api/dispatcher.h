// Turns the route table into the net::Handler of the HTTP server: request ids, matching,
// media types, authentication and roles, error mapping, metrics and the access log.
// Contract: handle() is thread-safe; the Services and Authenticator outlive the Dispatcher.
#pragma once

#include <span>

#include "api/router.h"
#include "api/services.h"
#include "net/http.h"

namespace certseal::api {

class Dispatcher {
 public:
  // authenticator may be null: then every non-public route answers 401.
  Dispatcher(Services& services, Authenticator* authenticator, std::span<const Route> routes,
             bool access_log = true);

  net::Response handle(net::Request& req);
  // For requests the transport refused before routing (see net::RefusalRenderer).
  net::Response refusal(int status, std::string_view code, std::string_view detail);

 private:
  net::Response dispatch(net::Request& req, const std::string& request_id,
                         std::string_view* route_label);

  Services& services_;
  Authenticator* auth_;
  std::span<const Route> routes_;
  bool access_log_;
};

// Returns the client's X-Request-Id when it is 1-64 characters of [A-Za-z0-9._-], else a new id.
std::string request_id_for(const net::Request& req);

}  // namespace certseal::api
