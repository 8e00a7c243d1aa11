// Splits one fuzz input into the pieces a target needs (a selector byte, length-prefixed fields,
// the rest), deterministically: the same bytes always give the same pieces, so every input in a
// corpus or under fuzz/regressions/ replays exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace certseal::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  bool empty() const { return size_ == 0; }

  // 0 when the input is used up.
  std::uint8_t byte() { return size_ ? (--size_, *data_++) : 0; }

  // Up to n bytes (fewer at the end of the input).
  BytesView take(std::size_t n) {
    n = n < size_ ? n : size_;
    BytesView out(data_, n);
    data_ += n;
    size_ -= n;
    return out;
  }

  // A field whose length is the next byte (0-255).
  BytesView field() { return take(byte()); }

  BytesView rest() { return take(size_); }
  std::string_view rest_text() {
    BytesView b = rest();
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

// Touches every byte of a view the parser handed back, so a view that points outside the input
// is reported by AddressSanitizer at once (a parser's own bounds bug, not the caller's).
inline std::uint8_t touch(BytesView v) {
  std::uint8_t x = 0;
  for (std::uint8_t b : v) x ^= b;
  return x;
}

}  // namespace certseal::fuzz
