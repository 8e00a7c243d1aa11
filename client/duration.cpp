#include "client/duration.h"

#include <cstdint>

namespace certseal::client {
namespace {
Error usage(std::string msg) { return invalid_argument("usage", std::move(msg)); }
}  // namespace

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  if (text.empty()) return usage("empty duration");
  std::int64_t mult = 1;
  std::string_view digits = text;
  switch (text.back()) {
    case 's': digits.remove_suffix(1); break;
    case 'm': mult = 60; digits.remove_suffix(1); break;
    case 'h': mult = 3600; digits.remove_suffix(1); break;
    default: break;
  }
  if (digits.empty() || digits.size() > 9) return usage("bad duration '" + std::string(text) + "'");
  std::int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return usage("bad duration '" + std::string(text) + "' (use e.g. 30s, 5m, 1h)");
    n = n * 10 + (c - '0');
  }
  if (n <= 0) return usage("duration must be positive: '" + std::string(text) + "'");
  return std::chrono::seconds(n * mult);
}

Result<std::chrono::seconds> parse_pin_cache_ttl(std::string_view text) {
  if (text == "off" || text == "0") return std::chrono::seconds(0);
  CS_ASSIGN(auto d, parse_duration(text));
  for (long allowed : {60L, 300L, 600L, 1800L, 3600L}) {
    if (d.count() == allowed) return d;
  }
  return usage("PIN cache time must be one of 1m, 5m, 10m, 30m, 1h, off (got '" + std::string(text) + "')");
}

std::string format_duration(std::chrono::seconds d) {
  auto s = d.count();
  if (s <= 0) return "off";
  if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
  if (s % 60 == 0) return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

}  // namespace certseal::client
