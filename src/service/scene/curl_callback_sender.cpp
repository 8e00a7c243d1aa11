// CurlCallbackSender (scene_service.h): one POST per callback with libcurl, 5 s timeout, no
// redirects followed (a callback URL that redirects is a misconfiguration, not a new target).
#include <curl/curl.h>

#include <memory>

#include "service/scene/scene_service.h"

namespace certseal::service {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
size_t discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

Result<int> CurlCallbackSender::post(const std::string& url,
                                     const std::vector<std::pair<std::string, std::string>>& headers,
                                     const std::string& body) {
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return internal_error("curl_easy_init failed");
  curl_slist* list = nullptr;
  for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  std::unique_ptr<curl_slist, SlistDeleter> hs(list);
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_POST, 1L);
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(c.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, hs.get());
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard);
  CURLcode rc = curl_easy_perform(c.get());
  if (rc != CURLE_OK) {
    return unavailable("callback_unreachable", "the callback URL did not answer", curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  return static_cast<int>(status);
}

}  // namespace certseal::service
