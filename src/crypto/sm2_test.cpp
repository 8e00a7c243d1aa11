#include "crypto/sm2.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "crypto/pkey.h"
#include "crypto/testing/interop.h"
#include "support/test_env.h"

namespace certseal::crypto {
namespace {

using testing::openssl;
using testing::read_file;
using testing::sm_crypto;
using testing::write_file;

// GB/T 32918.5-2017 Annex A (= GM/T 0003.5-2012), examples on the recommended curve.
const char* kD = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8";
const char* kPub =
    "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13";
const char* kK = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21";

Bytes h(const char* s) { return *hex_decode(s); }
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(c));
  return s;
}

TEST(Sm2Vectors, PublicKeyFromStandardPrivateKey) {
  auto key = PrivateKey::ec_from_scalar(KeyType::kSm2, h(kD));
  ASSERT_TRUE(key.ok()) << key.error().cause;
  EXPECT_EQ(key->type(), KeyType::kSm2);
  EXPECT_EQ(hex_encode(*key->public_key().ec_point()), lower(kPub));
}

TEST(Sm2Vectors, SignatureExampleWithFixedK) {
  Bytes za = *sm2_za(h(kPub), kSm2DefaultId);
  EXPECT_EQ(hex_encode(za), lower("B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"));
  Bytes e = *sm2_message_digest(h(kPub), kSm2DefaultId, as_bytes("message digest"));
  EXPECT_EQ(hex_encode(e), lower("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"));
  auto rs = sm2_sign_digest_with_k(h(kD), e, h(kK));
  ASSERT_TRUE(rs.ok());
  EXPECT_EQ(hex_encode(*rs), lower("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
                                   "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"));
  // OpenSSL's verifier accepts the published signature (via our DER conversion).
  auto pub = PublicKey::sm2_from_point(h(kPub));
  ASSERT_TRUE(pub.ok());
  Bytes der = *ec_sig_raw_to_der(*rs);
  EXPECT_TRUE(verify(*pub, SignScheme::kSm2Sm3, as_bytes("message digest"), der).ok());
  EXPECT_EQ(verify(*pub, SignScheme::kSm2Sm3, as_bytes("message digesT"), der).error().code, "signature_invalid");
  EXPECT_FALSE(verify(*pub, SignScheme::kSm2Sm3, as_bytes("message digest"), der, "1234567812345679").ok());
}

TEST(Sm2Vectors, EncryptionExampleWithFixedK) {
  const std::string c1 =
      "0404EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
      "E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0";
  const std::string c3 = "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766";
  const std::string c2 = "21886CA989CA9C7D58087307CA93092D651EFA";
  auto c = sm2_encrypt_with_k(h(kPub), as_bytes("encryption standard"), h(kK));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(hex_encode(*c), lower(c1 + c3 + c2));
  auto old = sm2_encrypt_with_k(h(kPub), as_bytes("encryption standard"), h(kK), Sm2CipherOrder::kC1C2C3);
  EXPECT_EQ(hex_encode(*old), lower(c1 + c2 + c3));
  auto key = PrivateKey::ec_from_scalar(KeyType::kSm2, h(kD));
  auto m = sm2_decrypt(*key, *c);
  ASSERT_TRUE(m.ok()) << m.error().code;
  EXPECT_EQ(to_string(Bytes(m->begin(), m->end())), "encryption standard");
  auto m2 = sm2_decrypt(*key, *old, Sm2CipherOrder::kC1C2C3);
  ASSERT_TRUE(m2.ok());
  EXPECT_EQ(to_string(Bytes(m2->begin(), m2->end())), "encryption standard");
}

TEST(Sm2, SignVerifyRawAndDerForms) {
  SystemRng rng;
  auto key = PrivateKey::generate(KeyType::kSm2, rng);
  ASSERT_TRUE(key.ok());
  Bytes msg = to_bytes("hello");
  Bytes der = *sign(*key, SignScheme::kSm2Sm3, msg);
  Bytes raw = *ec_sig_der_to_raw(der);
  EXPECT_EQ(raw.size(), 64u);
  EXPECT_EQ(*ec_sig_raw_to_der(raw), der);
  EXPECT_TRUE(verify(key->public_key(), SignScheme::kSm2Sm3, msg, der).ok());
  // Our own verification equation agrees with OpenSSL's: re-sign with a fixed k and verify.
  Bytes e = *sm2_message_digest(*key->public_key().ec_point(), kSm2DefaultId, msg);
  SecretBytes d = *key->ec_scalar();
  Bytes rs = *sm2_sign_digest_with_k(d, e, rng.bytes(32));
  EXPECT_TRUE(verify(key->public_key(), SignScheme::kSm2Sm3, msg, *ec_sig_raw_to_der(rs)).ok());
  // Non-DER and trailing garbage are rejected.
  Bytes bad = der;
  bad.push_back(0);
  EXPECT_FALSE(ec_sig_der_to_raw(bad).ok());
  EXPECT_FALSE(verify(key->public_key(), SignScheme::kSm2Sm3, msg, bad).ok());
}

TEST(Sm2, CiphertextFormatsAndErrors) {
  SystemRng rng;
  auto key = PrivateKey::generate(KeyType::kSm2, rng);
  Bytes c = *sm2_encrypt(key->public_key(), as_bytes("bid 12345"));
  auto parsed = Sm2Ciphertext::parse_raw(c, Sm2CipherOrder::kC1C3C2);
  ASSERT_TRUE(parsed.ok());
  auto again = Sm2Ciphertext::parse_der(parsed->der());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->raw(Sm2CipherOrder::kC1C3C2), c);
  Bytes tampered = c;
  tampered.back() ^= 1;
  EXPECT_EQ(sm2_decrypt(*key, tampered).error().code, "decryption_failed");
  Bytes off_curve = c;
  off_curve[10] ^= 1;
  EXPECT_EQ(sm2_decrypt(*key, off_curve).error().code, "point_not_on_curve");
  EXPECT_EQ(sm2_decrypt(*key, Bytes(50, 4)).error().code, "bad_ciphertext");
}

// ---- openssl CLI, both ways ----

struct CliFiles {
  certseal::testing::TempDir dir;
  std::string p(const std::string& name) const { return dir.path() + "/" + name; }
};

TEST(Sm2Interop, OurSignaturesVerifyWithOpensslCli) {
  SystemRng rng;
  CliFiles f;
  auto key = PrivateKey::generate(KeyType::kSm2, rng);
  std::string pub_pem = key->public_key().pem();
  write_file(f.p("pub.pem"), as_bytes(pub_pem));
  Bytes msg = rng.bytes(333);
  write_file(f.p("msg"), msg);
  for (std::string id : {std::string(kSm2DefaultId), std::string("ALICE123@YAHOO.COM")}) {
    write_file(f.p("sig"), *sign(*key, SignScheme::kSm2Sm3, msg, id));
    auto r = openssl("pkeyutl -verify -pubin -inkey " + f.p("pub.pem") + " -rawin -digest sm3 -in " + f.p("msg") +
                     " -sigfile " + f.p("sig") + " -pkeyopt distid:" + id);
    EXPECT_EQ(r.exit_code, 0) << id;
    EXPECT_NE(r.out.find("Signature Verified Successfully"), std::string::npos) << r.out;
  }
  // A wrong ID must fail in openssl too (so the check above is meaningful).
  write_file(f.p("sig"), *sign(*key, SignScheme::kSm2Sm3, msg, "someone else"));
  auto r = openssl("pkeyutl -verify -pubin -inkey " + f.p("pub.pem") + " -rawin -digest sm3 -in " + f.p("msg") +
                   " -sigfile " + f.p("sig") + " -pkeyopt distid:1234567812345678 2>/dev/null");
  EXPECT_NE(r.exit_code, 0);
}

TEST(Sm2Interop, OpensslCliSignaturesVerifyHere) {
  CliFiles f;
  ASSERT_EQ(openssl("genpkey -algorithm SM2 -out " + f.p("k.pem")).exit_code, 0);
  ASSERT_EQ(openssl("pkey -in " + f.p("k.pem") + " -pubout -out " + f.p("p.pem")).exit_code, 0);
  write_file(f.p("msg"), as_bytes("signed by the openssl command line"));
  ASSERT_EQ(openssl("pkeyutl -sign -inkey " + f.p("k.pem") + " -rawin -digest sm3 -in " + f.p("msg") + " -out " +
                    f.p("sig") + " -pkeyopt distid:1234567812345678")
                .exit_code,
            0);
  auto pub = PublicKey::from_pem(to_string(read_file(f.p("p.pem"))));
  ASSERT_TRUE(pub.ok()) << pub.error().cause;
  EXPECT_EQ(pub->type(), KeyType::kSm2);
  Bytes sig = read_file(f.p("sig"));
  EXPECT_TRUE(verify(*pub, SignScheme::kSm2Sm3, read_file(f.p("msg")), sig).ok());
  EXPECT_FALSE(verify(*pub, SignScheme::kSm2Sm3, as_bytes("other"), sig).ok());
  // And the private key openssl made works here.
  auto key = PrivateKey::from_pem(to_string(read_file(f.p("k.pem"))));
  ASSERT_TRUE(key.ok()) << key.error().cause;
  EXPECT_EQ(key->type(), KeyType::kSm2);
  EXPECT_EQ(*key->public_key().ec_point(), *pub->ec_point());
}

TEST(Sm2Interop, CiphertextsBothWaysWithOpensslCli) {
  SystemRng rng;
  CliFiles f;
  ASSERT_EQ(openssl("genpkey -algorithm SM2 -out " + f.p("k.pem")).exit_code, 0);
  ASSERT_EQ(openssl("pkey -in " + f.p("k.pem") + " -pubout -out " + f.p("p.pem")).exit_code, 0);
  auto key = PrivateKey::from_pem(to_string(read_file(f.p("k.pem"))));
  ASSERT_TRUE(key.ok());
  // Ours -> openssl.
  Bytes plain = rng.bytes(200);
  Bytes c = *sm2_encrypt(key->public_key(), plain);
  write_file(f.p("c.der"), Sm2Ciphertext::parse_raw(c, Sm2CipherOrder::kC1C3C2)->der());
  auto r = openssl("pkeyutl -decrypt -inkey " + f.p("k.pem") + " -in " + f.p("c.der") + " -out " + f.p("out"));
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(read_file(f.p("out")), plain);
  // openssl -> ours.
  write_file(f.p("m"), plain);
  ASSERT_EQ(openssl("pkeyutl -encrypt -pubin -inkey " + f.p("p.pem") + " -in " + f.p("m") + " -out " + f.p("c2.der"))
                .exit_code,
            0);
  auto parsed = Sm2Ciphertext::parse_der(read_file(f.p("c2.der")));
  ASSERT_TRUE(parsed.ok());
  auto m = sm2_decrypt(*key, parsed->raw(Sm2CipherOrder::kC1C2C3), Sm2CipherOrder::kC1C2C3);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Bytes(m->begin(), m->end()), plain);
}

// ---- sm-crypto (node), both ways ----

TEST(Sm2Interop, SignaturesBothWaysWithSmCrypto) {
  SystemRng rng;
  auto key = PrivateKey::generate(KeyType::kSm2, rng);
  std::string priv_hex = hex_encode(*key->ec_scalar());
  std::string pub_hex = hex_encode(*key->public_key().ec_point());
  Bytes msg = rng.bytes(100);
  Bytes der = *sign(*key, SignScheme::kSm2Sm3, msg);
  EXPECT_EQ(sm_crypto("verify " + pub_hex + " " + hex_encode(msg) + " " + hex_encode(der) + " der"), "true");
  EXPECT_EQ(sm_crypto("verify " + pub_hex + " " + hex_encode(msg) + " " + hex_encode(*ec_sig_der_to_raw(der)) + " raw"),
            "true");
  Bytes other = *sign(*key, SignScheme::kSm2Sm3, msg, "other-id");
  EXPECT_EQ(sm_crypto("verify " + pub_hex + " " + hex_encode(msg) + " " + hex_encode(other) + " der"), "false");
  EXPECT_EQ(sm_crypto("verify " + pub_hex + " " + hex_encode(msg) + " " + hex_encode(other) + " der other-id"), "true");

  // Theirs -> ours (with their own key, raw and DER forms).
  std::string kp = sm_crypto("keygen");
  auto space = kp.find(' ');
  ASSERT_NE(space, std::string::npos);
  auto their_pub = PublicKey::sm2_from_point(*hex_decode(kp.substr(space + 1)));
  ASSERT_TRUE(their_pub.ok());
  std::string raw_sig = sm_crypto("sign " + kp.substr(0, space) + " " + hex_encode(msg) + " raw");
  Bytes their_der = *ec_sig_raw_to_der(*hex_decode(raw_sig));
  EXPECT_TRUE(verify(*their_pub, SignScheme::kSm2Sm3, msg, their_der).ok());
  std::string der_sig = sm_crypto("sign " + kp.substr(0, space) + " " + hex_encode(msg) + " der");
  EXPECT_TRUE(verify(*their_pub, SignScheme::kSm2Sm3, msg, *hex_decode(der_sig)).ok());
  EXPECT_FALSE(verify(*their_pub, SignScheme::kSm2Sm3, rng.bytes(100), *hex_decode(der_sig)).ok());
}

TEST(Sm2Interop, CiphertextsBothWaysWithSmCrypto) {
  SystemRng rng;
  auto key = PrivateKey::generate(KeyType::kSm2, rng);
  std::string priv_hex = hex_encode(*key->ec_scalar());
  std::string pub_hex = hex_encode(*key->public_key().ec_point());
  Bytes plain = rng.bytes(150);
  for (auto [order, mode] : {std::pair{Sm2CipherOrder::kC1C3C2, "1"}, std::pair{Sm2CipherOrder::kC1C2C3, "0"}}) {
    Bytes c = *sm2_encrypt(key->public_key(), plain, order);
    // sm-crypto's ciphertexts carry no 04 prefix.
    EXPECT_EQ(sm_crypto("decrypt " + priv_hex + " " + hex_encode(BytesView(c).subspan(1)) + " " + mode),
              hex_encode(plain));
    std::string theirs = sm_crypto("encrypt " + pub_hex + " " + hex_encode(plain) + " " + mode);
    auto m = sm2_decrypt(*key, *hex_decode("04" + theirs), order);
    ASSERT_TRUE(m.ok()) << m.error().code;
    EXPECT_EQ(Bytes(m->begin(), m->end()), plain);
  }
}

}  // namespace
}  // namespace certseal::crypto
