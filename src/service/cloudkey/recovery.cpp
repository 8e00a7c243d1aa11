// CloudKeyService: a staff member recovers the certificate password of their staff key with a
// picture captcha and an SMS code (cloudkey_service.h; docs/CLOUDKEY.md "Recovering the password").
// The captcha stands before the SMS: a script that cannot read the picture sends no SMS to the
// staff member's phone; the SMS code proves the phone; the new password re-masks the device's
// share through the shield's recovery keys (ShieldService::reset_own_device).
#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"
#include "seal/captcha_picture.h"
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;
namespace {

constexpr int kCaptchaDigits = 5;

std::string answer_hash(const std::string& id, const std::string& answer) {
  return hex_encode(crypto::sha256(as_bytes(id + ":" + answer)));
}

// The SMS code of step 1 is bound to this scope; /api/v1/sms-codes cannot issue it (sms_scope
// knows no such action), so the captcha cannot be skipped.
std::string recovery_scope(const std::string& key_id) { return "cloudkey_recover:" + key_id; }

}  // namespace

Result<CaptchaChallenge> CloudKeyService::new_captcha(const std::string& account_id, const std::string& address) {
  if (address.size() > 100) return field_error("address", "at most 100 bytes");
  std::string digits;
  Bytes seed;
  CaptchaChallenge c;
  {
    std::lock_guard lock(rng_mu_);
    const Bytes r = rng_.bytes(kCaptchaDigits);
    for (auto b : r) digits += static_cast<char>('0' + b % 10);
    seed = rng_.bytes(32);
    c.id = new_uuid_v7(clock_, rng_);
  }
  CS_ASSIGN(c.png, seal::render_captcha(digits, seed));
  const std::int64_t now = clock_.now_unix();
  c.expires_at = now + opts_.captcha_ttl_s;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    // Old challenges go; the budget counts the last hour's from this address.
    CS_TRY(tx.exec("DELETE FROM cloudkey_captchas WHERE created_at < ?", {now - 86400}));
    CS_ASSIGN(auto n, tx.query_one("SELECT COUNT(*) AS n FROM cloudkey_captchas WHERE address = ? AND created_at > ?",
                                   {address, now - 3600}));
    if (n && n->integer("n") >= opts_.captcha_per_hour) {
      return Error(ErrorKind::kResourceExhausted, "captcha_budget_spent",
                   "too many picture captchas from this address; try again later");
    }
    CS_TRY(tx.exec("INSERT INTO cloudkey_captchas (id, account_id, address, answer_hash, created_at, expires_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {c.id, account_id, address, answer_hash(c.id, digits), now, c.expires_at}));
    return {};
  }));
  return c;
}

Status CloudKeyService::recovery_code(const std::string& account_id, const std::string& key_id,
                                      const std::string& captcha_id, const std::string& answer) {
  if (captcha_id.empty() || captcha_id.size() > 64) return field_error("captcha_id", "the captcha's id");
  if (answer.empty() || answer.size() > 16) return field_error("captcha_answer", "the digits in the picture");
  std::optional<Error> refusal;
  std::string phone;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(require_holder(tx, account_id, key_id));
    CS_ASSIGN(auto c, tx.query_one("SELECT * FROM cloudkey_captchas WHERE id = ? AND account_id = ?",
                                   {captcha_id, account_id}));
    if (!c) return not_found("captcha_not_found", "no such picture captcha: ask for a new one");
    // One answer per captcha, right or wrong: the first answer spends it.
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_captchas SET used_at = ? WHERE id = ? AND used_at IS NULL",
                              {clock_.now_unix(), captcha_id}));
    if (n == 0) {
      refusal = conflict("captcha_used", "this picture captcha was answered already: ask for a new one");
    } else if (c->integer("expires_at") < clock_.now_unix()) {
      refusal = conflict("captcha_expired", "this picture captcha has expired: ask for a new one");
    } else if (c->text("answer_hash") != answer_hash(captcha_id, answer)) {
      refusal = permission_denied("captcha_wrong", "the digits do not match the picture: ask for a new one");
    }
    CS_ASSIGN(phone, phone_of(tx, account_id));
    return {};
  }));
  if (refusal) return *refusal;
  CS_TRY(sms_codes_.issue(phone, SmsPurpose::kAuthorise, recovery_scope(key_id)));
  return {};
}

Result<RecoveryResult> CloudKeyService::recover_password(const std::string& account_id, const std::string& key_id,
                                                         const std::string& device_id, const std::string& code,
                                                         BytesView auth_key, BytesView salt) {
  if (code.empty() || code.size() > 16) return field_error("code", "the SMS code");
  CS_ASSIGN(auto phone, db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_TRY(require_holder(tx, account_id, key_id));
    return phone_of(tx, account_id);
  }));
  CS_TRY(sms_codes_.verify(phone, SmsPurpose::kAuthorise, code, recovery_scope(key_id), true));
  // The shield records it (shield.recover, with these factors) in its own transaction.
  return shield_.reset_own_device(account_id, key_id, device_id, auth_key, salt,
                                  "cloud key: picture captcha and SMS code");
}

}  // namespace certseal::service
