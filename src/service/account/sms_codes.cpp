#include "service/account/sms_codes.h"

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/hash.h"

namespace certseal::service {
namespace {

constexpr std::int64_t kChinaOffset = 8 * 3600;  // China Standard Time, no daylight saving

std::string code_hash(const std::string& id, std::string_view code) {
  return hex_encode(crypto::sha256(as_bytes(id + ":" + std::string(code))));
}

std::string render(SmsPurpose p, const std::string& code, int minutes) {
  std::string what;
  switch (p) {
    case SmsPurpose::kLogin: what = "登录"; break;
    case SmsPurpose::kResetPassword: what = "重置密码"; break;
    case SmsPurpose::kVerifyPerson: what = "实名认证"; break;
    case SmsPurpose::kAuthorise: what = "业务授权"; break;
    case SmsPurpose::kDeregister: what = "注销账号"; break;
  }
  return "【CertSeal】您正在" + what + "，验证码" + code + "，" + std::to_string(minutes) +
         "分钟内有效。请勿向任何人泄露。";
}

Error too_many(std::string code, std::string msg) {
  return Error(ErrorKind::kResourceExhausted, std::move(code), std::move(msg));
}

}  // namespace

std::string_view purpose_name(SmsPurpose p) {
  switch (p) {
    case SmsPurpose::kLogin: return "login";
    case SmsPurpose::kResetPassword: return "reset_password";
    case SmsPurpose::kVerifyPerson: return "verify_person";
    case SmsPurpose::kAuthorise: return "authorise";
    case SmsPurpose::kDeregister: return "deregister";
  }
  return "login";
}

Result<SmsPurpose> parse_purpose(std::string_view s) {
  for (auto p : {SmsPurpose::kLogin, SmsPurpose::kResetPassword, SmsPurpose::kVerifyPerson,
                 SmsPurpose::kAuthorise, SmsPurpose::kDeregister}) {
    if (purpose_name(p) == s) return p;
  }
  return invalid_argument("invalid_purpose",
                          "purpose must be login, reset_password, verify_person, authorise or "
                          "deregister")
      .with_field("purpose", "invalid_purpose", "unknown purpose");
}

Result<SmsCodeIssued> SmsCodeService::issue(std::string_view phone_sv, SmsPurpose purpose) {
  std::string phone(phone_sv);
  const std::int64_t now = clock_.now_unix();
  const std::int64_t day_start =
      (now + kChinaOffset) / 86400 * 86400 - kChinaOffset;
  std::string code = std::to_string(100000 + rng_.uniform(900000));
  std::string id = new_uuid_v7(clock_, rng_);

  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto today, tx.query_one("SELECT COUNT(*) AS n FROM sms_codes WHERE phone = ? AND created_at >= ?",
                                       {phone, day_start}));
    if (today->integer("n") >= policy_.daily_limit) {
      return too_many("sms_daily_limit",
                      "this phone number has received the most codes allowed today");
    }
    // One conditional upsert decides the resend interval, even under concurrent requests.
    CS_ASSIGN(auto changed,
              tx.exec("INSERT INTO sms_throttle (phone, last_sent_at) VALUES (?, ?) "
                      "ON CONFLICT (phone) DO UPDATE SET last_sent_at = excluded.last_sent_at "
                      "WHERE sms_throttle.last_sent_at <= ?",
                      {phone, now, now - policy_.resend_s}));
    if (changed == 0) {
      return too_many("sms_too_frequent", "a code was sent less than " +
                                              std::to_string(policy_.resend_s) +
                                              " seconds ago; wait before asking again");
    }
    CS_TRY(tx.exec("INSERT INTO sms_codes (id, phone, purpose, code_hash, created_at, expires_at) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {id, phone, purpose_name(purpose), code_hash(id, code), now,
                    now + policy_.code_ttl_s}));
    return {};
  }));

  SmsMessage msg{phone, "sms_code_" + std::string(purpose_name(purpose)), {{"code", code}},
                 render(purpose, code, policy_.code_ttl_s / 60)};
  CS_TRY(sender_.send(msg));
  return SmsCodeIssued{policy_.code_ttl_s, policy_.resend_s};
}

Status SmsCodeService::verify(std::string_view phone, SmsPurpose purpose, std::string_view code) {
  const std::int64_t now = clock_.now_unix();
  // The outcome is decided inside a transaction that must commit even when the code is wrong
  // (the wrong try is counted), so the verdict travels out beside the transaction's status.
  Status verdict;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto row, tx.query_one("SELECT * FROM sms_codes WHERE phone = ? AND purpose = ? "
                                     "ORDER BY created_at DESC, id DESC LIMIT 1",
                                     {std::string(phone), purpose_name(purpose)}));
    if (!row) {
      verdict = invalid_argument("sms_code_missing", "request an SMS code first");
      return {};
    }
    const std::string id = row->text("id");
    const bool matches = constant_time_equal(as_bytes(code_hash(id, code)),
                                             as_bytes(row->text("code_hash")));
    if (!row->is_null("used_at")) {
      verdict = matches ? invalid_argument("sms_code_used", "this SMS code has already been used")
                        : invalid_argument("sms_code_wrong", "the SMS code is wrong");
      return {};
    }
    if (row->integer("expires_at") < now) {
      verdict = invalid_argument("sms_code_expired", "the SMS code has expired; request a new one");
      return {};
    }
    if (row->integer("attempts") >= policy_.max_attempts) {
      verdict = invalid_argument("sms_code_locked",
                                 "too many wrong tries; request a new SMS code");
      return {};
    }
    if (!matches) {
      CS_TRY(tx.exec("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = ?", {id}));
      verdict = invalid_argument("sms_code_wrong", "the SMS code is wrong");
      return {};
    }
    CS_ASSIGN(auto n, tx.exec("UPDATE sms_codes SET used_at = ? WHERE id = ? AND used_at IS NULL",
                              {now, id}));
    if (n != 1) verdict = invalid_argument("sms_code_used", "this SMS code has already been used");
    return {};
  }));
  if (!verdict.ok()) {
    Error e = std::move(verdict).error();
    e.fields.push_back({"code", e.code, e.message});
    return e;
  }
  return {};
}

}  // namespace certseal::service
