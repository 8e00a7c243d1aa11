#include "crypto/sm2_scalar.h"

namespace certseal::crypto::sm2 {

void sc_inv(Sc& r, const Sc& a) {
  // Montgomery domain: table[i] = a^i·R.
  static constexpr u64 one[4] = {1, 0, 0, 0};
  u64 table[16][4];
  u64 am[4];
  mont_mul(am, a.v, kNR2.v, kN.v, kNN0);
  mont_mul(table[0], one, kNR2.v, kN.v, kNN0);
  for (int i = 1; i < 16; ++i) mont_mul(table[i], table[i - 1], am, kN.v, kNN0);
  // Exponent n − 2 (public): fixed 4-bit windows, most significant first.
  u64 e[4] = {kN.v[0] - 2, kN.v[1], kN.v[2], kN.v[3]};  // n's low limb is odd and > 2
  u64 acc[4];
  for (int i = 0; i < 4; ++i) acc[i] = table[0][i];
  for (int w = 63; w >= 0; --w) {
    for (int s = 0; s < 4; ++s) mont_mul(acc, acc, acc, kN.v, kNN0);
    unsigned idx = static_cast<unsigned>((e[w / 16] >> ((w % 16) * 4)) & 15);  // public exponent
    mont_mul(acc, acc, table[idx], kN.v, kNN0);
  }
  mont_mul(r.v, acc, one, kN.v, kNN0);
}

u64 sc_from_bytes(Sc& r, const std::uint8_t* b32) {
  limbs_from_be(r.v, b32);
  return mask_less(r.v, kN.v) & ~sc_is_zero(r);
}

void sc_from_bytes_reduce(Sc& r, const std::uint8_t* b32) {
  u64 t[4];
  limbs_from_be(t, b32);
  reduce_once(r.v, t, 0, kN.v);  // t < 2^256 < 2n
}

void sc_reduce_wide(Sc& r, const std::uint8_t* b64) {
  Sc hi, lo;
  sc_from_bytes_reduce(hi, b64);
  sc_from_bytes_reduce(lo, b64 + 32);
  Sc hi_r;
  mont_mul(hi_r.v, hi.v, kNR2.v, kN.v, kNN0);  // hi·2^256 mod n
  sc_add(r, hi_r, lo);
}

void sc_to_bytes(std::uint8_t* b32, const Sc& a) { limbs_to_be(b32, a.v); }

}  // namespace certseal::crypto::sm2
