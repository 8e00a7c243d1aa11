// OrgService: the small-amount bank transfer check (打款验证), capped per organisation (org_service.h).
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

}  // namespace certseal::service
