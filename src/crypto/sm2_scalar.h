// Scalars modulo the SM2 group order n (GB/T 32918.5): four 64-bit limbs in ordinary (not
// Montgomery) form, always reduced below n. Products go through Montgomery multiplication.
//
// Constant time: every function here (sc_inv is a^(n−2) with fixed 4-bit windows over the public
// exponent; sc_from_bytes reports its range check through a mask; sc_reduce_wide reduces 512 bits
// without branches). Thread-safety: pure functions.
#pragma once

#include "crypto/sm2_limbs.h"

namespace certseal::crypto::sm2 {

struct Sc {
  u64 v[4];
};

inline constexpr Limbs kN = limbs_from_hex("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");
inline constexpr u64 kNN0 = mont_n0(kN.v[0]);
inline constexpr Limbs kNR2 = mont_r2(kN.v);

CERTSEAL_SM2_INLINE void sc_add(Sc& r, const Sc& a, const Sc& b) { mod_add(r.v, a.v, b.v, kN.v); }
CERTSEAL_SM2_INLINE void sc_sub(Sc& r, const Sc& a, const Sc& b) { mod_sub(r.v, a.v, b.v, kN.v); }
CERTSEAL_SM2_INLINE void sc_mul(Sc& r, const Sc& a, const Sc& b) {
  u64 t[4];
  mont_mul(t, a.v, b.v, kN.v, kNN0);      // a·b·R^-1
  mont_mul(r.v, t, kNR2.v, kN.v, kNN0);   // · R
}
CERTSEAL_SM2_INLINE u64 sc_is_zero(const Sc& a) { return limbs_zero_mask(a.v); }
CERTSEAL_SM2_INLINE void sc_cmov(Sc& r, const Sc& a, u64 mask) { limbs_cmov(r.v, a.v, mask); }
CERTSEAL_SM2_INLINE Sc sc_from_u64(u64 x) { return Sc{{x, 0, 0, 0}}; }

// a^-1 mod n = a^(n−2); 0 maps to 0.
void sc_inv(Sc& r, const Sc& a);
// 32 big-endian bytes. Returns all ones when the value is in [1, n−1] (then r holds it), else 0
// (r unspecified).
u64 sc_from_bytes(Sc& r, const std::uint8_t* b32);
// Any 32-byte value reduced mod n (for digests: e mod n).
void sc_from_bytes_reduce(Sc& r, const std::uint8_t* b32);
// A 64-byte big-endian value reduced mod n (bias below 2^-250, for derived nonces).
void sc_reduce_wide(Sc& r, const std::uint8_t* b64);
void sc_to_bytes(std::uint8_t* b32, const Sc& a);

}  // namespace certseal::crypto::sm2
