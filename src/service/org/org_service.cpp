// OrgService: creating, verifying and reviewing an organisation (org_service.h). Bank check in
// org_bank_check.cpp, members and tasks in org_members.cpp, information changes in org_changes.cpp.
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

void OrgService::notify(const std::string& phone, const std::string& template_id, const std::string& text) {
  if (phone.empty()) return;
  if (Status s = sms_.send({phone, template_id, {}, "【CertSeal】" + text}); !s) {
    log_.warn("notification not sent", {{"template", template_id}, {"cause", s.error().cause}});
  }
}

Result<OrgView> OrgService::load(store::Tx& tx, const std::string& org_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT * FROM organisations WHERE id = ?", {org_id}));
  if (!r) return not_found("org_not_found", "no such organisation");
  return from_row(*r);
}

Result<OrgView> OrgService::load_for_creator(store::Tx& tx, const std::string& account_id,
                                             const std::string& org_id, bool must_be_editable) {
  CS_ASSIGN(auto v, load(tx, org_id));
  if (v.creator_account_id != account_id) return forbidden("only the creator may change this organisation");
  if (must_be_editable && v.status != "draft" && v.status != "rejected") {
    return failed_precondition("org_not_editable", "the organisation has been submitted; wait for the review");
  }
  return v;
}

Status OrgService::require_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id) {
  CS_TRY(load(tx, org_id));  // 404 for organisations that do not exist
  CS_ASSIGN(auto r, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND "
                                 "status = 'active' AND role IN ('admin', 'legal_representative')",
                                 {org_id, account_id}));
  if (!r) return forbidden("only an admin of this organisation may do this");
  return {};
}

Result<std::string> OrgService::member_role(store::Tx& tx, const std::string& account_id,
                                           const std::string& org_id) {
  CS_ASSIGN(auto org, load(tx, org_id));
  CS_ASSIGN(auto r, tx.query_one("SELECT role FROM memberships WHERE org_id = ? AND account_id = ? AND status = 'active'",
                                 {org_id, account_id}));
  if (!r) return forbidden("you are not a member of this organisation");
  if (org.status != "verified") {
    return Error(ErrorKind::kFailedPrecondition, "organisation_not_verified", "this organisation is not verified yet");
  }
  return r->text("role");
}

Result<std::string> OrgService::add_member(store::Tx& tx, const std::string& org_id,
                                           const std::string& account_id, const std::string& role,
                                           const std::string& actor) {
  std::string now = format_rfc3339(clock_.now());
  std::string identity = new_uuid_v7(clock_, rng_);
  std::string kind = role == "employee" ? "employee" : role;
  CS_TRY(tx.exec("INSERT INTO identities (id, account_id, kind, org_id, created_at) VALUES (?, ?, ?, ?, ?)",
                 {identity, account_id, kind, org_id, now}));
  std::string id = new_uuid_v7(clock_, rng_);
  CS_TRY(tx.exec("INSERT INTO memberships (id, org_id, account_id, role, identity_id, status, created_at) "
                 "VALUES (?, ?, ?, ?, ?, 'active', ?)",
                 {id, org_id, account_id, role, identity, now}));
  CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("org.member_add")
                                         .by(actor)
                                         .of(account_id)
                                         .on(org_id)
                                         .with("role", role)
                                         .with("membership", id)));
  return id;
}

Result<std::vector<OrgView>> OrgService::search(const std::string& name, const std::string& credit_code,
                                                int limit) {
  if (name.empty() && credit_code.empty()) {
    return invalid_argument("search_needs_terms", "give a name or a unified social credit code");
  }
  if (!credit_code.empty()) CS_TRY(validate_credit_code(credit_code));
  return db_.read_value<std::vector<OrgView>>([&](store::Tx& tx) -> Result<std::vector<OrgView>> {
    std::string sql = "SELECT * FROM organisations WHERE status = 'verified'";
    store::Params p;
    if (!credit_code.empty()) {
      sql += " AND credit_code = ?";
      p.emplace_back(credit_code);
    }
    if (!name.empty()) {
      sql += " AND name LIKE ?";
      std::string pattern;
      for (char c : name) {
        if (c == '%' || c == '_') continue;  // no wildcards from users
        pattern += c;
      }
      p.emplace_back("%" + pattern + "%");
    }
    sql += " ORDER BY name, id LIMIT ?";
    p.emplace_back(limit);
    CS_ASSIGN(auto rows, tx.query(sql, p));
    std::vector<OrgView> out;
    for (auto& r : rows) out.push_back(from_row(r));
    return out;
  });
}

Result<OrgView> OrgService::create(const std::string& account_id, const std::string& name,
                                   const std::string& credit_code, bool creator_is_legal_rep,
                                   std::int64_t agreement_version, const std::string& remote_addr) {
  CS_TRY(validate_name(name, "name", 100));
  CS_TRY(validate_credit_code(credit_code));
  AgreementService agreements(db_, clock_, rng_);
  CS_ASSIGN(auto cur, agreements.current("organisation"));
  if (agreement_version != cur.version) {
    return conflict("agreement_outdated", "accept the current organisation agreement (version " +
                                              std::to_string(cur.version) + ")");
  }
  std::string id = new_uuid_v7(clock_, rng_);
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto who, real_identity(tx, account_id));
    if (who.first.empty()) {
      return failed_precondition("person_not_verified", "complete your real-name verification first");
    }
    CS_ASSIGN(auto taken, tx.query_one("SELECT id FROM organisations WHERE credit_code = ? AND status = 'verified'",
                                       {credit_code}));
    if (taken) return conflict("org_exists", "this organisation is already verified; ask to join it instead");
    CS_ASSIGN(auto mine, tx.query_one("SELECT id FROM organisations WHERE credit_code = ? AND creator_account_id = ? "
                                      "AND status IN ('draft', 'submitted', 'rejected')",
                                      {credit_code, account_id}));
    if (mine) return conflict("org_draft_exists", "you already have an application for this organisation");
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("INSERT INTO organisations (id, name, credit_code, status, creator_account_id, "
                   "creator_is_legal_rep, created_at, updated_at) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?)",
                   {id, name, credit_code, account_id, creator_is_legal_rep ? 1 : 0, now, now}));
    if (creator_is_legal_rep) {
      CS_ASSIGN(auto phone_row, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {account_id}));
      CS_TRY(tx.exec("UPDATE organisations SET legal_rep_name = ?, legal_rep_id_number = ?, legal_rep_phone = ? "
                     "WHERE id = ?",
                     {who.first, who.second, phone_row->text("phone"), id}));
    }
    CS_TRY(tx.exec("INSERT INTO agreement_acceptances (id, account_id, kind, version, accepted_at, remote_addr) "
                   "VALUES (?, ?, 'organisation', ?, ?, ?)",
                   {new_uuid_v7(clock_, rng_), account_id, agreement_version, now, remote_addr}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("org.create")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(id)
                                           .with("credit_code", credit_code)
                                           .with("creator_is_legal_rep", creator_is_legal_rep));
  }));
  log_.info("organisation draft created", {{"org_id", id}});
  return get(account_id, id);
}

Result<OrgView> OrgService::get(const std::string& account_id, const std::string& org_id) {
  return db_.read_value<OrgView>([&](store::Tx& tx) -> Result<OrgView> {
    CS_ASSIGN(auto v, load(tx, org_id));
    if (v.creator_account_id == account_id && v.status != "verified") return v;
    CS_ASSIGN(auto m, tx.query_one("SELECT id, role FROM memberships WHERE org_id = ? AND account_id = ? AND "
                                   "status = 'active'",
                                   {org_id, account_id}));
    if (!m) return forbidden("you are not a member of this organisation");
    if ((*m).text("role") == "employee") {
      // Employees see the organisation, not the legal representative's ID number and phone or
      // the bank account: those are for the admins and the legal representative (review L5).
      v.legal_rep.id_number.clear();
      v.legal_rep.phone.clear();
      v.bank = {};
    }
    return v;
  });
}

Result<Bytes> OrgService::authorisation_letter(const std::string& account_id, const std::string& org_id) {
  OrgView v;
  std::pair<std::string, std::string> who;
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(v, load_for_creator(tx, account_id, org_id, false));
    CS_ASSIGN(who, real_identity(tx, account_id));
    return {};
  }));
  if (v.creator_is_legal_rep) {
    return failed_precondition("letter_not_needed", "the legal representative needs no authorisation letter");
  }
  using docsign::TextBlock;
  std::string date = format_rfc3339(clock_.now()).substr(0, 10);
  std::vector<TextBlock> blocks = {
      {"授权委托书", 22, true, TextBlock::Align::kCenter, 18},
      {"Letter of authorisation", 12, false, TextBlock::Align::kCenter, 24},
      {"委托单位（Organisation）：" + v.name},
      {"统一社会信用代码（Unified social credit code）：" + v.credit_code, 11, false, TextBlock::Align::kLeft, 18},
      {"受托人（Authorised person）：" + who.first},
      {"身份证号码（ID number）：" + who.second, 11, false, TextBlock::Align::kLeft, 18},
      {"兹授权上述受托人代表本单位，在 CertSeal 平台办理机构实名认证、数字证书与电子印章的申请、"
       "管理及相关业务。受托人在授权范围内办理的事项，本单位均予以承认。"},
      {"We authorise the person above to act for the organisation on the CertSeal platform: to verify "
       "the organisation and to apply for and manage its digital certificates and electronic seals.",
       10, false, TextBlock::Align::kLeft, 36},
      {"法定代表人（签字）Legal representative (signature)：________________", 11, false,
       TextBlock::Align::kLeft, 24},
      {"单位（盖章）Organisation (seal)：", 11, false, TextBlock::Align::kLeft, 48},
      {"日期（Date）：" + date, 11, false, TextBlock::Align::kRight, 12},
      {"申请编号（Application）：" + v.id, 8, false, TextBlock::Align::kRight, 0},
  };
  return docsign::render_pdf(blocks, {"授权委托书 " + v.name, "CertSeal"});
}

Result<OrgView> OrgService::attach_licence(const std::string& account_id, const std::string& org_id,
                                           const std::string& blob_id) {
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_TRY(load_for_creator(tx, account_id, org_id, true));
    return {};
  }));
  CS_ASSIGN(auto blob, blobs_.info(blob_id));
  if (blob.owner_account_id != account_id || blob.purpose != "licence") {
    return invalid_argument("bad_upload", "blob_id must be your own licence upload")
        .with_field("blob_id", "bad_upload", "upload the licence with purpose=licence");
  }
  CS_ASSIGN(auto bytes, blobs_.read(blob));
  // OCR runs with no transaction open and is bounded (licence_ocr.h). It only saves typing: when
  // it is busy or too slow the licence is attached without read fields, and the user types them.
  LicenceFields fields;
  if (auto read = ocr_.read(bytes); read.ok()) {
    fields = std::move(read).value();
  } else if (read.error().code == "ocr_timeout" || read.error().code == "ocr_busy") {
    log_.warn("licence OCR skipped for organisation " + org_id + ": " + read.error().code);
  } else {
    return std::move(read).error();
  }
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(load_for_creator(tx, account_id, org_id, true));
    CS_TRY(tx.exec("UPDATE organisations SET licence_blob_id = ?, ocr_name = ?, ocr_credit_code = ?, "
                   "ocr_legal_rep = ?, updated_at = ? WHERE id = ?",
                   {blob_id, opt(fields.name), opt(fields.credit_code), opt(fields.legal_representative),
                    format_rfc3339(clock_.now()), org_id}));
    return {};
  }));
  return get(account_id, org_id);
}

Result<OrgView> OrgService::update_draft(const std::string& account_id, const std::string& org_id,
                                         const OrgDraftChanges& c) {
  if (c.name) CS_TRY(validate_name(*c.name, "name", 100));
  if (c.credit_code) CS_TRY(validate_credit_code(*c.credit_code));
  if (c.legal_rep) {
    CS_TRY(validate_name(c.legal_rep->name, "legal_representative.name", 50));
    CS_TRY(validate_id_number(c.legal_rep->id_number, "legal_representative.id_number"));
    CS_TRY(validate_phone(c.legal_rep->phone, "legal_representative.phone"));
  }
  if (c.bank) {
    CS_TRY(validate_name(c.bank->bank_name, "bank.bank_name", 100));
    CS_TRY(validate_name(c.bank->account_name, "bank.account_name", 100));
    const auto& a = c.bank->account;
    bool digits = a.size() >= 8 && a.size() <= 32;
    for (char ch : a) digits = digits && ch >= '0' && ch <= '9';
    if (!digits) {
      return invalid_argument("invalid_bank_account", "the account number must be 8 to 32 digits")
          .with_field("bank.account", "invalid_bank_account", "8 to 32 digits");
    }
  }
  if (c.contact_phone) CS_TRY(validate_phone(*c.contact_phone, "contact_phone"));
  if (c.address) CS_TRY(validate_name(*c.address, "address", 200));
  if (c.letter_blob_id) {
    CS_ASSIGN(auto blob, blobs_.info(*c.letter_blob_id));
    if (blob.owner_account_id != account_id || blob.purpose != "authorisation_letter") {
      return invalid_argument("bad_upload", "letter_blob_id must be your own authorisation_letter upload")
          .with_field("letter_blob_id", "bad_upload", "upload the signed letter with purpose=authorisation_letter");
    }
  }
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load_for_creator(tx, account_id, org_id, true));
    std::string now = format_rfc3339(clock_.now());
    if (c.name) CS_TRY(tx.exec("UPDATE organisations SET name = ? WHERE id = ?", {*c.name, org_id}));
    if (c.credit_code) CS_TRY(tx.exec("UPDATE organisations SET credit_code = ? WHERE id = ?", {*c.credit_code, org_id}));
    if (c.address) CS_TRY(tx.exec("UPDATE organisations SET address = ? WHERE id = ?", {*c.address, org_id}));
    if (c.contact_phone) CS_TRY(tx.exec("UPDATE organisations SET contact_phone = ? WHERE id = ?", {*c.contact_phone, org_id}));
    if (c.letter_blob_id) CS_TRY(tx.exec("UPDATE organisations SET letter_blob_id = ? WHERE id = ?", {*c.letter_blob_id, org_id}));
    if (c.legal_rep) {
      if (v.creator_is_legal_rep) {
        return failed_precondition("legal_rep_is_creator", "you declared yourself the legal representative");
      }
      CS_TRY(tx.exec("UPDATE organisations SET legal_rep_name = ?, legal_rep_id_number = ?, legal_rep_phone = ? "
                     "WHERE id = ?",
                     {c.legal_rep->name, c.legal_rep->id_number, c.legal_rep->phone, org_id}));
    }
    if (c.bank) {
      // New bank details need a new transfer check.
      CS_TRY(tx.exec("UPDATE organisations SET bank_name = ?, bank_account = ?, bank_account_name = ?, "
                     "transfer_status = CASE WHEN transfer_status = 'operator_only' THEN 'operator_only' ELSE "
                     "'none' END, transfer_attempts = 0 WHERE id = ?",
                     {c.bank->bank_name, c.bank->account, c.bank->account_name, org_id}));
    }
    CS_TRY(tx.exec("UPDATE organisations SET updated_at = ? WHERE id = ?", {now, org_id}));
    return {};
  }));
  return get(account_id, org_id);
}

Result<OrgView> OrgService::submit(const std::string& account_id, const std::string& org_id) {
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load_for_creator(tx, account_id, org_id, true));
    Error missing = failed_precondition("application_incomplete", "the application is not complete");
    if (v.licence_blob_id.empty()) missing.fields.push_back({"licence", "required", "upload the business licence"});
    if (v.legal_rep.name.empty()) {
      missing.fields.push_back({"legal_representative", "required", "enter the legal representative"});
    }
    if (!v.creator_is_legal_rep && v.letter_blob_id.empty()) {
      missing.fields.push_back({"letter_blob_id", "required", "upload the signed and stamped authorisation letter"});
    }
    if (v.transfer_status != "confirmed" && v.transfer_status != "operator_only") {
      missing.fields.push_back({"bank", "not_confirmed", "confirm the corporate account with the transfer check"});
    }
    if (!missing.fields.empty()) return missing;
    CS_TRY(tx.exec("UPDATE organisations SET status = 'submitted', submitted_at = ?, reason = NULL WHERE id = ?",
                   {format_rfc3339(clock_.now()), org_id}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("org.submit").by(account_id).of(account_id).on(org_id));
  }));
  log_.info("organisation submitted for review", {{"org_id", org_id}});
  return get(account_id, org_id);
}

Result<std::vector<OrgView>> OrgService::list(const std::string& status, const std::string& after, int limit) {
  return db_.read_value<std::vector<OrgView>>([&](store::Tx& tx) -> Result<std::vector<OrgView>> {
    CS_ASSIGN(auto rows, store::query_page(tx, {"SELECT * FROM organisations", {{"status", status}}, "", "id",
                                                after, false, limit}));
    std::vector<OrgView> out;
    for (auto& r : rows) out.push_back(from_row(r));
    return out;
  });
}

Result<OrgView> OrgService::get_any(const std::string& org_id) {
  return db_.read_value<OrgView>([&](store::Tx& tx) { return load(tx, org_id); });
}

Result<OrgView> OrgService::approve(const std::string& operator_id, const std::string& org_id) {
  std::string creator_phone, name;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load(tx, org_id));
    if (v.status != "submitted") return failed_precondition("not_submitted", "this organisation is not waiting for review");
    CS_ASSIGN(auto taken, tx.query_one("SELECT id FROM organisations WHERE credit_code = ? AND status = 'verified'",
                                       {v.credit_code}));
    if (taken) return conflict("org_exists", "another application for this credit code was approved already");
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("UPDATE organisations SET status = 'verified', verified_at = ?, reviewer_id = ?, reason = NULL "
                   "WHERE id = ?",
                   {now, operator_id, org_id}));
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("org.approve")
                                           .by(operator_id)
                                           .of(v.creator_account_id)
                                           .on(org_id)
                                           .with("credit_code", v.credit_code)));
    CS_TRY(add_member(tx, org_id, v.creator_account_id, "admin", operator_id));
    if (v.creator_is_legal_rep) {
      CS_TRY(add_member(tx, org_id, v.creator_account_id, "legal_representative", operator_id));
    }
    CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {v.creator_account_id}));
    creator_phone = a->text("phone");
    name = v.name;
    CS_TRY(add_notification(tx, clock_, rng_, v.creator_account_id, "org_verified",
                            "您提交的机构认证「" + name + "」已通过审核。", org_id));
    return {};
  }));
  notify(creator_phone, "org_verified", "您提交的机构认证「" + name + "」已通过审核，您已成为该机构的管理员。");
  log_.info("organisation verified", {{"org_id", org_id}, {"operator_id", operator_id}});
  return get_any(org_id);
}

Result<OrgView> OrgService::reject(const std::string& operator_id, const std::string& org_id,
                                   const std::string& reason) {
  if (reason.empty()) {
    return invalid_argument("reason_required", "a rejection needs a reason")
        .with_field("reason", "required", "the applicant will see it");
  }
  std::string creator_phone, name;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load(tx, org_id));
    if (v.status != "submitted") return failed_precondition("not_submitted", "this organisation is not waiting for review");
    CS_TRY(tx.exec("UPDATE organisations SET status = 'rejected', reason = ?, reviewer_id = ? WHERE id = ?",
                   {reason, operator_id, org_id}));
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("org.reject")
                                           .by(operator_id)
                                           .of(v.creator_account_id)
                                           .on(org_id)
                                           .with("reason", reason)));
    CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {v.creator_account_id}));
    creator_phone = a->text("phone");
    name = v.name;
    CS_TRY(add_notification(tx, clock_, rng_, v.creator_account_id, "org_rejected",
                            "您提交的机构认证「" + name + "」未通过审核：" + reason, org_id));
    return {};
  }));
  notify(creator_phone, "org_rejected", "您提交的机构认证「" + name + "」未通过审核：" + reason);
  return get_any(org_id);
}

}  // namespace certseal::service
