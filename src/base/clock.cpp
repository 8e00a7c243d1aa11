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

std::string format_rfc3339(SysTime t) { return format(t, false); }
std::string format_rfc3339_ms(SysTime t) { return format(t, true); }

}  // namespace certseal
