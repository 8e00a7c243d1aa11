// Big-endian byte strings <-> OpenSSL BIGNUMs, and uniform sampling below a bound, for the
// two-party protocols over plain integers (paillier.h, ecdsa_split.h).
//
// Contract: bn()/secret_bn() take unsigned big-endian bytes (empty = 0); secret_bn() marks the
// value BN_FLG_CONSTTIME so OpenSSL takes its constant-time paths. to_bytes() left-pads to `len`
// and fails (bad_length) when the value does not fit. random_below() draws |bound| + 128 bits
// from the Rng and reduces them (statistical distance 2^-128 from uniform). Allocation failures
// abort (openssl_fatal). Thread-safety: pure functions apart from the injected Rng.
#pragma once

#include <cstddef>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/ossl.h"

namespace certseal::crypto::bn_codec {

inline Bignum bn(BytesView b) {
  Bignum v(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!v) openssl_fatal("BN_bin2bn");
  return v;
}
inline Bignum secret_bn(BytesView b) {
  Bignum v = bn(b);
  BN_set_flags(v.get(), BN_FLG_CONSTTIME);
  return v;
}
inline Bignum dup(const BIGNUM* v) {
  Bignum r(BN_dup(v));
  if (!r) openssl_fatal("BN_dup");
  return r;
}
inline Bignum from_word(unsigned long w) {
  Bignum r = bn_new();
  if (BN_set_word(r.get(), w) != 1) openssl_fatal("BN_set_word");
  return r;
}
// v (non-negative) as `len` big-endian bytes; bad_length when it needs more.
inline Result<Bytes> to_bytes(const BIGNUM* v, std::size_t len) {
  Bytes out(len);
  if (BN_is_negative(v) || BN_bn2binpad(v, out.data(), static_cast<int>(len)) < 0) {
    return invalid_argument("bad_length", "a number does not fit its field");
  }
  return out;
}
inline Result<SecretBytes> to_secret(const BIGNUM* v, std::size_t len) {
  SecretBytes out(len);
  if (BN_is_negative(v) || BN_bn2binpad(v, out.data(), static_cast<int>(len)) < 0) {
    return invalid_argument("bad_length", "a number does not fit its field");
  }
  return out;
}
// v (non-negative) in its shortest big-endian form (empty for 0).
inline Bytes to_min_bytes(const BIGNUM* v) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(v)));
  BN_bn2bin(v, out.data());
  return out;
}
// Uniform in [0, bound) up to 2^-128; bound > 0.
inline Bignum random_below(const BIGNUM* bound, Rng& rng, BN_CTX* ctx) {
  const std::size_t bytes = static_cast<std::size_t>(BN_num_bytes(bound)) + 16;
  SecretBytes raw(bytes);
  rng.fill(std::span<std::uint8_t>(raw.data(), raw.size()));
  Bignum wide = secret_bn(BytesView(raw.data(), raw.size()));
  Bignum r = bn_new();
  BN_set_flags(r.get(), BN_FLG_CONSTTIME);
  if (BN_nnmod(r.get(), wide.get(), bound, ctx) != 1) openssl_fatal("BN_nnmod");
  return r;
}

}  // namespace certseal::crypto::bn_codec
