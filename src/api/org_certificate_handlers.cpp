#include "api/org_certificate_handlers.h"

#include <chrono>

#include "api/acting_for.h"
#include "api/certificate_json.h"
#include "api/json_input.h"
#include "api/services.h"
#include "base/clock.h"
#include "service/ca/ca_service.h"
#include "service/shield/shield_service.h"

namespace certseal::api {
namespace {

// The admin identity of the organisation in the path, and the shield service.
Result<service::ShieldService*> org_shield(RequestContext& ctx) {
  if (ctx.services().shield == nullptr) return unavailable("shield_unavailable", "the mobile shield is not available");
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  return ctx.services().shield;
}
const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }
}  // namespace

Result<Reply> get_org_certificates(RequestContext& ctx) {
  CS_ASSIGN(auto s, org_shield(ctx));
  CS_ASSIGN(auto list, s->org_certificates(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& h : list) items.push_back(held_certificate_json(h));
  return Reply::json({{"items", items}});
}

Result<Reply> get_org_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto s, org_shield(ctx));
  CS_ASSIGN(auto h, s->org_certificate(me(ctx), ctx.param("id"), ctx.param("cert_id")));
  nlohmann::json j = held_certificate_json(h);
  j["certificate"] = h.record.to_json();
  if (ctx.services().ca != nullptr) {
    CS_ASSIGN(auto history, ctx.services().ca->history(h.certificate_id));
    j["history"] = history;
  }
  return Reply::json(j);
}

Result<Reply> get_org_certificate_events(RequestContext& ctx) {
  CS_ASSIGN(auto s, org_shield(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, s->org_certificate_events(me(ctx), ctx.param("id"), ctx.param("cert_id"), page.after,
                                                 page.limit));
  return Reply::json(paged(std::move(list), page.limit, shield_event_json));
}

Result<Reply> post_org_certificate_renewal(RequestContext& ctx) {
  CS_ASSIGN(auto s, org_shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto rid, required_string(body, "request_id", 80));
  CS_ASSIGN(auto order_id, optional_string(body, "order_id", 64));
  CS_ASSIGN(auto rec, s->org_renew(me(ctx), ctx.param("id"), ctx.param("cert_id"), rid, order_id.value_or("")));
  return Reply::json({{"certificate", rec.to_json()}}, 201);
}

Result<Reply> post_org_certificate_revocation(RequestContext& ctx) {
  CS_ASSIGN(auto s, org_shield(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto rid, required_string(body, "request_id", 80));
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 64));
  CS_ASSIGN(auto rec, s->org_revoke(me(ctx), ctx.param("id"), ctx.param("cert_id"), rid, code,
                                    reason.value_or("unspecified")));
  return Reply::json({{"certificate", rec.to_json()}});
}

}  // namespace certseal::api
