#include "crypto/rsa_split.h"

#include <gtest/gtest.h>

#include "crypto/hash.h"

namespace certseal::crypto::rsa_split {
namespace {

struct Pair {
  DeviceShare device;
  ServerShare server;
};

// Key generation with every message through its byte encoding, as over HTTP.
Pair make_pair(const std::string& device_id = "device-0001", KeyType t = KeyType::kRsa2048) {
  auto g = generate(t, device_id, process_rng());
  EXPECT_TRUE(g.ok()) << (g.ok() ? "" : g.error().code);
  const SecretBytes wire = g->request.encode();
  auto req = EnrolRequest::decode(BytesView(wire.data(), wire.size()));
  EXPECT_TRUE(req.ok());
  auto srv = server_accept(*req, t == KeyType::kRsa3072 ? 3072 : 2048, device_id);
  EXPECT_TRUE(srv.ok()) << (srv.ok() ? "" : srv.error().code);
  const SecretBytes stored = srv->export_bytes();
  auto back = ServerShare::import_bytes(BytesView(stored.data(), stored.size()));
  EXPECT_TRUE(back.ok());
  return {std::move(g->device), std::move(back).value()};
}

Result<Bytes> two_party_sign(const DeviceShare& d, const ServerShare& s, BytesView message) {
  CS_ASSIGN(auto start, device_sign_start(d, sha256(message)));
  CS_ASSIGN(auto wire, StepRequest::decode(start.request.encode()));
  CS_ASSIGN(auto resp, server_sign(s, wire));
  CS_ASSIGN(auto back, StepResponse::decode(resp.encode()));
  return device_sign_finish(d, start.state, back);
}

Result<SecretBytes> two_party_decrypt(const DeviceShare& d, const ServerShare& s, BytesView c, Padding p) {
  CS_ASSIGN(auto start, device_decrypt_start(d, c, process_rng()));
  CS_ASSIGN(auto wire, StepRequest::decode(start.request.encode()));
  CS_ASSIGN(auto resp, server_decrypt(s, wire));
  return device_decrypt_finish(d, start.state, resp, p);
}

PublicKey pub_of(const DeviceShare& d) { return PublicKey::from_spki_der(d.spki()).value(); }

TEST(RsaSplit, TwoPartySignatureVerifiesWithOpenSsl) {
  Pair p = make_pair();
  const Bytes msg = to_bytes("投标函 第3包");
  auto sig = two_party_sign(p.device, p.server, msg);
  ASSERT_TRUE(sig.ok()) << sig.error().code;
  EXPECT_EQ(sig->size(), 256u);
  EXPECT_TRUE(verify(pub_of(p.device), SignScheme::kRsaPkcs1Sha256, msg, *sig).ok());
  EXPECT_FALSE(verify(pub_of(p.device), SignScheme::kRsaPkcs1Sha256, to_bytes("other"), *sig).ok());
}

TEST(RsaSplit, Rsa3072Works) {
  Pair p = make_pair("device-3072", KeyType::kRsa3072);
  auto sig = two_party_sign(p.device, p.server, to_bytes("m"));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 384u);
  EXPECT_TRUE(verify(pub_of(p.device), SignScheme::kRsaPkcs1Sha256, to_bytes("m"), *sig).ok());
}

TEST(RsaSplit, DecryptsPkcs1AndOaepCiphertextsOfOpenSsl) {
  Pair p = make_pair();
  const Bytes key = to_bytes("0123456789abcdef0123456789abcdef");
  auto c1 = encrypt(pub_of(p.device), EncryptScheme::kRsaPkcs1, key);
  ASSERT_TRUE(c1.ok());
  auto m1 = two_party_decrypt(p.device, p.server, *c1, Padding::kPkcs1v15);
  ASSERT_TRUE(m1.ok()) << m1.error().code;
  EXPECT_EQ(Bytes(m1->begin(), m1->end()), key);
  auto c2 = encrypt(pub_of(p.device), EncryptScheme::kRsaOaepSha256, key);
  ASSERT_TRUE(c2.ok());
  auto m2 = two_party_decrypt(p.device, p.server, *c2, Padding::kOaepSha256);
  ASSERT_TRUE(m2.ok()) << m2.error().code;
  EXPECT_EQ(Bytes(m2->begin(), m2->end()), key);
  // The wrong padding is refused, not misread.
  EXPECT_FALSE(two_party_decrypt(p.device, p.server, *c2, Padding::kPkcs1v15).ok());
}

TEST(RsaSplit, ServerSeesOnlyABlindedCiphertext) {
  Pair p = make_pair();
  auto c = encrypt(pub_of(p.device), EncryptScheme::kRsaPkcs1, to_bytes("secret key bytes"));
  ASSERT_TRUE(c.ok());
  auto a = device_decrypt_start(p.device, *c, process_rng());
  auto b = device_decrypt_start(p.device, *c, process_rng());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->request.x, *c);
  EXPECT_NE(a->request.x, b->request.x);
}

// Attacker: the server (or whoever stole its database) with its half alone.
TEST(RsaSplit, TheServerHalfAloneMakesNoValidSignature) {
  Pair p = make_pair();
  const Bytes msg = to_bytes("pay 1,000,000");
  auto start = device_sign_start(p.device, sha256(msg));
  ASSERT_TRUE(start.ok());
  auto half = server_sign(p.server, start->request);
  ASSERT_TRUE(half.ok());
  EXPECT_FALSE(verify(pub_of(p.device), SignScheme::kRsaPkcs1Sha256, msg, half->y).ok());
  // And the device's half alone neither: finishing with a made-up server answer is caught.
  StepResponse one{Bytes(p.device.size(), 0)};
  one.y.back() = 1;
  auto forged = device_sign_finish(p.device, start->state, one);
  ASSERT_FALSE(forged.ok());
  EXPECT_EQ(forged.error().code, "cosign_bad_server_answer");
}

// Attacker: a server that answers with a wrong half; the device releases nothing.
TEST(RsaSplit, AWrongServerHalfIsCaughtByTheDevice) {
  Pair p = make_pair();
  Pair other = make_pair("device-0002");
  auto start = device_sign_start(p.device, sha256(to_bytes("m")));
  ASSERT_TRUE(start.ok());
  StepRequest req = start->request;
  // Same modulus length, other key's share: the answer is wrong for this key.
  auto wrong = server_sign(other.server, req);
  if (wrong.ok()) {
    auto s = device_sign_finish(p.device, start->state, *wrong);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "cosign_bad_server_answer");
  }
  auto c = encrypt(pub_of(p.device), EncryptScheme::kRsaPkcs1, to_bytes("k"));
  auto d = device_decrypt_start(p.device, *c, process_rng());
  ASSERT_TRUE(d.ok());
  StepResponse garbage{d->request.x};
  auto m = device_decrypt_finish(p.device, d->state, garbage, Padding::kPkcs1v15);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "cosign_bad_server_answer");
}

// Attacker: a device (or anyone with its session) using the sign step as a raw RSA oracle.
TEST(RsaSplit, TheServerSignsOnlyPkcs1Sha256Encodings) {
  Pair p = make_pair();
  auto c = encrypt(pub_of(p.device), EncryptScheme::kRsaPkcs1, to_bytes("content key"));
  ASSERT_TRUE(c.ok());
  auto r = server_sign(p.server, StepRequest{*c});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "not_a_pkcs1_sha256_encoding");
  auto digest = pkcs1_sha256_digest(emsa_pkcs1_sha256(sha256(to_bytes("x")), 256).value());
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, sha256(to_bytes("x")));
}

// Attacker: a device that hands the server a share that does not add up to the key's d (or a
// key it does not hold): installation refuses it.
TEST(RsaSplit, InstallationRefusesSharesThatDoNotMakeTheKey) {
  auto g = generate(KeyType::kRsa2048, "device-0001", process_rng());
  ASSERT_TRUE(g.ok());
  auto other = generate(KeyType::kRsa2048, "device-0001", process_rng());
  ASSERT_TRUE(other.ok());
  EnrolRequest swapped = g->request;
  swapped.check = other->request.check;
  auto r = server_accept(swapped, 2048, "device-0001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "rsa_split_bad_check");
  // The check is bound to the device id.
  auto moved = server_accept(g->request, 2048, "device-0002");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, "rsa_split_bad_check");
  // Another key's share for this public key.
  EnrolRequest mixed = g->request;
  mixed.server_share = other->request.server_share;
  EXPECT_EQ(server_accept(mixed, 2048, "device-0001").error().code, "rsa_split_bad_key");
  // The product's size.
  EXPECT_EQ(server_accept(g->request, 3072, "device-0001").error().code, "rsa_split_bad_key");
  EXPECT_TRUE(server_accept(g->request, 2048, "device-0001").ok());
}

TEST(RsaSplit, MalformedMessagesAreRefused) {
  EXPECT_EQ(StepRequest::decode(Bytes{0x58, 0x01, 0x00}).error().code, "bad_message");
  EXPECT_EQ(StepRequest::decode(Bytes{0x59, 0x01, 0x00, 0x01, 0x05}).error().code, "bad_message");
  EXPECT_EQ(ServerShare::import_bytes(Bytes(40, 0x53)).error().code, "bad_message");
  EXPECT_EQ(EnrolRequest::decode(Bytes{0x4B, 0x01, 0xff, 0xff}).error().code, "bad_message");
  Pair p = make_pair();
  // Out-of-range or wrong-length values to the server.
  EXPECT_EQ(server_decrypt(p.server, StepRequest{Bytes(256, 0)}).error().code, "bad_message");
  EXPECT_EQ(server_decrypt(p.server, StepRequest{Bytes(256, 0xff)}).error().code, "bad_message");
  EXPECT_EQ(server_decrypt(p.server, StepRequest{Bytes(255, 1)}).error().code, "bad_message");
}

TEST(RsaSplit, PaddingRemovalRefusesMalformedBlocks) {
  Bytes em(256, 0x11);
  em[0] = 0;
  em[1] = 2;
  em[200] = 0;
  auto ok = unpad_pkcs1_v15(em);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 55u);
  em[1] = 1;
  EXPECT_FALSE(unpad_pkcs1_v15(em).ok());
  em[1] = 2;
  em[200] = 0x11;
  EXPECT_FALSE(unpad_pkcs1_v15(em).ok());  // no separator
  em[5] = 0;
  EXPECT_FALSE(unpad_pkcs1_v15(em).ok());  // padding shorter than 8 bytes
  EXPECT_FALSE(unpad_oaep(Bytes(256, 0), Padding::kOaepSha256).ok());
}

}  // namespace
}  // namespace certseal::crypto::rsa_split
