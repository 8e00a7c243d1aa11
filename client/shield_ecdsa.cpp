// The device side of two-party ECDSA P-256 keys (shield.h; crypto/ecdsa_split.h; docs/SHIELD.md
// "ECDSA P-256"): installation and the sign / key-agreement steps.
#include "base/clock.h"
#include "base/encoding.h"
#include "client/agent.h"
#include "client/cert_fields.h"
#include "client/shield.h"
#include "client/shield_internal.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/unlock.h"

namespace certseal::client {
namespace ecdsa_split = crypto::ecdsa_split;
namespace unlock = crypto::unlock;
using shield_detail::answer_bytes;
using shield_detail::answer_text;
using shield_detail::certificate_spki;

bool is_ecdsa_key(const KeyFile& key) { return key.algorithm == "ec-p256"; }

Result<UnlockedEcdsa> unlock_ecdsa_with_password(const KeyFile& key, std::string_view device_id,
                                                 std::string_view password) {
  if (!is_ecdsa_key(key)) return invalid_argument("algorithm_not_supported", "not a two-party P-256 key");
  if (key.unusable) {
    return failed_precondition("key_unusable", "this key was stopped on this device after a two-party signature "
                                               "failed (" + key.unusable_reason + "); reissue the certificate");
  }
  CS_ASSIGN(auto keys, unlock::derive(password, key.salt, device_id, key.limits));
  SecretBytes secret = unlock::mask_share(key.masked_d1, keys.share_key);
  CS_ASSIGN(auto share,
            ecdsa_split::DeviceShare::from_parts(BytesView(secret.data(), secret.size()), key.public_key));
  return UnlockedEcdsa{std::move(share), std::move(keys.auth_key)};
}

Result<KeyFile> ShieldClient::install_ecdsa(const std::string& path, const nlohmann::json& extra,
                                            std::string_view password, nlohmann::json* answer) {
  // x1, the Paillier primes and both proofs are made here; the server learns Q1, N and ckey.
  CS_ASSIGN(auto kg, ecdsa_split::device_keygen_start(device_.device_id, rng_));
  const BytesView secret(kg.state.secret.data(), kg.state.secret.size());
  CS_ASSIGN(auto m, mask_for_password(secret, device_.device_id, password, rng_));
  nlohmann::json body = extra.is_object() ? extra : nlohmann::json::object();
  body["device_id"] = device_.device_id;
  body["device_name"] = device_.device_name;
  body["p1"] = base64_encode(kg.request.encode());
  body["auth_key"] = base64_encode(BytesView(m.auth_key.data(), m.auth_key.size()));
  body["salt"] = base64_encode(m.salt);
  auto posted = http_.call("POST", path, body);
  wipe_json_strings(body, {"auth_key"});
  CS_ASSIGN(auto a, std::move(posted));
  CS_ASSIGN(auto recovery_key, answer_bytes(a, "recovery_key"));
  CS_ASSIGN(auto spki, answer_bytes(a, "keygen_response"));
  CS_ASSIGN(auto q, crypto::PublicKey::from_spki_der(spki));
  if (q.type() != crypto::KeyType::kEcP256) return unavailable("bad_answer", "the server's key is not a P-256 key");
  CS_ASSIGN(auto point, q.ec_point());
  CS_ASSIGN(auto share, ecdsa_split::device_keygen_finish(kg.state, point));
  KeyFile k;
  k.key_id = answer_text(a, "key_id");
  if (!safe_file_id(k.key_id)) return unavailable("bad_answer", "the server sent an unusable key id");
  const nlohmann::json cert = a.contains("certificate") ? a["certificate"] : nlohmann::json::object();
  k.certificate_id = cert.is_object() ? answer_text(cert, "id") : "";
  const std::string pem = certificate_pem(cert);
  if (!pem.empty()) {
    CS_ASSIGN(auto cert_spki, certificate_spki(pem));
    if (cert_spki != share.spki()) {
      return unavailable("key_mismatch", "the certificate does not certify the key generated with this device");
    }
  }
  k.algorithm = "ec-p256";
  k.public_key = share.spki();
  k.salt = std::move(m.salt);
  k.limits = m.limits;
  k.masked_d1 = std::move(m.masked_d1);
  SecretBytes rec = unlock::mask_share_for_recovery(secret, recovery_key, device_.device_id);
  k.recovery_d1.assign(rec.begin(), rec.end());
  secure_wipe(recovery_key.data(), recovery_key.size());
  k.created_at = format_rfc3339_ms(SystemClock().now());
  if (answer) *answer = std::move(a);
  return k;
}

Result<Bytes> ShieldClient::ecdsa_step(const KeyFile& key, const UnlockedEcdsa& u, const std::string& operation,
                                       const std::string& endpoint, const Bytes& request, const std::string& purpose) {
  CS_ASSIGN(auto nonce, challenge(key.key_id));
  const Bytes proof = unlock::proof(u.auth_key, operation, key.key_id, device_.device_id, nonce, request);
  CS_ASSIGN(auto a, post_step("POST", "/api/v1/shield/keys/" + key.key_id + "/" + endpoint,
                              {{"request", base64_encode(request)}, {"purpose", purpose}}, nonce, proof));
  return answer_bytes(a, "response");
}

Result<Bytes> ShieldClient::ecdsa_sign_digest(const KeyFile& key, const UnlockedEcdsa& u, BytesView digest,
                                              const std::string& purpose) {
  CS_ASSIGN(auto start, ecdsa_split::device_sign_start(u.share, digest, rng_));
  CS_ASSIGN(auto resp_bytes, ecdsa_step(key, u, "sign", "signatures", start.request.encode(), purpose));
  auto resp = ecdsa_split::SignResponse::decode(resp_bytes);
  if (!resp) {
    // An answer that is not even a response counts as a failed signature (the abort rule).
    return unavailable("ecdsa_split_abort", "the server's two-party ECDSA answer is malformed; this key must not be "
                                            "used again");
  }
  CS_ASSIGN(auto sig, ecdsa_split::device_sign_finish(u.share, start.state, *resp));
  // Once more with OpenSSL over the digest, before anyone sees it.
  CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(key.public_key));
  if (!crypto::verify_ecdsa_p256_sha256_digest(pub, digest, sig).ok()) {
    return unavailable("ecdsa_split_abort", "the two-party signature does not verify under the certificate's key");
  }
  return sig;
}

Result<Bytes> ShieldClient::ecdsa_sign(const KeyFile& key, const UnlockedEcdsa& u, BytesView message,
                                       const std::string& purpose) {
  CS_ASSIGN(auto sig, ecdsa_sign_digest(key, u, crypto::sha256(message), purpose));
  // Once more with OpenSSL over the message itself, before anyone sees it.
  CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(key.public_key));
  if (!crypto::verify(pub, crypto::SignScheme::kEcdsaSha256, message, sig).ok()) {
    return unavailable("ecdsa_split_abort", "the two-party signature does not verify under the certificate's key");
  }
  return sig;
}

Result<SecretBytes> ShieldClient::ecdsa_ecdh(const KeyFile& key, const UnlockedEcdsa& u, BytesView peer_point,
                                             const std::string& purpose) {
  CS_ASSIGN(auto start, ecdsa_split::device_ecdh_start(u.share, peer_point, rng_));
  CS_ASSIGN(auto resp_bytes, ecdsa_step(key, u, "decrypt", "decryptions", start.request.encode(), purpose));
  CS_ASSIGN(auto resp, ecdsa_split::EcdhResponse::decode(resp_bytes));
  return ecdsa_split::device_ecdh_finish(u.share, start.state, resp);
}

}  // namespace certseal::client
