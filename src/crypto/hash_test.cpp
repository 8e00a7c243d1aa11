#include "crypto/hash.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/testing/interop.h"
#include "support/test_env.h"

namespace certseal::crypto {
namespace {

// GB/T 32905-2016 Annex A, examples 1 and 2.
TEST(Sm3, StandardVectors) {
  EXPECT_EQ(hex_encode(sm3(as_bytes("abc"))),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  std::string m;
  for (int i = 0; i < 16; ++i) m += "abcd";
  EXPECT_EQ(hex_encode(sm3(as_bytes(m))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

TEST(Sm3, IncrementalEqualsOneShot) {
  Hasher h(HashAlg::kSm3);
  h.update(as_bytes("ab")).update(as_bytes("c"));
  EXPECT_EQ(h.finish(), sm3(as_bytes("abc")));
  EXPECT_EQ(h.update(as_bytes("abc")).finish(), sm3(as_bytes("abc")));  // reusable after finish
}

TEST(Sha2, Fips180Vectors) {
  EXPECT_EQ(hex_encode(sha256(as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_encode(sha384(as_bytes("abc"))),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
}

// RFC 4231 test case 2.
TEST(Hmac, Sha256Rfc4231) {
  EXPECT_EQ(hex_encode(hmac_sha256(as_bytes("Jefe"), as_bytes("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, Sm3MatchesOpensslCli) {
  certseal::testing::TempDir dir;
  const std::string msg_path = dir.path() + "/m";
  Bytes msg = to_bytes("the quick brown fox jumps over the lazy dog");
  testing::write_file(msg_path, msg);
  Bytes key = *hex_decode("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021");
  auto r = testing::openssl("mac -digest SM3 -macopt hexkey:" + hex_encode(key) + " -in " + msg_path + " HMAC");
  ASSERT_EQ(r.exit_code, 0);
  std::string want = testing::trim(r.out);
  for (auto& c : want) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(hex_encode(hmac_sm3(key, msg)), want);
}

TEST(Sm3, MatchesSmCrypto) {
  Bytes msg(1000);
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i * 7);
  EXPECT_EQ(testing::sm_crypto("sm3 " + hex_encode(msg)), hex_encode(sm3(msg)));
}

}  // namespace
}  // namespace certseal::crypto
