#include "api/shield_handlers.h"

#include <chrono>

#include "api/certificate_json.h"
#include "api/json_input.h"
#include "api/request_limits.h"
#include "api/services.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "service/shield/shield_service.h"

namespace certseal::api {
namespace {

Result<service::ShieldService*> shield(RequestContext& ctx) {
  if (ctx.services().shield == nullptr) return unavailable("shield_unavailable", "the mobile shield is not available");
  return ctx.services().shield;
}
const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }

// A required base64 field; exact size when size > 0, else at most max bytes.
Result<Bytes> b64(const nlohmann::json& body, std::string_view field, std::size_t size, std::size_t max = 8192) {
  CS_ASSIGN(auto text, required_string(body, field, max * 2));
  auto bytes = base64_decode(text);
  const std::string f(field);
  if (!bytes || (size > 0 && bytes->size() != size) || bytes->empty() || bytes->size() > max) {
    const std::string what = size > 0 ? "base64 of " + std::to_string(size) + " bytes" : "base64";
    return invalid_argument("invalid_field", f + " must be " + what).with_field(f, "invalid", what);
  }
  return std::move(bytes).value();
}

Result<service::DeviceEnrolment> enrolment(const nlohmann::json& body) {
  service::DeviceEnrolment d;
  CS_ASSIGN(d.device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(d.device_name, required_string(body, "device_name", 64));
  // SM2: a KeygenRequest (67 bytes); RSA: an rsa_split::EnrolRequest (key, server share, check);
  // P-256: an ecdsa_split::EnrolRequest with its two proofs (about 42 KB).
  CS_ASSIGN(d.p1, b64(body, "p1", 0, 48 * 1024));
  CS_ASSIGN(d.auth_key, b64(body, "auth_key", 32));
  CS_ASSIGN(d.salt, b64(body, "salt", 16));
  return d;
}

// Installation and reissue share one budget per account: each attempt, failed ones too, costs the
// server the check of the device's first message (for P-256 two proofs over a Paillier modulus).
Status check_enrolment_budget(RequestContext& ctx) {
  if (auto* l = ctx.services().limits) return check_rate(l->shield_enrolment, me(ctx), "shield enrolment");
  return {};
}

nlohmann::json install_json(const service::InstallResult& r) {
  return {{"key_id", r.key_id},
          {"keygen_response", base64_encode(r.keygen_response)},
          {"recovery_key", base64_encode(r.recovery_key)},
          {"certificate", r.certificate.to_json()}};
}

constexpr std::size_t kMaxFaceImage = 2u << 20;  // 2 MiB

Result<std::string> request_id(const nlohmann::json& body) { return required_string(body, "request_id", 100); }

// The common part of a two-party step: device, nonce, proof.
Result<service::ShieldStep> step(RequestContext& ctx, const nlohmann::json& body) {
  service::ShieldStep s;
  s.key_id = ctx.param("id");
  CS_ASSIGN(s.device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(s.nonce, required_string(body, "nonce", 128));
  // The platform authenticator's assertion instead of the password's proof (docs/SHIELD.md).
  if (body.contains("webauthn") && !body["webauthn"].is_null()) {
    const auto& w = body["webauthn"];
    if (!w.is_object()) return invalid_argument("invalid_field", "webauthn must be an object").with_field("webauthn", "invalid", "an object");
    service::WebAuthnAssertion a;
    CS_ASSIGN(a.credential_id, b64(w, "credential_id", 0, 1023));
    CS_ASSIGN(a.authenticator_data, b64(w, "authenticator_data", 0, 4096));
    CS_ASSIGN(a.client_data_json, b64(w, "client_data_json", 0, 4096));
    CS_ASSIGN(a.signature, b64(w, "signature", 0, 128));
    s.webauthn = std::move(a);
  } else {
    CS_ASSIGN(s.proof, b64(body, "proof", 32));
  }
  CS_ASSIGN(auto purpose, optional_string(body, "purpose", 200));
  s.purpose = purpose.value_or("");
  return s;
}

}  // namespace

// ---- Installation and certificates -----------------------------------------------------------

Result<Reply> post_order_installation(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_TRY(check_enrolment_budget(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto d, enrolment(body));
  CS_ASSIGN(auto r, s->install(me(ctx), ctx.param("id"), d));
  return Reply::json(install_json(r), 201);
}

Result<Reply> get_account_certificates(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto list, s->certificates(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& h : list) items.push_back(held_certificate_json(h));
  return Reply::json({{"items", items}});
}

Result<Reply> get_account_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto h, s->certificate(me(ctx), ctx.param("id")));
  CS_ASSIGN(auto key, s->key(me(ctx), h.key_id));
  CS_ASSIGN(auto history, ctx.services().ca->history(h.certificate_id));
  nlohmann::json j = held_certificate_json(h);
  j["certificate"] = h.record.to_json();
  j["history"] = history;
  j["key"] = {{"id", key.id}, {"status", key.status}, {"algorithm", key.algorithm},
              {"public_key", base64_encode(key.public_key)}};
  return Reply::json(j);
}

Result<Reply> post_certificate_renewal(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto rid, request_id(body));
  CS_ASSIGN(auto order_id, optional_string(body, "order_id", 64));
  CS_ASSIGN(auto rec, s->renew(me(ctx), ctx.param("id"), rid, order_id.value_or("")));
  return Reply::json({{"certificate", rec.to_json()}}, 201);
}

Result<Reply> post_certificate_change(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto rid, request_id(body));
  CS_ASSIGN(auto rec, s->change(me(ctx), ctx.param("id"), rid));
  return Reply::json({{"certificate", rec.to_json()}}, 201);
}

Result<Reply> post_certificate_revocation(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto rid, request_id(body));
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 64));
  CS_ASSIGN(auto rec, s->revoke(me(ctx), ctx.param("id"), rid, code, reason.value_or("unspecified")));
  return Reply::json({{"certificate", rec.to_json()}});
}

Result<Reply> post_certificate_reissue(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_TRY(check_enrolment_budget(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto rid, request_id(body));
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto d, enrolment(body));
  service::ReissueProof proof;
  CS_ASSIGN(proof.password, required_string(body, "password", 200));
  // The photos are needed unless the operator's notice carries the identity review.
  CS_ASSIGN(auto front, optional_string(body, "id_card_front", 64));
  CS_ASSIGN(auto back, optional_string(body, "id_card_back", 64));
  proof.id_card_front = front.value_or("");
  proof.id_card_back = back.value_or("");
  CS_ASSIGN(auto r, s->reissue(me(ctx), ctx.param("id"), rid, code, d, proof));
  return Reply::json(install_json(r), 201);
}

Result<Reply> op_post_reissue_notice(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, required_string(body, "reason", 500));
  bool identity_checked = false;
  if (auto it = body.find("identity_checked"); it != body.end()) {
    if (!it->is_boolean()) {
      return invalid_argument("invalid_field", "identity_checked must be true or false")
          .with_field("identity_checked", "invalid", "true or false");
    }
    identity_checked = it->get<bool>();
  }
  CS_TRY(s->reissue_notice(me(ctx), ctx.param("id"), reason, identity_checked));
  return Reply::json({{"status", "notified"}});
}

// ---- Two-party steps -------------------------------------------------------------------------

Result<Reply> post_shield_challenge(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto key_id, required_string(body, "key_id", 64));
  CS_ASSIGN(auto device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(auto c, s->challenge(me(ctx), key_id, device_id));
  return Reply::json({{"nonce", c.nonce}, {"expires_at", c.expires_at}});
}

namespace {

// Signing and decryption steps differ only in the service call.
using StepCall = Result<Bytes> (service::ShieldService::*)(const std::string&, const service::ShieldStep&);
Result<Reply> two_party_step(RequestContext& ctx, StepCall call) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto st, step(ctx, body));
  // SM2 requests are under 100 bytes; two-party RSA ones carry one value mod N (up to 3072 bits).
  CS_ASSIGN(st.payload, b64(body, "request", 0, 512));
  CS_ASSIGN(auto r, (s->*call)(me(ctx), st));
  return Reply::json({{"response", base64_encode(r)}});
}

}  // namespace

Result<Reply> post_shield_signature(RequestContext& ctx) {
  return two_party_step(ctx, &service::ShieldService::sign);
}

Result<Reply> post_shield_decryption(RequestContext& ctx) {
  return two_party_step(ctx, &service::ShieldService::decrypt);
}

Result<Reply> post_shield_refresh(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto st, step(ctx, body));
  CS_ASSIGN(st.payload, b64(body, "u", 0, 256));
  CS_TRY(s->refresh(me(ctx), st));
  return Reply::json({{"status", "refreshed"}});
}

Result<Reply> put_shield_password(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto st, step(ctx, body));
  if (st.device_id != ctx.param("device_id")) {
    return invalid_argument("invalid_field", "device_id must be the device of the path")
        .with_field("device_id", "invalid", "the device of the path");
  }
  CS_ASSIGN(auto auth, b64(body, "auth_key", 32));
  CS_ASSIGN(auto salt, b64(body, "salt", 16));
  st.payload = auth;
  st.payload.insert(st.payload.end(), salt.begin(), salt.end());
  CS_TRY(s->change_password(me(ctx), st));
  return Reply::json({{"status", "changed"}});
}

// ---- Devices, pairing, recovery, records -----------------------------------------------------

Result<Reply> get_shield_devices(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto list, s->devices(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : list) {
    items.push_back({{"device_id", d.device_id}, {"name", d.name}, {"status", d.status},
                     {"created_at", d.created_at}, {"removed_at", string_or_null(d.removed_at)}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> post_shield_webauthn(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto st, step(ctx, body));
  if (st.device_id != ctx.param("device_id")) {
    return invalid_argument("invalid_field", "device_id must be the device of the path")
        .with_field("device_id", "invalid", "the device of the path");
  }
  CS_ASSIGN(auto credential_id, b64(body, "credential_id", 0, 1023));
  CS_ASSIGN(auto public_key, b64(body, "public_key", 0, 1024));
  st.payload = credential_id;
  st.payload.insert(st.payload.end(), public_key.begin(), public_key.end());
  CS_TRY(s->enrol_webauthn(me(ctx), st, credential_id, public_key));
  return Reply::json({{"status", "enrolled"}}, 201);
}

Result<Reply> post_shield_device(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto st, step(ctx, body));
  CS_ASSIGN(auto pairing_id, required_string(body, "pairing_id", 64));
  CS_ASSIGN(auto u, b64(body, "u", 0, 256));
  CS_ASSIGN(auto envelope, b64(body, "envelope", 0, 4096));
  st.payload = to_bytes(pairing_id);
  st.payload.insert(st.payload.end(), u.begin(), u.end());
  st.payload.insert(st.payload.end(), envelope.begin(), envelope.end());
  CS_TRY(s->add_device(me(ctx), st, pairing_id, u, envelope));
  return Reply::json({{"status", "delivered"}});
}

Result<Reply> post_shield_device_removal(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_TRY(s->remove_device(me(ctx), ctx.param("id"), ctx.param("device_id"), code));
  return Reply::json({{"status", "removed"}});
}

Result<Reply> post_shield_pairing(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(auto name, required_string(body, "device_name", 64));
  CS_ASSIGN(auto pub, b64(body, "public_key", 65));
  CS_ASSIGN(auto p, s->create_pairing(me(ctx), device_id, name, pub));
  return Reply::json({{"id", p.id}, {"expires_at", p.expires_at}, {"challenge", p.challenge}}, 201);
}

Result<Reply> get_shield_pairing(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto p, s->pairing(me(ctx), ctx.param("id")));
  return Reply::json({{"id", p.id},
                      {"device_id", p.device_id},
                      {"device_name", p.device_name},
                      {"public_key", base64_encode(p.public_key)},
                      {"status", p.status},
                      {"key_id", string_or_null(p.key_id)},
                      {"envelope", p.envelope.empty() ? nlohmann::json() : nlohmann::json(base64_encode(p.envelope))},
                      {"challenge", p.challenge},
                      {"expires_at", p.expires_at}});
}

Result<Reply> post_shield_pairing_completion(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::PairingCompletion c;
  CS_ASSIGN(c.join_request, b64(body, "join_request", 0, 64));
  CS_ASSIGN(c.auth_key, b64(body, "auth_key", 32));
  CS_ASSIGN(c.salt, b64(body, "salt", 16));
  CS_ASSIGN(c.signature, b64(body, "signature", 0, 128));
  CS_ASSIGN(auto r, s->complete_pairing(me(ctx), ctx.param("id"), c));
  nlohmann::json out = {{"key_id", r.key_id}, {"recovery_key", base64_encode(r.recovery_key)}};
  if (!r.certificate_id.empty()) out["certificate_id"] = r.certificate_id;  // joined through a grant
  return Reply::json(out);
}

Result<Reply> post_shield_recovery(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::RecoveryRequest r;
  CS_ASSIGN(r.device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(r.code, required_string(body, "code", 16));
  CS_ASSIGN(r.login_password, required_string(body, "password", 256));
  CS_ASSIGN(r.face_image, b64(body, "face_image", 0, kMaxFaceImage));
  CS_ASSIGN(r.auth_key, b64(body, "auth_key", 32));
  CS_ASSIGN(r.salt, b64(body, "salt", 16));
  CS_ASSIGN(auto out, s->recover(me(ctx), ctx.param("id"), r));
  secure_wipe(r.login_password.data(), r.login_password.size());
  return Reply::json({{"recovery_key", base64_encode(out.recovery_key)},
                      {"next_recovery_key", base64_encode(out.next_recovery_key)},
                      {"identity_checked_by", out.verified_by}});
}

Result<Reply> get_shield_events(RequestContext& ctx) {
  CS_ASSIGN(auto s, shield(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, s->events(me(ctx), ctx.param("id"), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, shield_event_json));
}

}  // namespace certseal::api
