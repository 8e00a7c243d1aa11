#include "crypto/sm2_curve.h"

#include <openssl/obj_mac.h>

#include <string>

namespace certseal::crypto {
namespace {

Error point_error(const char* code, std::string_view what, const char* problem) {
  return invalid_argument(code, std::string(what) + " " + problem);
}

void check(int rc, const char* what) {
  if (rc != 1) openssl_fatal(what);
}

}  // namespace

Sm2Curve::Sm2Curve()
    : group_(EC_GROUP_new_by_curve_name(NID_sm2)), n_(bn_new()), p_(bn_new()), n_minus_2_(bn_new()) {
  if (!group_) openssl_fatal("EC_GROUP_new_by_curve_name(SM2)");
  check(BN_copy(n_.get(), EC_GROUP_get0_order(group_.get())) != nullptr ? 1 : 0, "BN_copy");
  check(EC_GROUP_get_curve(group_.get(), p_.get(), nullptr, nullptr, nullptr), "EC_GROUP_get_curve");
  check(BN_copy(n_minus_2_.get(), n_.get()) != nullptr ? 1 : 0, "BN_copy");
  check(BN_sub_word(n_minus_2_.get(), 2), "BN_sub_word");
  cofactor_one_ = BN_is_one(EC_GROUP_get0_cofactor(group_.get())) == 1;
}

const Sm2Curve& Sm2Curve::get() {
  static const Sm2Curve curve;  // thread-safe initialisation, read-only afterwards
  return curve;
}

Bignum bn_from_bytes(BytesView b) {
  Bignum v(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!v) openssl_fatal("BN_bin2bn");
  BN_set_flags(v.get(), BN_FLG_CONSTTIME);
  return v;
}

Bytes bn_to_bytes32(const BIGNUM* v) {
  Bytes out(32);
  if (BN_bn2binpad(v, out.data(), 32) != 32) openssl_fatal("BN_bn2binpad");
  return out;
}

SecretBytes bn_to_secret32(const BIGNUM* v) {
  SecretBytes out(32);
  if (BN_bn2binpad(v, out.data(), 32) != 32) openssl_fatal("BN_bn2binpad");
  return out;
}

Result<Bignum> scalar_from_bytes(BytesView b, std::string_view what) {
  if (b.size() != kSm2ScalarSize) {
    return invalid_argument("scalar_out_of_range", std::string(what) + " is not a 32-byte scalar");
  }
  Bignum v = bn_from_bytes(b);
  if (BN_is_zero(v.get()) || BN_cmp(v.get(), Sm2Curve::get().order()) >= 0) {
    return invalid_argument("scalar_out_of_range", std::string(what) + " is not in the range [1, n-1]");
  }
  return v;
}

Bignum random_scalar(Rng& rng) {
  const BIGNUM* n = Sm2Curve::get().order();
  SecretBytes buf(32);
  for (;;) {
    rng.fill(buf);
    Bignum v = bn_from_bytes(buf);
    if (!BN_is_zero(v.get()) && BN_cmp(v.get(), n) < 0) return v;
  }
}

bool scalar_is_zero(const BIGNUM* v) { return BN_is_zero(v) == 1; }

Bignum mod_n_add(const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx) {
  Bignum r = bn_new();
  check(BN_mod_add(r.get(), a, b, Sm2Curve::get().order(), ctx), "BN_mod_add");
  return r;
}

Bignum mod_n_sub(const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx) {
  Bignum r = bn_new();
  check(BN_mod_sub(r.get(), a, b, Sm2Curve::get().order(), ctx), "BN_mod_sub");
  return r;
}

Bignum mod_n_mul(const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx) {
  Bignum r = bn_new();
  check(BN_mod_mul(r.get(), a, b, Sm2Curve::get().order(), ctx), "BN_mod_mul");
  return r;
}

Bignum mod_n_inverse(const BIGNUM* a, BN_CTX* ctx) {
  const Sm2Curve& c = Sm2Curve::get();
  Bignum r = bn_new();
  check(BN_mod_exp_mont_consttime(r.get(), a, c.order_minus_2(), c.order(), ctx, nullptr),
        "BN_mod_exp_mont_consttime");
  return r;
}

Bignum mod_n(const BIGNUM* v, BN_CTX* ctx) {
  Bignum r = bn_new();
  check(BN_nnmod(r.get(), v, Sm2Curve::get().order(), ctx), "BN_nnmod");
  return r;
}

EcPoint point_new() {
  EcPoint p(EC_POINT_new(Sm2Curve::get().group()));
  if (!p) openssl_fatal("EC_POINT_new");
  return p;
}

Result<EcPoint> point_from_bytes(BytesView b, std::string_view what) {
  const Sm2Curve& c = Sm2Curve::get();
  if (b.size() == 1 && b[0] == 0x00) {
    return point_error("point_at_infinity", what, "is the point at infinity");
  }
  if (b.size() != kSm2PointSize || b[0] != 0x04) {
    return point_error("bad_point_encoding", what, "is not an uncompressed SM2 point (04 || x || y)");
  }
  BnCtx ctx = bn_ctx_new();
  Bignum x = bn_from_bytes(b.subspan(1, 32));
  Bignum y = bn_from_bytes(b.subspan(33, 32));
  if (BN_cmp(x.get(), c.field()) >= 0 || BN_cmp(y.get(), c.field()) >= 0) {
    return point_error("point_not_on_curve", what, "is not on the SM2 curve");
  }
  EcPoint p = point_new();
  // EC_POINT_set_affine_coordinates itself refuses points off the curve; a failure here is
  // therefore reported as such, and the explicit check below keeps that true on any version.
  if (EC_POINT_set_affine_coordinates(c.group(), p.get(), x.get(), y.get(), ctx.get()) != 1 ||
      EC_POINT_is_on_curve(c.group(), p.get(), ctx.get()) != 1) {
    drain_openssl_errors();
    return point_error("point_not_on_curve", what, "is not on the SM2 curve");
  }
  if (point_is_infinity(p.get())) return point_error("point_at_infinity", what, "is the point at infinity");
  if (!c.cofactor_is_one()) {
    EcPoint q = mul_point(p.get(), c.order(), ctx.get());
    if (!point_is_infinity(q.get())) {
      return point_error("point_not_in_group", what, "is not in the SM2 group of order n");
    }
  }
  return p;
}

Bytes point_to_bytes(const EC_POINT* p) {
  Bytes out(kSm2PointSize);
  BnCtx ctx = bn_ctx_new();
  if (EC_POINT_point2oct(Sm2Curve::get().group(), p, POINT_CONVERSION_UNCOMPRESSED, out.data(),
                         out.size(), ctx.get()) != kSm2PointSize) {
    openssl_fatal("EC_POINT_point2oct");
  }
  return out;
}

bool point_is_infinity(const EC_POINT* p) {
  return EC_POINT_is_at_infinity(Sm2Curve::get().group(), p) == 1;
}

void point_xy(const EC_POINT* p, Bytes& x, Bytes& y, BN_CTX* ctx) {
  Bignum bx = bn_new();
  Bignum by = bn_new();
  check(EC_POINT_get_affine_coordinates(Sm2Curve::get().group(), p, bx.get(), by.get(), ctx),
        "EC_POINT_get_affine_coordinates");
  x = bn_to_bytes32(bx.get());
  y = bn_to_bytes32(by.get());
}

EcPoint mul_generator(const BIGNUM* k, BN_CTX* ctx) {
  EcPoint r = point_new();
  check(EC_POINT_mul(Sm2Curve::get().group(), r.get(), k, nullptr, nullptr, ctx), "EC_POINT_mul");
  return r;
}

EcPoint mul_point(const EC_POINT* p, const BIGNUM* k, BN_CTX* ctx) {
  EcPoint r = point_new();
  check(EC_POINT_mul(Sm2Curve::get().group(), r.get(), nullptr, p, k, ctx), "EC_POINT_mul");
  return r;
}

EcPoint mul_add(const BIGNUM* g_scalar, const EC_POINT* p, const BIGNUM* p_scalar, BN_CTX* ctx) {
  // Two constant-time single multiplications rather than one shared (variable-time) wNAF pass:
  // both scalars are secret in the two-party protocol.
  EcPoint a = mul_generator(g_scalar, ctx);
  EcPoint b = mul_point(p, p_scalar, ctx);
  return point_add(a.get(), b.get(), ctx);
}

EcPoint point_add(const EC_POINT* a, const EC_POINT* b, BN_CTX* ctx) {
  EcPoint r = point_new();
  check(EC_POINT_add(Sm2Curve::get().group(), r.get(), a, b, ctx), "EC_POINT_add");
  return r;
}

EcPoint point_sub(const EC_POINT* a, const EC_POINT* b, BN_CTX* ctx) {
  const EC_GROUP* g = Sm2Curve::get().group();
  EcPoint nb(EC_POINT_dup(b, g));
  if (!nb) openssl_fatal("EC_POINT_dup");
  check(EC_POINT_invert(g, nb.get(), ctx), "EC_POINT_invert");
  return point_add(a, nb.get(), ctx);
}

}  // namespace certseal::crypto
