// Durations on the command line: "30s", "5m", "1h", "90" (seconds) and the PIN-cache choices of
// SPEC §7 (1m, 5m, 10m, 30m, 1h or off).
// Contract: pure functions; errors carry code "usage" (the CLI exits with 2).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/result.h"

namespace certseal::client {

// A positive number followed by s, m or h (no unit: seconds). "bad_duration" style errors as usage.
Result<std::chrono::seconds> parse_duration(std::string_view text);
// One of 1m, 5m, 10m, 30m, 1h (also written 60s, 60m, ...) or "off" (returned as 0 s).
Result<std::chrono::seconds> parse_pin_cache_ttl(std::string_view text);
// The inverse for display: 0 → "off", 3600 → "1h", 300 → "5m", 45 → "45s".
std::string format_duration(std::chrono::seconds d);

}  // namespace certseal::client
