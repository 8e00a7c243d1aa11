#include "api/scene_handlers.h"

#include <charconv>

#include "api/json_input.h"
#include "api/services.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "docsign/ofd_package.h"
#include "service/scene/document_fetch.h"
#include "service/scene/rp_apps.h"
#include "service/scene/scene_service.h"

namespace certseal::api {
namespace {

Result<service::RpAppService*> apps(RequestContext& ctx) {
  if (!ctx.services().rp_apps) return unavailable("scenes_unavailable", "relying-party access is not available");
  return ctx.services().rp_apps;
}
Result<service::SceneService*> scenes(RequestContext& ctx) {
  if (!ctx.services().scenes) return unavailable("scenes_unavailable", "QR scenes are not available");
  return ctx.services().scenes;
}
const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }

Error bad_field(const std::string& f, const std::string& what) {
  return invalid_argument("invalid_field", f + " must be " + what).with_field(f, "invalid", what);
}

Result<std::vector<std::string>> string_list(const nlohmann::json& body, const std::string& f, bool required) {
  std::vector<std::string> out;
  if (!body.contains(f) || body[f].is_null()) {
    if (required) return bad_field(f, "a list of strings");
    return out;
  }
  if (!body[f].is_array() || body[f].size() > 32) return bad_field(f, "a list of at most 32 strings");
  for (const auto& v : body[f]) {
    if (!v.is_string() || v.get<std::string>().size() > 64) return bad_field(f, "a list of short strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

nlohmann::json app_json(const service::RpAppView& a) {
  return {{"id", a.id},         {"name", a.name},           {"platform_id", a.platform_id},
          {"callback_url", a.callback_url}, {"scenes", a.scenes}, {"ip_allow", a.ip_allow},
          {"status", a.status}, {"secret_version", a.secret_version}, {"created_by", a.created_by},
          {"created_at", a.created_at}, {"updated_at", a.updated_at}};
}

nlohmann::json with_secret(const service::RpAppWithSecret& a) {
  auto j = app_json(a.app);
  j["secret"] = a.secret;
  return j;
}

Result<service::RpAppView> caller_app(RequestContext& ctx) {
  CS_ASSIGN(auto* a, apps(ctx));
  return a->get(ctx.principal()->app_id);
}

}  // namespace

Result<Reply> op_post_rp_app(RequestContext& ctx) {
  CS_ASSIGN(auto* a, apps(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::RpAppInput in;
  CS_ASSIGN(in.name, required_string(body, "name", 200));
  CS_ASSIGN(in.platform_id, required_string(body, "platform_id", 64));
  CS_ASSIGN(in.callback_url, required_string(body, "callback_url", 500));
  CS_ASSIGN(in.scenes, string_list(body, "scenes", true));
  CS_ASSIGN(in.ip_allow, string_list(body, "ip_allow", false));
  CS_ASSIGN(auto created, a->create(me(ctx), in));
  return Reply::json(with_secret(created), 201);
}

Result<Reply> op_get_rp_apps(RequestContext& ctx) {
  CS_ASSIGN(auto* a, apps(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, a->list(page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, app_json));
}

Result<Reply> op_get_rp_app(RequestContext& ctx) {
  CS_ASSIGN(auto* a, apps(ctx));
  CS_ASSIGN(auto v, a->get(ctx.param("id")));
  return Reply::json(app_json(v));
}

Result<Reply> op_post_rp_app_secret_rotation(RequestContext& ctx) {
  CS_ASSIGN(auto* a, apps(ctx));
  CS_ASSIGN(auto v, a->rotate_secret(me(ctx), ctx.param("id")));
  return Reply::json(with_secret(v));
}

Result<Reply> op_post_rp_app_disabling(RequestContext& ctx) {
  CS_ASSIGN(auto* a, apps(ctx));
  CS_ASSIGN(auto v, a->disable(me(ctx), ctx.param("id")));
  return Reply::json(app_json(v));
}

Result<Reply> op_get_rp_app_callbacks(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, s->callback_attempts(ctx.param("id"), page.limit));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& a : list) {
    items.push_back({{"event_id", a.event_id},
                     {"request_id", a.request_id},
                     {"event_type", a.event_type},
                     {"attempt", a.attempt},
                     {"attempted_at", a.attempted_at},
                     {"url", a.url},
                     {"http_status", a.http_status ? nlohmann::json(*a.http_status) : nlohmann::json()},
                     {"error", a.error.empty() ? nlohmann::json() : nlohmann::json(a.error)},
                     {"next_attempt_at", a.next_at ? nlohmann::json(format_rfc3339(sys_time_from_unix(*a.next_at)))
                                                   : nlohmann::json()},
                     {"event_status", a.event_status}});
  }
  return Reply::json(page_json(std::move(items), std::nullopt));
}

namespace {
// One scene request's body (docs/INTEGRATION.md "Create a scene request"), alone or in a batch.
Result<service::SceneCreate> scene_create_from(const nlohmann::json& body) {
  CS_TRY(require_object(body));
  service::SceneCreate in;
  CS_ASSIGN(in.scene, required_string(body, "scene", 8));
  CS_ASSIGN(in.title, required_string(body, "title", 800));
  CS_ASSIGN(in.nonce, required_string(body, "nonce", 64));
  CS_ASSIGN(auto message, optional_string(body, "message", 2 << 20));
  if (message) {
    auto m = base64_decode(*message);
    if (!m) return bad_field("message", "base64");
    in.message = std::move(m).value();
  }
  if (body.contains("detached")) {
    if (!body["detached"].is_boolean()) return bad_field("detached", "true or false");
    in.detached = body["detached"].get<bool>();
  }
  CS_ASSIGN(auto form, optional_string(body, "form", 16));
  if (form) in.form = *form;
  CS_ASSIGN(auto content_encryption, optional_string(body, "content_encryption", 16));
  if (content_encryption) in.content_encryption = *content_encryption;
  CS_ASSIGN(auto cert, optional_string(body, "required_certificate_id", 64));
  if (cert) in.required_certificate_id = *cert;
  CS_ASSIGN(auto org, optional_string(body, "required_org_id", 64));
  if (org) in.required_org_id = *org;
  if (body.contains("expires_in")) {
    if (!body["expires_in"].is_number_integer()) return bad_field("expires_in", "seconds");
    in.ttl_s = body["expires_in"].get<std::int64_t>();
    if (in.ttl_s <= 0) return bad_field("expires_in", "positive seconds");
  }
  CS_ASSIGN(auto doc, optional_string(body, "document_id", 64));
  if (doc) in.document_id = *doc;
  if (body.contains("placement")) in.placement = body["placement"];
  CS_ASSIGN(auto level, optional_string(body, "pades_level", 8));
  if (level) in.pades_level = *level;
  if (body.contains("seal_kinds")) {
    if (!body["seal_kinds"].is_array()) return bad_field("seal_kinds", "a list of seal kinds");
    for (const auto& k : body["seal_kinds"]) {
      if (!k.is_string() || k.get<std::string>().size() > 32) return bad_field("seal_kinds", "a list of seal kinds");
      in.seal_kinds.push_back(k.get<std::string>());
    }
  }
  return in;
}

nlohmann::json created_json(const service::SceneCreated& c) {
  auto j = c.request.to_json();
  j["qr_payload"] = c.qr_payload;
  j["qr_png"] = base64_encode(c.qr_png);
  return j;
}
}  // namespace

Result<Reply> rp_post_scene_request(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto in, scene_create_from(body));
  in.client_request_id = std::string(ctx.request().header("Idempotency-Key"));
  CS_ASSIGN(auto c, s->create(app, in));
  return Reply::json(created_json(c), 201);
}

// {"requests": [scene request, ...]}: all created in one transaction, or none (the first refusal
// names its index). An Idempotency-Key K stands for "K/<index>" on each request, so a retried
// batch answers the same requests.
Result<Reply> rp_post_scene_request_batch(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  auto list = body.find("requests");
  if (list == body.end() || !list->is_array()) return bad_field("requests", "a list of scene requests");
  if (list->empty() || list->size() > service::SceneService::kMaxBatch) {
    return bad_field("requests", "1 to " + std::to_string(service::SceneService::kMaxBatch) + " scene requests");
  }
  const std::string key(ctx.request().header("Idempotency-Key"));
  std::vector<service::SceneCreate> in;
  in.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto one = scene_create_from((*list)[i]);
    if (!one.ok()) {
      Error e = std::move(one).error();
      for (auto& f : e.fields) f.field = "requests[" + std::to_string(i) + "]." + f.field;
      return e;
    }
    if (!key.empty()) one->client_request_id = key + "/" + std::to_string(i);
    in.push_back(std::move(one).value());
  }
  CS_ASSIGN(auto made, s->create_batch(app, in));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& c : made) items.push_back(created_json(c));
  return Reply::json({{"items", items}}, 201);
}

Result<Reply> rp_get_scene_request(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  std::int64_t wait_s = 0;
  if (auto w = ctx.query("wait")) {
    auto [end, ec] = std::from_chars(w->data(), w->data() + w->size(), wait_s);
    if (ec != std::errc() || end != w->data() + w->size() || wait_s < 0 || wait_s > 30) {
      return bad_field("wait", "0 to 30 seconds");
    }
  }
  CS_ASSIGN(auto v, s->get(app, ctx.param("id"), wait_s * 1000));
  return Reply::json(v.to_json());
}

Result<Reply> rp_post_verification(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  (void)app;
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  if (body.contains("signature")) {
    // A raw signature: {signature, certificate (PEM), content} (docs/INTEGRATION.md).
    if (body.contains("cms")) return bad_field("cms", "either cms or signature, not both");
    CS_ASSIGN(auto sig_text, required_string(body, "signature", 8192));
    auto sig = base64_decode(sig_text);
    if (!sig) return bad_field("signature", "base64 of the signature");
    CS_ASSIGN(auto cert_text, required_string(body, "certificate", 64 * 1024));
    auto pems = pem_decode_all(cert_text);
    if (!pems || pems->size() != 1 || pems->front().label != "CERTIFICATE") {
      return bad_field("certificate", "one PEM certificate");
    }
    CS_ASSIGN(auto content_text, required_string(body, "content", 1 << 20));
    auto raw_content = base64_decode(content_text);
    if (!raw_content) return bad_field("content", "base64");
    CS_ASSIGN(auto report, s->verify_raw(pems->front().der, *raw_content, *sig, std::nullopt));
    return Reply::json(report.to_json());
  }
  CS_ASSIGN(auto cms_text, required_string(body, "cms", 1 << 20));
  auto cms = base64_decode(cms_text);
  if (!cms) return bad_field("cms", "base64 of a DER CMS message");
  CS_ASSIGN(auto content_text, optional_string(body, "content", 1 << 20));
  std::optional<Bytes> content;
  if (content_text) {
    auto c = base64_decode(*content_text);
    if (!c) return bad_field("content", "base64");
    content = std::move(c).value();
  }
  CS_ASSIGN(auto report, s->verify(*cms, content ? std::optional<BytesView>(*content) : std::nullopt));
  return Reply::json(report.to_json());
}

Result<Reply> rp_post_document_verification(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  (void)app;
  const std::string& body = ctx.request().body;
  if ((body.size() < 5 || body.compare(0, 5, "%PDF-") != 0) && !docsign::sniff_ofd(as_bytes(body))) {
    return bad_field("body", "a PDF file (starting with %PDF-) or an OFD package (GB/T 33190)");
  }
  CS_ASSIGN(auto report, s->verify_document(as_bytes(body)));
  return Reply::json(report);
}

Result<Reply> post_scene_claim(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto token, required_string(body, "token", 100));
  CS_ASSIGN(auto c, s->claim(me(ctx), token));
  auto j = c.request.to_json();
  j.erase("result");
  j["message"] = c.request.message.empty() ? nlohmann::json(nullptr) : nlohmann::json(base64_encode(c.request.message));
  j["app_name"] = c.app_name;
  j["platform_name"] = c.platform_name;
  nlohmann::json certs = nlohmann::json::array();
  for (const auto& x : c.certificates) {
    certs.push_back({{"certificate_id", x.certificate_id},
                     {"key_id", x.key_id},
                     {"serial", x.serial},
                     {"subject", x.subject},
                     {"org_id", x.org_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.org_id)},
                     {"certificate_pem", x.certificate_pem},
                     {"enabled", x.enabled},
                     {"reason", x.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.reason)}});
  }
  j["certificates"] = certs;
  if (c.request.scene == "13") j["seals"] = c.seals;
  return Reply::json(j);
}

Result<Reply> rp_post_document(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  const std::string& body = ctx.request().body;
  if (!body.empty() && body.front() == '{') {
    // {"url": "…"}: the PDF fetched from the relying party's own origin (service/scene/document_fetch.h).
    auto* fetcher = ctx.services().document_fetcher;
    if (fetcher == nullptr) return unavailable("service_unavailable", "文档下载未启用");
    CS_ASSIGN(auto j, ctx.json_body());
    CS_ASSIGN(auto url, required_string(j, "url", 2048));
    CS_ASSIGN(auto pdf, service::fetch_rp_document(*fetcher, app, url));
    CS_ASSIGN(auto put, s->put_document(app, pdf));
    return Reply::json(put, 201);
  }
  if ((body.size() < 5 || body.compare(0, 5, "%PDF-") != 0) && !docsign::sniff_ofd(as_bytes(body))) {
    return bad_field("body", "a PDF file (starting with %PDF-), an OFD package (GB/T 33190), or {\"url\": …}");
  }
  CS_ASSIGN(auto j, s->put_document(app, as_bytes(body)));
  return Reply::json(j, 201);
}

Result<Reply> rp_get_document(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto app, caller_app(ctx));
  CS_ASSIGN(auto pdf, s->get_document(app, std::string(ctx.param("id"))));
  return Reply::text(to_string(pdf), docsign::sniff_ofd(pdf) ? "application/ofd" : "application/pdf");
}

Result<Reply> post_scene_document_preparation(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto seal_id, required_string(body, "seal_id", 64));
  if (!body.contains("signing_time") || !body["signing_time"].is_number_integer()) {
    return bad_field("signing_time", "unix seconds");
  }
  CS_ASSIGN(auto p, s->prepare_document(me(ctx), std::string(ctx.param("id")), seal_id,
                                        body["signing_time"].get<std::int64_t>()));
  return Reply::json({{"seal_id", p.seal_id},
                      {"certificate_id", p.certificate_id},
                      {"signing_time", p.signing_time},
                      {"signed_attributes", base64_encode(p.signed_attributes)},
                      {"page", p.page},
                      {"preview_png", base64_encode(p.preview_png)}});
}

Result<Reply> post_scene_completion(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::SceneCompletion c;
  CS_ASSIGN(c.certificate_id, required_string(body, "certificate_id", 64));
  // Scenes 06 and 20 carry the signature and its signing time; 16 (encryption) neither.
  if (body.contains("signing_time")) {
    if (!body["signing_time"].is_number_integer()) return bad_field("signing_time", "unix seconds");
    c.signing_time = body["signing_time"].get<std::int64_t>();
  }
  CS_ASSIGN(auto sig, optional_string(body, "signature", 1024));
  if (sig) {
    auto bytes = base64_decode(*sig);
    if (!bytes || bytes->empty()) return bad_field("signature", "base64 of a DER signature");
    c.signature = std::move(bytes).value();
  }
  CS_ASSIGN(auto seal_id, optional_string(body, "seal_id", 64));
  if (seal_id) c.seal_id = *seal_id;
  CS_ASSIGN(auto key, optional_string(body, "content_key", 64));
  if (key) {
    auto bytes = base64_decode(*key);
    // 16 bytes for SM4; 16, 24 or 32 for AES (RSA envelopes); the service checks it opens this one.
    if (!bytes || (bytes->size() != 16 && bytes->size() != 24 && bytes->size() != 32)) {
      return bad_field("content_key", "base64 of 16, 24 or 32 bytes");
    }
    c.content_key = std::move(bytes).value();
  }
  CS_ASSIGN(auto v, s->complete(me(ctx), ctx.param("id"), c));
  return Reply::json({{"id", v.id}, {"status", v.status}, {"document_hash", v.document_hash}});
}

Result<Reply> post_scene_refusal(RequestContext& ctx) {
  CS_ASSIGN(auto* s, scenes(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto reason, optional_string(body, "reason", 200));
  CS_ASSIGN(auto v, s->refuse(me(ctx), ctx.param("id"), reason.value_or("")));
  return Reply::json({{"id", v.id}, {"status", v.status}});
}

Result<Reply> get_scene_short_url(RequestContext& ctx) {
  (void)ctx;  // the token is not looked up here: only the user's client, logged in, claims it
  return Reply::text(
      "<!doctype html><html lang=\"zh\"><meta charset=\"utf-8\"><title>CertSeal</title>"
      "<p>请使用 CertSeal 客户端扫描此二维码。</p><p>Scan this QR code with the CertSeal app.</p></html>",
      "text/html; charset=utf-8");
}

}  // namespace certseal::api
