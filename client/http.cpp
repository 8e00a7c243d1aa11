#include "client/http.h"

#include <curl/curl.h>

#include <mutex>

#include "client/messages.h"
#include "client/origin.h"

namespace certseal::client {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

size_t on_body(char* ptr, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(ptr, size * n);
  return size * n;
}

ErrorKind kind_for(long status) {
  switch (status) {
    case 401: return ErrorKind::kUnauthenticated;
    case 403: return ErrorKind::kPermissionDenied;
    case 404: return ErrorKind::kNotFound;
    case 409: return ErrorKind::kConflict;
    case 413: return ErrorKind::kPayloadTooLarge;
    case 415: return ErrorKind::kUnsupportedMediaType;
    case 429: return ErrorKind::kResourceExhausted;
    default: return status >= 500 ? ErrorKind::kUnavailable : ErrorKind::kInvalidArgument;
  }
}

}  // namespace

void Http::CurlDeleter::operator()(void* p) const { curl_easy_cleanup(static_cast<CURL*>(p)); }

bool is_server_refusal(const Error& err) { return err.cause.rfind("server:", 0) == 0; }

nlohmann::json problem_of(const Error& err) {
  if (!is_server_refusal(err)) return nlohmann::json::object();
  auto j = nlohmann::json::parse(err.cause.substr(7), nullptr, false);
  return j.is_object() ? j : nlohmann::json::object();
}

Error error_from_response(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  std::string code = "http_" + std::to_string(r.status);
  std::string msg = "HTTP " + std::to_string(r.status);
  if (j.is_object()) {
    if (j.contains("code") && j["code"].is_string()) code = j["code"];
    std::string title = j.value("title", "");
    std::string detail = j.value("detail", "");
    if (!title.empty() || !detail.empty()) {
      msg = title.empty() ? detail : (detail.empty() || detail == title ? title : title + ": " + detail);
    }
  } else {
    j = nlohmann::json::object();
  }
  for (char& c : msg) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (r.status >= 500) {
    if (code.rfind("http_", 0) == 0) code = "server_error";
    return Error(ErrorKind::kUnavailable, code, msg);
  }
  return Error(kind_for(r.status), code, msg, "server:" + j.dump());
}

Http::Http(std::string base_url, std::string token, std::string token_origin)
    : base_(std::move(base_url)), token_(std::move(token)), token_origin_(std::move(token_origin)) {
  global_init();
  while (!base_.empty() && base_.back() == '/') base_.pop_back();
  if (token_origin_.empty()) token_origin_ = base_;
  curl_.reset(curl_easy_init());
}

Http::~Http() = default;

bool Http::sends_token_to(const std::string& url) const {
  return !token_.empty() && same_origin(url, token_origin_);
}

Result<HttpResponse> Http::raw(const std::string& method, const std::string& url_or_path, const std::string& body,
                               const std::string& content_type) {
  CURL* c = static_cast<CURL*>(curl_.get());
  if (!c) return unavailable("network", tr("err.network", "curl_easy_init failed"));
  curl_easy_reset(c);
  std::string url = url_or_path.rfind("http", 0) == 0 ? url_or_path : base_ + url_or_path;
  CS_TRY(check_transport(url));
  HttpResponse out;
  Slist headers;
  auto add = [&](const std::string& h) {
    curl_slist* n = curl_slist_append(headers.get(), h.c_str());
    if (n) {
      (void)headers.release();
      headers.reset(n);
    }
  };
  add("Accept: application/json, application/problem+json, */*");
  if (sends_token_to(url)) add("Authorization: " + token_scheme_ + " " + token_);
  if (!content_type.empty()) add("Content-Type: " + content_type);
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "certseal-cli/0.1");
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    return unavailable("network", tr("err.network", *errbuf ? errbuf : curl_easy_strerror(rc)), url);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out.status);
  char* ct = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct) out.content_type = ct;
  char* eff = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) out.effective_url = eff;
  return out;
}

Result<nlohmann::json> Http::to_json_result(const HttpResponse& r) {
  if (r.status < 200 || r.status >= 300) return error_from_response(r);
  if (r.body.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return unavailable("bad_answer", tr("err.server", "not JSON"));
  return j;
}

Result<nlohmann::json> Http::call(const std::string& method, const std::string& path, const nlohmann::json& body) {
  CS_ASSIGN(auto r, body.is_null() ? raw(method, path) : raw(method, path, body.dump(), "application/json"));
  return to_json_result(r);
}

Result<nlohmann::json> Http::upload(const std::string& path, const std::string& bytes,
                                    const std::string& content_type) {
  CS_ASSIGN(auto r, raw("POST", path, bytes, content_type));
  return to_json_result(r);
}

}  // namespace certseal::client
