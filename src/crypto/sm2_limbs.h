// 256-bit numbers as four 64-bit limbs (little-endian limb order) and the Montgomery
// multiplication shared by the SM2 field (mod p, sm2_field.h) and the scalars (mod n,
// sm2_scalar.h). Internal to the SM2 engine.
//
// Constant time: every function here runs the same instructions and touches the same memory
// whatever the values are (no branches or indices on limb values). The optimiser is kept from
// turning masks back into branches with value_barrier.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace certseal::crypto::sm2 {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

// Hides a value from the optimiser so mask arithmetic stays branch-free.
inline u64 value_barrier(u64 x) {
#if defined(__GNUC__)
  __asm__("" : "+r"(x));
#endif
  return x;
}

// All ones when x == 0, else 0.
inline u64 mask_is_zero(u64 x) { return value_barrier(((x | (0 - x)) >> 63) - 1); }
// All ones when a == b, else 0.
inline u64 mask_eq(u64 a, u64 b) { return mask_is_zero(a ^ b); }
// All ones when bit is 1 (bit must be 0 or 1).
inline u64 mask_from_bit(u64 bit) { return value_barrier(0 - bit); }

constexpr u64 hex_nibble(char c) {
  return c >= '0' && c <= '9' ? static_cast<u64>(c - '0')
         : c >= 'a' && c <= 'f' ? static_cast<u64>(c - 'a' + 10)
                                : static_cast<u64>(c - 'A' + 10);
}

struct Limbs {
  u64 v[4];
};

// 64 hex digits, most significant first.
constexpr Limbs limbs_from_hex(const char (&h)[65]) {
  Limbs r{};
  for (int i = 0; i < 64; ++i) {
    int limb = 3 - i / 16;
    r.v[limb] = (r.v[limb] << 4) | hex_nibble(h[i]);
  }
  return r;
}

// r = t - m when t >= m, else t; t is t4·2^256 + t[0..3] with t4 in {0, 1} and t < 2m.
constexpr void reduce_once(u64 r[4], const u64 t[4], u64 t4, const u64 m[4]) {
  u64 s[4] = {};
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = static_cast<u128>(t[i]) - m[i] - borrow;
    s[i] = static_cast<u64>(d);
    borrow = static_cast<u64>(d >> 64) & 1;
  }
  u64 keep = 0 - (borrow & (t4 ^ 1));  // the subtraction went below zero: keep t
  for (int i = 0; i < 4; ++i) r[i] = (t[i] & keep) | (s[i] & ~keep);
}

// r = a + b mod m (a, b < m).
constexpr void mod_add(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4]) {
  u64 t[4] = {};
  u128 c = 0;
  for (int i = 0; i < 4; ++i) {
    c += static_cast<u128>(a[i]) + b[i];
    t[i] = static_cast<u64>(c);
    c >>= 64;
  }
  reduce_once(r, t, static_cast<u64>(c), m);
}

// r = a - b mod m (a, b < m).
constexpr void mod_sub(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4]) {
  u64 t[4] = {};
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
    t[i] = static_cast<u64>(d);
    borrow = static_cast<u64>(d >> 64) & 1;
  }
  u64 mask = 0 - borrow;
  u128 c = 0;
  for (int i = 0; i < 4; ++i) {
    c += static_cast<u128>(t[i]) + (m[i] & mask);
    r[i] = static_cast<u64>(c);
    c >>= 64;
  }
}

// Montgomery product r = a·b·2^-256 mod m (a, b < m; n0 = -m^-1 mod 2^64), CIOS.
constexpr void mont_mul(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4], u64 n0) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  for (int i = 0; i < 4; ++i) {
    u64 bi = b[i];
    u128 c = static_cast<u128>(a[0]) * bi + t0;
    t0 = static_cast<u64>(c);
    c = (c >> 64) + static_cast<u128>(a[1]) * bi + t1;
    t1 = static_cast<u64>(c);
    c = (c >> 64) + static_cast<u128>(a[2]) * bi + t2;
    t2 = static_cast<u64>(c);
    c = (c >> 64) + static_cast<u128>(a[3]) * bi + t3;
    t3 = static_cast<u64>(c);
    c = (c >> 64) + t4;
    t4 = static_cast<u64>(c);
    u64 t5 = static_cast<u64>(c >> 64);
    u64 q = t0 * n0;
    c = static_cast<u128>(q) * m[0] + t0;
    c = (c >> 64) + static_cast<u128>(q) * m[1] + t1;
    t0 = static_cast<u64>(c);
    c = (c >> 64) + static_cast<u128>(q) * m[2] + t2;
    t1 = static_cast<u64>(c);
    c = (c >> 64) + static_cast<u128>(q) * m[3] + t3;
    t2 = static_cast<u64>(c);
    c = (c >> 64) + t4;
    t3 = static_cast<u64>(c);
    t4 = t5 + static_cast<u64>(c >> 64);
  }
  const u64 t[4] = {t0, t1, t2, t3};
  reduce_once(r, t, t4, m);
}

// -m^-1 mod 2^64 for odd m0 (Newton iteration).
constexpr u64 mont_n0(u64 m0) {
  u64 inv = 1;
  for (int i = 0; i < 7; ++i) inv *= 2 - m0 * inv;
  return 0 - inv;
}

// 2^512 mod m, for m > 2^255 (R = 2^256, so R mod m = 2^256 - m).
constexpr Limbs mont_r2(const u64 m[4]) {
  Limbs x{};
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = static_cast<u128>(0) - m[i] - borrow;
    x.v[i] = static_cast<u64>(d);
    borrow = static_cast<u64>(d >> 64) & 1;
  }
  for (int i = 0; i < 256; ++i) mod_add(x.v, x.v, x.v, m);
  return x;
}

constexpr bool limbs_less(const u64 a[4], const u64 b[4]) {
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
    borrow = static_cast<u64>(d >> 64) & 1;
  }
  return borrow != 0;
}

// All ones when a < b (constant time).
inline u64 mask_less(const u64 a[4], const u64 b[4]) {
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
    borrow = static_cast<u64>(d >> 64) & 1;
  }
  return mask_from_bit(borrow);
}

inline void limbs_from_be(u64 r[4], const std::uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    u64 v = 0;
    for (int j = 0; j < 8; ++j) v = (v << 8) | b[i * 8 + j];
    r[3 - i] = v;
  }
}

inline void limbs_to_be(std::uint8_t* b, const u64 a[4]) {
  for (int i = 0; i < 4; ++i) {
    u64 v = a[3 - i];
    for (int j = 7; j >= 0; --j) {
      b[i * 8 + j] = static_cast<std::uint8_t>(v);
      v >>= 8;
    }
  }
}

inline u64 limbs_zero_mask(const u64 a[4]) { return mask_is_zero(a[0] | a[1] | a[2] | a[3]); }

// r = mask ? a : r
inline void limbs_cmov(u64 r[4], const u64 a[4], u64 mask) {
  for (int i = 0; i < 4; ++i) r[i] = (r[i] & ~mask) | (a[i] & mask);
}

}  // namespace certseal::crypto::sm2
