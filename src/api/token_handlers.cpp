#include "api/token_handlers.h"

#include "api/json_input.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/token/token_certificates.h"

namespace certseal::api {
namespace {

Result<service::TokenCertificates*> certs(RequestContext& ctx) {
  if (!ctx.services().token_certs)
    return unavailable("token_certificates_unavailable", "token certificates are not available");
  return ctx.services().token_certs;
}
const std::string& me(const RequestContext& ctx) {
  return ctx.principal()->account_id;
}

nlohmann::json view_json(const service::TokenRequestView& v) {
  nlohmann::json j = {{"id", v.id},
                      {"flow", v.flow},
                      {"name", v.name},
                      {"status", v.status},
                      {"created_at", v.created_at}};
  if (!v.certificate_id.empty()) j["certificate_id"] = v.certificate_id;
  if (!v.certificate_der.empty())
    j["certificate_pem"] = pem_encode("CERTIFICATE", v.certificate_der);
  if (!v.reason.empty()) j["reason"] = v.reason;
  return j;
}

Result<Bytes> b64(const nlohmann::json& body, std::string_view f) {
  CS_ASSIGN(auto s, required_string(body, f, 8192));
  auto b = base64_decode(s);
  if (!b)
    return invalid_argument("invalid_field", std::string(f) + " must be base64")
        .with_field(std::string(f), "invalid", "base64");
  return *b;
}

}  // namespace

Result<Reply> post_token_request(RequestContext& ctx) {
  CS_ASSIGN(auto* c, certs(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::TokenRequestInput in;
  CS_ASSIGN(in.name, required_string(body, "name", 64));
  CS_ASSIGN(in.id_number, required_string(body, "id_number", 18));
  CS_ASSIGN(in.spki, b64(body, "public_key"));
  CS_ASSIGN(in.pop, b64(body, "pop"));
  CS_ASSIGN(auto v, c->submit(me(ctx), in));
  return Reply::json(view_json(v), 201);
}

Result<Reply> get_token_requests(RequestContext& ctx) {
  CS_ASSIGN(auto* c, certs(ctx));
  CS_ASSIGN(auto list, c->requests(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : list) items.push_back(view_json(v));
  return Reply::json({{"items", items}});
}

Result<Reply> post_token_request_renewal(RequestContext& ctx) {
  CS_ASSIGN(auto* c, certs(ctx));
  CS_ASSIGN(auto v, c->renew(me(ctx), ctx.param("id")));
  return Reply::json(view_json(v));
}

Result<Reply> op_post_token_roster(RequestContext& ctx) {
  CS_ASSIGN(auto* c, certs(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  if (!body.contains("entries") || !body["entries"].is_array()) {
    return invalid_argument("invalid_field", "entries must be a list")
        .with_field("entries", "invalid", "a list");
  }
  std::vector<service::RosterEntry> entries;
  for (const auto& e : body["entries"]) {
    CS_TRY(require_object(e));
    service::RosterEntry r;
    CS_ASSIGN(r.name, required_string(e, "name", 64));
    CS_ASSIGN(r.id_number, required_string(e, "id_number", 18));
    entries.push_back(std::move(r));
  }
  CS_TRY(c->add_roster(me(ctx), entries));
  return Reply::json({{"added", entries.size()}}, 201);
}

Result<Reply> op_get_token_requests(RequestContext& ctx) {
  CS_ASSIGN(auto* c, certs(ctx));
  CS_ASSIGN(auto list, c->pending());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : list) {
    auto j = view_json(v);
    j["id_number"] = v.id_number;
    j["account_id"] = v.account_id;
    items.push_back(j);
  }
  return Reply::json({{"items", items}});
}

Result<Reply> op_post_token_request_approval(RequestContext& ctx) {
  CS_ASSIGN(auto* c, certs(ctx));
  CS_ASSIGN(auto v, c->approve(me(ctx), ctx.param("id")));
  return Reply::json(view_json(v));
}

Result<Reply> op_post_token_request_rejection(RequestContext& ctx) {
  CS_ASSIGN(auto* c, certs(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 200));
  CS_ASSIGN(auto v, c->reject(me(ctx), ctx.param("id"), reason.value_or("")));
  return Reply::json(view_json(v));
}

}  // namespace certseal::api
