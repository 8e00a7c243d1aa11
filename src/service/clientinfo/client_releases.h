// What the platform tells its clients about themselves (SPEC §11 "Settings"; docs/CLI.md
// "about, update check, logs"): the latest release of each client business and the support
// certificate an exported client log is encrypted to. One endpoint serves every business
// (`GET /api/v1/client/releases/latest?business=…`): legacy (数字证书业务(旧): tokens and the phone
// as a PC key), cloudkey (云密钥) and unified (the one app of the platform).
//
//   publish (operator)  -> a release: version (base/version.h) newer than the business's latest,
//                          notes, download URL, optional SHA-256 of the package and the oldest
//                          version still supported (older clients must update)
//   latest (public)     -> the newest release of a business
//   set_support_certificate (operator) / support_certificate (public): an SM2 certificate; the
//                          client encrypts its exported log to it (pki/cms_enveloped.h, as the
//                          cloud key's log export does) and only the support key opens it
//
// Thread-safe (the Rng is guarded). Each method opens its own transaction.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

// "legacy", "cloudkey", "unified".
bool known_client_business(const std::string& business);

struct ClientRelease {
  std::string id, business, version, notes, download_url, sha256, min_version, published_at;
};

struct ClientReleaseInput {
  std::string business, version, notes, download_url, sha256, min_version;
};

class ClientReleaseService {
 public:
  ClientReleaseService(store::Database& db, const Clock& clock, Rng& rng, Logger& log)
      : db_(db), clock_(clock), rng_(rng), log_(log) {}

  // The newest release of `business`. Errors: invalid_field (unknown business),
  // release_not_found (404: none published yet).
  Result<ClientRelease> latest(const std::string& business);
  // Errors: invalid_field (business; version; notes over 4000 characters; download_url not
  // http(s), over 500; sha256 not 64 hex digits; min_version not a version, or newer than
  // version), release_not_newer (409: not newer than the latest of the business).
  Result<ClientRelease> publish(const std::string& operator_id, const ClientReleaseInput& in);

  // Errors: invalid_field (business; not one PEM certificate an envelope can be made to).
  Status set_support_certificate(const std::string& operator_id, const std::string& business,
                                 const std::string& pem);
  // The certificate's DER. Errors: invalid_field (business), support_certificate_missing (404).
  Result<Bytes> support_certificate(const std::string& business);

 private:
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
};

}  // namespace certseal::service
