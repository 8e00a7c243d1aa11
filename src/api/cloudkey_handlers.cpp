#include "api/cloudkey_handlers.h"

#include <chrono>

#include "api/json_input.h"
#include "base/clock.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/cloudkey/cloudkey_service.h"

namespace certseal::api {
namespace {

const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }

Result<service::CloudKeyService*> ck(RequestContext& ctx) {
  if (ctx.services().cloudkey == nullptr) return unavailable("cloudkey_unavailable", "the cloud key is not available");
  return ctx.services().cloudkey;
}

nlohmann::json opt(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }

nlohmann::json tenant_json(const service::TenantView& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"ca_id", t.ca_id},
          {"validity_days", t.validity_days},
          {"secondary_devices", t.settings.secondary_devices},
          {"auth_mode", t.settings.auth_mode},
          {"allowed_apps", t.settings.allowed_apps.value_or(std::vector<std::string>{})},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at}};
}

nlohmann::json staff_json(const service::StaffView& s) {
  return {{"id", s.id},           {"tenant_id", s.tenant_id},   {"staff_no", s.staff_no},
          {"name", s.name},       {"phone", s.phone},           {"id_number", s.id_number},
          {"status", s.status},   {"source", s.source},         {"reason", opt(s.reason)},
          {"created_at", s.created_at}, {"decided_at", opt(s.decided_at)},
          {"certificate_id", opt(s.certificate_id)}};
}

nlohmann::json device_json(const service::CloudKeyDevice& d) {
  return {{"device_id", d.device_id}, {"name", d.name}, {"role", d.role}, {"status", d.status},
          {"created_at", d.created_at}};
}

Result<bool> bool_field(const nlohmann::json& body, const std::string& name, bool fallback) {
  if (!body.contains(name) || body[name].is_null()) return fallback;
  if (!body[name].is_boolean()) {
    return invalid_argument("invalid_field", name + " must be true or false").with_field(name, "invalid", "boolean");
  }
  return body[name].get<bool>();
}

Result<service::TenantSettings> settings(const nlohmann::json& body, const service::TenantSettings& base) {
  service::TenantSettings s = base;
  CS_ASSIGN(s.secondary_devices, bool_field(body, "secondary_devices", base.secondary_devices));
  CS_ASSIGN(auto mode, optional_string(body, "auth_mode", 32));
  if (mode) s.auth_mode = *mode;
  if (body.contains("allowed_apps") && !body["allowed_apps"].is_null()) {
    const auto& apps = body["allowed_apps"];
    if (!apps.is_array() || apps.size() > 50) {
      return invalid_argument("invalid_field", "allowed_apps must be a list of application ids")
          .with_field("allowed_apps", "invalid", "at most 50 application ids");
    }
    std::vector<std::string> list;
    for (const auto& a : apps) {
      if (!a.is_string()) {
        return invalid_argument("invalid_field", "allowed_apps must be a list of application ids")
            .with_field("allowed_apps", "invalid", "strings");
      }
      list.push_back(a.get<std::string>());
    }
    s.allowed_apps = std::move(list);
  } else {
    s.allowed_apps.reset();  // unchanged
  }
  return s;
}

nlohmann::json signature_json(const service::SignaturePicture& p) {
  return {{"staff_id", p.staff_id},   {"staff_no", p.staff_no},     {"tenant_id", p.tenant_id},
          {"sha256", p.sha256},       {"width_px", p.width_px},     {"height_px", p.height_px},
          {"media_type", "image/png"}, {"png", base64_encode(p.png)}, {"updated_at", p.updated_at}};
}

Result<Bytes> b64(const nlohmann::json& body, std::string_view field, std::size_t size, std::size_t max) {
  CS_ASSIGN(auto text, required_string(body, field, max * 2));
  auto bytes = base64_decode(text);
  const std::string f(field);
  if (!bytes || (size > 0 && bytes->size() != size) || bytes->empty() || bytes->size() > max) {
    return invalid_argument("invalid_field", f + " must be base64").with_field(f, "invalid", "base64");
  }
  return std::move(bytes).value();
}

Result<service::StaffInput> staff_input(const nlohmann::json& body, bool with_phone) {
  service::StaffInput in;
  CS_ASSIGN(in.staff_no, required_string(body, "staff_no", 64));
  CS_ASSIGN(in.name, required_string(body, "name", 200));
  if (with_phone) {
    CS_ASSIGN(in.phone, required_string(body, "phone", 32));
  }
  CS_ASSIGN(in.id_number, required_string(body, "id_number", 32));
  return in;
}

nlohmann::json delegation_json(const service::DelegationView& d) {
  auto t = [](std::int64_t s) {
    return s == 0 ? nlohmann::json(nullptr) : nlohmann::json(format_rfc3339(sys_time_from_unix(s)));
  };
  return {{"id", d.id},
          {"tenant_id", d.tenant_id},
          {"certificate_id", d.certificate_id},
          {"key_id", d.key_id},
          {"holder_account_id", d.holder_account_id},
          {"holder_staff_no", d.holder_staff_no},
          {"holder_name", d.holder_name},
          {"delegate_account_id", d.delegate_account_id},
          {"delegate_staff_no", d.delegate_staff_no},
          {"delegate_name", d.delegate_name},
          {"statement", d.statement},
          {"status", d.status},
          {"frozen", d.frozen},
          {"live", d.live},
          {"not_before", t(d.not_before)},
          {"not_after", t(d.not_after)},
          {"uses_total", d.uses_total ? nlohmann::json(*d.uses_total) : nlohmann::json(nullptr)},
          {"uses_left", d.uses_left ? nlohmann::json(*d.uses_left) : nlohmann::json(nullptr)},
          {"uses_made", d.uses_made},
          {"created_at", d.created_at},
          {"decided_at", opt(d.decided_at)}};
}

// {not_after: unix seconds, uses: integer or absent}
Result<service::DelegationTerms> terms(const nlohmann::json& body) {
  service::DelegationTerms t;
  if (!body.contains("not_after") || !body["not_after"].is_number_integer()) {
    return invalid_argument("invalid_field", "not_after is required: unix seconds")
        .with_field("not_after", "required", "unix seconds");
  }
  t.not_after = body["not_after"].get<std::int64_t>();
  if (body.contains("uses") && !body["uses"].is_null()) {
    if (!body["uses"].is_number_integer()) {
      return invalid_argument("invalid_field", "uses must be an integer").with_field("uses", "invalid", "integer");
    }
    t.uses = body["uses"].get<std::int64_t>();
  }
  return t;
}

}  // namespace

// ---- Operators ----

Result<Reply> op_post_cloudkey_tenant(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::TenantInput in;
  CS_ASSIGN(in.name, required_string(body, "name", 300));
  CS_ASSIGN(in.settings, settings(body, {}));
  CS_ASSIGN(in.ca_id, required_string(body, "ca_id", 64));
  if (body.contains("validity_days")) {
    if (!body["validity_days"].is_number_integer()) {
      return invalid_argument("invalid_field", "validity_days must be an integer")
          .with_field("validity_days", "invalid", "integer");
    }
    in.validity_days = body["validity_days"].get<std::int64_t>();
  }
  CS_ASSIGN(auto t, s->create_tenant(me(ctx), in));
  return Reply::json(tenant_json(t), 201);
}

Result<Reply> op_post_cloudkey_admin(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto phone, required_string(body, "phone", 32));
  CS_TRY(s->add_admin(me(ctx), ctx.param("id"), phone));
  return Reply::json({{"tenant_id", ctx.param("id")}, {"phone", phone}}, 201);
}

Result<Reply> op_put_cloudkey_settings(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto t, s->tenant(ctx.param("id")));
  CS_ASSIGN(auto next, settings(body, t.settings));
  CS_ASSIGN(auto updated, s->update_settings(me(ctx), true, ctx.param("id"), next));
  return Reply::json(tenant_json(updated));
}

Result<Reply> op_put_cloudkey_support_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto pem, required_string(body, "certificate_pem", 16384));
  CS_TRY(s->set_support_certificate(me(ctx), ctx.param("id"), pem));
  return Reply::json({{"tenant_id", ctx.param("id")}, {"support_certificate", true}});
}

// ---- Anyone logged in ----

Result<Reply> get_cloudkey_tenants(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->search_tenants(ctx.query("q").value_or("")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& t : list) items.push_back({{"id", t.id}, {"name", t.name}});
  return Reply::json({{"items", items}});
}

Result<Reply> get_cloudkey_tenant(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto t, s->tenant(ctx.param("id")));
  return Reply::json(tenant_json(t));
}

Result<Reply> get_cloudkey_qr(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto payload, s->qr_payload(ctx.param("id")));
  return Reply::json({{"payload", payload}});
}

// ---- Tenant admins ----

Result<Reply> put_cloudkey_settings(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  // Tenants are public (searchable); update_settings refuses anyone but the tenant's admins.
  CS_ASSIGN(auto t, s->tenant(ctx.param("id")));
  CS_ASSIGN(auto next, settings(body, t.settings));
  CS_ASSIGN(auto updated, s->update_settings(me(ctx), false, ctx.param("id"), next));
  return Reply::json(tenant_json(updated));
}

Result<Reply> get_cloudkey_staff(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->staff(me(ctx), ctx.param("id"), ctx.query("status").value_or("")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& st : list) items.push_back(staff_json(st));
  return Reply::json({{"items", items}});
}

Result<Reply> post_cloudkey_staff(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto in, staff_input(body, true));
  CS_ASSIGN(auto st, s->add_staff(me(ctx), ctx.param("id"), in));
  return Reply::json(staff_json(st), 201);
}

Result<Reply> post_cloudkey_staff_import(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto csv, required_string(body, "csv", 1u << 20));
  std::vector<service::ImportProblem> problems;
  auto added = s->import_staff(me(ctx), ctx.param("id"), csv, &problems);
  if (!added) {
    Error e = std::move(added).error();
    for (const auto& p : problems) {
      e.fields.push_back({"line " + std::to_string(p.line) + " " + p.field, "invalid", p.detail});
    }
    return e;
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& st : *added) items.push_back(staff_json(st));
  return Reply::json({{"items", items}, {"added", added->size()}}, 201);
}

Result<Reply> post_cloudkey_staff_decision(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto approve, bool_field(body, "approve", false));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 500));
  CS_ASSIGN(auto st, s->decide(me(ctx), ctx.param("id"), ctx.param("staff_id"), approve, reason.value_or("")));
  return Reply::json(staff_json(st));
}

// ---- Staff ----

Result<Reply> post_cloudkey_application(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto in, staff_input(body, false));
  CS_ASSIGN(auto st, s->apply(me(ctx), ctx.param("id"), in));
  return Reply::json(staff_json(st), 201);
}

Result<Reply> post_cloudkey_download(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto staff_no, required_string(body, "staff_no", 64));
  service::DeviceEnrolment d;
  CS_ASSIGN(d.device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(d.device_name, required_string(body, "device_name", 64));
  CS_ASSIGN(d.p1, b64(body, "p1", 0, 256));
  CS_ASSIGN(d.auth_key, b64(body, "auth_key", 32, 32));
  CS_ASSIGN(d.salt, b64(body, "salt", 16, 16));
  CS_ASSIGN(auto r, s->download(me(ctx), ctx.param("id"), staff_no, d));
  return Reply::json({{"key_id", r.key_id},
                      {"keygen_response", base64_encode(r.keygen_response)},
                      {"recovery_key", base64_encode(r.recovery_key)},
                      {"certificate", r.certificate.to_json()}},
                     201);
}

Result<Reply> get_cloudkey_certificates(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->certificates(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : list) {
    items.push_back({{"certificate_id", c.certificate_id}, {"key_id", c.key_id},     {"tenant_id", c.tenant_id},
                     {"tenant_name", c.tenant_name},       {"staff_id", c.staff_id}, {"staff_no", c.staff_no},
                     {"name", c.name},                     {"current", c.current},   {"created_at", c.created_at}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> get_cloudkey_devices(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->devices(me(ctx), ctx.param("id"), ctx.query("status").value_or("")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : list) items.push_back(device_json(d));
  return Reply::json({{"items", items}});
}

Result<Reply> post_cloudkey_device_state(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto action, required_string(body, "action", 16));
  CS_ASSIGN(auto from, required_string(body, "from_device", 64));
  CS_ASSIGN(auto d, s->set_device_state(me(ctx), ctx.param("id"), from, ctx.param("device_id"), action));
  return Reply::json(device_json(d));
}

Result<Reply> post_cloudkey_device_removal(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_TRY(s->remove_device(me(ctx), ctx.param("id"), ctx.param("device_id"), code));
  return Reply::json({{"device_id", ctx.param("device_id")}, {"status", "removed"}});
}

Result<Reply> post_cloudkey_sms_unlock(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_TRY(s->sms_unlock(me(ctx), ctx.param("id"), ctx.param("device_id"), code));
  return Reply::json({{"device_id", ctx.param("device_id")}, {"unlocked", true}});
}

Result<Reply> get_cloudkey_usage(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->usage(me(ctx), ctx.param("id"), ctx.query("device").value_or(""),
                                ctx.query("from").value_or(""), ctx.query("to").value_or("")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& u : list) {
    items.push_back({{"id", u.id},           {"device_id", u.device_id}, {"operation", u.operation},
                     {"purpose", u.purpose}, {"result", u.result},       {"ok", u.ok},
                     {"at", u.at},           {"delegation_id", opt(u.delegation_id)}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> get_cloudkey_usage_export(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto der, s->export_log(me(ctx), ctx.param("id"), ctx.query("device").value_or(""),
                                    ctx.query("from").value_or(""), ctx.query("to").value_or("")));
  return Reply::json({{"format", "cms-enveloped-data"}, {"envelope", base64_encode(der)}});
}

// ---- Delegation ----

Result<Reply> post_cloudkey_delegation(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto holder, required_string(body, "holder_staff_no", 64));
  CS_ASSIGN(auto statement, optional_string(body, "statement", 500));
  CS_ASSIGN(auto d, s->request_delegation(me(ctx), ctx.param("id"), holder, statement.value_or("")));
  return Reply::json(delegation_json(d), 201);
}

Result<Reply> get_cloudkey_delegations(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->delegations(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& d : list) items.push_back(delegation_json(d));
  return Reply::json({{"items", items}});
}

Result<Reply> post_cloudkey_delegation_approval(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto t, terms(body));
  CS_ASSIGN(auto d, s->approve_delegation(me(ctx), ctx.param("id"), t));
  return Reply::json(delegation_json(d));
}

Result<Reply> post_cloudkey_delegation_refusal(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto d, s->refuse_delegation(me(ctx), ctx.param("id")));
  return Reply::json(delegation_json(d));
}

Result<Reply> put_cloudkey_delegation_frozen(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  if (!body.contains("frozen") || !body["frozen"].is_boolean()) {
    return invalid_argument("invalid_field", "frozen is required: true or false")
        .with_field("frozen", "required", "boolean");
  }
  CS_ASSIGN(auto d, s->freeze_delegation(me(ctx), ctx.param("id"), body["frozen"].get<bool>()));
  return Reply::json(delegation_json(d));
}

Result<Reply> put_cloudkey_delegation_terms(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto t, terms(body));
  CS_ASSIGN(auto d, s->change_delegation(me(ctx), ctx.param("id"), t));
  return Reply::json(delegation_json(d));
}

Result<Reply> delete_cloudkey_delegation(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto d, s->delete_delegation(me(ctx), ctx.param("id")));
  return Reply::json(delegation_json(d));
}

Result<Reply> get_cloudkey_delegation_uses(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->delegation_uses(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& u : list) {
    items.push_back({{"id", u.id}, {"delegation_id", u.delegation_id}, {"device_id", u.device_id},
                     {"operation", u.operation}, {"digest", opt(u.digest)}, {"result", u.result}, {"at", u.at}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> post_cloudkey_delegation_password_reset(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_TRY(s->reset_delegate_password(me(ctx), ctx.param("id")));
  return Reply::json({{"delegation_id", ctx.param("id")}, {"sent", true}}, 202);
}

Result<Reply> post_cloudkey_delegation_password_reset_completion(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(auto password, required_string(body, "reset_password", 32));
  CS_ASSIGN(auto auth_key, b64(body, "auth_key", 32, 32));
  CS_ASSIGN(auto salt, b64(body, "salt", 16, 16));
  CS_ASSIGN(auto r, s->apply_password_reset(me(ctx), ctx.param("id"), device_id, password, auth_key, salt));
  return Reply::json({{"recovery_key", base64_encode(r.recovery_key)},
                      {"next_recovery_key", base64_encode(r.next_recovery_key)}});
}

// ---- Signature capture (签名采集) ----

Result<Reply> put_cloudkey_signature(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto blob, required_string(body, "blob_id", 64));
  CS_ASSIGN(auto p, s->set_signature(me(ctx), ctx.param("id"), blob));
  return Reply::json(signature_json(p));
}

Result<Reply> get_cloudkey_signature(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto p, s->signature(me(ctx), ctx.param("id")));
  return Reply::json(signature_json(p));
}

Result<Reply> get_cloudkey_staff_signature(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto p, s->staff_signature(me(ctx), ctx.param("id"), ctx.param("staff_id")));
  return Reply::json(signature_json(p));
}

// ---- Removing every secondary device ----

Result<Reply> post_cloudkey_secondary_removal(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto from, required_string(body, "from_device", 64));
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto removed, s->remove_secondaries(me(ctx), ctx.param("id"), from, code));
  return Reply::json({{"key_id", ctx.param("id")}, {"removed", removed}});
}

Result<Reply> post_cloudkey_staff_secondary_removal(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto removed, s->admin_remove_secondaries(me(ctx), ctx.param("id"), ctx.param("staff_id")));
  return Reply::json({{"staff_id", ctx.param("staff_id")}, {"removed", removed}});
}

// ---- Recovering the certificate password: picture captcha, then SMS code ----

Result<Reply> post_cloudkey_captcha(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto c, s->new_captcha(me(ctx), ctx.request().remote_addr));
  return Reply::json({{"id", c.id},
                      {"media_type", "image/png"},
                      {"image", base64_encode(c.png)},
                      {"expires_at", format_rfc3339(sys_time_from_unix(c.expires_at))}},
                     201);
}

Result<Reply> post_cloudkey_recovery_code(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto id, required_string(body, "captcha_id", 64));
  CS_ASSIGN(auto answer, required_string(body, "captcha_answer", 16));
  CS_TRY(s->recovery_code(me(ctx), ctx.param("id"), id, answer));
  return Reply::json({{"key_id", ctx.param("id")}, {"sms_sent", true}}, 202);
}

Result<Reply> post_cloudkey_password_recovery(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto auth_key, b64(body, "auth_key", 32, 32));
  CS_ASSIGN(auto salt, b64(body, "salt", 16, 16));
  CS_ASSIGN(auto r, s->recover_password(me(ctx), ctx.param("id"), device_id, code, auth_key, salt));
  return Reply::json({{"recovery_key", base64_encode(r.recovery_key)},
                      {"next_recovery_key", base64_encode(r.next_recovery_key)}});
}

// ---- Logging out of one application or of all ----

Result<Reply> get_cloudkey_sessions(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto list, s->sessions(me(ctx), ctx.principal()->session_id));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& x : list) {
    items.push_back({{"id", x.id},
                     {"created_at", x.created_at},
                     {"expires_at", x.expires_at},
                     {"remote_addr", opt(x.remote_addr)},
                     {"current", x.current}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> post_cloudkey_logout(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto all, bool_field(body, "all", false));
  CS_ASSIGN(auto session, optional_string(body, "session", 64));
  if (all == session.has_value()) {
    return invalid_argument("invalid_field", "give either session or all: true").with_field("session", "required", "a session id");
  }
  CS_ASSIGN(auto n, s->log_out(me(ctx), ctx.principal()->session_id, session.value_or(""), all));
  return Reply::json({{"ended", n}, {"all", all}});
}

// ---- The certificate on a device: delete, refresh; renewal on the server ----

namespace {

nlohmann::json staff_certificate_json(const service::StaffCertificate& c) {
  return {{"key_id", c.info.key_id},
          {"certificate_id", c.record.id},
          {"previous_certificate_id", opt(c.previous_certificate_id)},
          {"tenant_id", c.info.tenant_id},
          {"staff_id", c.info.staff_id},
          {"staff_no", c.info.staff_no},
          {"current", c.info.current},
          {"certificate", c.record.to_json()}};
}

Result<Reply> renewal(RequestContext& ctx, bool as_operator) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto request_id, required_string(body, "request_id", 40));
  CS_ASSIGN(auto c, s->renew_staff(me(ctx), as_operator, ctx.param("id"), ctx.param("staff_id"), request_id));
  return Reply::json(staff_certificate_json(c), 201);
}

}  // namespace

Result<Reply> post_cloudkey_device_deletion(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto d, s->delete_from_device(me(ctx), ctx.param("id"), ctx.param("device_id"), code));
  return Reply::json({{"key_id", d.key_id},
                      {"device_id", d.device_id},
                      {"role", d.role},
                      {"status", "removed"},
                      {"key_retired", d.key_retired}});
}

Result<Reply> get_cloudkey_key_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto s, ck(ctx));
  CS_ASSIGN(auto c, s->current_certificate(me(ctx), ctx.param("id"), ctx.query("device").value_or("")));
  return Reply::json(staff_certificate_json(c));
}

Result<Reply> post_cloudkey_staff_renewal(RequestContext& ctx) { return renewal(ctx, false); }

Result<Reply> op_post_cloudkey_staff_renewal(RequestContext& ctx) { return renewal(ctx, true); }

}  // namespace certseal::api
