// Per-client and per-account limits that handlers apply to expensive public endpoints
// (security review M7, L9): OCSP and time-stamp requests per client address (each answer costs a
// CA-key signature), application-form e-mails per account, PC pairings per client address (a
// public endpoint that stores a pending link each time), and shield enrolments (installation and
// reissue) per account: each costs the server the check of the device's first message, for P-256 two
// zero-knowledge proofs over the device's Paillier modulus. Budgets live in process memory: with
// several nodes each node grants its own.
//
// Contract: thread-safe (the limiters are); owned by app/ and outliving the Dispatcher. A null
// Services::limits means no limits (unit tests that do not exercise them).
#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"
#include "net/rate_limiter.h"

namespace certseal::api {

struct RequestLimits {
  // Per-minute budgets become token buckets of that size refilled evenly over the minute.
  static net::RateLimit per_minute(int n) { return {n / 60.0, static_cast<double>(n > 0 ? n : 1)}; }
  static net::RateLimit per_hour(int n) { return {n / 3600.0, static_cast<double>(n > 0 ? n : 1)}; }
  static net::RateLimit per_day(int n) { return {n / 86400.0, static_cast<double>(n > 0 ? n : 1)}; }

  // The configured budgets (docs/CONFIG.md "Limits"; app/config.h holds the defaults); 0: no limit.
  struct Budgets {
    int ocsp_per_minute;
    int tsa_per_minute;
    int form_email_per_day;
    int pc_pairings_per_hour;
    int shield_enrolments_per_hour;
  };

  explicit RequestLimits(const Budgets& b)
      : ocsp(per_minute(b.ocsp_per_minute)),
        tsa(per_minute(b.tsa_per_minute)),
        form_email(per_day(b.form_email_per_day)),
        pc_pairing(per_hour(b.pc_pairings_per_hour)),
        shield_enrolment(per_hour(b.shield_enrolments_per_hour)) {}

  net::KeyedRateLimiter ocsp;        // key: client address
  net::KeyedRateLimiter tsa;         // key: client address
  net::KeyedRateLimiter form_email;  // key: account id
  net::KeyedRateLimiter pc_pairing;  // key: client address (each start stores a pending link)
  net::KeyedRateLimiter shield_enrolment;  // key: account id (installation and reissue share it)
};

// kResourceExhausted (429 rate_limited) when `key` has used its budget in `limiter`.
inline Status check_rate(net::KeyedRateLimiter& limiter, std::string_view key, std::string_view what) {
  if (limiter.allow(key, std::chrono::steady_clock::now())) return {};
  return Error(ErrorKind::kResourceExhausted, "rate_limited",
               "too many " + std::string(what) + " requests; try again later");
}

}  // namespace certseal::api
