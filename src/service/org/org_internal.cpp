#include "service/org/org_internal.h"

namespace certseal::service::org_internal {

Error forbidden(std::string msg) {
  return Error(ErrorKind::kPermissionDenied, "forbidden", std::move(msg));
}
store::Value opt(const std::string& s) { return s.empty() ? store::Value() : store::Value(s); }

OrgView from_row(const store::Row& r) {
  OrgView v;
  v.id = r.text("id");
  v.name = r.text("name");
  v.credit_code = r.text("credit_code");
  v.status = r.text("status");
  v.creator_account_id = r.text("creator_account_id");
  v.creator_is_legal_rep = r.integer("creator_is_legal_rep") != 0;
  v.legal_rep = {r.text("legal_rep_name"), r.text("legal_rep_id_number"), r.text("legal_rep_phone")};
  v.licence_blob_id = r.text("licence_blob_id");
  v.letter_blob_id = r.text("letter_blob_id");
  v.ocr.name = r.text("ocr_name");
  v.ocr.credit_code = r.text("ocr_credit_code");
  v.ocr.legal_representative = r.text("ocr_legal_rep");
  v.bank = {r.text("bank_name"), r.text("bank_account"), r.text("bank_account_name")};
  v.transfer_status = r.text("transfer_status");
  v.transfer_attempts = r.integer("transfer_attempts");
  v.address = r.text("address");
  v.contact_phone = r.text("contact_phone");
  v.reason = r.text("reason");
  v.created_at = r.text("created_at");
  v.submitted_at = r.text("submitted_at");
  v.verified_at = r.text("verified_at");
  return v;
}

// The verified real name and ID number of an account, or empty.
Result<std::pair<std::string, std::string>> real_identity(store::Tx& tx, const std::string& account_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT name, id_number FROM person_verifications WHERE account_id = ? "
                                 "AND status = 'verified' ORDER BY created_at DESC LIMIT 1",
                                 {account_id}));
  if (!r) return std::pair<std::string, std::string>();
  return std::pair(r->text("name"), r->text("id_number"));
}

TaskView task_from_row(const store::Row& r) {
  TaskView t;
  t.id = r.text("id");
  t.org_id = r.text("org_id");
  t.org_name = r.text("org_name");
  t.kind = r.text("kind");
  t.status = r.text("status");
  t.requester_account_id = r.text("requester_account_id");
  t.requester_phone = r.text("requester_phone");
  t.requester_name = r.text("requester_name");
  t.statement = r.text("statement");
  t.reason = r.text("reason");
  t.decided_by = r.text("decided_by");
  t.created_at = r.text("created_at");
  t.decided_at = r.text("decided_at");
  return t;
}



OrgChangeView change_from_row(const store::Row& r) {
  OrgChangeView c;
  c.id = r.text("id");
  c.org_id = r.text("org_id");
  c.requested_by = r.text("requested_by");
  c.status = r.text("status");
  c.reason = r.text("reason");
  c.created_at = r.text("created_at");
  c.decided_at = r.text("decided_at");
  c.licence_blob_id = r.text("licence_blob_id");
  c.name = r["name"].as_opt_text();
  c.credit_code = r["credit_code"].as_opt_text();
  if (!r.is_null("legal_rep_name")) {
    c.legal_rep = LegalRep{r.text("legal_rep_name"), r.text("legal_rep_id_number"), r.text("legal_rep_phone")};
  }
  return c;
}

MemberView member_from_row(const store::Row& r) {
  return {r.text("id"), r.text("account_id"), r.text("phone"), r.text("real_name"), r.text("role"),
          r.text("status"), r.text("created_at"), r.text("ended_at")};
}

}  // namespace certseal::service::org_internal
