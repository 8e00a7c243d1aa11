// Two-party RSA keys end to end (docs/SHIELD.md "International algorithms", crypto/rsa_split.h):
// an `rsa-2048` product is bought and installed by the real `certseal` client (which generates
// the key and hands the server only its exponent share) against a real certseald on both engines;
// the certificate comes from an RSA CA. The key then answers the QR scenes (docs/INTEGRATION.md):
// 06 and 20 give CMS SignedData (sha256WithRSAEncryption) that `openssl cms -verify` accepts with
// the published chain; 16 gives an AuthEnvelopedData (RSAES-OAEP, AES-256-GCM; AES-256-CBC
// EnvelopedData when asked) that scene 14 opens again; envelopes made by `openssl cms -encrypt`
// (PKCS#1 v1.5 and OAEP; AES-CBC and AES-GCM) open through scene 14, and a GCM envelope with a
// flipped tag byte is refused there (envelope_not_authentic) with no content released.
//
// Scene 13 (PDF, through docsign) with the RSA key: `pdfsig` reports the signature valid and
// the certificate trusted once the published chain is in its NSS database, `qpdf --check`
// accepts the file, and a byte changed after signing is reported.
//
// Refusals from the attacker's side: the server's half alone (what a stolen server database
// gives) yields no valid signature; the sign step is no raw RSA oracle; a wrong certificate
// password is refused and counted; a replayed challenge nonce is refused.
#include "crypto/rsa_split.h"
#include "docsign/text_render.h"
#include "crypto/unlock.h"
#include "pki/cms_enveloped.h"
#include "service/scene/rp_apps.h"
#include "support/intl_shield_fixture.h"

namespace certseal::testing {
namespace {

class RsaShieldE2eTest : public IntlShieldE2eTest {};

TEST_P(RsaShieldE2eTest, InstallsAnRsaKeyAndAnswersEveryScene) {
  const std::string a = dev("rsa"), phone = "13912370001", pin = "Pin#rsa2048";
  register_cli(a, phone);
  verify_cli(a, phone, "王五", "110105194912310150");
  const std::string order = buy(a, phone, "rsa-2048", "rsao");
  auto inst = cli(a, {"--json", "cert", "install", order}, {pin, pin});
  ASSERT_EQ(inst.exit_code, 0) << inst;
  const std::string key_id = inst.json()["key_id"], cert_id = inst.json()["certificate_id"];
  const std::string pem = inst.json()["certificate"]["certificate_pem"];
  // The certificate: RSA 2048 from the RSA CA, trusted with the published chain.
  put(f("rsa-leaf.pem"), pem);
  put(f("rsa-chain.pem"), http_->get("/ca/rsao/chain.pem").body);
  EXPECT_NE(sh("openssl x509 -in " + f("rsa-leaf.pem") + " -noout -text").find("Public-Key: (2048 bit)"),
            std::string::npos);
  EXPECT_NE(sh("openssl verify -CAfile " + f("rsa-chain.pem") + " " + f("rsa-leaf.pem")).find(": OK"),
            std::string::npos);
  // The device keeps the public key and its masked exponent share; the server says RSA.
  auto key_file = nlohmann::json::parse(read_all(a + "/keys/" + key_id + ".json"));
  EXPECT_EQ(key_file["algorithm"], "rsa-2048");
  EXPECT_EQ(base64_decode(key_file["masked_d1"].get<std::string>())->size(), 256u + 16u);
  auto shown = call("GET", "/api/v1/account/certificates/" + cert_id, session_token(a));
  EXPECT_EQ(shown.json()["key"]["algorithm"], "rsa-2048") << shown.body;

  App app = register_app();
  // 06: the login assertion, CMS SignedData with sha256WithRSAEncryption, checked by openssl.
  auto v06 = scan(a, app, {{"scene", "06"}, {"title", "登录"}, {"nonce", "rsa-login-0001"}}, pin);
  ASSERT_EQ(v06["status"], "completed") << v06;
  EXPECT_NE(openssl_cms_verify(v06["result"]["cms"]).find("Verification successful"), std::string::npos)
      << openssl_cms_verify(v06["result"]["cms"]);
  auto assertion = nlohmann::json::parse(read_all(f("rsa-content.bin")), nullptr, false);
  EXPECT_EQ(assertion["nonce"], "rsa-login-0001") << assertion;
  EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("rsa-cms.der")).find("sha256WithRSAEncryption"),
            std::string::npos);
  auto ver = rp(app, "POST", "/api/v1/rp/verifications", {{"cms", v06["result"]["cms"]}});
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["signer"]["certificate_id"], cert_id);

  // 20: attached, and detached although the GM/T form was asked (RSA signs RFC 5652).
  const std::string message = "确认投标文件 第5包 报价 990,000.00 元";
  auto v20 = scan(a, app,
                  {{"scene", "20"}, {"title", "签署"}, {"nonce", "rsa-msg-0001"},
                   {"message", base64_encode(as_bytes(message))}},
                  pin);
  ASSERT_EQ(v20["status"], "completed") << v20;
  EXPECT_NE(openssl_cms_verify(v20["result"]["cms"]).find("Verification successful"), std::string::npos);
  EXPECT_EQ(read_all(f("rsa-content.bin")), message);
  auto v20d = scan(a, app,
                   {{"scene", "20"}, {"title", "签署"}, {"nonce", "rsa-msg-0002"},
                    {"message", base64_encode(as_bytes(message))}, {"detached", true}, {"form", "gmt0010"}},
                   pin);
  ASSERT_EQ(v20d["status"], "completed") << v20d;
  EXPECT_NE(openssl_cms_verify(v20d["result"]["cms"], message).find("Verification successful"), std::string::npos)
      << openssl_cms_verify(v20d["result"]["cms"], message);
  // A changed message is not accepted by openssl.
  EXPECT_EQ(openssl_cms_verify(v20d["result"]["cms"], message + " ").find("Verification successful"), std::string::npos);

  raw_signature_verifies(a, app, pin, message, "rsa-raw-0001");

  // 16: the envelope to the RSA certificate (RSAES-OAEP, AES-256-GCM by default); 14 opens it again.
  const std::string bid = "投标文件 第2包 报价 3,450,000.00 元";
  auto c16 = rp(app, "POST", "/api/v1/rp/scene-requests",
                {{"scene", "16"}, {"title", "加密投标文件"}, {"nonce", "rsa-enc-0001"},
                 {"message", base64_encode(as_bytes(bid))}});
  ASSERT_EQ(c16.status, 201) << c16.body;
  auto s16 = cli(a, {"--json", "scan", "--payload", c16.json()["qr_payload"], "--yes"});
  ASSERT_EQ(s16.exit_code, 0) << s16;
  auto v16 = rp(app, "GET", "/api/v1/rp/scene-requests/" + c16.json()["id"].get<std::string>()).json();
  ASSERT_EQ(v16["status"], "completed") << v16;
  auto env = pki::cms::parse_enveloped(base64_decode(v16["result"]["cms"].get<std::string>()).value());
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->key_transport, pki::cms::KeyTransport::kRsaOaepSha256);
  put(f("env16.der"), to_string(base64_decode(v16["result"]["cms"].get<std::string>()).value()));
  EXPECT_EQ(c16.json()["content_encryption"], "aes-256-gcm");
  EXPECT_TRUE(env->authenticated);
  EXPECT_EQ(env->cipher, pki::cms::ContentCipher::kAesGcm);
  const std::string printed16 = sh("openssl cms -cmsout -print -inform DER -in " + f("env16.der"));
  EXPECT_NE(printed16.find("rsaesOaep"), std::string::npos) << printed16;
  EXPECT_NE(printed16.find("contentType: id-smime-ct-authEnvelopedData"), std::string::npos) << printed16;
  EXPECT_NE(printed16.find("algorithm: aes-256-gcm"), std::string::npos) << printed16;
  auto v14 = scan(a, app,
                  {{"scene", "14"}, {"title", "开标：第2包"}, {"nonce", "rsa-open-0001"}, {"message", v16["result"]["cms"]}},
                  pin);
  ASSERT_EQ(v14["status"], "completed") << v14;
  EXPECT_EQ(to_string(base64_decode(v14["result"]["content"].get<std::string>()).value()), bid);

  // 14 with envelopes made by `openssl cms -encrypt` to the certificate: PKCS#1 v1.5 and OAEP.
  openssl_envelopes_open_by_scan(a, app, pin, f("rsa-leaf.pem"), bid, "rsa-open-ossl-",
                                 {"-aes256", "-aes128 -keyopt rsa_padding_mode:oaep",
                                  "-aes256 -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt "
                                  "rsa_mgf1_md:sha256"});

  // Usage records: the steps and the scenes are in the key's events, with the digest signed.
  auto ev = call("GET", "/api/v1/shield/keys/" + key_id + "/events", session_token(a));
  EXPECT_NE(ev.body.find("scene 20 "), std::string::npos) << ev.body;
  EXPECT_NE(ev.body.find("scene 14 "), std::string::npos) << ev.body;

  // (After the events check, whose first page these would fill.) 14 with AES-GCM AuthEnvelopedData
  // by `openssl cms -encrypt` (PKCS#1 v1.5 and OAEP); 16 with content_encryption (aes-256-gcm,
  // aes-256-cbc; others refused), each opened by 14; a GCM envelope whose tag was changed on the
  // way is refused and releases nothing.
  openssl_envelopes_open_by_scan(a, app, pin, f("rsa-leaf.pem"), bid, "rsa-open-gcm-",
                                 {"-aes-256-gcm", "-aes-128-gcm",
                                  "-aes-256-gcm -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt "
                                  "rsa_mgf1_md:sha256"});
  scene16_envelopes_open_by_scan(a, app, pin, bid, "rsa-ce-");
  altered_gcm_envelope_is_refused(a, app, pin, f("rsa-leaf.pem"), "rsa-altered-0001", true);
}

// Attackers: whoever holds the server's share (a stolen database), a thief with the device folder
// but not the password, a replayer of a captured step, a device using "sign" as a raw RSA oracle.
TEST_P(RsaShieldE2eTest, RefusesTheAttackersSide) {
  const std::string a = dev("rsa2"), phone = "13912370002", pin = "Pin#rsa-two";
  register_cli(a, phone);
  verify_cli(a, phone, "赵六", "110105194912310177");
  // (ECDSA P-256 orders install as two-party ECDSA keys now: p256_shield_test.cpp.)
  const std::string order = buy(a, phone, "rsa-2048", "rsao");
  auto inst = cli(a, {"--json", "cert", "install", order}, {pin, pin});
  ASSERT_EQ(inst.exit_code, 0) << inst;
  const std::string key_id = inst.json()["key_id"];
  put(f("leaf2.pem"), inst.json()["certificate"]["certificate_pem"].get<std::string>());
  sh("openssl x509 -in " + f("leaf2.pem") + " -pubkey -noout > " + f("pub2.pem"));
  auto keys = unlock_keys(a, key_id, pin);
  const BytesView auth(keys.auth_key.data(), keys.auth_key.size());

  // The server's half alone: its answer to a well-formed request is no signature openssl accepts.
  const Bytes msg = to_bytes("pay 1,000,000.00");
  const Bytes em = crypto::rsa_split::emsa_pkcs1_sha256(crypto::sha256(msg), 256).value();
  auto half = sign_step(a, key_id, auth, crypto::rsa_split::StepRequest{em}.encode());
  ASSERT_EQ(half.status, 200) << half.body;
  auto y = crypto::rsa_split::StepResponse::decode(base64_decode(half.json()["response"].get<std::string>()).value());
  ASSERT_TRUE(y.ok());
  put(f("msg.bin"), to_string(msg));
  put(f("half.sig"), to_string(y->y));
  EXPECT_EQ(sh("openssl dgst -sha256 -verify " + f("pub2.pem") + " -signature " + f("half.sig") + " " + f("msg.bin"))
                .find("Verified OK"),
            std::string::npos);

  // The captured step replayed: its nonce is spent.
  auto replay = sign_step(a, key_id, auth, crypto::rsa_split::StepRequest{em}.encode(), last_nonce_);
  EXPECT_EQ(replay.status, 400) << replay.body;
  EXPECT_EQ(replay.json()["code"], "bad_nonce");

  // The sign step exponentiates nothing but a PKCS#1 v1.5 SHA-256 encoding (no raw RSA oracle).
  Bytes raw(256, 0x42);
  raw[0] = 0;
  auto oracle = sign_step(a, key_id, auth, crypto::rsa_split::StepRequest{raw}.encode());
  EXPECT_EQ(oracle.status, 400) << oracle.body;
  EXPECT_EQ(oracle.json()["code"], "not_a_pkcs1_sha256_encoding");

  // A wrong certificate password: refused by the server and counted, through the real client.
  App app = register_app();
  auto c = rp(app, "POST", "/api/v1/rp/scene-requests",
              {{"scene", "20"}, {"title", "签署"}, {"nonce", "rsa-wrong-01"}, {"message", base64_encode(as_bytes("m"))}});
  ASSERT_EQ(c.status, 201);
  auto wrong = cli(a, {"scan", "--payload", c.json()["qr_payload"], "--yes"}, {"not-the-pin"});
  EXPECT_NE(wrong.exit_code, 0) << wrong;
  EXPECT_NE(wrong.err.find("证书密码错误，还可尝试 4 次"), std::string::npos) << wrong;
  auto ev = call("GET", "/api/v1/shield/keys/" + key_id + "/events", session_token(a));
  EXPECT_NE(ev.body.find("bad_unlock_proof"), std::string::npos) << ev.body;
  // A proof made with another password's key is counted the same way.
  auto other = crypto::unlock::derive("guess-2", Bytes(16, 1), device_id(a)).value();
  auto guess = sign_step(a, key_id, BytesView(other.auth_key.data(), other.auth_key.size()),
                         crypto::rsa_split::StepRequest{em}.encode());
  EXPECT_EQ(guess.status, 403) << guess.body;
  EXPECT_EQ(guess.json()["code"], "bad_unlock_proof");
  EXPECT_NE(guess.body.find("3 attempts left"), std::string::npos) << guess.body;
  // The owner with the right password still signs (a failure is forgiven only by time, not used up).
  auto ok = scan(a, app, {{"scene", "20"}, {"title", "签署"}, {"nonce", "rsa-right-01"}, {"message", base64_encode(as_bytes("m"))}},
                 pin);
  EXPECT_EQ(ok["status"], "completed") << ok;

  // Recovery (SMS code, login password, face) and a password change work for an RSA key as for an
  // SM2 one: the device's share is re-masked, and the old password no longer unlocks it.
  put(f("face.png"), kPng);
  auto rec = cli(a, {"pin", "recover", "--key", key_id, "--code", code(a, phone, "authorise"), "--face", f("face.png")},
                 {kLoginPw, "Pin#rsa-rec", "Pin#rsa-rec"});
  ASSERT_EQ(rec.exit_code, 0) << rec;
  auto chg = cli(a, {"pin", "change", "--key", key_id}, {"Pin#rsa-rec", "Pin#rsa-new", "Pin#rsa-new"});
  ASSERT_EQ(chg.exit_code, 0) << chg;
  auto after = scan(a, app,
                    {{"scene", "20"}, {"title", "签署"}, {"nonce", "rsa-after-01"}, {"message", base64_encode(as_bytes("n"))}},
                    "Pin#rsa-new");
  EXPECT_EQ(after["status"], "completed") << after;
  auto c3 = rp(app, "POST", "/api/v1/rp/scene-requests",
               {{"scene", "20"}, {"title", "签署"}, {"nonce", "rsa-oldpin-01"}, {"message", base64_encode(as_bytes("o"))}});
  ASSERT_EQ(c3.status, 201);
  auto old_pin = cli(a, {"scan", "--payload", c3.json()["qr_payload"], "--yes"}, {pin});
  EXPECT_NE(old_pin.exit_code, 0) << old_pin;
  EXPECT_NE(old_pin.err.find("证书密码错误"), std::string::npos) << old_pin;
}

TEST_P(RsaShieldE2eTest, SealsAPdfThatPdfsigValidates) {
  seal_pdf_and_check_with_pdfsig("rsa-2048", "rsao", "rsa13", "13912370013", "孙七", "110105194912310193");
}

CERTSEAL_INSTANTIATE_API_ENGINES(RsaShieldE2eTest);

}  // namespace
}  // namespace certseal::testing
