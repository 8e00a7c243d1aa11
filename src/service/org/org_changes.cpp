// OrgService: changing an organisation's information, directly or through operator review (org_service.h).
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

Result<OrgView> OrgService::update_info(const std::string& account_id, const std::string& org_id,
                                        const std::optional<std::string>& address,
                                        const std::optional<std::string>& contact_phone) {
  if (address) CS_TRY(validate_name(*address, "address", 200));
  if (contact_phone) CS_TRY(validate_phone(*contact_phone, "contact_phone"));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, account_id, org_id));
    if (address) CS_TRY(tx.exec("UPDATE organisations SET address = ? WHERE id = ?", {*address, org_id}));
    if (contact_phone) CS_TRY(tx.exec("UPDATE organisations SET contact_phone = ? WHERE id = ?", {*contact_phone, org_id}));
    CS_TRY(tx.exec("UPDATE organisations SET updated_at = ? WHERE id = ?", {format_rfc3339(clock_.now()), org_id}));
    return {};
  }));
  return get(account_id, org_id);
}

Result<OrgChangeView> OrgService::request_change(const std::string& account_id, const std::string& org_id,
                                                 const OrgDraftChanges& c, const std::string& licence_blob_id) {
  // Who asks is checked before what they ask: a non-admin learns nothing from validation errors.
  CS_TRY(db_.read([&](store::Tx& tx) { return require_admin(tx, account_id, org_id); }));
  if (!c.name && !c.credit_code && !c.legal_rep) {
    return invalid_argument("nothing_to_change", "give a new name, credit code or legal representative");
  }
  if (c.name) CS_TRY(validate_name(*c.name, "name", 100));
  if (c.credit_code) CS_TRY(validate_credit_code(*c.credit_code));
  if (c.legal_rep) {
    CS_TRY(validate_name(c.legal_rep->name, "legal_representative.name", 50));
    CS_TRY(validate_id_number(c.legal_rep->id_number, "legal_representative.id_number"));
    CS_TRY(validate_phone(c.legal_rep->phone, "legal_representative.phone"));
  }
  if ((c.name || c.credit_code) && licence_blob_id.empty()) {
    return invalid_argument("licence_required", "a new name or credit code needs the new business licence")
        .with_field("licence_blob_id", "required", "upload the new licence with purpose=licence");
  }
  if (!licence_blob_id.empty()) {
    CS_ASSIGN(auto blob, blobs_.info(licence_blob_id));
    if (blob.owner_account_id != account_id || blob.purpose != "licence") {
      return invalid_argument("bad_upload", "licence_blob_id must be your own licence upload")
          .with_field("licence_blob_id", "bad_upload", "upload with purpose=licence");
    }
  }
  std::string id = new_uuid_v7(clock_, rng_);
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, account_id, org_id));
    CS_ASSIGN(auto v, load(tx, org_id));
    if (v.status != "verified") return failed_precondition("org_not_verified", "edit the application instead");
    CS_ASSIGN(auto pending, tx.query_one("SELECT id FROM org_changes WHERE org_id = ? AND status = 'pending'", {org_id}));
    if (pending) return conflict("change_pending", "a change of this organisation is already waiting for review");
    CS_TRY(tx.exec("INSERT INTO org_changes (id, org_id, requested_by, name, credit_code, legal_rep_name, "
                   "legal_rep_id_number, legal_rep_phone, licence_blob_id, status, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                   {id, org_id, account_id, store::Value(c.name), store::Value(c.credit_code),
                    c.legal_rep ? store::Value(c.legal_rep->name) : store::Value(),
                    c.legal_rep ? store::Value(c.legal_rep->id_number) : store::Value(),
                    c.legal_rep ? store::Value(c.legal_rep->phone) : store::Value(), opt(licence_blob_id),
                    format_rfc3339(clock_.now())}));
    return {};
  }));
  return db_.read_value<OrgChangeView>([&](store::Tx& tx) -> Result<OrgChangeView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM org_changes WHERE id = ?", {id}));
    return change_from_row(*r);
  });
}

Result<std::vector<OrgChangeView>> OrgService::changes(const std::string& account_id, const std::string& org_id) {
  return db_.read_value<std::vector<OrgChangeView>>([&](store::Tx& tx) -> Result<std::vector<OrgChangeView>> {
    CS_TRY(require_admin(tx, account_id, org_id));
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM org_changes WHERE org_id = ? ORDER BY created_at DESC, id DESC",
                                  {org_id}));
    std::vector<OrgChangeView> out;
    for (auto& r : rows) out.push_back(change_from_row(r));
    return out;
  });
}

Result<std::vector<OrgChangeView>> OrgService::list_changes(const std::string& status, const std::string& after,
                                                            int limit) {
  return db_.read_value<std::vector<OrgChangeView>>([&](store::Tx& tx) -> Result<std::vector<OrgChangeView>> {
    CS_ASSIGN(auto rows, store::query_page(tx, {"SELECT * FROM org_changes", {{"status", status}}, "", "id", after,
                                                false, limit}));
    std::vector<OrgChangeView> out;
    for (auto& r : rows) out.push_back(change_from_row(r));
    return out;
  });
}

Result<OrgChangeView> OrgService::decide_change(const std::string& operator_id, const std::string& change_id,
                                                bool approve, const std::string& reason) {
  if (!approve && reason.empty()) {
    return invalid_argument("reason_required", "a rejection needs a reason")
        .with_field("reason", "required", "the admin will see it");
  }
  std::string admin_phone, org_name;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM org_changes WHERE id = ?", {change_id}));
    if (!r) return not_found("change_not_found", "no such change request");
    OrgChangeView c = change_from_row(*r);
    CS_ASSIGN(auto n, tx.exec("UPDATE org_changes SET status = ?, reason = ?, reviewer_id = ?, decided_at = ? "
                              "WHERE id = ? AND status = 'pending'",
                              {approve ? "approved" : "rejected", opt(reason), operator_id,
                               format_rfc3339(clock_.now()), change_id}));
    if (n != 1) return failed_precondition("change_decided", "this change request has already been decided");
    if (approve) {
      if (c.credit_code) {
        CS_ASSIGN(auto taken, tx.query_one("SELECT id FROM organisations WHERE credit_code = ? AND "
                                           "status = 'verified' AND id <> ?",
                                           {*c.credit_code, c.org_id}));
        if (taken) return conflict("org_exists", "another verified organisation has this credit code");
        CS_TRY(tx.exec("UPDATE organisations SET credit_code = ? WHERE id = ?", {*c.credit_code, c.org_id}));
      }
      if (c.name) CS_TRY(tx.exec("UPDATE organisations SET name = ? WHERE id = ?", {*c.name, c.org_id}));
      if (c.legal_rep) {
        CS_TRY(tx.exec("UPDATE organisations SET legal_rep_name = ?, legal_rep_id_number = ?, legal_rep_phone = ? "
                       "WHERE id = ?",
                       {c.legal_rep->name, c.legal_rep->id_number, c.legal_rep->phone, c.org_id}));
      }
      if (!c.licence_blob_id.empty()) {
        CS_TRY(tx.exec("UPDATE organisations SET licence_blob_id = ? WHERE id = ?", {c.licence_blob_id, c.org_id}));
      }
      CS_TRY(tx.exec("UPDATE organisations SET updated_at = ? WHERE id = ?", {format_rfc3339(clock_.now()), c.org_id}));
    }
    // The transparency log: which parts changed (the new credit code and name; the legal
    // representative's identity stays in the organisation's record, not in the public log).
    auto e = ledger::LedgerEvent(approve ? "org.change_approve" : "org.change_reject")
                 .by(operator_id)
                 .of(c.requested_by)
                 .on(c.org_id)
                 .with("change", change_id);
    if (c.credit_code) e.with("credit_code", *c.credit_code);
    if (c.name) e.with("name", *c.name);
    if (c.legal_rep) e.with("legal_rep", true);
    if (!c.licence_blob_id.empty()) e.with("licence", true);
    if (!reason.empty()) e.with("reason", reason);
    CS_TRY(ledger::record(ledger_, tx, e));
    CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {c.requested_by}));
    admin_phone = a ? a->text("phone") : "";
    CS_ASSIGN(auto v, load(tx, c.org_id));
    org_name = v.name;
    return {};
  }));
  notify(admin_phone, approve ? "org_change_approved" : "org_change_rejected",
         approve ? "「" + org_name + "」的信息变更已通过审核。" : "「" + org_name + "」的信息变更未通过审核：" + reason);
  return db_.read_value<OrgChangeView>([&](store::Tx& tx) -> Result<OrgChangeView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM org_changes WHERE id = ?", {change_id}));
    return change_from_row(*r);
  });
}

}  // namespace certseal::service
