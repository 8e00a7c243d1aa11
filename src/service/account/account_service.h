// Accounts (账号): phone + SMS registration and login, passwords, sessions, identities and
// deregistration with a cooling-off period.
//
// - The first login with a phone number and a valid SMS code creates the account (首次登录即注册)
//   with a natural-person identity; the session it gets is "password pending" until a password
//   is set. Later logins need the SMS code and the password. The code is checked (and spent)
//   first, so nobody without the code learns anything about the password.
// - Passwords and session tokens: passwords are Argon2id hashes; session tokens are 256 random
//   bits shown once to the client and stored as SHA-256 hashes, with an expiry.
// - Setting or changing a password ends every other session of the account; a reset ends all.
//   A change and a reset notify the owner (SecurityNotices).
// - Failed logins are counted per phone and per client address in a sliding window; over the
//   limit, login answers 429 until the window moves on. The limit is checked and charged in one
//   transaction (each attempt reserves a failure that a success takes back), so concurrent
//   attempts cannot overshoot it.
// - Deregistration (注销账号): SMS-confirmed request, cooling-off period, withdrawal during it;
//   close_due_accounts() (a scheduled job, idempotent) closes accounts whose period is over:
//   sessions, identities and memberships end, the account can no longer log in; its records are
//   kept. An organisation admin must transfer the role before asking to deregister.
// Contract: thread-safe; all state is in the database, so several processes may share it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "crypto/password.h"
#include "service/account/sms_codes.h"
#include "service/notify/security_notice.h"
#include "service/ledger/recorder.h"
#include "service/org/certificate_holders.h"
#include "store/db.h"

namespace certseal::service {

struct AccountPolicy {
  int session_ttl_s = 7 * 86400;
  crypto::Argon2Limits argon2;
  int max_failures_per_phone = 10;
  int max_failures_per_address = 50;
  int failure_window_s = 900;
  int deregistration_cooling_s = 15 * 86400;
};

struct IdentityView {
  std::string id;
  std::string kind;  // person | employee | admin | legal_representative
  std::string org_id;
  std::string created_at;
};

struct AccountView {
  std::string id;
  std::string phone;
  bool password_set = false;
  bool is_operator = false;
  std::string status;  // active | deregistering | closed
  std::string created_at;
  std::optional<std::int64_t> deregister_due_at;
  std::string current_identity_id;
  std::vector<IdentityView> identities;
};

// What an authenticated request knows about its caller.
struct SessionInfo {
  std::string session_id;  // the token's hash
  std::string account_id;
  std::string identity_id;
  bool password_set = false;
  bool is_operator = false;
  std::string status;
};

struct LoginResult {
  std::string token;  // shown once
  std::int64_t expires_at = 0;
  bool created = false;            // this login registered the account
  bool password_required = false;  // set a password before anything else
  bool identity_choice_required = false;  // several identities: the session acts as the person until one is chosen
  AccountView account;
};

class AccountService {
 public:
  AccountService(store::Database& db, const Clock& clock, Rng& rng, Logger& log,
                 SmsCodeService& sms, SecurityNotices& notices, AccountPolicy policy)
      : db_(db), clock_(clock), rng_(rng), log_(log), sms_(sms), notices_(notices), policy_(policy) {}

  Result<LoginResult> login(const std::string& phone, const std::string& code,
                            const std::optional<std::string>& password,
                            const std::string& remote_addr);
  Result<SessionInfo> authenticate(std::string_view token);
  Status logout(const SessionInfo& s);

  // First password (no current one needed) or change (current_password required).
  Status set_password(const SessionInfo& s, const std::string& password,
                      const std::optional<std::string>& current_password);
  Status reset_password(const std::string& phone, const std::string& code,
                        const std::string& password, const std::string& remote_addr);

  Result<AccountView> account(const SessionInfo& s);
  Status switch_identity(const SessionInfo& s, const std::string& identity_id);

  Status request_deregistration(const SessionInfo& s, const std::string& code);
  Status withdraw_deregistration(const SessionInfo& s);
  // Closes every account whose cooling-off period is over; returns how many it closed.
  Result<int> close_due_accounts();

  // Wiring (src/app): told after an account closes, so all its certificates are revoked (L7).
  void set_certificate_holders(CertificateHolders* holders) { holders_ = holders; }
  // Logins also go into the transparency log (docs/LEDGER.md), in their transaction.
  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }

  // For `certseald admin create-operator` and demo data: creates the account with this password
  // if the phone has none; an existing account is promoted to operator when asked, and gets
  // the password only when overwrite_password (otherwise no hash is computed for it: demo start-up
  // stays fast). Idempotent.
  Result<AccountView> ensure_account(const std::string& phone, const std::string& password,
                                     bool is_operator, bool overwrite_password);

  const AccountPolicy& policy() const { return policy_; }

 private:
  // Checks the failed-login limits and charges one attempt in the same transaction; returns the
  // reservation's id (a failure until release_attempt takes it back).
  Result<std::string> reserve_attempt(const std::string& phone, const std::string& remote_addr);
  void release_attempt(const std::string& reservation);
  Result<std::string> new_session(store::Tx& tx, const std::string& account_id,
                                  const std::string& identity_id, const std::string& remote_addr,
                                  std::int64_t* expires_at);
  Result<AccountView> load_account(store::Tx& tx, const std::string& account_id,
                                   const std::string& current_identity);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  ledger::Recorder* ledger_ = nullptr;
  Logger& log_;
  SmsCodeService& sms_;
  SecurityNotices& notices_;
  CertificateHolders* holders_ = nullptr;
  AccountPolicy policy_;
};

}  // namespace certseal::service
