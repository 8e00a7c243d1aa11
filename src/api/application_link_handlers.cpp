#include "api/application_link_handlers.h"

#include "api/json_input.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/scene/application_links.h"
#include "service/scene/rp_apps.h"

namespace certseal::api {
namespace {

Result<service::ApplicationLinkService*> links(RequestContext& ctx) {
  if (!ctx.services().app_links) return unavailable("scenes_unavailable", "application links are not available");
  return ctx.services().app_links;
}

Result<service::RpAppView> caller_app(RequestContext& ctx) {
  if (!ctx.services().rp_apps) return unavailable("scenes_unavailable", "relying-party access is not available");
  return ctx.services().rp_apps->get(ctx.principal()->app_id);
}

Error bad_field(const std::string& f, const std::string& what) {
  return invalid_argument("invalid_field", f + " must be " + what).with_field(f, "invalid", what);
}

// Tokens are base64url; anything else is no link (and never reaches the database as a query).
bool token_shaped(const std::string& t) {
  if (t.empty() || t.size() > 64) return false;
  for (unsigned char c : t) {
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

Result<Reply> rp_post_application_link(RequestContext& ctx) {
  CS_ASSIGN(auto* l, links(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::ApplicationLinkInput in;
  CS_ASSIGN(in.label, required_string(body, "label", 256));
  if (body.contains("product_ids") && !body["product_ids"].is_null()) {
    if (!body["product_ids"].is_array() || body["product_ids"].size() > 20) {
      return bad_field("product_ids", "a list of at most 20 product ids");
    }
    for (const auto& v : body["product_ids"]) {
      if (!v.is_string() || v.get<std::string>().size() > 64) return bad_field("product_ids", "a list of product ids");
      in.product_ids.push_back(v.get<std::string>());
    }
  }
  CS_ASSIGN(auto created, l->create(app, in));
  auto j = created.link.to_json();
  j["qr_png"] = base64_encode(created.qr_png);
  return Reply::json(j, 201);
}

Result<Reply> rp_get_application_links(RequestContext& ctx) {
  CS_ASSIGN(auto* l, links(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  CS_ASSIGN(auto all, l->list(app));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : all) items.push_back(v.to_json());
  return Reply::json({{"items", items}});
}

Result<Reply> rp_get_application_link(RequestContext& ctx) {
  CS_ASSIGN(auto* l, links(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  CS_ASSIGN(auto v, l->get(app, ctx.param("id")));
  return Reply::json(v.to_json());
}

Result<Reply> rp_post_application_link_disabling(RequestContext& ctx) {
  CS_ASSIGN(auto* l, links(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  CS_ASSIGN(auto v, l->disable(app, ctx.param("id")));
  return Reply::json(v.to_json());
}

Result<Reply> get_application_link(RequestContext& ctx) {
  CS_ASSIGN(auto* l, links(ctx));
  const std::string& token = ctx.param("token");
  if (!token_shaped(token)) return not_found("application_link_not_found", "no such application link");
  CS_ASSIGN(auto v, l->resolve(token));
  return Reply::json(v.to_json());
}

Result<Reply> get_application_short_url(RequestContext& ctx) {
  const std::string& token = ctx.param("token");
  if (!token_shaped(token)) return not_found("application_link_not_found", "no such application link");
  // The app's purchase page reads the link itself (and shows "no such link" when it is gone).
  Reply r = Reply::text("", "text/plain; charset=utf-8", 302);
  r.headers.emplace_back("Location", "/app/buy?link=" + token);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace certseal::api
