// The server's checks of a WebAuthn assertion that unlocks a step (webauthn_assertion.h).
#include "service/shield/webauthn_assertion.h"

#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"

namespace certseal::service {
namespace {

constexpr std::uint8_t kUserPresent = 0x01;   // UP, WebAuthn §6.1
constexpr std::uint8_t kUserVerified = 0x04;  // UV

Error refused(const char* code, const std::string& detail) { return permission_denied(code, detail); }

void append(Bytes& out, std::string_view s) { out.insert(out.end(), s.begin(), s.end()); }

}  // namespace

Bytes webauthn_step_challenge(std::string_view operation, std::string_view key_id, std::string_view device_id,
                              std::string_view nonce, BytesView payload) {
  Bytes m;
  append(m, "certseal-shield-v1 webauthn-step\n");
  append(m, operation);
  append(m, "\n");
  append(m, key_id);
  append(m, "\n");
  append(m, device_id);
  append(m, "\n");
  append(m, nonce);
  append(m, "\n");
  const Bytes h = crypto::sm3(payload);
  m.insert(m.end(), h.begin(), h.end());
  return crypto::sm3(m);
}

std::string webauthn_rp_id(std::string_view origin) {
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return {};
  std::string_view rest = origin.substr(scheme + 3);
  if (rest.empty() || rest.find('/') != std::string_view::npos || rest.find('@') != std::string_view::npos) return {};
  if (rest.front() == '[') return {};  // an IP literal is never an RP id
  return std::string(rest.substr(0, rest.find(':')));
}

Result<std::int64_t> check_webauthn_assertion(const WebAuthnAssertion& a, BytesView spki, BytesView challenge,
                                              const WebAuthnExpectations& want) {
  // clientDataJSON (§7.2 steps 10-14).
  nlohmann::json cd = nlohmann::json::parse(a.client_data_json.begin(), a.client_data_json.end(), nullptr, false);
  if (!cd.is_object() || !cd.contains("type") || !cd["type"].is_string() || !cd.contains("challenge") ||
      !cd["challenge"].is_string() || !cd.contains("origin") || !cd["origin"].is_string()) {
    return refused("webauthn_bad_client_data", "the client data is not the JSON of an assertion");
  }
  if (cd["type"] != "webauthn.get") return refused("webauthn_wrong_type", "the client data is not of webauthn.get");
  if (cd["challenge"].get<std::string>() != base64url_encode(challenge)) {
    return refused("webauthn_challenge_mismatch", "the assertion was made for another step, nonce or request");
  }
  if (want.origin.empty() || cd["origin"].get<std::string>() != want.origin) {
    return refused("webauthn_origin_mismatch", "the assertion was made on another site");
  }
  // authenticatorData: rpIdHash(32) ‖ flags(1) ‖ signCount(4, big-endian) ‖ … (§6.1).
  if (a.authenticator_data.size() < 37) {
    return refused("webauthn_bad_authenticator_data", "the authenticator data is too short");
  }
  const Bytes rp_hash = crypto::sha256(as_bytes(webauthn_rp_id(want.origin)));
  if (!std::equal(rp_hash.begin(), rp_hash.end(), a.authenticator_data.begin())) {
    return refused("webauthn_rp_mismatch", "the assertion is for another relying party id");
  }
  const std::uint8_t flags = a.authenticator_data[32];
  if ((flags & kUserPresent) == 0) return refused("webauthn_no_user_presence", "the user was not present");
  if ((flags & kUserVerified) == 0) {
    return refused("webauthn_no_user_verification", "the authenticator did not verify the user (fingerprint or face)");
  }
  // The signature over authenticatorData ‖ SHA-256(clientDataJSON) (§7.2 steps 19-20).
  auto key = crypto::PublicKey::from_spki_der(spki);
  if (!key || key->type() != crypto::KeyType::kEcP256) {
    return refused("webauthn_bad_signature", "the enrolled credential key is unusable");
  }
  Bytes signed_data = a.authenticator_data;
  const Bytes ch = crypto::sha256(a.client_data_json);
  signed_data.insert(signed_data.end(), ch.begin(), ch.end());
  if (!crypto::verify(*key, crypto::SignScheme::kEcdsaSha256, signed_data, a.signature)) {
    return refused("webauthn_bad_signature", "the assertion's signature does not verify under the enrolled credential");
  }
  // The counter (§7.2 step 22): it must grow, else the credential may have been cloned.
  const std::int64_t count = (std::int64_t{a.authenticator_data[33]} << 24) | (std::int64_t{a.authenticator_data[34]} << 16) |
                             (std::int64_t{a.authenticator_data[35]} << 8) | std::int64_t{a.authenticator_data[36]};
  if ((count != 0 || want.stored_sign_count != 0) && count <= want.stored_sign_count) {
    return refused("webauthn_sign_count", "the authenticator's counter did not grow: a copied credential?");
  }
  return count;
}

Status check_webauthn_public_key(BytesView spki) {
  auto key = crypto::PublicKey::from_spki_der(spki);
  if (!key || key->type() != crypto::KeyType::kEcP256) {
    return invalid_argument("webauthn_bad_public_key", "the credential's public key must be an EC P-256 (ES256) key")
        .with_field("public_key", "webauthn_bad_public_key", "SubjectPublicKeyInfo of a P-256 key");
  }
  return {};
}

}  // namespace certseal::service
