#include "crypto/ecdsa_split.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/bn_codec.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "crypto/testing/interop.h"

namespace certseal::crypto::ecdsa_split {
namespace {

namespace fs = std::filesystem;
const std::string kContext = "device-0001";

struct Pair {
  DeviceShare device;
  ServerShare server;
};

// One honest enrolment for the suite (the proofs take a second or two), every message through
// its byte encoding as over HTTP.
const EnrolRequest& honest_request() {
  static const EnrolRequest r = [] {
    auto start = device_keygen_start(kContext, process_rng());
    EXPECT_TRUE(start.ok()) << (start.ok() ? "" : start.error().code);
    return EnrolRequest::decode(start->request.encode()).value();
  }();
  return r;
}
const Pair& pair() {
  static const Pair p = [] {
    auto start = device_keygen_start(kContext, process_rng());
    EXPECT_TRUE(start.ok());
    auto wire = EnrolRequest::decode(start->request.encode());
    EXPECT_TRUE(wire.ok());
    auto acc = server_accept(*wire, kContext, process_rng());
    EXPECT_TRUE(acc.ok()) << (acc.ok() ? "" : acc.error().code + " " + acc.error().message);
    auto dev = device_keygen_finish(start->state, acc->public_point);
    EXPECT_TRUE(dev.ok());
    const SecretBytes stored = acc->share.export_bytes();
    auto back = ServerShare::import_bytes(BytesView(stored.data(), stored.size()));
    EXPECT_TRUE(back.ok());
    return Pair{std::move(dev).value(), std::move(back).value()};
  }();
  return p;
}

Result<Bytes> two_party_sign(const DeviceShare& d, const ServerShare& s, BytesView message) {
  CS_ASSIGN(auto start, device_sign_start(d, sha256(message), process_rng()));
  CS_ASSIGN(auto wire, SignRequest::decode(start.request.encode()));
  CS_ASSIGN(auto resp, server_sign(s, wire, process_rng()));
  CS_ASSIGN(auto back, SignResponse::decode(resp.encode()));
  return device_sign_finish(d, start.state, back);
}

TEST(EcdsaSplit, HonestEnrolmentPassesBothProofs) {
  EXPECT_TRUE(verify_modulus_proof(honest_request(), kContext).ok());
  EXPECT_TRUE(verify_range_proof(honest_request(), kContext).ok());
  EXPECT_GE(BN_num_bits(bn_codec::bn(honest_request().n).get()), 2047);
}

TEST(EcdsaSplit, TwoPartySignatureVerifiesWithOpenSslCli) {
  const Pair& p = pair();
  const Bytes msg = to_bytes("投标函 第3包 P-256");
  auto sig = two_party_sign(p.device, p.server, msg);
  ASSERT_TRUE(sig.ok()) << sig.error().code;
  auto pub = PublicKey::from_spki_der(p.device.spki());
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(verify(*pub, SignScheme::kEcdsaSha256, msg, *sig).ok());
  EXPECT_FALSE(verify(*pub, SignScheme::kEcdsaSha256, to_bytes("other"), *sig).ok());
  // And the openssl CLI, with an ordinary public key file.
  const fs::path dir = fs::temp_directory_path() / ("ecdsa-split-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  testing::write_file((dir / "msg").string(), msg);
  testing::write_file((dir / "sig").string(), *sig);
  testing::write_file((dir / "pub.pem").string(), to_bytes(pub->pem()));
  auto r = testing::run_command("openssl dgst -sha256 -verify " + (dir / "pub.pem").string() + " -signature " +
                                (dir / "sig").string() + " " + (dir / "msg").string());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("Verified OK"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(EcdsaSplit, SignaturesAreLowSAndFresh) {
  const Pair& p = pair();
  auto a = two_party_sign(p.device, p.server, to_bytes("m"));
  auto b = two_party_sign(p.device, p.server, to_bytes("m"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  auto raw = ec_sig_der_to_raw(*a);
  ASSERT_TRUE(raw.ok());
  // s <= (q-1)/2: its top byte is at most 0x7f.
  EXPECT_LE((*raw)[32], 0x7f);
}

// Attacker: a device whose Q1 is not the key ckey encrypts.
TEST(EcdsaSplit, ServerRefusesAnotherQ1) {
  EnrolRequest r = honest_request();
  BnCtx ctx = bn_ctx_new();
  auto other = PrivateKey::generate(KeyType::kEcP256, process_rng());
  r.q1 = other->public_key().ec_point().value();
  auto a = server_accept(r, kContext, process_rng());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "ecdsa_split_bad_proof");
}

// Attacker: ckey encrypts x1 + q·2^200 (the same Q1), which would let the plaintext of c3 wrap
// mod N and leak x2; the range proof refuses it.
TEST(EcdsaSplit, ServerRefusesAnOutOfRangeX1) {
  BnCtx ctx = bn_ctx_new();
  auto key = PrivateKey::generate(KeyType::kEcP256, process_rng());
  const SecretBytes x = key->ec_scalar().value();
  Bignum big = bn_codec::secret_bn(BytesView(x.data(), x.size()));
  Bignum q = bn_codec::bn(Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51});
  ASSERT_EQ(BN_lshift(q.get(), q.get(), 200), 1);
  ASSERT_EQ(BN_add(big.get(), big.get(), q.get()), 1);
  auto start = TEST_keygen_start_with(kContext, bn_codec::to_min_bytes(big.get()), process_rng());
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->request.q1, key->public_key().ec_point().value());  // the same Q1 as x mod q
  EXPECT_TRUE(verify_modulus_proof(start->request, kContext).ok());
  auto a = server_accept(start->request, kContext, process_rng());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, "ecdsa_split_bad_proof");
  EXPECT_NE(a.error().message.find("range"), std::string::npos) << a.error().message;
}

// Attacker: a modulus with a small prime factor (3·N).
TEST(EcdsaSplit, ServerRefusesAModulusWithASmallFactor) {
  EnrolRequest r = honest_request();
  BnCtx ctx = bn_ctx_new();
  Bignum n = bn_codec::bn(r.n);
  ASSERT_EQ(BN_mul_word(n.get(), 3), 1);
  r.n = bn_codec::to_min_bytes(n.get());
  auto s = verify_modulus_proof(r, kContext);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "ecdsa_split_bad_proof");
  EXPECT_NE(s.error().message.find("small factor"), std::string::npos);
  EXPECT_FALSE(server_accept(r, kContext, process_rng()).ok());
}

// Attacker: a forged N-th root.
TEST(EcdsaSplit, ServerRefusesAForgedRoot) {
  EnrolRequest r = honest_request();
  r.sigma[3][100] ^= 0x01;
  auto s = verify_modulus_proof(r, kContext);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("N-th root"), std::string::npos);
  EXPECT_FALSE(server_accept(r, kContext, process_rng()).ok());
}

// Attacker: another device's proof replayed under this device's id; and a response tampered.
TEST(EcdsaSplit, ProofsAreBoundToTheContextAndEveryResponse) {
  EXPECT_FALSE(verify_modulus_proof(honest_request(), "device-0002").ok());
  EXPECT_FALSE(verify_range_proof(honest_request(), "device-0002").ok());
  EnrolRequest r = honest_request();
  r.u[5][200] ^= 0x40;
  EXPECT_FALSE(verify_range_proof(r, kContext).ok());
  r = honest_request();
  r.challenge[0] ^= 0x80;
  EXPECT_FALSE(verify_range_proof(r, kContext).ok());
}

// Attacker: a server that answers with a wrong c3 (here: computed with another x2) to learn
// about x1 from the device's reaction. The device refuses with ecdsa_split_abort.
TEST(EcdsaSplit, DeviceAbortsOnAMaliciousServerAnswer) {
  const Pair& p = pair();
  auto start = device_sign_start(p.device, sha256(to_bytes("m")), process_rng());
  ASSERT_TRUE(start.ok());
  // A share with x2 + 1.
  BnCtx ctx = bn_ctx_new();
  Bignum x2 = bn_codec::bn(BytesView(p.server.x2().data(), 32));
  ASSERT_EQ(BN_add_word(x2.get(), 1), 1);
  const SecretBytes stored = p.server.export_bytes();
  SecretBytes forged = stored;
  const Bytes x2b = bn_codec::to_bytes(x2.get(), 32).value();
  std::copy(x2b.begin(), x2b.end(), forged.begin() + 4);  // tag, version, u16 length, then x2
  auto evil = ServerShare::import_bytes(BytesView(forged.data(), forged.size()));
  ASSERT_TRUE(evil.ok());
  auto resp = server_sign(*evil, start->request, process_rng());
  ASSERT_TRUE(resp.ok());
  auto sig = device_sign_finish(p.device, start->state, *resp);
  ASSERT_FALSE(sig.ok());
  EXPECT_EQ(sig.error().code, "ecdsa_split_abort");
  // A c3 that is not even a ciphertext, and an R2 off the curve: the same.
  auto honest = server_sign(p.server, start->request, process_rng());
  ASSERT_TRUE(honest.ok());
  SignResponse bad = *honest;
  bad.c3[bad.c3.size() - 1] ^= 1;
  EXPECT_EQ(device_sign_finish(p.device, start->state, bad).error().code, "ecdsa_split_abort");
  bad = *honest;
  bad.r2[64] ^= 1;
  EXPECT_EQ(device_sign_finish(p.device, start->state, bad).error().code, "ecdsa_split_abort");
}

TEST(EcdsaSplit, ServerRefusesPointsOffTheCurve) {
  const Pair& p = pair();
  auto start = device_sign_start(p.device, sha256(to_bytes("m")), process_rng());
  ASSERT_TRUE(start.ok());
  SignRequest r = start->request;
  r.r1[40] ^= 1;
  EXPECT_EQ(server_sign(p.server, r, process_rng()).error().code, "bad_point");
  EcdhRequest e{Bytes(65, 0)};
  e.t1[0] = 0x04;
  EXPECT_EQ(server_ecdh(p.server, e).error().code, "bad_point");
  EXPECT_EQ(device_ecdh_start(p.device, e.t1, process_rng()).error().code, "bad_point");
}

// Two-party ECDH gives what an ordinary sender computes against Q, and the server sees a
// blinded point that changes every time.
TEST(EcdsaSplit, TwoPartyEcdhMatchesOpenSslDerive) {
  const Pair& p = pair();
  auto eph = PrivateKey::generate(KeyType::kEcP256, process_rng());
  ASSERT_TRUE(eph.ok());
  auto q = PublicKey::from_spki_der(p.device.spki());
  EvpPkeyCtx dctx(EVP_PKEY_CTX_new_from_pkey(nullptr, eph->get(), nullptr));
  ASSERT_EQ(EVP_PKEY_derive_init(dctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_derive_set_peer(dctx.get(), q->get()), 1);
  std::size_t len = 0;
  ASSERT_EQ(EVP_PKEY_derive(dctx.get(), nullptr, &len), 1);
  Bytes expect(len);
  ASSERT_EQ(EVP_PKEY_derive(dctx.get(), expect.data(), &len), 1);
  const Bytes r = eph->public_key().ec_point().value();
  auto s1 = device_ecdh_start(p.device, r, process_rng());
  auto s2 = device_ecdh_start(p.device, r, process_rng());
  ASSERT_TRUE(s1.ok() && s2.ok());
  EXPECT_NE(s1->request.t1, s2->request.t1);
  auto resp = server_ecdh(p.server, EcdhRequest::decode(s1->request.encode()).value());
  ASSERT_TRUE(resp.ok());
  auto z = device_ecdh_finish(p.device, s1->state, EcdhResponse::decode(resp->encode()).value());
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(Bytes(z->begin(), z->end()), expect);
}

TEST(EcdsaSplit, MessagesRefuseTruncationAndWrongTags) {
  const Bytes wire = honest_request().encode();
  EXPECT_FALSE(EnrolRequest::decode(BytesView(wire).first(wire.size() - 1)).ok());
  EXPECT_FALSE(SignRequest::decode(wire).ok());
  EXPECT_FALSE(ServerShare::import_bytes(wire).ok());
  EXPECT_LT(wire.size(), 48u * 1024);  // fits the server's JSON body limit once in base64
}

}  // namespace
}  // namespace certseal::crypto::ecdsa_split
