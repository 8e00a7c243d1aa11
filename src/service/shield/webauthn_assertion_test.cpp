// The server's checks of a WebAuthn assertion, from the side of the one who must be refused:
// an assertion made for another step (nonce, payload, operation), on another site or RP id,
// without user verification or presence, with a counter that did not grow, or signed by another
// credential. Assertions are made here the way an authenticator makes them (ES256 with a P-256
// key over authenticatorData ‖ SHA-256(clientDataJSON)).
#include "service/shield/webauthn_assertion.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"

namespace certseal::service {
namespace {

constexpr char kOrigin[] = "http://localhost:8443";

class WebAuthnAssertionTest : public testing::Test {
 protected:
  SystemRng rng_;
  crypto::PrivateKey key_ = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng_).value();
  Bytes spki_ = key_.public_key().spki_der();
  Bytes challenge_ = webauthn_step_challenge("sign", "key-1", "dev-1", "nonce-1", as_bytes("payload"));

  WebAuthnAssertion make(BytesView challenge, std::uint32_t count, std::uint8_t flags = 0x05,
                         const std::string& origin = kOrigin, const std::string& rp_id = "localhost",
                         const std::string& type = "webauthn.get", const crypto::PrivateKey* by = nullptr) {
    WebAuthnAssertion a;
    a.credential_id = {1, 2, 3};
    const std::string cd = R"({"type":")" + type + R"(","challenge":")" + base64url_encode(challenge) +
                           R"(","origin":")" + origin + R"(","crossOrigin":false})";
    a.client_data_json = to_bytes(cd);
    a.authenticator_data = crypto::sha256(as_bytes(rp_id));
    a.authenticator_data.push_back(flags);
    for (int i = 3; i >= 0; --i) a.authenticator_data.push_back(static_cast<std::uint8_t>(count >> (8 * i)));
    Bytes signed_data = a.authenticator_data;
    const Bytes h = crypto::sha256(a.client_data_json);
    signed_data.insert(signed_data.end(), h.begin(), h.end());
    a.signature = crypto::sign(by ? *by : key_, crypto::SignScheme::kEcdsaSha256, signed_data).value();
    return a;
  }
  std::string code(const WebAuthnAssertion& a, std::int64_t stored = 0, BytesView challenge = {}) {
    auto r = check_webauthn_assertion(a, spki_, challenge.empty() ? BytesView(challenge_) : challenge, {kOrigin, stored});
    return r ? "ok:" + std::to_string(*r) : r.error().code;
  }
};

TEST_F(WebAuthnAssertionTest, AcceptsTheAssertionForThisStepAndReturnsTheCounter) {
  EXPECT_EQ(code(make(challenge_, 7), 6), "ok:7");
  EXPECT_EQ(code(make(challenge_, 0), 0), "ok:0");  // no counter at all
}

TEST_F(WebAuthnAssertionTest, TheChallengeBindsOperationKeyDeviceNonceAndPayload) {
  const Bytes base = challenge_;
  EXPECT_NE(base, webauthn_step_challenge("decrypt", "key-1", "dev-1", "nonce-1", as_bytes("payload")));
  EXPECT_NE(base, webauthn_step_challenge("sign", "key-2", "dev-1", "nonce-1", as_bytes("payload")));
  EXPECT_NE(base, webauthn_step_challenge("sign", "key-1", "dev-2", "nonce-1", as_bytes("payload")));
  EXPECT_NE(base, webauthn_step_challenge("sign", "key-1", "dev-1", "nonce-2", as_bytes("payload")));
  EXPECT_NE(base, webauthn_step_challenge("sign", "key-1", "dev-1", "nonce-1", as_bytes("payload!")));
  // The same message hashed by an independent route: SM3 of the text and SM3(payload).
  Bytes m = to_bytes(std::string("certseal-shield-v1 webauthn-step\nsign\nkey-1\ndev-1\nnonce-1\n"));
  const Bytes hp = crypto::sm3(as_bytes("payload"));
  m.insert(m.end(), hp.begin(), hp.end());
  EXPECT_EQ(base, crypto::sm3(m));
}

TEST_F(WebAuthnAssertionTest, RefusesAnAssertionForAnotherNonceOrPayload) {
  const Bytes other_nonce = webauthn_step_challenge("sign", "key-1", "dev-1", "nonce-2", as_bytes("payload"));
  const Bytes other_payload = webauthn_step_challenge("sign", "key-1", "dev-1", "nonce-1", as_bytes("other"));
  EXPECT_EQ(code(make(other_nonce, 1)), "webauthn_challenge_mismatch");
  EXPECT_EQ(code(make(other_payload, 1)), "webauthn_challenge_mismatch");
}

TEST_F(WebAuthnAssertionTest, RefusesWithoutUserVerificationOrPresence) {
  EXPECT_EQ(code(make(challenge_, 1, 0x01)), "webauthn_no_user_verification");
  EXPECT_EQ(code(make(challenge_, 1, 0x04)), "webauthn_no_user_presence");
}

TEST_F(WebAuthnAssertionTest, RefusesACounterThatDidNotGrow) {
  EXPECT_EQ(code(make(challenge_, 5), 5), "webauthn_sign_count");
  EXPECT_EQ(code(make(challenge_, 4), 5), "webauthn_sign_count");
  EXPECT_EQ(code(make(challenge_, 0), 5), "webauthn_sign_count");
}

TEST_F(WebAuthnAssertionTest, RefusesAnotherCredentialsSignatureOrAChangedMessage) {
  auto other = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng_).value();
  EXPECT_EQ(code(make(challenge_, 1, 0x05, kOrigin, "localhost", "webauthn.get", &other)), "webauthn_bad_signature");
  auto a = make(challenge_, 1);
  a.authenticator_data.push_back(0);  // extensions appended after signing
  EXPECT_EQ(code(a), "webauthn_bad_signature");
}

TEST_F(WebAuthnAssertionTest, RefusesAnotherSiteRpIdOrType) {
  EXPECT_EQ(code(make(challenge_, 1, 0x05, "http://evil.example:8443")), "webauthn_origin_mismatch");
  EXPECT_EQ(code(make(challenge_, 1, 0x05, kOrigin, "evil.example")), "webauthn_rp_mismatch");
  EXPECT_EQ(code(make(challenge_, 1, 0x05, kOrigin, "localhost", "webauthn.create")), "webauthn_wrong_type");
  auto a = make(challenge_, 1);
  a.client_data_json = to_bytes(std::string("not json"));
  EXPECT_EQ(code(a), "webauthn_bad_client_data");
  a.authenticator_data.resize(36);
  a.client_data_json = make(challenge_, 1).client_data_json;
  EXPECT_EQ(code(a), "webauthn_bad_authenticator_data");
}

TEST_F(WebAuthnAssertionTest, RpIdIsTheOriginsHostAndOnlyP256KeysEnrol) {
  EXPECT_EQ(webauthn_rp_id("http://localhost:8443"), "localhost");
  EXPECT_EQ(webauthn_rp_id("https://app.example.cn"), "app.example.cn");
  EXPECT_EQ(webauthn_rp_id("https://app.example.cn/path"), "");
  EXPECT_EQ(webauthn_rp_id("localhost"), "");
  EXPECT_TRUE(check_webauthn_public_key(spki_).ok());
  auto sm2 = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  EXPECT_EQ(check_webauthn_public_key(sm2.public_key().spki_der()).error().code, "webauthn_bad_public_key");
  EXPECT_EQ(check_webauthn_public_key(Bytes{1, 2, 3}).error().code, "webauthn_bad_public_key");
}

}  // namespace
}  // namespace certseal::service
