// ShieldService: recovery of a key after a lost device or password, and usage records (shield_service.h).
#include "service/shield/shield_service.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/cipher.h"
#include "crypto/cosign.h"
#include "crypto/hash.h"
#include "crypto/pairing.h"
#include "crypto/password.h"
#include "crypto/pkey.h"
#include "crypto/unlock.h"
#include "pki/crl.h"
#include "service/shield/shield_internal.h"

namespace certseal::service {
namespace cosign = crypto::cosign;
using namespace shield_internal;

Result<Bytes> ShieldService::recovery_key_of(store::Tx& tx, const std::string& key_id, const std::string& device_id) {
  CS_ASSIGN(auto d, tx.query_one("SELECT recovery_key_enc FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                 {key_id, device_id}));
  if (d && !d->is_null("recovery_key_enc")) {
    CS_ASSIGN(auto rk, unseal(d->blob("recovery_key_enc"), aad(key_id, device_id, "recovery")));
    return Bytes(rk.begin(), rk.end());
  }
  // A key made before recovery keys were per device: the key's one.
  CS_ASSIGN(auto k, tx.query_one("SELECT recovery_key_enc FROM shield_keys WHERE id = ?", {key_id}));
  if (!k) return key_not_found();
  CS_ASSIGN(auto rk, unseal(k->blob("recovery_key_enc"), aad(key_id, "", "recovery")));
  if (rk.size() != kRecoveryKeySize) {
    return failed_precondition("no_recovery_key", "this device has no recovery copy of its share");
  }
  return Bytes(rk.begin(), rk.end());
}

Result<Bytes> ShieldService::rotate_recovery_key(store::Tx& tx, const std::string& key_id,
                                                 const std::string& device_id) {
  Bytes next = random(kRecoveryKeySize);
  CS_ASSIGN(auto sealed, seal(next, aad(key_id, device_id, "recovery")));
  CS_TRY(tx.exec("UPDATE shield_devices SET recovery_key_enc = ? WHERE key_id = ? AND device_id = ?",
                 {sealed, key_id, device_id}));
  return next;
}

Result<RecoveryResult> ShieldService::recover(const std::string& account_id, const std::string& key_id,
                                              const RecoveryRequest& r) {
  if (r.auth_key.size() != kAuthKeySize) return field_error("auth_key", "32 bytes");
  if (r.salt.size() != kSaltSize) return field_error("salt", "16 bytes");
  if (r.login_password.empty() || r.login_password.size() > 256) return field_error("password", "the login password");
  const auto media = sniff_media_type(r.face_image);
  if (!media || (*media != "image/jpeg" && *media != "image/png")) {
    return Error(ErrorKind::kUnsupportedMediaType, "unsupported_file_type", "the face image must be a JPEG or PNG")
        .with_field("face_image", "unsupported_file_type", "JPEG or PNG");
  }
  struct Who {
    VerifiedPerson person;
    std::string password_hash;
  };
  CS_ASSIGN(auto who, db_.read_value<Who>([&](store::Tx& tx) -> Result<Who> {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id, status FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    if (k->text("status") != "active" && k->text("status") != "locked") {
      return failed_precondition("key_retired", "this key is no longer in use");
    }
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, r.device_id}));
    if (!d || d->text("status") != "active") return permission_denied("device_not_active", "this device holds no share of the key");
    CS_ASSIGN(auto p, tx.query_one("SELECT name, id_number FROM person_verifications WHERE account_id = ? AND "
                                   "status = 'verified' ORDER BY created_at DESC LIMIT 1",
                                   {account_id}));
    if (!p) return failed_precondition("person_not_verified", "real-name verification is needed first");
    CS_ASSIGN(auto a, tx.query_one("SELECT password_hash FROM accounts WHERE id = ?", {account_id}));
    if (!a) return not_found("account_not_found", "no such account");
    return Who{VerifiedPerson{account_id, p->text("name"), p->text("id_number")},
               a->is_null("password_hash") ? std::string() : a->text("password_hash")};
  }));
  // Three factors, the cheapest to the attacker last: the SMS code (consumed, so each wrong
  // password costs a fresh code), the login password, then a fresh identity check.
  CS_TRY(check_code(account_id, r.code));
  auto refused = [&](Error e) -> Error {
    (void)db_.write([&](store::Tx& tx) -> Status {
      return add_event(tx, key_id, account_id, r.device_id, "recover", "", e.code);
    });
    return e;
  };
  if (who.password_hash.empty() || !crypto::password_verify(who.password_hash, r.login_password)) {
    return refused(permission_denied("wrong_password", "the login password is wrong")
                       .with_field("password", "wrong_password", "the login password is wrong"));
  }
  CS_ASSIGN(auto verdict, identity_.recheck(who.person, r.face_image));
  if (verdict.outcome == VerifierVerdict::Outcome::kRejected) {
    return refused(permission_denied("identity_check_failed", "the identity check did not confirm you: " + verdict.reason));
  }
  if (verdict.outcome == VerifierVerdict::Outcome::kNeedsReview) {
    return refused(failed_precondition("identity_check_needs_review",
                                       "this platform checks identities by hand; ask the operator to unlock the key"));
  }
  CS_ASSIGN(auto sealed, seal(r.auth_key, aad(key_id, r.device_id, "auth")));
  PendingSecuritySms sms;
  CS_ASSIGN(auto out, db_.write_value<RecoveryResult>([&](store::Tx& tx) -> Result<RecoveryResult> {
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, r.device_id}));
    if (!d || d->text("status") != "active") return permission_denied("device_not_active", "this device holds no share of the key");
    RecoveryResult out;
    out.verified_by = verdict.verified_by;
    CS_ASSIGN(out.recovery_key, recovery_key_of(tx, key_id, r.device_id));
    CS_ASSIGN(out.next_recovery_key, rotate_recovery_key(tx, key_id, r.device_id));
    CS_TRY(tx.exec("UPDATE shield_devices SET auth_key_enc = ?, salt = ? WHERE key_id = ? AND device_id = ?",
                   {sealed, r.salt, key_id, r.device_id}));
    CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ? AND device_id = ?", {key_id, r.device_id}));
    CS_TRY(tx.exec("UPDATE shield_keys SET status = 'active', failures = 0, updated_at = ? WHERE id = ?",
                   {format_rfc3339_ms(clock_.now()), key_id}));
    CS_TRY(add_event(tx, key_id, account_id, r.device_id, "recover", "identity checked by " + verdict.verified_by, "ok"));
    CS_ASSIGN(sms, notices_.record(tx, account_id, SecurityEvent::kCertificatePasswordRecovered, "", key_id));
    return out;
  }));
  notices_.send(sms);
  log_.info("certificate password recovered",
            {{"key_id", key_id}, {"device_id", r.device_id}, {"identity_checked_by", out.verified_by}});
  return out;
}

Result<std::vector<ShieldEventView>> ShieldService::events(const std::string& account_id, const std::string& key_id,
                                                           const std::string& after, int limit) {
  return db_.read_value<std::vector<ShieldEventView>>([&](store::Tx& tx) -> Result<std::vector<ShieldEventView>> {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    CS_ASSIGN(auto rows, after.empty()
                             ? tx.query("SELECT * FROM shield_events WHERE key_id = ? ORDER BY id DESC LIMIT ?",
                                        {key_id, limit + 1})
                             : tx.query("SELECT * FROM shield_events WHERE key_id = ? AND id < ? ORDER BY id DESC "
                                        "LIMIT ?",
                                        {key_id, after, limit + 1}));
    std::vector<ShieldEventView> out;
    for (const auto& r : rows) {
      out.push_back({r.text("id"), r.text("device_id"), r.text("operation"), r.text("purpose"), r.text("result"),
                     r.text("at")});
    }
    return out;
  });
}

Result<RecoveryResult> ShieldService::reset_granted_device(const std::string& account_id, const std::string& key_id,
                                                           const std::string& device_id, const std::string& grant_id,
                                                           BytesView auth_key, BytesView salt) {
  if (auth_key.size() != kAuthKeySize) return field_error("auth_key", "32 bytes");
  if (salt.size() != kSaltSize) return field_error("salt", "16 bytes");
  CS_ASSIGN(auto sealed, seal(auth_key, aad(key_id, device_id, "auth")));
  return db_.write_value<RecoveryResult>([&](store::Tx& tx) -> Result<RecoveryResult> {
    CS_ASSIGN(auto k, tx.query_one("SELECT status FROM shield_keys WHERE id = ?", {key_id}));
    if (!k) return key_not_found();
    if (k->text("status") != "active") return failed_precondition("key_retired", "this key is not in use");
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                   "account_id = ? AND grant_id = ?",
                                   {key_id, device_id, account_id, grant_id}));
    if (!d || d->text("status") != "active") {
      return permission_denied("device_not_active", "this device holds no share of the key under that grant");
    }
    RecoveryResult out;
    out.verified_by = "grant " + grant_id;
    CS_ASSIGN(out.recovery_key, recovery_key_of(tx, key_id, device_id));
    CS_ASSIGN(out.next_recovery_key, rotate_recovery_key(tx, key_id, device_id));
    CS_TRY(tx.exec("UPDATE shield_devices SET auth_key_enc = ?, salt = ? WHERE key_id = ? AND device_id = ?",
                   {sealed, Bytes(salt.begin(), salt.end()), key_id, device_id}));
    CS_TRY(add_event(tx, key_id, account_id, device_id, "recover", "reset under grant " + grant_id, "ok"));
    return out;
  });
}

Result<RecoveryResult> ShieldService::reset_own_device(const std::string& account_id, const std::string& key_id,
                                                       const std::string& device_id, BytesView auth_key,
                                                       BytesView salt, const std::string& checked_by) {
  if (auth_key.size() != kAuthKeySize) return field_error("auth_key", "32 bytes");
  if (salt.size() != kSaltSize) return field_error("salt", "16 bytes");
  CS_ASSIGN(auto sealed, seal(auth_key, aad(key_id, device_id, "auth")));
  PendingSecuritySms sms;
  CS_ASSIGN(auto out, db_.write_value<RecoveryResult>([&](store::Tx& tx) -> Result<RecoveryResult> {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id, status FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    if (k->text("status") != "active" && k->text("status") != "locked") {
      return failed_precondition("key_retired", "this key is no longer in use");
    }
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                   "grant_id IS NULL",
                                   {key_id, device_id}));
    if (!d || d->text("status") != "active") return permission_denied("device_not_active", "this device holds no share of the key");
    RecoveryResult out;
    out.verified_by = checked_by;
    CS_ASSIGN(out.recovery_key, recovery_key_of(tx, key_id, device_id));
    CS_ASSIGN(out.next_recovery_key, rotate_recovery_key(tx, key_id, device_id));
    CS_TRY(tx.exec("UPDATE shield_devices SET auth_key_enc = ?, salt = ? WHERE key_id = ? AND device_id = ?",
                   {sealed, Bytes(salt.begin(), salt.end()), key_id, device_id}));
    CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ? AND device_id = ?", {key_id, device_id}));
    CS_TRY(tx.exec("UPDATE shield_keys SET status = 'active', failures = 0, updated_at = ? WHERE id = ?",
                   {format_rfc3339_ms(clock_.now()), key_id}));
    CS_TRY(add_event(tx, key_id, account_id, device_id, "recover", checked_by, "ok"));
    CS_ASSIGN(sms, notices_.record(tx, account_id, SecurityEvent::kCertificatePasswordRecovered, "", key_id));
    return out;
  }));
  notices_.send(sms);
  return out;
}

}  // namespace certseal::service
