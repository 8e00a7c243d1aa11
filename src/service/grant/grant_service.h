// GrantService: organisation grants (单位证书授权, SPEC §4-§5; docs/GRANTS.md). An employee asks to
// use one of the organisation's certificates on one trading platform; the request lands in the
// admins' to-do list (a task of kind certificate_grant); an admin approves it with a window and
// optionally a number of uses, or refuses it with a reason, and may take it back (收回) at any
// time. The employee's own device then joins the certificate's two-party key through the
// authenticated device-adding protocol (a pairing made for the grant, delivered by the holder's
// device); the server share of that device is bound to the grant.
//
// At the moment of use (GrantGate::use, called by the shield inside the step's transaction) one
// UPDATE checks and counts: approved, not taken back, inside the window, uses left, the employee
// an active member, the certificate valid and enabled for the grant's platform; the step's
// purpose names a scene request of that platform claimed by the employee. When the grant has
// ended (taken back, window over, uses spent, member gone, certificate ended) the device's server
// share is deleted in the same transaction, so that device's share is useless at once.
//
//   GrantService grants(db, clock, rng, log);
//   grants.set_ledger(&recorder);
//   shield.set_grant_gate(&grants);
//   auto g = grants.request(employee, org, {"certificate", cert, platform, "投标用"});
//   grants.approve(admin, org, g->id, {now, now + 86400, 2});
//
// Who: request needs an active membership of the organisation; approve, refuse, take back, the
// list of all grants and the records need an active admin (or legal representative) of it; a
// member sees only their own grants; anyone else gets grant_not_found (404) or
// permission_denied (403) for an organisation that exists. Every decision and every use is also
// appended to the transparency log in its transaction (types grant.request, grant.approve,
// grant.refuse, grant.revoke, grant.use).
//
// Contract: thread-safe; state lives in the database. Public methods open their own transaction;
// the GrantGate methods and those taking a store::Tx& run inside the caller's.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/ledger/recorder.h"
#include "service/seal/seal_grant_gate.h"
#include "service/shield/grant_gate.h"
#include "store/db.h"

namespace certseal::service {

struct GrantView {
  std::string id, kind, org_id, org_name, certificate_id, seal_id, key_id, platform_id, platform_name;
  std::string account_id, member_phone, member_name, task_id, statement, status;
  std::string decided_by, decided_at, reason, revoked_by, revoked_at, created_at;
  std::int64_t not_before = 0, not_after = 0;  // unix seconds; 0 until approved
  std::int64_t asked_from = 0, asked_until = 0;  // the window the employee asked for (0: none)
  std::optional<std::int64_t> uses_total, uses_left;  // none: no limit on the count
  std::int64_t uses_made = 0;
  bool live = false;  // approved, in its window now, uses left
};

struct GrantUseView {
  std::string id, grant_id, org_id, certificate_id, seal_id, account_id, member_phone, member_name, device_id,
      platform_id, scene, scene_request_id, operation, purpose, digest, document_hash, result, at;
};

// Filters of the records (every field optional: empty or 0 matches all). Times are unix seconds,
// from inclusive, to exclusive, on when the grant was asked for / when the use happened.
struct RecordFilter {
  std::string certificate_id, seal_id, member_account_id, platform_id, status;
  std::int64_t from = 0, to = 0;
};

struct GrantRequest {
  std::string kind = "certificate";  // or "seal"
  std::string certificate_id, platform_id, statement;
  std::string seal_id;                           // kind seal: the organisation seal
  std::int64_t asked_from = 0, asked_until = 0;  // the window asked for (required for seals)
};

struct GrantApproval {
  std::int64_t not_before = 0, not_after = 0;  // unix seconds; not_after > not_before, not in the past
  std::optional<std::int64_t> uses;            // 1 .. 1,000,000; none: any number inside the window
};

// An organisation certificate an employee may ask for on a platform.
struct GrantableCertificate {
  std::string certificate_id, subject, serial, not_after;
};

struct AdminContact {
  std::string name, phone, role;
};

// An organisation seal a member may ask to use (单位印章授权).
struct GrantableSeal {
  std::string seal_id, name, kind, certificate_id;
};

// A certificate the employee may answer a scene with through a live grant.
struct GrantedCertificate {
  std::string grant_id, certificate_id, key_id, org_id, serial, subject, platform_id;
  Bytes der;
};

// An organisation seal an employee holds a seal grant of (approved once; live says whether it is
// usable now), with the account holding the seal.
struct GrantedSeal {
  std::string grant_id, seal_id, holder_account_id;
  bool live = false;  // approved, inside its window now, uses left, still an active member
};

class GrantService final : public GrantGate, public SealGrantGate {
 public:
  GrantService(store::Database& db, const Clock& clock, Rng& rng, Logger& log)
      : db_(db), clock_(clock), rng_(rng), log_(log) {}

  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }

  // ---- asking (grant_requests.cpp) ----
  // The employee asks. Certificates: for one platform. Seals (单位印章授权): one of the
  // organisation's active seals, with the window asked for (the admin may only shorten it).
  // Errors: not_an_active_member (403), certificate_not_found / seal_not_found (404: not the
  // organisation's current certificate or active seal), certificate_not_enabled_for_platform (409),
  // grant_pending (409: an open request for the same thing), invalid_field.
  Result<GrantView> request(const std::string& account_id, const std::string& org_id, const GrantRequest& in);
  // The organisation's current, valid certificates enabled for platform_id (for members).
  Result<std::vector<GrantableCertificate>> grantable(const std::string& account_id, const std::string& org_id,
                                                      const std::string& platform_id);
  // The organisation's active seals whose certificate is current and valid: what a member may ask
  // to use (for members; no pictures). Errors: not_an_active_member (403). Own read transaction.
  Result<std::vector<GrantableSeal>> grantable_seals(const std::string& account_id, const std::string& org_id);
  // 联系管理员: the admins' names and phones (for members).
  Result<std::vector<AdminContact>> admin_contacts(const std::string& account_id, const std::string& org_id);
  // Grant records (who asked, who decided, when, window, uses, taken back). Admins: every grant
  // of the organisation; members: their own (a member filter naming someone else gives nothing).
  // Errors: not_an_active_member (403), org_not_found (404).
  Result<std::vector<GrantView>> list(const std::string& account_id, const std::string& org_id,
                                      const RecordFilter& filter);
  // Usage records (grant_records.cpp): each use and refused attempt under the organisation's
  // grants — member, time, platform, scene, document hash, result — newest first, at most 5000.
  // Admins see all, members their own. Errors as list's.
  Result<std::vector<GrantUseView>> uses(const std::string& account_id, const std::string& org_id,
                                         const RecordFilter& filter);
  Result<GrantView> get(const std::string& account_id, const std::string& org_id, const std::string& grant_id);
  // The caller's own grants in every organisation.
  Result<std::vector<GrantView>> mine(const std::string& account_id);

  // ---- deciding (grant_decisions.cpp); admins only ----
  // Errors: grant_not_found, grant_closed (409: decided already), invalid_field (window, uses;
  // outside_request: a seal grant's window must lie inside the one asked for).
  Result<GrantView> approve(const std::string& admin_id, const std::string& org_id, const std::string& grant_id,
                            const GrantApproval& a);
  // Errors: grant_not_found, grant_closed, reason_required.
  Result<GrantView> refuse(const std::string& admin_id, const std::string& org_id, const std::string& grant_id,
                           const std::string& reason);
  // 收回: ends an approved grant now and deletes the server shares of its devices in the same
  // transaction. Errors: grant_not_found, grant_closed (not approved).
  Result<GrantView> revoke(const std::string& admin_id, const std::string& org_id, const std::string& grant_id,
                           const std::string& reason);

  // ---- using seals (grant_seal_use.cpp) ----
  Result<std::optional<std::string>> seal_holder(store::Tx& tx, const std::string& account_id,
                                                 const std::string& seal_id) override;
  Status use_seal(store::Tx& tx, const std::string& account_id, const std::string& seal_id,
                  const std::string& purpose) override;
  // The organisation seals account_id holds seal grants of (approved, or approved and taken
  // back), newest grant per seal; nothing is counted. Scene 13 offers the live ones and checks
  // again before preparing; the count is use_seal's, at the signature.
  Result<std::vector<GrantedSeal>> granted_seals(store::Tx& tx, const std::string& account_id);

  // ---- using (grant_use.cpp) ----
  Status use(store::Tx& tx, const GrantedStep& step) override;
  Result<GrantPairingTarget> pairing_target(store::Tx& tx, const std::string& grant_id) override;
  // Deletes the server shares of every device whose grant is no longer live (account_id empty:
  // all accounts). The scheduled jobs and membership changes call it.
  Status drop_dead_shares(store::Tx& tx, const std::string& account_id) override;
  // The certificates account_id may answer a scene of platform_id with through live grants.
  Result<std::vector<GrantedCertificate>> granted_certificates(store::Tx& tx, const std::string& account_id,
                                                               const std::string& platform_id);
  // The counted use this scene request spent (sign or decrypt) by account_id with certificate_id,
  // for completing the scene; grant_use_missing (403) when there is none.
  Result<GrantedCertificate> scene_use(store::Tx& tx, const std::string& account_id, const std::string& scene_request_id,
                                       const std::string& certificate_id);
  // Records the completed scene's document hash and result on its use.
  Status finish_scene_use(store::Tx& tx, const std::string& scene_request_id, const std::string& document_hash,
                          const std::string& result);

 private:
  std::string new_id();

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
  ledger::Recorder* ledger_ = nullptr;
};

}  // namespace certseal::service
