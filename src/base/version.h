// Release versions of the clients (docs/CLI.md "about, update check"): dotted numbers, 1 to 4
// parts of at most 9 digits each ("1.4", "0.1.0", "2.0.10.3"), compared part by part as numbers
// (a missing part is 0: "1.4" == "1.4.0"). Used by the server to keep published releases
// increasing and by the client to tell whether the server's latest is newer than itself.
//
//   auto v = parse_version("1.10.0");          // {1, 10, 0}
//   compare_versions(*v, *parse_version("1.9")) > 0
//
// Contract: pure functions, thread-safe. Errors: bad_version (kInvalidArgument).
#pragma once

#include <cstdint>
#include <string_view>
#include <algorithm>
#include <vector>

#include "base/result.h"

namespace certseal {

using Version = std::vector<std::uint32_t>;

Result<Version> parse_version(std::string_view text);
// < 0, 0, > 0 as a is older than, the same as, newer than b.
int compare_versions(const Version& a, const Version& b);

}  // namespace certseal
