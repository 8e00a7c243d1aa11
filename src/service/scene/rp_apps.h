// Relying-party applications (接入方应用) and the signatures on their requests
// (docs/INTEGRATION.md "Signing requests").
//
// An operator registers an application for a trading platform: name, callback URL, the scene
// codes it may create (06 14 16 20), an optional IP allow-list (addresses and CIDR blocks). The
// secret (32 random bytes, base64url, 43 characters) is shown once, at creation and at each
// rotation; the server keeps it sealed under a key derived from the master key (authenticated
// SM4, the app id as associated data): HMAC verification needs the secret itself, so a hash
// would not do. Disabling is final for requests: a disabled app authenticates nothing.
//
// Request signing: the relying party sends
//   Authorization: CS1-HMAC-SHA256 app_id=<id>, timestamp=<unix seconds>, nonce=<nonce>, signature=<hex>
// (or CS1-HMAC-SM3), where signature = HMAC(secret text as bytes, string_to_sign()):
//   <scheme> "\n" <METHOD> "\n" <target: path and query as sent> "\n" <timestamp> "\n" <nonce> "\n"
//   hex(SHA-256(body))
// A timestamp more than max_skew_s (300) from the server's clock, a nonce (8-64 of
// [A-Za-z0-9_-]) this app used within the window, a wrong signature, a disabled or unknown app, or
// a caller outside the allow-list is refused. The nonce is recorded (rp_nonces) only after the
// signature verified, so a forger cannot burn an app's nonces; the table is shared by every
// certseald on the database, so a replay to another process is refused too.
//
// Thread-safe; state is in the database. Each method opens its own transaction.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

inline constexpr std::string_view kRpSchemeSha256 = "CS1-HMAC-SHA256";
inline constexpr std::string_view kRpSchemeSm3 = "CS1-HMAC-SM3";

struct RpAppOptions {
  std::int64_t max_skew_s = 300;  // timestamps further from now are refused; nonces kept this long (x2)
};

struct RpAppInput {
  std::string name, platform_id, callback_url;
  std::vector<std::string> scenes;    // of "06", "14", "16", "20"
  std::vector<std::string> ip_allow;  // addresses or CIDR blocks; empty: any address
};

struct RpAppView {
  std::string id, name, platform_id, callback_url, status, created_by, created_at, updated_at;
  std::vector<std::string> scenes, ip_allow;
  std::int64_t secret_version = 0;
};

struct RpAppWithSecret {
  RpAppView app;
  std::string secret;  // shown once
};

// What authenticate() needs of an HTTP request.
struct RpSignedRequest {
  std::string method, target, body, authorization, remote_addr;
};

// The scene codes a relying party may ask for.
bool is_scene_code(std::string_view code);

// The text the HMAC covers (see the banner). body_sha256_hex: lower-case hex.
std::string rp_string_to_sign(std::string_view scheme, std::string_view method, std::string_view target,
                              std::string_view timestamp, std::string_view nonce, std::string_view body_sha256_hex);
// The full Authorization value for a request (the relying party's side; tests, examples, bench).
std::string rp_authorization(std::string_view scheme, const std::string& app_id, const std::string& secret,
                             std::string_view method, std::string_view target, std::string_view body,
                             std::int64_t timestamp, const std::string& nonce);

// The sealing key of relying-party secrets, derived from the platform's master key.
SecretBytes rp_seal_key(BytesView master_key);

class RpAppService {
 public:
  RpAppService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, SecretBytes seal_key,
               RpAppOptions opts = {});

  // Registers an app. Errors: invalid_field (name, callback_url: http(s) URL, scenes, ip_allow),
  // platform_not_found (404).
  Result<RpAppWithSecret> create(const std::string& operator_id, const RpAppInput& in);
  Result<std::vector<RpAppView>> list(const std::string& after, int limit);
  // Errors: rp_app_not_found (404).
  Result<RpAppView> get(const std::string& id);
  // A new secret; the old one stops working at once. Errors: rp_app_not_found, rp_app_disabled (409).
  Result<RpAppWithSecret> rotate_secret(const std::string& operator_id, const std::string& id);
  // Idempotent. Errors: rp_app_not_found.
  Result<RpAppView> disable(const std::string& operator_id, const std::string& id);

  // Checks a signed request; returns the app. Errors (all 401 unless said): rp_signature_malformed,
  // rp_timestamp_out_of_window, rp_signature_invalid (also unknown apps), rp_app_disabled (403),
  // rp_address_not_allowed (403), rp_nonce_replayed. Records the nonce (own transaction).
  Result<RpAppView> authenticate(const RpSignedRequest& req);
  // The checks that need no body, for the head of an upload before the body is read: a well-formed
  // Authorization, a timestamp within the window, an app that exists, is active and allows the
  // address. The signature and the nonce are checked by authenticate() once the body is in.
  Result<RpAppView> admit_head(const RpSignedRequest& head);

  // The app's current secret, for signing callbacks. Errors: rp_app_not_found.
  Result<std::string> secret(const std::string& app_id);

  // Deletes nonces past their window (scheduled jobs). Returns how many.
  Result<std::int64_t> purge_nonces();

 private:
  Result<RpAppView> load(store::Tx& tx, const std::string& id);
  Result<std::string> open_secret(const std::string& id, BytesView sealed);
  std::string new_secret();
  Result<Bytes> seal_secret(const std::string& id, const std::string& secret);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
  SecretBytes seal_key_;
  RpAppOptions opts_;
};

}  // namespace certseal::service
