#include "crypto/sm2_point.h"

#include <memory>
#include <vector>

namespace certseal::crypto::sm2 {
namespace {

constexpr int kCombWindows = 37;  // ceil(257 / 7): signed digits need one bit above the top
constexpr int kCombWidth = 7;
constexpr int kCombEntries = 64;  // 1..2^(w−1)
constexpr int kVarWindows = 52;   // ceil(257 / 5)
constexpr int kVarWidth = 5;
constexpr int kVarEntries = 16;

// Two limbs at a time (SSE2 on x86-64, GCC's generic vectors elsewhere): the masked selects below
// are and/or on whole registers, with no branch for the compiler to reintroduce.
using V2 = u64 __attribute__((vector_size(16), aligned(8), may_alias));

template <int kLimbs>
CERTSEAL_SM2_INLINE void limbs_cmov_v(u64* r, const u64* a, u64 mask) {
  static_assert(kLimbs % 2 == 0);
  const V2 m = {mask, mask};
  V2* rv = reinterpret_cast<V2*>(r);
  const V2* av = reinterpret_cast<const V2*>(a);
#pragma GCC unroll 8
  for (int i = 0; i < kLimbs / 2; ++i) rv[i] = (rv[i] & ~m) | (av[i] & m);
}

// out = table[idx − 1] (entries of kLimbs limbs), or zeros when idx is 0: every entry is read
// and masked, whatever idx is (constant time).
template <int kLimbs>
void lookup_ct(u64* out, const u64* table, int entries, u64 idx) {
  V2 acc[kLimbs / 2] = {};
  for (int j = 0; j < entries; ++j) {
    const u64 mk = mask_eq(static_cast<u64>(j + 1), idx);
    const V2 m = {mk, mk};
    const V2* e = reinterpret_cast<const V2*>(table + static_cast<std::size_t>(j) * kLimbs);
#pragma GCC unroll 8
    for (int i = 0; i < kLimbs / 2; ++i) acc[i] |= e[i] & m;
  }
  V2* o = reinterpret_cast<V2*>(out);
#pragma GCC unroll 8
  for (int i = 0; i < kLimbs / 2; ++i) o[i] = acc[i];
}

static_assert(sizeof(Jac) == 12 * sizeof(u64) && sizeof(Aff) == 8 * sizeof(u64));

void jac_cmov(Jac& r, const Jac& a, u64 mask) {
  limbs_cmov_v<12>(reinterpret_cast<u64*>(&r), reinterpret_cast<const u64*>(&a), mask);
}

// Bits [pos, pos + w) of k, bits at 256 and above being 0. pos and w are public.
u64 bits_at(const Sc& k, int pos, int w) {
  int limb = pos / 64;
  int off = pos % 64;
  u64 v = limb < 4 ? k.v[limb] >> off : 0;
  if (off + w > 64 && limb + 1 < 4) v |= k.v[limb + 1] << (64 - off);
  return v & ((u64{1} << w) - 1);
}

// Signed (Booth) digit i of width w: d = ((v + 1) >> 1) − 2^w·(v >> w) over the w + 1 bits
// v = k[w·i − 1 .. w·i + w − 1]; returned as |d| in [0, 2^(w−1)] and a negative-sign mask.
void booth_digit(const Sc& k, int i, int w, u64& mag, u64& neg_mask) {
  u64 v = i == 0 ? bits_at(k, 0, w) << 1 : bits_at(k, w * i - 1, w + 1);
  u64 t = (v + 1) >> 1;
  neg_mask = mask_from_bit(v >> w);
  mag = (t & ~neg_mask) | (((u64{1} << w) - t) & neg_mask);
}

void cond_negate(Fe& y, u64 mask) {
  Fe ny;
  fe_neg(ny, y);
  fe_cmov(y, ny, mask);
}

// r = p + q with q affine, constant time; p may be infinity; q_zero marks q as infinity. The
// case p = q is NOT handled (callers exclude it by construction).
void add_mixed_ct(Jac& r, const Jac& p, const Aff& q, u64 q_zero) {
  Fe z1z1, u2, s2, h, rr, hh, hhh, v, t;
  Jac out;
  fe_sqr(z1z1, p.z);
  fe_mul(u2, q.x, z1z1);
  fe_mul(s2, p.z, z1z1);
  fe_mul(s2, s2, q.y);
  fe_sub(h, u2, p.x);
  fe_sub(rr, s2, p.y);
  fe_sqr(hh, h);
  fe_mul(hhh, h, hh);
  fe_mul(v, p.x, hh);
  fe_sqr(out.x, rr);
  fe_sub(out.x, out.x, hhh);
  fe_sub(out.x, out.x, v);
  fe_sub(out.x, out.x, v);
  fe_sub(t, v, out.x);
  fe_mul(out.y, rr, t);
  fe_mul(t, p.y, hhh);
  fe_sub(out.y, out.y, t);
  fe_mul(out.z, p.z, h);
  Jac qj{q.x, q.y, fe_one()};
  jac_cmov(out, qj, fe_is_zero(p.z));
  jac_cmov(out, p, q_zero);
  r = out;
}

void lookup_aff(Aff& r, const Aff* table, u64 mag) {
  lookup_ct<8>(reinterpret_cast<u64*>(&r), reinterpret_cast<const u64*>(table), kCombEntries, mag);
}

void lookup_jac(Jac& r, const Jac* table, u64 mag) {
  lookup_ct<12>(reinterpret_cast<u64*>(&r), reinterpret_cast<const u64*>(table), kVarEntries, mag);
}

void batch_to_affine(Aff* out, const Jac* in, std::size_t n) {
  std::vector<Fe> prefix(n);
  prefix[0] = in[0].z;
  for (std::size_t i = 1; i < n; ++i) fe_mul(prefix[i], prefix[i - 1], in[i].z);
  Fe inv;
  fe_inv(inv, prefix[n - 1]);
  for (std::size_t i = n; i-- > 0;) {
    Fe zi;
    if (i > 0) {
      fe_mul(zi, inv, prefix[i - 1]);
      fe_mul(inv, inv, in[i].z);
    } else {
      zi = inv;
    }
    Fe z2, z3;
    fe_sqr(z2, zi);
    fe_mul(z3, z2, zi);
    fe_mul(out[i].x, in[i].x, z2);
    fe_mul(out[i].y, in[i].y, z3);
  }
}

struct CombTable {
  Aff p[kCombWindows][kCombEntries];
};

std::unique_ptr<CombTable> build_comb() {
  auto t = std::make_unique<CombTable>();
  std::vector<Jac> pts(static_cast<std::size_t>(kCombWindows) * kCombEntries);
  Jac b = jac_from_affine(generator());
  for (int i = 0; i < kCombWindows; ++i) {
    Jac* row = &pts[static_cast<std::size_t>(i) * kCombEntries];
    row[0] = b;
    for (int j = 1; j < kCombEntries; ++j) point_add_vartime(row[j], row[j - 1], b);
    for (int s = 0; s < kCombWidth; ++s) point_double(b, b);
  }
  batch_to_affine(&t->p[0][0], pts.data(), pts.size());
  return t;
}

const CombTable& comb() {
  static const std::unique_ptr<CombTable> table = build_comb();  // thread-safe one-time build
  return *table;
}

}  // namespace

Jac jac_infinity() { return Jac{fe_one(), fe_one(), Fe{}}; }

Jac jac_from_affine(const Aff& a) { return Jac{a.x, a.y, fe_one()}; }

const Aff& generator() {
  static const Aff g = [] {
    static constexpr Limbs gx = limbs_from_hex("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
    static constexpr Limbs gy = limbs_from_hex("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");
    std::uint8_t b[32];
    Aff a;
    limbs_to_be(b, gx.v);
    fe_from_bytes(a.x, b);
    limbs_to_be(b, gy.v);
    fe_from_bytes(a.y, b);
    return a;
  }();
  return g;
}

void point_double(Jac& r, const Jac& p) {
  // dbl-2001-b (a = −3): 3M + 5S.
  Fe delta, gamma, beta, alpha, t1, t2;
  fe_sqr(delta, p.z);
  fe_sqr(gamma, p.y);
  fe_mul(beta, p.x, gamma);
  fe_sub(t1, p.x, delta);
  fe_add(t2, p.x, delta);
  fe_mul(alpha, t1, t2);
  fe_add(t1, alpha, alpha);
  fe_add(alpha, t1, alpha);  // 3·(X − δ)(X + δ)
  Fe z3;
  fe_add(z3, p.y, p.z);
  fe_sqr(z3, z3);
  fe_sub(z3, z3, gamma);
  fe_sub(z3, z3, delta);
  Fe beta4, beta8, x3;
  fe_add(beta4, beta, beta);
  fe_add(beta4, beta4, beta4);
  fe_add(beta8, beta4, beta4);
  fe_sqr(x3, alpha);
  fe_sub(x3, x3, beta8);
  Fe y3, g2;
  fe_sub(t1, beta4, x3);
  fe_mul(y3, alpha, t1);
  fe_sqr(g2, gamma);
  fe_add(g2, g2, g2);
  fe_add(g2, g2, g2);
  fe_add(g2, g2, g2);
  fe_sub(y3, y3, g2);
  r.x = x3;
  r.y = y3;
  r.z = z3;
}

namespace {
// The generic addition without special cases: out = p + q, and h, rr for the caller's checks.
void add_core(Jac& out, Fe& h, Fe& rr, const Jac& p, const Jac& q) {
  Fe z1z1, z2z2, u1, u2, s1, s2, hh, hhh, v, t;
  fe_sqr(z1z1, p.z);
  fe_sqr(z2z2, q.z);
  fe_mul(u1, p.x, z2z2);
  fe_mul(u2, q.x, z1z1);
  fe_mul(s1, q.z, z2z2);
  fe_mul(s1, s1, p.y);
  fe_mul(s2, p.z, z1z1);
  fe_mul(s2, s2, q.y);
  fe_sub(h, u2, u1);
  fe_sub(rr, s2, s1);
  fe_sqr(hh, h);
  fe_mul(hhh, h, hh);
  fe_mul(v, u1, hh);
  fe_sqr(out.x, rr);
  fe_sub(out.x, out.x, hhh);
  fe_sub(out.x, out.x, v);
  fe_sub(out.x, out.x, v);
  fe_sub(t, v, out.x);
  fe_mul(out.y, rr, t);
  fe_mul(t, s1, hhh);
  fe_sub(out.y, out.y, t);
  fe_mul(out.z, p.z, q.z);
  fe_mul(out.z, out.z, h);
}
}  // namespace

void point_add_ct(Jac& r, const Jac& p, const Jac& q, u64 q_zero, bool handle_double) {
  Jac out;
  Fe h, rr;
  add_core(out, h, rr, p, q);
  u64 p_inf = fe_is_zero(p.z);
  u64 q_inf = fe_is_zero(q.z) | q_zero;
  if (handle_double) {  // public flag
    Jac d;
    point_double(d, p);
    jac_cmov(out, d, fe_is_zero(h) & fe_is_zero(rr) & ~p_inf & ~q_inf);
  }
  jac_cmov(out, q, p_inf);
  jac_cmov(out, p, q_inf);
  r = out;
}

void point_add_vartime(Jac& r, const Jac& p, const Jac& q) {
  if (fe_is_zero(p.z)) {
    r = q;
    return;
  }
  if (fe_is_zero(q.z)) {
    r = p;
    return;
  }
  Jac out;
  Fe h, rr;
  add_core(out, h, rr, p, q);
  if (fe_is_zero(h)) {
    if (fe_is_zero(rr)) {
      point_double(r, p);
    } else {
      r = jac_infinity();
    }
    return;
  }
  r = out;
}

u64 to_affine(Aff& a, const Jac& p) {
  u64 inf = fe_is_zero(p.z);
  Fe zi, z2, z3;
  fe_inv(zi, p.z);
  fe_sqr(z2, zi);
  fe_mul(z3, z2, zi);
  fe_mul(a.x, p.x, z2);
  fe_mul(a.y, p.y, z3);
  return inf;
}

namespace {
template <bool kConstantTime>
void mul_base_impl(Jac& r, const Sc& k) {
  const CombTable& t = comb();
  Jac acc{};  // Z = 0: infinity
  for (int i = 0; i < kCombWindows; ++i) {
    u64 mag, neg;
    booth_digit(k, i, kCombWidth, mag, neg);
    Aff e;
    if constexpr (kConstantTime) {
      lookup_aff(e, t.p[i], mag);
    } else {
      e = mag == 0 ? Aff{} : t.p[i][mag - 1];  // public scalar only
    }
    cond_negate(e.y, neg);
    if (i + 1 < kCombWindows) {
      // The partial sum has absolute scalar below 2^(7i)/2 + 1 and the addend at least 2^(7i),
      // both below n/2: they can be neither equal nor opposite, so no doubling case here.
      add_mixed_ct(acc, acc, e, mask_is_zero(mag));
    } else {
      point_add_ct(acc, acc, jac_from_affine(e), mask_is_zero(mag), true);
    }
  }
  r = acc;
}
}  // namespace

void mul_base_ct(Jac& r, const Sc& k) { mul_base_impl<true>(r, k); }
void mul_base_vartime(Jac& r, const Sc& k) { mul_base_impl<false>(r, k); }

void mul_ct(Jac& r, const Aff& p, const Sc& k) {
  Jac table[kVarEntries];
  table[0] = jac_from_affine(p);
  point_double(table[1], table[0]);
  for (int j = 2; j < kVarEntries; ++j) add_mixed_ct(table[j], table[j - 1], p, 0);
  u64 mag, neg;
  booth_digit(k, kVarWindows - 1, kVarWidth, mag, neg);
  Jac acc;
  lookup_jac(acc, table, mag);
  cond_negate(acc.y, neg);
  for (int i = kVarWindows - 2; i >= 0; --i) {
    for (int s = 0; s < kVarWidth; ++s) point_double(acc, acc);
    booth_digit(k, i, kVarWidth, mag, neg);
    Jac e;
    lookup_jac(e, table, mag);
    cond_negate(e.y, neg);
    // Before the last window the accumulated scalar is far from ±digit mod n (see sm2_point.h);
    // the last addition can meet acc = e (e.g. k = n − 6), so it handles doubling.
    point_add_ct(acc, acc, e, mask_is_zero(mag), i == 0);
  }
  r = acc;
}

void mul_add_vartime(Jac& r, const Sc& s, const Aff& p, const Sc& t) {
  Jac sg;
  mul_base_vartime(sg, s);
  // Width-5 NAF of t.
  signed char naf[258] = {};
  u64 k[5] = {t.v[0], t.v[1], t.v[2], t.v[3], 0};
  int len = 0;
  while ((k[0] | k[1] | k[2] | k[3] | k[4]) != 0) {
    int d = 0;
    if (k[0] & 1) {
      d = static_cast<int>(k[0] & 31);
      if (d >= 16) d -= 32;
      // k −= d
      if (d > 0) {
        u128 b = static_cast<u128>(k[0]) - static_cast<u64>(d);
        k[0] = static_cast<u64>(b);
        u64 borrow = static_cast<u64>(b >> 64) & 1;
        for (int i = 1; i < 5 && borrow; ++i) {
          borrow = k[i] == 0 ? 1 : 0;
          k[i] -= 1;
        }
      } else {
        u128 c = static_cast<u128>(k[0]) + static_cast<u64>(-d);
        k[0] = static_cast<u64>(c);
        u64 carry = static_cast<u64>(c >> 64);
        for (int i = 1; i < 5 && carry; ++i) {
          k[i] += 1;
          carry = k[i] == 0 ? 1 : 0;
        }
      }
    }
    naf[len++] = static_cast<signed char>(d);
    for (int i = 0; i < 4; ++i) k[i] = (k[i] >> 1) | (k[i + 1] << 63);
    k[4] >>= 1;
  }
  Jac odd[8];  // P, 3P, ..., 15P
  odd[0] = jac_from_affine(p);
  Jac p2;
  point_double(p2, odd[0]);
  for (int i = 1; i < 8; ++i) point_add_vartime(odd[i], odd[i - 1], p2);
  Jac acc = jac_infinity();
  for (int i = len - 1; i >= 0; --i) {
    point_double(acc, acc);
    int d = naf[i];
    if (d > 0) {
      point_add_vartime(acc, acc, odd[(d - 1) / 2]);
    } else if (d < 0) {
      Jac neg = odd[(-d - 1) / 2];
      fe_neg(neg.y, neg.y);
      point_add_vartime(acc, acc, neg);
    }
  }
  point_add_vartime(r, sg, acc);
}

bool jac_x_mod_n_equals_vartime(const Jac& p, const Sc& v) {
  if (fe_is_zero(p.z)) return false;
  Fe zz, cand, xv;
  fe_sqr(zz, p.z);
  std::uint8_t b[32];
  limbs_to_be(b, v.v);
  fe_from_bytes(xv, b);  // v < n < p
  fe_mul(cand, xv, zz);
  if (fe_eq(cand, p.x)) return true;
  // x = v + n is possible when v + n < p (x < p, and p − n is about 2^224 here).
  u64 w[4];
  unsigned char c = adc(0, v.v[0], kN.v[0], w[0]);
  c = adc(c, v.v[1], kN.v[1], w[1]);
  c = adc(c, v.v[2], kN.v[2], w[2]);
  c = adc(c, v.v[3], kN.v[3], w[3]);
  if (c != 0 || !limbs_less(w, kP.v)) return false;
  limbs_to_be(b, w);
  fe_from_bytes(xv, b);
  fe_mul(cand, xv, zz);
  return fe_eq(cand, p.x) != 0;
}

bool aff_on_curve(const Aff& a) {
  Fe y2, x3, t;
  fe_sqr(y2, a.y);
  fe_sqr(x3, a.x);
  fe_mul(x3, x3, a.x);
  fe_add(t, a.x, a.x);
  fe_add(t, t, a.x);
  fe_sub(x3, x3, t);
  fe_add(x3, x3, fe_b());
  return fe_eq(y2, x3) != 0;
}

bool aff_decode(Aff& a, const std::uint8_t* b, std::size_t len) {
  if (len != 65 || b[0] != 0x04) return false;
  u64 ok = fe_from_bytes(a.x, b + 1) & fe_from_bytes(a.y, b + 33);
  if (!ok) return false;
  return aff_on_curve(a);
}

void aff_encode(std::uint8_t* out65, const Aff& a) {
  out65[0] = 0x04;
  fe_to_bytes(out65 + 1, a.x);
  fe_to_bytes(out65 + 33, a.y);
}

}  // namespace certseal::crypto::sm2
