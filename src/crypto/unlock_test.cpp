#include "crypto/unlock.h"

#include <gtest/gtest.h>

#include "base/rng.h"

namespace certseal::crypto::unlock {
namespace {

TEST(ShieldUnlock, KeysDependOnPasswordSaltAndDevice) {
  SeededRng rng(7);
  const Bytes salt = rng.bytes(kArgon2SaltSize);
  auto a = derive("Pin#123456", salt, "dev-a", argon2_test_limits());
  auto a2 = derive("Pin#123456", salt, "dev-a", argon2_test_limits());
  auto b = derive("Pin#123456", salt, "dev-b", argon2_test_limits());
  auto w = derive("Pin#123457", salt, "dev-a", argon2_test_limits());
  ASSERT_TRUE(a.ok() && a2.ok() && b.ok() && w.ok());
  EXPECT_EQ(a->auth_key, a2->auth_key);
  EXPECT_EQ(a->share_key, a2->share_key);
  EXPECT_NE(a->auth_key, a->share_key);
  EXPECT_NE(a->auth_key, b->auth_key);
  EXPECT_NE(a->share_key, b->share_key);
  EXPECT_NE(a->auth_key, w->auth_key);
  EXPECT_EQ(derive("x", Bytes(8), "dev-a").error().code, "bad_salt");
  EXPECT_EQ(derive("x", salt, "").error().code, "bad_device_id");
}

TEST(ShieldUnlock, MaskRoundTripsAndAWrongKeyGivesAnotherScalar) {
  SeededRng rng(8);
  const Bytes d1 = rng.bytes(32);
  const Bytes k = rng.bytes(32), k2 = rng.bytes(32);
  const SecretBytes masked = mask_share(d1, k);
  EXPECT_NE(Bytes(masked.begin(), masked.end()), d1);
  const SecretBytes back = mask_share(masked, k);
  EXPECT_EQ(Bytes(back.begin(), back.end()), d1);
  const SecretBytes wrong = mask_share(masked, k2);
  EXPECT_NE(Bytes(wrong.begin(), wrong.end()), d1);
  const SecretBytes r = mask_share_for_recovery(d1, k, "dev-a");
  const SecretBytes r_back = mask_share_for_recovery(r, k, "dev-a");
  const SecretBytes r_other = mask_share_for_recovery(r, k, "dev-b");
  EXPECT_EQ(Bytes(r_back.begin(), r_back.end()), d1);
  EXPECT_NE(Bytes(r_other.begin(), r_other.end()), d1);
}

TEST(ShieldUnlock, ProofBindsEveryField) {
  SeededRng rng(9);
  const Bytes key = rng.bytes(32);
  const Bytes payload = to_bytes("request");
  const Bytes p = proof(key, "sign", "key1", "dev", "nonce", payload);
  EXPECT_EQ(p.size(), 32u);
  EXPECT_TRUE(check_proof(key, "sign", "key1", "dev", "nonce", payload, p));
  EXPECT_FALSE(check_proof(key, "decrypt", "key1", "dev", "nonce", payload, p));
  EXPECT_FALSE(check_proof(key, "sign", "key2", "dev", "nonce", payload, p));
  EXPECT_FALSE(check_proof(key, "sign", "key1", "dev2", "nonce", payload, p));
  EXPECT_FALSE(check_proof(key, "sign", "key1", "dev", "nonce2", payload, p));
  EXPECT_FALSE(check_proof(key, "sign", "key1", "dev", "nonce", to_bytes("requesu"), p));
  EXPECT_FALSE(check_proof(rng.bytes(32), "sign", "key1", "dev", "nonce", payload, p));
  EXPECT_FALSE(check_proof(key, "sign", "key1", "dev", "nonce", payload, Bytes(31)));
}

}  // namespace
}  // namespace certseal::crypto::unlock
