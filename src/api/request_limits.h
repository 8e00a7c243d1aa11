// Per-client and per-account limits that handlers apply to expensive public endpoints
// (security review M7, L9): OCSP and time-stamp requests per client address (each answer costs a
// CA-key signature), application-form e-mails per account, and PC pairings per client address (a
// public endpoint that stores a pending link each time). Budgets live in process memory:
// with several nodes each node grants its own.
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

  RequestLimits(int ocsp_per_minute, int tsa_per_minute, int form_email_per_day, int pc_pairings_per_hour)
      : ocsp(per_minute(ocsp_per_minute)),
        tsa(per_minute(tsa_per_minute)),
        form_email(per_day(form_email_per_day)),
        pc_pairing(per_hour(pc_pairings_per_hour)) {}

  net::KeyedRateLimiter ocsp;        // key: client address
  net::KeyedRateLimiter tsa;         // key: client address
  net::KeyedRateLimiter form_email;  // key: account id
  net::KeyedRateLimiter pc_pairing;  // key: client address (each start stores a pending link)
};

// kResourceExhausted (429 rate_limited) when `key` has used its budget in `limiter`.
inline Status check_rate(net::KeyedRateLimiter& limiter, std::string_view key, std::string_view what) {
  if (limiter.allow(key, std::chrono::steady_clock::now())) return {};
  return Error(ErrorKind::kResourceExhausted, "rate_limited",
               "too many " + std::string(what) + " requests; try again later");
}

}  // namespace certseal::api
