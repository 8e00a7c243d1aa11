#include "crypto/cosign.h"

#include <gtest/gtest.h>

#include <chrono>

#include "base/encoding.h"
#include "crypto/testing/evp_sm2.h"
#include "crypto/testing/interop.h"
#include "support/sanitizers.h"
#include "support/test_env.h"

namespace certseal::crypto::cosign {
namespace {

struct Pair {
  DeviceShare device;
  ServerShare server;
};

// Runs key generation with every message passing through its byte encoding, as over HTTP.
Pair make_pair(Rng& rng) {
  DeviceKeygenStart start = device_keygen_start(rng);
  auto req = KeygenRequest::decode(start.request.encode());
  EXPECT_TRUE(req.ok());
  auto server = server_keygen(*req, rng);
  EXPECT_TRUE(server.ok());
  auto resp = KeygenResponse::decode(server->response.encode());
  auto device = device_keygen_finish(std::move(start.state), *resp);
  EXPECT_TRUE(device.ok());
  return Pair{std::move(device).value(), std::move(server->share)};
}

Result<Bytes> two_party_sign(const DeviceShare& d, const ServerShare& s, BytesView msg, Rng& rng,
                             std::string_view id = kSm2DefaultId) {
  return device_sign(d, msg, id, rng, [&](const SignRequest& req) -> Result<SignResponse> {
    CS_ASSIGN(SignRequest wire, SignRequest::decode(req.encode()));
    CS_ASSIGN(SignResponse resp, server_sign(s, wire, rng));
    return SignResponse::decode(resp.encode());
  });
}

Result<SecretBytes> two_party_decrypt(const DeviceShare& d, const ServerShare& s, BytesView c, Rng& rng,
                                      Sm2CipherOrder order = Sm2CipherOrder::kC1C3C2) {
  CS_ASSIGN(DeviceDecryptStart start, device_decrypt_start(d, c, order, rng));
  CS_ASSIGN(DecryptRequest wire, DecryptRequest::decode(start.request.encode()));
  CS_ASSIGN(DecryptResponse resp, server_decrypt(s, wire));
  CS_ASSIGN(DecryptResponse back, DecryptResponse::decode(resp.encode()));
  return device_decrypt_finish(d, std::move(start.state), back);
}

TEST(Cosign, TenThousandSignaturesVerifyWithOpenssl) {
  // 10,000 in the debug run; 1,000 under the sanitizers, where each OpenSSL allocation unwinds.
  const int count = certseal::testing::kUnderSanitizer ? 1000 : 10000;
  SystemRng rng;
  Pair p = make_pair(rng);
  auto pub = PublicKey::sm2_from_point(p.device.public_key());
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(p.device.public_key(), p.server.public_key());
  auto t0 = std::chrono::steady_clock::now();
  int verified = 0;
  for (int i = 0; i < count; ++i) {
    Bytes msg = rng.bytes(1 + i % 64);
    auto sig = two_party_sign(p.device, p.server, msg, rng);
    ASSERT_TRUE(sig.ok()) << i << ": " << sig.error().code;
    // Independently of the device's own check (our engine): OpenSSL's EVP SM2 verifier.
    ASSERT_TRUE(testing::evp_sm2_verify(*pub, msg, *ec_sig_raw_to_der(*sig))) << i;
    ++verified;
  }
  EXPECT_EQ(verified, count);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%d two-party signatures made and verified in %.1f s\n", count, secs);
}

TEST(Cosign, SignatureVerifiesWithOpensslCliAndSmCrypto) {
  SystemRng rng;
  Pair p = make_pair(rng);
  auto pub = PublicKey::sm2_from_point(p.device.public_key());
  certseal::testing::TempDir dir;
  Bytes msg = to_bytes("signed by two parties");
  Bytes sig = *two_party_sign(p.device, p.server, msg, rng, "ALICE123@YAHOO.COM");
  testing::write_file(dir.path() + "/pub.pem", as_bytes(pub->pem()));
  testing::write_file(dir.path() + "/msg", msg);
  testing::write_file(dir.path() + "/sig", *ec_sig_raw_to_der(sig));
  auto r = testing::openssl("pkeyutl -verify -pubin -inkey " + dir.path() + "/pub.pem -rawin -digest sm3 -in " +
                            dir.path() + "/msg -sigfile " + dir.path() + "/sig -pkeyopt distid:ALICE123@YAHOO.COM");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(testing::sm_crypto("verify " + hex_encode(p.device.public_key()) + " " + hex_encode(msg) + " " +
                               hex_encode(sig) + " raw ALICE123@YAHOO.COM"),
            "true");
}

TEST(Cosign, DecryptsCiphertextsFromOpensslCliAndSmCrypto) {
  SystemRng rng;
  Pair p = make_pair(rng);
  auto pub = PublicKey::sm2_from_point(p.device.public_key());
  certseal::testing::TempDir dir;
  Bytes plain = rng.bytes(300);
  // openssl pkeyutl -encrypt (DER, converted to raw C1C3C2 here).
  testing::write_file(dir.path() + "/pub.pem", as_bytes(pub->pem()));
  testing::write_file(dir.path() + "/m", plain);
  ASSERT_EQ(testing::openssl("pkeyutl -encrypt -pubin -inkey " + dir.path() + "/pub.pem -in " + dir.path() +
                             "/m -out " + dir.path() + "/c.der")
                .exit_code,
            0);
  auto c = Sm2Ciphertext::parse_der(testing::read_file(dir.path() + "/c.der"));
  ASSERT_TRUE(c.ok());
  auto m = two_party_decrypt(p.device, p.server, c->raw(Sm2CipherOrder::kC1C3C2), rng);
  ASSERT_TRUE(m.ok()) << m.error().code;
  EXPECT_EQ(Bytes(m->begin(), m->end()), plain);
  // sm-crypto, both orders.
  for (auto [order, mode] : {std::pair{Sm2CipherOrder::kC1C3C2, "1"}, std::pair{Sm2CipherOrder::kC1C2C3, "0"}}) {
    std::string theirs = testing::sm_crypto("encrypt " + hex_encode(p.device.public_key()) + " " + hex_encode(plain) +
                                            " " + mode);
    auto m2 = two_party_decrypt(p.device, p.server, *hex_decode("04" + theirs), rng, order);
    ASSERT_TRUE(m2.ok()) << m2.error().code;
    EXPECT_EQ(Bytes(m2->begin(), m2->end()), plain);
  }
  // Our own encryption, and a damaged C3.
  Bytes ours = *sm2_encrypt(*pub, plain);
  EXPECT_TRUE(two_party_decrypt(p.device, p.server, ours, rng).ok());
  ours[70] ^= 1;
  EXPECT_EQ(two_party_decrypt(p.device, p.server, ours, rng).error().code, "decryption_failed");
}

TEST(Cosign, RefreshRetiresTheOldDeviceShare) {
  SystemRng rng;
  Pair p = make_pair(rng);
  Bytes msg = to_bytes("after refresh");
  auto pub = PublicKey::sm2_from_point(p.device.public_key());
  Bytes c = *sm2_encrypt(*pub, msg);

  DeviceRefreshStart refresh = device_refresh_start(p.device, rng);
  auto wire = RefreshRequest::decode(refresh.request.encode());
  ASSERT_TRUE(wire.ok());
  auto new_server = server_refresh(p.server, *wire);
  ASSERT_TRUE(new_server.ok());
  // The server replaces the device's server share: the old device share now fails...
  auto old_sig = two_party_sign(p.device, *new_server, msg, rng);
  ASSERT_FALSE(old_sig.ok());
  EXPECT_EQ(old_sig.error().code, "cosign_bad_server_answer");
  EXPECT_EQ(two_party_decrypt(p.device, *new_server, c, rng).error().code, "decryption_failed");
  // ...and the new one works, under the same public key.
  EXPECT_EQ(refresh.new_share.public_key(), p.device.public_key());
  auto sig = two_party_sign(refresh.new_share, *new_server, msg, rng);
  ASSERT_TRUE(sig.ok()) << sig.error().code;
  EXPECT_TRUE(verify(*pub, SignScheme::kSm2Sm3, msg, *ec_sig_raw_to_der(*sig)).ok());
  auto m = two_party_decrypt(refresh.new_share, *new_server, c, rng);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Bytes(m->begin(), m->end()), msg);
  EXPECT_NE(refresh.new_share.scalar(), p.device.scalar());
}

TEST(Cosign, AddedDeviceWorksBesideTheFirst) {
  SystemRng rng;
  Pair p = make_pair(rng);
  DeviceRefreshStart add = device_refresh_start(p.device, rng);
  auto second_server = server_refresh(p.server, add.request);
  ASSERT_TRUE(second_server.ok());
  // The new device share travels as bytes (encrypted in practice) to the second device.
  auto second_device = DeviceShare::import_bytes(add.new_share.export_bytes());
  ASSERT_TRUE(second_device.ok());
  EXPECT_TRUE(two_party_sign(p.device, p.server, as_bytes("first"), rng).ok());
  EXPECT_TRUE(two_party_sign(*second_device, *second_server, as_bytes("second"), rng).ok());
  // Crossing the pairs fails: each server share belongs to one device.
  EXPECT_FALSE(two_party_sign(*second_device, p.server, as_bytes("x"), rng).ok());
}

TEST(Cosign, TamperedServerAnswerIsRejected) {
  SystemRng rng;
  Pair p = make_pair(rng);
  Bytes msg = to_bytes("m");
  for (int field = 0; field < 3; ++field) {
    auto start = device_sign_start(p.device, msg, kSm2DefaultId, rng);
    ASSERT_TRUE(start.ok());
    auto resp = server_sign(p.server, start->request, rng);
    ASSERT_TRUE(resp.ok());
    Bytes& target = field == 0 ? resp->r : field == 1 ? resp->s2 : resp->s3;
    target[31] ^= 0x01;
    auto sig = device_sign_finish(p.device, std::move(start->state), *resp, msg, kSm2DefaultId);
    ASSERT_FALSE(sig.ok());
    EXPECT_EQ(sig.error().code, "cosign_bad_server_answer") << field;
    EXPECT_FALSE(sig.error().message.empty());
  }
  // Out-of-range scalars in the answer.
  auto start = device_sign_start(p.device, msg, kSm2DefaultId, rng);
  auto resp = server_sign(p.server, start->request, rng);
  SignResponse zero = *resp;
  zero.s2 = Bytes(32, 0);
  EXPECT_EQ(device_sign_finish(p.device, SignState{start->state.k1, start->state.e}, zero, msg, kSm2DefaultId)
                .error()
                .code,
            "scalar_out_of_range");
  SignResponse big = *resp;
  big.r = Bytes(32, 0xff);
  EXPECT_EQ(device_sign_finish(p.device, SignState{start->state.k1, start->state.e}, big, msg, kSm2DefaultId)
                .error()
                .code,
            "scalar_out_of_range");
  // A state for another message.
  EXPECT_EQ(device_sign_finish(p.device, std::move(start->state), *resp, as_bytes("other"), kSm2DefaultId)
                .error()
                .code,
            "cosign_state_mismatch");
  // A tampered decryption answer that is still a valid point.
  auto pub = PublicKey::sm2_from_point(p.device.public_key());
  Bytes c = *sm2_encrypt(*pub, msg);
  auto dstart = device_decrypt_start(p.device, c, Sm2CipherOrder::kC1C3C2, rng);
  DecryptResponse wrong{p.device.public_key()};
  EXPECT_EQ(device_decrypt_finish(p.device, std::move(dstart->state), wrong).error().code, "decryption_failed");
}

TEST(Cosign, OffCurveAndInfinityPointsAreRejected) {
  SystemRng rng;
  Pair p = make_pair(rng);
  Bytes off = p.device.public_key();
  off[64] ^= 0x01;  // y changed: not on the curve
  Bytes infinity = {0x00};
  Bytes zeros(65, 0);
  zeros[0] = 0x04;  // (0, 0) is not on the SM2 curve
  Bytes compressed(33, 0x02);

  auto start = device_sign_start(p.device, as_bytes("m"), kSm2DefaultId, rng);
  ASSERT_TRUE(start.ok());
  SignRequest req = start->request;
  req.q1 = off;
  auto e1 = server_sign(p.server, req, rng);
  ASSERT_FALSE(e1.ok());
  EXPECT_EQ(e1.error().code, "point_not_on_curve");
  EXPECT_EQ(e1.error().message, "the device's point Q1 is not on the SM2 curve");
  req.q1 = infinity;
  EXPECT_EQ(server_sign(p.server, req, rng).error().code, "point_at_infinity");
  req.q1 = zeros;
  EXPECT_EQ(server_sign(p.server, req, rng).error().code, "point_not_on_curve");
  req.q1 = compressed;
  EXPECT_EQ(server_sign(p.server, req, rng).error().code, "bad_point_encoding");

  EXPECT_EQ(server_keygen(KeygenRequest{off}, rng).error().code, "point_not_on_curve");
  EXPECT_EQ(server_keygen(KeygenRequest{infinity}, rng).error().code, "point_at_infinity");
  EXPECT_EQ(device_keygen_finish(device_keygen_start(rng).state, KeygenResponse{off}).error().code,
            "point_not_on_curve");
  EXPECT_EQ(server_decrypt(p.server, DecryptRequest{off}).error().code, "point_not_on_curve");
  EXPECT_EQ(server_decrypt(p.server, DecryptRequest{infinity}).error().code, "point_at_infinity");

  auto pub = PublicKey::sm2_from_point(p.device.public_key());
  Bytes c = *sm2_encrypt(*pub, as_bytes("secret"));
  auto dstart = device_decrypt_start(p.device, c, Sm2CipherOrder::kC1C3C2, rng);
  ASSERT_TRUE(dstart.ok());
  auto e2 = device_decrypt_finish(p.device, DecryptState{dstart->state.ciphertext, dstart->state.w},
                                  DecryptResponse{off});
  EXPECT_EQ(e2.error().code, "point_not_on_curve");
  EXPECT_EQ(e2.error().message, "the server's point T2 is not on the SM2 curve");
  EXPECT_EQ(device_decrypt_finish(p.device, std::move(dstart->state), DecryptResponse{infinity}).error().code,
            "point_at_infinity");
  // A ciphertext whose C1 is off the curve never reaches the server.
  Bytes bad_c = c;
  bad_c[64] ^= 0x01;
  EXPECT_EQ(device_decrypt_start(p.device, bad_c, Sm2CipherOrder::kC1C3C2, rng).error().code, "point_not_on_curve");
}

TEST(Cosign, MessagesAndSharesRoundTripAndRejectGarbage) {
  SystemRng rng;
  Pair p = make_pair(rng);
  auto d = DeviceShare::import_bytes(p.device.export_bytes());
  auto s = ServerShare::import_bytes(p.server.export_bytes());
  ASSERT_TRUE(d.ok() && s.ok());
  EXPECT_TRUE(two_party_sign(*d, *s, as_bytes("x"), rng).ok());
  SecretBytes exported = p.device.export_bytes();
  EXPECT_EQ(ServerShare::import_bytes(exported).error().code, "bad_message");  // wrong tag
  exported[2] = 0;
  exported[3] = 0;
  std::fill(exported.begin() + 2, exported.begin() + 34, 0);
  EXPECT_EQ(DeviceShare::import_bytes(exported).error().code, "scalar_out_of_range");
  EXPECT_EQ(SignRequest::decode(Bytes{0x03, 0x01, 0x00}).error().code, "bad_message");
  EXPECT_EQ(SignResponse::decode(Bytes(98, 0)).error().code, "bad_message");
  Bytes wrong_version = KeygenRequest{p.device.public_key()}.encode();
  wrong_version[1] = 2;
  EXPECT_EQ(KeygenRequest::decode(wrong_version).error().code, "bad_message");
  EXPECT_EQ(RefreshRequest::decode(Bytes{0x07, 0x01}).error().code, "bad_message");
  // JSON-friendly form: hex of the encoding round-trips.
  auto start = device_sign_start(p.device, as_bytes("m"), kSm2DefaultId, rng);
  std::string json_field = hex_encode(start->request.encode());
  auto back = SignRequest::decode(*hex_decode(json_field));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->q1, start->request.q1);
}

// The PIN cache's halves (client/agent.h) sign a digest, never the message: what they make
// verifies with OpenSSL over the message, and sm2_verify_digest agrees with OpenSSL both ways.
TEST(Cosign, DigestHalvesSignWhatOpensslVerifies) {
  SystemRng rng;
  Pair p = make_pair(rng);
  auto pub = PublicKey::sm2_from_point(p.device.public_key());
  ASSERT_TRUE(pub.ok());
  for (int i = 0; i < 50; ++i) {
    Bytes msg = rng.bytes(1 + i * 37);
    auto e = sm2_message_digest(p.device.public_key(), kSm2DefaultId, msg);
    ASSERT_TRUE(e.ok());
    auto start = device_sign_start_digest(p.device, *e, rng);
    ASSERT_TRUE(start.ok());
    auto resp = server_sign(p.server, start->request, rng);
    ASSERT_TRUE(resp.ok());
    auto raw = device_sign_finish_digest(p.device, std::move(start->state), *resp);
    ASSERT_TRUE(raw.ok()) << raw.error().message;
    auto der = ec_sig_raw_to_der(*raw);
    ASSERT_TRUE(der.ok());
    EXPECT_TRUE(verify(*pub, SignScheme::kSm2Sm3, msg, *der, kSm2DefaultId).ok());
    EXPECT_TRUE(sm2_verify_digest(p.device.public_key(), *e, *raw).ok());
    Bytes tampered = *raw;
    tampered[40] ^= 1;
    EXPECT_EQ(sm2_verify_digest(p.device.public_key(), *e, tampered).error().code, "bad_signature");
    Bytes other_e = *e;
    other_e[0] ^= 1;
    EXPECT_EQ(sm2_verify_digest(p.device.public_key(), other_e, *raw).error().code, "bad_signature");
  }
  // A signature made by OpenSSL with an ordinary key verifies from the digest alone.
  auto key = PrivateKey::generate(KeyType::kSm2, rng);
  ASSERT_TRUE(key.ok());
  auto point = key->public_key().ec_point();
  ASSERT_TRUE(point.ok());
  Bytes msg = to_bytes("digest-only verification");
  auto der = sign(*key, SignScheme::kSm2Sm3, msg, kSm2DefaultId);
  ASSERT_TRUE(der.ok());
  auto raw = ec_sig_der_to_raw(*der);
  ASSERT_TRUE(raw.ok());
  auto e = sm2_message_digest(*point, kSm2DefaultId, msg);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(sm2_verify_digest(*point, *e, *raw).ok());
  // r and s out of range, a short signature and a short digest.
  EXPECT_EQ(sm2_verify_digest(*point, *e, Bytes(64, 0)).error().code, "bad_signature");
  EXPECT_EQ(sm2_verify_digest(*point, *e, Bytes(63, 1)).error().code, "bad_signature");
  EXPECT_EQ(sm2_verify_digest(*point, Bytes(31, 1), *raw).error().code, "bad_digest_length");
  EXPECT_EQ(device_sign_start_digest(p.device, Bytes(31, 1), rng).error().code, "bad_message");
}

}  // namespace
}  // namespace certseal::crypto::cosign
