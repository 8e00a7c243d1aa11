// Two-party ECDSA P-256 keys end to end (docs/SHIELD.md "ECDSA P-256", crypto/ecdsa_split.h): an
// `ec-p256` product is bought and installed by the real `certseal` client (which makes x1, the
// Paillier key and both key-generation proofs; the server checks them and draws x2) against a
// real certseald on both engines; the certificate comes from a P-256 CA. The key then answers the
// QR scenes: 06 and 20 give CMS SignedData (ecdsa-with-SHA256) that `openssl cms -verify`
// accepts with the published chain; 16 gives an AuthEnvelopedData (AES-256-GCM; AES-256-CBC
// EnvelopedData when asked) with an RFC 5753 key agreement recipient that scene 14 opens again
// through the two-party ECDH; envelopes made by `openssl cms -encrypt` (its 3DES default, AES with
// SHA-256, AES-256/128-GCM) open through scene 14, and a GCM envelope with a flipped ciphertext
// byte is refused there (envelope_not_authentic) with no content released.
//
// Refusals from the attacker's side: an SM2 enrolment for a P-256 order, a wrong certificate
// password (refused and counted), another account's key, a point off the curve in the ECDH step,
// a replayed nonce, and a signature that does not verify (the abort rule): the device stops using
// the key.
#include "crypto/cosign.h"
#include "crypto/ecdsa_split.h"
#include "pki/cms_enveloped.h"
#include "support/intl_shield_fixture.h"

namespace certseal::testing {
namespace {

class P256ShieldE2eTest : public IntlShieldE2eTest {};

TEST_P(P256ShieldE2eTest, InstallsAP256KeyAndAnswersEveryScene) {
  const std::string a = dev("p256"), phone = "13912380001", pin = "Pin#p256-one";
  register_cli(a, phone);
  verify_cli(a, phone, "周八", "110105194912310214");
  const std::string order = buy(a, phone, "ec-p256", "p256o");
  auto inst = cli(a, {"--json", "cert", "install", order}, {pin, pin});
  ASSERT_EQ(inst.exit_code, 0) << inst;
  const std::string key_id = inst.json()["key_id"], cert_id = inst.json()["certificate_id"];
  put(f("ec-leaf.pem"), inst.json()["certificate"]["certificate_pem"].get<std::string>());
  put(f("ec-chain.pem"), http_->get("/ca/p256o/chain.pem").body);
  const std::string text = sh("openssl x509 -in " + f("ec-leaf.pem") + " -noout -text");
  EXPECT_NE(text.find("NIST CURVE: P-256"), std::string::npos) << text;
  EXPECT_NE(sh("openssl verify -CAfile " + f("ec-chain.pem") + " " + f("ec-leaf.pem")).find(": OK"), std::string::npos);
  // The device keeps Q and its masked x1 ‖ Paillier seed; the server says ec-p256.
  auto key_file = nlohmann::json::parse(read_all(a + "/keys/" + key_id + ".json"));
  EXPECT_EQ(key_file["algorithm"], "ec-p256");
  EXPECT_EQ(base64_decode(key_file["masked_d1"].get<std::string>())->size(), 64u);
  EXPECT_FALSE(key_file.contains("unusable"));
  auto shown = call("GET", "/api/v1/account/certificates/" + cert_id, session_token(a));
  EXPECT_EQ(shown.json()["key"]["algorithm"], "ec-p256") << shown.body;

  App app = register_app();
  // 06: the login assertion, CMS SignedData with ecdsa-with-SHA256, checked by openssl.
  auto v06 = scan(a, app, {{"scene", "06"}, {"title", "登录"}, {"nonce", "ec-login-0001"}}, pin);
  ASSERT_EQ(v06["status"], "completed") << v06;
  const std::string ok06 = openssl_cms_verify(v06["result"]["cms"], "", "p256o");
  EXPECT_NE(ok06.find("Verification successful"), std::string::npos) << ok06;
  auto assertion = nlohmann::json::parse(read_all(f("rsa-content.bin")), nullptr, false);
  EXPECT_EQ(assertion["nonce"], "ec-login-0001") << assertion;
  EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("rsa-cms.der")).find("ecdsa-with-SHA256"), std::string::npos);
  auto ver = rp(app, "POST", "/api/v1/rp/verifications", {{"cms", v06["result"]["cms"]}});
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["signer"]["certificate_id"], cert_id);

  // 20: attached, and detached although the GM/T form was asked (P-256 signs RFC 5652).
  const std::string message = "确认投标文件 第7包 报价 1,990,000.00 元";
  auto v20 = scan(a, app,
                  {{"scene", "20"}, {"title", "签署"}, {"nonce", "ec-msg-0001"}, {"message", base64_encode(as_bytes(message))}},
                  pin);
  ASSERT_EQ(v20["status"], "completed") << v20;
  EXPECT_NE(openssl_cms_verify(v20["result"]["cms"], "", "p256o").find("Verification successful"), std::string::npos);
  EXPECT_EQ(read_all(f("rsa-content.bin")), message);
  auto v20d = scan(a, app,
                   {{"scene", "20"}, {"title", "签署"}, {"nonce", "ec-msg-0002"},
                    {"message", base64_encode(as_bytes(message))}, {"detached", true}, {"form", "gmt0010"}},
                   pin);
  ASSERT_EQ(v20d["status"], "completed") << v20d;
  EXPECT_NE(openssl_cms_verify(v20d["result"]["cms"], message, "p256o").find("Verification successful"),
            std::string::npos);
  EXPECT_EQ(openssl_cms_verify(v20d["result"]["cms"], message + " ", "p256o").find("Verification successful"),
            std::string::npos);

  raw_signature_verifies(a, app, pin, message, "ec-raw-0001");

  // 16: the envelope to the P-256 certificate (key agreement, AES-256 wrap, AES-256-GCM by
  // default); 14 opens it again.
  const std::string bid = "投标文件 第4包 报价 2,750,000.00 元";
  auto c16 = rp(app, "POST", "/api/v1/rp/scene-requests",
                {{"scene", "16"}, {"title", "加密投标文件"}, {"nonce", "ec-enc-0001"}, {"message", base64_encode(as_bytes(bid))}});
  ASSERT_EQ(c16.status, 201) << c16.body;
  auto s16 = cli(a, {"--json", "scan", "--payload", c16.json()["qr_payload"], "--yes"});
  ASSERT_EQ(s16.exit_code, 0) << s16;
  auto v16 = rp(app, "GET", "/api/v1/rp/scene-requests/" + c16.json()["id"].get<std::string>()).json();
  ASSERT_EQ(v16["status"], "completed") << v16;
  auto env = pki::cms::parse_enveloped(base64_decode(v16["result"]["cms"].get<std::string>()).value());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->key_transport, pki::cms::KeyTransport::kEcdh);
  put(f("env16.der"), to_string(base64_decode(v16["result"]["cms"].get<std::string>()).value()));
  const std::string printed = sh("openssl cms -cmsout -print -inform DER -in " + f("env16.der"));
  EXPECT_NE(printed.find("dhSinglePass-stdDH-sha256kdf-scheme"), std::string::npos) << printed;
  EXPECT_NE(printed.find("contentType: id-smime-ct-authEnvelopedData"), std::string::npos) << printed;
  EXPECT_NE(printed.find("algorithm: aes-256-gcm"), std::string::npos) << printed;
  EXPECT_EQ(c16.json()["content_encryption"], "aes-256-gcm");
  EXPECT_TRUE(env->authenticated);
  auto v14 = scan(a, app,
                  {{"scene", "14"}, {"title", "开标：第4包"}, {"nonce", "ec-open-0001"}, {"message", v16["result"]["cms"]}},
                  pin);
  ASSERT_EQ(v14["status"], "completed") << v14;
  EXPECT_EQ(to_string(base64_decode(v14["result"]["content"].get<std::string>()).value()), bid);

  // 14 with envelopes made by `openssl cms -encrypt` to the certificate.
  openssl_envelopes_open_by_scan(a, app, pin, f("ec-leaf.pem"), bid, "ec-open-ossl-",
                                 {"", "-aes256 -keyopt ecdh_kdf_md:sha256"});

  // The steps are in the key's events, with the digest signed.
  auto ev = call("GET", "/api/v1/shield/keys/" + key_id + "/events", session_token(a));
  EXPECT_NE(ev.body.find("scene 20 "), std::string::npos) << ev.body;
  EXPECT_NE(ev.body.find("scene 14 "), std::string::npos) << ev.body;

  // (After the events check, whose first page these would fill.) 14 with AES-GCM AuthEnvelopedData
  // by `openssl cms -encrypt`; 16 with content_encryption (aes-256-gcm, aes-256-cbc; others
  // refused), each opened by 14; a GCM envelope whose ciphertext was changed on the way is refused
  // and releases nothing.
  openssl_envelopes_open_by_scan(a, app, pin, f("ec-leaf.pem"), bid, "ec-open-gcm-",
                                 {"-aes-256-gcm", "-aes-128-gcm", "-aes-256-gcm -keyopt ecdh_kdf_md:sha256"});
  scene16_envelopes_open_by_scan(a, app, pin, bid, "ec-ce-");
  altered_gcm_envelope_is_refused(a, app, pin, f("ec-leaf.pem"), "ec-altered-0001", false);

  // `certseal cert sign` with the P-256 key: a DER ECDSA-with-SHA256 that openssl accepts.
  put(f("doc.txt"), "合同 第1页");
  auto signed_doc = cli(a, {"--json", "cert", "sign", "--key", key_id, "--in", f("doc.txt"), "--out", f("doc.sig")}, {pin});
  ASSERT_EQ(signed_doc.exit_code, 0) << signed_doc;
  sh("openssl x509 -in " + f("ec-leaf.pem") + " -pubkey -noout > " + f("ec-pub.pem"));
  EXPECT_NE(sh("openssl dgst -sha256 -verify " + f("ec-pub.pem") + " -signature " + f("doc.sig") + " " + f("doc.txt"))
                .find("Verified OK"),
            std::string::npos);

  // A password change re-masks the share: the new password works, the old one is refused.
  auto chg = cli(a, {"pin", "change", "--key", key_id}, {pin, "Pin#p256-new", "Pin#p256-new"});
  ASSERT_EQ(chg.exit_code, 0) << chg;
  auto after = scan(a, app, {{"scene", "20"}, {"title", "签署"}, {"nonce", "ec-after-01"}, {"message", base64_encode(as_bytes("n"))}},
                    "Pin#p256-new");
  EXPECT_EQ(after["status"], "completed") << after;
}

// Attackers: a thief with the device folder but not the password, another account, a replayer,
// a device sending a point off the curve, and a signature that does not verify.
TEST_P(P256ShieldE2eTest, RefusesTheAttackersSide) {
  const std::string a = dev("p256b"), phone = "13912380002", pin = "Pin#p256-two";
  register_cli(a, phone);
  verify_cli(a, phone, "吴九", "110105194912310230");
  const std::string order = buy(a, phone, "ec-p256", "p256o");
  // A client that sends an SM2 key generation request for a P-256 order is refused by name, and
  // nothing is stored: the order still installs afterwards.
  auto sm2_p1 = crypto::cosign::device_keygen_start(crypto::process_rng()).request.encode();
  auto mismatch = call("POST", "/api/v1/orders/" + order + "/installation", session_token(a),
                       {{"device_id", "sm2-only-client-1"}, {"device_name", "old app"},
                        {"p1", base64_encode(BytesView(sm2_p1.data(), sm2_p1.size()))},
                        {"auth_key", base64_encode(Bytes(32, 7))}, {"salt", base64_encode(Bytes(16, 8))}});
  EXPECT_EQ(mismatch.status, 400) << mismatch.body;
  EXPECT_EQ(mismatch.json()["code"], "algorithm_mismatch") << mismatch.body;
  auto inst = cli(a, {"--json", "cert", "install", order}, {pin, pin});
  ASSERT_EQ(inst.exit_code, 0) << inst;
  const std::string key_id = inst.json()["key_id"];
  auto keys = unlock_keys(a, key_id, pin);
  const BytesView auth(keys.auth_key.data(), keys.auth_key.size());
  App app = register_app();

  // A wrong certificate password: refused by the server and counted, through the real client.
  auto c = rp(app, "POST", "/api/v1/rp/scene-requests",
              {{"scene", "20"}, {"title", "签署"}, {"nonce", "ec-wrong-01"}, {"message", base64_encode(as_bytes("m"))}});
  ASSERT_EQ(c.status, 201);
  auto wrong = cli(a, {"scan", "--payload", c.json()["qr_payload"], "--yes"}, {"not-the-pin"});
  EXPECT_NE(wrong.exit_code, 0) << wrong;
  EXPECT_NE(wrong.err.find("证书密码错误，还可尝试 4 次"), std::string::npos) << wrong;

  // The ECDH step refuses a point off the curve (no invalid-curve probing of x2).
  Bytes off(65, 0x11);
  off[0] = 0x04;
  auto bad_point = sign_step(a, key_id, auth, crypto::ecdsa_split::EcdhRequest{off}.encode(), "", "decrypt");
  EXPECT_EQ(bad_point.status, 400) << bad_point.body;
  EXPECT_EQ(bad_point.json()["code"], "bad_point");
  // A well-formed sign step answers R2 and c3, never a signature; replayed, its nonce is spent.
  Bytes r1 = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, crypto::process_rng())->public_key().ec_point().value();
  const Bytes req = crypto::ecdsa_split::SignRequest{crypto::sha256(as_bytes("x")), r1}.encode();
  auto step = sign_step(a, key_id, auth, req);
  ASSERT_EQ(step.status, 200) << step.body;
  auto resp = crypto::ecdsa_split::SignResponse::decode(base64_decode(step.json()["response"].get<std::string>()).value());
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->c3.size(), 512u);
  auto replay = sign_step(a, key_id, auth, req, last_nonce_);
  EXPECT_EQ(replay.status, 400) << replay.body;
  EXPECT_EQ(replay.json()["code"], "bad_nonce");

  // Another account cannot step with this key, even with the right proof.
  const std::string b = dev("p256c"), phone_b = "13912380003";
  register_cli(b, phone_b);
  const std::string token_b = session_token(b);
  auto ch = call("POST", "/api/v1/shield/challenges", token_b, {{"key_id", key_id}, {"device_id", device_id(a)}});
  EXPECT_EQ(ch.status, 404) << ch.body;

  // The abort rule: a signature that does not verify (here: the device's Paillier seed altered in
  // its file, so c3 decrypts to garbage, as with a lying server) stops the key on this device.
  auto key_file = nlohmann::json::parse(read_all(a + "/keys/" + key_id + ".json"));
  Bytes masked = base64_decode(key_file["masked_d1"].get<std::string>()).value();
  masked[40] ^= 0x01;
  key_file["masked_d1"] = base64_encode(masked);
  put(a + "/keys/" + key_id + ".json", key_file.dump());
  auto c2 = rp(app, "POST", "/api/v1/rp/scene-requests",
               {{"scene", "20"}, {"title", "签署"}, {"nonce", "ec-abort-01"}, {"message", base64_encode(as_bytes("m"))}});
  ASSERT_EQ(c2.status, 201);
  auto aborted = cli(a, {"scan", "--payload", c2.json()["qr_payload"], "--yes"}, {pin});
  EXPECT_NE(aborted.exit_code, 0) << aborted;
  EXPECT_NE(aborted.err.find("已停用该证书密钥"), std::string::npos) << aborted;
  auto stopped = nlohmann::json::parse(read_all(a + "/keys/" + key_id + ".json"));
  EXPECT_EQ(stopped.value("unusable", false), true) << stopped;
  // From then on the key is refused on this device before anything is sent.
  auto c3 = rp(app, "POST", "/api/v1/rp/scene-requests",
               {{"scene", "20"}, {"title", "签署"}, {"nonce", "ec-abort-02"}, {"message", base64_encode(as_bytes("m"))}});
  ASSERT_EQ(c3.status, 201);
  auto events_before = call("GET", "/api/v1/shield/keys/" + key_id + "/events", session_token(a)).body;
  auto refused = cli(a, {"scan", "--payload", c3.json()["qr_payload"], "--yes"}, {pin});
  EXPECT_NE(refused.exit_code, 0) << refused;
  EXPECT_NE(refused.err.find("已在本设备上停用"), std::string::npos) << refused;
  EXPECT_EQ(call("GET", "/api/v1/shield/keys/" + key_id + "/events", session_token(a)).body, events_before);
}

// Scene 13 with the two-party P-256 key: `pdfsig` validates the PAdES signature with our chain.
TEST_P(P256ShieldE2eTest, SealsAPdfThatPdfsigValidates) {
  seal_pdf_and_check_with_pdfsig("ec-p256", "p256o", "p256pdf", "13912380013", "郑十", "110105194912310257");
}

CERTSEAL_INSTANTIATE_API_ENGINES(P256ShieldE2eTest);

}  // namespace
}  // namespace certseal::testing
