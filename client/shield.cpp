#include "client/shield.h"

#include "base/clock.h"
#include "base/encoding.h"
#include "client/agent.h"
#include "client/cert_fields.h"
#include "crypto/pairing.h"
#include "crypto/password.h"
#include "crypto/pkey.h"
#include "crypto/unlock.h"
#include "pki/certificate.h"

namespace certseal::client {
namespace cosign = crypto::cosign;
namespace unlock = crypto::unlock;
namespace pairing = crypto::pairing;
namespace {

Result<Bytes> b64_answer(const nlohmann::json& j, const char* name) {
  if (!j.is_object() || !j.contains(name) || !j[name].is_string()) {
    return unavailable("bad_answer", std::string("the server's answer lacks ") + name);
  }
  auto b = base64_decode(j[name].get<std::string>());
  if (!b) return unavailable("bad_answer", std::string("the server's answer has a bad ") + name);
  return std::move(b).value();
}

std::string b64(BytesView b) { return base64_encode(b); }
std::string b64s(const SecretBytes& s) { return base64_encode(BytesView(s.data(), s.size())); }

// A field as text, whatever JSON type the server chose ("" when absent or null).
std::string text(const nlohmann::json& j, const char* k) {
  if (!j.is_object() || !j.contains(k) || j[k].is_null()) return "";
  return j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
}

std::string key_path(const std::string& key_id) { return "/api/v1/shield/keys/" + key_id; }

struct NewSecret {
  Bytes salt;
  crypto::Argon2Limits limits;
  unlock::UnlockKeys keys;
};

Result<NewSecret> derive_new(std::string_view password, std::string_view device_id, Rng& rng) {
  NewSecret n;
  n.salt = rng.bytes(crypto::kArgon2SaltSize);
  CS_ASSIGN(n.keys, unlock::derive(password, n.salt, device_id, n.limits));
  return n;
}

// The certificate of the account that belongs to key_id and is current (its id), or "".
Result<std::string> current_certificate_of(Http& http, const std::string& key_id) {
  CS_ASSIGN(auto list, http.call("GET", "/api/v1/account/certificates"));
  if (list.contains("items") && list["items"].is_array()) {
    for (const auto& c : list["items"]) {
      if (text(c, "key_id") == key_id && c.value("current", true)) return text(c, "id");
    }
  }
  return std::string();
}

}  // namespace

Result<Unlocked> unlock_with_password(const KeyFile& key, std::string_view device_id, std::string_view password) {
  if (is_rsa_key(key) || is_ecdsa_key(key)) {
    return failed_precondition("algorithm_not_supported",
                               "this command works with SM2 keys only; two-party RSA and P-256 keys answer QR scenes");
  }
  CS_ASSIGN(auto keys, unlock::derive(password, key.salt, device_id, key.limits));
  SecretBytes d1 = unlock::mask_share(key.masked_d1, keys.share_key);
  CS_ASSIGN(auto share, cosign::DeviceShare::from_parts(d1, key.public_key));
  return Unlocked{std::move(share), std::move(keys.auth_key)};
}

Result<Masked> mask_for_password(BytesView d1, std::string_view device_id, std::string_view password, Rng& rng) {
  CS_ASSIGN(auto n, derive_new(password, device_id, rng));
  SecretBytes masked = unlock::mask_share(d1, n.keys.share_key);
  return Masked{std::move(n.salt), n.limits, Bytes(masked.begin(), masked.end()), std::move(n.keys.auth_key)};
}

Result<Bytes> certificate_public_point(const std::string& pem) {
  CS_ASSIGN(auto blocks, pem_decode_all(pem));
  if (blocks.empty()) return unavailable("bad_answer", "the server sent no certificate PEM");
  CS_ASSIGN(auto facts, pki::read_certificate(blocks.front().der));
  CS_ASSIGN(auto pub, crypto::PublicKey::from_spki_der(facts.spki));
  return pub.ec_point();
}

Result<nlohmann::json> ShieldClient::step(const std::string& key_id, BytesView auth_key, std::string_view operation,
                                          const std::string& method, const std::string& path, nlohmann::json body,
                                          BytesView payload) {
  CS_ASSIGN(auto ch, http_.call("POST", "/api/v1/shield/challenges",
                                {{"key_id", key_id}, {"device_id", device_.device_id}}));
  if (!ch.contains("nonce") || !ch["nonce"].is_string()) return unavailable("bad_answer", "no nonce in the challenge");
  std::string nonce = ch["nonce"];
  Bytes proof = unlock::proof(auth_key, operation, key_id, device_.device_id, nonce, payload);
  body["device_id"] = device_.device_id;
  body["nonce"] = nonce;
  body["proof"] = b64(proof);
  return http_.call(method, path, body);
}

Result<KeyFile> ShieldClient::install(const std::string& path, const nlohmann::json& extra, std::string_view password,
                                      nlohmann::json* answer, std::string_view algorithm) {
  if (algorithm == "rsa-2048" || algorithm == "rsa-3072") return install_rsa(path, extra, password, answer, algorithm);
  if (algorithm == "ec-p256") return install_ecdsa(path, extra, password, answer);
  cosign::DeviceKeygenStart kg = cosign::device_keygen_start(rng_);
  CS_ASSIGN(auto m, mask_for_password(kg.state.d1, device_.device_id, password, rng_));
  nlohmann::json body = extra.is_object() ? extra : nlohmann::json::object();
  body["device_id"] = device_.device_id;
  body["device_name"] = device_.device_name;
  body["p1"] = b64(kg.request.encode());
  body["auth_key"] = b64s(m.auth_key);
  body["salt"] = b64(m.salt);
  CS_ASSIGN(auto a, http_.call("POST", path, body));
  wipe_json_strings(body, {"auth_key"});
  CS_ASSIGN(auto kr_bytes, b64_answer(a, "keygen_response"));
  CS_ASSIGN(auto recovery_key, b64_answer(a, "recovery_key"));
  CS_ASSIGN(auto kr, cosign::KeygenResponse::decode(kr_bytes));
  CS_ASSIGN(auto share, cosign::device_keygen_finish(std::move(kg.state), kr));
  KeyFile k;
  k.key_id = text(a, "key_id");
  if (!safe_file_id(k.key_id)) return unavailable("bad_answer", "the server sent an unusable key id");
  const nlohmann::json cert = a.contains("certificate") ? a["certificate"] : nlohmann::json::object();
  k.certificate_id = cert.is_object() ? text(cert, "id") : "";
  std::string pem = certificate_pem(cert);
  if (!pem.empty()) {
    CS_ASSIGN(auto point, certificate_public_point(pem));
    if (point != share.public_key()) {
      return unavailable("key_mismatch", "the certificate does not certify the key generated with this device");
    }
  }
  k.public_key = share.public_key();
  k.salt = std::move(m.salt);
  k.limits = m.limits;
  k.masked_d1 = std::move(m.masked_d1);
  SecretBytes rec = unlock::mask_share_for_recovery(share.scalar(), recovery_key, device_.device_id);
  k.recovery_d1.assign(rec.begin(), rec.end());
  secure_wipe(recovery_key.data(), recovery_key.size());
  k.created_at = format_rfc3339_ms(SystemClock().now());
  if (answer) *answer = std::move(a);
  return k;
}

Result<std::string> ShieldClient::challenge(const std::string& key_id) {
  CS_ASSIGN(auto ch, http_.call("POST", "/api/v1/shield/challenges",
                                {{"key_id", key_id}, {"device_id", device_.device_id}}));
  if (!ch.contains("nonce") || !ch["nonce"].is_string()) return unavailable("bad_answer", "no nonce in the challenge");
  return ch["nonce"].get<std::string>();
}

Result<nlohmann::json> ShieldClient::post_step(const std::string& method, const std::string& path, nlohmann::json body,
                                               const std::string& nonce, BytesView proof) {
  body["device_id"] = device_.device_id;
  body["nonce"] = nonce;
  body["proof"] = b64(proof);
  return http_.call(method, path, body);
}

Result<Bytes> ShieldClient::sign(const KeyFile& key, DeviceHalf& half, BytesView message, std::string_view sm2_id,
                                 const std::string& purpose) {
  CS_ASSIGN(Bytes e, crypto::sm2_message_digest(key.public_key, sm2_id, message));
  CS_ASSIGN(auto raw, sign_digest(key, half, e, purpose));
  // The half verified it for the digest; check once more over the message itself, here, since
  // the half may be another process.
  CS_ASSIGN(auto pub, crypto::PublicKey::sm2_from_point(key.public_key));
  CS_ASSIGN(auto der, crypto::ec_sig_raw_to_der(raw));
  if (!crypto::verify(pub, crypto::SignScheme::kSm2Sm3, message, der, sm2_id).ok()) {
    return unavailable("bad_signature", "the two-party signature does not verify under the certificate's key");
  }
  return raw;
}

Result<Bytes> ShieldClient::sign_digest(const KeyFile& key, DeviceHalf& half, BytesView e, const std::string& purpose) {
  if (e.size() != 32) return invalid_argument("bad_digest_length", "an SM2 digest is 32 bytes");
  Error last(ErrorKind::kUnavailable, "cosign_retry", "the signature must be made again with a new nonce");
  for (int attempt = 0; attempt < 4; ++attempt) {
    CS_ASSIGN(auto nonce, challenge(key.key_id));
    CS_ASSIGN(auto start, half.sign_start(nonce, e));
    CS_ASSIGN(auto a, post_step("POST", key_path(key.key_id) + "/signatures",
                                {{"request", b64(start.request)}, {"purpose", purpose}}, nonce, start.proof));
    CS_ASSIGN(auto resp, b64_answer(a, "response"));
    auto raw = half.sign_finish(start.session, resp);
    if (raw) {
      // Checked here too: the half may be another process.
      if (!crypto::sm2_verify_digest(key.public_key, e, *raw).ok()) {
        return unavailable("bad_signature", "the two-party signature does not verify under the certificate's key");
      }
      return raw;
    }
    if (raw.error().code != "cosign_retry") return std::move(raw).error();
    last = std::move(raw).error();
  }
  return last;
}

Result<SecretBytes> ShieldClient::decrypt(const KeyFile& key, DeviceHalf& half, BytesView ciphertext,
                                          crypto::Sm2CipherOrder order, const std::string& purpose) {
  CS_ASSIGN(auto nonce, challenge(key.key_id));
  CS_ASSIGN(auto start, half.decrypt_start(nonce, ciphertext, order));
  CS_ASSIGN(auto a, post_step("POST", key_path(key.key_id) + "/decryptions",
                              {{"request", b64(start.request)}, {"purpose", purpose}}, nonce, start.proof));
  CS_ASSIGN(auto resp, b64_answer(a, "response"));
  return half.decrypt_finish(start.session, resp);
}

Result<KeyFile> ShieldClient::change_password(const KeyFile& key, const Unlocked& u, std::string_view new_password) {
  return remask(key, u.share.scalar(), u.auth_key, new_password);
}

Result<KeyFile> ShieldClient::change_password(const KeyFile& key, const UnlockedRsa& u,
                                              std::string_view new_password) {
  return remask(key, u.share.exponent(), u.auth_key, new_password);
}

Result<KeyFile> ShieldClient::change_password(const KeyFile& key, const UnlockedEcdsa& u,
                                              std::string_view new_password) {
  return remask(key, BytesView(u.share.secret().data(), u.share.secret().size()), u.auth_key, new_password);
}

Result<KeyFile> ShieldClient::remask(const KeyFile& key, BytesView share, BytesView auth_key,
                                     std::string_view new_password) {
  CS_ASSIGN(auto m, mask_for_password(share, device_.device_id, new_password, rng_));
  Bytes payload(m.auth_key.begin(), m.auth_key.end());
  payload.insert(payload.end(), m.salt.begin(), m.salt.end());
  CS_TRY(step(key.key_id, auth_key, "password", "PUT",
              key_path(key.key_id) + "/devices/" + device_.device_id + "/password",
              {{"auth_key", b64s(m.auth_key)}, {"salt", b64(m.salt)}}, payload));
  secure_wipe(payload.data(), payload.size());
  KeyFile k = key;
  k.salt = std::move(m.salt);
  k.limits = m.limits;
  k.masked_d1 = std::move(m.masked_d1);
  return k;
}

Result<KeyFile> ShieldClient::recover(const KeyFile& key, const RecoveryFactors& f, std::string_view new_password) {
  return recover_at(key_path(key.key_id) + "/recovery",
                    {{"code", f.code},
                     {"password", std::string(f.login_password.begin(), f.login_password.end())},
                     {"face_image", b64(f.face_image)}},
                    key, new_password);
}

Result<KeyFile> ShieldClient::recover_at(const std::string& path, nlohmann::json body, const KeyFile& key,
                                         std::string_view new_password) {
  CS_ASSIGN(auto n, derive_new(new_password, device_.device_id, rng_));
  body["device_id"] = device_.device_id;
  body["auth_key"] = b64s(n.keys.auth_key);
  body["salt"] = b64(n.salt);
  auto answer = http_.call("POST", path, body);
  wipe_json_strings(body, {"password", "auth_key", "reset_password"});
  CS_ASSIGN(auto a, std::move(answer));
  CS_ASSIGN(auto recovery_key, b64_answer(a, "recovery_key"));
  CS_ASSIGN(auto next_key, b64_answer(a, "next_recovery_key"));
  SecretBytes d1 = unlock::mask_share_for_recovery(key.recovery_d1, recovery_key, device_.device_id);
  secure_wipe(recovery_key.data(), recovery_key.size());
  if (is_rsa_key(key)) {
    CS_TRY(crypto::rsa_split::DeviceShare::from_parts(BytesView(d1.data(), d1.size()), key.public_key));
  } else if (is_ecdsa_key(key)) {
    CS_TRY(crypto::ecdsa_split::DeviceShare::from_parts(BytesView(d1.data(), d1.size()), key.public_key));
  } else {
    CS_TRY(cosign::DeviceShare::from_parts(d1, key.public_key));
  }
  KeyFile k = key;
  SecretBytes masked = unlock::mask_share(d1, n.keys.share_key);
  // The server retired the recovery key it just used: the new copy is masked under the next one.
  SecretBytes rec = unlock::mask_share_for_recovery(d1, next_key, device_.device_id);
  secure_wipe(next_key.data(), next_key.size());
  k.salt = std::move(n.salt);
  k.limits = n.limits;
  k.masked_d1.assign(masked.begin(), masked.end());
  k.recovery_d1.assign(rec.begin(), rec.end());
  return k;
}

Result<nlohmann::json> ShieldClient::add_device(const KeyFile& key, const Unlocked& u, const std::string& pairing_id,
                                                const std::string& code) {
  if (!safe_file_id(pairing_id)) return invalid_argument("usage", "bad pairing id");
  CS_TRY(pairing::parse_code(code));
  CS_ASSIGN(auto p, http_.call("GET", "/api/v1/shield/pairings/" + pairing_id));
  CS_ASSIGN(auto point, b64_answer(p, "public_key"));
  const pairing::PairingContext ctx{pairing_id, text(p, "device_id")};
  // Refuses, before anything is computed or sent, unless the relayed key and device id are the
  // ones the code (read off the new device by the user) was made for.
  CS_ASSIGN(auto grant, pairing::old_device_grant(u.share, key.key_id, code, ctx, point, rng_));
  SecretBytes u_enc = grant.request.encode();
  Bytes payload(pairing_id.begin(), pairing_id.end());
  payload.insert(payload.end(), u_enc.begin(), u_enc.end());
  payload.insert(payload.end(), grant.envelope.begin(), grant.envelope.end());
  auto a = step(key.key_id, u.auth_key, "add_device", "POST", key_path(key.key_id) + "/devices",
                {{"pairing_id", pairing_id},
                 {"u", base64_encode(BytesView(u_enc.data(), u_enc.size()))},
                 {"envelope", b64(grant.envelope)}},
                payload);
  secure_wipe(payload.data(), payload.size());
  CS_TRY(a);
  return nlohmann::json{{"device_id", ctx.device_id}, {"device_name", text(p, "device_name")}};
}

Result<nlohmann::json> ShieldClient::start_pairing(DeviceStore& store, const std::string& grant_id) {
  if (!grant_id.empty() && !safe_file_id(grant_id)) return invalid_argument("usage", "bad grant id");
  pairing::NewDeviceSecrets b = pairing::new_device_start(rng_);
  const std::string path = grant_id.empty() ? "/api/v1/shield/pairings" : "/api/v1/grants/" + grant_id + "/pairings";
  CS_ASSIGN(auto a, http_.call("POST", path,
                               {{"device_id", device_.device_id},
                                {"device_name", device_.device_name},
                                {"public_key", b64(b.ephemeral_public)}}));
  std::string id = text(a, "id");
  if (!safe_file_id(id)) return unavailable("bad_answer", "the server sent an unusable pairing id");
  const std::string code = pairing::pairing_code(b, {id, device_.device_id});
  nlohmann::json file = {{"id", id},
                         {"ephemeral", b64s(b.ephemeral)},
                         {"ephemeral_public", b64(b.ephemeral_public)},
                         {"code_secret", b64s(b.code_secret)},
                         {"expires_at", text(a, "expires_at")}};
  Status saved = store.save_pairing(id, file);
  wipe_json_strings(file, {"ephemeral", "code_secret"});
  CS_TRY(saved);
  a["code"] = code;
  return a;
}

Result<bool> ShieldClient::pairing_ready(const std::string& pairing_id) {
  CS_ASSIGN(auto p, http_.call("GET", "/api/v1/shield/pairings/" + pairing_id));
  return p.contains("envelope") && p["envelope"].is_string() && !p["envelope"].get<std::string>().empty();
}

Result<KeyFile> ShieldClient::complete_pairing(DeviceStore& store, const std::string& pairing_id,
                                               std::string_view password) {
  CS_ASSIGN(auto file, store.load_pairing(pairing_id));
  if (!file) return not_found("unknown_pairing", "this device did not start pairing " + pairing_id);
  pairing::NewDeviceSecrets b;
  {
    auto e = base64_decode(text(*file, "ephemeral"));
    auto pub = base64_decode(text(*file, "ephemeral_public"));
    auto s = base64_decode(text(*file, "code_secret"));
    wipe_json_strings(*file, {"ephemeral", "code_secret"});
    if (!e || !pub || !s) return invalid_argument("bad_pairing_file", "the pairing file of " + pairing_id + " is damaged");
    b.ephemeral.assign(e->begin(), e->end());
    b.ephemeral_public = std::move(*pub);
    b.code_secret.assign(s->begin(), s->end());
    secure_wipe(e->data(), e->size());
    secure_wipe(s->data(), s->size());
  }
  CS_ASSIGN(auto p, http_.call("GET", "/api/v1/shield/pairings/" + pairing_id));
  if (!p.contains("envelope") || !p["envelope"].is_string() || p["envelope"].get<std::string>().empty()) {
    return Error(ErrorKind::kFailedPrecondition, "pairing_pending", "the other device has not sent the key share yet");
  }
  CS_ASSIGN(auto envelope, b64_answer(p, "envelope"));
  // pairing_envelope_forged unless the other device sealed it for this key and code.
  CS_ASSIGN(auto joined, pairing::new_device_join(b, {pairing_id, device_.device_id}, envelope, rng_));
  if (!safe_file_id(joined.key_id)) return unavailable("bad_answer", "the other device sent an unusable key id");
  CS_ASSIGN(auto m, mask_for_password(joined.share.scalar(), device_.device_id, password, rng_));
  const SecretBytes y = joined.request.encode();
  const BytesView yv(y.data(), y.size());
  const Bytes msg = pairing::completion_message(pairing_id, text(p, "challenge"), yv, m.auth_key, m.salt);
  CS_ASSIGN(auto eph, crypto::PrivateKey::ec_from_scalar(crypto::KeyType::kSm2, b.ephemeral));
  CS_ASSIGN(auto sig, crypto::sign(eph, crypto::SignScheme::kSm2Sm3, msg));
  nlohmann::json body = {{"join_request", base64_encode(yv)},
                         {"auth_key", b64s(m.auth_key)},
                         {"salt", b64(m.salt)},
                         {"signature", b64(sig)}};
  auto answer = http_.call("POST", "/api/v1/shield/pairings/" + pairing_id + "/completion", body);
  wipe_json_strings(body, {"join_request", "auth_key"});
  CS_ASSIGN(auto a, std::move(answer));
  CS_ASSIGN(auto recovery_key, b64_answer(a, "recovery_key"));
  KeyFile k;
  k.key_id = joined.key_id;
  if (!text(a, "key_id").empty() && text(a, "key_id") != joined.key_id) {
    return unavailable("bad_answer", "the server names another key than the other device did");
  }
  // A device that joined an organisation key through a grant (docs/GRANTS.md) is told which
  // certificate; otherwise it is this account's current one of the key.
  if (!text(a, "certificate_id").empty()) {
    k.certificate_id = text(a, "certificate_id");
  } else {
    CS_ASSIGN(k.certificate_id, current_certificate_of(http_, k.key_id));
  }
  k.public_key = joined.share.public_key();
  k.salt = std::move(m.salt);
  k.limits = m.limits;
  k.masked_d1 = std::move(m.masked_d1);
  SecretBytes rec = unlock::mask_share_for_recovery(joined.share.scalar(), recovery_key, device_.device_id);
  k.recovery_d1.assign(rec.begin(), rec.end());
  secure_wipe(recovery_key.data(), recovery_key.size());
  k.created_at = format_rfc3339_ms(SystemClock().now());
  CS_TRY(store.remove_pairing(pairing_id));
  return k;
}

}  // namespace certseal::client
