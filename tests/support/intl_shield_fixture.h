// The fixture of the international two-party keys' end-to-end tests (RSA: rsa_shield_test.cpp,
// P-256: p256_shield_test.cpp): a server with an RSA CA ("rsao") and a P-256 CA ("p256o"), a
// relying-party application for scenes 06/14/16/20, products bought per algorithm, the device's
// unlock keys and raw sign steps (for tests written from the attacker's side), and
// `openssl cms -verify` against the published chain of a CA.
#pragma once

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/encoding.h"
#include "crypto/unlock.h"
#include "docsign/text_render.h"
#include "pki/cms_enveloped.h"
#include "service/scene/rp_apps.h"
#include "support/client_fixture.h"

namespace certseal::testing {

inline std::string uscc_for(const std::string& prefix) {
  static const std::string kChars = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  static const int kW[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += static_cast<int>(kChars.find(prefix[static_cast<std::size_t>(i)])) * kW[i];
  return prefix + kChars[static_cast<std::size_t>((31 - sum % 31) % 31)];
}


class IntlShieldE2eTest : public ClientE2eTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    auto a = ClientE2eTest::extra_server_args();
    for (const char* s : {"ca.rsao.algorithm=rsa-2048", "ca.p256o.algorithm=ec-p256"}) {
      a.push_back("--set");
      a.push_back(s);
    }
    return a;
  }

 protected:
  struct App {
    std::string id, secret;
  };
  App register_app(const std::string& callback = "http://127.0.0.1:9/cb",
                   const std::vector<std::string>& scenes = {"06", "14", "16", "20"}) {
    auto r = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", "国际证书接入"}, {"platform_id", platform_}, {"callback_url", callback},
                   {"scenes", scenes}});
    EXPECT_EQ(r.status, 201) << r.body;
    return {r.json().value("id", ""), r.json().value("secret", "")};
  }
  HttpResponse rp(const App& app, const std::string& method, const std::string& target,
                  const nlohmann::json& body = nullptr) {
    const std::string text = body.is_null() ? "" : body.dump();
    const std::string nonce = "rsa-nonce-" + std::to_string(++nonces_) + "-" + std::to_string(::getpid());
    std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app.id,
                                                                                 app.secret, method, target, text,
                                                                                 SystemClock().now_unix(), nonce)};
    if (!text.empty()) h.push_back("Content-Type: application/json");
    return http_->request(method, target, text, h);
  }
  // A product of `algorithm` from CA `ca`, bought and approved: the order id.
  std::string buy(const std::string& d, const std::string& phone, const std::string& algorithm, const std::string& ca) {
    catalogue();
    auto p = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "个人证书 " + algorithm}, {"cert_type", "personal"},
                   {"algorithm", algorithm}, {"validity_years", 1}, {"price_fen", 12000}, {"ca_id", ca},
                   {"seal_type", "handwritten"}});
    EXPECT_EQ(p.status, 201) << p.body;
    const std::string keep = product_;
    product_ = p.json().value("id", "");
    std::string order = buy_cli(d, phone);
    product_ = keep;
    return order;
  }
  // The scene's answer, as the relying party reads it.
  nlohmann::json scan(const std::string& d, const App& app, const nlohmann::json& body, const std::string& pin) {
    auto c = rp(app, "POST", "/api/v1/rp/scene-requests", body);
    EXPECT_EQ(c.status, 201) << c.body;
    auto s = cli(d, {"--json", "scan", "--payload", c.json()["qr_payload"], "--yes"}, {pin});
    EXPECT_EQ(s.exit_code, 0) << s;
    return rp(app, "GET", "/api/v1/rp/scene-requests/" + c.json()["id"].get<std::string>()).json();
  }
  // Envelopes that `openssl cms -encrypt` makes to `leaf_pem` with each option set (the cipher,
  // then -keyopt options for the recipient) open through scene 14 on device `d` to `content`.
  void openssl_envelopes_open_by_scan(const std::string& d, const App& app, const std::string& pin,
                                      const std::string& leaf_pem, const std::string& content,
                                      const std::string& nonce_prefix, const std::vector<std::string>& option_sets) {
    put(f("bid.txt"), content);
    int n = 0;
    for (const std::string& opts : option_sets) {
      const std::size_t sp = opts.find(' ');
      const std::string cipher = opts.substr(0, sp), keyopts = sp == std::string::npos ? "" : opts.substr(sp);
      auto enc = sh("openssl cms -encrypt -binary " + cipher + " -in " + f("bid.txt") + " -outform DER -out " +
                    f("theirs.der") + " -recip " + leaf_pem + keyopts);
      auto v = scan(d, app,
                    {{"scene", "14"}, {"title", "开标"}, {"nonce", nonce_prefix + std::to_string(++n)},
                     {"message", base64_encode(as_bytes(read_all(f("theirs.der"))))}},
                    pin);
      ASSERT_EQ(v["status"], "completed") << opts << " " << enc << v;
      EXPECT_EQ(to_string(base64_decode(v["result"]["content"].get<std::string>()).value()), content) << opts;
    }
  }
  // The attacker's side of scene 14 with AES-GCM: an AuthEnvelopedData that `openssl cms -encrypt
  // -aes-256-gcm` makes to `leaf_pem`, one byte of its tag (or of its ciphertext) flipped on the
  // way. The request is accepted (the structure is intact), the user's key unwraps the right
  // content key, and the completion is refused (envelope_not_authentic): the relying party sees
  // no content and the request is not completed.
  void altered_gcm_envelope_is_refused(const std::string& d, const App& app, const std::string& pin,
                                       const std::string& leaf_pem, const std::string& nonce, bool flip_tag) {
    put(f("altered.txt"), "sealed bid, altered on the way");
    auto enc = sh("openssl cms -encrypt -binary -aes-256-gcm -in " + f("altered.txt") + " -outform DER -out " +
                  f("altered.der") + " -recip " + leaf_pem);
    Bytes der = to_bytes(read_all(f("altered.der")));
    auto e = pki::cms::parse_enveloped(der);
    ASSERT_TRUE(e.ok()) << enc;
    ASSERT_TRUE(e->authenticated);
    std::size_t at = der.size() - 1;  // the mac is the last field
    if (!flip_tag) {
      auto it = std::search(der.begin(), der.end(), e->encrypted_content.begin(), e->encrypted_content.end());
      ASSERT_NE(it, der.end());
      at = static_cast<std::size_t>(it - der.begin()) + 2;
    }
    der[at] ^= 0x01;
    auto c = rp(app, "POST", "/api/v1/rp/scene-requests",
                {{"scene", "14"}, {"title", "开标"}, {"nonce", nonce}, {"message", base64_encode(der)}});
    ASSERT_EQ(c.status, 201) << c.body;
    auto s = cli(d, {"--json", "scan", "--payload", c.json()["qr_payload"], "--yes"}, {pin});
    EXPECT_NE(s.exit_code, 0) << s;
    EXPECT_NE((s.out + s.err).find("envelope_not_authentic"), std::string::npos) << s;
    auto v = rp(app, "GET", "/api/v1/rp/scene-requests/" + c.json()["id"].get<std::string>()).json();
    EXPECT_NE(v["status"], "completed") << v;
    EXPECT_EQ(v["result"].dump().find("sealed bid"), std::string::npos) << v;
    EXPECT_FALSE(v["result"].is_object() && v["result"].contains("content")) << v;
  }
  // Scene 16 with content_encryption: aes-256-gcm an AES-256-GCM AuthEnvelopedData, aes-256-cbc
  // an EnvelopedData (both as `openssl cms -cmsout -print` reads them), an unknown value is
  // refused at creation; each envelope opens again through scene 14 on device `d`.
  // Scene 20's raw form: the bare signature over the message (SHA-256), which `openssl dgst
  // -verify` accepts under the certificate's key and the verification API accepts for the message
  // and refuses for another.
  void raw_signature_verifies(const std::string& d, const App& app, const std::string& pin, const std::string& message,
                              const std::string& nonce) {
    auto v = scan(d, app,
                  {{"scene", "20"}, {"title", "签署"}, {"nonce", nonce}, {"message", base64_encode(as_bytes(message))},
                   {"form", "raw"}},
                  pin);
    ASSERT_EQ(v["status"], "completed") << v;
    EXPECT_EQ(v["result"]["form"], "raw");
    put(f("raw-leaf.pem"), v["result"]["certificate"].get<std::string>());
    sh("openssl x509 -in " + f("raw-leaf.pem") + " -pubkey -noout > " + f("raw-pub.pem"));
    put(f("raw-msg.bin"), message);
    put(f("raw-sig.bin"), to_string(base64_decode(v["result"]["signature"].get<std::string>()).value()));
    EXPECT_NE(sh("openssl dgst -sha256 -verify " + f("raw-pub.pem") + " -signature " + f("raw-sig.bin") + " " +
                 f("raw-msg.bin"))
                  .find("Verified OK"),
              std::string::npos);
    for (const std::string& content : {message, message + "!"}) {
      auto r = rp(app, "POST", "/api/v1/rp/verifications",
                  {{"signature", v["result"]["signature"]}, {"certificate", v["result"]["certificate"]},
                   {"content", base64_encode(as_bytes(content))}});
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.json()["valid"], content == message) << r.body;
    }
  }

  void scene16_envelopes_open_by_scan(const std::string& d, const App& app, const std::string& pin,
                                      const std::string& content, const std::string& nonce_prefix) {
    auto bad = rp(app, "POST", "/api/v1/rp/scene-requests",
                  {{"scene", "16"}, {"title", "加密"}, {"nonce", nonce_prefix + "bad-0001"},
                   {"message", base64_encode(as_bytes(content))}, {"content_encryption", "des-ede3-cbc"}});
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_NE(bad.body.find("unknown_content_encryption"), std::string::npos) << bad.body;
    auto wrong_scene = rp(app, "POST", "/api/v1/rp/scene-requests",
                          {{"scene", "20"}, {"title", "签署"}, {"nonce", nonce_prefix + "s20-0001"},
                           {"message", base64_encode(as_bytes(content))}, {"content_encryption", "aes-256-cbc"}});
    EXPECT_EQ(wrong_scene.status, 400) << wrong_scene.body;
    struct Case {
      nlohmann::json field;  // content_encryption as sent (null: left out)
      std::string container, cipher;
    };
    int n = 0;
    // (The default, left out, is what the scene-16 step of each e2e test checks.)
    for (const Case& c : {Case{"aes-256-gcm", "id-smime-ct-authEnvelopedData", "aes-256-gcm"},
                          Case{"aes-256-cbc", "pkcs7-envelopedData", "aes-256-cbc"}}) {
      SCOPED_TRACE(c.field.dump());
      nlohmann::json body = {{"scene", "16"}, {"title", "加密投标文件"}, {"nonce", nonce_prefix + "enc-000" + std::to_string(++n)},
                             {"message", base64_encode(as_bytes(content))}};
      if (!c.field.is_null()) body["content_encryption"] = c.field;
      auto c16 = rp(app, "POST", "/api/v1/rp/scene-requests", body);
      ASSERT_EQ(c16.status, 201) << c16.body;
      EXPECT_EQ(c16.json()["content_encryption"], c.field.is_null() ? nlohmann::json("aes-256-gcm") : c.field);
      auto s16 = cli(d, {"--json", "scan", "--payload", c16.json()["qr_payload"], "--yes"});
      ASSERT_EQ(s16.exit_code, 0) << s16;
      auto v16 = rp(app, "GET", "/api/v1/rp/scene-requests/" + c16.json()["id"].get<std::string>()).json();
      ASSERT_EQ(v16["status"], "completed") << v16;
      put(f("env16.der"), to_string(base64_decode(v16["result"]["cms"].get<std::string>()).value()));
      const std::string printed = sh("openssl cms -cmsout -print -inform DER -in " + f("env16.der"));
      EXPECT_NE(printed.find("contentType: " + c.container), std::string::npos) << printed;
      EXPECT_NE(printed.find("algorithm: " + c.cipher), std::string::npos) << printed;
      auto v14 = scan(d, app,
                      {{"scene", "14"}, {"title", "开标"}, {"nonce", nonce_prefix + "open-000" + std::to_string(n)},
                       {"message", v16["result"]["cms"]}},
                      pin);
      ASSERT_EQ(v14["status"], "completed") << v14;
      EXPECT_EQ(to_string(base64_decode(v14["result"]["content"].get<std::string>()).value()), content);
    }
  }
  std::string session_token(const std::string& d) {
    return nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  }
  // The unlock keys of the device's key file under `pin` (what the device derives).
  crypto::unlock::UnlockKeys unlock_keys(const std::string& d, const std::string& key_id, const std::string& pin) {
    auto k = nlohmann::json::parse(read_all(d + "/keys/" + key_id + ".json"));
    crypto::Argon2Limits limits;
    limits.ops = k["argon2"]["ops"];
    limits.mem_bytes = k["argon2"]["mem_bytes"];
    const std::string device_id = nlohmann::json::parse(read_all(d + "/device.json"))["device_id"];
    return crypto::unlock::derive(pin, base64_decode(k["salt"].get<std::string>()).value(), device_id, limits).value();
  }
  std::string device_id(const std::string& d) { return nlohmann::json::parse(read_all(d + "/device.json"))["device_id"]; }
  // One sign step over HTTP with a proof from `auth_key`; the nonce is fetched unless given.
  HttpResponse sign_step(const std::string& d, const std::string& key_id, BytesView auth_key, const Bytes& request,
                         std::string nonce = "", const std::string& operation = "sign") {
    const std::string token = session_token(d), dev_id = device_id(d);
    if (nonce.empty()) {
      auto ch = call("POST", "/api/v1/shield/challenges", token, {{"key_id", key_id}, {"device_id", dev_id}});
      EXPECT_EQ(ch.status, 200) << ch.body;
      nonce = ch.json()["nonce"];
    }
    const Bytes proof = crypto::unlock::proof(auth_key, operation, key_id, dev_id, nonce, request);
    last_nonce_ = nonce;
    return call("POST", "/api/v1/shield/keys/" + key_id + (operation == "sign" ? "/signatures" : "/decryptions"), token,
                {{"device_id", dev_id}, {"nonce", nonce}, {"proof", base64_encode(proof)},
                 {"request", base64_encode(request)}, {"purpose", "test"}});
  }
  std::string openssl_cms_verify(const std::string& cms_b64, const std::string& detached = "",
                                 const std::string& ca = "rsao") {
    put(f("rsa-cms.der"), to_string(base64_decode(cms_b64).value()));
    put(f("rsa-chain.pem"), http_->get("/ca/" + ca + "/chain.pem").body);
    std::string cmd = "openssl cms -verify -inform DER -in " + f("rsa-cms.der") + " -CAfile " + f("rsa-chain.pem") +
                      " -purpose any -out " + f("rsa-content.bin");
    if (!detached.empty()) {
      put(f("rsa-detached.bin"), detached);
      cmd += " -binary -content " + f("rsa-detached.bin");
    }
    return sh(cmd);
  }
  // Scene 13 (PDF) with a key of `algorithm` from CA `ca`: a seal made and approved, a PDF sealed
  // through the real client; `qpdf --check` accepts it, `pdfsig` reports it valid and the
  // certificate trusted with the published chain in a fresh NSS database, and a changed byte.
  void seal_pdf_and_check_with_pdfsig(const std::string& algorithm, const std::string& ca, const std::string& tag,
                                      const std::string& phone, const std::string& name, const std::string& id_number) {
    auto maker = call("POST", "/api/v1/operator/catalogue/seal-makers", operator_token_, {{"name", "测试制章单位"}});
    ASSERT_EQ(maker.status, 201) << maker.body;
    ASSERT_EQ(call("POST", "/api/v1/operator/seal-makers/" + maker.json()["id"].get<std::string>() + "/certificate",
                   operator_token_, {{"uscc", uscc_for("91110108MA01MKR09")}})
                  .status,
              201);
    const std::string a = dev(tag), pin = "Pin#pdf-" + tag;
    register_cli(a, phone);
    verify_cli(a, phone, name, id_number);
    auto inst = cli(a, {"--json", "cert", "install", buy(a, phone, algorithm, ca)}, {pin, pin});
    ASSERT_EQ(inst.exit_code, 0) << inst;
    const std::string cert_id = inst.json()["certificate_id"];
    put(f("strokes.json"), "[[[10,40,0.4,0],[30,10,0.6,20],[50,45,0.7,40],[70,12,0.5,60],[90,40,0.3,80]]]");
    auto made = cli(a, {"--json", "seal", "make", "--cert", cert_id, "--kind", "handwritten", "--strokes",
                        f("strokes.json")});
    ASSERT_EQ(made.exit_code, 0) << made;
    const std::string seal = made.json().value("id", "");
    ASSERT_EQ(call("POST", "/api/v1/operator/seals/" + seal + "/approval", operator_token_).status, 200);
    auto reg = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                    {{"name", "国际招标平台"}, {"platform_id", platform_}, {"callback_url", "http://127.0.0.1:9/cb"},
                     {"scenes", {"13"}}});
    ASSERT_EQ(reg.status, 201) << reg.body;
    App app{reg.json()["id"], reg.json()["secret"]};
    Bytes pdf = docsign::render_pdf({{"Bid letter", 18, true, docsign::TextBlock::Align::kCenter},
                                     {"We accept the terms of the tender.", 12},
                                     {"Bidder signature here", 12}},
                                    {"Bid", "Tender platform"})
                    .value();
    auto sign_rp = [&](const std::string& method, const std::string& target, const std::string& body,
                       const std::string& type) {
      const std::string nonce = "rsa13-" + std::to_string(++nonces_) + "-" + std::to_string(::getpid());
      std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app.id,
                                                                                   app.secret, method, target, body,
                                                                                   SystemClock().now_unix(), nonce)};
      if (!type.empty()) h.push_back("Content-Type: " + type);
      return http_->request(method, target, body, h);
    };
    auto doc = sign_rp("POST", "/api/v1/rp/documents", to_string(pdf), "application/pdf");
    ASSERT_EQ(doc.status, 201) << doc.body;
    auto created = rp(app, "POST", "/api/v1/rp/scene-requests",
                      {{"scene", "13"}, {"title", "Bid letter"}, {"nonce", "rsa-doc-0001"}, {"document_id", doc.json()["id"]},
                       {"placement", {{"mode", "position"}, {"page", 1}}}});
    ASSERT_EQ(created.status, 201) << created.body;
    auto s = cli(a, {"--json", "scan", "--payload", created.json()["qr_payload"], "--preview", f("p.png")}, {"y", pin});
    ASSERT_EQ(s.exit_code, 0) << s;
    auto v = rp(app, "GET", "/api/v1/rp/scene-requests/" + created.json()["id"].get<std::string>());
    ASSERT_EQ(v.json()["status"], "completed") << v.body;
    auto got = sign_rp("GET", "/api/v1/rp/documents/" + v.json()["result"]["signed_document_id"].get<std::string>(), "", "");
    ASSERT_EQ(got.status, 200);
    put(f("signed13.pdf"), got.body);
    EXPECT_NE(sh("qpdf --check " + f("signed13.pdf")).find("No syntax or stream encoding errors"), std::string::npos);
    // pdfsig with our chain in a fresh NSS database: valid and trusted.
    const std::string nss = f("nssdb");
    sh("mkdir -p " + nss + " && certutil -N -d sql:" + nss + " --empty-password");
    put(f("rsa-chain.pem"), http_->get("/ca/" + ca + "/chain.pem").body);
    sh("cd " + dir_.path() + " && csplit -s -z -f chainpart- rsa-chain.pem '/-----BEGIN CERTIFICATE-----/' '{*}'");
    for (int i = 0; i < 4; ++i) {
      const std::string part = f("chainpart-0" + std::to_string(i));
      if (read_all(part).empty()) continue;
      sh("certutil -A -d sql:" + nss + " -n ca" + std::to_string(i) + " -t CT,C,C -a -i " + part);
    }
    const std::string report = sh("pdfsig -nssdir sql:" + nss + " " + f("signed13.pdf"));
    EXPECT_NE(report.find("Signature is Valid"), std::string::npos) << report;
    EXPECT_NE(report.find("Certificate is Trusted"), std::string::npos) << report;
    EXPECT_NE(report.find("ETSI.CAdES.detached"), std::string::npos) << report;
    // A byte changed after signing.
    std::string changed = got.body;
    changed[changed.size() / 3] ^= 0x01;
    put(f("changed13.pdf"), changed);
    EXPECT_EQ(sh("pdfsig -nssdir sql:" + nss + " " + f("changed13.pdf")).find("Signature is Valid"), std::string::npos);
  }
  int nonces_ = 0;
  std::string last_nonce_;
};

}  // namespace certseal::testing
