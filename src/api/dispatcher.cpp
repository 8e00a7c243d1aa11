#include "api/dispatcher.h"

#include <chrono>

#include <openssl/crypto.h>

#include "api/metrics.h"
#include "api/problem.h"
#include "base/encoding.h"

namespace certseal::api {
namespace {

bool is_json_media_type(std::string_view ct) {
  auto semi = ct.find(';');
  std::string_view mt = ct.substr(0, semi);
  while (!mt.empty() && mt.back() == ' ') mt.remove_suffix(1);
  std::string lower(mt);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json" ||
         (lower.rfind("application/", 0) == 0 && lower.size() > 5 &&
          lower.compare(lower.size() - 5, 5, "+json") == 0);
}

bool valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

net::Response to_response(Reply&& r, const std::string& request_id) {
  net::Response out;
  out.status = r.status;
  out.content_type = std::move(r.content_type);
  out.body = std::move(r.body);
  out.headers = std::move(r.headers);
  out.headers.emplace_back("X-Request-Id", request_id);
  return out;
}

}  // namespace

std::string request_id_for(const net::Request& req) {
  auto given = req.header("X-Request-Id");
  if (valid_request_id(given)) return std::string(given);
  // Request ids need to be unique, not secret: a per-thread generator seeded once from the OS.
  thread_local SeededRng rng([] {
    SystemRng sys;
    return sys.u64();
  }());
  std::uint8_t b[12];
  rng.fill(b);
  return hex_encode(b);
}

Dispatcher::Dispatcher(Services& services, Authenticator* authenticator,
                       std::span<const Route> routes, bool access_log)
    : services_(services), auth_(authenticator), routes_(routes), access_log_(access_log) {}

net::Response Dispatcher::refusal(int status, std::string_view code, std::string_view detail) {
  services_.metrics.observe("refused", "-", status, 0);
  services_.log.warn("request refused", {{"status", status}, {"code", code}});
  return problem_response(status, code, detail, "");
}

net::Response Dispatcher::handle(net::Request& req) {
  auto start = std::chrono::steady_clock::now();
  std::string request_id = request_id_for(req);
  std::string_view route = "unmatched";
  net::Response res = dispatch(req, request_id, &route);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  services_.metrics.observe(route, req.method, res.status, secs);
  if (access_log_ && services_.log.enabled(LogLevel::kInfo)) {
    services_.log.info("request", {{"request_id", request_id},
                                   {"method", req.method},
                                   {"route", route},
                                   {"path", req.path},
                                   {"status", res.status},
                                   {"duration_ms", secs * 1000},
                                   {"remote", req.remote_addr}});
  }
  return res;
}

const Route* Dispatcher::find(const net::Request& req, std::string* allow,
                              std::map<std::string, std::string, std::less<>>* params) const {
  for (const auto& r : routes_) {
    if (r.method == req.method) {
      if (match_pattern(r.pattern, req.path, params)) return &r;
      if (params) params->clear();
      continue;
    }
    if (allow && match_pattern(r.pattern, req.path, nullptr)) {
      if (!allow->empty()) *allow += ", ";
      *allow += r.method;
    }
  }
  return nullptr;
}

std::size_t Dispatcher::limit_of(const Route& r) const {
  switch (r.limit) {
    case BodyLimit::kSmall: return limits_.small_body;
    case BodyLimit::kUpload: return limits_.upload_body;
    case BodyLimit::kDefault: break;
  }
  return limits_.json_body;
}

bool Dispatcher::runs_inline(const net::Request& head) const {
  const Route* r = find(head, nullptr, nullptr);
  if (r) head.app_hint = static_cast<std::size_t>(r - routes_.data());
  return r && r->exec == Exec::kInline;
}

Result<std::optional<Principal>> Dispatcher::authorise(const Route& r, const net::Request& req, bool head_only) {
  if (r.role == Role::kPublic) return std::optional<Principal>();
  if (r.role == Role::kMetrics && !limits_.metrics_token.empty()) {
    std::string_view h = req.header("Authorization");
    std::string want = "Bearer " + limits_.metrics_token;
    if (h.size() == want.size() && CRYPTO_memcmp(h.data(), want.data(), want.size()) == 0) {
      return std::optional<Principal>();
    }
  }
  if (!auth_) return Error(ErrorKind::kUnauthenticated, "unauthenticated", "please log in");
  auto who = head_only ? auth_->authenticate_head(req) : auth_->authenticate(req);
  if (!who) return who.error();
  if (!who->has(r.role)) {
    if (who->password_pending && r.role == Role::kUser) {
      return Error(ErrorKind::kPermissionDenied, "password_required", "set a password for your account first");
    }
    return Error(ErrorKind::kPermissionDenied, "forbidden", "your account may not do this");
  }
  return std::optional<Principal>(std::move(who).value());
}

std::optional<net::Response> Dispatcher::admit(const net::Request& head, std::size_t* limit) {
  std::string request_id = request_id_for(head);
  std::string allow;
  const Route* r = find(head, &allow, nullptr);
  std::optional<net::Response> refusal;
  std::string_view label = "unmatched";
  if (!r) {
    refusal = allow.empty() ? problem_response(404, "not_found", "no such resource", request_id)
                            : problem_response(405, "method_not_allowed",
                                               "this resource does not support " + head.method, request_id);
    if (!allow.empty()) refusal->headers.emplace_back("Allow", allow);
  } else {
    label = r->pattern;
    *limit = limit_of(*r);
    if (r->limit == BodyLimit::kUpload) {
      // The body of an upload is read only for a caller who may send it.
      auto who = authorise(*r, head, /*head_only=*/true);
      if (!who) {
        refusal = problem_response(who.error(), request_id);
        if (who.error().kind == ErrorKind::kUnauthenticated) refusal->headers.emplace_back("WWW-Authenticate", "Bearer");
      }
    }
  }
  if (!refusal) return std::nullopt;
  refusal->headers.emplace_back("X-Request-Id", request_id);
  services_.metrics.observe(label, head.method, refusal->status, 0);
  if (access_log_ && services_.log.enabled(LogLevel::kInfo)) {
    services_.log.info("request", {{"request_id", request_id}, {"method", head.method}, {"route", label},
                                   {"path", head.path}, {"status", refusal->status}, {"remote", head.remote_addr},
                                   {"body_read", false}});
  }
  return refusal;
}

net::Response Dispatcher::dispatch(net::Request& req, const std::string& request_id,
                                   std::string_view* route_label) {
  std::string allow;
  std::map<std::string, std::string, std::less<>> params;
  const Route* found = nullptr;
  if (req.app_hint < routes_.size()) {  // matched already by runs_inline(); fill the parameters
    const Route& r = routes_[req.app_hint];
    if (r.method == req.method && match_pattern(r.pattern, req.path, &params)) found = &r;
  }
  if (!found) {
    params.clear();
    found = find(req, &allow, &params);
  }
  if (!found) {
    if (!allow.empty()) {
      auto res = problem_response(405, "method_not_allowed",
                                  "this resource does not support " + req.method, request_id);
      res.headers.emplace_back("Allow", allow);
      res.headers.emplace_back("X-Request-Id", request_id);
      return res;
    }
    auto res = problem_response(404, "not_found", "no such resource", request_id);
    res.headers.emplace_back("X-Request-Id", request_id);
    return res;
  }
  *route_label = found->pattern;

  auto fail = [&](const Error& e) {
    if (e.kind == ErrorKind::kInternal || !e.cause.empty()) {
      services_.log.write(e.kind == ErrorKind::kInternal ? LogLevel::kError : LogLevel::kWarn,
                          "request failed",
                          {{"request_id", request_id}, {"route", found->pattern},
                           {"code", e.code}, {"cause", e.cause}});
    }
    auto res = problem_response(e, request_id);
    res.headers.emplace_back("X-Request-Id", request_id);
    if (e.kind == ErrorKind::kUnauthenticated) {
      res.headers.emplace_back("WWW-Authenticate", "Bearer");
    }
    return res;
  };

  if (std::size_t limit = limit_of(*found); req.body.size() > limit) {
    return fail(Error(ErrorKind::kPayloadTooLarge, "payload_too_large",
                      "the request body exceeds " + std::to_string(limit) + " bytes"));
  }
  bool has_body = !req.body.empty();
  if (has_body && found->body == BodyKind::kJson && !is_json_media_type(req.header("Content-Type"))) {
    return fail(Error(ErrorKind::kUnsupportedMediaType, "unsupported_media_type",
                      "this resource accepts application/json only"));
  }

  RequestContext ctx(req, request_id, services_);
  ctx.set_params(std::move(params));
  auto who = authorise(*found, req);
  if (!who) return fail(who.error());
  if (*who) ctx.set_principal(std::move(**who));

  auto reply = found->handler(ctx);
  if (!reply) return fail(reply.error());
  return to_response(std::move(reply).value(), request_id);
}

}  // namespace certseal::api
