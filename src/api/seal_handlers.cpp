#include "api/seal_handlers.h"

#include "api/json_input.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/seal/seal_design_json.h"
#include "service/seal/seal_service.h"
#include "service/seal/seal_verifier.h"

namespace certseal::api {
namespace {

Result<service::SealService*> seals(RequestContext& ctx) {
  if (ctx.services().seals == nullptr) return unavailable("seals_unavailable", "印章服务不可用");
  return ctx.services().seals;
}
const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }

Result<service::SealDesign> design_of(const nlohmann::json& body) {
  if (!body.contains("design")) {
    return invalid_argument("invalid_field", "design is required").with_field("design", "required", "an object");
  }
  return service::design_from_json(body["design"]);
}

Reply image(const Bytes& data, bool svg) {
  Reply r = Reply::text(std::string(as_chars(data)), svg ? "image/svg+xml" : "image/png");
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

nlohmann::json list_json(const std::vector<service::SealView>& v) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& s : v) items.push_back(service::seal_view_json(s));
  return {{"items", items}};
}

}  // namespace

// The live preview: renders while the user edits; stores nothing.
Result<Reply> post_seal_preview(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(std::string kind, required_string(body, "kind", 40));
  CS_ASSIGN(service::SealDesign design, design_of(body));
  if (design.method == "photo") {
    CS_ASSIGN(auto* s, seals(ctx));
    CS_TRY(s->load_photo(me(ctx), design));
  }
  double dpi = 150;
  if (body.contains("dpi")) {
    if (!body["dpi"].is_number()) return invalid_argument("invalid_field", "dpi must be a number").with_field("dpi", "invalid", "72..600");
    dpi = body["dpi"].get<double>();
    if (dpi < 72 || dpi > 600) return invalid_argument("bad_dpi", "预览分辨率须在 72 到 600 dpi 之间");
  }
  CS_ASSIGN(auto format, optional_string(body, "format", 10));
  const bool svg = format.value_or("png") == "svg";
  if (format && *format != "png" && *format != "svg") {
    return invalid_argument("invalid_field", "format must be png or svg").with_field("format", "invalid", "png or svg");
  }
  CS_ASSIGN(seal::SealPicture pic, service::render_design(kind, design, dpi));
  return image(svg ? to_bytes(pic.svg) : pic.png, svg);
}

Result<Reply> get_seals(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto list, s->list(me(ctx)));
  return Reply::json(list_json(list));
}

Result<Reply> post_seal(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::MakeSealInput in;
  CS_ASSIGN(auto cert, optional_string(body, "certificate_id", 100));
  CS_ASSIGN(auto order, optional_string(body, "order_id", 100));
  if (cert.has_value() == order.has_value()) {
    return invalid_argument("invalid_field", "give certificate_id or order_id")
        .with_field("certificate_id", "required", "certificate_id or order_id (while buying)");
  }
  in.certificate_id = cert.value_or("");
  in.order_id = order.value_or("");
  CS_ASSIGN(in.kind, required_string(body, "kind", 40));
  CS_ASSIGN(auto maker, optional_string(body, "maker_id", 100));
  in.maker_id = maker.value_or("");
  CS_ASSIGN(in.design, design_of(body));
  CS_ASSIGN(auto v, s->make(me(ctx), in));
  return Reply::json(service::seal_view_json(v), 201);
}

Result<Reply> get_seal(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto v, s->get(me(ctx), ctx.param("id")));
  return Reply::json(service::seal_view_json(v));
}

Result<Reply> put_seal_picture(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(service::SealDesign design, design_of(body));
  CS_ASSIGN(auto v, s->replace(me(ctx), ctx.param("id"), design));
  return Reply::json(service::seal_view_json(v));
}

Result<Reply> delete_seal(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_TRY(s->remove(me(ctx), ctx.param("id")));
  return Reply::text("", "", 204);
}

Result<Reply> get_seal_picture(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  const bool svg = ctx.query("format").value_or("png") == "svg";
  CS_ASSIGN(Bytes data, s->picture(me(ctx), ctx.param("id"), svg));
  return image(data, svg);
}

Result<Reply> get_seal_data(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(Bytes der, s->seal_data(me(ctx), ctx.param("id")));
  return Reply::text(std::string(as_chars(der)), "application/octet-stream");
}

Result<Reply> post_seal_use(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(std::string purpose, required_string(body, "purpose", 200));
  CS_ASSIGN(auto use, s->use(me(ctx), ctx.param("id"), purpose));
  return Reply::json({{"seal", service::seal_view_json(use.seal)},
                      {"picture_png", base64_encode(use.picture_png)},
                      {"seal_data", base64_encode(use.seseal)}});
}

Result<Reply> get_seal_events(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto events, s->events(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : events) {
    items.push_back({{"id", e.id}, {"action", e.action}, {"actor", e.actor}, {"detail", e.detail}, {"at", e.at}});
  }
  return Reply::json({{"items", items}});
}

// Anyone may check seal data (SPEC §6: "verifiable by anyone").
Result<Reply> post_seal_verification(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(std::string b64, required_string(body, "seal_data", 40000));
  auto der = base64_decode(b64);
  if (!der) return invalid_argument("invalid_field", "seal_data must be base64").with_field("seal_data", "invalid", "base64");
  Bytes expected;
  CS_ASSIGN(auto cert, optional_string(body, "certificate", 20000));
  if (cert) {
    auto c = base64_decode(*cert);
    if (!c) return invalid_argument("invalid_field", "certificate must be base64 DER").with_field("certificate", "invalid", "base64");
    expected = std::move(*c);
  }
  CS_ASSIGN(auto v, service::verify_seal_data(ctx.services().db, ctx.services().clock, *der, expected));
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : v.checks) checks.push_back({{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}});
  return Reply::json({{"valid", v.valid},
                      {"version", v.version},
                      {"seal_id", v.seal_id},
                      {"name", v.name},
                      {"vendor_id", v.vendor_id},
                      {"maker_certificate_id", v.maker_certificate_id},
                      {"checks", checks}});
}

Result<Reply> op_get_seals(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto list, s->review_queue());
  return Reply::json(list_json(list));
}

Result<Reply> op_get_seal(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto v, s->review_get(ctx.param("id")));
  nlohmann::json j = service::seal_view_json(v);
  j["account_id"] = v.account_id;
  return Reply::json(j);
}

Result<Reply> op_get_seal_picture(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(Bytes png, s->review_picture(ctx.param("id")));
  return image(png, false);
}

Result<Reply> op_post_seal_approval(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto v, s->approve(me(ctx), ctx.param("id")));
  return Reply::json(service::seal_view_json(v));
}

Result<Reply> op_post_seal_rejection(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(std::string reason, required_string(body, "reason", 500));
  CS_ASSIGN(auto v, s->reject(me(ctx), ctx.param("id"), reason));
  return Reply::json(service::seal_view_json(v));
}

Result<Reply> op_post_seal_maker_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, seals(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(std::string uscc, required_string(body, "uscc", 18));
  CS_ASSIGN(auto c, s->certify_maker(ctx.param("id"), uscc));
  return Reply::json({{"maker_id", c.maker_id},
                      {"ca_id", c.ca_id},
                      {"certificate_id", c.certificate_id},
                      {"uscc", c.uscc},
                      {"created_at", c.created_at}},
                     201);
}

}  // namespace certseal::api
