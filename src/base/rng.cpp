#include "base/rng.h"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

namespace certseal {

std::uint64_t Rng::uniform(std::uint64_t bound) {
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % bound);
  for (;;) {
    std::uint64_t v = u64();
    if (v < limit) return v % bound;
  }
}

void SystemRng::fill(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The kernel CSPRNG failing is not recoverable: continuing would hand out weak keys.
      throw std::runtime_error("getrandom failed");
    }
    done += static_cast<std::size_t>(n);
  }
}

void SeededRng::fill(std::span<std::uint8_t> out) {
  for (auto& b : out) {
    s_ ^= s_ << 13;
    s_ ^= s_ >> 7;
    s_ ^= s_ << 17;
    b = static_cast<std::uint8_t>(s_ >> 24);
  }
}

}  // namespace certseal
