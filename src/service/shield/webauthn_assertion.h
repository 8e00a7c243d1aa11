// Unlocking a mobile-shield step with a platform authenticator (指纹/面容替代手机盾密码,
// docs/SHIELD.md "Unlocking with a platform authenticator"): what the server checks of a WebAuthn
// assertion (W3C WebAuthn Level 3 §7.2, "Verifying an Authentication Assertion") in place of the
// password's unlock proof. Pure functions; no I/O.
//
//   challenge = SM3("certseal-shield-v1 webauthn-step\n" ‖ operation ‖ "\n" ‖ key_id ‖ "\n" ‖
//                   device_id ‖ "\n" ‖ nonce ‖ "\n" ‖ SM3(payload))
//
// binds the assertion to one step exactly as the proof is bound (crypto/unlock.h): one request,
// one server nonce, one operation.
//
//   auto c = webauthn_step_challenge("sign", key, device, nonce, payload);
//   auto n = check_webauthn_assertion(a, spki, c, {"http://localhost:8443", stored_count});
//   if (!n) ... n.error().code names the failed check; else *n is the new signature counter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::service {

// What the browser returns from navigator.credentials.get() (AuthenticatorAssertionResponse).
struct WebAuthnAssertion {
  Bytes credential_id;
  Bytes authenticator_data;
  Bytes client_data_json;
  Bytes signature;  // ES256: DER ECDSA over authenticator_data ‖ SHA-256(client_data_json)
};

Bytes webauthn_step_challenge(std::string_view operation, std::string_view key_id, std::string_view device_id,
                              std::string_view nonce, BytesView payload);

struct WebAuthnExpectations {
  std::string origin;               // "scheme://host[:port]" the app is served from; the RP id is its host
  std::int64_t stored_sign_count = 0;
};

// The RP id of an origin: its host ("localhost" for "http://localhost:8080"); empty when the
// origin is not scheme://host[:port].
std::string webauthn_rp_id(std::string_view origin);

// Checks, in this order: clientDataJSON is JSON with type "webauthn.get", the challenge (base64url,
// no padding) and the origin; authenticatorData's RP id hash is SHA-256 of the RP id; the UP and
// UV flags are set; the signature verifies under the credential's P-256 key (`spki`, DER); the
// signature counter grows (both zero is accepted: an authenticator without a counter).
// Errors (kPermissionDenied), one per check: webauthn_bad_client_data, webauthn_wrong_type,
// webauthn_challenge_mismatch, webauthn_origin_mismatch, webauthn_bad_authenticator_data,
// webauthn_rp_mismatch, webauthn_no_user_presence, webauthn_no_user_verification,
// webauthn_bad_signature, webauthn_sign_count. Returns the new counter.
Result<std::int64_t> check_webauthn_assertion(const WebAuthnAssertion& a, BytesView spki, BytesView challenge,
                                              const WebAuthnExpectations& want);

// A credential public key acceptable for enrolment: an EC P-256 SubjectPublicKeyInfo (ES256, the
// one algorithm asked for). Errors: webauthn_bad_public_key (kInvalidArgument).
Status check_webauthn_public_key(BytesView spki);

}  // namespace certseal::service
