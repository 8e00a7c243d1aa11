// The device side of two-party RSA keys (shield.h; crypto/rsa_split.h; docs/SHIELD.md
// "International algorithms"): installation and the sign / decrypt steps.
#include <span>

#include "base/clock.h"
#include "base/encoding.h"
#include "client/agent.h"
#include "client/cert_fields.h"
#include "client/shield.h"
#include "client/shield_internal.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/unlock.h"
#include "pki/certificate.h"

namespace certseal::client {
namespace rsa_split = crypto::rsa_split;
namespace unlock = crypto::unlock;
namespace shield_detail {

Result<Bytes> answer_bytes(const nlohmann::json& j, const char* name) {
  if (!j.is_object() || !j.contains(name) || !j[name].is_string()) {
    return unavailable("bad_answer", std::string("the server's answer lacks ") + name);
  }
  auto b = base64_decode(j[name].get<std::string>());
  if (!b) return unavailable("bad_answer", std::string("the server's answer has a bad ") + name);
  return std::move(b).value();
}

std::string answer_text(const nlohmann::json& j, const char* k) {
  if (!j.is_object() || !j.contains(k) || j[k].is_null()) return "";
  return j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
}

// The SPKI DER of a certificate PEM, in OpenSSL's canonical encoding.
Result<Bytes> certificate_spki(const std::string& pem) {
  CS_ASSIGN(auto blocks, pem_decode_all(pem));
  if (blocks.empty()) return unavailable("bad_answer", "the server sent no certificate PEM");
  CS_ASSIGN(auto facts, pki::read_certificate(blocks.front().der));
  CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(facts.spki));
  return pub.spki_der();
}

}  // namespace shield_detail
using shield_detail::answer_bytes;
using shield_detail::answer_text;
using shield_detail::certificate_spki;

bool is_rsa_key(const KeyFile& key) { return key.algorithm == "rsa-2048" || key.algorithm == "rsa-3072"; }

Result<UnlockedRsa> unlock_rsa_with_password(const KeyFile& key, std::string_view device_id,
                                             std::string_view password) {
  if (!is_rsa_key(key)) return invalid_argument("algorithm_not_supported", "not a two-party RSA key");
  CS_ASSIGN(auto keys, unlock::derive(password, key.salt, device_id, key.limits));
  SecretBytes d_dev = unlock::mask_share(key.masked_d1, keys.share_key);
  CS_ASSIGN(auto share, rsa_split::DeviceShare::from_parts(BytesView(d_dev.data(), d_dev.size()), key.public_key));
  return UnlockedRsa{std::move(share), std::move(keys.auth_key)};
}

Result<KeyFile> ShieldClient::install_rsa(const std::string& path, const nlohmann::json& extra,
                                          std::string_view password, nlohmann::json* answer,
                                          std::string_view algorithm) {
  const auto type = algorithm == "rsa-3072" ? crypto::KeyType::kRsa3072 : crypto::KeyType::kRsa2048;
  // d, p, q and φ exist only inside generate(); d_srv only in the request below.
  CS_ASSIGN(auto g, rsa_split::generate(type, device_.device_id, rng_));
  const BytesView d_dev(g.device.exponent().data(), g.device.exponent().size());
  CS_ASSIGN(auto m, mask_for_password(d_dev, device_.device_id, password, rng_));
  SecretBytes p1 = g.request.encode();
  nlohmann::json body = extra.is_object() ? extra : nlohmann::json::object();
  body["device_id"] = device_.device_id;
  body["device_name"] = device_.device_name;
  body["p1"] = base64_encode(BytesView(p1.data(), p1.size()));
  body["auth_key"] = base64_encode(BytesView(m.auth_key.data(), m.auth_key.size()));
  body["salt"] = base64_encode(m.salt);
  auto posted = http_.call("POST", path, body);
  wipe_json_strings(body, {"auth_key", "p1"});
  CS_ASSIGN(auto a, std::move(posted));
  CS_ASSIGN(auto recovery_key, answer_bytes(a, "recovery_key"));
  KeyFile k;
  k.key_id = answer_text(a, "key_id");
  if (!safe_file_id(k.key_id)) return unavailable("bad_answer", "the server sent an unusable key id");
  const nlohmann::json cert = a.contains("certificate") ? a["certificate"] : nlohmann::json::object();
  k.certificate_id = cert.is_object() ? answer_text(cert, "id") : "";
  const std::string pem = certificate_pem(cert);
  if (!pem.empty()) {
    CS_ASSIGN(auto spki, certificate_spki(pem));
    if (spki != g.device.spki()) {
      return unavailable("key_mismatch", "the certificate does not certify the key generated on this device");
    }
  }
  k.algorithm = std::string(algorithm);
  k.public_key = g.device.spki();
  k.salt = std::move(m.salt);
  k.limits = m.limits;
  k.masked_d1 = std::move(m.masked_d1);
  SecretBytes rec = unlock::mask_share_for_recovery(d_dev, recovery_key, device_.device_id);
  k.recovery_d1.assign(rec.begin(), rec.end());
  secure_wipe(recovery_key.data(), recovery_key.size());
  k.created_at = format_rfc3339_ms(SystemClock().now());
  if (answer) *answer = std::move(a);
  return k;
}

Result<rsa_split::StepResponse> ShieldClient::rsa_step(const KeyFile& key, const UnlockedRsa& u,
                                                       const std::string& operation, const std::string& endpoint,
                                                       const rsa_split::StepRequest& req, const std::string& purpose) {
  CS_ASSIGN(auto nonce, challenge(key.key_id));
  const Bytes request = req.encode();
  const Bytes proof = unlock::proof(u.auth_key, operation, key.key_id, device_.device_id, nonce, request);
  CS_ASSIGN(auto a, post_step("POST", "/api/v1/shield/keys/" + key.key_id + "/" + endpoint,
                              {{"request", base64_encode(request)}, {"purpose", purpose}}, nonce, proof));
  CS_ASSIGN(auto resp, answer_bytes(a, "response"));
  return rsa_split::StepResponse::decode(resp);
}

Result<Bytes> ShieldClient::rsa_sign(const KeyFile& key, const UnlockedRsa& u, BytesView message,
                                     const std::string& purpose) {
  return rsa_sign_digest(key, u, crypto::sha256(message), purpose);
}

Result<Bytes> ShieldClient::rsa_sign_digest(const KeyFile& key, const UnlockedRsa& u, BytesView digest,
                                            const std::string& purpose) {
  if (digest.size() != 32) return invalid_argument("bad_digest_length", "a SHA-256 digest has 32 bytes");
  CS_ASSIGN(auto start, rsa_split::device_sign_start(u.share, digest));
  CS_ASSIGN(auto resp, rsa_step(key, u, "sign", "signatures", start.request, purpose));
  CS_ASSIGN(auto sig, rsa_split::device_sign_finish(u.share, start.state, resp));
  // Once more with OpenSSL over the digest, before anyone sees it.
  CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(key.public_key));
  if (!crypto::verify_rsa_pkcs1_sha256_digest(pub, digest, sig).ok()) {
    return unavailable("bad_signature", "the two-party signature does not verify under the certificate's key");
  }
  return sig;
}

Result<SecretBytes> ShieldClient::rsa_decrypt(const KeyFile& key, const UnlockedRsa& u, BytesView ciphertext,
                                              rsa_split::Padding padding, const std::string& purpose) {
  CS_ASSIGN(auto start, rsa_split::device_decrypt_start(u.share, ciphertext, rng_));
  CS_ASSIGN(auto resp, rsa_step(key, u, "decrypt", "decryptions", start.request, purpose));
  return rsa_split::device_decrypt_finish(u.share, start.state, resp, padding);
}

}  // namespace certseal::client
