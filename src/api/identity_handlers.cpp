#include "api/identity_handlers.h"

#include "api/json_input.h"
#include "api/services.h"
#include "service/account/account_service.h"
#include "service/account/agreements.h"
#include "service/account/privacy.h"
#include "service/account/validation.h"
#include "service/blob/blob_store.h"
#include "service/identity/person_verification.h"

namespace certseal::api {
namespace {

nlohmann::json verification_json(const service::PersonVerification& v, bool full) {
  nlohmann::json j = {{"id", v.id},
                      {"status", v.status},
                      {"name", v.name},
                      {"id_number", full ? v.id_number : service::mask_id_number(v.id_number)},
                      {"agreement_version", v.agreement_version},
                      {"created_at", v.created_at}};
  auto opt = [](const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); };
  j["verified_by"] = opt(v.verified_by);
  j["reason"] = opt(v.reason);
  j["decided_at"] = opt(v.decided_at);
  j["liveness_note"] = opt(v.liveness_note);
  if (full) {
    j["face_image"] = opt(v.face_blob_id);
    j["account_id"] = v.account_id;
    j["id_card_front"] = v.front_blob_id;
    j["id_card_back"] = v.back_blob_id;
    j["reviewer_id"] = opt(v.reviewer_id);
  }
  return j;
}

const std::string& account_of(const RequestContext& ctx) { return ctx.principal()->account_id; }

Result<std::int64_t> required_int(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_number_integer()) {
    return invalid_argument("required", std::string(field) + " must be an integer")
        .with_field(field, "required", std::string(field) + " must be an integer");
  }
  return it->get<std::int64_t>();
}

}  // namespace

Result<Reply> get_agreement(RequestContext& ctx) {
  CS_ASSIGN(auto a, ctx.services().agreements->current(ctx.param("kind")));
  return Reply::json({{"kind", a.kind}, {"version", a.version}, {"title", a.title}, {"body", a.body},
                      {"published_at", a.published_at}});
}

Result<Reply> post_agreement_acceptance(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto kind, required_string(body, "kind", 64));
  CS_ASSIGN(auto version, required_int(body, "version"));
  CS_ASSIGN(auto a, ctx.services().agreements->accept(account_of(ctx), kind, version,
                                                      ctx.request().remote_addr));
  return Reply::json({{"id", a.id}, {"kind", a.kind}, {"version", a.version}, {"accepted_at", a.accepted_at}}, 201);
}

Result<Reply> get_agreement_acceptances(RequestContext& ctx) {
  CS_ASSIGN(auto list, ctx.services().agreements->acceptances(account_of(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (auto& a : list) {
    items.push_back({{"id", a.id}, {"kind", a.kind}, {"version", a.version}, {"accepted_at", a.accepted_at}});
  }
  return Reply::json({{"items", items}});
}

Result<Reply> post_blob(RequestContext& ctx) {
  std::string purpose = ctx.query("purpose").value_or("");
  const bool image_purpose = purpose == "id_card_front" || purpose == "id_card_back" || purpose == "licence" ||
                             purpose == "face_image" || purpose == "seal_photo";
  if (purpose == "handwritten_signature") {
    // A handwritten signature drawn on the device, embedded into documents: PNG only.
    CS_ASSIGN(auto sig, ctx.services().blobs->put(account_of(ctx), purpose, ctx.request().header("Content-Type"),
                                                  as_bytes(ctx.request().body), {"image/png"}));
    return Reply::json({{"id", sig.id}, {"sha256", sig.sha256}, {"media_type", sig.media_type},
                        {"size", sig.size}, {"purpose", sig.purpose}, {"created_at", sig.created_at}}, 201);
  }
  if (!image_purpose && purpose != "authorisation_letter" && purpose != "application_form") {
    constexpr const char* kPurposes =
        "id_card_front, id_card_back, face_image, licence, seal_photo, authorisation_letter, application_form or "
        "handwritten_signature";
    return invalid_argument("invalid_purpose", std::string("purpose must be ") + kPurposes)
        .with_field("purpose", "invalid_purpose", kPurposes);
  }
  const auto& body = ctx.request().body;
  auto& blobs = *ctx.services().blobs;
  auto ct = ctx.request().header("Content-Type");
  CS_ASSIGN(auto b, image_purpose
                        ? blobs.put(account_of(ctx), purpose, ct, as_bytes(body), {"image/jpeg", "image/png"})
                        : blobs.put(account_of(ctx), purpose, ct, as_bytes(body),
                                    {"image/jpeg", "image/png", "application/pdf"}));
  return Reply::json({{"id", b.id}, {"sha256", b.sha256}, {"media_type", b.media_type},
                      {"size", b.size}, {"purpose", b.purpose}, {"created_at", b.created_at}}, 201);
}

namespace {
Result<Reply> blob_reply(RequestContext& ctx, const service::BlobInfo& b) {
  CS_ASSIGN(auto data, ctx.services().blobs->read(b));
  Reply r = Reply::text(to_string(data), b.media_type);
  r.headers.emplace_back("Cache-Control", "private, no-store");
  // Uploaded files are the uploader's bytes: never sniffed, never rendered in our origin.
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + b.id + "\"");
  r.headers.emplace_back("Content-Security-Policy", "sandbox; default-src 'none'");
  return r;
}
}  // namespace

Result<Reply> get_blob(RequestContext& ctx) {
  CS_ASSIGN(auto b, ctx.services().blobs->info(ctx.param("id")));
  // Someone else's file is "not found", not "forbidden": ids reveal nothing.
  if (b.owner_account_id != account_of(ctx)) return not_found("blob_not_found", "no such file");
  return blob_reply(ctx, b);
}

Result<Reply> op_get_blob(RequestContext& ctx) {
  CS_ASSIGN(auto b, ctx.services().blobs->info(ctx.param("id")));
  return blob_reply(ctx, b);
}

Result<Reply> post_person_verification(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  service::PersonSubmission s;
  CS_ASSIGN(s.name, required_string(body, "name", 200));
  CS_ASSIGN(s.id_number, required_string(body, "id_number", 32));
  CS_ASSIGN(s.agreement_version, required_int(body, "agreement_version"));
  CS_ASSIGN(s.sms_code, required_string(body, "code", 16));
  CS_ASSIGN(s.front_blob_id, required_string(body, "id_card_front", 64));
  CS_ASSIGN(s.back_blob_id, required_string(body, "id_card_back", 64));
  CS_ASSIGN(auto face, optional_string(body, "face_image", 64));
  s.face_image = face.value_or("");
  service::SessionInfo si;
  si.account_id = account_of(ctx);
  si.session_id = ctx.principal()->session_id;
  CS_ASSIGN(auto acct, ctx.services().accounts->account(si));
  CS_ASSIGN(auto v, ctx.services().person_verifications->submit(si.account_id, acct.phone, s,
                                                                ctx.request().remote_addr));
  return Reply::json(verification_json(v, false), 201);
}

Result<Reply> get_current_person_verification(RequestContext& ctx) {
  CS_ASSIGN(auto v, ctx.services().person_verifications->current(account_of(ctx)));
  return Reply::json(verification_json(v, false));
}

Result<Reply> get_personal_information(RequestContext& ctx) {
  CS_ASSIGN(auto items, ctx.services().privacy->personal_information(account_of(ctx)));
  nlohmann::json out = nlohmann::json::array();
  for (auto& i : items) {
    out.push_back({{"category", i.category}, {"title", i.title}, {"purpose", i.purpose}, {"records", i.records}});
  }
  return Reply::json({{"items", out}});
}

Result<Reply> get_third_parties(RequestContext& ctx) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& t : ctx.services().privacy->third_parties()) {
    out.push_back({{"name", t.name}, {"purpose", t.purpose}, {"data_shared", t.data_shared}});
  }
  return Reply::json({{"items", out}});
}

Result<Reply> op_list_person_verifications(RequestContext& ctx) {
  CS_ASSIGN(auto page, page_request(ctx));
  std::string status = ctx.query("status").value_or("");
  CS_ASSIGN(auto list, ctx.services().person_verifications->list(status, page.after, page.limit + 1));
  return Reply::json(paged(std::move(list), page.limit,
                           [](const service::PersonVerification& v) { return verification_json(v, true); }));
}

Result<Reply> op_get_person_verification(RequestContext& ctx) {
  CS_ASSIGN(auto v, ctx.services().person_verifications->get(ctx.param("id")));
  return Reply::json(verification_json(v, true));
}

Result<Reply> op_approve_person_verification(RequestContext& ctx) {
  CS_ASSIGN(auto v, ctx.services().person_verifications->approve(ctx.param("id"), account_of(ctx)));
  return Reply::json(verification_json(v, true));
}

Result<Reply> op_reject_person_verification(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, required_string(body, "reason", 500));
  CS_ASSIGN(auto v, ctx.services().person_verifications->reject(ctx.param("id"), account_of(ctx), reason));
  return Reply::json(verification_json(v, true));
}

}  // namespace certseal::api
