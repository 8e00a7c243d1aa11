#include "service/account/account_service.h"

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "service/account/validation.h"

namespace certseal::service {
namespace {

constexpr std::string_view kTokenPrefix = "cst_";

std::string token_hash(std::string_view token) {
  return hex_encode(crypto::sha256(as_bytes(token)));
}

Error unauthenticated(std::string code, std::string msg) {
  return Error(ErrorKind::kUnauthenticated, std::move(code), std::move(msg));
}

Error wrong_credentials() {
  return unauthenticated("wrong_credentials", "the phone number, SMS code or password is wrong");
}

}  // namespace

// One step that checks and charges the limits (review L1): each scope's bucket row is upserted
// first, which locks it on PostgreSQL (SQLite has one writer), then the failures in the window
// are counted and, under the limit, one more is written as a reservation. Concurrent attempts
// therefore cannot overshoot the limit; a successful login takes its reservation back
// (release_attempt). Scopes are locked in a fixed order (phone, then address): no deadlock.
Result<std::string> AccountService::reserve_attempt(const std::string& phone, const std::string& remote_addr) {
  const std::int64_t now = clock_.now_unix();
  const std::int64_t since = now - policy_.failure_window_s;
  const std::string id = new_uuid_v7(clock_, rng_);
  std::vector<std::pair<std::string, int>> scopes = {{"phone:" + phone, policy_.max_failures_per_phone}};
  if (!remote_addr.empty()) scopes.push_back({"addr:" + remote_addr, policy_.max_failures_per_address});
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    for (const auto& [scope, limit] : scopes) {
      CS_TRY(tx.exec("INSERT INTO auth_buckets (scope_key) VALUES (?) ON CONFLICT (scope_key) DO UPDATE SET "
                     "scope_key = excluded.scope_key",
                     {scope}));
      CS_ASSIGN(auto n, tx.query_one("SELECT COUNT(*) AS n FROM auth_failures WHERE scope_key = ? AND at > ?",
                                     {scope, since}));
      if (n->integer("n") >= limit) {
        return Error(ErrorKind::kResourceExhausted, "too_many_login_failures",
                     scope.starts_with("phone:") ? "too many failed logins for this phone number; try again later"
                                                 : "too many failed logins from this address; try again later");
      }
    }
    for (const auto& sc : scopes) {
      CS_TRY(tx.exec("INSERT INTO auth_failures (scope_key, at, id) VALUES (?, ?, ?)", {sc.first, now, id}));
    }
    // Keep the table small: forget failures older than the window.
    CS_TRY(tx.exec("DELETE FROM auth_failures WHERE at < ?", {since}));
    return {};
  }));
  return id;
}

void AccountService::release_attempt(const std::string& reservation) {
  Status s = db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("DELETE FROM auth_failures WHERE id = ?", {reservation}));
    return {};
  });
  if (!s) log_.warn("could not release a login attempt", {{"cause", s.error().cause}});
}

Result<std::string> AccountService::new_session(store::Tx& tx, const std::string& account_id,
                                                const std::string& identity_id,
                                                const std::string& remote_addr,
                                                std::int64_t* expires_at) {
  std::string token = std::string(kTokenPrefix) + base64url_encode(rng_.bytes(32));
  const std::int64_t now = clock_.now_unix();
  *expires_at = now + policy_.session_ttl_s;
  CS_TRY(tx.exec("INSERT INTO sessions (token_hash, account_id, identity_id, created_at, expires_at, "
                 "remote_addr) VALUES (?, ?, ?, ?, ?, ?)",
                 {token_hash(token), account_id, identity_id, now, *expires_at, remote_addr}));
  return token;
}

Result<AccountView> AccountService::load_account(store::Tx& tx, const std::string& account_id,
                                                 const std::string& current_identity) {
  CS_ASSIGN(auto row, tx.query_one("SELECT * FROM accounts WHERE id = ?", {account_id}));
  if (!row) return not_found("account_not_found", "no such account");
  AccountView v;
  v.id = row->text("id");
  v.phone = row->text("phone");
  v.password_set = !row->is_null("password_hash");
  v.is_operator = row->integer("is_operator") != 0;
  v.status = row->text("status");
  v.created_at = row->text("created_at");
  if (!row->is_null("deregister_due_at")) v.deregister_due_at = row->integer("deregister_due_at");
  v.current_identity_id = current_identity;
  CS_ASSIGN(auto ids, tx.query("SELECT * FROM identities WHERE account_id = ? AND ended_at IS NULL "
                               "ORDER BY created_at, id",
                               {account_id}));
  for (auto& r : ids) {
    v.identities.push_back({r.text("id"), r.text("kind"), r.text("org_id"), r.text("created_at")});
  }
  return v;
}

Result<LoginResult> AccountService::login(const std::string& phone, const std::string& code,
                                          const std::optional<std::string>& password,
                                          const std::string& remote_addr) {
  CS_TRY(validate_phone(phone));
  CS_ASSIGN(const std::string reservation, reserve_attempt(phone, remote_addr));

  // The SMS code first (review L1): without it nothing is said about the password, and a
  // password guess costs a code sent to the owner's phone.
  CS_TRY(sms_.verify(phone, SmsPurpose::kLogin, code));
  CS_ASSIGN(auto existing, db_.read_value<std::optional<store::Row>>([&](store::Tx& tx) {
    return tx.query_one("SELECT * FROM accounts WHERE phone = ?", {phone});
  }));
  if (existing && existing->text("status") == "closed") {
    return Error(ErrorKind::kPermissionDenied, "account_closed", "this account has been closed");
  }
  if (existing && !existing->is_null("password_hash")) {
    if (!password || !crypto::password_verify(existing->text("password_hash"), *password)) {
      return wrong_credentials();
    }
  }
  release_attempt(reservation);

  return db_.write_value<LoginResult>([&](store::Tx& tx) -> Result<LoginResult> {
    LoginResult out;
    CS_ASSIGN(auto row, tx.query_one("SELECT * FROM accounts WHERE phone = ?", {phone}));
    std::string account_id, identity_id;
    if (!row) {
      account_id = new_uuid_v7(clock_, rng_);
      identity_id = new_uuid_v7(clock_, rng_);
      std::string now = format_rfc3339(clock_.now());
      CS_TRY(tx.exec("INSERT INTO accounts (id, phone, status, created_at) VALUES (?, ?, 'active', ?)",
                     {account_id, phone, now}));
      CS_TRY(tx.exec("INSERT INTO identities (id, account_id, kind, created_at) VALUES (?, ?, 'person', ?)",
                     {identity_id, account_id, now}));
      out.created = true;
    } else {
      account_id = row->text("id");
      CS_ASSIGN(auto first, tx.query_one("SELECT id FROM identities WHERE account_id = ? AND "
                                         "ended_at IS NULL ORDER BY CASE WHEN kind = 'person' THEN 0 ELSE 1 END, "
                                         "created_at, id LIMIT 1",
                                         {account_id}));
      if (first) identity_id = first->text("id");
    }
    CS_ASSIGN(out.token, new_session(tx, account_id, identity_id, remote_addr, &out.expires_at));
    CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("account.login").by(account_id).of(account_id).on(account_id)));
    CS_ASSIGN(out.account, load_account(tx, account_id, identity_id));
    out.password_required = !out.account.password_set;
    // Several identities: the session starts as the natural person (the least it may do) and
    // the user chooses one (PUT /api/v1/sessions/current/identity).
    out.identity_choice_required = out.account.identities.size() > 1;
    return out;
  });
}

Result<SessionInfo> AccountService::authenticate(std::string_view token) {
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix || token.size() > 128) {
    return unauthenticated("invalid_session", "the session token is not valid; log in again");
  }
  const std::string hash = token_hash(token);
  const std::int64_t now = clock_.now_unix();
  return db_.read_value<SessionInfo>([&](store::Tx& tx) -> Result<SessionInfo> {
    CS_ASSIGN(auto row, tx.query_one(
                            "SELECT s.account_id, s.identity_id, s.expires_at, s.revoked_at, "
                            "a.password_hash, a.is_operator, a.status FROM sessions s "
                            "JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = ?",
                            {hash}));
    if (!row || !row->is_null("revoked_at") || row->integer("expires_at") <= now ||
        row->text("status") == "closed") {
      return unauthenticated("invalid_session", "the session has ended; log in again");
    }
    SessionInfo s;
    s.session_id = hash;
    s.account_id = row->text("account_id");
    s.identity_id = row->text("identity_id");
    s.password_set = !row->is_null("password_hash");
    s.is_operator = row->integer("is_operator") != 0;
    s.status = row->text("status");
    return s;
  });
}

Status AccountService::logout(const SessionInfo& s) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                   {clock_.now_unix(), s.session_id}));
    return {};
  });
}

Status AccountService::set_password(const SessionInfo& s, const std::string& password,
                                    const std::optional<std::string>& current_password) {
  CS_TRY(validate_password(password));
  CS_ASSIGN(auto stored, db_.read_value<std::optional<store::Row>>([&](store::Tx& tx) {
    return tx.query_one("SELECT password_hash FROM accounts WHERE id = ?", {s.account_id});
  }));
  if (!stored) return not_found("account_not_found", "no such account");
  const bool had = !stored->is_null("password_hash");
  if (had) {
    if (!current_password) {
      return invalid_argument("current_password_required", "enter your current password")
          .with_field("current_password", "required", "enter your current password");
    }
    if (!crypto::password_verify(stored->text("password_hash"), *current_password)) {
      return Error(ErrorKind::kPermissionDenied, "wrong_password", "the current password is wrong")
          .with_field("current_password", "wrong_password", "the current password is wrong");
    }
  }
  CS_ASSIGN(std::string hash, crypto::password_hash(password, policy_.argon2));
  const std::int64_t now = clock_.now_unix();
  std::optional<PendingSecuritySms> note;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    // Compare-and-set on the old hash: a concurrent change wins once, never half.
    CS_ASSIGN(auto n, tx.exec(had ? "UPDATE accounts SET password_hash = ?, password_changed_at = ? "
                                    "WHERE id = ? AND password_hash = ?"
                                  : "UPDATE accounts SET password_hash = ?, password_changed_at = ? "
                                    "WHERE id = ? AND password_hash IS NULL",
                              had ? store::Params{hash, format_rfc3339(clock_.now()), s.account_id,
                                                  stored->text("password_hash")}
                                  : store::Params{hash, format_rfc3339(clock_.now()), s.account_id}));
    if (n != 1) return conflict("password_changed", "the password was changed meanwhile; try again");
    CS_TRY(tx.exec("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND token_hash <> ? "
                   "AND revoked_at IS NULL",
                   {now, s.account_id, s.session_id}));
    if (had) {  // the first password is no change worth an alert
      CS_ASSIGN(note, notices_.record(tx, s.account_id, SecurityEvent::kLoginPasswordChanged, "", s.account_id));
    }
    return {};
  }));
  if (note) notices_.send(*note);
  return {};
}

Status AccountService::reset_password(const std::string& phone, const std::string& code,
                                      const std::string& password, const std::string& remote_addr) {
  CS_TRY(validate_phone(phone));
  CS_TRY(validate_password(password));
  CS_ASSIGN(const std::string reservation, reserve_attempt(phone, remote_addr));
  CS_TRY(sms_.verify(phone, SmsPurpose::kResetPassword, code));
  release_attempt(reservation);
  CS_ASSIGN(std::string hash, crypto::password_hash(password, policy_.argon2));
  PendingSecuritySms note;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto row, tx.query_one("SELECT id, status FROM accounts WHERE phone = ?", {phone}));
    if (!row || row->text("status") == "closed") {
      return not_found("account_not_found", "no account uses this phone number");
    }
    CS_TRY(tx.exec("UPDATE accounts SET password_hash = ?, password_changed_at = ?, password_reset_at = ? WHERE id = ?",
                   {hash, format_rfc3339(clock_.now()), clock_.now_unix(), row->text("id")}));
    CS_TRY(tx.exec("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                   {clock_.now_unix(), row->text("id")}));
    CS_ASSIGN(note, notices_.record(tx, row->text("id"), SecurityEvent::kLoginPasswordReset, "", row->text("id")));
    return {};
  }));
  notices_.send(note);
  return {};
}

Result<AccountView> AccountService::account(const SessionInfo& s) {
  return db_.read_value<AccountView>(
      [&](store::Tx& tx) { return load_account(tx, s.account_id, s.identity_id); });
}

Status AccountService::switch_identity(const SessionInfo& s, const std::string& identity_id) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto row, tx.query_one("SELECT id FROM identities WHERE id = ? AND account_id = ? AND "
                                     "ended_at IS NULL",
                                     {identity_id, s.account_id}));
    if (!row) return not_found("identity_not_found", "you have no such identity");
    CS_TRY(tx.exec("UPDATE sessions SET identity_id = ? WHERE token_hash = ?",
                   {identity_id, s.session_id}));
    return {};
  });
}

Status AccountService::request_deregistration(const SessionInfo& s, const std::string& code) {
  CS_ASSIGN(auto acct, account(s));
  if (acct.status != "active") {
    return Error(ErrorKind::kFailedPrecondition, "deregistration_pending",
                 "the account is already being deregistered");
  }
  CS_ASSIGN(bool is_admin, db_.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
    CS_ASSIGN(auto r, tx.query_one("SELECT id FROM memberships WHERE account_id = ? AND status = 'active' AND "
                                   "role = 'admin' LIMIT 1",
                                   {s.account_id}));
    return r.has_value();
  }));
  if (is_admin) {
    return Error(ErrorKind::kFailedPrecondition, "admin_must_transfer",
                 "you administer an organisation: transfer the admin role before deregistering");
  }
  CS_TRY(sms_.verify(acct.phone, SmsPurpose::kDeregister, code));
  const std::int64_t now = clock_.now_unix();
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto n, tx.exec("UPDATE accounts SET status = 'deregistering', deregister_requested_at = ?, "
                              "deregister_due_at = ? WHERE id = ? AND status = 'active'",
                              {now, now + policy_.deregistration_cooling_s, s.account_id}));
    if (n != 1) {
      return Error(ErrorKind::kFailedPrecondition, "deregistration_pending",
                   "the account is already being deregistered");
    }
    return {};
  });
}

Status AccountService::withdraw_deregistration(const SessionInfo& s) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto n, tx.exec("UPDATE accounts SET status = 'active', deregister_requested_at = NULL, "
                              "deregister_due_at = NULL WHERE id = ? AND status = 'deregistering'",
                              {s.account_id}));
    if (n != 1) {
      return Error(ErrorKind::kFailedPrecondition, "no_deregistration",
                   "the account is not being deregistered");
    }
    return {};
  });
}

Result<int> AccountService::close_due_accounts() {
  const std::int64_t now = clock_.now_unix();
  std::vector<std::string> closed_ids;
  CS_ASSIGN(int count, db_.write_value<int>([&](store::Tx& tx) -> Result<int> {
    closed_ids.clear();
    CS_ASSIGN(auto due, tx.query("SELECT id FROM accounts WHERE status = 'deregistering' AND "
                                 "deregister_due_at <= ?",
                                 {now}));
    int closed = 0;
    for (auto& r : due) {
      std::string id = r.text("id");
      CS_ASSIGN(auto n, tx.exec("UPDATE accounts SET status = 'closed', closed_at = ? WHERE id = ? "
                                "AND status = 'deregistering'",
                                {format_rfc3339(clock_.now()), id}));
      if (n != 1) continue;
      CS_TRY(tx.exec("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                     {now, id}));
      CS_TRY(tx.exec("UPDATE identities SET ended_at = ? WHERE account_id = ? AND ended_at IS NULL",
                     {format_rfc3339(clock_.now()), id}));
      CS_TRY(tx.exec("UPDATE memberships SET status = 'closed', ended_at = ? WHERE account_id = ? AND "
                     "status = 'active'",
                     {format_rfc3339(clock_.now()), id}));
      closed_ids.push_back(id);
      ++closed;
    }
    if (closed > 0) log_.info("accounts closed after deregistration", {{"count", closed}});
    return closed;
  }));
  // A closed account holds no certificate (review L7). Failures are made up for by the sweep.
  for (const auto& id : closed_ids) {
    if (!holders_) break;
    if (Status s = holders_->sync(id); !s) {
      log_.warn("certificates of a closed account not yet revoked", {{"account_id", id}, {"code", s.error().code}});
    }
  }
  return count;
}

Result<AccountView> AccountService::ensure_account(const std::string& phone,
                                                   const std::string& password, bool is_operator,
                                                   bool overwrite_password) {
  CS_TRY(validate_phone(phone));
  CS_TRY(validate_password(password));
  // Hashing costs tens of milliseconds (seconds under load): only when the hash will be stored.
  bool exists = false;
  if (!overwrite_password) {
    CS_ASSIGN(exists, db_.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
      CS_ASSIGN(auto row, tx.query_one("SELECT id FROM accounts WHERE phone = ?", {phone}));
      return row.has_value();
    }));
  }
  std::string hash;
  if (!exists) {
    CS_ASSIGN(hash, crypto::password_hash(password, policy_.argon2));
  }
  return db_.write_value<AccountView>([&](store::Tx& tx) -> Result<AccountView> {
    CS_ASSIGN(auto row, tx.query_one("SELECT id FROM accounts WHERE phone = ?", {phone}));
    std::string id;
    std::string now = format_rfc3339(clock_.now());
    if (!row && hash.empty()) return unavailable("account_changed", "the account changed meanwhile; try again");
    if (row) {
      id = row->text("id");
      if (is_operator) CS_TRY(tx.exec("UPDATE accounts SET is_operator = 1 WHERE id = ?", {id}));
      if (overwrite_password) {
        CS_TRY(tx.exec("UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?",
                       {hash, now, id}));
      }
    } else {
      id = new_uuid_v7(clock_, rng_);
      CS_TRY(tx.exec("INSERT INTO accounts (id, phone, password_hash, is_operator, status, created_at, "
                     "password_changed_at) VALUES (?, ?, ?, ?, 'active', ?, ?)",
                     {id, phone, hash, is_operator ? 1 : 0, now, now}));
      CS_TRY(tx.exec("INSERT INTO identities (id, account_id, kind, created_at) VALUES (?, ?, 'person', ?)",
                     {new_uuid_v7(clock_, rng_), id, now}));
    }
    return load_account(tx, id, "");
  });
}

}  // namespace certseal::service
