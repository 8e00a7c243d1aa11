#include "pkcs11/platform.h"

#include <curl/curl.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/encoding.h"

namespace certseal::pkcs11 {
namespace {

using nlohmann::json;

constexpr auto kPollInterval = std::chrono::milliseconds(200);
constexpr int kMaxWaitS = 180;  // the server's request expiry (120 s) and a margin

std::string config_path() {
  if (const char* p = std::getenv("CERTSEAL_PC_CONFIG"); p && *p) return p;
  if (const char* d = std::getenv("CERTSEAL_DATA_DIR"); d && *d) return std::string(d) + "/pc.json";
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    return std::string(x) + "/certseal/pc.json";
  if (const char* h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.local/share/certseal/pc.json";
  return "";
}

// https anywhere; plain http only to this machine (the client's rule, client/origin.h).
bool transport_allowed(const std::string& url) {
  if (url.rfind("https://", 0) == 0) return true;
  for (const char* local : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    const std::string l = local;
    if (url.rfind(l, 0) == 0 &&
        (url.size() == l.size() || url[l.size()] == ':' || url[l.size()] == '/'))
      return true;
  }
  return false;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* s) const { curl_slist_free_all(s); }
};

size_t collect(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

Result<json> call(const PcConfig& cfg, const std::string& method, const std::string& path,
                  const json& body) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return unavailable("network", "libcurl could not start");
  const std::string url = cfg.server + path;
  std::string out, payload = body.is_null() ? "" : body.dump();
  curl_slist* raw = nullptr;
  raw = curl_slist_append(raw, ("Authorization: PC " + cfg.token).c_str());
  raw = curl_slist_append(raw, "Accept: application/json");
  if (!body.is_null()) raw = curl_slist_append(raw, "Content-Type: application/json");
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);
  if (!body.is_null()) {
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  }
  if (CURLcode rc = curl_easy_perform(c.get()); rc != CURLE_OK) {
    return unavailable("network",
                       std::string("cannot reach the platform: ") + curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  json j = json::parse(out, nullptr, false);
  if (status >= 200 && status < 300) {
    if (!j.is_object()) return unavailable("bad_answer", "the platform's answer is not JSON");
    return j;
  }
  const std::string code = j.is_object() && j.contains("code") && j["code"].is_string()
                               ? j["code"].get<std::string>()
                               : "server_error";
  const std::string detail = j.is_object() && j.contains("detail") && j["detail"].is_string()
                                 ? j["detail"].get<std::string>()
                                 : "HTTP " + std::to_string(status);
  ErrorKind kind = ErrorKind::kUnavailable;
  if (status == 401) kind = ErrorKind::kUnauthenticated;
  if (status == 404) kind = ErrorKind::kNotFound;
  if (status == 400) kind = ErrorKind::kInvalidArgument;
  if (status == 429) kind = ErrorKind::kResourceExhausted;
  if (status == 409) kind = ErrorKind::kConflict;
  return Error(kind, code, detail);
}

Result<std::string> text_of(const json& j, const char* k) {
  if (!j.contains(k) || !j[k].is_string())
    return unavailable("bad_answer", std::string("the platform sent no ") + k);
  return j[k].get<std::string>();
}

}  // namespace

Result<std::optional<PcConfig>> load_pc_config() {
  const std::string path = config_path();
  if (path.empty()) return std::optional<PcConfig>();
  std::ifstream in(path);
  if (!in) return std::optional<PcConfig>();
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  auto s = [&](const char* k) {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : "";
  };
  PcConfig cfg{s("server"), s("link_id"), s("token"), s("name")};
  while (!cfg.server.empty() && cfg.server.back() == '/') cfg.server.pop_back();
  if (cfg.server.empty() || cfg.token.empty()) return std::optional<PcConfig>();
  if (!transport_allowed(cfg.server)) {
    return invalid_argument("insecure_transport",
                            "the platform must be reached over https (plain http only locally)");
  }
  return std::optional<PcConfig>(std::move(cfg));
}

Result<std::vector<PhoneCertificate>> Platform::certificates() const {
  CS_ASSIGN(auto j, call(cfg_, "GET", "/api/v1/pc/certificates", nullptr));
  std::vector<PhoneCertificate> out;
  if (!j.contains("items") || !j["items"].is_array())
    return unavailable("bad_answer", "the platform sent no items");
  for (const auto& item : j["items"]) {
    PhoneCertificate c;
    CS_ASSIGN(c.certificate_id, text_of(item, "certificate_id"));
    CS_ASSIGN(c.key_id, text_of(item, "key_id"));
    CS_ASSIGN(c.subject, text_of(item, "subject"));
    CS_ASSIGN(c.algorithm, text_of(item, "algorithm"));
    CS_ASSIGN(auto der, text_of(item, "certificate_der"));
    CS_ASSIGN(c.der, base64_decode(der));
    CS_ASSIGN(auto pub, text_of(item, "public_key"));
    CS_ASSIGN(c.public_key, base64_decode(pub));
    out.push_back(std::move(c));
  }
  return out;
}

Result<OperationResult> Platform::run(const std::string& certificate_id,
                                      const std::string& operation, const std::string& mechanism,
                                      BytesView data, const std::atomic<bool>* cancel) const {
  CS_ASSIGN(auto created, call(cfg_, "POST", "/api/v1/pc/requests",
                               {{"certificate_id", certificate_id},
                                {"operation", operation},
                                {"mechanism", mechanism},
                                {"data", base64_encode(data)}}));
  CS_ASSIGN(auto id, text_of(created, "id"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kMaxWaitS);
  while (std::chrono::steady_clock::now() < deadline) {
    if (cancel && cancel->load()) return unavailable("cancelled", "the module is finalising");
    std::this_thread::sleep_for(kPollInterval);
    CS_ASSIGN(auto r, call(cfg_, "GET", "/api/v1/pc/requests/" + id, nullptr));
    CS_ASSIGN(auto status, text_of(r, "status"));
    if (status == "pending") continue;
    OperationResult out;
    if (status == "completed") {
      out.outcome = Outcome::kCompleted;
      CS_ASSIGN(auto b64, text_of(r, "result"));
      CS_ASSIGN(out.result, base64_decode(b64));
    } else if (status == "refused") {
      out.outcome = Outcome::kRefused;
      if (r.contains("reason") && r["reason"].is_string()) out.reason = r["reason"];
    } else {
      out.outcome = Outcome::kExpired;
    }
    return out;
  }
  return OperationResult{};
}

}  // namespace certseal::pkcs11
