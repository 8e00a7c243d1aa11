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
// Montgomery square mod p: the 512-bit square from 6 cross products (doubled) and 4 squares, then
// four reduction rounds of the same p-specific form as fe_mul.
CERTSEAL_SM2_INLINE void fe_sqr(Fe& r, const Fe& fa) {
  const u64* a = fa.v;
  u64 t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0, t6 = 0, t7 = 0;
  u64 h01 = 0, h02 = 0, h03 = 0, h12 = 0, h13 = 0, h23 = 0;
  u64 l01 = mul_wide(a[0], a[1], h01);
  u64 l02 = mul_wide(a[0], a[2], h02);
  u64 l03 = mul_wide(a[0], a[3], h03);
  u64 l12 = mul_wide(a[1], a[2], h12);
  u64 l13 = mul_wide(a[1], a[3], h13);
  u64 l23 = mul_wide(a[2], a[3], h23);
  t1 = l01;
  unsigned char c = adc(0, h01, l02, t2);
  c = adc(c, h02, l03, t3);
  t4 = h03 + c;  // h03 ≤ 2^64 − 2
  c = adc(0, t3, l12, t3);
  c = adc(c, t4, l13, t4);
  t5 = c;
  c = adc(0, t4, h12, t4);
  c = adc(c, t5, h13, t5);
  t6 = c;
  c = adc(0, t5, l23, t5);
  c = adc(c, t6, h23, t6);
  t7 = c;
  t7 = (t7 << 1) | (t6 >> 63);
  t6 = (t6 << 1) | (t5 >> 63);
  t5 = (t5 << 1) | (t4 >> 63);
  t4 = (t4 << 1) | (t3 >> 63);
  t3 = (t3 << 1) | (t2 >> 63);
  t2 = (t2 << 1) | (t1 >> 63);
  t1 = t1 << 1;
  u64 h00 = 0, h11 = 0, h22 = 0, h33 = 0;
  t0 = mul_wide(a[0], a[0], h00);
  u64 l11 = mul_wide(a[1], a[1], h11);
  u64 l22 = mul_wide(a[2], a[2], h22);
  u64 l33 = mul_wide(a[3], a[3], h33);
  c = adc(0, t1, h00, t1);
  c = adc(c, t2, l11, t2);
  c = adc(c, t3, h11, t3);
  c = adc(c, t4, l22, t4);
  c = adc(c, t5, h22, t5);
  c = adc(c, t6, l33, t6);
  (void)adc(c, t7, h33, t7);
  u64 t[8] = {t0, t1, t2, t3, t4, t5, t6, t7};
  u64 top = 0;
#pragma GCC unroll 4
  for (int i = 0; i < 4; ++i) {
    const u64 q = t[i];
    u64 v0 = 0, v1 = 0, v2 = 0, v3 = 0;
    unsigned char bw = sbb(0, q, q << 32, v0);
    bw = sbb(bw, 0, q >> 32, v1);
    bw = sbb(bw, 0, q << 32, v2);
    (void)sbb(bw, q, q >> 32, v3);
    c = adc(0, t[i + 1], v0, t[i + 1]);
    c = adc(c, t[i + 2], v1, t[i + 2]);
    c = adc(c, t[i + 3], v2, t[i + 3]);
    c = adc(c, t[i + 4], v3, t[i + 4]);
#pragma GCC unroll 4
    for (int j = i + 5; j < 8; ++j) c = adc(c, t[j], 0, t[j]);
    top += c;
  }
  reduce_once(r.v, t + 4, top, kP.v);
}
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
