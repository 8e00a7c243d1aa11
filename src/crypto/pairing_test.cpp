// The pairing channel and the join ratio (crypto/pairing.h, crypto/cosign.h "join"), run as the
// devices and the server would, with every relayed message open to tampering by the relay.
#include "crypto/pairing.h"

#include <gtest/gtest.h>

#include <cctype>
#include <vector>

#include "crypto/pkey.h"
#include "crypto/sm2_curve.h"

namespace certseal::crypto::pairing {
namespace {

struct Key {
  cosign::DeviceShare device;
  cosign::ServerShare server;
};

Key make_key(Rng& rng) {
  auto start = cosign::device_keygen_start(rng);
  auto server = cosign::server_keygen(start.request, rng);
  EXPECT_TRUE(server.ok());
  auto device = cosign::device_keygen_finish(std::move(start.state), server->response);
  EXPECT_TRUE(device.ok());
  return Key{std::move(device).value(), std::move(server->share)};
}

Status two_party_sign(const cosign::DeviceShare& d, const cosign::ServerShare& s, Rng& rng) {
  auto sig = cosign::device_sign(d, as_bytes("合同"), kSm2DefaultId, rng,
                                 [&](const cosign::SignRequest& r) { return cosign::server_sign(s, r, rng); });
  if (!sig) return std::move(sig).error();
  return {};
}

const PairingContext kCtx{"0190-pairing-1", "device-bbbb-0002"};

TEST(PairingCode, IsTwentyFourBase32CharactersInGroupsOfFourAndParsesBackLoosely) {
  SeededRng rng(7);
  auto b = new_device_start(rng);
  const std::string code = pairing_code(b, kCtx);
  ASSERT_EQ(code.size(), 24u + 5u) << code;
  for (std::size_t i = 4; i < code.size(); i += 5) EXPECT_EQ(code[i], '-') << code;
  auto raw = parse_code(code);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->size(), kCodeSecretSize + kCodeTagSize);
  EXPECT_EQ(format_code(*raw), code);
  std::string loose;
  for (char c : code) loose.push_back(c == '-' ? ' ' : static_cast<char>(std::tolower(c)));
  EXPECT_EQ(*parse_code(loose), *raw);
  EXPECT_EQ(parse_code(code.substr(0, 20)).error().code, "bad_pairing_code");
  EXPECT_EQ(parse_code(code.substr(0, 28) + "0").error().code, "bad_pairing_code");
  EXPECT_EQ(parse_code(code + "A").error().code, "bad_pairing_code");
}

TEST(Pairing, TheNewDeviceGetsAShareOfItsOwnAndTheServerOnlyARatio) {
  SystemRng rng;
  Key k = make_key(rng);
  auto b = new_device_start(rng);
  const std::string code = pairing_code(b, kCtx);

  auto grant = old_device_grant(k.device, "key-1", code, kCtx, b.ephemeral_public, rng);
  ASSERT_TRUE(grant.ok()) << grant.error().message;
  auto pending = cosign::server_refresh(k.server, grant->request);  // z = d2·u^-1
  ASSERT_TRUE(pending.ok());
  auto joined = new_device_join(b, kCtx, grant->envelope, rng);
  ASSERT_TRUE(joined.ok()) << joined.error().message;
  EXPECT_EQ(joined->key_id, "key-1");
  EXPECT_EQ(joined->share.public_key(), k.device.public_key());
  auto wire = cosign::JoinRequest::decode(joined->request.encode());
  ASSERT_TRUE(wire.ok());
  auto d2b = cosign::server_join(*pending, *wire);
  ASSERT_TRUE(d2b.ok());

  // Both devices sign, each with its own server share; shares do not mix.
  EXPECT_TRUE(two_party_sign(joined->share, *d2b, rng).ok());
  EXPECT_TRUE(two_party_sign(k.device, k.server, rng).ok());
  EXPECT_FALSE(two_party_sign(joined->share, k.server, rng).ok());
  EXPECT_FALSE(two_party_sign(k.device, *d2b, rng).ok());
  // d1' is not d1, nor anything the server holds or saw (u, y, z, d2, d2').
  const SecretBytes& d1b = joined->share.scalar();
  EXPECT_NE(d1b, k.device.scalar());
  const std::vector<const SecretBytes*> server_view = {&grant->request.u, &wire->y, &pending->scalar(), &d2b->scalar(),
                                                      &k.server.scalar()};
  for (const SecretBytes* seen : server_view) {
    EXPECT_NE(d1b, *seen);
    EXPECT_NE(k.device.scalar(), *seen);
  }
  // What the server learnt is exactly the ratio d2'/d2 = d1/d1'.
  BnCtx bn = bn_ctx_new();
  Bignum ratio = mod_n_mul(bn_from_bytes(d2b->scalar()).get(),
                           mod_n_inverse(bn_from_bytes(k.server.scalar()).get(), bn.get()).get(), bn.get());
  Bignum expect = mod_n_mul(bn_from_bytes(k.device.scalar()).get(), mod_n_inverse(bn_from_bytes(d1b).get(), bn.get()).get(),
                            bn.get());
  EXPECT_EQ(bn_to_bytes32(ratio.get()), bn_to_bytes32(expect.get()));
}

// The attack of security review H3: the relay answers "GET pairing" with its own key. Before the
// fix, the old device sealed d1·u to that key and sent u alongside: d1 = (d1·u)·u^-1.
TEST(Pairing, AnOldDeviceRefusesAKeySwappedByTheServerAndSendsNothing) {
  SystemRng rng;
  Key k = make_key(rng);
  auto b = new_device_start(rng);
  const std::string code = pairing_code(b, kCtx);  // the user reads this from B
  auto server = new_device_start(rng);             // the relay's own key pair and secret
  auto grant = old_device_grant(k.device, "key-1", code, kCtx, server.ephemeral_public, rng);
  ASSERT_FALSE(grant.ok());
  EXPECT_EQ(grant.error().code, "pairing_code_mismatch");
  // The right key for another device id (the relay redirecting the share) is refused as well.
  PairingContext other = kCtx;
  other.device_id = "device-evil-0001";
  EXPECT_EQ(old_device_grant(k.device, "key-1", code, other, b.ephemeral_public, rng).error().code,
            "pairing_code_mismatch");
  // And a relayed "key" that is not a point.
  Bytes junk = b.ephemeral_public;
  junk[10] ^= 1;
  EXPECT_EQ(old_device_grant(k.device, "key-1", code, kCtx, junk, rng).error().code, "pairing_code_mismatch");
  // The relay's own code for its own key is not what the user typed: grinding needs the secret half.
  EXPECT_NE(pairing_code(server, kCtx), code);
}

// The relay cannot read the honest envelope: it holds E_A, E_B and u but neither e_B nor s, and
// every key it could compute (from its own ephemeral keys) does not open it.
TEST(Pairing, TheRelayCannotOpenTheEnvelopeWithAnyKeyItCanCompute) {
  SystemRng rng;
  Key k = make_key(rng);
  auto b = new_device_start(rng);
  auto grant = old_device_grant(k.device, "key-1", pairing_code(b, kCtx), kCtx, b.ephemeral_public, rng);
  ASSERT_TRUE(grant.ok());
  auto relay = new_device_start(rng);
  relay.ephemeral_public = b.ephemeral_public;  // it knows E_B, not e_B
  EXPECT_EQ(new_device_join(relay, kCtx, grant->envelope, rng).error().code, "pairing_envelope_forged");
  // With e_B but without the code's secret (say the relay stole the pairing file but never saw
  // the code) the envelope does not open either.
  auto no_secret = b;
  no_secret.code_secret = SecretBytes(kCodeSecretSize, 0);
  EXPECT_EQ(new_device_join(no_secret, kCtx, grant->envelope, rng).error().code, "pairing_envelope_forged");
}

// The other direction: the relay hands B an envelope of its own (an x it chose), hoping B answers
// y = x·d1'^-1, which would give it d1' = x·y^-1. B refuses: the envelope is not sealed with s.
TEST(Pairing, ANewDeviceRefusesAnEnvelopeTheRelayMadeOrChanged) {
  SystemRng rng;
  Key k = make_key(rng);
  auto b = new_device_start(rng);
  const std::string code = pairing_code(b, kCtx);
  auto honest = old_device_grant(k.device, "key-1", code, kCtx, b.ephemeral_public, rng);
  ASSERT_TRUE(honest.ok());

  // The relay's own envelope: it knows E_B and the pairing, guesses the code secret.
  auto guess = new_device_start(rng);
  guess.ephemeral_public = b.ephemeral_public;
  Key own = make_key(rng);
  // A code with the relay's guessed secret and a tag that matches E_B under that guess.
  const std::string forged_code = pairing_code(guess, kCtx);
  auto forged = old_device_grant(own.device, "key-1", forged_code, kCtx, b.ephemeral_public, rng);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(new_device_join(b, kCtx, forged->envelope, rng).error().code, "pairing_envelope_forged");

  // Any changed byte, a truncated envelope, or the honest envelope of another pairing: refused.
  for (std::size_t at : {std::size_t{0}, std::size_t{5}, std::size_t{70}, honest->envelope.size() - 1}) {
    Bytes e = honest->envelope;
    e[at] ^= 0x40;
    EXPECT_EQ(new_device_join(b, kCtx, e, rng).error().code, "pairing_envelope_forged") << at;
  }
  EXPECT_EQ(new_device_join(b, kCtx, BytesView(honest->envelope).first(60), rng).error().code,
            "pairing_envelope_forged");
  PairingContext other = kCtx;
  other.pairing_id = "0190-pairing-2";
  EXPECT_EQ(new_device_join(b, other, honest->envelope, rng).error().code, "pairing_envelope_forged");
  // The honest one still opens.
  EXPECT_TRUE(new_device_join(b, kCtx, honest->envelope, rng).ok());
}

TEST(Pairing, TheCompletionSignatureBindsPairingChallengeAndEveryField) {
  SystemRng rng;
  auto b = new_device_start(rng);
  auto key = PrivateKey::ec_from_scalar(KeyType::kSm2, b.ephemeral);
  ASSERT_TRUE(key.ok());
  auto pub = PublicKey::sm2_from_point(b.ephemeral_public);
  ASSERT_TRUE(pub.ok());
  const Bytes y(34, 1), auth(32, 2), salt(16, 3);
  const Bytes m = completion_message("p1", "challenge", y, auth, salt);
  auto sig = sign(*key, SignScheme::kSm2Sm3, m);
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(verify(*pub, SignScheme::kSm2Sm3, m, *sig).ok());
  Bytes auth2 = auth;
  auth2[0] ^= 1;
  for (const Bytes& other : {completion_message("p2", "challenge", y, auth, salt),
                             completion_message("p1", "challenge2", y, auth, salt),
                             completion_message("p1", "challenge", y, auth2, salt)}) {
    EXPECT_FALSE(verify(*pub, SignScheme::kSm2Sm3, other, *sig).ok());
  }
}

}  // namespace
}  // namespace certseal::crypto::pairing
