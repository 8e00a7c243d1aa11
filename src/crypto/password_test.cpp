#include "crypto/password.h"

#include <gtest/gtest.h>

namespace certseal::crypto {
namespace {

TEST(Argon2id, HashAndVerify) {
  auto h = password_hash("correct horse", argon2_test_limits());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(password_verify(*h, "correct horse"));
  EXPECT_FALSE(password_verify(*h, "correct horsf"));
  EXPECT_FALSE(password_verify("garbage", "correct horse"));
  auto h2 = password_hash("correct horse", argon2_test_limits());
  EXPECT_NE(*h, *h2);  // fresh salt each time
}

TEST(Argon2id, DeriveKeyIsDeterministicPerSalt) {
  SystemRng rng;
  Bytes salt = rng.bytes(kArgon2SaltSize);
  auto a = derive_key_argon2id("123456", salt, 32, argon2_test_limits());
  auto b = derive_key_argon2id("123456", salt, 32, argon2_test_limits());
  auto c = derive_key_argon2id("123457", salt, 32, argon2_test_limits());
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  EXPECT_EQ(derive_key_argon2id("x", Bytes(8), 32).error().code, "bad_salt_length");
}

}  // namespace
}  // namespace certseal::crypto
