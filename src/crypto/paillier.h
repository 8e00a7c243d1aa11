// Paillier encryption (Paillier 1999) with g = N + 1, for two-party ECDSA (ecdsa_split.h).
//
//   Enc(m; r) = (1 + m·N) · r^N  mod N²        m an integer (taken mod N), r in Z*_N
//   Dec(c)    = L(c^φ mod N²) · φ^-1  mod N     L(u) = (u − 1) / N, φ = (p − 1)(q − 1)
//   Enc(a)·Enc(b) = Enc(a + b),  Enc(a)^k = Enc(k·a)   (mod N²; plaintexts mod N)
//
// The secret key is derived from a 32-byte seed (SecretKey::from_seed): p and q are the first
// primes at or after two SHA-256 expansions of the seed (1024 bits each, top two bits set, so N
// has exactly 2048 bits). Why a seed and not the primes: the device keeps its half masked under the
// certificate password, and any password must unmask to something that looks right (docs/SHIELD.md
// "ECDSA P-256"). Masked primes would not: a wrong password gives two composite numbers almost
// always, and a thief of the device file could discard wrong guesses offline by a primality test.
// A wrong seed gives other primes, indistinguishable without N, which the device does not keep.
//
// Usage:
//   SecretBytes seed;
//   CS_ASSIGN(auto sk, paillier::SecretKey::generate(rng, &seed));
//   Bignum c = sk.public_key().encrypt(m, rng, ctx);
//   Bignum back = sk.decrypt(c, ctx);                     // == m mod N
//
// Contract: PublicKey::from_modulus checks only that N is odd and at least 2047 bits (a proof that
// N is a valid Paillier modulus is ecdsa_split's job). Ciphertexts passed in must be in [0, N²)
// (valid_ciphertext tells). Secret operations run with BN_FLG_CONSTTIME operands.
// Errors: paillier_bad_modulus, paillier_bad_seed, paillier_bad_ciphertext.
// Thread-safety: keys are immutable after construction; a const key may be shared.
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/ossl.h"

namespace certseal::crypto::paillier {

inline constexpr int kPrimeBits = 1024;
inline constexpr int kModulusBits = 2 * kPrimeBits;
inline constexpr std::size_t kSeedSize = 32;

class PublicKey {
 public:
  // N big-endian; paillier_bad_modulus unless odd and >= 2047 bits (and <= 4096).
  static Result<PublicKey> from_modulus(BytesView n);
  PublicKey(const PublicKey& o);
  PublicKey(PublicKey&&) noexcept = default;
  PublicKey& operator=(PublicKey&&) noexcept = default;

  const BIGNUM* n() const { return n_.get(); }
  const BIGNUM* n_squared() const { return n2_.get(); }
  Bytes modulus() const;                 // N, minimal big-endian
  std::size_t modulus_size() const;      // bytes of N
  std::size_t ciphertext_size() const;   // bytes of N²

  // Enc(m; r); REQUIRES: m >= 0, r in Z*_N.
  Bignum encrypt(const BIGNUM* m, const BIGNUM* r, BN_CTX* ctx) const;
  // Enc(m; r) with r drawn from Z*_N.
  Bignum encrypt(const BIGNUM* m, Rng& rng, BN_CTX* ctx) const;
  // c1·c2 mod N² (plaintexts add).
  Bignum add(const BIGNUM* c1, const BIGNUM* c2, BN_CTX* ctx) const;
  // c^k mod N² (plaintext times k); REQUIRES: k >= 0.
  Bignum scale(const BIGNUM* c, const BIGNUM* k, BN_CTX* ctx) const;
  // c in [1, N²) and coprime to N (so it has an inverse mod N²).
  bool valid_ciphertext(const BIGNUM* c, BN_CTX* ctx) const;
  // r uniform in Z*_N.
  Bignum random_unit(Rng& rng, BN_CTX* ctx) const;

 private:
  PublicKey() = default;
  Bignum n_, n2_;
};

class SecretKey {
 public:
  // Deterministic: the same seed gives the same key. paillier_bad_seed unless 32 bytes.
  static Result<SecretKey> from_seed(BytesView seed);
  // A fresh seed from `rng` (written to *seed_out) and its key.
  static Result<SecretKey> generate(Rng& rng, SecretBytes* seed_out);

  const PublicKey& public_key() const { return pub_; }
  // m in [0, N). paillier_bad_ciphertext unless c is valid_ciphertext.
  Result<Bignum> decrypt(const BIGNUM* c, BN_CTX* ctx) const;
  // The N-th root of x mod N: x^(N^-1 mod φ) (for the modulus proof); REQUIRES x in Z*_N.
  Bignum nth_root(const BIGNUM* x, BN_CTX* ctx) const;

 private:
  SecretKey(PublicKey pub) : pub_(std::move(pub)) {}
  PublicKey pub_;
  Bignum phi_, mu_, n_inv_;  // φ(N), φ^-1 mod N, N^-1 mod φ
};

}  // namespace certseal::crypto::paillier
