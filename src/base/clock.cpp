#include "base/clock.h"

#include <ctime>

namespace certseal {
namespace {
std::string format(SysTime t, bool with_ms) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  if (ms < 0 && ms % 1000 != 0) --secs;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (with_ms) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(((ms % 1000) + 1000) % 1000));
    out += frac;
  }
  out += 'Z';
  return out;
}
}  // namespace

SysTime sys_time_from_unix(std::int64_t seconds) {
  using namespace std::chrono;
  constexpr auto kMax = duration_cast<std::chrono::seconds>(SysTime::max().time_since_epoch()).count();
  constexpr auto kMin = duration_cast<std::chrono::seconds>(SysTime::min().time_since_epoch()).count();
  if (seconds >= kMax) return SysTime::max();
  if (seconds <= kMin) return SysTime::min();
  return SysTime(std::chrono::seconds(seconds));
}

std::string format_rfc3339(SysTime t) { return format(t, false); }
std::string format_rfc3339_ms(SysTime t) { return format(t, true); }

}  // namespace certseal
