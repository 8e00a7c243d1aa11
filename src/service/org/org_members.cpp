// OrgService: joining, to-do tasks, members, invitations, removal, admin transfer and leaving (org_service.h).
#include "service/org/org_service.h"

#include "base/id.h"
#include "store/page_query.h"
#include "docsign/text_render.h"
#include "service/account/agreements.h"
#include "service/account/validation.h"
#include "service/notify/inbox.h"
#include "service/org/org_internal.h"

namespace certseal::service {
using namespace org_internal;

Result<TaskView> OrgService::request_join(const std::string& account_id, const std::string& org_id,
                                          const std::string& statement, const std::string& admin_name,
                                          const std::string& admin_phone) {
  CS_TRY(validate_name(statement, "statement", 500));
  CS_TRY(validate_phone(admin_phone, "admin_phone"));
  std::string task_id = new_uuid_v7(clock_, rng_);
  std::vector<std::string> admin_phones;
  std::string org_name;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load(tx, org_id));
    if (v.status != "verified") return not_found("org_not_found", "no such organisation");
    org_name = v.name;
    CS_ASSIGN(auto already, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND "
                                         "status = 'active'",
                                         {org_id, account_id}));
    if (already) return conflict("already_member", "you are already a member of this organisation");
    CS_ASSIGN(auto open, tx.query_one("SELECT id FROM tasks WHERE org_id = ? AND requester_account_id = ? AND "
                                      "kind = 'join_request' AND status = 'open'",
                                      {org_id, account_id}));
    if (open) return conflict("join_request_pending", "your request to join is waiting for the admin");
    // The admin's name and phone must match an admin of the organisation (SPEC §4).
    CS_ASSIGN(auto admins, tx.query(std::string(kMemberSelect) +
                                        "WHERE m.org_id = ? AND m.status = 'active' AND m.role IN ('admin', 'legal_representative')",
                                    {org_id}));
    bool match = false;
    for (auto& a : admins) {
      admin_phones.push_back(a.text("phone"));
      if (a.text("phone") == admin_phone && a.text("real_name") == admin_name) match = true;
    }
    if (!match) {
      return invalid_argument("admin_mismatch", "the admin's name and phone do not match this organisation's admin");
    }
    CS_TRY(tx.exec("INSERT INTO tasks (id, org_id, kind, status, requester_account_id, statement, payload, created_at) "
                   "VALUES (?, ?, 'join_request', 'open', ?, ?, '{}', ?)",
                   {task_id, org_id, account_id, statement, format_rfc3339(clock_.now())}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("org.join_request")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(org_id)
                                           .with("task", task_id));
  }));
  for (auto& p : admin_phones) notify(p, "task_join_request", "有人申请加入「" + org_name + "」，请在待办任务中处理。");
  return db_.read_value<TaskView>([&](store::Tx& tx) -> Result<TaskView> {
    CS_ASSIGN(auto r, tx.query_one(std::string(kTaskSelect) + "WHERE t.id = ?", {task_id}));
    return task_from_row(*r);
  });
}

Result<std::vector<TaskView>> OrgService::tasks(const std::string& account_id, const std::string& status) {
  return db_.read_value<std::vector<TaskView>>([&](store::Tx& tx) -> Result<std::vector<TaskView>> {
    std::string sql = std::string(kTaskSelect) +
                      "WHERE t.org_id IN (SELECT org_id FROM memberships WHERE account_id = ? AND status = 'active' "
                      "AND role IN ('admin', 'legal_representative'))";
    store::Params p{account_id};
    if (!status.empty()) {
      sql += " AND t.status = ?";
      p.emplace_back(status);
    }
    sql += " ORDER BY t.created_at DESC, t.id DESC LIMIT 200";
    CS_ASSIGN(auto rows, tx.query(sql, p));
    std::vector<TaskView> out;
    for (auto& r : rows) out.push_back(task_from_row(r));
    return out;
  });
}

Result<TaskView> OrgService::decide_task(const std::string& account_id, const std::string& task_id, bool approve,
                                         const std::string& reason) {
  if (!approve && reason.empty()) {
    return invalid_argument("reason_required", "a refusal needs a reason")
        .with_field("reason", "required", "the requester will see it");
  }
  TaskView t;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto r, tx.query_one(std::string(kTaskSelect) + "WHERE t.id = ?", {task_id}));
    if (!r) return not_found("task_not_found", "no such task");
    t = task_from_row(*r);
    CS_TRY(require_admin(tx, account_id, t.org_id));
    if (t.kind != "join_request") {
      // A grant request is decided with its window and uses (docs/GRANTS.md), not here.
      return failed_precondition("task_decided_elsewhere",
                                 "decide this request on the grant itself (organisations/{id}/grants/{grant_id})");
    }
    CS_ASSIGN(auto n, tx.exec("UPDATE tasks SET status = ?, decided_by = ?, reason = ?, decided_at = ? "
                              "WHERE id = ? AND status = 'open'",
                              {approve ? "approved" : "refused", account_id, opt(reason),
                               format_rfc3339(clock_.now()), task_id}));
    if (n != 1) return failed_precondition("task_closed", "this task has already been decided");
    auto decided = ledger::LedgerEvent("org.join_decide")
                       .by(account_id)
                       .of(t.requester_account_id)
                       .on(t.org_id)
                       .with("task", task_id)
                       .with("approved", approve);
    if (!reason.empty()) decided.with("reason", reason);
    CS_TRY(ledger::record(ledger_, tx, decided));
    if (approve && t.kind == "join_request") {
      CS_ASSIGN(auto already, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND "
                                           "status = 'active'",
                                           {t.org_id, t.requester_account_id}));
      if (!already) CS_TRY(add_member(tx, t.org_id, t.requester_account_id, "employee", account_id));
    }
    return {};
  }));
  notify(t.requester_phone, approve ? "join_approved" : "join_refused",
         approve ? "您已加入「" + t.org_name + "」。" : "您加入「" + t.org_name + "」的申请未获同意：" + reason);
  return db_.read_value<TaskView>([&](store::Tx& tx) -> Result<TaskView> {
    CS_ASSIGN(auto r, tx.query_one(std::string(kTaskSelect) + "WHERE t.id = ?", {task_id}));
    return task_from_row(*r);
  });
}

Result<std::vector<MemberView>> OrgService::members(const std::string& account_id, const std::string& org_id) {
  return db_.read_value<std::vector<MemberView>>([&](store::Tx& tx) -> Result<std::vector<MemberView>> {
    CS_TRY(require_admin(tx, account_id, org_id));
    CS_ASSIGN(auto rows, tx.query(std::string(kMemberSelect) + "WHERE m.org_id = ? ORDER BY m.created_at, m.id",
                                  {org_id}));
    std::vector<MemberView> out;
    for (auto& r : rows) out.push_back(member_from_row(r));
    return out;
  });
}

Result<MemberView> OrgService::member(const std::string& account_id, const std::string& org_id,
                                      const std::string& member_id) {
  return db_.read_value<MemberView>([&](store::Tx& tx) -> Result<MemberView> {
    CS_TRY(require_admin(tx, account_id, org_id));
    CS_ASSIGN(auto r, tx.query_one(std::string(kMemberSelect) + "WHERE m.org_id = ? AND m.id = ?", {org_id, member_id}));
    if (!r) return not_found("member_not_found", "no such member");
    return member_from_row(*r);
  });
}

Result<InvitationView> OrgService::invite(const std::string& account_id, const std::string& org_id,
                                          const std::string& phone) {
  CS_TRY(validate_phone(phone));
  InvitationView inv;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, account_id, org_id));
    CS_ASSIGN(auto v, load(tx, org_id));
    if (v.status != "verified") return failed_precondition("org_not_verified", "the organisation is not verified yet");
    CS_ASSIGN(auto member, tx.query_one("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id "
                                        "WHERE m.org_id = ? AND a.phone = ? AND m.status = 'active'",
                                        {org_id, phone}));
    if (member) return conflict("already_member", "this phone number is already a member");
    inv = {new_uuid_v7(clock_, rng_), org_id, v.name, phone, "open", format_rfc3339(clock_.now())};
    CS_TRY(tx.exec("INSERT INTO invitations (id, org_id, phone, invited_by, status, created_at) VALUES (?, ?, ?, ?, 'open', ?)",
                   {inv.id, org_id, phone, account_id, inv.created_at}));
    return {};
  }));
  notify(phone, "org_invitation", "「" + inv.org_name + "」邀请您加入，请登录 CertSeal 查看邀请。");
  return inv;
}

Result<std::vector<InvitationView>> OrgService::my_invitations(const std::string& account_id) {
  return db_.read_value<std::vector<InvitationView>>([&](store::Tx& tx) -> Result<std::vector<InvitationView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT i.*, o.name AS org_name FROM invitations i JOIN organisations o ON o.id = i.org_id "
                                  "JOIN accounts a ON a.phone = i.phone WHERE a.id = ? AND i.status = 'open' "
                                  "ORDER BY i.created_at, i.id",
                                  {account_id}));
    std::vector<InvitationView> out;
    for (auto& r : rows) {
      out.push_back({r.text("id"), r.text("org_id"), r.text("org_name"), r.text("phone"), r.text("status"),
                     r.text("created_at")});
    }
    return out;
  });
}

Result<InvitationView> OrgService::answer_invitation(const std::string& account_id, const std::string& invitation_id,
                                                     bool accept) {
  InvitationView inv;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto r, tx.query_one("SELECT i.*, o.name AS org_name FROM invitations i JOIN organisations o ON o.id = i.org_id "
                                   "JOIN accounts a ON a.phone = i.phone WHERE i.id = ? AND a.id = ?",
                                   {invitation_id, account_id}));
    if (!r) return not_found("invitation_not_found", "no such invitation for you");
    if (r->text("status") != "open") return failed_precondition("invitation_closed", "this invitation has been answered");
    inv = {r->text("id"), r->text("org_id"), r->text("org_name"), r->text("phone"), accept ? "accepted" : "declined",
           r->text("created_at")};
    CS_TRY(tx.exec("UPDATE invitations SET status = ?, decided_at = ? WHERE id = ? AND status = 'open'",
                   {inv.status, format_rfc3339(clock_.now()), invitation_id}));
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("org.invitation_answer")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(inv.org_id)
                                           .with("invitation", invitation_id)
                                           .with("accepted", accept)));
    if (accept) {
      CS_ASSIGN(auto already, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND status = 'active'",
                                           {inv.org_id, account_id}));
      if (!already) CS_TRY(add_member(tx, inv.org_id, account_id, "employee", account_id));
    }
    return {};
  }));
  return inv;
}

Status OrgService::remove_member(const std::string& account_id, const std::string& org_id,
                                 const std::string& member_id) {
  std::string phone, org_name, removed_account;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, account_id, org_id));
    CS_ASSIGN(auto r, tx.query_one(std::string(kMemberSelect) + "WHERE m.org_id = ? AND m.id = ? AND m.status = 'active'",
                                   {org_id, member_id}));
    if (!r) return not_found("member_not_found", "no such member");
    if (r->text("role") != "employee") {
      return failed_precondition("cannot_remove_admin", "admins and the legal representative cannot be removed");
    }
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("UPDATE memberships SET status = 'removed', ended_at = ? WHERE id = ?", {now, member_id}));
    CS_TRY(tx.exec("UPDATE identities SET ended_at = ? WHERE id = ?", {now, r->text("identity_id")}));
    phone = r->text("phone");
    removed_account = r->text("account_id");
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("org.member_remove")
                                           .by(account_id)
                                           .of(removed_account)
                                           .on(org_id)
                                           .with("membership", member_id)));
    CS_ASSIGN(auto v, load(tx, org_id));
    org_name = v.name;
    return {};
  }));
  sync_holder(removed_account);
  notify(phone, "member_removed", "您已被移出「" + org_name + "」。");
  return {};
}

// The admin membership a transfer demotes: the caller's own when the caller is the admin; when
// the caller acts as the legal representative (who has the admin's powers, docs/ACCOUNTS.md),
// the organisation's current admin's. REQUIRES: require_admin passed.
Result<std::optional<store::Row>> OrgService::admin_membership_to_hand_over(store::Tx& tx, const std::string& account_id,
                                                             const std::string& org_id) {
  CS_ASSIGN(auto mine, tx.query_one("SELECT * FROM memberships WHERE org_id = ? AND account_id = ? AND status = 'active' "
                                    "AND role = 'admin'",
                                    {org_id, account_id}));
  if (mine) return mine;
  CS_ASSIGN(auto rep, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND status = 'active' "
                                   "AND role = 'legal_representative'",
                                   {org_id, account_id}));
  if (!rep) return forbidden("only the admin or the legal representative may transfer the admin role");
  CS_ASSIGN(auto current, tx.query_one("SELECT * FROM memberships WHERE org_id = ? AND status = 'active' AND role = 'admin' "
                                       "ORDER BY created_at, id LIMIT 1",
                                       {org_id}));
  if (!current) return internal_error("organisation " + org_id + " has no active admin");
  return current;
}

void OrgService::sync_holder(const std::string& account_id) {
  if (!holders_ || account_id.empty()) return;
  // The membership change is committed; a failure here is made up for by the scheduled sweep.
  if (Status s = holders_->sync(account_id); !s) {
    log_.warn("organisation certificates not yet revoked", {{"account_id", account_id}, {"code", s.error().code}});
  }
}

Result<OrgService::AdminTransferPlan> OrgService::plan_admin_transfer(store::Tx& tx, const std::string& account_id,
                                                                      const std::string& org_id,
                                                                      const std::string& member_id) {
  CS_TRY(require_admin(tx, account_id, org_id));
  CS_ASSIGN(auto org, load(tx, org_id));
  if (org.status != "verified") {
    return Error(ErrorKind::kFailedPrecondition, "organisation_not_verified", "this organisation is not verified yet");
  }
  CS_ASSIGN(auto target, tx.query_one("SELECT * FROM memberships WHERE org_id = ? AND id = ? AND status = 'active'",
                                      {org_id, member_id}));
  if (!target) return not_found("member_not_found", "no such member");
  if (target->text("role") != "employee") return failed_precondition("not_an_employee", "choose an employee to become admin");
  CS_ASSIGN(auto mine, admin_membership_to_hand_over(tx, account_id, org_id));
  AdminTransferPlan p;
  p.org_id = org_id;
  p.org_name = org.name;
  p.credit_code = org.credit_code;
  p.signer_role = mine->text("account_id") == account_id ? "admin" : "legal_representative";
  p.former_admin_account_id = mine->text("account_id");
  p.former_membership_id = mine->text("id");
  p.member_id = member_id;
  p.new_admin_account_id = target->text("account_id");
  return p;
}

Status OrgService::transfer_admin_in(store::Tx& tx, const std::string& account_id, const AdminTransferPlan& plan,
                                     const std::string& letter_id) {
  CS_ASSIGN(auto now, plan_admin_transfer(tx, account_id, plan.org_id, plan.member_id));
  if (now.former_membership_id != plan.former_membership_id || now.new_admin_account_id != plan.new_admin_account_id ||
      now.signer_role != plan.signer_role) {
    return conflict("former_plan_changed", "the organisation's admin changed since the letter was drawn");
  }
  CS_ASSIGN(auto former, tx.query_one("SELECT identity_id FROM memberships WHERE id = ?", {plan.former_membership_id}));
  CS_ASSIGN(auto target, tx.query_one("SELECT identity_id FROM memberships WHERE id = ?", {plan.member_id}));
  if (!former || !target) return internal_error("a planned membership disappeared");
  // Roles change; identities follow their membership's role.
  CS_TRY(tx.exec("UPDATE memberships SET role = 'employee' WHERE id = ?", {plan.former_membership_id}));
  CS_TRY(tx.exec("UPDATE identities SET kind = 'employee' WHERE id = ?", {former->text("identity_id")}));
  CS_TRY(tx.exec("UPDATE memberships SET role = 'admin' WHERE id = ?", {plan.member_id}));
  CS_TRY(tx.exec("UPDATE identities SET kind = 'admin' WHERE id = ?", {target->text("identity_id")}));
  CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("org.admin_transfer")
                                         .by(account_id)
                                         .of(plan.new_admin_account_id)
                                         .on(plan.org_id)
                                         .with("from", plan.former_admin_account_id)
                                         .with("membership", plan.member_id)
                                         .with("letter", letter_id)));
  log_.info("organisation admin transferred", {{"org_id", plan.org_id}, {"from", plan.former_admin_account_id},
                                                {"to", plan.new_admin_account_id}, {"letter", letter_id}});
  return {};
}

void OrgService::admin_transferred(const AdminTransferPlan& plan) {
  sync_holder(plan.former_admin_account_id);  // the former admin, now an employee
  auto phones = db_.read_value<std::pair<std::string, std::string>>(
      [&](store::Tx& tx) -> Result<std::pair<std::string, std::string>> {
        CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {plan.former_admin_account_id}));
        CS_ASSIGN(auto b, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {plan.new_admin_account_id}));
        return std::pair(a ? a->text("phone") : "", b ? b->text("phone") : "");
      });
  if (!phones) return;
  if (!phones->first.empty()) notify(phones->first, "admin_transferred", "您已将「" + plan.org_name + "」的管理员转让。");
  if (!phones->second.empty()) notify(phones->second, "admin_received", "您已成为「" + plan.org_name + "」的管理员。");
}

Result<MemberView> OrgService::member_record(const std::string& member_id) {
  return db_.read_value<MemberView>([&](store::Tx& tx) -> Result<MemberView> {
    CS_ASSIGN(auto r, tx.query_one(std::string(kMemberSelect) + "WHERE m.id = ?", {member_id}));
    if (!r) return not_found("member_not_found", "no such member");
    return member_from_row(*r);
  });
}

Status OrgService::leave(const std::string& account_id, const std::string& identity_id) {
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto m, tx.query_one("SELECT * FROM memberships WHERE identity_id = ? AND account_id = ? AND status = 'active'",
                                   {identity_id, account_id}));
    if (!m) return not_found("identity_not_found", "you have no such organisation identity");
    if (m->text("role") != "employee") {
      return failed_precondition("admin_cannot_leave", "transfer the admin role before leaving");
    }
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("UPDATE memberships SET status = 'left', ended_at = ? WHERE id = ?", {now, m->text("id")}));
    CS_TRY(tx.exec("UPDATE identities SET ended_at = ? WHERE id = ?", {now, identity_id}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("org.member_leave")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(m->text("org_id"))
                                           .with("membership", m->text("id")));
  }));
  sync_holder(account_id);
  return {};
}

}  // namespace certseal::service
