// Paillier encryption with g = N + 1 (paillier.h).
#include "crypto/paillier.h"

#include "crypto/bn_codec.h"
#include "crypto/hash.h"

namespace certseal::crypto::paillier {
namespace {

using bn_codec::bn;
using bn_codec::dup;
using bn_codec::secret_bn;

Error bad_modulus(const std::string& why) { return invalid_argument("paillier_bad_modulus", "Paillier modulus: " + why); }

// (1 + m·N) mod N²: (1 + N)^m without an exponentiation.
Bignum g_pow(const BIGNUM* m, const BIGNUM* n, const BIGNUM* n2, BN_CTX* ctx) {
  Bignum t = bn_new();
  if (BN_mod_mul(t.get(), m, n, n2, ctx) != 1) openssl_fatal("BN_mod_mul");
  if (BN_add_word(t.get(), 1) != 1) openssl_fatal("BN_add_word");
  if (BN_cmp(t.get(), n2) >= 0 && BN_sub(t.get(), t.get(), n2) != 1) openssl_fatal("BN_sub");
  return t;
}

// The first prime at or after an odd 1024-bit number with its top two bits set, drawn from
// SHA-256(domain ‖ label ‖ seed ‖ counter) blocks. BN_check_prime runs OpenSSL's Miller–Rabin
// with its default rounds (error below 2^-128), after trial division.
Result<Bignum> prime_from_seed(BytesView seed, char label, BN_CTX* ctx) {
  constexpr std::size_t kBytes = kPrimeBits / 8;
  SecretBytes wide;
  for (std::uint32_t counter = 0; wide.size() < kBytes; ++counter) {
    SecretBytes in;
    const std::string domain = "certseal-paillier-v1 prime ";
    in.insert(in.end(), domain.begin(), domain.end());
    in.push_back(static_cast<std::uint8_t>(label));
    in.insert(in.end(), seed.begin(), seed.end());
    for (int i = 3; i >= 0; --i) in.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
    Bytes d = sha256(BytesView(in.data(), in.size()));
    wide.insert(wide.end(), d.begin(), d.end());
    secure_wipe(d.data(), d.size());
  }
  wide.resize(kBytes);
  wide[0] |= 0xC0;
  wide[kBytes - 1] |= 0x01;
  Bignum p = secret_bn(BytesView(wide.data(), wide.size()));
  for (int step = 0; step < (1 << 16); ++step) {
    const int prime = BN_check_prime(p.get(), ctx, nullptr);
    if (prime < 0) return openssl_internal("BN_check_prime");
    if (prime == 1) {
      if (BN_num_bits(p.get()) != kPrimeBits) break;  // ran past 2^1024: give up on this seed
      return p;
    }
    if (BN_add_word(p.get(), 2) != 1) openssl_fatal("BN_add_word");
  }
  return invalid_argument("paillier_bad_seed", "no prime found from this seed");
}

}  // namespace

Result<PublicKey> PublicKey::from_modulus(BytesView n) {
  PublicKey k;
  k.n_ = bn(n);
  const int bits = BN_num_bits(k.n_.get());
  if (bits < kModulusBits - 1 || bits > 4096) return bad_modulus("not 2047 to 4096 bits");
  if (!BN_is_odd(k.n_.get())) return bad_modulus("even");
  BnCtx ctx = bn_ctx_new();
  k.n2_ = bn_new();
  if (BN_sqr(k.n2_.get(), k.n_.get(), ctx.get()) != 1) openssl_fatal("BN_sqr");
  return k;
}

PublicKey::PublicKey(const PublicKey& o) : n_(dup(o.n_.get())), n2_(dup(o.n2_.get())) {}

Bytes PublicKey::modulus() const { return bn_codec::to_min_bytes(n_.get()); }
std::size_t PublicKey::modulus_size() const { return static_cast<std::size_t>(BN_num_bytes(n_.get())); }
std::size_t PublicKey::ciphertext_size() const { return static_cast<std::size_t>(BN_num_bytes(n2_.get())); }

Bignum PublicKey::encrypt(const BIGNUM* m, const BIGNUM* r, BN_CTX* ctx) const {
  Bignum gm = g_pow(m, n_.get(), n2_.get(), ctx);
  Bignum rn = bn_new();
  if (BN_mod_exp_mont_consttime(rn.get(), r, n_.get(), n2_.get(), ctx, nullptr) != 1) {
    openssl_fatal("BN_mod_exp_mont_consttime");
  }
  Bignum c = bn_new();
  if (BN_mod_mul(c.get(), gm.get(), rn.get(), n2_.get(), ctx) != 1) openssl_fatal("BN_mod_mul");
  return c;
}

Bignum PublicKey::encrypt(const BIGNUM* m, Rng& rng, BN_CTX* ctx) const {
  Bignum r = random_unit(rng, ctx);
  return encrypt(m, r.get(), ctx);
}

Bignum PublicKey::add(const BIGNUM* c1, const BIGNUM* c2, BN_CTX* ctx) const {
  Bignum c = bn_new();
  if (BN_mod_mul(c.get(), c1, c2, n2_.get(), ctx) != 1) openssl_fatal("BN_mod_mul");
  return c;
}

Bignum PublicKey::scale(const BIGNUM* c, const BIGNUM* k, BN_CTX* ctx) const {
  Bignum out = bn_new();
  if (BN_mod_exp_mont_consttime(out.get(), c, k, n2_.get(), ctx, nullptr) != 1) {
    openssl_fatal("BN_mod_exp_mont_consttime");
  }
  return out;
}

bool PublicKey::valid_ciphertext(const BIGNUM* c, BN_CTX* ctx) const {
  if (BN_is_negative(c) || BN_is_zero(c) || BN_cmp(c, n2_.get()) >= 0) return false;
  Bignum g = bn_new();
  if (BN_gcd(g.get(), c, n_.get(), ctx) != 1) openssl_fatal("BN_gcd");
  return BN_is_one(g.get()) == 1;
}

Bignum PublicKey::random_unit(Rng& rng, BN_CTX* ctx) const {
  for (;;) {
    Bignum r = bn_codec::random_below(n_.get(), rng, ctx);
    if (BN_is_zero(r.get())) continue;
    Bignum g = bn_new();
    if (BN_gcd(g.get(), r.get(), n_.get(), ctx) != 1) openssl_fatal("BN_gcd");
    if (BN_is_one(g.get())) return r;
  }
}

Result<SecretKey> SecretKey::from_seed(BytesView seed) {
  if (seed.size() != kSeedSize) return invalid_argument("paillier_bad_seed", "a Paillier seed is 32 bytes");
  BnCtx ctx = bn_ctx_new();
  CS_ASSIGN(auto p, prime_from_seed(seed, 'p', ctx.get()));
  CS_ASSIGN(auto q, prime_from_seed(seed, 'q', ctx.get()));
  if (BN_cmp(p.get(), q.get()) == 0) return invalid_argument("paillier_bad_seed", "p = q");
  Bignum n = bn_new();
  if (BN_mul(n.get(), p.get(), q.get(), ctx.get()) != 1) openssl_fatal("BN_mul");
  CS_ASSIGN(auto pub, PublicKey::from_modulus(bn_codec::to_min_bytes(n.get())));
  SecretKey k(std::move(pub));
  Bignum p1 = dup(p.get()), q1 = dup(q.get());
  if (BN_sub_word(p1.get(), 1) != 1 || BN_sub_word(q1.get(), 1) != 1) openssl_fatal("BN_sub_word");
  k.phi_ = bn_new();
  BN_set_flags(k.phi_.get(), BN_FLG_CONSTTIME);
  if (BN_mul(k.phi_.get(), p1.get(), q1.get(), ctx.get()) != 1) openssl_fatal("BN_mul");
  // p, q of equal length make gcd(N, φ) = 1, so both inverses exist.
  k.mu_.reset(BN_mod_inverse(nullptr, k.phi_.get(), n.get(), ctx.get()));
  k.n_inv_.reset(BN_mod_inverse(nullptr, n.get(), k.phi_.get(), ctx.get()));
  if (!k.mu_ || !k.n_inv_) {
    drain_openssl_errors();
    return invalid_argument("paillier_bad_seed", "gcd(N, phi(N)) is not 1");
  }
  BN_set_flags(k.mu_.get(), BN_FLG_CONSTTIME);
  BN_set_flags(k.n_inv_.get(), BN_FLG_CONSTTIME);
  return k;
}

Result<SecretKey> SecretKey::generate(Rng& rng, SecretBytes* seed_out) {
  SecretBytes seed(kSeedSize);
  rng.fill(std::span<std::uint8_t>(seed.data(), seed.size()));
  CS_ASSIGN(auto k, from_seed(BytesView(seed.data(), seed.size())));
  if (seed_out) *seed_out = std::move(seed);
  return k;
}

Result<Bignum> SecretKey::decrypt(const BIGNUM* c, BN_CTX* ctx) const {
  if (!pub_.valid_ciphertext(c, ctx)) {
    return invalid_argument("paillier_bad_ciphertext", "not a Paillier ciphertext of this key");
  }
  Bignum u = bn_new();
  if (BN_mod_exp_mont_consttime(u.get(), c, phi_.get(), pub_.n_squared(), ctx, nullptr) != 1) {
    openssl_fatal("BN_mod_exp_mont_consttime");
  }
  if (BN_sub_word(u.get(), 1) != 1) openssl_fatal("BN_sub_word");
  Bignum l = bn_new(), rem = bn_new();
  if (BN_div(l.get(), rem.get(), u.get(), pub_.n(), ctx) != 1) openssl_fatal("BN_div");
  if (!BN_is_zero(rem.get())) return invalid_argument("paillier_bad_ciphertext", "not a Paillier ciphertext of this key");
  Bignum m = bn_new();
  if (BN_mod_mul(m.get(), l.get(), mu_.get(), pub_.n(), ctx) != 1) openssl_fatal("BN_mod_mul");
  return m;
}

Bignum SecretKey::nth_root(const BIGNUM* x, BN_CTX* ctx) const {
  Bignum s = bn_new();
  if (BN_mod_exp_mont_consttime(s.get(), x, n_inv_.get(), pub_.n(), ctx, nullptr) != 1) {
    openssl_fatal("BN_mod_exp_mont_consttime");
  }
  return s;
}

}  // namespace certseal::crypto::paillier
