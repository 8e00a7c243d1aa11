// Rng is injected wherever randomness is drawn. SystemRng reads the kernel CSPRNG (getrandom);
// it is thread-safe. SeededRng is deterministic (ChaCha-free xorshift) and for tests only: never
// use it for keys.
#pragma once

#include <cstdint>
#include <span>

#include "base/bytes.h"

namespace certseal {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;

  Bytes bytes(std::size_t n) {
    Bytes b(n);
    fill(b);
    return b;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    fill({reinterpret_cast<std::uint8_t*>(&v), sizeof v});
    return v;
  }
  // Uniform in [0, bound) without modulo bias. bound must be > 0.
  std::uint64_t uniform(std::uint64_t bound);
};

class SystemRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override;
};

class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) : s_(seed ? seed : 0x9E3779B97F4A7C15ull) {}
  void fill(std::span<std::uint8_t> out) override;

 private:
  std::uint64_t s_;
};

}  // namespace certseal
