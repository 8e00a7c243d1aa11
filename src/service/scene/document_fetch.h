// Scene 13's PDF fetched from the relying party's own side (docs/INTEGRATION.md "Scene 13"):
// instead of uploading the bytes, the relying party names a URL on the origin it registered.
//
// Contract: fetch_rp_document checks the URL before anything is fetched: it must parse, use http
// or https, and have the same scheme, host and port as the app's registered callback URL (the
// one server the operator already let the platform reach for this party; no other host, so the
// URL cannot turn certseald against the internal network). Then one GET, no redirects followed,
// at most the fetcher's max_bytes() read (the transfer is cut off beyond it), 15 s in all. Errors:
// document_url_invalid (400), document_url_not_allowed (403), document_url_failed (400, the
// status the URL answered), document_too_large (400), document_not_pdf (400),
// document_url_unreachable (503). Thread-safe (one curl handle per call).
#pragma once

#include <cstddef>
#include <string>

#include "base/bytes.h"
#include "base/result.h"
#include "service/scene/rp_apps.h"

namespace certseal::service {

// One HTTP GET of a document of at most max_bytes (server.body_limit: what an upload may be).
// Implementations: CurlDocumentFetcher; tests may bring their own.
class DocumentFetcher {
 public:
  explicit DocumentFetcher(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  virtual ~DocumentFetcher() = default;
  std::size_t max_bytes() const { return max_bytes_; }
  // The body of a 2xx answer, at most max_bytes() (document_too_large beyond);
  // document_url_failed for another status; document_url_unreachable when nothing answers in time.
  virtual Result<Bytes> get(const std::string& url) = 0;

 private:
  std::size_t max_bytes_;
};

class CurlDocumentFetcher final : public DocumentFetcher {
 public:
  using DocumentFetcher::DocumentFetcher;
  Result<Bytes> get(const std::string& url) override;
};

// Whether `url` is on the origin (scheme, host, port) of `callback_url`; the parsed URL's errors
// as document_url_invalid / document_url_not_allowed.
Status document_url_allowed(const std::string& url, const std::string& callback_url);

// document_url_allowed, then the fetch, then the PDF signature of the bytes.
Result<Bytes> fetch_rp_document(DocumentFetcher& fetcher, const RpAppView& app, const std::string& url);

}  // namespace certseal::service
