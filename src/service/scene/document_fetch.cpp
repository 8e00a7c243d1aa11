#include "service/scene/document_fetch.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <tuple>

#include "docsign/ofd_package.h"

namespace certseal::service {
namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

struct Origin {
  std::string scheme, host, port;
};

// scheme, host (lower case) and port (the scheme's default when absent) of an absolute URL.
Result<Origin> origin_of(const std::string& url) {
  std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
  if (!u) return internal_error("curl_url failed");
  if (url.empty() || url.size() > 2048 || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return invalid_argument("document_url_invalid", "文档地址无效");
  }
  Origin o;
  for (auto [part, out, flags] : {std::tuple{CURLUPART_SCHEME, &o.scheme, 0u},
                                  std::tuple{CURLUPART_HOST, &o.host, 0u},
                                  std::tuple{CURLUPART_PORT, &o.port, static_cast<unsigned>(CURLU_DEFAULT_PORT)}}) {
    char* v = nullptr;
    if (curl_url_get(u.get(), part, &v, flags) != CURLUE_OK || v == nullptr) {
      return invalid_argument("document_url_invalid", "文档地址无效");
    }
    *out = v;
    curl_free(v);
  }
  std::transform(o.host.begin(), o.host.end(), o.host.begin(), [](unsigned char c) { return std::tolower(c); });
  if (o.scheme != "http" && o.scheme != "https") return invalid_argument("document_url_invalid", "文档地址须为 http(s)");
  return o;
}

struct Sink {
  Bytes data;
  std::size_t max = 0;
  bool too_large = false;
};

size_t collect(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (s->data.size() + len > s->max) {
    s->too_large = true;
    return 0;  // curl stops the transfer
  }
  s->data.insert(s->data.end(), reinterpret_cast<std::uint8_t*>(p), reinterpret_cast<std::uint8_t*>(p) + len);
  return len;
}

}  // namespace

Result<Bytes> CurlDocumentFetcher::get(const std::string& url) {
  const std::size_t limit = max_bytes();
  std::unique_ptr<CURL, CurlDeleter> c(curl_easy_init());
  if (!c) return internal_error("curl_easy_init failed");
  Sink sink{{}, limit, false};
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c.get(), CURLOPT_TIMEOUT_MS, 15000L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limit));
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
  const CURLcode rc = curl_easy_perform(c.get());
  if (sink.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
    return invalid_argument("document_too_large", "文档超过 " + std::to_string(limit) + " 字节");
  }
  if (rc != CURLE_OK) {
    return unavailable("document_url_unreachable", "文档地址无法访问", curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status > 299) {
    return invalid_argument("document_url_failed", "文档地址返回 HTTP " + std::to_string(status));
  }
  return std::move(sink.data);
}

Status document_url_allowed(const std::string& url, const std::string& callback_url) {
  CS_ASSIGN(auto want, origin_of(url));
  auto own = origin_of(callback_url);
  if (!own || own->scheme != want.scheme || own->host != want.host || own->port != want.port) {
    return permission_denied("document_url_not_allowed", "文档须位于接入方登记的回调地址所在站点");
  }
  return {};
}

Result<Bytes> fetch_rp_document(DocumentFetcher& fetcher, const RpAppView& app, const std::string& url) {
  CS_TRY(document_url_allowed(url, app.callback_url));
  CS_ASSIGN(auto pdf, fetcher.get(url));
  if ((pdf.size() < 5 || !std::equal(pdf.begin(), pdf.begin() + 5, "%PDF-")) && !docsign::sniff_ofd(pdf)) {
    return invalid_argument("document_not_pdf", "文档地址返回的不是 PDF 或 OFD");
  }
  return pdf;
}

}  // namespace certseal::service
