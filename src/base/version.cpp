#include "base/version.h"

namespace certseal {

Result<Version> parse_version(std::string_view text) {
  auto bad = [&] {
    return invalid_argument("bad_version",
                            "a version is 1-4 dotted numbers of at most 9 digits, e.g. 1.4.0");
  };
  Version out;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view part =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || part.size() > 9) return bad();
    std::uint32_t n = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return bad();
      n = n * 10 + static_cast<std::uint32_t>(c - '0');
    }
    out.push_back(n);
    if (out.size() > 4) return bad();
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return out;
}

int compare_versions(const Version& a, const Version& b) {
  const std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace certseal
