#include "crypto/paillier.h"

#include <gtest/gtest.h>

#include "crypto/bn_codec.h"
#include "crypto/pkey.h"

namespace certseal::crypto::paillier {
namespace {

using bn_codec::bn;

// One key for the suite: prime generation is the slow part.
const SecretKey& key() {
  static const SecretKey k = [] {
    SecretBytes seed;
    auto g = SecretKey::generate(process_rng(), &seed);
    EXPECT_TRUE(g.ok());
    return std::move(g).value();
  }();
  return k;
}

Bignum random_mod_n(BN_CTX* ctx) { return bn_codec::random_below(key().public_key().n(), process_rng(), ctx); }

TEST(Paillier, ModulusHas2048BitsAndTheSeedIsDeterministic) {
  const Bytes seed(32, 0x42);
  auto a = SecretKey::from_seed(seed);
  auto b = SecretKey::from_seed(seed);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(BN_num_bits(a->public_key().n()), 2048);
  EXPECT_EQ(a->public_key().modulus(), b->public_key().modulus());
  auto c = SecretKey::from_seed(Bytes(32, 0x43));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->public_key().modulus(), c->public_key().modulus());
  EXPECT_FALSE(SecretKey::from_seed(Bytes(31, 0)).ok());
}

TEST(Paillier, DecryptInvertsEncrypt) {
  BnCtx ctx = bn_ctx_new();
  for (int i = 0; i < 3; ++i) {
    Bignum m = random_mod_n(ctx.get());
    Bignum c = key().public_key().encrypt(m.get(), process_rng(), ctx.get());
    auto back = key().decrypt(c.get(), ctx.get());
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(BN_cmp(back->get(), m.get()), 0);
  }
}

TEST(Paillier, EncryptionIsRandomised) {
  BnCtx ctx = bn_ctx_new();
  Bignum m = bn_codec::from_word(7);
  Bignum c1 = key().public_key().encrypt(m.get(), process_rng(), ctx.get());
  Bignum c2 = key().public_key().encrypt(m.get(), process_rng(), ctx.get());
  EXPECT_NE(BN_cmp(c1.get(), c2.get()), 0);
}

// Homomorphic addition and scalar multiplication against BIGNUM arithmetic mod N.
TEST(Paillier, HomomorphicAddAndScaleMatchBignumArithmetic) {
  BnCtx ctx = bn_ctx_new();
  const PublicKey& pk = key().public_key();
  Bignum a = random_mod_n(ctx.get()), b = random_mod_n(ctx.get()), k = random_mod_n(ctx.get());
  Bignum ca = pk.encrypt(a.get(), process_rng(), ctx.get());
  Bignum cb = pk.encrypt(b.get(), process_rng(), ctx.get());
  Bignum sum = pk.add(ca.get(), cb.get(), ctx.get());
  Bignum expect = bn_new();
  ASSERT_EQ(BN_mod_add(expect.get(), a.get(), b.get(), pk.n(), ctx.get()), 1);
  auto got = key().decrypt(sum.get(), ctx.get());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(BN_cmp(got->get(), expect.get()), 0);

  Bignum scaled = pk.scale(ca.get(), k.get(), ctx.get());
  ASSERT_EQ(BN_mod_mul(expect.get(), a.get(), k.get(), pk.n(), ctx.get()), 1);
  got = key().decrypt(scaled.get(), ctx.get());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(BN_cmp(got->get(), expect.get()), 0);
}

TEST(Paillier, KnownRandomnessGivesTheTextbookCiphertext) {
  BnCtx ctx = bn_ctx_new();
  const PublicKey& pk = key().public_key();
  Bignum m = bn_codec::from_word(12345), r = pk.random_unit(process_rng(), ctx.get());
  Bignum c = pk.encrypt(m.get(), r.get(), ctx.get());
  // (N+1)^m · r^N mod N² computed with plain exponentiations.
  Bignum g = bn_codec::dup(pk.n()), gm = bn_new(), rn = bn_new(), expect = bn_new();
  ASSERT_EQ(BN_add_word(g.get(), 1), 1);
  ASSERT_EQ(BN_mod_exp(gm.get(), g.get(), m.get(), pk.n_squared(), ctx.get()), 1);
  ASSERT_EQ(BN_mod_exp(rn.get(), r.get(), pk.n(), pk.n_squared(), ctx.get()), 1);
  ASSERT_EQ(BN_mod_mul(expect.get(), gm.get(), rn.get(), pk.n_squared(), ctx.get()), 1);
  EXPECT_EQ(BN_cmp(c.get(), expect.get()), 0);
}

TEST(Paillier, NthRootIsOne) {
  BnCtx ctx = bn_ctx_new();
  const PublicKey& pk = key().public_key();
  Bignum x = pk.random_unit(process_rng(), ctx.get());
  Bignum s = key().nth_root(x.get(), ctx.get());
  Bignum back = bn_new();
  ASSERT_EQ(BN_mod_exp(back.get(), s.get(), pk.n(), pk.n(), ctx.get()), 1);
  EXPECT_EQ(BN_cmp(back.get(), x.get()), 0);
}

TEST(Paillier, RefusesBadModuliAndCiphertexts) {
  EXPECT_EQ(PublicKey::from_modulus(Bytes(256, 0xff - 1)).error().code, "paillier_bad_modulus");  // even
  EXPECT_EQ(PublicKey::from_modulus(Bytes(128, 0xff)).error().code, "paillier_bad_modulus");      // 1024 bits
  BnCtx ctx = bn_ctx_new();
  Bignum zero = bn_new();
  EXPECT_EQ(key().decrypt(zero.get(), ctx.get()).error().code, "paillier_bad_ciphertext");
  Bignum multiple = bn_codec::dup(key().public_key().n());  // not coprime to N
  EXPECT_EQ(key().decrypt(multiple.get(), ctx.get()).error().code, "paillier_bad_ciphertext");
}

}  // namespace
}  // namespace certseal::crypto::paillier
