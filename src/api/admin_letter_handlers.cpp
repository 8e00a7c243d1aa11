#include "api/admin_letter_handlers.h"

#include "api/acting_for.h"
#include "api/json_input.h"
#include "api/org_handlers.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/org/admin_letter_service.h"

namespace certseal::api {
namespace {

Result<service::AdminLetterService*> letters(RequestContext& ctx) {
  if (!ctx.services().admin_letters) return unavailable("letters_unavailable", "admin transfer letters are not available");
  return ctx.services().admin_letters;
}
const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }
nlohmann::json opt(const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); }

nlohmann::json letter_json(const service::AdminLetterView& v) {
  nlohmann::json j = {{"id", v.id},
                      {"org_id", v.org_id},
                      {"member_id", v.member_id},
                      {"certificate_id", v.certificate_id},
                      {"seal_id", opt(v.seal_id)},
                      {"status", v.status},
                      {"signer_role", v.signer_role},
                      {"signer_account_id", v.signer_account_id},
                      {"former_admin_account_id", v.former_admin_account_id},
                      {"new_admin_account_id", v.new_admin_account_id},
                      {"signing_time", format_rfc3339(sys_time_from_unix(v.signing_time))},
                      {"expires_at", format_rfc3339(sys_time_from_unix(v.expires_at))},
                      {"created_at", v.created_at},
                      {"signed_at", opt(v.signed_at)},
                      {"level", opt(v.level)},
                      {"signed_sha256", opt(v.signed_sha256)},
                      {"algorithm", opt(v.algorithm)}};
  j["signed_attributes"] = v.signed_attributes.empty() ? nlohmann::json() : nlohmann::json(base64_encode(v.signed_attributes));
  return j;
}

Reply pdf_reply(const Bytes& pdf, const std::string& id) {
  Reply r = Reply::text(to_string(pdf), "application/pdf");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"admin-transfer-letter-" + id + ".pdf\"");
  return r;
}

}  // namespace

Result<Reply> post_admin_letter(RequestContext& ctx) {
  CS_ASSIGN(auto* s, letters(ctx));
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto body, ctx.json_body());
  service::AdminLetterCreate in;
  CS_ASSIGN(in.member_id, required_string(body, "member_id", 64));
  CS_ASSIGN(in.certificate_id, required_string(body, "certificate_id", 64));
  CS_ASSIGN(auto seal, optional_string(body, "seal_id", 64));
  CS_ASSIGN(auto blob, optional_string(body, "signature_blob_id", 64));
  in.seal_id = seal.value_or("");
  in.signature_blob_id = blob.value_or("");
  CS_ASSIGN(auto v, s->create(me(ctx), ctx.param("id"), in));
  return Reply::json(letter_json(v), 201);
}

Result<Reply> get_admin_letter(RequestContext& ctx) {
  CS_ASSIGN(auto* s, letters(ctx));
  CS_ASSIGN(auto v, s->get(me(ctx), ctx.param("id"), ctx.param("letter_id")));
  return Reply::json(letter_json(v));
}

Result<Reply> post_admin_letter_signature(RequestContext& ctx) {
  CS_ASSIGN(auto* s, letters(ctx));
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto sig_b64, required_string(body, "signature", 1024));
  auto sig = base64_decode(sig_b64);
  if (!sig || sig->empty()) {
    return invalid_argument("invalid_field", "signature must be base64").with_field("signature", "invalid", "base64");
  }
  CS_ASSIGN(auto done, s->sign(me(ctx), ctx.param("id"), ctx.param("letter_id"), *sig));
  return Reply::json({{"letter", letter_json(done.letter)}, {"new_admin", member_json(done.new_admin)}});
}

Result<Reply> get_admin_letter_pdf(RequestContext& ctx) {
  CS_ASSIGN(auto* s, letters(ctx));
  CS_ASSIGN(auto pdf, s->pdf(me(ctx), ctx.param("id"), ctx.param("letter_id")));
  return pdf_reply(pdf, ctx.param("letter_id"));
}

Result<Reply> get_admin_letter_page(RequestContext& ctx) {
  CS_ASSIGN(auto* s, letters(ctx));
  CS_ASSIGN(auto png, s->page_png(me(ctx), ctx.param("id"), ctx.param("letter_id")));
  return Reply::text(to_string(png), "image/png");
}

Result<Reply> op_get_admin_letter_pdf(RequestContext& ctx) {
  CS_ASSIGN(auto* s, letters(ctx));
  CS_ASSIGN(auto pdf, s->pdf_for_operator(ctx.param("id"), ctx.param("letter_id")));
  return pdf_reply(pdf, ctx.param("letter_id"));
}

}  // namespace certseal::api
