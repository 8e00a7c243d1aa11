// LockedRng: an Rng that may not be thread-safe (a SeededRng in tests), shared by threads, each
// fill under a mutex. Unlike a lock held around a whole computation, a long one that draws a
// little (the two-party P-256 enrolment check takes about a second) does not stall the others.
//
// Contract: thread-safe when every user of `inner` goes through `mu`; both outlive this object.
#pragma once

#include <mutex>
#include <span>

#include "base/rng.h"

namespace certseal {

class LockedRng final : public Rng {
 public:
  LockedRng(Rng& inner, std::mutex& mu) : inner_(inner), mu_(mu) {}
  void fill(std::span<std::uint8_t> out) override {
    std::lock_guard lock(mu_);
    inner_.fill(out);
  }

 private:
  Rng& inner_;
  std::mutex& mu_;
};

}  // namespace certseal
