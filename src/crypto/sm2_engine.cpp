#include "crypto/sm2_engine.h"

#include <algorithm>
#include <string>

#include "crypto/hash.h"

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define CERTSEAL_HAVE_MEMCHECK 1
#endif

#ifdef CERTSEAL_SM2_OPENSSL
#include "crypto/sm2_curve.h"
#endif

namespace certseal::crypto::sm2 {

void ct_declassify(const void* p, std::size_t n) {
#ifdef CERTSEAL_HAVE_MEMCHECK
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
  (void)p;
  (void)n;
#endif
}

bool engine_is_openssl() {
#ifdef CERTSEAL_SM2_OPENSSL
  return true;
#else
  return false;
#endif
}

// ---- Scalar ----

Scalar::~Scalar() { secure_wipe(&s_, sizeof s_); }

Result<Scalar> Scalar::parse(BytesView b, std::string_view what) {
  if (b.size() != 32) {
    return invalid_argument("scalar_out_of_range", std::string(what) + " is not a 32-byte scalar");
  }
  Scalar r;
  u64 ok = sc_from_bytes(r.s_, b.data());
  ct_declassify(ok);  // whether a stored or received scalar is valid is not a secret
  if (!ok) return invalid_argument("scalar_out_of_range", std::string(what) + " is not in the range [1, n-1]");
  return r;
}

Scalar Scalar::reduce(BytesView b32) {
  Scalar r;
  sc_from_bytes_reduce(r.s_, b32.data());
  return r;
}

Scalar Scalar::random(Rng& rng) {
  SecretBytes buf(32);
  Scalar r;
  for (;;) {
    rng.fill(buf);
    u64 ok = sc_from_bytes(r.s_, buf.data());
    ct_declassify(ok);  // a rejected candidate is discarded: its rejection reveals nothing kept
    if (ok) return r;
  }
}

Scalar Scalar::hedged(Rng& rng, std::string_view label, BytesView secret, BytesView context) {
  SecretBytes fresh(32);
  rng.fill(fresh);
  static constexpr std::string_view kTag = "CertSeal SM2 hedged nonce v1";
  std::uint8_t lens[4] = {static_cast<std::uint8_t>(label.size()), static_cast<std::uint8_t>(secret.size()),
                          static_cast<std::uint8_t>(context.size() >> 8), static_cast<std::uint8_t>(context.size())};
  SecretBytes wide(64);
  Hasher h(HashAlg::kSm3);
  for (std::uint8_t block = 1; block <= 2; ++block) {
    std::uint8_t ctr[1] = {block};
    h.update(as_bytes(kTag)).update(lens).update(as_bytes(label)).update(secret).update(fresh).update(context).update(ctr);
    Bytes out = h.finish();
    std::copy(out.begin(), out.end(), wide.begin() + (block - 1) * 32);
    secure_wipe(out.data(), out.size());
  }
  Scalar r;
  sc_reduce_wide(r.s_, wide.data());
  // 0 has probability 2^-256; map it to 1 without a branch.
  Sc one = sc_from_u64(1);
  sc_cmov(r.s_, one, sc_is_zero(r.s_));
  return r;
}

SecretBytes Scalar::bytes() const {
  SecretBytes out(32);
  sc_to_bytes(out.data(), s_);
  return out;
}

Bytes Scalar::public_bytes() const {
  Bytes out(32);
  sc_to_bytes(out.data(), s_);
  ct_declassify(BytesView(out));
  return out;
}

bool Scalar::is_zero_public() const {
  u64 z = sc_is_zero(s_);
  ct_declassify(z);
  return z != 0;
}

Scalar Scalar::operator+(const Scalar& o) const {
  Scalar r;
  sc_add(r.s_, s_, o.s_);
  return r;
}
Scalar Scalar::operator-(const Scalar& o) const {
  Scalar r;
  sc_sub(r.s_, s_, o.s_);
  return r;
}
Scalar Scalar::operator*(const Scalar& o) const {
  Scalar r;
  sc_mul(r.s_, s_, o.s_);
  return r;
}
Scalar Scalar::inverse() const {
  Scalar r;
  sc_inv(r.s_, s_);
  return r;
}

// ---- Point ----

Result<Point> Point::parse(BytesView b, std::string_view what) {
  std::string w(what);
  if (b.size() == 1 && b[0] == 0x00) return invalid_argument("point_at_infinity", w + " is the point at infinity");
  if (b.size() != 65 || b[0] != 0x04) {
    return invalid_argument("bad_point_encoding", w + " is not an uncompressed SM2 point (04 || x || y)");
  }
  Aff a;
  if (!aff_decode(a, b.data(), b.size())) return invalid_argument("point_not_on_curve", w + " is not on the SM2 curve");
  // SM2's cofactor is 1: every point on the curve other than O is in the group of order n.
  return Point(a);
}

Point Point::generator() { return Point(sm2::generator()); }

Bytes Point::bytes() const {
  Bytes out(65);
  aff_encode(out.data(), a_);
  return out;
}

void Point::xy(std::uint8_t* x32, std::uint8_t* y32) const {
  fe_to_bytes(x32, a_.x);
  fe_to_bytes(y32, a_.y);
}

Point Point::from_jacobian(const Jac& j) {
  Point p;
  u64 inf = to_affine(p.a_, j);
  ct_declassify(inf);  // reaching the point at infinity aborts the operation visibly
  p.infinity_ = inf != 0;
  return p;
}

#ifndef CERTSEAL_SM2_OPENSSL

Point mul_base(const Scalar& k) {
  Jac j;
  mul_base_ct(j, k.sc());
  return Point::from_jacobian(j);
}

Point mul(const Point& p, const Scalar& k) {
  Jac j;
  mul_ct(j, p.affine(), k.sc());
  return Point::from_jacobian(j);
}

Point mul_add_public(const Scalar& s, const Point& p, const Scalar& t) {
  Jac j;
  mul_add_vartime(j, s.sc(), p.affine(), t.sc());
  return Point::from_jacobian(j);
}

bool mul_add_public_x_mod_n_equals(const Scalar& s, const Point& p, const Scalar& t, const Scalar& v) {
  Jac j;
  mul_add_vartime(j, s.sc(), p.affine(), t.sc());
  return jac_x_mod_n_equals_vartime(j, v.sc());
}

Point mul_base_add(const Scalar& a, const Point& p, const Scalar& b, const Point& c) {
  Jac ja, jb, sum;
  mul_base_ct(ja, a.sc());
  mul_ct(jb, p.affine(), b.sc());
  point_add_ct(sum, ja, jb, 0, true);
  if (!c.is_infinity()) point_add_ct(sum, sum, jac_from_affine(c.affine()), 0, true);
  return Point::from_jacobian(sum);
}

#else  // OpenSSL's EC_POINT code for the multiplications (comparison build)

namespace {
EcPoint to_ossl(const Point& p) {
  auto r = point_from_bytes(p.bytes(), "point");
  if (!r.ok()) openssl_fatal("point conversion");
  return std::move(r).value();
}
Point from_ossl(const EC_POINT* p) {
  if (point_is_infinity(p)) return Point();
  auto r = Point::parse(point_to_bytes(p), "point");
  if (!r.ok()) openssl_fatal("point conversion");
  return std::move(r).value();
}
Bignum to_bn(const Scalar& k) {
  SecretBytes b = k.bytes();
  return bn_from_bytes(b);
}
}  // namespace

Point mul_base(const Scalar& k) {
  BnCtx ctx = bn_ctx_new();
  return from_ossl(mul_generator(to_bn(k).get(), ctx.get()).get());
}

Point mul(const Point& p, const Scalar& k) {
  BnCtx ctx = bn_ctx_new();
  return from_ossl(mul_point(to_ossl(p).get(), to_bn(k).get(), ctx.get()).get());
}

Point mul_add_public(const Scalar& s, const Point& p, const Scalar& t) {
  BnCtx ctx = bn_ctx_new();
  EcPoint r = point_new();
  if (EC_POINT_mul(Sm2Curve::get().group(), r.get(), to_bn(s).get(), to_ossl(p).get(), to_bn(t).get(),
                   ctx.get()) != 1) {
    openssl_fatal("EC_POINT_mul");
  }
  return from_ossl(r.get());
}

Point mul_base_add(const Scalar& a, const Point& p, const Scalar& b, const Point& c) {
  return add(add(mul_base(a), mul(p, b)), c);
}

bool mul_add_public_x_mod_n_equals(const Scalar& s, const Point& p, const Scalar& t, const Scalar& v) {
  Point sum = mul_add_public(s, p, t);
  if (sum.is_infinity()) return false;
  std::uint8_t x[32], y[32];
  sum.xy(x, y);
  return Scalar::reduce(BytesView(x, 32)).public_bytes() == v.public_bytes();
}

#endif

Point add(const Point& a, const Point& b) {
  Jac ja = a.is_infinity() ? Jac{} : jac_from_affine(a.affine());
  Jac jb = b.is_infinity() ? Jac{} : jac_from_affine(b.affine());
  Jac r;
  point_add_ct(r, ja, jb, 0, true);
  return Point::from_jacobian(r);
}

Point neg(const Point& a) {
  if (a.is_infinity()) return a;
  Aff n = a.affine();
  fe_neg(n.y, n.y);
  return Point(n);
}

}  // namespace certseal::crypto::sm2
