#include "api/account_handlers.h"

#include "api/json_input.h"
#include "api/services.h"
#include "service/account/account_service.h"
#include "service/account/validation.h"
#include "service/notify/sms.h"

namespace certseal::api {
namespace {

service::SessionInfo session_of(const RequestContext& ctx) {
  const Principal& p = *ctx.principal();
  service::SessionInfo s;
  s.session_id = p.session_id;
  s.account_id = p.account_id;
  s.identity_id = p.identity_id;
  s.password_set = !p.password_pending;
  s.is_operator = p.has(Role::kOperator);
  return s;
}

nlohmann::json identity_json(const service::IdentityView& i) {
  nlohmann::json j = {{"id", i.id}, {"kind", i.kind}, {"created_at", i.created_at}};
  j["org_id"] = i.org_id.empty() ? nlohmann::json() : nlohmann::json(i.org_id);
  return j;
}

nlohmann::json account_json(const service::AccountView& a) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& i : a.identities) ids.push_back(identity_json(i));
  nlohmann::json j = {{"id", a.id},
                      {"phone", a.phone},
                      {"password_set", a.password_set},
                      {"operator", a.is_operator},
                      {"status", a.status},
                      {"created_at", a.created_at},
                      {"identities", ids}};
  j["current_identity_id"] =
      a.current_identity_id.empty() ? nlohmann::json() : nlohmann::json(a.current_identity_id);
  j["deregister_due_at"] = a.deregister_due_at
                               ? nlohmann::json(format_rfc3339(sys_time_from_unix(*a.deregister_due_at)))
                               : nlohmann::json();
  return j;
}

Reply no_content() { return Reply::text("", "", 204); }

}  // namespace

Result<Reply> post_sms_codes(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto phone, required_string(body, "phone", 32));
  CS_ASSIGN(auto purpose_s, required_string(body, "purpose", 32));
  CS_TRY(service::validate_phone(phone));
  CS_ASSIGN(auto purpose, service::parse_purpose(purpose_s));
  if (purpose != service::SmsPurpose::kLogin && purpose != service::SmsPurpose::kResetPassword) {
    return invalid_argument("purpose_needs_login",
                            "codes for this purpose are requested while logged in "
                            "(POST /api/v1/account/sms-codes)")
        .with_field("purpose", "purpose_needs_login", "use login or reset_password here");
  }
  CS_ASSIGN(auto issued, ctx.services().sms_codes->issue(phone, purpose, "", ctx.request().remote_addr));
  return Reply::json({{"expires_in", issued.expires_in}, {"resend_after", issued.resend_after}}, 202);
}

Result<Reply> post_account_sms_codes(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto purpose_s, required_string(body, "purpose", 32));
  CS_ASSIGN(auto purpose, service::parse_purpose(purpose_s));
  // An authorise code may name the operation and object it is for (review L2).
  CS_ASSIGN(auto action, optional_string(body, "action", 32));
  CS_ASSIGN(auto object_id, optional_string(body, "object_id", 100));
  std::string scope;
  if (action || object_id) {
    CS_ASSIGN(scope, service::sms_scope(action.value_or(""), object_id.value_or("")));
  }
  CS_ASSIGN(auto acct, ctx.services().accounts->account(session_of(ctx)));
  CS_ASSIGN(auto issued, ctx.services().sms_codes->issue(acct.phone, purpose, scope));
  return Reply::json({{"expires_in", issued.expires_in}, {"resend_after", issued.resend_after},
                      {"phone", service::mask_phone(acct.phone)}}, 202);
}

Result<Reply> post_sessions(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto phone, required_string(body, "phone", 32));
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto password, optional_string(body, "password", 64));
  CS_ASSIGN(auto r, ctx.services().accounts->login(phone, code, password, ctx.request().remote_addr));
  return Reply::json({{"token", r.token},
                      {"expires_at", format_rfc3339(sys_time_from_unix(r.expires_at))},
                      {"created", r.created},
                      {"password_required", r.password_required},
                      {"identity_choice_required", r.identity_choice_required},
                      {"account", account_json(r.account)}},
                     201);
}

Result<Reply> delete_current_session(RequestContext& ctx) {
  CS_TRY(ctx.services().accounts->logout(session_of(ctx)));
  return no_content();
}

Result<Reply> put_session_identity(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto identity_id, required_string(body, "identity_id", 64));
  auto s = session_of(ctx);
  CS_TRY(ctx.services().accounts->switch_identity(s, identity_id));
  s.identity_id = identity_id;
  CS_ASSIGN(auto acct, ctx.services().accounts->account(s));
  return Reply::json(account_json(acct));
}

Result<Reply> get_account(RequestContext& ctx) {
  CS_ASSIGN(auto acct, ctx.services().accounts->account(session_of(ctx)));
  return Reply::json(account_json(acct));
}

Result<Reply> put_account_password(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto password, required_string(body, "password", 64));
  CS_ASSIGN(auto current, optional_string(body, "current_password", 64));
  CS_TRY(ctx.services().accounts->set_password(session_of(ctx), password, current));
  return no_content();
}

Result<Reply> post_password_resets(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto phone, required_string(body, "phone", 32));
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto password, required_string(body, "password", 64));
  CS_TRY(ctx.services().accounts->reset_password(phone, code, password, ctx.request().remote_addr));
  return no_content();
}

Result<Reply> get_identities(RequestContext& ctx) {
  CS_ASSIGN(auto acct, ctx.services().accounts->account(session_of(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& i : acct.identities) items.push_back(identity_json(i));
  return Reply::json({{"items", items}, {"current_identity_id", acct.current_identity_id}});
}

Result<Reply> post_deregistration(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_TRY(ctx.services().accounts->request_deregistration(session_of(ctx), code));
  CS_ASSIGN(auto acct, ctx.services().accounts->account(session_of(ctx)));
  return Reply::json(account_json(acct), 202);
}

Result<Reply> delete_deregistration(RequestContext& ctx) {
  CS_TRY(ctx.services().accounts->withdraw_deregistration(session_of(ctx)));
  return no_content();
}

Result<Reply> get_sms_outbox(RequestContext& ctx) {
  CS_ASSIGN(auto page, page_request(ctx));
  std::string phone = ctx.query("phone").value_or("");
  CS_ASSIGN(auto entries, service::list_sms_outbox(ctx.services().db, phone, page.after, page.limit + 1,
                                                           /*reveal_codes=*/false));
  return Reply::json(paged(std::move(entries), page.limit, [](const service::SmsOutboxEntry& e) {
    return nlohmann::json{{"id", e.id}, {"phone", e.phone}, {"template", e.template_id}, {"text", e.text},
                          {"created_at", e.created_at}, {"sender", e.sender}, {"delivery", e.delivery}};
  }));
}

}  // namespace certseal::api
