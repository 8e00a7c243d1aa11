// The SM2 engine's value types and operations for the rest of the crypto layer: scalars mod n,
// points, the three multiplications, and hedged nonces. Built on sm2_field / sm2_scalar /
// sm2_point (our own arithmetic). With the CMake option CERTSEAL_SM2_OPENSSL=ON the point
// multiplications run on OpenSSL's EC_POINT code instead (sm2_curve.h), so the two can be
// compared; everything else (formats, checks, nonces) is shared.
//
// Constant time (for the secret scalars and the points derived from them):
//   Scalar: from_bytes/check, arithmetic, inverse, hedged, random (rejection sampling decides
//           only on discarded candidates); Point: mul_base, mul, add, neg, affine encoding.
// Variable time (public inputs only): Point::parse (checks received points), mul_add_public
// (signature verification).
// ct_declassify marks a value as public for the constant-time test (Valgrind memcheck: see
// tests/ct/), and is a no-op otherwise; it is called where a secret-derived value becomes public
// (r of a signature, a retry decision, a message sent to the peer, a C3 check's outcome).
//
// Errors for received values (ErrorKind::kInvalidArgument), as sm2_curve.h:
//   bad_point_encoding, point_at_infinity, point_not_on_curve, scalar_out_of_range.
// Thread-safety: values are plain data; functions are pure apart from the injected Rng.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/sm2_point.h"

namespace certseal::crypto::sm2 {

void ct_declassify(const void* p, std::size_t n);
template <class T>
void ct_declassify(const T& v) {
  ct_declassify(&v, sizeof v);
}
inline void ct_declassify(BytesView b) { ct_declassify(b.data(), b.size()); }

// True when this build runs the point multiplications on OpenSSL (CERTSEAL_SM2_OPENSSL).
bool engine_is_openssl();

// A scalar mod n; the memory is wiped on destruction. Arithmetic results may be 0.
class Scalar {
 public:
  Scalar() : s_{} {}
  explicit Scalar(const Sc& s) : s_(s) {}
  Scalar(const Scalar&) = default;
  Scalar& operator=(const Scalar&) = default;
  ~Scalar();

  // Exactly 32 bytes with value in [1, n−1]; "scalar_out_of_range" naming `what` otherwise.
  static Result<Scalar> parse(BytesView b, std::string_view what);
  // Any 32-byte string reduced mod n (digests e).
  static Scalar reduce(BytesView b32);
  // Uniform in [1, n−1] from rng (rejection sampling).
  static Scalar random(Rng& rng);
  // A nonce in [1, n−1] hedged against a weak rng: SM3 over a label, the secret (key or share),
  // 32 fresh rng bytes and the context (message digest, peer's message), expanded to 512 bits
  // and reduced mod n. Secret and context may be empty.
  static Scalar hedged(Rng& rng, std::string_view label, BytesView secret, BytesView context);

  SecretBytes bytes() const;
  Bytes public_bytes() const;  // for values that are public (r, s, messages); declassified
  const Sc& sc() const { return s_; }
  bool is_zero_public() const;  // declassified zero test (for values whose zero-ness is public)

  Scalar operator+(const Scalar& o) const;
  Scalar operator-(const Scalar& o) const;
  Scalar operator*(const Scalar& o) const;
  Scalar inverse() const;  // 0 maps to 0

 private:
  Sc s_;
};

// A point of the SM2 curve (affine) or the point at infinity.
class Point {
 public:
  Point() = default;
  explicit Point(const Aff& a) : a_(a), infinity_(false) {}

  // 65-byte 04 || x || y on the curve; errors bad_point_encoding, point_at_infinity (the 1-byte
  // 00 encoding), point_not_on_curve, each naming `what`.
  static Result<Point> parse(BytesView b, std::string_view what);
  static Point generator();

  bool is_infinity() const { return infinity_; }  // declassified: only for public outcomes
  const Aff& affine() const { return a_; }
  Bytes bytes() const;  // 65 bytes; the point must not be infinity
  // Affine x and y, 32 bytes each (secret for shared points).
  void xy(std::uint8_t* x32, std::uint8_t* y32) const;

  static Point from_jacobian(const Jac& j);

 private:
  Aff a_{};
  bool infinity_ = true;
};

Point mul_base(const Scalar& k);                      // k·G, constant time
Point mul(const Point& p, const Scalar& k);           // k·P, constant time (P not infinity)
Point add(const Point& a, const Point& b);            // a + b, constant time (all cases)
// a·G + b·P + c (c may be infinity), constant time, one affine conversion (two-party steps).
Point mul_base_add(const Scalar& a, const Point& p, const Scalar& b, const Point& c = Point());
Point neg(const Point& a);
// s·G + t·P for public s, t, P (verification), variable time.
Point mul_add_public(const Scalar& s, const Point& p, const Scalar& t);
// Whether s·G + t·P (public s, t, P) is not infinity and has x ≡ v (mod n): SM2 verification's
// steps B6-B7 without converting the sum to affine coordinates. Variable time.
bool mul_add_public_x_mod_n_equals(const Scalar& s, const Point& p, const Scalar& t, const Scalar& v);

}  // namespace certseal::crypto::sm2
