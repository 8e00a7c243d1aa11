#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "base/encoding.h"
#include "crypto/sm2.h"
#include "crypto/testing/interop.h"
#include "keystore/pkcs11_key_manager.h"
#include "keystore/software_key_manager.h"
#include "support/test_env.h"

namespace certseal::keystore {
namespace {

using crypto::EncryptScheme;
using crypto::KeyType;
using crypto::SignScheme;
namespace ct = crypto::testing;

constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

// Verifies `sig` over `msg` under the SPKI with the openssl CLI.
void expect_openssl_verifies(const std::string& dir, BytesView spki, BytesView msg, BytesView sig,
                             const std::string& opts) {
  auto pub = crypto::PublicKey::from_spki_der(spki);
  ASSERT_TRUE(pub.ok());
  ct::write_file(dir + "/pub.pem", as_bytes(pub->pem()));
  ct::write_file(dir + "/msg", msg);
  ct::write_file(dir + "/sig", sig);
  auto r = ct::openssl("pkeyutl -verify -pubin -inkey " + dir + "/pub.pem -rawin -in " + dir + "/msg -sigfile " + dir +
                       "/sig " + opts);
  EXPECT_EQ(r.exit_code, 0) << opts << "\n" << r.out;
  EXPECT_NE(r.out.find("Signature Verified Successfully"), std::string::npos);
}

// A fresh SoftHSM2 token in a temporary folder.
class SoftHsmToken {
 public:
  SoftHsmToken() {
    std::filesystem::create_directories(dir_.path() + "/tokens");
    conf_ = dir_.path() + "/softhsm2.conf";
    std::ofstream(conf_) << "directories.tokendir = " << dir_.path() << "/tokens\n"
                         << "objectstore.backend = file\nlog.level = ERROR\n";
    setenv("SOFTHSM2_CONF", conf_.c_str(), 1);
    auto r = ct::run_command("SOFTHSM2_CONF=" + conf_ +
                             " softhsm2-util --init-token --free --label certseal-test --so-pin 87654321 --pin 123456");
    ok_ = r.exit_code == 0;
  }
  bool ok() const { return ok_; }
  const std::string& path() const { return dir_.path(); }

 private:
  certseal::testing::TempDir dir_;
  std::string conf_;
  bool ok_ = false;
};

// ---- the same contract for both backends ----

void exercise_contract(KeyManager& km, const std::string& tmp, bool has_sm2) {
  SystemRng rng;
  Bytes msg = to_bytes("contract message");
  auto ec = km.generate(KeyType::kEcP256, "ec key");
  ASSERT_TRUE(ec.ok()) << ec.error().code << " " << ec.error().cause;
  EXPECT_EQ(ec->type, KeyType::kEcP256);
  EXPECT_EQ(ec->label, "ec key");
  auto sig = km.sign(ec->id, SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId);
  ASSERT_TRUE(sig.ok()) << sig.error().cause;
  expect_openssl_verifies(tmp, ec->public_key, msg, *sig, "-digest sha256");
  EXPECT_EQ(*km.public_key(ec->id), ec->public_key);

  auto rsa = km.generate(KeyType::kRsa2048, "rsa key");
  ASSERT_TRUE(rsa.ok()) << rsa.error().cause;
  auto rsig = km.sign(rsa->id, SignScheme::kRsaPkcs1Sha256, msg, crypto::kSm2DefaultId);
  ASSERT_TRUE(rsig.ok()) << rsig.error().cause;
  expect_openssl_verifies(tmp, rsa->public_key, msg, *rsig, "-digest sha256");
  auto pss = km.sign(rsa->id, SignScheme::kRsaPssSha256, msg, crypto::kSm2DefaultId);
  ASSERT_TRUE(pss.ok()) << pss.error().cause;
  expect_openssl_verifies(tmp, rsa->public_key, msg, *pss,
                          "-digest sha256 -pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32");
  // RSA decryption of data encrypted to the public key.
  auto pub = crypto::PublicKey::from_spki_der(rsa->public_key);
  Bytes secret = rng.bytes(32);
  auto plain = km.decrypt(rsa->id, EncryptScheme::kRsaPkcs1, *crypto::encrypt(*pub, EncryptScheme::kRsaPkcs1, secret));
  ASSERT_TRUE(plain.ok()) << plain.error().cause;
  EXPECT_EQ(Bytes(plain->begin(), plain->end()), secret);

  if (has_sm2) {
    auto sm2 = km.generate(KeyType::kSm2, "sm2 key");
    ASSERT_TRUE(sm2.ok());
    auto ssig = km.sign(sm2->id, SignScheme::kSm2Sm3, msg, crypto::kSm2DefaultId);
    ASSERT_TRUE(ssig.ok());
    expect_openssl_verifies(tmp, sm2->public_key, msg, *ssig, "-digest sm3 -pkeyopt distid:1234567812345678");
    auto spub = crypto::PublicKey::from_spki_der(sm2->public_key);
    auto m = km.decrypt(sm2->id, EncryptScheme::kSm2C1C3C2, *crypto::sm2_encrypt(*spub, secret));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(Bytes(m->begin(), m->end()), secret);
  } else {
    EXPECT_EQ(km.generate(KeyType::kSm2, "x").error().code, "unsupported_key_type");
  }

  // Import.
  auto imported_key = crypto::PrivateKey::generate(KeyType::kEcP256, rng);
  auto imported = km.import_key(*imported_key, "imported");
  ASSERT_TRUE(imported.ok()) << imported.error().cause;
  EXPECT_EQ(imported->public_key, imported_key->public_key().spki_der());
  auto isig = km.sign(imported->id, SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId);
  ASSERT_TRUE(isig.ok());
  EXPECT_TRUE(crypto::verify(imported_key->public_key(), SignScheme::kEcdsaSha256, msg, *isig).ok());

  // Mismatches and unknown ids.
  EXPECT_EQ(km.sign(ec->id, SignScheme::kRsaPkcs1Sha256, msg, crypto::kSm2DefaultId).error().code,
            "scheme_key_mismatch");
  EXPECT_EQ(km.sign("00ff", SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId).error().code, "key_not_found");
  EXPECT_EQ(km.sign("../etc/passwd", SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId).error().code,
            "key_not_found");

  // List and destroy.
  auto all = km.list();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), has_sm2 ? 4u : 3u);
  EXPECT_TRUE(km.destroy(ec->id).ok());
  EXPECT_EQ(km.sign(ec->id, SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId).error().code, "key_not_found");
  EXPECT_EQ(km.destroy(ec->id).error().code, "key_not_found");
  EXPECT_EQ(km.list()->size(), has_sm2 ? 3u : 2u);
}

TEST(SoftwareKeyManager, Contract) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  auto km = SoftwareKeyManager::open(dir.path() + "/keys", SecretBytes(32, 7), rng);
  ASSERT_TRUE(km.ok());
  EXPECT_EQ((*km)->backend(), "software");
  exercise_contract(**km, dir.path(), true);
}

TEST(SoftwareKeyManager, KeysAreSealedAtRestAndRotate) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  const std::string keys = dir.path() + "/keys";
  SecretBytes master1(32, 1);
  SecretBytes master2(32, 2);
  auto km = SoftwareKeyManager::open(keys, master1, rng);
  ASSERT_TRUE(km.ok());
  auto k = (*km)->generate(KeyType::kSm2, "seal key");
  ASSERT_TRUE(k.ok());
  // The private key is not in the file in the clear.
  auto priv_text = ct::read_file(keys + "/" + k->id + ".key");
  auto listed = (*km)->list();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(std::filesystem::status(keys + "/" + k->id + ".key").permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  Bytes msg = to_bytes("m");
  auto verify_with = [&](KeyManager& m) {
    auto sig = m.sign(k->id, SignScheme::kSm2Sm3, msg, crypto::kSm2DefaultId);
    if (!sig.ok()) return false;
    return crypto::verify(*crypto::PublicKey::from_spki_der(k->public_key), SignScheme::kSm2Sm3, msg, *sig).ok();
  };
  EXPECT_TRUE(verify_with(**km));

  // A wrong master key cannot use it.
  auto wrong = SoftwareKeyManager::open(keys, SecretBytes(32, 9), rng);
  EXPECT_EQ((*wrong)->sign(k->id, SignScheme::kSm2Sm3, msg, crypto::kSm2DefaultId).error().code, "master_key_unknown");

  // Rotation: afterwards only the new master key is needed.
  std::string before = (*km)->master_key_id();
  ASSERT_TRUE((*km)->rotate_master_key(master2).ok());
  EXPECT_NE((*km)->master_key_id(), before);
  EXPECT_EQ((*km)->master_key_id(), master_key_fingerprint(master2));
  auto only_new = SoftwareKeyManager::open(keys, master2, rng);
  EXPECT_TRUE(verify_with(**only_new));
  auto only_old = SoftwareKeyManager::open(keys, master1, rng);
  EXPECT_FALSE(verify_with(**only_old));

  // Tampering with the sealed blob or moving it to another id is detected.
  std::string path = keys + "/" + k->id + ".key";
  Bytes text = ct::read_file(path);
  std::string s = to_string(text);
  auto pos = s.find("\"sealed\": \"");
  ASSERT_NE(pos, std::string::npos);
  std::string tampered = s;
  char& c = tampered[pos + 20];
  c = c == 'A' ? 'B' : 'A';
  ct::write_file(path, as_bytes(tampered));
  EXPECT_EQ((*only_new)->sign(k->id, SignScheme::kSm2Sm3, msg, crypto::kSm2DefaultId).error().code,
            "keystore_corrupt");
  ct::write_file(path, text);
  EXPECT_TRUE(verify_with(**only_new));
}

// The unsealed key is cached for speed, but the file stays the truth: a key another server
// process destroyed is not used any more, a damaged file is refused, and threads sign at once.
TEST(SoftwareKeyManager, CachedKeyFollowsTheFileAndSignsConcurrently) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  const std::string keys = dir.path() + "/keys";
  auto km = SoftwareKeyManager::open(keys, SecretBytes(32, 1), rng);
  auto other = SoftwareKeyManager::open(keys, SecretBytes(32, 1), rng);
  auto k = (*km)->generate(KeyType::kEcP256, "ocsp");
  ASSERT_TRUE(k.ok());
  auto pub = crypto::PublicKey::from_spki_der(k->public_key);
  const Bytes msg = to_bytes("answer");

  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto sig = (*km)->sign(k->id, SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId);
        if (sig.ok() && crypto::verify(*pub, SignScheme::kEcdsaSha256, msg, *sig).ok()) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 100);

  // Damaged on disk after it was cached: refused, and good again once the file is restored.
  const std::string path = keys + "/" + k->id + ".key";
  Bytes text = ct::read_file(path);
  std::string damaged = to_string(text);
  auto pos = damaged.find("\"sealed\": \"");
  ASSERT_NE(pos, std::string::npos);
  damaged[pos + 20] = damaged[pos + 20] == 'A' ? 'B' : 'A';
  ct::write_file(path, as_bytes(damaged));
  EXPECT_EQ((*km)->sign(k->id, SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId).error().code,
            "keystore_corrupt");
  ct::write_file(path, text);
  EXPECT_TRUE((*km)->sign(k->id, SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId).ok());

  // Destroyed through another manager on the same directory: this one stops signing with it.
  ASSERT_TRUE((*other)->destroy(k->id).ok());
  EXPECT_EQ((*km)->sign(k->id, SignScheme::kEcdsaSha256, msg, crypto::kSm2DefaultId).error().code,
            "key_not_found");
}

TEST(SoftwareKeyManager, InterruptedRotationRecoversWithPreviousKeys) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  const std::string keys = dir.path() + "/keys";
  auto km = SoftwareKeyManager::open(keys, SecretBytes(32, 1), rng);
  auto a = (*km)->generate(KeyType::kEcP256, "a");
  // A second manager (new master key, old one as previous) sees files sealed under the old key.
  auto km2 = SoftwareKeyManager::open(keys, SecretBytes(32, 2), rng, {SecretBytes(32, 1)});
  auto b = (*km2)->generate(KeyType::kEcP256, "b");
  EXPECT_TRUE((*km2)->sign(a->id, SignScheme::kEcdsaSha256, as_bytes("x"), crypto::kSm2DefaultId).ok());
  EXPECT_TRUE((*km2)->sign(b->id, SignScheme::kEcdsaSha256, as_bytes("x"), crypto::kSm2DefaultId).ok());
  ASSERT_TRUE((*km2)->rotate_master_key(SecretBytes(32, 3)).ok());
  auto km3 = SoftwareKeyManager::open(keys, SecretBytes(32, 3), rng);
  EXPECT_TRUE((*km3)->sign(a->id, SignScheme::kEcdsaSha256, as_bytes("x"), crypto::kSm2DefaultId).ok());
  EXPECT_TRUE((*km3)->sign(b->id, SignScheme::kEcdsaSha256, as_bytes("x"), crypto::kSm2DefaultId).ok());
  EXPECT_EQ(SoftwareKeyManager::open(keys, SecretBytes(8, 3), rng).error().code, "bad_master_key");
}

// certseald checks at start that the master key it was given sealed the stored keys (L4: the key
// may now come from a file anywhere, the environment or a token, so a wrong one must be caught).
TEST(SoftwareKeyManager, CheckMasterKeyRefusesAnotherKey) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  const std::string keys = dir.path() + "/keys";
  auto empty = SoftwareKeyManager::open(keys, SecretBytes(32, 5), rng);
  EXPECT_TRUE((*empty)->check_master_key().ok());  // nothing stored yet: any key passes
  ASSERT_TRUE((*empty)->generate(KeyType::kEcP256, "a").ok());
  EXPECT_TRUE((*empty)->check_master_key().ok());
  auto other = SoftwareKeyManager::open(keys, SecretBytes(32, 6), rng);
  auto refused = (*other)->check_master_key();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "bad_master_key");
  auto rotating = SoftwareKeyManager::open(keys, SecretBytes(32, 6), rng, {SecretBytes(32, 5)});
  EXPECT_TRUE((*rotating)->check_master_key().ok());
}

TEST(Pkcs11KeyManager, SoftHsmP256AndRsaVerifiedByOpenssl) {
  ASSERT_TRUE(std::filesystem::exists(kSoftHsmModule)) << "softhsm2 is not installed: run scripts/setup";
  SoftHsmToken token;
  ASSERT_TRUE(token.ok()) << "softhsm2-util --init-token failed";
  SystemRng rng;
  auto km = Pkcs11KeyManager::open(kSoftHsmModule, "certseal-test", SecretString("123456"), rng);
  ASSERT_TRUE(km.ok()) << km.error().code << " " << km.error().cause;
  EXPECT_EQ((*km)->backend(), "pkcs11");
  exercise_contract(**km, token.path(), false);
  // A 3072-bit RSA key and OAEP decryption.
  auto rsa = (*km)->generate(KeyType::kRsa3072, "rsa3072");
  ASSERT_TRUE(rsa.ok()) << rsa.error().cause;
  Bytes msg = to_bytes("pdf signed attributes");
  auto sig = (*km)->sign(rsa->id, SignScheme::kRsaPkcs1Sha256, msg, crypto::kSm2DefaultId);
  ASSERT_TRUE(sig.ok());
  expect_openssl_verifies(token.path(), rsa->public_key, msg, *sig, "-digest sha256");
  auto pub = crypto::PublicKey::from_spki_der(rsa->public_key);
  EXPECT_EQ(pub->type(), KeyType::kRsa3072);
  Bytes secret = rng.bytes(40);
  auto m = (*km)->decrypt(rsa->id, EncryptScheme::kRsaOaepSha256,
                          *crypto::encrypt(*pub, EncryptScheme::kRsaOaepSha256, secret));
  if (m.ok()) {
    EXPECT_EQ(Bytes(m->begin(), m->end()), secret);
  } else {
    // SoftHSM2 2.6 accepts OAEP only with SHA-1 (it answers CKR_ARGUMENTS_BAD): a clear error.
    EXPECT_EQ(m.error().code, "pkcs11_mechanism_unsupported") << m.error().cause;
  }
}

TEST(Pkcs11KeyManager, WrongPinAndMissingToken) {
  SoftHsmToken token;
  ASSERT_TRUE(token.ok());
  SystemRng rng;
  auto bad_pin = Pkcs11KeyManager::open(kSoftHsmModule, "certseal-test", SecretString("000000"), rng);
  ASSERT_FALSE(bad_pin.ok());
  EXPECT_EQ(bad_pin.error().code, "pkcs11_pin_incorrect");
  auto no_token = Pkcs11KeyManager::open(kSoftHsmModule, "nope", SecretString("123456"), rng);
  EXPECT_EQ(no_token.error().code, "pkcs11_token_not_found");
  auto no_module = Pkcs11KeyManager::open("/nonexistent/libp11.so", "x", SecretString("1"), rng);
  EXPECT_EQ(no_module.error().code, "pkcs11_module");
}

}  // namespace
}  // namespace certseal::keystore
