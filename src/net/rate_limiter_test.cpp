#include "net/rate_limiter.h"

#include <gtest/gtest.h>

namespace certseal::net {
namespace {

using namespace std::chrono_literals;

TEST(KeyedRateLimiter, ABurstThenTheRateForOneKeyOnly) {
  KeyedRateLimiter l({.rate_per_s = 2, .burst = 3});
  auto t = std::chrono::steady_clock::time_point{} + 1h;
  EXPECT_TRUE(l.allow("198.51.100.1", t));
  EXPECT_TRUE(l.allow("198.51.100.1", t));
  EXPECT_TRUE(l.allow("198.51.100.1", t));
  EXPECT_FALSE(l.allow("198.51.100.1", t));  // the flooding address is throttled...
  EXPECT_TRUE(l.allow("198.51.100.2", t));   // ...another is not
  EXPECT_EQ(l.retry_after_s("198.51.100.1", t), 1);
  EXPECT_FALSE(l.allow("198.51.100.1", t + 400ms));
  EXPECT_TRUE(l.allow("198.51.100.1", t + 500ms));  // 2 per second
  EXPECT_FALSE(l.allow("198.51.100.1", t + 500ms));
  // Refills up to the burst, never beyond.
  auto later = t + 1h;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(l.allow("198.51.100.1", later));
  EXPECT_FALSE(l.allow("198.51.100.1", later));
}

TEST(KeyedRateLimiter, RateZeroIsOff) {
  KeyedRateLimiter l({.rate_per_s = 0, .burst = 1});
  auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(l.allow("x", t));
}

TEST(KeyedRateLimiter, MemoryIsBoundedByMaxKeys) {
  KeyedRateLimiter l({.rate_per_s = 1, .burst = 1, .max_keys = 100});
  auto t = std::chrono::steady_clock::now();
  for (int i = 0; i < 10'000; ++i) l.allow("k" + std::to_string(i), t);
  // A fresh key is never refused because the table was full.
  EXPECT_TRUE(l.allow("new", t));
}

}  // namespace
}  // namespace certseal::net
