#include "api/problem.h"

#include <nlohmann/json.hpp>

namespace certseal::api {

int http_status_for(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kInvalidArgument: return 400;
    case ErrorKind::kUnauthenticated: return 401;
    case ErrorKind::kPermissionDenied: return 403;
    case ErrorKind::kNotFound: return 404;
    case ErrorKind::kMethodNotAllowed: return 405;
    case ErrorKind::kConflict: return 409;
    case ErrorKind::kFailedPrecondition: return 409;
    case ErrorKind::kPayloadTooLarge: return 413;
    case ErrorKind::kUnsupportedMediaType: return 415;
    case ErrorKind::kResourceExhausted: return 429;
    case ErrorKind::kUnavailable: return 503;
    case ErrorKind::kTimeout: return 504;
    case ErrorKind::kInternal: return 500;
  }
  return 500;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

net::Response problem_response(int status, std::string_view code, std::string_view detail,
                               std::string_view request_id) {
  net::Response r;
  nlohmann::json body = {{"type", "https://certseal.dev/problems/" + std::string(code)},
                         {"title", reason_phrase(status)},
                         {"status", status},
                         {"detail", detail},
                         {"code", code}};
  if (!request_id.empty()) body["request_id"] = request_id;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

net::Response problem_response(const Error& e, std::string_view request_id) {
  int status = http_status_for(e);
  // An internal error's message is fixed: whatever went wrong stays in the log.
  std::string detail = e.kind == ErrorKind::kInternal ? "internal error" : e.message;
  std::string code = e.kind == ErrorKind::kInternal ? "internal" : e.code;
  net::Response r = problem_response(status, code, detail, request_id);
  if (!e.fields.empty()) {
    auto body = nlohmann::json::parse(r.body);
    auto& errs = body["errors"] = nlohmann::json::array();
    for (const auto& f : e.fields) {
      errs.push_back({{"field", f.field}, {"code", f.code}, {"detail", f.detail}});
    }
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return r;
}

}  // namespace certseal::api
