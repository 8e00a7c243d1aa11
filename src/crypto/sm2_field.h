// Arithmetic in GF(p) for the SM2 prime p = 2^256 − 2^224 − 2^96 + 2^64 − 1 (GB/T 32918.5),
// elements in Montgomery form (x·2^256 mod p) on four 64-bit limbs, always fully reduced.
// Because p ≡ −1 (mod 2^64), the Montgomery factor −p^-1 mod 2^64 is 1: each reduction step
// multiplies by the low limb itself.
//
// Constant time: every function in this header, including fe_inv (a^(p−2) by a fixed addition
// chain) and fe_from_bytes (which reports a value ≥ p through its mask, without branching).
// Thread-safety: pure functions.
#pragma once

#include "crypto/sm2_limbs.h"

namespace certseal::crypto::sm2 {

struct Fe {
  u64 v[4];
};

inline constexpr Limbs kP = limbs_from_hex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF");
inline constexpr u64 kPN0 = mont_n0(kP.v[0]);
static_assert(kPN0 == 1, "p = -1 mod 2^64");
inline constexpr Limbs kPR2 = mont_r2(kP.v);

inline void fe_add(Fe& r, const Fe& a, const Fe& b) { mod_add(r.v, a.v, b.v, kP.v); }
inline void fe_sub(Fe& r, const Fe& a, const Fe& b) { mod_sub(r.v, a.v, b.v, kP.v); }
inline void fe_mul(Fe& r, const Fe& a, const Fe& b) { mont_mul(r.v, a.v, b.v, kP.v, 1); }
inline void fe_sqr(Fe& r, const Fe& a) { mont_mul(r.v, a.v, a.v, kP.v, 1); }
inline void fe_neg(Fe& r, const Fe& a) {
  const Fe zero{};
  fe_sub(r, zero, a);
}
// r = mask ? a : r (mask all ones or zero).
inline void fe_cmov(Fe& r, const Fe& a, u64 mask) { limbs_cmov(r.v, a.v, mask); }
inline u64 fe_is_zero(const Fe& a) { return limbs_zero_mask(a.v); }
inline u64 fe_eq(const Fe& a, const Fe& b) {
  return mask_is_zero((a.v[0] ^ b.v[0]) | (a.v[1] ^ b.v[1]) | (a.v[2] ^ b.v[2]) | (a.v[3] ^ b.v[3]));
}

// 1 in Montgomery form (2^256 mod p).
Fe fe_one();
// The curve constant b in Montgomery form.
Fe fe_b();
// a^-1 = a^(p−2); 0 maps to 0.
void fe_inv(Fe& r, const Fe& a);
// 32 big-endian bytes to Montgomery form; returns all ones when the value is < p (else r is
// unspecified and the mask is 0).
u64 fe_from_bytes(Fe& r, const std::uint8_t* b32);
void fe_to_bytes(std::uint8_t* b32, const Fe& a);

}  // namespace certseal::crypto::sm2
