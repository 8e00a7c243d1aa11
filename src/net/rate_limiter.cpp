#include "net/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace certseal::net {

KeyedRateLimiter::Bucket& KeyedRateLimiter::refill(std::string_view key, TimePoint now) {
  const double burst = std::max(1.0, limit_.burst);
  auto it = buckets_.find(std::string(key));
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_keys) {
      std::erase_if(buckets_, [&](const auto& kv) {
        double secs = std::chrono::duration<double>(now - kv.second.at).count();
        return kv.second.tokens + secs * limit_.rate_per_s >= burst;
      });
      if (buckets_.size() >= limit_.max_keys) buckets_.clear();
    }
    it = buckets_.emplace(std::string(key), Bucket{burst, now}).first;
    return it->second;
  }
  Bucket& b = it->second;
  if (now > b.at) {
    double secs = std::chrono::duration<double>(now - b.at).count();
    b.tokens = std::min(burst, b.tokens + secs * limit_.rate_per_s);
    b.at = now;
  }
  return b;
}

bool KeyedRateLimiter::allow(std::string_view key, TimePoint now) {
  if (!enabled()) return true;
  std::lock_guard lock(mu_);
  Bucket& b = refill(key, now);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

int KeyedRateLimiter::retry_after_s(std::string_view key, TimePoint now) {
  if (!enabled()) return 1;
  std::lock_guard lock(mu_);
  Bucket& b = refill(key, now);
  double missing = 1.0 - b.tokens;
  if (missing <= 0) return 1;
  return std::max(1, static_cast<int>(std::ceil(missing / limit_.rate_per_s)));
}

}  // namespace certseal::net
