#include "crypto/pkey.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/testing/interop.h"
#include "support/test_env.h"

namespace certseal::crypto {
namespace {

using testing::openssl;
using testing::read_file;
using testing::write_file;

struct Case {
  KeyType type;
  SignScheme scheme;
  std::string cli;  // extra openssl pkeyutl options
};

TEST(PKey, SignaturesVerifyWithOpensslCli) {
  SystemRng rng;
  certseal::testing::TempDir dir;
  Bytes msg = rng.bytes(500);
  write_file(dir.path() + "/msg", msg);
  const Case cases[] = {
      {KeyType::kEcP256, SignScheme::kEcdsaSha256, "-digest sha256"},
      {KeyType::kEcP256, SignScheme::kEcdsaSha384, "-digest sha384"},
      {KeyType::kRsa2048, SignScheme::kRsaPkcs1Sha256, "-digest sha256"},
      {KeyType::kRsa2048, SignScheme::kRsaPssSha256,
       "-digest sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 -pkeyopt rsa_mgf1_md:sha256"},
      {KeyType::kRsa3072, SignScheme::kRsaPssSha256,
       "-digest sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32"},
  };
  for (const Case& c : cases) {
    auto key = PrivateKey::generate(c.type, rng);
    ASSERT_TRUE(key.ok()) << key.error().cause;
    EXPECT_EQ(key->type(), c.type);
    auto sig = sign(*key, c.scheme, msg);
    ASSERT_TRUE(sig.ok()) << sig.error().cause;
    EXPECT_TRUE(verify(key->public_key(), c.scheme, msg, *sig).ok());
    write_file(dir.path() + "/pub.pem", as_bytes(key->public_key().pem()));
    write_file(dir.path() + "/sig", *sig);
    auto r = openssl("pkeyutl -verify -pubin -inkey " + dir.path() + "/pub.pem -rawin -in " + dir.path() +
                     "/msg -sigfile " + dir.path() + "/sig " + c.cli);
    EXPECT_EQ(r.exit_code, 0) << key_type_name(c.type) << " " << c.cli;
    // PKCS#8 round trip keeps the key.
    auto again = PrivateKey::from_pkcs8_der(key->pkcs8_der());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->public_key().spki_der(), key->public_key().spki_der());
    // Scheme/key mismatch is an error, not a crash.
    EXPECT_EQ(sign(*key, SignScheme::kSm2Sm3, msg).error().code, "scheme_key_mismatch");
  }
}

TEST(PKey, OpensslCliKeysAndSignaturesWorkHere) {
  certseal::testing::TempDir dir;
  const std::string d = dir.path();
  write_file(d + "/msg", as_bytes("made by openssl"));
  ASSERT_EQ(openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " + d + "/ec.pem").exit_code, 0);
  ASSERT_EQ(openssl("genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out " + d + "/rsa.pem 2>/dev/null").exit_code, 0);
  ASSERT_EQ(openssl("pkeyutl -sign -inkey " + d + "/ec.pem -rawin -digest sha256 -in " + d + "/msg -out " + d + "/ec.sig")
                .exit_code,
            0);
  ASSERT_EQ(openssl("pkeyutl -sign -inkey " + d + "/rsa.pem -rawin -digest sha256 -in " + d + "/msg -out " + d +
                    "/rsa.sig -pkeyopt rsa_padding_mode:pss")
                .exit_code,
            0);
  auto ec = PrivateKey::from_pem(to_string(read_file(d + "/ec.pem")));
  auto rsa = PrivateKey::from_pem(to_string(read_file(d + "/rsa.pem")));
  ASSERT_TRUE(ec.ok() && rsa.ok());
  EXPECT_EQ(ec->type(), KeyType::kEcP256);
  EXPECT_EQ(rsa->type(), KeyType::kRsa2048);
  Bytes msg = read_file(d + "/msg");
  EXPECT_TRUE(verify(ec->public_key(), SignScheme::kEcdsaSha256, msg, read_file(d + "/ec.sig")).ok());
  EXPECT_TRUE(verify(rsa->public_key(), SignScheme::kRsaPssSha256, msg, read_file(d + "/rsa.sig")).ok());
  EXPECT_FALSE(verify(rsa->public_key(), SignScheme::kRsaPkcs1Sha256, msg, read_file(d + "/rsa.sig")).ok());
}

// A PKCS#1 v1.5 signature of a digest the caller computed (the PC link's CKM_RSA_PKCS): it
// verifies for that digest only, not for another digest, a truncated one, or on an SM2 key.
TEST(PKey, RsaPkcs1Sha256DigestVerification) {
  SystemRng rng;
  auto rsa = PrivateKey::generate(KeyType::kRsa2048, rng);
  ASSERT_TRUE(rsa.ok());
  const Bytes msg = to_bytes("投标文件 第3包");
  auto sig = sign(*rsa, SignScheme::kRsaPkcs1Sha256, msg);
  ASSERT_TRUE(sig.ok());
  const Bytes digest = sha256(msg);
  EXPECT_TRUE(verify_rsa_pkcs1_sha256_digest(rsa->public_key(), digest, *sig).ok());
  Bytes other = digest;
  other[0] ^= 1;
  EXPECT_EQ(verify_rsa_pkcs1_sha256_digest(rsa->public_key(), other, *sig).error().code, "signature_invalid");
  EXPECT_FALSE(verify_rsa_pkcs1_sha256_digest(rsa->public_key(), BytesView(digest.data(), 31), *sig).ok());
  Bytes bad_sig = *sig;
  bad_sig.back() ^= 1;
  EXPECT_FALSE(verify_rsa_pkcs1_sha256_digest(rsa->public_key(), digest, bad_sig).ok());
  auto sm2 = PrivateKey::generate(KeyType::kSm2, rng);
  ASSERT_TRUE(sm2.ok());
  EXPECT_FALSE(verify_rsa_pkcs1_sha256_digest(sm2->public_key(), digest, *sig).ok());
}

// An ECDSA P-256 signature of a digest the caller computed (the PC link's CKM_ECDSA): it
// verifies for that digest only, not for another or a truncated one, nor under another key type.
TEST(PKey, EcdsaP256Sha256DigestVerification) {
  SystemRng rng;
  auto ec = PrivateKey::generate(KeyType::kEcP256, rng);
  ASSERT_TRUE(ec.ok());
  const Bytes msg = to_bytes("投标文件 第5包");
  auto sig = sign(*ec, SignScheme::kEcdsaSha256, msg);
  ASSERT_TRUE(sig.ok());
  const Bytes digest = sha256(msg);
  EXPECT_TRUE(verify_ecdsa_p256_sha256_digest(ec->public_key(), digest, *sig).ok());
  Bytes other = digest;
  other[0] ^= 1;
  EXPECT_EQ(verify_ecdsa_p256_sha256_digest(ec->public_key(), other, *sig).error().code, "signature_invalid");
  EXPECT_FALSE(verify_ecdsa_p256_sha256_digest(ec->public_key(), BytesView(digest.data(), 31), *sig).ok());
  EXPECT_FALSE(verify_ecdsa_p256_sha256_digest(ec->public_key(), digest, Bytes(64, 1)).ok());
  auto sm2 = PrivateKey::generate(KeyType::kSm2, rng);
  ASSERT_TRUE(sm2.ok());
  EXPECT_EQ(verify_ecdsa_p256_sha256_digest(sm2->public_key(), digest, *sig).error().code, "scheme_key_mismatch");
}

TEST(PKey, RsaEncryptionBothWaysWithOpensslCli) {
  SystemRng rng;
  certseal::testing::TempDir dir;
  const std::string d = dir.path();
  auto key = PrivateKey::generate(KeyType::kRsa2048, rng);
  SecretString pem = key->pem();
  write_file(d + "/k.pem", as_bytes(std::string_view(pem.data(), pem.size())));
  Bytes plain = rng.bytes(64);
  write_file(d + "/c", *encrypt(key->public_key(), EncryptScheme::kRsaOaepSha256, plain));
  ASSERT_EQ(openssl("pkeyutl -decrypt -inkey " + d + "/k.pem -in " + d + "/c -out " + d +
                    "/p -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256")
                .exit_code,
            0);
  EXPECT_EQ(read_file(d + "/p"), plain);
  ASSERT_EQ(openssl("pkeyutl -encrypt -inkey " + d + "/k.pem -in " + d + "/p -out " + d + "/c2").exit_code, 0);
  auto m = decrypt(*key, EncryptScheme::kRsaPkcs1, read_file(d + "/c2"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Bytes(m->begin(), m->end()), plain);
}

TEST(PKey, BadInputsAreErrors) {
  EXPECT_EQ(PublicKey::from_spki_der(Bytes{1, 2, 3}).error().code, "bad_key_encoding");
  EXPECT_EQ(PrivateKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").error().code,
            "bad_key_encoding");
  EXPECT_EQ(PrivateKey::ec_from_scalar(KeyType::kSm2, Bytes(32, 0)).error().code, "scalar_out_of_range");
  EXPECT_EQ(PrivateKey::ec_from_scalar(KeyType::kSm2, Bytes(32, 0xff)).error().code, "scalar_out_of_range");
  EXPECT_EQ(*key_type_from_name("rsa-3072"), KeyType::kRsa3072);
  EXPECT_FALSE(key_type_from_name("dsa").ok());
}

}  // namespace
}  // namespace certseal::crypto
