// Low-level arithmetic on the SM2 recommended curve (GB/T 32918.5-2017 §3, "sm2p256v1"): scalars
// mod n and points, with the checks every value received from a peer must pass.
//
// Used by the fixed-k SM2 primitives (test vectors) and by the two-party protocol (cosign.h).
// Contract: Sm2Curve::get() is immutable after first use and safe to share between threads; all
// other functions are pure. Scalars travel as 32-byte big-endian strings, points as 65-byte
// uncompressed SEC 1 strings (04 || x || y). Secret BIGNUMs are flagged BN_FLG_CONSTTIME and
// inverted with Fermat's little theorem (constant-time exponentiation), never with the
// variable-time extended Euclid.
//
// Errors for received values (ErrorKind::kInvalidArgument):
//   bad_point_encoding   not 65 bytes starting with 04 (and not the 1-byte infinity 00)
//   point_at_infinity    the point at infinity
//   point_not_on_curve   coordinates >= p or not satisfying the curve equation
//   point_not_in_group   n·P != O (only checked when the cofactor is not 1; SM2's cofactor is 1)
//   scalar_out_of_range  not 32 bytes, or not in [1, n-1]
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/ossl.h"

namespace certseal::crypto {

inline constexpr std::size_t kSm2ScalarSize = 32;
inline constexpr std::size_t kSm2PointSize = 65;

class Sm2Curve {
 public:
  static const Sm2Curve& get();
  const EC_GROUP* group() const { return group_.get(); }
  const BIGNUM* order() const { return n_.get(); }
  const BIGNUM* field() const { return p_.get(); }
  const BIGNUM* order_minus_2() const { return n_minus_2_.get(); }
  bool cofactor_is_one() const { return cofactor_one_; }

 private:
  Sm2Curve();
  EcGroup group_;
  Bignum n_;
  Bignum p_;
  Bignum n_minus_2_;
  bool cofactor_one_ = true;
};

// ---- scalars mod n ----
Bignum bn_from_bytes(BytesView b);
// 32-byte big-endian; `v` must be < 2^256.
Bytes bn_to_bytes32(const BIGNUM* v);
SecretBytes bn_to_secret32(const BIGNUM* v);
// Parses a scalar received from a peer or storage: exactly 32 bytes, value in [1, n-1].
// `what` names it in the error message (e.g. "the server's s2").
Result<Bignum> scalar_from_bytes(BytesView b, std::string_view what);
// Uniform in [1, n-1] by rejection sampling over 256-bit strings from rng.
Bignum random_scalar(Rng& rng);
bool scalar_is_zero(const BIGNUM* v);

Bignum mod_n_add(const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx);
Bignum mod_n_sub(const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx);
Bignum mod_n_mul(const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx);
// a^(n-2) mod n, constant time; a must be in [1, n-1].
Bignum mod_n_inverse(const BIGNUM* a, BN_CTX* ctx);
// v mod n (v may be any non-negative number, e.g. a hash value).
Bignum mod_n(const BIGNUM* v, BN_CTX* ctx);

// ---- points ----
EcPoint point_new();
// Parses and checks a point received from a peer (see the error codes above).
Result<EcPoint> point_from_bytes(BytesView b, std::string_view what);
Bytes point_to_bytes(const EC_POINT* p);  // 65 bytes; p must not be infinity
bool point_is_infinity(const EC_POINT* p);
// Affine x and y as 32-byte strings; p must not be infinity.
void point_xy(const EC_POINT* p, Bytes& x, Bytes& y, BN_CTX* ctx);

EcPoint mul_generator(const BIGNUM* k, BN_CTX* ctx);                   // k·G
EcPoint mul_point(const EC_POINT* p, const BIGNUM* k, BN_CTX* ctx);      // k·P
EcPoint mul_add(const BIGNUM* g_scalar, const EC_POINT* p, const BIGNUM* p_scalar, BN_CTX* ctx);  // a·G + b·P
EcPoint point_add(const EC_POINT* a, const EC_POINT* b, BN_CTX* ctx);
EcPoint point_sub(const EC_POINT* a, const EC_POINT* b, BN_CTX* ctx);   // a − b

}  // namespace certseal::crypto
