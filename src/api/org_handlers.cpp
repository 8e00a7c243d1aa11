#include "api/org_handlers.h"

#include "api/acting_for.h"
#include "api/json_input.h"
#include "api/services.h"
#include "service/org/org_service.h"

namespace certseal::api {
namespace {

service::OrgService& orgs(RequestContext& ctx) { return *ctx.services().orgs; }
const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }
nlohmann::json opt(const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); }

// A task is decided by the admin identity of the task's organisation.
Status acting_for_task(RequestContext& ctx, const std::string& task_id) {
  CS_ASSIGN(auto org_id, service::task_org_id(ctx.services().db, task_id));
  if (org_id.empty()) return {};  // no such task: the service answers 404
  return acting_for(ctx, org_id, /*as_admin=*/true);
}

nlohmann::json org_json(const service::OrgView& v, bool full) {
  nlohmann::json j = {{"id", v.id}, {"name", v.name}, {"credit_code", v.credit_code}, {"status", v.status}};
  if (!full) return j;
  j["creator_account_id"] = v.creator_account_id;
  j["creator_is_legal_rep"] = v.creator_is_legal_rep;
  j["legal_representative"] = v.legal_rep.name.empty()
                                  ? nlohmann::json()
                                  : nlohmann::json{{"name", v.legal_rep.name},
                                                   {"id_number", opt(v.legal_rep.id_number)},
                                                   {"phone", opt(v.legal_rep.phone)}};
  j["licence_blob_id"] = opt(v.licence_blob_id);
  j["letter_blob_id"] = opt(v.letter_blob_id);
  j["licence_ocr"] = v.licence_blob_id.empty()
                         ? nlohmann::json()
                         : nlohmann::json{{"name", opt(v.ocr.name)},
                                          {"credit_code", opt(v.ocr.credit_code)},
                                          {"legal_representative", opt(v.ocr.legal_representative)}};
  j["bank"] = v.bank.account.empty() ? nlohmann::json()
                                     : nlohmann::json{{"bank_name", v.bank.bank_name},
                                                      {"account", v.bank.account},
                                                      {"account_name", v.bank.account_name}};
  j["bank_check"] = {{"status", v.transfer_status}, {"wrong_tries", v.transfer_attempts}};
  j["address"] = opt(v.address);
  j["contact_phone"] = opt(v.contact_phone);
  j["reason"] = opt(v.reason);
  j["created_at"] = v.created_at;
  j["submitted_at"] = opt(v.submitted_at);
  j["verified_at"] = opt(v.verified_at);
  return j;
}

nlohmann::json task_json(const service::TaskView& t) {
  return {{"id", t.id}, {"org_id", t.org_id}, {"org_name", t.org_name}, {"kind", t.kind},
          {"status", t.status}, {"statement", t.statement},
          {"requester", {{"account_id", t.requester_account_id}, {"phone", t.requester_phone},
                         {"name", opt(t.requester_name)}}},
          {"reason", opt(t.reason)}, {"decided_by", opt(t.decided_by)}, {"created_at", t.created_at},
          {"decided_at", opt(t.decided_at)}};
}

nlohmann::json invitation_json(const service::InvitationView& i) {
  return {{"id", i.id}, {"org_id", i.org_id}, {"org_name", i.org_name}, {"phone", i.phone},
          {"status", i.status}, {"created_at", i.created_at}};
}

nlohmann::json change_json(const service::OrgChangeView& c) {
  nlohmann::json j = {{"id", c.id}, {"org_id", c.org_id}, {"requested_by", c.requested_by}, {"status", c.status},
                      {"reason", opt(c.reason)}, {"created_at", c.created_at}, {"decided_at", opt(c.decided_at)},
                      {"licence_blob_id", opt(c.licence_blob_id)}};
  j["name"] = c.name ? nlohmann::json(*c.name) : nlohmann::json();
  j["credit_code"] = c.credit_code ? nlohmann::json(*c.credit_code) : nlohmann::json();
  j["legal_representative"] = c.legal_rep ? nlohmann::json{{"name", c.legal_rep->name},
                                                           {"id_number", c.legal_rep->id_number},
                                                           {"phone", c.legal_rep->phone}}
                                          : nlohmann::json();
  return j;
}

// Reads {"name"?, "credit_code"?, "legal_representative"?: {name, id_number, phone}}.
Result<service::OrgDraftChanges> registered_changes(const nlohmann::json& body) {
  service::OrgDraftChanges c;
  CS_ASSIGN(c.name, optional_string(body, "name", 300));
  CS_ASSIGN(c.credit_code, optional_string(body, "credit_code", 32));
  if (auto it = body.find("legal_representative"); it != body.end() && !it->is_null()) {
    CS_TRY(require_object(*it));
    service::LegalRep rep;
    CS_ASSIGN(rep.name, required_string(*it, "name", 200));
    CS_ASSIGN(rep.id_number, required_string(*it, "id_number", 32));
    CS_ASSIGN(rep.phone, required_string(*it, "phone", 32));
    c.legal_rep = rep;
  }
  return c;
}

Result<bool> required_bool(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_boolean()) {
    return invalid_argument("required", std::string(field) + " must be true or false")
        .with_field(field, "required", "true or false");
  }
  return it->get<bool>();
}

Result<std::int64_t> required_int(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_number_integer()) {
    return invalid_argument("required", std::string(field) + " must be an integer")
        .with_field(field, "required", "an integer");
  }
  return it->get<std::int64_t>();
}

}  // namespace

nlohmann::json member_json(const service::MemberView& m) {
  return {{"id", m.id}, {"account_id", m.account_id}, {"phone", m.phone}, {"name", opt(m.real_name)},
          {"role", m.role}, {"status", m.status}, {"created_at", m.created_at}, {"ended_at", opt(m.ended_at)}};
}

Result<Reply> get_organisations(RequestContext& ctx) {
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orgs(ctx).search(ctx.query("name").value_or(""), ctx.query("credit_code").value_or(""),
                                        page.limit));
  nlohmann::json items = nlohmann::json::array();
  for (auto& v : list) items.push_back(org_json(v, false));
  return Reply::json(page_json(items, std::nullopt));
}

Result<Reply> post_organisation(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto name, required_string(body, "name", 300));
  CS_ASSIGN(auto code, required_string(body, "credit_code", 32));
  CS_ASSIGN(auto is_rep, required_bool(body, "creator_is_legal_rep"));
  CS_ASSIGN(auto version, required_int(body, "agreement_version"));
  CS_ASSIGN(auto v, orgs(ctx).create(me(ctx), name, code, is_rep, version, ctx.request().remote_addr));
  return Reply::json(org_json(v, true), 201);
}

Result<Reply> get_organisation(RequestContext& ctx) {
  CS_ASSIGN(auto v, orgs(ctx).get(me(ctx), ctx.param("id")));
  return Reply::json(org_json(v, true));
}

Result<Reply> patch_organisation(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto current, orgs(ctx).get(me(ctx), ctx.param("id")));
  CS_ASSIGN(auto address, optional_string(body, "address", 600));
  CS_ASSIGN(auto contact, optional_string(body, "contact_phone", 32));
  if (current.status == "verified" || current.status == "submitted") {
    for (auto& [k, _] : body.items()) {
      if (k != "address" && k != "contact_phone") {
        return invalid_argument("field_not_changeable",
                                k + " cannot be edited after submission; a verified organisation's name, "
                                    "credit code and legal representative change through "
                                    "POST /api/v1/organisations/{id}/change-requests")
            .with_field(k, "not_changeable", "fixed after submission");
      }
    }
    if (current.status == "verified") CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
    CS_ASSIGN(auto v, orgs(ctx).update_info(me(ctx), ctx.param("id"), address, contact));
    return Reply::json(org_json(v, true));
  }
  CS_ASSIGN(service::OrgDraftChanges c, registered_changes(body));
  CS_ASSIGN(c.letter_blob_id, optional_string(body, "letter_blob_id", 64));
  c.address = address;
  c.contact_phone = contact;
  if (auto it = body.find("bank"); it != body.end() && !it->is_null()) {
    CS_TRY(require_object(*it));
    service::BankAccount bank;
    CS_ASSIGN(bank.bank_name, required_string(*it, "bank_name", 300));
    CS_ASSIGN(bank.account, required_string(*it, "account", 64));
    CS_ASSIGN(bank.account_name, required_string(*it, "account_name", 300));
    c.bank = bank;
  }
  CS_ASSIGN(auto v, orgs(ctx).update_draft(me(ctx), ctx.param("id"), c));
  return Reply::json(org_json(v, true));
}

Result<Reply> get_authorisation_letter(RequestContext& ctx) {
  CS_ASSIGN(auto pdf, orgs(ctx).authorisation_letter(me(ctx), ctx.param("id")));
  Reply r = Reply::text(to_string(pdf), "application/pdf");
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"authorisation-letter.pdf\"");
  return r;
}

Result<Reply> put_organisation_licence(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto blob, required_string(body, "blob_id", 64));
  CS_ASSIGN(auto v, orgs(ctx).attach_licence(me(ctx), ctx.param("id"), blob));
  return Reply::json(org_json(v, true));
}

Result<Reply> post_bank_transfer(RequestContext& ctx) {
  CS_ASSIGN(auto v, orgs(ctx).start_bank_transfer(me(ctx), ctx.param("id")));
  return Reply::json(org_json(v, true), 202);
}

Result<Reply> post_bank_verification(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto amount, required_int(body, "amount_fen"));
  CS_ASSIGN(auto v, orgs(ctx).confirm_bank_transfer(me(ctx), ctx.param("id"), amount));
  return Reply::json(org_json(v, true));
}

Result<Reply> post_organisation_submission(RequestContext& ctx) {
  CS_ASSIGN(auto v, orgs(ctx).submit(me(ctx), ctx.param("id")));
  return Reply::json(org_json(v, true));
}

Result<Reply> post_join_request(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto statement, required_string(body, "statement", 2000));
  CS_ASSIGN(auto admin_name, required_string(body, "admin_name", 200));
  CS_ASSIGN(auto admin_phone, required_string(body, "admin_phone", 32));
  CS_ASSIGN(auto t, orgs(ctx).request_join(me(ctx), ctx.param("id"), statement, admin_name, admin_phone));
  return Reply::json(task_json(t), 201);
}

Result<Reply> get_members(RequestContext& ctx) {
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto list, orgs(ctx).members(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (auto& m : list) items.push_back(member_json(m));
  return Reply::json({{"items", items}});
}

Result<Reply> get_member(RequestContext& ctx) {
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto m, orgs(ctx).member(me(ctx), ctx.param("id"), ctx.param("member_id")));
  return Reply::json(member_json(m));
}

Result<Reply> delete_member(RequestContext& ctx) {
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_TRY(orgs(ctx).remove_member(me(ctx), ctx.param("id"), ctx.param("member_id")));
  return Reply::text("", "", 204);
}

Result<Reply> post_invitation(RequestContext& ctx) {
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto phone, required_string(body, "phone", 32));
  CS_ASSIGN(auto i, orgs(ctx).invite(me(ctx), ctx.param("id"), phone));
  return Reply::json(invitation_json(i), 201);
}

Result<Reply> get_tasks(RequestContext& ctx) {
  CS_ASSIGN(auto list, orgs(ctx).tasks(me(ctx), ctx.query("status").value_or("")));
  // Only the tasks of the organisation the session acts for as admin (none as a person).
  auto who = service::acting_identity(ctx.services().db, me(ctx), ctx.principal()->identity_id);
  nlohmann::json items = nlohmann::json::array();
  for (auto& t : list) {
    if (who && who->is_org_admin() && who->org_id == t.org_id) items.push_back(task_json(t));
  }
  return Reply::json({{"items", items}});
}

Result<Reply> post_task_approval(RequestContext& ctx) {
  CS_TRY(acting_for_task(ctx, ctx.param("id")));
  CS_ASSIGN(auto t, orgs(ctx).decide_task(me(ctx), ctx.param("id"), true, ""));
  return Reply::json(task_json(t));
}

Result<Reply> post_task_refusal(RequestContext& ctx) {
  CS_TRY(acting_for_task(ctx, ctx.param("id")));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, optional_string(body, "reason", 1000));
  CS_ASSIGN(auto t, orgs(ctx).decide_task(me(ctx), ctx.param("id"), false, reason.value_or("")));
  return Reply::json(task_json(t));
}

Result<Reply> get_invitations(RequestContext& ctx) {
  CS_ASSIGN(auto list, orgs(ctx).my_invitations(me(ctx)));
  nlohmann::json items = nlohmann::json::array();
  for (auto& i : list) items.push_back(invitation_json(i));
  return Reply::json({{"items", items}});
}

Result<Reply> post_invitation_acceptance(RequestContext& ctx) {
  CS_ASSIGN(auto i, orgs(ctx).answer_invitation(me(ctx), ctx.param("id"), true));
  return Reply::json(invitation_json(i));
}

Result<Reply> post_invitation_refusal(RequestContext& ctx) {
  CS_ASSIGN(auto i, orgs(ctx).answer_invitation(me(ctx), ctx.param("id"), false));
  return Reply::json(invitation_json(i));
}

Result<Reply> delete_identity(RequestContext& ctx) {
  CS_TRY(orgs(ctx).leave(me(ctx), ctx.param("id")));
  return Reply::text("", "", 204);
}

Result<Reply> post_org_change_request(RequestContext& ctx) {
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  CS_ASSIGN(auto changes, registered_changes(body));
  CS_ASSIGN(auto licence, optional_string(body, "licence_blob_id", 64));
  CS_ASSIGN(auto c, orgs(ctx).request_change(me(ctx), ctx.param("id"), changes, licence.value_or("")));
  return Reply::json(change_json(c), 201);
}

Result<Reply> get_org_change_requests(RequestContext& ctx) {
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto list, orgs(ctx).changes(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (auto& c : list) items.push_back(change_json(c));
  return Reply::json({{"items", items}});
}

Result<Reply> op_list_org_changes(RequestContext& ctx) {
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orgs(ctx).list_changes(ctx.query("status").value_or(""), page.after, page.limit + 1));
  return Reply::json(paged(std::move(list), page.limit, change_json));
}

Result<Reply> op_approve_org_change(RequestContext& ctx) {
  CS_ASSIGN(auto c, orgs(ctx).decide_change(me(ctx), ctx.param("id"), true, ""));
  return Reply::json(change_json(c));
}

Result<Reply> op_reject_org_change(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, optional_string(body, "reason", 1000));
  CS_ASSIGN(auto c, orgs(ctx).decide_change(me(ctx), ctx.param("id"), false, reason.value_or("")));
  return Reply::json(change_json(c));
}

Result<Reply> op_list_organisations(RequestContext& ctx) {
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orgs(ctx).list(ctx.query("status").value_or(""), page.after, page.limit + 1));
  return Reply::json(paged(std::move(list), page.limit, [](const service::OrgView& v) { return org_json(v, true); }));
}

Result<Reply> op_get_organisation(RequestContext& ctx) {
  CS_ASSIGN(auto v, orgs(ctx).get_any(ctx.param("id")));
  return Reply::json(org_json(v, true));
}

Result<Reply> op_approve_organisation(RequestContext& ctx) {
  CS_ASSIGN(auto v, orgs(ctx).approve(me(ctx), ctx.param("id")));
  return Reply::json(org_json(v, true));
}

Result<Reply> op_reject_organisation(RequestContext& ctx) {
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, optional_string(body, "reason", 1000));
  CS_ASSIGN(auto v, orgs(ctx).reject(me(ctx), ctx.param("id"), reason.value_or("")));
  return Reply::json(org_json(v, true));
}

Result<Reply> op_get_bank_transfers(RequestContext& ctx) {
  CS_TRY(orgs(ctx).get_any(ctx.param("id")));
  CS_ASSIGN(auto list, orgs(ctx).transfers(ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (auto& t : list) {
    items.push_back({{"id", t.id}, {"bank_name", t.bank_name}, {"account", t.bank_account},
                     {"account_name", t.account_name}, {"amount_fen", t.amount_fen}, {"backend", t.backend},
                     {"created_at", t.created_at}});
  }
  return Reply::json({{"items", items}});
}

}  // namespace certseal::api
