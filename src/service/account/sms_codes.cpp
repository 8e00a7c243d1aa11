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

// What a scoped code is for, in the text of the SMS ("" for none).
std::string scope_text(const std::string& scope) {
  if (scope.empty()) return "";
  const auto colon = scope.find(':');
  const std::string action = scope.substr(0, colon), object = scope.substr(colon + 1);
  std::string what = action == "order_authorise"       ? "授权订单"
                     : action == "certificate_revoke"  ? "注销证书"
                     : action == "certificate_reissue" ? "补发证书"
                     : action == "device_remove"       ? "移除手机盾设备"
                     : action == "key_recover"         ? "找回证书密码"
                                                       : action;
  return "（" + what + " " + object.substr(0, 12) + "）";
}

std::string render(SmsPurpose p, const std::string& code, int minutes, const std::string& scope) {
  std::string what;
  switch (p) {
    case SmsPurpose::kLogin: what = "登录"; break;
    case SmsPurpose::kResetPassword: what = "重置密码"; break;
    case SmsPurpose::kVerifyPerson: what = "实名认证"; break;
    case SmsPurpose::kAuthorise: what = "业务授权"; break;
    case SmsPurpose::kDeregister: what = "注销账号"; break;
  }
  return "【CertSeal】您正在" + what + scope_text(scope) + "，验证码" + code + "，" + std::to_string(minutes) +
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

Result<std::string> sms_scope(std::string_view action, std::string_view object_id) {
  static constexpr std::string_view kActions[] = {"order_authorise", "certificate_revoke", "certificate_reissue",
                                                  "device_remove", "key_recover"};
  bool known = false;
  for (auto a : kActions) known = known || a == action;
  if (!known) {
    return invalid_argument("invalid_action",
                            "action must be order_authorise, certificate_revoke, certificate_reissue, device_remove "
                            "or key_recover")
        .with_field("action", "invalid_action", "unknown action");
  }
  if (object_id.empty() || object_id.size() > 100) {
    return invalid_argument("invalid_object_id", "object_id: 1 to 100 bytes")
        .with_field("object_id", "invalid", "the id of what the code authorises");
  }
  return std::string(action) + ":" + std::string(object_id);
}

Result<SmsCodeIssued> SmsCodeService::issue(std::string_view phone_sv, SmsPurpose purpose, const std::string& scope,
                                            const std::string& client_addr) {
  std::string phone(phone_sv);
  if (!scope.empty() && purpose != SmsPurpose::kAuthorise) {
    return invalid_argument("scope_not_allowed", "only authorise codes are bound to an operation");
  }
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
    if (!client_addr.empty()) {
      // The address's row in sms_throttle is locked first (the upsert), then its codes counted.
      const std::string key = "addr:" + client_addr;
      CS_TRY(tx.exec("INSERT INTO sms_throttle (phone, last_sent_at) VALUES (?, ?) ON CONFLICT (phone) DO UPDATE "
                     "SET last_sent_at = excluded.last_sent_at",
                     {key, now}));
      CS_ASSIGN(auto recent, tx.query_one("SELECT COUNT(*) AS n FROM sms_codes WHERE client_addr = ? AND created_at > ?",
                                          {client_addr, now - 3600}));
      if (recent->integer("n") >= policy_.address_hourly_limit) {
        return too_many("sms_address_limit", "too many codes were requested from this address; try again later");
      }
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
    CS_TRY(tx.exec("INSERT INTO sms_codes (id, phone, purpose, code_hash, created_at, expires_at, scope, client_addr) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   {id, phone, purpose_name(purpose), code_hash(id, code), now, now + policy_.code_ttl_s,
                    scope.empty() ? store::Value() : store::Value(scope),
                    client_addr.empty() ? store::Value() : store::Value(client_addr)}));
    return {};
  }));

  SmsMessage msg{phone, "sms_code_" + std::string(purpose_name(purpose)), {{"code", code}},
                 render(purpose, code, policy_.code_ttl_s / 60, scope)};
  CS_TRY(sender_.send(msg));
  return SmsCodeIssued{policy_.code_ttl_s, policy_.resend_s};
}

Status SmsCodeService::verify(std::string_view phone, SmsPurpose purpose, std::string_view code,
                              std::string_view scope, bool scope_required) {
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
    // A code for another operation (or object) is not even a try at this one.
    const std::string bound = row->text("scope");
    if ((!bound.empty() || scope_required) && bound != scope) {
      verdict = invalid_argument("sms_code_wrong_scope", "this SMS code was sent for another operation");
      return {};
    }
    const bool matches = constant_time_equal(as_bytes(code_hash(id, code)), as_bytes(row->text("code_hash")));
    // One try is charged before the code is compared, in one conditional update that also takes
    // the row lock: concurrent guesses are compared one at a time and at most max_attempts of them
    // are ever compared, on both engines (review L2). The right code, compared within the budget,
    // is then consumed by the same transaction.
    CS_ASSIGN(auto charged, tx.exec("UPDATE sms_codes SET attempts = attempts + 1 WHERE id = ? AND used_at IS NULL "
                                    "AND expires_at >= ? AND attempts < ?",
                                    {id, now, policy_.max_attempts}));
    if (charged == 0) {
      // Why not: read again after the failed update (it waited for any concurrent holder).
      CS_ASSIGN(auto again, tx.query_one("SELECT used_at, expires_at, attempts FROM sms_codes WHERE id = ?", {id}));
      if (!again || !again->is_null("used_at")) {
        verdict = matches ? invalid_argument("sms_code_used", "this SMS code has already been used")
                          : invalid_argument("sms_code_wrong", "the SMS code is wrong");
      } else if (again->integer("expires_at") < now) {
        verdict = invalid_argument("sms_code_expired", "the SMS code has expired; request a new one");
      } else {
        verdict = invalid_argument("sms_code_locked", "too many wrong tries; request a new SMS code");
      }
      return {};
    }
    if (!matches) {
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
