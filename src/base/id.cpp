#include "base/id.h"

#include <array>
#include <mutex>

#include "base/encoding.h"

namespace certseal {

std::string new_uuid_v7(const Clock& clock, Rng& rng) {
  std::array<std::uint8_t, 16> b{};
  rng.fill(b);
  auto ms = static_cast<std::uint64_t>(clock.now_unix_ms());
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0F));
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));
  {
    // Within one millisecond, ids of this process keep increasing (RFC 9562 §6.2: the random
    // part continues from the previous id), so "newest first" lists order same-ms rows right.
    static std::mutex mu;
    static std::array<std::uint8_t, 16> last{};
    static std::uint64_t last_ms = 0;
    std::lock_guard lock(mu);
    if (ms == last_ms && b <= last) {
      b = last;
      for (std::size_t i = 15; i >= 9; --i) {
        if (++b[i] != 0) break;
      }
    }
    last = b;
    last_ms = ms;
  }
  std::string h = hex_encode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

bool looks_like_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace certseal
