#include "api/client_info_handlers.h"

#include "api/json_input.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/clientinfo/client_releases.h"

namespace certseal::api {
namespace {

Result<service::ClientReleaseService*> releases(RequestContext& ctx) {
  if (!ctx.services().client_releases)
    return unavailable("client_info_unavailable", "client releases are not available");
  return ctx.services().client_releases;
}

// ?business=…, required (one endpoint serves every client business).
Result<std::string> business_of(const RequestContext& ctx) {
  auto b = ctx.query("business");
  if (!b || b->empty()) {
    return invalid_argument("invalid_field", "business must be given: legacy, cloudkey or unified")
        .with_field("business", "required", "legacy, cloudkey or unified");
  }
  return *b;
}

nlohmann::json release_json(const service::ClientRelease& r) {
  nlohmann::json j = {{"business", r.business},       {"version", r.version},
                      {"notes", r.notes},             {"download_url", r.download_url},
                      {"published_at", r.published_at}};
  if (!r.sha256.empty()) j["sha256"] = r.sha256;
  if (!r.min_version.empty()) j["min_version"] = r.min_version;
  return j;
}

}  // namespace

Result<Reply> get_client_release_latest(RequestContext& ctx) {
  CS_ASSIGN(auto* s, releases(ctx));
  CS_ASSIGN(auto business, business_of(ctx));
  CS_ASSIGN(auto r, s->latest(business));
  return Reply::json(release_json(r));
}

Result<Reply> get_client_support_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, releases(ctx));
  CS_ASSIGN(auto business, business_of(ctx));
  CS_ASSIGN(auto der, s->support_certificate(business));
  return Reply::json({{"business", business}, {"certificate_pem", pem_encode("CERTIFICATE", der)}});
}

Result<Reply> op_post_client_release(RequestContext& ctx) {
  CS_ASSIGN(auto* s, releases(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  service::ClientReleaseInput in;
  CS_ASSIGN(in.business, required_string(body, "business", 16));
  CS_ASSIGN(in.version, required_string(body, "version", 64));
  CS_ASSIGN(in.download_url, required_string(body, "download_url", 500));
  CS_ASSIGN(auto notes, optional_string(body, "notes", 4000));
  CS_ASSIGN(auto sha, optional_string(body, "sha256", 64));
  CS_ASSIGN(auto min, optional_string(body, "min_version", 64));
  in.notes = notes.value_or("");
  in.sha256 = sha.value_or("");
  in.min_version = min.value_or("");
  CS_ASSIGN(auto r, s->publish(ctx.principal()->account_id, in));
  return Reply::json(release_json(r), 201);
}

Result<Reply> op_put_client_support_certificate(RequestContext& ctx) {
  CS_ASSIGN(auto* s, releases(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto business, required_string(body, "business", 16));
  CS_ASSIGN(auto pem, required_string(body, "certificate_pem", 16384));
  CS_TRY(s->set_support_certificate(ctx.principal()->account_id, business, pem));
  return Reply::json({{"business", business}, {"status", "set"}});
}

}  // namespace certseal::api
