// The login assertion of scene 06 (扫码共享登录, docs/INTEGRATION.md "Scene 06"): who logged in,
// for which request, until when. It travels as the content of a CMS SignedData (pki/cms_signed.h,
// attached) signed through the two-party protocol by the user's certificate key, so a relying
// party verifies it offline with the CA chain: the CMS signature, then the certificate's chain,
// then the fields below against its own request (request id, app id, nonce) and its clock.
//
// The content is a JSON object in UTF-8, keys sorted, no white space:
//   {"app_id", "certificate_id", "certificate_serial" (hex), "expires_at", "issued_at" (RFC 3339 UTC),
//    "issuer", "nonce", "org_id" (or null), "platform_id", "request_id", "subject",
//    "type": "certseal-login-assertion/1"}
// issuer and subject are the certificate's names as text (RFC 4514 order as OpenSSL prints them).
// The device and the server build the same bytes from the same inputs (the server re-builds them
// to check the signature before it accepts a completion).
//
// Contract: pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::pki {

inline constexpr std::string_view kLoginAssertionType = "certseal-login-assertion/1";
inline constexpr std::int64_t kLoginAssertionValidityS = 300;

struct LoginAssertionInput {
  std::string request_id, app_id, platform_id, nonce, certificate_id;
  std::optional<std::string> org_id;
  Bytes certificate;           // DER
  std::int64_t issued_at = 0;  // unix seconds (the CMS signing time)
};

// Errors: bad_certificate.
Result<Bytes> login_assertion(const LoginAssertionInput& in);

}  // namespace certseal::pki
