#include "crypto/cipher.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/testing/interop.h"
#include "support/test_env.h"

namespace certseal::crypto {
namespace {

const char* kStdKey = "0123456789abcdeffedcba9876543210";

// GB/T 32907-2016 Annex A, example 1.
TEST(Sm4, StandardBlock) {
  Bytes key = *hex_decode(kStdKey);
  auto c = sm4_ecb_encrypt_block(key, key);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(hex_encode(*c), "681edf34d206965e86b3e94f536e4246");
  EXPECT_EQ(hex_encode(*sm4_ecb_decrypt_block(key, *c)), kStdKey);
}

// GB/T 32907-2016 Annex A, example 2: 1,000,000 encryptions under the same key.
TEST(Sm4, MillionIterations) {
  Bytes key = *hex_decode(kStdKey);
  auto enc = Sm4BlockEncryptor::create(key);
  ASSERT_TRUE(enc.ok());
  Bytes block = key;
  for (int i = 0; i < 1000000; ++i) enc->encrypt_block(block.data());
  EXPECT_EQ(hex_encode(block), "595298c7c6fd271f0402f804c33d3f66");
}

TEST(Sm4, CbcAndCtrMatchOpensslCli) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  Bytes key = rng.bytes(16);
  Bytes iv = rng.bytes(16);
  Bytes plain = rng.bytes(1000);
  testing::write_file(dir.path() + "/p", plain);
  for (std::string mode : {"sm4-cbc", "sm4-ctr"}) {
    auto r = testing::openssl("enc -" + mode + " -K " + hex_encode(key) + " -iv " + hex_encode(iv) + " -in " +
                              dir.path() + "/p -out " + dir.path() + "/c");
    ASSERT_EQ(r.exit_code, 0) << mode;
    Bytes theirs = testing::read_file(dir.path() + "/c");
    Bytes ours = mode == "sm4-cbc" ? *sm4_cbc_encrypt(key, iv, plain) : *sm4_ctr(key, iv, plain);
    EXPECT_EQ(ours, theirs) << mode;
  }
  auto back = sm4_cbc_decrypt(key, iv, *sm4_cbc_encrypt(key, iv, plain));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(Bytes(back->begin(), back->end()), plain);
}

TEST(Sm4, CbcMatchesSmCrypto) {
  SystemRng rng;
  Bytes key = rng.bytes(16);
  Bytes iv = rng.bytes(16);
  Bytes plain = rng.bytes(77);
  Bytes ours = *sm4_cbc_encrypt(key, iv, plain);
  EXPECT_EQ(testing::sm_crypto("sm4 encrypt " + hex_encode(key) + " " + hex_encode(iv) + " " + hex_encode(plain)),
            hex_encode(ours));
}

TEST(Sm4, CbcRejectsBadLengthsAndPadding) {
  Bytes key(16, 1);
  Bytes iv(16, 2);
  EXPECT_EQ(sm4_cbc_encrypt(Bytes(15), iv, key).error().code, "bad_key_length");
  EXPECT_EQ(sm4_cbc_encrypt(key, Bytes(8), key).error().code, "bad_iv_length");
  Bytes c = *sm4_cbc_encrypt(key, iv, as_bytes("hello"));
  c.back() ^= 1;
  EXPECT_EQ(sm4_cbc_decrypt(key, iv, c).error().code, "decryption_failed");
}

TEST(Sm4Aead, RoundTripAndTamper) {
  SystemRng rng;
  Bytes key = rng.bytes(32);
  Bytes aad = to_bytes("key-id-1");
  Bytes plain = to_bytes("a device share of 32 bytes......");
  Bytes sealed = *sm4_aead_seal(key, plain, aad, rng);
  EXPECT_EQ(sealed.size(), 16 + plain.size() + 32);
  auto open = sm4_aead_open(key, sealed, aad);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(Bytes(open->begin(), open->end()), plain);
  for (std::size_t i : {std::size_t{0}, std::size_t{20}, sealed.size() - 1}) {
    Bytes bad = sealed;
    bad[i] ^= 0x80;
    EXPECT_EQ(sm4_aead_open(key, bad, aad).error().code, "decryption_failed") << i;
  }
  EXPECT_EQ(sm4_aead_open(key, sealed, to_bytes("key-id-2")).error().code, "decryption_failed");
  Bytes other = rng.bytes(32);
  EXPECT_EQ(sm4_aead_open(other, sealed, aad).error().code, "decryption_failed");
  EXPECT_EQ(sm4_aead_open(key, Bytes(10), aad).error().code, "decryption_failed");
  // Empty plaintext still authenticates.
  Bytes empty_sealed = *sm4_aead_seal(key, {}, aad, rng);
  EXPECT_TRUE(sm4_aead_open(key, empty_sealed, aad).ok());
}

TEST(Aes256Gcm, RoundTripTamperAndOpensslCompat) {
  SystemRng rng;
  Bytes key = rng.bytes(32);
  Bytes plain = rng.bytes(100);
  Bytes sealed = *aes256_gcm_seal(key, plain, as_bytes("aad"), rng);
  auto open = aes256_gcm_open(key, sealed, as_bytes("aad"));
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(Bytes(open->begin(), open->end()), plain);
  Bytes bad = sealed;
  bad[50] ^= 1;
  EXPECT_EQ(aes256_gcm_open(key, bad, as_bytes("aad")).error().code, "decryption_failed");
  EXPECT_EQ(aes256_gcm_open(key, sealed, as_bytes("aae")).error().code, "decryption_failed");
  EXPECT_EQ(aes256_gcm_seal(Bytes(16), plain, {}, rng).error().code, "bad_key_length");
}

// NIST GCM test vector (gcmEncryptExtIV256, Count 0 with 128-bit PT): key 0, IV 0, P 0.
TEST(Aes256Gcm, KnownAnswer) {
  struct ZeroRng final : Rng {
    void fill(std::span<std::uint8_t> out) override { std::fill(out.begin(), out.end(), 0); }
  } zero;
  Bytes sealed = *aes256_gcm_seal(Bytes(32), Bytes(16), {}, zero);
  EXPECT_EQ(hex_encode(BytesView(sealed).subspan(12)),
            "cea7403d4d606b6e074ec5d3baf39d18" "d0d1c8a799996bf0265b98b5d48ab919");
}

// AES-GCM with the parts apart (CMS AuthEnvelopedData): the NIST vector for AES-128 (key 0, IV 0,
// P 0: C 0388dace..., tag ab6e47d4...), a 12-byte tag is the 16-byte one cut, and the refusals:
// wrong nonce, key or tag length, a flipped tag or AAD byte (no plaintext released).
TEST(AesGcm, PartsApartKnownAnswerTruncatedTagsAndRefusals) {
  Bytes tag;
  Bytes c = aes_gcm_encrypt(Bytes(16), Bytes(12), {}, Bytes(16), 16, &tag).value();
  EXPECT_EQ(hex_encode(c), "0388dace60b6a392f328c2b971b2fe78");
  EXPECT_EQ(hex_encode(tag), "ab6e47d42cec13bdf53a67b21257bddf");
  Bytes tag12;
  EXPECT_EQ(aes_gcm_encrypt(Bytes(16), Bytes(12), {}, Bytes(16), 12, &tag12).value(), c);
  EXPECT_EQ(tag12, Bytes(tag.begin(), tag.begin() + 12));
  auto p0 = aes_gcm_decrypt(Bytes(16), Bytes(12), {}, c, tag12);
  ASSERT_TRUE(p0.ok());
  EXPECT_EQ(Bytes(p0->begin(), p0->end()), Bytes(16));
  SystemRng rng;
  const Bytes key = rng.bytes(32), nonce = rng.bytes(12), aad = to_bytes("\x31\x00");
  Bytes t;
  Bytes ct = aes_gcm_encrypt(key, nonce, aad, as_bytes("bid"), 16, &t).value();
  auto p1 = aes_gcm_decrypt(key, nonce, aad, ct, t);
  ASSERT_TRUE(p1.ok());
  EXPECT_EQ(to_string(Bytes(p1->begin(), p1->end())), "bid");
  Bytes bad_t = t;
  bad_t[0] ^= 1;
  EXPECT_EQ(aes_gcm_decrypt(key, nonce, aad, ct, bad_t).error().code, "decryption_failed");
  EXPECT_EQ(aes_gcm_decrypt(key, nonce, to_bytes("\x31\x01"), ct, t).error().code, "decryption_failed");
  EXPECT_EQ(aes_gcm_decrypt(key, nonce, aad, ct, BytesView(t).subspan(0, 8)).error().code, "decryption_failed");
  EXPECT_EQ(aes_gcm_decrypt(key, rng.bytes(16), aad, ct, t).error().code, "bad_iv_length");
  EXPECT_EQ(aes_gcm_encrypt(Bytes(20), nonce, {}, ct, 16, &t).error().code, "bad_key_length");
  EXPECT_EQ(aes_gcm_encrypt(key, nonce, {}, ct, 8, &t).error().code, "bad_tag_length");
}

}  // namespace
}  // namespace certseal::crypto
