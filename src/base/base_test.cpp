#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/encoding.h"
#include "base/id.h"
#include "base/log.h"
#include "base/result.h"
#include "base/locked_rng.h"
#include "base/rng.h"
#include "base/version.h"

namespace certseal {
namespace {

TEST(Version, ParsesAndComparesAsNumbers) {
  EXPECT_EQ(*parse_version("1.10.0"), (Version{1, 10, 0}));
  EXPECT_GT(compare_versions(*parse_version("1.10"), *parse_version("1.9.9")), 0);
  EXPECT_EQ(compare_versions(*parse_version("1.4"), *parse_version("1.4.0")), 0);
  EXPECT_LT(compare_versions(*parse_version("0.1.0"), *parse_version("0.1.1")), 0);
  for (const char* bad : {"", "1.", ".1", "1..2", "v1.2", "1.2-rc1", "1.2.3.4.5", "1234567890", "1 .2"}) {
    EXPECT_EQ(parse_version(bad).error().code, "bad_version") << bad;
  }
}

TEST(Encoding, HexRoundTripAndErrors) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(hex_encode(b), "0001abff");
  EXPECT_EQ(hex_encode(b, true), "0001ABFF");
  EXPECT_EQ(*hex_decode("0001ABff"), b);
  EXPECT_EQ(hex_decode("abc").error().code, "bad_hex");
  EXPECT_EQ(hex_decode("zz").error().code, "bad_hex");
}

TEST(Encoding, Base64Rfc4648Vectors) {
  // RFC 4648 §10 test vectors.
  const char* plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char* enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(base64_encode(as_bytes(plain[i])), enc[i]);
    EXPECT_EQ(to_string(*base64_decode(enc[i])), plain[i]);
  }
  EXPECT_EQ(base64url_encode(Bytes{0xfb, 0xff}), "-_8");
  EXPECT_EQ(*base64_decode("-_8"), (Bytes{0xfb, 0xff}));
  EXPECT_FALSE(base64_decode("Zm9v!").ok());
  EXPECT_FALSE(base64_decode("Zg==Zg").ok());
}

TEST(Encoding, PemRoundTrip) {
  Bytes der(100);
  for (std::size_t i = 0; i < der.size(); ++i) der[i] = static_cast<std::uint8_t>(i);
  std::string pem = pem_encode("CERTIFICATE", der) + "junk\n" + pem_encode("X", Bytes{1});
  auto blocks = pem_decode_all(pem);
  ASSERT_TRUE(blocks.ok());
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].label, "CERTIFICATE");
  EXPECT_EQ((*blocks)[0].der, der);
  EXPECT_FALSE(pem_decode_all("-----BEGIN X-----\nAAAA\n").ok());
}

// Dates past April 2262 do not fit a nanosecond clock: they saturate instead of overflowing (the
// fuzzers found a seal whose year-2826 validity overflowed; UBSan reports the overflow).
TEST(Clock, UnixSecondsBeyondTheClockSaturate) {
  EXPECT_EQ(sys_time_from_unix(1'700'000'000), SysTime(std::chrono::seconds(1'700'000'000)));
  EXPECT_EQ(sys_time_from_unix(253'402'300'799), SysTime::max());  // 9999-12-31T23:59:59Z
  EXPECT_EQ(sys_time_from_unix(-253'402'300'799), SysTime::min());
  EXPECT_EQ(sys_time_from_unix(0), SysTime{});
}

TEST(Bytes, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal(as_bytes("abc"), as_bytes("abc")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abd")));
  EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("ab")));
}

Result<int> parse_positive(int v) {
  if (v <= 0) return invalid_argument("not_positive", "must be positive");
  return v;
}
Result<int> doubled(int v) {
  CS_ASSIGN(int x, parse_positive(v));
  return x * 2;
}

TEST(Result, PropagatesErrors) {
  EXPECT_EQ(*doubled(4), 8);
  auto r = doubled(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not_positive");
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
}

TEST(Id, UuidV7IsTimeOrderedAndWellFormed) {
  ManualClock clock;
  SystemRng rng;
  std::string a = new_uuid_v7(clock, rng);
  clock.advance(std::chrono::milliseconds(1));
  std::string b = new_uuid_v7(clock, rng);
  EXPECT_TRUE(looks_like_uuid(a));
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a, b);
  EXPECT_FALSE(looks_like_uuid("not-a-uuid"));
}

TEST(Id, UuidV7IncreasesWithinOneMillisecond) {
  ManualClock clock(SysTime(std::chrono::milliseconds(1'800'000'000'000)));
  SystemRng rng;
  std::string prev = new_uuid_v7(clock, rng);
  for (int i = 0; i < 1000; ++i) {
    std::string next = new_uuid_v7(clock, rng);
    ASSERT_LT(prev, next);
    ASSERT_TRUE(looks_like_uuid(next));
    prev = next;
  }
}

TEST(Clock, Rfc3339) {
  ManualClock clock(SysTime(std::chrono::milliseconds(1'700'000'000'123)));
  EXPECT_EQ(format_rfc3339(clock.now()), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_rfc3339_ms(clock.now()), "2023-11-14T22:13:20.123Z");
}

TEST(Rng, UniformStaysInRange) {
  SeededRng rng(42);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(rng.uniform(7), 7u);
}

// LockedRng gives the inner generator's bytes, and draws only while nobody else holds the mutex.
TEST(Rng, LockedRngDrawsUnderTheMutexOnly) {
  SeededRng plain(7), inner(7);
  std::mutex mu;
  LockedRng locked(inner, mu);
  EXPECT_EQ(locked.bytes(16), plain.bytes(16));
  std::unique_lock held(mu);
  std::atomic<bool> drawn{false};
  std::thread t([&] {
    locked.bytes(8);
    drawn = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(drawn.load());  // waits for the holder
  held.unlock();
  t.join();
  EXPECT_TRUE(drawn.load());
  plain.bytes(8);  // the thread's draw came from inner
  EXPECT_EQ(inner.bytes(8), plain.bytes(8));
}

TEST(Log, WritesOneJsonObjectPerLine) {
  MemoryLogger log;
  log.info("request", {{"request_id", "r1"}, {"status", 200}});
  auto lines = log.lines();
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["msg"], "request");
  EXPECT_EQ(j["request_id"], "r1");
  EXPECT_EQ(j["level"], "info");
  EXPECT_TRUE(j.contains("ts"));
}

}  // namespace
}  // namespace certseal
