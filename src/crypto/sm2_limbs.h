// 256-bit numbers as four 64-bit limbs (little-endian limb order) and the Montgomery
// multiplication shared by the SM2 field (mod p, sm2_field.h) and the scalars (mod n,
// sm2_scalar.h). Internal to the SM2 engine.
//
// Constant time: every function here runs the same instructions and touches the same memory
// whatever the values are (no branches or indices on limb values). The optimiser is kept from
// turning masks back into branches with value_barrier.
#pragma once

#include <cstdint>
#include <type_traits>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#include "base/bytes.h"

// Always inlined: these are the engine's inner loops, and an out-of-line copy could come from a
// translation unit built without optimisation (the linker keeps one copy of an inline function).
#define CERTSEAL_SM2_INLINE [[gnu::always_inline]] inline

namespace certseal::crypto::sm2 {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

// Hides a value from the optimiser so mask arithmetic stays branch-free.
CERTSEAL_SM2_INLINE u64 value_barrier(u64 x) {
#if defined(__GNUC__)
  __asm__("" : "+r"(x));
#endif
  return x;
}

// All ones when x == 0, else 0.
CERTSEAL_SM2_INLINE u64 mask_is_zero(u64 x) { return value_barrier(((x | (0 - x)) >> 63) - 1); }
// All ones when a == b, else 0.
CERTSEAL_SM2_INLINE u64 mask_eq(u64 a, u64 b) { return mask_is_zero(a ^ b); }
// All ones when bit is 1 (bit must be 0 or 1).
CERTSEAL_SM2_INLINE u64 mask_from_bit(u64 bit) { return value_barrier(0 - bit); }

// Add/subtract with carry: adc/sbb chains on x86-64 (GCC's code for the same with unsigned
// __int128 spills to memory), portable otherwise and in constant evaluation.
[[gnu::always_inline]] constexpr unsigned char adc(unsigned char c, u64 a, u64 b, u64& out) {
#if defined(__x86_64__)
  if (!std::is_constant_evaluated()) {
    unsigned long long o;
    c = _addcarry_u64(c, a, b, &o);
    out = o;
    return c;
  }
#endif
  u128 t = static_cast<u128>(a) + b + c;
  out = static_cast<u64>(t);
  return static_cast<unsigned char>(t >> 64);
}
[[gnu::always_inline]] constexpr unsigned char sbb(unsigned char c, u64 a, u64 b, u64& out) {
#if defined(__x86_64__)
  if (!std::is_constant_evaluated()) {
    unsigned long long o;
    c = _subborrow_u64(c, a, b, &o);
    out = o;
    return c;
  }
#endif
  u128 t = static_cast<u128>(a) - b - c;
  out = static_cast<u64>(t);
  return static_cast<unsigned char>((t >> 64) & 1);
}
[[gnu::always_inline]] constexpr u64 mul_wide(u64 a, u64 b, u64& hi) {
  u128 p = static_cast<u128>(a) * b;
  hi = static_cast<u64>(p >> 64);
  return static_cast<u64>(p);
}

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
[[gnu::always_inline]] constexpr void reduce_once(u64 r[4], const u64 t[4], u64 t4, const u64 m[4]) {
  u64 s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  unsigned char b = sbb(0, t[0], m[0], s0);
  b = sbb(b, t[1], m[1], s1);
  b = sbb(b, t[2], m[2], s2);
  b = sbb(b, t[3], m[3], s3);
  b = sbb(b, t4, 0, s4);
  u64 keep = 0 - static_cast<u64>(b);  // t − m went below zero: keep t
  r[0] = (t[0] & keep) | (s0 & ~keep);
  r[1] = (t[1] & keep) | (s1 & ~keep);
  r[2] = (t[2] & keep) | (s2 & ~keep);
  r[3] = (t[3] & keep) | (s3 & ~keep);
}

// r = a + b mod m (a, b < m).
[[gnu::always_inline]] constexpr void mod_add(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4]) {
  u64 t[4] = {};
  unsigned char c = adc(0, a[0], b[0], t[0]);
  c = adc(c, a[1], b[1], t[1]);
  c = adc(c, a[2], b[2], t[2]);
  c = adc(c, a[3], b[3], t[3]);
  reduce_once(r, t, c, m);
}

// r = a - b mod m (a, b < m).
[[gnu::always_inline]] constexpr void mod_sub(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4]) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  unsigned char b0 = sbb(0, a[0], b[0], t0);
  b0 = sbb(b0, a[1], b[1], t1);
  b0 = sbb(b0, a[2], b[2], t2);
  b0 = sbb(b0, a[3], b[3], t3);
  u64 mask = 0 - static_cast<u64>(b0);
  unsigned char c = adc(0, t0, m[0] & mask, r[0]);
  c = adc(c, t1, m[1] & mask, r[1]);
  c = adc(c, t2, m[2] & mask, r[2]);
  (void)adc(c, t3, m[3] & mask, r[3]);
}

// Montgomery product r = a·b·2^-256 mod m (a, b < m; n0 = −m^-1 mod 2^64), CIOS, unrolled.
[[gnu::always_inline]] constexpr void mont_mul(u64 r[4], const u64 a[4], const u64 b[4], const u64 m[4], u64 n0) {
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0;
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    u64 bi = b[i];
    u64 h0 = 0, h1 = 0, h2 = 0, h3 = 0;
    u64 l0 = mul_wide(a[0], bi, h0);
    u64 l1 = mul_wide(a[1], bi, h1);
    u64 l2 = mul_wide(a[2], bi, h2);
    u64 l3 = mul_wide(a[3], bi, h3);
    unsigned char c = adc(0, t0, l0, t0);
    c = adc(c, t1, l1, t1);
    c = adc(c, t2, l2, t2);
    c = adc(c, t3, l3, t3);
    c = adc(c, t4, 0, t4);
    t5 = c;
    c = adc(0, t1, h0, t1);
    c = adc(c, t2, h1, t2);
    c = adc(c, t3, h2, t3);
    c = adc(c, t4, h3, t4);
    t5 += c;
    u64 q = t0 * n0;
    l0 = mul_wide(q, m[0], h0);
    l1 = mul_wide(q, m[1], h1);
    l2 = mul_wide(q, m[2], h2);
    l3 = mul_wide(q, m[3], h3);
    c = adc(0, t0, l0, t0);  // t0 becomes 0
    c = adc(c, t1, l1, t1);
    c = adc(c, t2, l2, t2);
    c = adc(c, t3, l3, t3);
    c = adc(c, t4, 0, t4);
    t5 += c;
    c = adc(0, t1, h0, t0);  // shift down one limb while adding the high halves
    c = adc(c, t2, h1, t1);
    c = adc(c, t3, h2, t2);
    c = adc(c, t4, h3, t3);
    t4 = t5 + c;
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
CERTSEAL_SM2_INLINE u64 mask_less(const u64 a[4], const u64 b[4]) {
  u64 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
    borrow = static_cast<u64>(d >> 64) & 1;
  }
  return mask_from_bit(borrow);
}

CERTSEAL_SM2_INLINE void limbs_from_be(u64 r[4], const std::uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    u64 v = 0;
    for (int j = 0; j < 8; ++j) v = (v << 8) | b[i * 8 + j];
    r[3 - i] = v;
  }
}

CERTSEAL_SM2_INLINE void limbs_to_be(std::uint8_t* b, const u64 a[4]) {
  for (int i = 0; i < 4; ++i) {
    u64 v = a[3 - i];
    for (int j = 7; j >= 0; --j) {
      b[i * 8 + j] = static_cast<std::uint8_t>(v);
      v >>= 8;
    }
  }
}

CERTSEAL_SM2_INLINE u64 limbs_zero_mask(const u64 a[4]) { return mask_is_zero(a[0] | a[1] | a[2] | a[3]); }

// r = mask ? a : r
CERTSEAL_SM2_INLINE void limbs_cmov(u64 r[4], const u64 a[4], u64 mask) {
  for (int i = 0; i < 4; ++i) r[i] = (r[i] & ~mask) | (a[i] & mask);
}

}  // namespace certseal::crypto::sm2
