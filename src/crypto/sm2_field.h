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

CERTSEAL_SM2_INLINE void fe_add(Fe& r, const Fe& a, const Fe& b) { mod_add(r.v, a.v, b.v, kP.v); }
CERTSEAL_SM2_INLINE void fe_sub(Fe& r, const Fe& a, const Fe& b) { mod_sub(r.v, a.v, b.v, kP.v); }
// Montgomery product mod p, CIOS with the reduction step specialised to p's form: with
// q = t0, (t + q·p) / 2^64 = (t >> 64) + q·(2^192 − 2^160 − 2^32 + 1), shifts and subtractions
// instead of four multiplications.
CERTSEAL_SM2_INLINE void fe_mul(Fe& r, const Fe& fa, const Fe& fb) {
  const u64* a = fa.v;
  const u64* b = fb.v;
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0;
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
    const u64 q = t0;
    u64 v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    unsigned char bw = sbb(0, q, q << 32, v0);
    bw = sbb(bw, 0, q >> 32, v1);
    bw = sbb(bw, 0, q << 32, v2);
    (void)sbb(bw, q, q >> 32, v3);  // no borrow: V ≥ 0
    c = adc(0, t1, v0, t0);
    c = adc(c, t2, v1, t1);
    c = adc(c, t3, v2, t2);
    c = adc(c, t4, v3, t3);
    t4 = t5 + c;
  }
  const u64 t[4] = {t0, t1, t2, t3};
  reduce_once(r.v, t, t4, kP.v);
}
CERTSEAL_SM2_INLINE void fe_sqr(Fe& r, const Fe& a) { fe_mul(r, a, a); }
CERTSEAL_SM2_INLINE void fe_neg(Fe& r, const Fe& a) {
  const Fe zero{};
  fe_sub(r, zero, a);
}
// r = mask ? a : r (mask all ones or zero).
CERTSEAL_SM2_INLINE void fe_cmov(Fe& r, const Fe& a, u64 mask) { limbs_cmov(r.v, a.v, mask); }
CERTSEAL_SM2_INLINE u64 fe_is_zero(const Fe& a) { return limbs_zero_mask(a.v); }
CERTSEAL_SM2_INLINE u64 fe_eq(const Fe& a, const Fe& b) {
  return mask_is_zero((a.v[0] ^ b.v[0]) | (a.v[1] ^ b.v[1]) | (a.v[2] ^ b.v[2]) | (a.v[3] ^ b.v[3]));
}

// 1 in Montgomery form (2^256 mod p = 2^256 − p).
inline constexpr Fe kFeOne{{1, 0xFFFFFFFFull, 0, 0x100000000ull}};
CERTSEAL_SM2_INLINE Fe fe_one() { return kFeOne; }
// The curve constant b in Montgomery form.
Fe fe_b();
// a^-1 = a^(p−2); 0 maps to 0.
void fe_inv(Fe& r, const Fe& a);
// 32 big-endian bytes to Montgomery form; returns all ones when the value is < p (else r is
// unspecified and the mask is 0).
u64 fe_from_bytes(Fe& r, const std::uint8_t* b32);
void fe_to_bytes(std::uint8_t* b32, const Fe& a);

}  // namespace certseal::crypto::sm2
