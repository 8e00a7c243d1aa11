// Organisations (单位/机构), SPEC §4: find; create and verify (agreement, authorisation letter
// unless the creator is the legal representative, business licence with OCR pre-fill, legal
// representative, corporate bank account with the small-amount transfer check, operator review);
// join with the admin's name and phone confirmed; to-do tasks for admins; members, invitations,
// removal; admin transfer; changing information; leaving.
//
// Who may do what is decided here, from memberships (never from what the client claims):
// - a draft or rejected organisation belongs to its creator alone;
// - an active membership with role admin or legal_representative makes an organisation admin;
// - anyone else gets permission_denied (403) for an organisation that exists.
// Every change that matters to someone else sends them an SMS through the configured sender.
// Contract: thread-safe; state lives in the database.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/blob/blob_store.h"
#include "service/ledger/recorder.h"
#include "service/org/bank_backend.h"
#include "service/notify/sms.h"
#include "service/org/licence_ocr.h"
#include "service/org/certificate_holders.h"
#include "store/db.h"

namespace certseal::service {

struct LegalRep {
  std::string name, id_number, phone;
};

struct BankAccount {
  std::string bank_name, account, account_name;
};

struct OrgView {
  std::string id, name, credit_code, status, creator_account_id, address, contact_phone, reason,
      created_at, submitted_at, verified_at, licence_blob_id, letter_blob_id, transfer_status;
  bool creator_is_legal_rep = false;
  LegalRep legal_rep;
  BankAccount bank;
  LicenceFields ocr;  // what OCR read from the licence (text omitted)
  std::int64_t transfer_attempts = 0;
};

struct OrgDraftChanges {
  std::optional<std::string> name, credit_code, letter_blob_id, address, contact_phone;
  std::optional<LegalRep> legal_rep;
  std::optional<BankAccount> bank;
};

// A change of a verified organisation's registered data (name, credit code, legal
// representative), which an operator must approve before it applies.
struct OrgChangeView {
  std::string id, org_id, requested_by, status, reason, created_at, decided_at, licence_blob_id;
  std::optional<std::string> name, credit_code;
  std::optional<LegalRep> legal_rep;
};

struct MemberView {
  std::string id, account_id, phone, real_name, role, status, created_at, ended_at;
};

struct TaskView {
  std::string id, org_id, org_name, kind, status, requester_account_id, requester_phone,
      requester_name, statement, reason, decided_by, created_at, decided_at;
};

struct InvitationView {
  std::string id, org_id, org_name, phone, status, created_at;
};

// Limits of the small-amount transfer check (review M4). Each transfer allows 3 guesses of the
// amount; at most max_transfers transfers that did not end confirmed, counted per organisation and
// per bank account over all organisations, and one per transfer_cooldown_s. After that the
// check is "operator_only": the application can be submitted and the operator checks the account.
struct OrgPolicy {
  int max_transfers = 3;
  std::int64_t transfer_cooldown_s = 86400;
};

class OrgService {
 public:
  OrgService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, BlobStore& blobs,
             LicenceReader& ocr, BankBackend& bank, SmsSender& sms, OrgPolicy policy = {})
      : db_(db), clock_(clock), rng_(rng), log_(log), blobs_(blobs), ocr_(ocr), bank_(bank), sms_(sms),
        policy_(policy) {}

  // Wiring (src/app): told after removal, leaving and admin transfer, so the certificates the
  // person may no longer hold are revoked (CertificateHolders). May stay unset in tools.
  void set_certificate_holders(CertificateHolders* holders) { holders_ = holders; }
  // The transparency log (docs/LEDGER.md "Organisations"): creation, submission, review, join
  // requests and their decisions, invitations answered, members added, removed or leaving, and
  // admin transfers each append one entry in the action's transaction. Unset: nothing appended.
  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }

  // Verified organisations whose name contains `name` or whose credit code is `credit_code`.
  Result<std::vector<OrgView>> search(const std::string& name, const std::string& credit_code, int limit);

  // --- create and verify (creator) ---
  Result<OrgView> create(const std::string& account_id, const std::string& name,
                         const std::string& credit_code, bool creator_is_legal_rep,
                         std::int64_t agreement_version, const std::string& remote_addr);
  Result<OrgView> get(const std::string& account_id, const std::string& org_id);
  Result<Bytes> authorisation_letter(const std::string& account_id, const std::string& org_id);
  Result<OrgView> attach_licence(const std::string& account_id, const std::string& org_id,
                                 const std::string& blob_id);
  Result<OrgView> update_draft(const std::string& account_id, const std::string& org_id,
                               const OrgDraftChanges& changes);
  // Errors: bank_account_missing, bank_already_confirmed, bank_check_operator_only (cap reached,
  // see OrgPolicy), bank_transfer_too_soon (429, cool-down). Own transaction.
  Result<OrgView> start_bank_transfer(const std::string& account_id, const std::string& org_id);
  // Errors: no_transfer_pending, wrong_amount, bank_check_failed (the third wrong amount).
  // Each try is charged atomically before the comparison. Own transaction.
  Result<OrgView> confirm_bank_transfer(const std::string& account_id, const std::string& org_id,
                                        std::int64_t amount_fen);
  Result<OrgView> submit(const std::string& account_id, const std::string& org_id);

  // --- operators ---
  Result<std::vector<OrgView>> list(const std::string& status, const std::string& after, int limit);
  Result<OrgView> get_any(const std::string& org_id);
  Result<OrgView> approve(const std::string& operator_id, const std::string& org_id);
  Result<OrgView> reject(const std::string& operator_id, const std::string& org_id, const std::string& reason);
  struct Transfer {
    std::string id, org_id, bank_name, bank_account, account_name, backend, created_at;
    std::int64_t amount_fen = 0;
  };
  Result<std::vector<Transfer>> transfers(const std::string& org_id);

  // --- membership (verified organisations) ---
  Result<TaskView> request_join(const std::string& account_id, const std::string& org_id,
                                const std::string& statement, const std::string& admin_name,
                                const std::string& admin_phone);
  Result<std::vector<TaskView>> tasks(const std::string& account_id, const std::string& status);
  Result<TaskView> decide_task(const std::string& account_id, const std::string& task_id, bool approve,
                               const std::string& reason);
  Result<std::vector<MemberView>> members(const std::string& account_id, const std::string& org_id);
  // The role (admin, legal_representative, employee) of account_id's active membership in a
  // verified organisation; permission_denied when it has none, not_found for no organisation.
  // Other areas (orders) use this to decide what a member may buy for the organisation.
  Result<std::string> member_role(store::Tx& tx, const std::string& account_id, const std::string& org_id);
  Result<MemberView> member(const std::string& account_id, const std::string& org_id,
                            const std::string& member_id);
  Result<InvitationView> invite(const std::string& account_id, const std::string& org_id,
                                const std::string& phone);
  Result<std::vector<InvitationView>> my_invitations(const std::string& account_id);
  Result<InvitationView> answer_invitation(const std::string& account_id, const std::string& invitation_id,
                                           bool accept);
  Status remove_member(const std::string& account_id, const std::string& org_id, const std::string& member_id);
  // --- admin transfer (转让管理员): only through a signed letter (admin_letter_service.h) ---
  // Who a transfer from account_id to member_id would involve, checked as the transfer itself
  // checks: account_id is the admin or the legal representative (who has the admin's powers),
  // member_id an active employee of the verified organisation. Errors: forbidden (403),
  // member_not_found (404), not_an_employee (400), not_found (no such organisation).
  struct AdminTransferPlan {
    std::string org_id, org_name, credit_code;
    std::string signer_role;                              // admin | legal_representative
    std::string former_admin_account_id, former_membership_id;  // the admin membership demoted
    std::string member_id, new_admin_account_id;
  };
  Result<AdminTransferPlan> plan_admin_transfer(store::Tx& tx, const std::string& account_id, const std::string& org_id,
                                                const std::string& member_id);
  // Makes the member the admin in the caller's transaction; the former admin stays as an
  // employee. The plan is checked again (it must still be the same: former_plan_changed, 409,
  // otherwise); the ledger entry org.admin_transfer names the letter. REQUIRES: call
  // admin_transferred(plan) after the commit.
  Status transfer_admin_in(store::Tx& tx, const std::string& account_id, const AdminTransferPlan& plan,
                           const std::string& letter_id);
  // After the commit: the former admin's certificates follow the new role (CertificateHolders)
  // and both people are told by SMS.
  void admin_transferred(const AdminTransferPlan& plan);
  // The new admin's membership as the caller would see it (no admin check: the caller may no
  // longer be admin).
  Result<MemberView> member_record(const std::string& member_id);
  Result<OrgView> update_info(const std::string& account_id, const std::string& org_id,
                              const std::optional<std::string>& address,
                              const std::optional<std::string>& contact_phone);
  // Registered data of a verified organisation changes only through review: an admin asks
  // (one pending request at a time; the new licence upload is required when name or credit code
  // change), an operator approves (the data is applied) or rejects with a reason.
  Result<OrgChangeView> request_change(const std::string& account_id, const std::string& org_id,
                                       const OrgDraftChanges& changes, const std::string& licence_blob_id);
  Result<std::vector<OrgChangeView>> changes(const std::string& account_id, const std::string& org_id);
  Result<std::vector<OrgChangeView>> list_changes(const std::string& status, const std::string& after, int limit);
  Result<OrgChangeView> decide_change(const std::string& operator_id, const std::string& change_id, bool approve,
                                      const std::string& reason);

  // Ends the caller's membership behind `identity_id` (an employee leaving).
  Status leave(const std::string& account_id, const std::string& identity_id);

 private:
  Result<OrgView> load(store::Tx& tx, const std::string& org_id);
  Result<OrgView> load_for_creator(store::Tx& tx, const std::string& account_id, const std::string& org_id,
                                   bool must_be_editable);
  Status require_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id);
  Result<std::optional<store::Row>> admin_membership_to_hand_over(store::Tx& tx, const std::string& account_id,
                                                   const std::string& org_id);
  // actor: who let the member in (the reviewing operator, the deciding admin, or the invitee).
  Result<std::string> add_member(store::Tx& tx, const std::string& org_id, const std::string& account_id,
                                 const std::string& role, const std::string& actor);
  void notify(const std::string& phone, const std::string& template_id, const std::string& text);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  BlobStore& blobs_;
  LicenceReader& ocr_;
  BankBackend& bank_;
  SmsSender& sms_;
  OrgPolicy policy_;
  CertificateHolders* holders_ = nullptr;
  ledger::Recorder* ledger_ = nullptr;
  void sync_holder(const std::string& account_id);
};

}  // namespace certseal::service
