#include "api/grant_handlers.h"

#include "api/acting_for.h"
#include "api/csv.h"
#include "api/json_input.h"
#include "api/services.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "service/grant/grant_service.h"
#include "service/shield/shield_service.h"

namespace certseal::api {
namespace {

const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }

Result<service::GrantService*> grants(RequestContext& ctx, bool as_admin) {
  if (ctx.services().grants == nullptr) return unavailable("grants_unavailable", "grants are not available");
  CS_TRY(acting_for(ctx, ctx.param("id"), as_admin));
  return ctx.services().grants;
}

std::string unix_text(std::int64_t t) { return t == 0 ? std::string() : format_rfc3339(sys_time_from_unix(t)); }
nlohmann::json opt(const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); }
nlohmann::json opt_time(std::int64_t t) { return t == 0 ? nlohmann::json(nullptr) : nlohmann::json(unix_text(t)); }

nlohmann::json grant_json(const service::GrantView& g) {
  return {{"id", g.id},
          {"kind", g.kind},
          {"org_id", g.org_id},
          {"org_name", g.org_name},
          {"certificate_id", g.certificate_id},
          {"seal_id", opt(g.seal_id)},
          {"key_id", g.key_id},
          {"platform_id", g.platform_id},
          {"platform_name", opt(g.platform_name)},
          {"member_account_id", g.account_id},
          {"member_phone", g.member_phone},
          {"member_name", opt(g.member_name)},
          {"task_id", opt(g.task_id)},
          {"statement", g.statement},
          {"status", g.status},
          {"live", g.live},
          {"asked_from", opt_time(g.asked_from)},
          {"asked_until", opt_time(g.asked_until)},
          {"not_before", opt_time(g.not_before)},
          {"not_after", opt_time(g.not_after)},
          {"uses_total", g.uses_total ? nlohmann::json(*g.uses_total) : nlohmann::json(nullptr)},
          {"uses_left", g.uses_left ? nlohmann::json(*g.uses_left) : nlohmann::json(nullptr)},
          {"uses_made", g.uses_made},
          {"decided_by", opt(g.decided_by)},
          {"decided_at", opt(g.decided_at)},
          {"reason", opt(g.reason)},
          {"revoked_by", opt(g.revoked_by)},
          {"revoked_at", opt(g.revoked_at)},
          {"created_at", g.created_at}};
}

// An optional time field: unix seconds (integer); 0 when absent.
Result<std::int64_t> time_field(const nlohmann::json& body, const std::string& name, bool required) {
  if (!body.contains(name) || body[name].is_null()) {
    if (!required) return std::int64_t{0};
    return invalid_argument("invalid_field", name + " is required").with_field(name, "required", "unix seconds");
  }
  if (!body[name].is_number_integer() || body[name].get<std::int64_t>() <= 0) {
    return invalid_argument("invalid_field", name + " must be unix seconds").with_field(name, "not_unix_seconds",
                                                                                        "a positive integer");
  }
  return body[name].get<std::int64_t>();
}

// The record filters of the query string (docs/GRANTS.md "Records").
Result<service::RecordFilter> record_filter(const RequestContext& ctx) {
  service::RecordFilter f;
  f.certificate_id = ctx.query("certificate_id").value_or("");
  f.seal_id = ctx.query("seal_id").value_or("");
  f.member_account_id = ctx.query("member").value_or("");
  f.platform_id = ctx.query("platform_id").value_or("");
  f.status = ctx.query("status").value_or("");
  for (auto [name, out] : {std::pair<const char*, std::int64_t*>{"from", &f.from}, {"to", &f.to}}) {
    auto v = ctx.query(name);
    if (!v || v->empty()) continue;
    std::int64_t n = 0;
    bool ok = v->size() <= 12;
    for (char c : *v) ok = ok && c >= '0' && c <= '9';
    if (ok) n = std::stoll(*v);
    if (!ok || n <= 0) {
      return invalid_argument("invalid_field", std::string(name) + " is unix seconds")
          .with_field(name, "not_unix_seconds", "a positive integer");
    }
    *out = n;
  }
  return f;
}

bool wants_csv(const RequestContext& ctx) { return ctx.query("format").value_or("") == "csv"; }

std::string num(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string(); }

Reply grants_csv(const std::vector<service::GrantView>& list) {
  std::string out = csv_header();
  out += csv_record({"id", "kind", "certificate_id", "seal_id", "platform_id", "member_account_id", "member_phone",
                     "member_name", "statement", "status", "asked_at", "decided_by", "decided_at", "not_before",
                     "not_after", "uses_total", "uses_left", "uses_made", "reason", "revoked_by", "revoked_at"});
  for (const auto& g : list) {
    out += csv_record({g.id, g.kind, g.certificate_id, g.seal_id, g.platform_id, g.account_id, g.member_phone,
                       g.member_name, g.statement, g.status, g.created_at, g.decided_by, g.decided_at,
                       unix_text(g.not_before), unix_text(g.not_after), num(g.uses_total), num(g.uses_left),
                       std::to_string(g.uses_made), g.reason, g.revoked_by, g.revoked_at});
  }
  return Reply::text(std::move(out), "text/csv; charset=utf-8");
}

nlohmann::json use_json(const service::GrantUseView& u) {
  return {{"id", u.id},
          {"grant_id", u.grant_id},
          {"certificate_id", u.certificate_id},
          {"seal_id", opt(u.seal_id)},
          {"member_account_id", u.account_id},
          {"member_phone", u.member_phone},
          {"member_name", opt(u.member_name)},
          {"device_id", opt(u.device_id)},
          {"platform_id", opt(u.platform_id)},
          {"scene", opt(u.scene)},
          {"scene_request_id", opt(u.scene_request_id)},
          {"operation", u.operation},
          {"purpose", opt(u.purpose)},
          {"digest", opt(u.digest)},
          {"document_hash", opt(u.document_hash)},
          {"result", u.result},
          {"at", u.at}};
}

}  // namespace

Result<Reply> get_org_grant_uses(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, false));
  CS_ASSIGN(auto f, record_filter(ctx));
  f.status = ctx.query("result").value_or("");  // the use's result (ok, counted, or a refusal code)
  CS_ASSIGN(auto list, g->uses(me(ctx), ctx.param("id"), f));
  if (wants_csv(ctx)) {
    std::string out = csv_header();
    out += csv_record({"id", "grant_id", "certificate_id", "seal_id", "member_account_id", "member_phone",
                       "member_name", "device_id", "platform_id", "scene", "scene_request_id", "operation", "purpose",
                       "digest", "document_hash", "result", "at"});
    for (const auto& u : list) {
      out += csv_record({u.id, u.grant_id, u.certificate_id, u.seal_id, u.account_id, u.member_phone, u.member_name,
                         u.device_id, u.platform_id, u.scene, u.scene_request_id, u.operation, u.purpose, u.digest,
                         u.document_hash, u.result, u.at});
    }
    return Reply::text(std::move(out), "text/csv; charset=utf-8");
  }
  nlohmann::json items = nlohmann::json::array();
  for (const auto& u : list) items.push_back(use_json(u));
  return Reply::json({{"items", items}});
}

Result<Reply> post_org_grant(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, false));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::GrantRequest in;
  CS_ASSIGN(auto kind, optional_string(body, "kind", 16));
  in.kind = kind.value_or("certificate");
  if (in.kind == "seal") {
    CS_ASSIGN(in.seal_id, required_string(body, "seal_id", 64));
    CS_ASSIGN(auto platform, optional_string(body, "platform_id", 64));
    in.platform_id = platform.value_or("");
  } else {
    CS_ASSIGN(in.certificate_id, required_string(body, "certificate_id", 64));
    CS_ASSIGN(in.platform_id, required_string(body, "platform_id", 64));
  }
  CS_ASSIGN(in.statement, required_string(body, "statement", 2000));
  CS_ASSIGN(in.asked_from, time_field(body, "not_before", false));
  CS_ASSIGN(in.asked_until, time_field(body, "not_after", false));
  CS_ASSIGN(auto v, g->request(me(ctx), ctx.param("id"), in));
  return Reply::json(grant_json(v), 201);
}

Result<Reply> get_org_grants(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, false));
  CS_ASSIGN(auto f, record_filter(ctx));
  CS_ASSIGN(auto list, g->list(me(ctx), ctx.param("id"), f));
  if (wants_csv(ctx)) return grants_csv(list);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : list) items.push_back(grant_json(v));
  return Reply::json({{"items", items}});
}

Result<Reply> get_org_grant(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, false));
  CS_ASSIGN(auto v, g->get(me(ctx), ctx.param("id"), ctx.param("grant_id")));
  return Reply::json(grant_json(v));
}

Result<Reply> get_org_grantable_certificates(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, false));
  auto platform = ctx.query("platform_id");
  if (!platform || platform->empty()) {
    return invalid_argument("invalid_field", "platform_id is required").with_field("platform_id", "required",
                                                                                   "the trading platform");
  }
  CS_ASSIGN(auto list, g->grantable(me(ctx), ctx.param("id"), *platform));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : list) {
    items.push_back({{"certificate_id", c.certificate_id}, {"subject", c.subject}, {"serial", c.serial},
                     {"not_after", c.not_after}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> get_org_grantable_seals(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, false));
  CS_ASSIGN(auto list, g->grantable_seals(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& s : list) {
    items.push_back({{"seal_id", s.seal_id}, {"name", s.name}, {"kind", s.kind}, {"certificate_id", s.certificate_id}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> get_org_admin_contacts(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, false));
  CS_ASSIGN(auto list, g->admin_contacts(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : list) items.push_back({{"name", opt(c.name)}, {"phone", c.phone}, {"role", c.role}});
  return Reply::json({{"items", items}});
}

Result<Reply> post_org_grant_approval(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, true));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::GrantApproval a;
  CS_ASSIGN(a.not_before, time_field(body, "not_before", true));
  CS_ASSIGN(a.not_after, time_field(body, "not_after", true));
  if (body.contains("uses") && !body["uses"].is_null()) {
    if (!body["uses"].is_number_integer()) {
      return invalid_argument("invalid_field", "uses must be an integer").with_field("uses", "not_integer", "1 to 1,000,000");
    }
    a.uses = body["uses"].get<std::int64_t>();
  }
  CS_ASSIGN(auto v, g->approve(me(ctx), ctx.param("id"), ctx.param("grant_id"), a));
  return Reply::json(grant_json(v));
}

Result<Reply> post_org_grant_refusal(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, true));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 500));
  CS_ASSIGN(auto v, g->refuse(me(ctx), ctx.param("id"), ctx.param("grant_id"), reason.value_or("")));
  return Reply::json(grant_json(v));
}

Result<Reply> post_org_grant_revocation(RequestContext& ctx) {
  CS_ASSIGN(auto g, grants(ctx, true));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 500));
  CS_ASSIGN(auto v, g->revoke(me(ctx), ctx.param("id"), ctx.param("grant_id"), reason.value_or("")));
  return Reply::json(grant_json(v));
}

Result<Reply> get_my_grants(RequestContext& ctx) {
  if (ctx.services().grants == nullptr) return unavailable("grants_unavailable", "grants are not available");
  CS_ASSIGN(auto list, ctx.services().grants->mine(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : list) items.push_back(grant_json(v));
  return Reply::json({{"items", items}});
}

Result<Reply> post_grant_pairing(RequestContext& ctx) {
  if (ctx.services().shield == nullptr) return unavailable("shield_unavailable", "the mobile shield is not available");
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto device_id, required_string(body, "device_id", 64));
  CS_ASSIGN(auto name, required_string(body, "device_name", 64));
  CS_ASSIGN(auto pub_text, required_string(body, "public_key", 200));
  auto pub = base64_decode(pub_text);
  if (!pub || pub->size() != 65) {
    return invalid_argument("invalid_field", "public_key is a base64 65-byte SM2 point")
        .with_field("public_key", "invalid", "65 bytes, base64");
  }
  CS_ASSIGN(auto p, ctx.services().shield->create_grant_pairing(me(ctx), ctx.param("id"), device_id, name, *pub));
  return Reply::json({{"id", p.id}, {"expires_at", p.expires_at}, {"challenge", p.challenge}}, 201);
}

}  // namespace certseal::api
