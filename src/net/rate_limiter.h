// Token buckets keyed by a string (a client address, an account id): at most `burst` events at
// once and `rate_per_s` more per second after that.
//
//   KeyedRateLimiter per_ip({.rate_per_s = 5, .burst = 20});
//   if (!per_ip.allow(addr, now)) return 429 with Retry-After: per_ip.retry_after_s(addr, now);
//
// Contract: thread-safe (one mutex). Time is passed in (steady clock), so tests need no sleeps.
// A rate of 0 disables the limiter (allow() is always true). Memory is bounded: at most
// `max_keys` buckets are kept; when the table is full, buckets that have refilled completely are
// dropped first, then the table is cleared (which errs towards allowing, never towards refusing
// an address that was never seen).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace certseal::net {

struct RateLimit {
  double rate_per_s = 0;  // 0: unlimited
  double burst = 1;       // bucket size (events allowed at once); at least 1
  std::size_t max_keys = 100'000;
};

class KeyedRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit KeyedRateLimiter(RateLimit limit) : limit_(limit) {}

  bool enabled() const { return limit_.rate_per_s > 0; }
  // Takes one token from `key`'s bucket; false (and nothing taken) when it is empty.
  bool allow(std::string_view key, TimePoint now);
  // Whole seconds until `key` has a token again (at least 1).
  int retry_after_s(std::string_view key, TimePoint now);

 private:
  struct Bucket {
    double tokens;
    TimePoint at;
  };
  Bucket& refill(std::string_view key, TimePoint now);  // REQUIRES: mu_ held

  RateLimit limit_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace certseal::net
