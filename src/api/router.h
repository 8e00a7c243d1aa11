// Route table and request dispatch.
//
// A Route is (method, path pattern, required role, handler). Patterns use OpenAPI syntax:
// "/api/v1/orders/{id}"; a final "{name+}" segment takes the rest of the path, slashes included. The table lives in routes.cpp and is the single list of endpoints;
// docs/openapi.yaml must list exactly the same (method, path) pairs (tested).
//
// Dispatch order: request id -> match (404 unknown path, 405 known path with another method,
// with Allow) -> media type (415 for a body that is not JSON on a JSON route) -> authenticate
// (401) and authorise (403) against the route's role -> handler -> render. Handlers are thin:
// decode, validate, authorise, call a service, render.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "net/http.h"

namespace certseal::api {

enum class Role {
  kPublic,        // anyone, no credentials
  kAccount,       // any session, even one whose account has no password yet
  kUser,          // a logged-in account with its password set
  kOperator,      // platform staff
  kRelyingParty,  // a registered application signing its requests
  kMetrics,       // an operator session, or the bearer token of server.metrics_token (scrapers)
};
std::string_view role_name(Role r);

// Who is calling, as established by an Authenticator.
struct Principal {
  std::string account_id;
  std::vector<Role> roles;
  std::string session_id{};   // opaque; identifies the session (for logout, identity switch)
  std::string identity_id{};  // the identity the session acts as
  std::string app_id{};       // a relying party's application (Role::kRelyingParty)
  bool password_pending = false;  // logged in by SMS only; must set a password first
  bool has(Role r) const;
};

// Resolves credentials (session token, relying-party signature) into a Principal.
// Returns kUnauthenticated when there are none or they are invalid.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual Result<Principal> authenticate(const net::Request& req) = 0;
  // On the head of an upload, before its body is read: what can be checked without the body.
  // By default the same as authenticate() (a session token needs no body); a relying party's
  // signature covers the body, so RpAuthenticator checks only the app and the timestamp here
  // and the whole signature once the body is in (authenticate()).
  virtual Result<Principal> authenticate_head(const net::Request& head) { return authenticate(head); }
};

struct Services;  // defined in api/services.h: what handlers may call

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  net::Headers headers;

  static Reply json(const nlohmann::json& j, int status = 200);
  static Reply text(std::string body, std::string content_type, int status = 200);
};

class RequestContext {
 public:
  RequestContext(const net::Request& req, std::string request_id, Services& services)
      : req_(req), request_id_(std::move(request_id)), services_(services) {}

  const net::Request& request() const { return req_; }
  const std::string& request_id() const { return request_id_; }
  Services& services() { return services_; }
  const std::optional<Principal>& principal() const { return principal_; }
  void set_principal(Principal p) { principal_ = std::move(p); }

  // A path parameter from the pattern ("{id}"), percent-decoded.
  const std::string& param(std::string_view name) const;
  void set_params(std::map<std::string, std::string, std::less<>> p) { params_ = std::move(p); }
  // A query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query(std::string_view name) const;
  // The body parsed as JSON: 400 malformed_json when it is not, 400 json_too_deep when it nests
  // deeper than kMaxJsonDepth.
  Result<nlohmann::json> json_body() const;

 private:
  const net::Request& req_;
  std::string request_id_;
  Services& services_;
  std::optional<Principal> principal_;
  std::map<std::string, std::string, std::less<>> params_;
};

using RouteHandler = Result<Reply> (*)(RequestContext&);

// What a route accepts as a request body. kJson refuses any other media type with 415.
enum class BodyKind { kJson, kAny };

// How large a body a route accepts (413 above; sizes in DispatchLimits):
//   kDefault  server.json_body_limit (64 KiB): JSON documents and small callbacks
//   kSmall    DispatchLimits::small_body (4 KiB): OCSP and time-stamp requests
//   kUpload   server.body_limit (8 MiB): file uploads; a body above kDefault is read only after
//             the route's role has been checked on the request head (see Dispatcher::admit)
enum class BodyLimit { kDefault, kSmall, kUpload };

// Where the handler runs: kWorker on the worker pool (the default; it may block), kInline on
// the I/O thread (only handlers that touch no database, file or key and finish in microseconds).
enum class Exec { kWorker, kInline };

struct Route {
  std::string_view method;
  std::string_view pattern;
  Role role;
  RouteHandler handler;
  BodyKind body = BodyKind::kJson;
  BodyLimit limit = BodyLimit::kDefault;
  Exec exec = Exec::kWorker;
};

// Nesting deeper than this (arrays and objects) is refused with 400 json_too_deep before parsing.
inline constexpr int kMaxJsonDepth = 32;
// True when `text` nests arrays/objects at most max_depth deep (a scan that respects strings;
// it does not validate the JSON).
bool json_depth_within(std::string_view text, int max_depth);

// The route table of certseald (routes.cpp).
std::span<const Route> route_table();

// Matches a path against a pattern; fills params on success.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string, std::less<>>* params);

// Cursor pagination (?after=<cursor>&limit=<n>): limit defaults to 20, at most 100.
struct PageRequest {
  std::string after;
  int limit = 20;
};
Result<PageRequest> page_request(const RequestContext& ctx);
// {"items": [...], "next": "<cursor>"|null}
nlohmann::json page_json(nlohmann::json items, const std::optional<std::string>& next);

// Services are asked for limit + 1 rows; this renders the first `limit` and, when there was one
// more, the cursor (the id of the last row shown) as `next`.
template <class T, class ToJson>
nlohmann::json paged(std::vector<T> rows, int limit, ToJson&& to_json) {
  std::optional<std::string> next;
  if (static_cast<int>(rows.size()) > limit) {
    rows.resize(static_cast<std::size_t>(limit));
    next = rows.back().id;
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : rows) items.push_back(to_json(r));
  return page_json(std::move(items), next);
}

}  // namespace certseal::api
