#include "service/org/org_service.h"

#include "base/id.h"
#include "store/page_query.h"
#include "docsign/text_render.h"
#include "service/account/agreements.h"
#include "service/account/validation.h"
#include "service/notify/inbox.h"

namespace certseal::service {
namespace {

constexpr int kMaxTransferAttempts = 3;

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

constexpr const char* kTaskSelect =
    "SELECT t.*, o.name AS org_name, a.phone AS requester_phone, "
    "(SELECT pv.name FROM person_verifications pv WHERE pv.account_id = t.requester_account_id AND "
    "pv.status = 'verified' ORDER BY pv.created_at DESC LIMIT 1) AS requester_name "
    "FROM tasks t JOIN organisations o ON o.id = t.org_id JOIN accounts a ON a.id = t.requester_account_id ";

constexpr const char* kMemberSelect =
    "SELECT m.*, a.phone, (SELECT pv.name FROM person_verifications pv WHERE pv.account_id = m.account_id "
    "AND pv.status = 'verified' ORDER BY pv.created_at DESC LIMIT 1) AS real_name "
    "FROM memberships m JOIN accounts a ON a.id = m.account_id ";

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

}  // namespace

Result<std::int64_t> DevBankBackend::send_test_transfer(store::Tx& tx, const std::string& org_id,
                                                        const std::string& bank_name,
                                                        const std::string& account,
                                                        const std::string& account_name) {
  std::int64_t amount = 1 + static_cast<std::int64_t>(rng_.uniform(99));  // 0.01 - 0.99 yuan
  CS_TRY(tx.exec("INSERT INTO bank_transfers (id, org_id, bank_name, bank_account, account_name, amount_fen, "
                 "backend, created_at) VALUES (?, ?, ?, ?, ?, ?, 'dev', ?)",
                 {new_uuid_v7(clock_, rng_), org_id, bank_name, account, account_name, amount,
                  format_rfc3339(clock_.now())}));
  return amount;
}

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
                                           const std::string& account_id, const std::string& role) {
  std::string now = format_rfc3339(clock_.now());
  std::string identity = new_uuid_v7(clock_, rng_);
  std::string kind = role == "employee" ? "employee" : role;
  CS_TRY(tx.exec("INSERT INTO identities (id, account_id, kind, org_id, created_at) VALUES (?, ?, ?, ?, ?)",
                 {identity, account_id, kind, org_id, now}));
  std::string id = new_uuid_v7(clock_, rng_);
  CS_TRY(tx.exec("INSERT INTO memberships (id, org_id, account_id, role, identity_id, status, created_at) "
                 "VALUES (?, ?, ?, ?, ?, 'active', ?)",
                 {id, org_id, account_id, role, identity, now}));
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
    return {};
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

Result<OrgView> OrgService::start_bank_transfer(const std::string& account_id, const std::string& org_id) {
  Status verdict;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    // The organisation's row is locked before anything is counted, so two concurrent starts
    // cannot both pass the cap on PostgreSQL.
    CS_TRY(tx.exec("UPDATE organisations SET transfer_attempts = transfer_attempts WHERE id = ?", {org_id}));
    CS_ASSIGN(auto v, load_for_creator(tx, account_id, org_id, true));
    if (v.bank.account.empty()) return failed_precondition("bank_account_missing", "enter the corporate bank account first");
    if (v.transfer_status == "confirmed") return failed_precondition("bank_already_confirmed", "the account is already confirmed");
    if (v.transfer_status == "operator_only") {
      return failed_precondition("bank_check_operator_only",
                                 "the transfer check failed too often; submit the application and an operator checks the "
                                 "account");
    }
    // At most max_transfers checks that did not succeed, per organisation and per bank account
    // (a new draft naming the same account does not start afresh): review M4.
    CS_ASSIGN(auto n, tx.query_one("SELECT COUNT(*) AS n FROM bank_transfers t JOIN organisations o ON o.id = t.org_id "
                                   "WHERE (t.org_id = ? OR t.bank_account = ?) AND o.transfer_status <> 'confirmed'",
                                   {org_id, v.bank.account}));
    if (n && n->integer("n") >= policy_.max_transfers) {
      CS_TRY(tx.exec("UPDATE organisations SET transfer_status = 'operator_only', updated_at = ? WHERE id = ?",
                     {format_rfc3339(clock_.now()), org_id}));
      verdict = failed_precondition("bank_check_operator_only",
                                    "the transfer check failed too often; submit the application and an operator "
                                    "checks the account");
      return {};
    }
    CS_ASSIGN(auto last, tx.query_one("SELECT transfer_sent_at FROM organisations WHERE id = ?", {org_id}));
    const std::int64_t now = clock_.now_unix();
    if (last && last->integer("transfer_sent_at") > 0 &&
        now - last->integer("transfer_sent_at") < policy_.transfer_cooldown_s) {
      return Error(ErrorKind::kResourceExhausted, "bank_transfer_too_soon",
                   "a test transfer was sent recently; try again later");
    }
    CS_TRY(bank_.send_test_transfer(tx, org_id, v.bank.bank_name, v.bank.account, v.bank.account_name));
    CS_TRY(tx.exec("UPDATE organisations SET transfer_status = 'sent', transfer_attempts = 0, transfer_sent_at = ?, "
                   "updated_at = ? WHERE id = ?",
                   {now, format_rfc3339(clock_.now()), org_id}));
    return {};
  }));
  if (!verdict.ok()) return std::move(verdict).error();
  return get(account_id, org_id);
}

Result<OrgView> OrgService::confirm_bank_transfer(const std::string& account_id, const std::string& org_id,
                                                  std::int64_t amount_fen) {
  Status verdict;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto v, load_for_creator(tx, account_id, org_id, true));
    // One try is charged before the amount is compared, in one conditional update that also
    // locks the row: concurrent guesses cannot pass the 3 tries on either engine (review M1/M4).
    CS_ASSIGN(auto charged, tx.exec("UPDATE organisations SET transfer_attempts = transfer_attempts + 1 WHERE id = ? "
                                    "AND transfer_status = 'sent' AND transfer_attempts < ?",
                                    {org_id, kMaxTransferAttempts}));
    if (charged == 0) {
      CS_ASSIGN(v, load(tx, org_id));
      verdict = failed_precondition("no_transfer_pending", v.transfer_status == "failed"
                                                        ? "the check failed; ask for a new transfer"
                                                        : "no transfer is waiting to be confirmed");
      return {};
    }
    CS_ASSIGN(v, load(tx, org_id));
    const std::int64_t attempts = v.transfer_attempts;
    CS_ASSIGN(auto t, tx.query_one("SELECT amount_fen FROM bank_transfers WHERE org_id = ? "
                                   "ORDER BY created_at DESC, id DESC LIMIT 1",
                                   {org_id}));
    if (t && t->integer("amount_fen") == amount_fen) {
      CS_TRY(tx.exec("UPDATE organisations SET transfer_status = 'confirmed' WHERE id = ?", {org_id}));
      return {};
    }
    const bool failed = attempts >= kMaxTransferAttempts;
    if (failed) CS_TRY(tx.exec("UPDATE organisations SET transfer_status = 'failed' WHERE id = ?", {org_id}));
    verdict = failed ? invalid_argument("bank_check_failed",
                                        "three wrong amounts: the check failed; ask for a new transfer")
                     : invalid_argument("wrong_amount", "the amount is wrong; " +
                                                            std::to_string(kMaxTransferAttempts - attempts) +
                                                            " tries left");
    return {};
  }));
  if (!verdict.ok()) return std::move(verdict).error();
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
    return {};
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
    CS_TRY(add_member(tx, org_id, v.creator_account_id, "admin"));
    if (v.creator_is_legal_rep) CS_TRY(add_member(tx, org_id, v.creator_account_id, "legal_representative"));
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

Result<std::vector<OrgService::Transfer>> OrgService::transfers(const std::string& org_id) {
  return db_.read_value<std::vector<Transfer>>([&](store::Tx& tx) -> Result<std::vector<Transfer>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM bank_transfers WHERE org_id = ? ORDER BY created_at DESC, id DESC",
                                  {org_id}));
    std::vector<Transfer> out;
    for (auto& r : rows) {
      out.push_back({r.text("id"), r.text("org_id"), r.text("bank_name"), r.text("bank_account"),
                     r.text("account_name"), r.text("backend"), r.text("created_at"), r.integer("amount_fen")});
    }
    return out;
  });
}

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
    return {};
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
    CS_ASSIGN(auto n, tx.exec("UPDATE tasks SET status = ?, decided_by = ?, reason = ?, decided_at = ? "
                              "WHERE id = ? AND status = 'open'",
                              {approve ? "approved" : "refused", account_id, opt(reason),
                               format_rfc3339(clock_.now()), task_id}));
    if (n != 1) return failed_precondition("task_closed", "this task has already been decided");
    if (approve && t.kind == "join_request") {
      CS_ASSIGN(auto already, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND "
                                           "status = 'active'",
                                           {t.org_id, t.requester_account_id}));
      if (!already) CS_TRY(add_member(tx, t.org_id, t.requester_account_id, "employee"));
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
    if (accept) {
      CS_ASSIGN(auto already, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND status = 'active'",
                                           {inv.org_id, account_id}));
      if (!already) CS_TRY(add_member(tx, inv.org_id, account_id, "employee"));
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

Result<MemberView> OrgService::transfer_admin(const std::string& account_id, const std::string& org_id,
                                              const std::string& member_id) {
  std::string demoted;  // the former admin (the caller, or the admin a legal representative replaced)
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_admin(tx, account_id, org_id));
    CS_ASSIGN(auto target, tx.query_one("SELECT * FROM memberships WHERE org_id = ? AND id = ? AND status = 'active'",
                                        {org_id, member_id}));
    if (!target) return not_found("member_not_found", "no such member");
    if (target->text("role") != "employee") return failed_precondition("not_an_employee", "choose an employee to become admin");
    CS_ASSIGN(auto mine, admin_membership_to_hand_over(tx, account_id, org_id));
    demoted = mine->text("account_id");
    std::string now = format_rfc3339(clock_.now());
    // Roles change; identities follow their membership's role.
    CS_TRY(tx.exec("UPDATE memberships SET role = 'employee' WHERE id = ?", {mine->text("id")}));
    CS_TRY(tx.exec("UPDATE identities SET kind = 'employee' WHERE id = ?", {mine->text("identity_id")}));
    CS_TRY(tx.exec("UPDATE memberships SET role = 'admin' WHERE id = ?", {member_id}));
    CS_TRY(tx.exec("UPDATE identities SET kind = 'admin' WHERE id = ?", {target->text("identity_id")}));
    log_.info("organisation admin transferred", {{"org_id", org_id}, {"from", account_id},
                                                  {"to", target->text("account_id")}, {"at", now}});
    return {};
  }));
  sync_holder(demoted);  // the former admin, now an employee
  // The caller is no longer admin, so the new admin's record is read without the admin check.
  return db_.read_value<MemberView>([&](store::Tx& tx) -> Result<MemberView> {
    CS_ASSIGN(auto r, tx.query_one(std::string(kMemberSelect) + "WHERE m.id = ?", {member_id}));
    return member_from_row(*r);
  });
}

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
    return {};
  }));
  sync_holder(account_id);
  return {};
}

}  // namespace certseal::service
