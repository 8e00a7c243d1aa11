// Clock is injected everywhere time matters, so time-dependent code is testable.
// Contract: implementations are thread-safe. Times are UTC.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace certseal {

using SysTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SysTime now() const = 0;
  std::int64_t now_unix() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
  std::int64_t now_unix_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  SysTime now() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to (tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(SysTime start = SysTime(std::chrono::seconds(1'700'000'000)))
      : ms_(std::chrono::duration_cast<std::chrono::milliseconds>(start.time_since_epoch())
                .count()) {}
  SysTime now() const override { return SysTime(std::chrono::milliseconds(ms_.load())); }
  void advance(std::chrono::milliseconds d) { ms_ += d.count(); }
  void set(SysTime t) {
    ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }

 private:
  std::atomic<std::int64_t> ms_;
};

// Seconds since 1970 as a SysTime, saturating: a nanosecond system_clock ends in April 2262, so
// later times (X.509's 99991231235959Z "no expiry", a forged date in a parsed structure) become
// SysTime::max() and earlier ones SysTime::min(), never an overflow.
SysTime sys_time_from_unix(std::int64_t seconds);

// RFC 3339 UTC with second precision, e.g. "2026-11-21T15:56:50Z".
std::string format_rfc3339(SysTime t);
// RFC 3339 UTC with millisecond precision, e.g. "2026-11-21T15:56:50.123Z".
std::string format_rfc3339_ms(SysTime t);

}  // namespace certseal
