// The client's HTTP transport (libcurl, one easy handle per Http object, kept alive across
// requests) and the mapping of RFC 9457 problems to errors.
//
// Error mapping (used by the CLI's exit codes, docs/CLI.md):
//   transport failure             kUnavailable, code "network"
//   5xx                           kUnavailable, code from the problem or "server_error"
//   4xx                           kind by status (400 kInvalidArgument, 401 kUnauthenticated,
//                                 403 kPermissionDenied, 404 kNotFound, 409 kConflict,
//                                 429 kResourceExhausted), code from the problem, message
//                                 "title: detail" on one line, cause "server:" + the problem JSON.
// Transport policy (client/origin.h): every URL must pass check_transport() (https, or http to
// loopback only), and the token goes only to URLs of exactly the token's origin.
// Contract: not thread-safe (one Http per thread). The CURL and curl_slist handles are owned by
// RAII wrappers; curl_global_init runs once per process.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace certseal::client {

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string effective_url;
};

// True when err came from a server's 4xx answer (cause starts with "server:").
bool is_server_refusal(const Error& err);
// The problem JSON a refusal carried (empty object if none).
nlohmann::json problem_of(const Error& err);

class Http {
 public:
  // token_origin: the server URL the token was issued by; empty means base_url.
  explicit Http(std::string base_url, std::string token = {}, std::string token_origin = {});
  ~Http();
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  const std::string& base_url() const { return base_; }
  // The token of a login just made against base_url.
  void set_token(std::string token) {
    token_ = std::move(token);
    token_origin_ = base_;
  }
  // The Authorization scheme the token goes with ("Bearer" unless set; a paired PC's is "PC").
  void set_token_scheme(std::string scheme) { token_scheme_ = std::move(scheme); }
  // Whether a request to `url` would carry the token (exposed for tests).
  bool sends_token_to(const std::string& url) const;

  // A raw exchange. `url_or_path` starting with "http" is used as is, else appended to the base.
  Result<HttpResponse> raw(const std::string& method, const std::string& url_or_path, const std::string& body = {},
                           const std::string& content_type = {});
  // JSON API call: body null → no body. 2xx → the parsed body (an empty object for 204 or an
  // empty body); otherwise the mapped error above.
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const nlohmann::json& body = nullptr);
  // Uploads raw bytes (e.g. POST /api/v1/blobs?purpose=...) and returns the JSON answer.
  Result<nlohmann::json> upload(const std::string& path, const std::string& bytes, const std::string& content_type);

 private:
  Result<nlohmann::json> to_json_result(const HttpResponse& r);
  struct CurlDeleter {
    void operator()(void* p) const;
  };
  std::string base_, token_, token_origin_;
  std::string token_scheme_ = "Bearer";
  std::unique_ptr<void, CurlDeleter> curl_;
};

// The error for a non-2xx answer (exposed for tests).
Error error_from_response(const HttpResponse& r);

}  // namespace certseal::client
