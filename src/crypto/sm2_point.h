// Points of the SM2 curve y² = x³ − 3x + b over GF(p) (GB/T 32918.5): Jacobian coordinates
// (X, Y, Z) ↦ (X/Z², Y/Z³) with Z = 0 for the point at infinity, the a = −3 doubling, and the
// three multiplications the engine needs.
//
// Constant time (no branch, table index or memory address depends on the scalar or the point):
//   mul_base_ct   k·G with a fixed comb table of G (37 signed 7-bit windows × 64 affine points,
//                 152 KB, built once at first use behind a thread-safe static), masked table scans.
//   mul_ct        k·P with signed 5-bit fixed windows over a 16-entry table of P, masked scans.
//   to_affine     one Fermat inversion (fe_inv).
//   point_add_ct  complete in effect: infinity on either side and (when asked) P = Q by masks.
// Variable time (only for public inputs — signature verification):
//   mul_add_vartime  s·G + t·P, the comb for G and a width-5 wNAF for P.
// Scalars must be reduced mod n (Sc); 0 gives the point at infinity.
// Thread-safety: pure functions; the comb table is immutable after its one-time initialisation.
#pragma once

#include "crypto/sm2_field.h"
#include "crypto/sm2_scalar.h"

namespace certseal::crypto::sm2 {

struct Jac {
  Fe x, y, z;
};
struct Aff {
  Fe x, y;
};

Jac jac_infinity();
Jac jac_from_affine(const Aff& a);
const Aff& generator();

void point_double(Jac& r, const Jac& p);
// r = p + q. q_zero: all ones when q is to be treated as the point at infinity. With
// handle_double (a public flag) the case p = q is handled too, at the cost of one doubling.
void point_add_ct(Jac& r, const Jac& p, const Jac& q, u64 q_zero, bool handle_double);
// Variable time, every case handled.
void point_add_vartime(Jac& r, const Jac& p, const Jac& q);

// Returns all ones when p is the point at infinity (a then holds zeros).
u64 to_affine(Aff& a, const Jac& p);

void mul_base_ct(Jac& r, const Sc& k);
// k·G for a public k (verification): the same comb, read by direct index.
void mul_base_vartime(Jac& r, const Sc& k);
void mul_ct(Jac& r, const Aff& p, const Sc& k);
void mul_add_vartime(Jac& r, const Sc& s, const Aff& p, const Sc& t);
// True when p is not the point at infinity and its affine x, reduced mod n, equals v: the
// verification's final comparison without an inversion (X = x·Z², so x = v or x = v + n < p is
// checked as X = v·Z² or X = (v + n)·Z²). Variable time: public values only.
bool jac_x_mod_n_equals_vartime(const Jac& p, const Sc& v);

// Uncompressed SEC 1 encoding. aff_decode checks length, the 04 prefix, x, y < p and the curve
// equation (variable time: points received are public); false when any check fails.
bool aff_decode(Aff& a, const std::uint8_t* b, std::size_t len);
void aff_encode(std::uint8_t* out65, const Aff& a);
bool aff_on_curve(const Aff& a);

}  // namespace certseal::crypto::sm2
