// One-time SMS codes (短信验证码) for login, password reset, real-name verification,
// authorisations and deregistration.
//
// Rules (SmsPolicy, from config): 6 digits; valid code_ttl (5 min); at most one per phone per
// resend interval (60 s) whatever the purpose; at most daily_limit (10) per phone per calendar
// day in China Standard Time; a code dies after max_attempts (5) wrong tries; each code works
// once. Only a hash of the code is stored (SHA-256 over the code's id and the code).
// Codes of purpose authorise may be bound to one operation on one object (a scope such as
// "certificate_reissue:<id>", review L2): the text says what the code is for, and a scoped code
// works for that scope only; a caller may demand a scoped code (scope_required). Codes sent
// without a session (login, reset_password) are limited per client address too
// (address_hourly_limit per rolling hour), so one client cannot text many numbers.
// Contract: thread-safe; safe across processes (the limits hold under concurrent requests on
// both engines: the resend rule is one conditional upsert, the address limit counts under a
// locked row, and each try is charged in one conditional update before the comparison).
#pragma once

#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/rng.h"
#include "service/notify/sms.h"
#include "store/db.h"

namespace certseal::service {

enum class SmsPurpose { kLogin, kResetPassword, kVerifyPerson, kAuthorise, kDeregister };
std::string_view purpose_name(SmsPurpose p);
Result<SmsPurpose> parse_purpose(std::string_view s);

struct SmsPolicy {
  int code_ttl_s = 300;
  int resend_s = 60;
  int daily_limit = 10;
  int max_attempts = 5;
  int address_hourly_limit = 20;
};

// An operation and the object it acts on, for authorise codes: "<action>:<object id>". Actions:
// order_authorise, certificate_revoke, certificate_reissue, device_remove, key_recover.
Result<std::string> sms_scope(std::string_view action, std::string_view object_id);

struct SmsCodeIssued {
  int expires_in = 0;    // seconds
  int resend_after = 0;  // seconds
};

class SmsCodeService {
 public:
  SmsCodeService(store::Database& db, const Clock& clock, Rng& rng, SmsSender& sender,
                 SmsPolicy policy)
      : db_(db), clock_(clock), rng_(rng), sender_(sender), policy_(policy) {}

  // Creates a code and sends it. 429 sms_too_frequent / sms_daily_limit / sms_address_limit
  // when over the limits. scope: from sms_scope() (authorise only), or empty. client_addr: the
  // requester's address when there is no session (empty: not limited per address).
  Result<SmsCodeIssued> issue(std::string_view phone, SmsPurpose purpose, const std::string& scope = "",
                              const std::string& client_addr = "");

  // Consumes the newest code for (phone, purpose) if `code` matches. Errors (all 400 unless
  // noted): sms_code_missing, sms_code_expired, sms_code_used, sms_code_wrong (a wrong try is
  // counted even though the call fails), sms_code_locked (after max_attempts wrong tries).
  // A code issued with a scope is accepted only for that scope (sms_code_wrong_scope, not
  // counted); with scope_required, an unscoped code is refused the same way.
  Status verify(std::string_view phone, SmsPurpose purpose, std::string_view code, std::string_view scope = {},
                bool scope_required = false);

  const SmsPolicy& policy() const { return policy_; }

 private:
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  SmsSender& sender_;
  SmsPolicy policy_;
};

}  // namespace certseal::service
