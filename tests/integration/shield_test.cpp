// The server side of the mobile shield over HTTP, on both engines, with the device's half run by
// the crypto library here (the `certseal` client does the same): install from an approved order,
// two-party signing and decryption checked with OpenSSL, the unlock proof and the lock after 5
// wrong passwords, recovery, devices added by pairing and removed, another user's key, renew /
// change / revoke / reissue, and a search of everything the server keeps for the device share.
#include <algorithm>
#include <filesystem>
#include <functional>
#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "base/encoding.h"
#include "crypto/cosign.h"
#include "crypto/hash.h"
#include "crypto/pairing.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "crypto/unlock.h"
#include "docsign/text_render.h"
#include "pki/certificate.h"
#include "store/db.h"
#include "support/api_fixture.h"

namespace certseal::testing {
namespace {

namespace cosign = crypto::cosign;
namespace unlock = crypto::unlock;
namespace pairing = crypto::pairing;

// One device: its id, its share (once enrolled) and the unlock keys of its password.
struct Device {
  std::string id, name;
  std::string key_id;
  std::optional<cosign::DeviceShare> share;
  unlock::UnlockKeys keys;
  Bytes salt;
  Bytes recovery_key;  // as the server last gave it to this device
};

// A pairing as the new device started it: what it keeps and the code it shows the user.
struct NewDevicePairing {
  std::string id, challenge, code;
  pairing::NewDeviceSecrets b;
};

class ShieldApiTest : public ApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    // A CA whose SM2 signer ID is the one the OpenSSL 3.0 CLI uses, so `openssl verify` checks it.
    // The origin the mobile app is served from, for fingerprint/face unlock (WebAuthn).
    return {"--set", "ca.sm2o.algorithm=sm2", "--set", "ca.sm2o.sm2_id=", "--set",
            "shield.webauthn_origin=https://app.example.cn"};
  }

 protected:
  SystemRng rng_;

  // An approved order for a one-year personal SM2 certificate, paid through the sandbox gateway.
  std::string approved_order(const std::string& token, const std::string& phone, const std::string& product = "",
                             const std::string& certificate_id = "") {
    if (product_.empty()) {
      auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "示例交易平台"}});
      EXPECT_EQ(p.status, 201) << p.body;
      platform_ = p.json()["id"];
      auto a = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                    {{"kind", "certificate"}, {"name", "个人证书 SM2 1年"}, {"cert_type", "personal"},
                     {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 12000}, {"ca_id", "sm2o"},
                     {"seal_type", "handwritten"}});
      EXPECT_EQ(a.status, 201) << a.body;
      product_ = a.json()["id"];
    }
    nlohmann::json order = {{"product_id", product.empty() ? product_ : product}};
    if (certificate_id.empty()) order["platform_id"] = platform_;
    if (!certificate_id.empty()) order["certificate_id"] = certificate_id;
    auto r = call("POST", "/api/v1/orders", token, order);
    EXPECT_EQ(r.status, 201) << r.body;
    std::string id = r.json()["id"];
    EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
    EXPECT_EQ(call("POST", "/api/v1/orders/" + id + "/authorisation", token, {{"code", code_for(phone)}}).status, 200);
    auto pay = call("POST", "/api/v1/orders/" + id + "/online-payments", token, {{"gateway", "sandbox"}});
    EXPECT_EQ(pay.status, 201) << pay.body;
    std::string url = pay.json()["pay_url"];
    EXPECT_EQ(http_->request("POST", url.substr(url.find("/sandbox-pay/"))).status, 202);
    for (int i = 0; i < 100 && status_of(token, id) != "in_review"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto ap = call("POST", "/api/v1/operator/orders/" + id + "/approval", operator_token_);
    EXPECT_EQ(ap.status, 200) << ap.body;
    return id;
  }
  std::string status_of(const std::string& token, const std::string& order) {
    auto r = call("GET", "/api/v1/orders/" + order, token);
    return r.status == 200 ? std::string(r.json()["status"]) : "http " + std::to_string(r.status);
  }
  std::string sms_code(const std::string& token, const std::string& phone) {
    EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
    return code_for(phone);
  }
  // An authorise code bound to one operation on one object.
  std::string scoped_code(const std::string& token, const std::string& phone, const std::string& action,
                          const std::string& object) {
    EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token,
                   {{"purpose", "authorise"}, {"action", action}, {"object_id", object}})
                  .status,
              202);
    return code_for(phone);
  }

  Device new_device(const std::string& id, const std::string& password) {
    Device d;
    d.id = id;
    d.name = "手机 " + id;
    d.salt = rng_.bytes(16);
    d.keys = *unlock::derive(password, d.salt, d.id, crypto::argon2_test_limits());
    return d;
  }
  nlohmann::json enrolment(const Device& d, const cosign::KeygenRequest& req) {
    return {{"device_id", d.id}, {"device_name", d.name}, {"p1", base64_encode(req.encode())},
            {"auth_key", base64_encode(d.keys.auth_key)}, {"salt", base64_encode(d.salt)}};
  }
  // Installs (or reissues, with `path` and `extra`) and keeps the device share. Returns the answer.
  nlohmann::json enrol(const std::string& token, Device& d, const std::string& path, nlohmann::json extra = {}) {
    auto start = cosign::device_keygen_start(rng_);
    nlohmann::json body = enrolment(d, start.request);
    for (auto& [k, v] : extra.items()) body[k] = v;
    auto r = call("POST", path, token, body);
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return nullptr;
    auto j = r.json();
    auto resp = cosign::KeygenResponse::decode(*base64_decode(std::string(j["keygen_response"])));
    auto share = cosign::device_keygen_finish(std::move(start.state), *resp);
    EXPECT_TRUE(share.ok());
    d.share = std::move(share).value();
    d.key_id = j["key_id"];
    d.recovery_key = *base64_decode(std::string(j["recovery_key"]));
    return j;
  }
  HttpResponse challenge(const std::string& token, const Device& d, const std::string& key_id) {
    return call("POST", "/api/v1/shield/challenges", token, {{"key_id", key_id}, {"device_id", d.id}});
  }
  // One signing step with the given auth key; the HTTP answer of the step.
  HttpResponse sign_step(const std::string& token, const Device& d, const cosign::SignRequest& req,
                         BytesView auth_key, const std::string& key_id = "") {
    const std::string key = key_id.empty() ? d.key_id : key_id;
    auto c = challenge(token, d, key);
    if (c.status != 200) return c;
    std::string nonce = c.json()["nonce"];
    const Bytes payload = req.encode();
    return call("POST", "/api/v1/shield/keys/" + key + "/signatures", token,
                {{"device_id", d.id}, {"nonce", nonce}, {"request", base64_encode(payload)},
                 {"proof", base64_encode(unlock::proof(auth_key, "sign", key, d.id, nonce, payload))},
                 {"purpose", "test signature"}});
  }
  // A whole two-party signature (raw r||s), or the refusal's HTTP status as an error code.
  Result<Bytes> sign(const std::string& token, const Device& d, const std::string& message) {
    int status = 0;
    auto sig = cosign::device_sign(*d.share, as_bytes(message), crypto::kSm2DefaultId, rng_,
                                   [&](const cosign::SignRequest& req) -> Result<cosign::SignResponse> {
                                     auto r = sign_step(token, d, req, d.keys.auth_key);
                                     status = r.status;
                                     if (r.status != 200) {
                                       return Error(ErrorKind::kPermissionDenied, r.json().value("code", "?"), r.body);
                                     }
                                     return cosign::SignResponse::decode(
                                         *base64_decode(std::string(r.json()["response"])));
                                   });
    return sig;
  }
  // The same over arbitrary bytes, DER-encoded (what a CMS or PDF signature carries).
  Result<Bytes> sign_der(const std::string& token, const Device& d, BytesView message) {
    CS_ASSIGN(auto raw, cosign::device_sign(*d.share, message, crypto::kSm2DefaultId, rng_,
                                            [&](const cosign::SignRequest& req) -> Result<cosign::SignResponse> {
                                              auto r = sign_step(token, d, req, d.keys.auth_key);
                                              if (r.status != 200) {
                                                return Error(ErrorKind::kPermissionDenied, r.json().value("code", "?"),
                                                             r.body);
                                              }
                                              return cosign::SignResponse::decode(
                                                  *base64_decode(std::string(r.json()["response"])));
                                            }));
    return crypto::ec_sig_raw_to_der(raw);
  }
  crypto::PublicKey cert_key(const nlohmann::json& cert) {
    auto blocks = pem_decode_all(std::string(cert["certificate_pem"]));
    auto facts = pki::read_certificate((*blocks)[0].der);
    EXPECT_TRUE(facts.ok());
    auto k = crypto::PublicKey::from_spki_der(facts->spki);
    EXPECT_TRUE(k.ok());
    return std::move(k).value();
  }
  // The database under the running server: tests that play a malicious server rewrite its rows.
  Status db_write(const std::function<Status(store::Tx&)>& fn) {
    auto db = GetParam() == "postgres" ? store::open_postgres({pg_->url(), 2})
                                       : store::open_sqlite({data_ + "/certseal.db"});
    if (!db) return std::move(db).error();
    return (*db)->write(fn);
  }
  // The new device starts pairing (crypto/pairing.h) and shows its code.
  NewDevicePairing start_pairing(const std::string& token, const Device& d) {
    NewDevicePairing p;
    p.b = pairing::new_device_start(rng_);
    auto r = call("POST", "/api/v1/shield/pairings", token,
                  {{"device_id", d.id}, {"device_name", d.name}, {"public_key", base64_encode(p.b.ephemeral_public)}});
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return p;
    p.id = r.json()["id"];
    p.challenge = r.json()["challenge"];
    p.code = pairing::pairing_code(p.b, {p.id, d.id});
    return p;
  }
  // The old device: fetches the pairing, checks the relayed key against the code the user typed
  // (an Error when it refuses: nothing is sent then), and posts its step. The step's HTTP answer.
  Result<HttpResponse> grant(const std::string& token, const Device& old, const std::string& pairing_id,
                             const std::string& code) {
    auto got = call("GET", "/api/v1/shield/pairings/" + pairing_id, token);
    if (got.status != 200) return got;
    const pairing::PairingContext ctx{pairing_id, got.json()["device_id"]};
    CS_ASSIGN(auto g, pairing::old_device_grant(*old.share, old.key_id, code, ctx,
                                                *base64_decode(std::string(got.json()["public_key"])), rng_));
    const SecretBytes u = g.request.encode();
    auto c = challenge(token, old, old.key_id);
    std::string nonce = c.json()["nonce"];
    Bytes payload = to_bytes(pairing_id);
    payload.insert(payload.end(), u.begin(), u.end());
    payload.insert(payload.end(), g.envelope.begin(), g.envelope.end());
    return call("POST", "/api/v1/shield/keys/" + old.key_id + "/devices", token,
                {{"device_id", old.id}, {"nonce", nonce}, {"pairing_id", pairing_id},
                 {"u", base64_encode(BytesView(u.data(), u.size()))}, {"envelope", base64_encode(g.envelope)},
                 {"proof", base64_encode(unlock::proof(old.keys.auth_key, "add_device", old.key_id, old.id, nonce,
                                                       payload))}});
  }
  // The new device: opens the relayed envelope (an Error when it refuses it), joins with a share
  // of its own, signs the completion with `signer` (its pairing key unless given) and posts it.
  Result<HttpResponse> complete(const std::string& token, Device& d, const NewDevicePairing& p,
                                const crypto::PrivateKey* signer = nullptr) {
    auto got = call("GET", "/api/v1/shield/pairings/" + p.id, token);
    if (got.status != 200) return got;
    // Nothing delivered (yet, or any more): the device can only try with a y of its own.
    std::optional<pairing::Joined> joined;
    if (got.json()["envelope"].is_string()) {
      CS_ASSIGN(auto j, pairing::new_device_join(p.b, {p.id, d.id}, *base64_decode(std::string(got.json()["envelope"])),
                                                 rng_));
      joined = std::move(j);
    } else {
      CS_ASSIGN(auto j, cosign::device_join(cosign::device_keygen_start(rng_).state.d1, p.b.ephemeral_public, rng_));
      joined = pairing::Joined{std::move(j.share), std::move(j.request), ""};
    }
    const SecretBytes y = joined->request.encode();
    const BytesView yv(y.data(), y.size());
    auto own = crypto::PrivateKey::ec_from_scalar(crypto::KeyType::kSm2, p.b.ephemeral);
    CS_TRY(own);
    const Bytes msg = pairing::completion_message(p.id, std::string(got.json()["challenge"]), yv, d.keys.auth_key, d.salt);
    CS_ASSIGN(auto sig, crypto::sign(signer ? *signer : *own, crypto::SignScheme::kSm2Sm3, msg));
    auto r = call("POST", "/api/v1/shield/pairings/" + p.id + "/completion", token,
                  {{"join_request", base64_encode(yv)}, {"auth_key", base64_encode(d.keys.auth_key)},
                   {"salt", base64_encode(d.salt)}, {"signature", base64_encode(sig)}});
    if (r.status == 200) {
      d.share = std::move(joined->share);
      d.key_id = r.json()["key_id"];
      d.recovery_key = *base64_decode(std::string(r.json()["recovery_key"]));
    }
    return r;
  }
  // The notification kinds of the account, newest first.
  std::vector<std::string> notice_kinds(const std::string& token) {
    std::vector<std::string> out;
    const nlohmann::json items = call("GET", "/api/v1/notifications", token).json()["items"];
    for (const auto& n : items) out.push_back(n["kind"]);
    return out;
  }
  ::testing::AssertionResult has_notice(const std::string& token, const std::string& kind) {
    auto k = notice_kinds(token);
    if (std::find(k.begin(), k.end(), kind) != k.end()) return ::testing::AssertionSuccess() << kind << " is there";
    std::string seen;
    for (const auto& x : k) seen += x + " ";
    return ::testing::AssertionFailure() << "no " << kind << " among: " << seen;
  }
  // `token` joins `org`; its admin (acting as such) approves; the new member then acts as the
  // organisation's employee.
  void join(const std::string& admin, const std::string& token, const std::string& org, const std::string& admin_name,
            const std::string& admin_phone) {
    auto r = call("POST", "/api/v1/organisations/" + org + "/join-requests", token,
                  {{"statement", "新员工"}, {"admin_name", admin_name}, {"admin_phone", admin_phone}});
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_FALSE(act_as(admin, org).empty());
    ASSERT_EQ(call("POST", "/api/v1/tasks/" + std::string(r.json()["id"]) + "/approval", admin).status, 200);
    ASSERT_FALSE(act_as(token, org).empty());
  }
  // An approved order for an organisation certificate of `org`, bought by `token` (a member)
  // acting as its identity in `org`; an employee's application is approved by the organisation's
  // admin (verified_org) first.
  std::string approved_org_order(const std::string& token, const std::string& phone, const std::string& org) {
    (void)approved_order(token, phone);  // creates the catalogue once (and a personal order, unused)
    if (org_product_.empty()) {
      auto a = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                    {{"kind", "certificate"}, {"name", "机构证书 SM2 1年"}, {"cert_type", "organisation"},
                     {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 50000}, {"ca_id", "sm2o"},
                     {"seal_type", "official"}});
      EXPECT_EQ(a.status, 201) << a.body;
      org_product_ = a.json()["id"];
    }
    EXPECT_FALSE(act_as(token, org).empty());
    auto r = call("POST", "/api/v1/orders", token, {{"product_id", org_product_}, {"platform_id", platform_}, {"org_id", org}});
    EXPECT_EQ(r.status, 201) << r.body;
    std::string id = r.json()["id"];
    if (r.json()["org_approval"] == "pending") {
      const std::string admin = org_admin_[org];
      EXPECT_FALSE(act_as(admin, org).empty());
      auto ok = call("POST", "/api/v1/organisations/" + org + "/orders/" + id + "/approval", admin);
      EXPECT_EQ(ok.status, 200) << ok.body;
    }
    using docsign::TextBlock;
    auto png = docsign::render_png({{"签名", 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20);
    EXPECT_TRUE(png.ok());
    auto blob = http_->request("POST", "/api/v1/blobs?purpose=handwritten_signature", to_string(*png),
                               {"Authorization: Bearer " + token, "Content-Type: image/png"});
    EXPECT_EQ(blob.status, 201) << blob.body;
    EXPECT_EQ(call("POST", "/api/v1/orders/" + id + "/application-form/online-signature", token,
                   {{"blob_id", blob.json()["id"]}})
                  .status,
              200);
    EXPECT_EQ(call("POST", "/api/v1/orders/" + id + "/authorisation", token, {{"code", sms_code(token, phone)}}).status, 200);
    auto pay = call("POST", "/api/v1/orders/" + id + "/online-payments", token, {{"gateway", "sandbox"}});
    EXPECT_EQ(pay.status, 201) << pay.body;
    std::string url = pay.json()["pay_url"];
    EXPECT_EQ(http_->request("POST", url.substr(url.find("/sandbox-pay/"))).status, 202);
    for (int i = 0; i < 100 && status_of(token, id) != "in_review"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + id + "/approval", operator_token_).status, 200);
    return id;
  }
  // An approved renewal package (延期) for `cert`.
  std::string renewal_order(const std::string& token, const std::string& phone, const std::string& cert) {
    if (renewal_product_.empty()) {
      auto p = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                    {{"kind", "renewal"}, {"name", "延期 1年"}, {"cert_type", "personal"}, {"algorithm", "sm2"},
                     {"validity_years", 1}, {"price_fen", 5000}, {"ca_id", "sm2o"}, {"seal_type", "handwritten"}});
      EXPECT_EQ(p.status, 201) << p.body;
      renewal_product_ = p.json()["id"];
    }
    return approved_order(token, phone, renewal_product_, cert);
  }
  // What a reissue needs besides the SMS code: the login password and new ID card photos.
  nlohmann::json reissue_proof(const std::string& token, const std::string& password = "Str0ng!pw") {
    return {{"password", password}, {"id_card_front", upload(token, "id_card_front")},
            {"id_card_back", upload(token, "id_card_back")}};
  }
  int count_notices(const std::string& token, const std::string& kind) {
    int n = 0;
    const nlohmann::json items = call("GET", "/api/v1/notifications?limit=100", token).json()["items"];
    for (const auto& x : items) n += x["kind"] == kind;
    return n;
  }
  std::string sh(const std::string& cmd) { return run_command(cmd + " 2>&1"); }
  void put(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }
  std::string f(const std::string& name) { return dir_.path() + "/" + name; }

  std::string platform_, product_, renewal_product_, org_product_;
  // ApiTest::verified_org, remembering who its admin is.
  std::string verified_org(const std::string& token, const std::string& name, const std::string& code) {
    std::string org = ApiTest::verified_org(token, name, code);
    org_admin_[org] = token;
    return org;
  }
  std::map<std::string, std::string> org_admin_;  // organisation id -> its admin's token (verified_org)
};

TEST_P(ShieldApiTest, InstallSignAndDecryptCheckedByOpenssl) {
  const std::string phone = "13912340001";
  std::string t = verified_person(phone, "张三", "11010519491231002X");
  std::string order = approved_order(t, phone);
  Device d = new_device("device-aaaa-0001", "Pin#2026");

  auto j = enrol(t, d, "/api/v1/orders/" + order + "/installation");
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(status_of(t, order), "done");
  const auto& cert = j["certificate"];
  EXPECT_EQ(cert["ca_id"], "sm2o");
  EXPECT_NE(std::string(cert["subject"]).find("张三"), std::string::npos) << cert["subject"];
  // The certificate holds the two-party public key P.
  EXPECT_EQ(*cert_key(cert).ec_point(), d.share->public_key());
  // ... and the OpenSSL CLI accepts it under the CA's chain.
  put(f("leaf.pem"), cert["certificate_pem"]);
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  EXPECT_NE(sh("openssl verify -CAfile " + f("chain.pem") + " " + f("leaf.pem")).find(": OK"), std::string::npos);

  // A two-party signature verifies under the certificate's key, with OpenSSL's SM2 verifier and CLI.
  auto sig = sign(t, d, "投标文件摘要");
  ASSERT_TRUE(sig.ok()) << sig.error().message;
  auto der = crypto::ec_sig_raw_to_der(*sig);
  EXPECT_TRUE(crypto::verify(cert_key(cert), crypto::SignScheme::kSm2Sm3, as_bytes("投标文件摘要"), *der));
  put(f("msg.txt"), "投标文件摘要");
  put(f("sig.der"), to_string(*der));
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  EXPECT_NE(sh("openssl dgst -sm3 -verify " + f("pub.pem") + " -sigopt distid:1234567812345678 -signature " +
               f("sig.der") + " " + f("msg.txt"))
                .find("Verified OK"),
            std::string::npos);

  // Two-party decryption of a ciphertext made by the OpenSSL CLI for the certificate's key.
  put(f("plain.txt"), "开标密钥 42");
  sh("openssl pkeyutl -encrypt -pubin -inkey " + f("pub.pem") + " -in " + f("plain.txt") + " -out " + f("ct.der"));
  std::ifstream in(f("ct.der"), std::ios::binary);
  std::string ct_der((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(ct_der.empty());
  auto parsed = crypto::Sm2Ciphertext::parse_der(as_bytes(ct_der));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  auto start = cosign::device_decrypt_start(*d.share, parsed->raw(crypto::Sm2CipherOrder::kC1C3C2), crypto::Sm2CipherOrder::kC1C3C2, rng_);
  ASSERT_TRUE(start.ok());
  auto c = challenge(t, d, d.key_id);
  std::string nonce = c.json()["nonce"];
  Bytes payload = start->request.encode();
  auto r = call("POST", "/api/v1/shield/keys/" + d.key_id + "/decryptions", t,
                {{"device_id", d.id}, {"nonce", nonce}, {"request", base64_encode(payload)},
                 {"proof", base64_encode(unlock::proof(d.keys.auth_key, "decrypt", d.key_id, d.id, nonce, payload))},
                 {"purpose", "开标解密"}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto plain = cosign::device_decrypt_finish(*d.share, std::move(start->state),
                                             *cosign::DecryptResponse::decode(*base64_decode(std::string(r.json()["response"]))));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(std::string(plain->begin(), plain->end()), "开标密钥 42");
  // A nonce works once.
  r = call("POST", "/api/v1/shield/keys/" + d.key_id + "/decryptions", t,
           {{"device_id", d.id}, {"nonce", nonce}, {"request", base64_encode(payload)},
            {"proof", base64_encode(unlock::proof(d.keys.auth_key, "decrypt", d.key_id, d.id, nonce, payload))}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["code"], "bad_nonce");

  // Installing again: the same request is answered the same; another device is refused.
  auto again = call("POST", "/api/v1/orders/" + order + "/installation", t,
                    enrolment(new_device("device-aaaa-0002", "x"), cosign::device_keygen_start(rng_).request));
  EXPECT_EQ(again.status, 409) << again.body;

  // Records: every step with device, purpose and result.
  auto ev = call("GET", "/api/v1/shield/keys/" + d.key_id + "/events", t);
  ASSERT_EQ(ev.status, 200);
  auto items = ev.json()["items"];
  ASSERT_GE(items.size(), 4u);
  EXPECT_EQ(items[0]["result"], "bad_nonce");
  EXPECT_EQ(items[1]["operation"], "decrypt");
  EXPECT_EQ(items[1]["purpose"], "开标解密");
  EXPECT_EQ(items[1]["device_id"], d.id);
  EXPECT_EQ(items.back()["operation"], "install");

  // The list of the account's certificates.
  auto list = call("GET", "/api/v1/account/certificates", t);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json()["items"].size(), 1u);
  EXPECT_EQ(list.json()["items"][0]["key_id"], d.key_id);
  EXPECT_EQ(list.json()["items"][0]["current"], true);
}

TEST_P(ShieldApiTest, FiveWrongPasswordsLockTheKeyUntilRecovery) {
  const std::string phone = "13912340002";
  std::string t = verified_person(phone, "李四", "110105194912310038");
  Device d = new_device("device-bbbb-0001", "Right#1");
  enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(d.share);
  auto wrong = unlock::derive("Wrong#1", d.salt, d.id, crypto::argon2_test_limits());
  auto req = cosign::device_sign_start(*d.share, as_bytes("m"), crypto::kSm2DefaultId, rng_)->request;
  for (int i = 1; i <= 5; ++i) {
    auto r = sign_step(t, d, req, wrong->auth_key);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.json()["code"], "bad_unlock_proof");
    if (i < 5) {
      EXPECT_NE(std::string(r.json()["detail"]).find(std::to_string(5 - i) + " attempts left"), std::string::npos)
          << r.body;
    }
  }
  // The sixth try, with the right password, is refused: the key is locked.
  auto r = sign_step(t, d, req, d.keys.auth_key);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "key_locked");
  EXPECT_FALSE(sign(t, d, "m").ok());
  auto k = call("GET", "/api/v1/account/certificates", t).json()["items"][0];
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + std::string(k["id"]), t).json()["key"]["status"], "locked");

  // Recovery (SMS code, login password, a face image for a fresh identity check) unlocks with a
  // new password; the refusals are in ShieldApiTest.RecoveryNeedsTheLoginPasswordAndAFreshIdentityCheck.
  Device renewed = new_device(d.id, "NewPin#2");
  nlohmann::json body = {{"device_id", d.id}, {"code", sms_code(t, phone)}, {"password", "Str0ng!pw"},
                         {"face_image", base64_encode(as_bytes(kPng))},
                         {"auth_key", base64_encode(renewed.keys.auth_key)}, {"salt", base64_encode(renewed.salt)}};
  auto ok = call("POST", "/api/v1/shield/keys/" + d.key_id + "/recovery", t, body);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(base64_decode(std::string(ok.json()["recovery_key"]))->size(), 32u);
  d.keys = std::move(renewed.keys);
  d.salt = renewed.salt;
  EXPECT_TRUE(sign(t, d, "after recovery").ok());
  // The old password's proof no longer works (and counts again).
  EXPECT_EQ(sign_step(t, d, req, wrong->auth_key).status, 403);
}

// Review M1: a thief with the device folder and a session fires many wrong guesses at once,
// each with its own challenge. The key's row is locked before the budget is read, so on both
// engines exactly max_failures (5) proofs are ever evaluated; the rest meet a locked key.
TEST_P(ShieldApiTest, ConcurrentWrongGuessesNeverPassTheUnlockBudget) {
  const std::string phone = "13912340011";
  std::string t = verified_person(phone, "周七", "110105194912310054");
  Device d = new_device("device-race-0001", "Right#1");
  enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(d.share);
  auto wrong = unlock::derive("Guess#1", d.salt, d.id, crypto::argon2_test_limits());
  const Bytes payload = cosign::device_sign_start(*d.share, as_bytes("m"), crypto::kSm2DefaultId, rng_)->request.encode();
  constexpr int kGuesses = 20;
  std::vector<std::string> nonces;
  for (int i = 0; i < kGuesses; ++i) {
    auto c = challenge(t, d, d.key_id);
    ASSERT_EQ(c.status, 200) << c.body;
    nonces.push_back(c.json()["nonce"]);
  }
  std::mutex mu;
  std::map<std::string, int> answers;  // problem code (or "ok") -> count
  std::vector<std::thread> threads;
  for (int i = 0; i < kGuesses; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client(server_->base_url());
      nlohmann::json body = {{"device_id", d.id}, {"nonce", nonces[i]}, {"request", base64_encode(payload)},
                             {"proof", base64_encode(unlock::proof(wrong->auth_key, "sign", d.key_id, d.id, nonces[i], payload))},
                             {"purpose", "guess"}};
      auto r = client.request("POST", "/api/v1/shield/keys/" + d.key_id + "/signatures", body.dump(),
                              {"Authorization: Bearer " + t, "Content-Type: application/json"});
      std::lock_guard lock(mu);
      ++answers[r.status == 200 ? std::string("ok") : r.json().value("code", "http " + std::to_string(r.status))];
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(answers["ok"], 0);
  EXPECT_EQ(answers["bad_unlock_proof"], 5) << "proofs evaluated beyond the budget";
  EXPECT_EQ(answers["key_locked"], kGuesses - 5);
  EXPECT_EQ(answers["bad_unlock_proof"] + answers["key_locked"], kGuesses);
  // Locked for the right password too; the owner was told of each failure and of the lock.
  EXPECT_FALSE(sign(t, d, "m").ok());
  auto notes = call("GET", "/api/v1/notifications?limit=100", t).json()["items"];
  int failed = 0, locked = 0;
  for (const auto& n : notes) {
    failed += n["kind"] == "security_unlock_failed";
    locked += n["kind"] == "security_key_locked";
  }
  EXPECT_EQ(failed, 5);
  EXPECT_EQ(locked, 1);
}

// Review M2: a right password does not give the thief a fresh budget. After 4 wrong guesses and
// the owner's successful signature, the next wrong guess locks the key. The key's view carries
// no failure count to time guesses by.
TEST_P(ShieldApiTest, SuccessDoesNotRefillTheUnlockBudget) {
  const std::string phone = "13912340012";
  std::string t = verified_person(phone, "吴八", "110105194912310062");
  Device d = new_device("device-budget-01", "Right#1");
  enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(d.share);
  auto wrong = unlock::derive("Guess#1", d.salt, d.id, crypto::argon2_test_limits());
  auto req = cosign::device_sign_start(*d.share, as_bytes("m"), crypto::kSm2DefaultId, rng_)->request;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(sign_step(t, d, req, wrong->auth_key).status, 403);
  ASSERT_TRUE(sign(t, d, "the owner signs").ok());
  auto cert = call("GET", "/api/v1/account/certificates", t).json()["items"][0];
  auto view = call("GET", "/api/v1/account/certificates/" + std::string(cert["id"]), t).json();
  EXPECT_FALSE(view["key"].contains("failures")) << view["key"];
  auto r = sign_step(t, d, req, wrong->auth_key);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("now locked"), std::string::npos) << r.body;
  EXPECT_EQ(sign_step(t, d, req, d.keys.auth_key).json()["code"], "key_locked");
  auto notes = call("GET", "/api/v1/notifications?limit=100", t).json()["items"];
  int failed = 0;
  for (const auto& n : notes) failed += n["kind"] == "security_unlock_failed";
  EXPECT_EQ(failed, 5);
}

TEST_P(ShieldApiTest, AnotherUsersKeyAndACopiedShareAreRefused) {
  const std::string pa = "13912340003", pb = "13912340004";
  std::string ta = verified_person(pa, "王五", "110105194912310054");
  std::string tb = verified_person(pb, "赵六", "110105194912310070");
  Device a = new_device("device-cccc-0001", "A#pass1");
  enrol(ta, a, "/api/v1/orders/" + approved_order(ta, pa) + "/installation");
  ASSERT_TRUE(a.share);
  // B cannot see, challenge or use A's key, even with A's device id and auth key.
  EXPECT_EQ(challenge(tb, a, a.key_id).status, 404);
  auto req = cosign::device_sign_start(*a.share, as_bytes("m"), crypto::kSm2DefaultId, rng_)->request;
  EXPECT_EQ(sign_step(tb, a, req, a.keys.auth_key).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/shield/keys/" + a.key_id + "/devices", tb).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/shield/keys/" + a.key_id + "/events", tb).status, 404);
  auto certs = call("GET", "/api/v1/account/certificates", ta).json()["items"];
  std::string cert_id = certs[0]["id"];
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + cert_id, tb).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/account/certificates/" + cert_id + "/renewals", tb, {{"request_id", "x"}}).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/account/certificates/" + cert_id + "/revocations", tb,
                 {{"request_id", "x"}, {"code", sms_code(tb, pb)}})
                .status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/account/certificates", tb).json()["items"].size(), 0u);
  // Without a session nothing answers.
  EXPECT_EQ(call("POST", "/api/v1/shield/challenges", "", {{"key_id", a.key_id}, {"device_id", a.id}}).status, 401);

  // A's share file copied to another device id: the server has no share for that device, and the
  // unlock keys derived there differ.
  Device copy = new_device("device-cccc-9999", "A#pass1");
  copy.share = a.share;
  copy.key_id = a.key_id;
  EXPECT_NE(copy.keys.auth_key, a.keys.auth_key);
  auto c = challenge(ta, copy, a.key_id);
  EXPECT_EQ(c.status, 403);
  EXPECT_EQ(c.json()["code"], "device_not_active");
  EXPECT_FALSE(sign(ta, copy, "m").ok());
  EXPECT_TRUE(sign(ta, a, "m").ok());
}

TEST_P(ShieldApiTest, PairedDeviceSignsAndARemovedDeviceNoLonger) {
  const std::string phone = "13912340005";
  std::string t = verified_person(phone, "钱七", "110105194912310097");
  Device one = new_device("device-dddd-0001", "One#pass");
  enrol(t, one, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(one.share);

  // The new device starts pairing with an ephemeral SM2 key and shows a code; the user types it
  // on the old device, which checks the relayed key against it and sends its half.
  Device two = new_device("device-dddd-0002", "Two#pass");
  NewDevicePairing p = start_pairing(t, two);
  ASSERT_FALSE(p.id.empty());
  EXPECT_EQ(call("GET", "/api/v1/shield/pairings/" + p.id, t).json()["status"], "waiting");
  auto add = grant(t, one, p.id, p.code);
  ASSERT_TRUE(add.ok()) << add.error().message;
  ASSERT_EQ(add->status, 200) << add->body;
  EXPECT_EQ(call("GET", "/api/v1/shield/pairings/" + p.id, t).json()["status"], "delivered");
  // Delivered is not added: no notice, no active device yet.
  EXPECT_FALSE(has_notice(t, "security_device_added"));
  // The new device opens the envelope, draws its own share and completes with its pairing key.
  auto done = complete(t, two, p);
  ASSERT_TRUE(done.ok()) << done.error().message;
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_EQ(done->json()["key_id"], one.key_id);
  EXPECT_NE(two.share->scalar(), one.share->scalar());
  EXPECT_EQ(two.share->public_key(), one.share->public_key());
  EXPECT_TRUE(has_notice(t, "security_device_added"));
  // A completion works once.
  auto again = complete(t, two, p);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409) << again->body;

  EXPECT_TRUE(sign(t, one, "from one").ok());
  EXPECT_TRUE(sign(t, two, "from two").ok());
  auto devices = call("GET", "/api/v1/shield/keys/" + one.key_id + "/devices", t).json()["items"];
  ASSERT_EQ(devices.size(), 2u);

  // Removing the first device (SMS code) stops it at once; the second still signs.
  auto rm = call("POST", "/api/v1/shield/keys/" + one.key_id + "/devices/" + one.id + "/removal", t,
                 {{"code", sms_code(t, phone)}});
  ASSERT_EQ(rm.status, 200) << rm.body;
  EXPECT_TRUE(has_notice(t, "security_device_removed"));
  auto refused = sign(t, one, "from one again");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "device_not_active");
  EXPECT_TRUE(sign(t, two, "from two again").ok());
  // The last device cannot be removed.
  auto last = call("POST", "/api/v1/shield/keys/" + one.key_id + "/devices/" + two.id + "/removal", t,
                   {{"code", sms_code(t, phone)}});
  EXPECT_EQ(last.status, 409) << last.body;

  // Refresh: the second device's old share stops working, the new one works.
  auto fresh = cosign::device_refresh_start(*two.share, rng_);
  auto fu = fresh.request.encode();
  auto c = challenge(t, two, two.key_id);
  std::string nonce = c.json()["nonce"];
  auto rf = call("POST", "/api/v1/shield/keys/" + two.key_id + "/refresh", t,
                 {{"device_id", two.id}, {"nonce", nonce}, {"u", base64_encode(fu)},
                  {"proof", base64_encode(unlock::proof(two.keys.auth_key, "refresh", two.key_id, two.id, nonce, fu))}});
  ASSERT_EQ(rf.status, 200) << rf.body;
  EXPECT_FALSE(sign(t, two, "old share").ok());
  two.share = fresh.new_share;
  EXPECT_TRUE(sign(t, two, "new share").ok());
}

// Security review H3, attack 1: the server (or a MITM) answers "GET pairing" with a key of its
// own. The old device refuses (the key is not the one the code the user carried was made for), so
// nothing reaches the server; and an envelope the server makes up is refused by the new device.
TEST_P(ShieldApiTest, AServerThatSwapsThePairingKeyOrEnvelopeLearnsNothingAndIsRefused) {
  const std::string phone = "13912340011";
  std::string t = verified_person(phone, "郑十一", "110105194912310193");
  Device one = new_device("device-kkkk-0001", "One#pass");
  enrol(t, one, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(one.share);
  Device two = new_device("device-kkkk-0002", "Two#pass");
  NewDevicePairing p = start_pairing(t, two);
  ASSERT_FALSE(p.id.empty());

  // The server swaps the relayed key for its own.
  auto evil = pairing::new_device_start(rng_);
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_TRY(tx.exec("UPDATE shield_pairings SET public_key = ? WHERE id = ?", {evil.ephemeral_public, p.id}));
                return {};
              }).ok());
  auto refused = grant(t, one, p.id, p.code);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "pairing_code_mismatch");
  // Nothing was sent: no u, no envelope, no pending device.
  auto got = call("GET", "/api/v1/shield/pairings/" + p.id, t);
  EXPECT_EQ(got.json()["status"], "waiting");
  EXPECT_TRUE(got.json()["envelope"].is_null());
  EXPECT_EQ(call("GET", "/api/v1/shield/keys/" + one.key_id + "/devices", t).json()["items"].size(), 1u);
  // Nor does redirecting the share to another device id pass.
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_TRY(tx.exec("UPDATE shield_pairings SET public_key = ?, device_id = 'device-evil-0001' WHERE id = ?",
                               {p.b.ephemeral_public, p.id}));
                return {};
              }).ok());
  refused = grant(t, one, p.id, p.code);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "pairing_code_mismatch");

  // With the true key back, the old device sends its half; the server then replaces the envelope
  // with one it made (an x of its choice, hoping the new device answers y = x·d1'^-1).
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_TRY(tx.exec("UPDATE shield_pairings SET device_id = ? WHERE id = ?", {two.id, p.id}));
                return {};
              }).ok());
  auto sent = grant(t, one, p.id, p.code);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  ASSERT_EQ(sent->status, 200) << sent->body;
  auto guess = pairing::new_device_start(rng_);
  guess.ephemeral_public = p.b.ephemeral_public;  // the server knows E_B, not the code's secret
  auto own_start = cosign::device_keygen_start(rng_);  // any share the server makes up
  auto own_server = cosign::server_keygen(own_start.request, rng_);
  auto own = cosign::device_keygen_finish(std::move(own_start.state), own_server->response);
  ASSERT_TRUE(own.ok());
  auto forged = pairing::old_device_grant(*own, one.key_id, pairing::pairing_code(guess, {p.id, two.id}),
                                          {p.id, two.id}, p.b.ephemeral_public, rng_);
  ASSERT_TRUE(forged.ok());
  Bytes honest_envelope;
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_ASSIGN(auto row, tx.query_one("SELECT envelope FROM shield_pairings WHERE id = ?", {p.id}));
                honest_envelope = row->blob("envelope");
                CS_TRY(tx.exec("UPDATE shield_pairings SET envelope = ? WHERE id = ?", {forged->envelope, p.id}));
                return {};
              }).ok());
  auto joined = complete(t, two, p);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.error().code, "pairing_envelope_forged");
  EXPECT_FALSE(two.share.has_value());
  // Put back, the honest envelope completes and both devices sign.
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_TRY(tx.exec("UPDATE shield_pairings SET envelope = ? WHERE id = ?", {honest_envelope, p.id}));
                return {};
              }).ok());
  auto done = complete(t, two, p);
  ASSERT_TRUE(done.ok()) << done.error().message;
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_TRUE(sign(t, two, "from two").ok());
  EXPECT_TRUE(sign(t, one, "from one").ok());
  // What the server kept cannot give it d1 or d1': its only view of the new device is the ratio.
  // (The stored shares are sealed; the search of ShieldApiTest.NothingOnTheServerHoldsTheDeviceShare
  // covers the envelope's absence after completion.)
  EXPECT_TRUE(call("GET", "/api/v1/shield/pairings/" + p.id, t).json()["envelope"].is_null());
}

// Security review H3, attack 2 and the completion rules: a stolen session alone cannot add a
// device; completion needs the new device's pairing key, before expiry, by the same account.
TEST_P(ShieldApiTest, AStolenSessionCannotAddADeviceAndCompletionNeedsProofInTimeAndTheAccount) {
  const std::string phone = "13912340012", other_phone = "13912340013";
  std::string t = verified_person(phone, "冯十二", "110105194912310214");
  std::string other = verified_person(other_phone, "陈十三", "110105194912310230");
  Device one = new_device("device-llll-0001", "One#pass");
  enrol(t, one, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(one.share);

  // The thief has the session only: its own pairing, and a guess at the old device's password.
  Device thief = new_device("device-llll-0666", "Thief#1");
  NewDevicePairing tp = start_pairing(t, thief);
  Device guessing = one;
  guessing.keys = *unlock::derive("Guess#1", one.salt, one.id, crypto::argon2_test_limits());
  auto r = grant(t, guessing, tp.id, tp.code);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 403) << r->body;
  EXPECT_EQ(r->json()["code"], "bad_unlock_proof");
  auto c = complete(t, thief, tp);  // nothing was delivered
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, 409) << c->body;
  EXPECT_EQ(call("GET", "/api/v1/shield/keys/" + one.key_id + "/devices", t).json()["items"].size(), 1u);

  // The owner pairs a device; the thief, holding the session, tries to complete it with its own
  // key (no proof of the new device's key): refused, and nothing changes.
  Device two = new_device("device-llll-0002", "Two#pass");
  NewDevicePairing p = start_pairing(t, two);
  auto sent = grant(t, one, p.id, p.code);
  ASSERT_TRUE(sent.ok());
  ASSERT_EQ(sent->status, 200) << sent->body;
  auto thief_key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_);
  ASSERT_TRUE(thief_key.ok());
  Device as_thief = two;
  as_thief.keys = thief.keys;
  as_thief.salt = thief.salt;
  c = complete(t, as_thief, p, &*thief_key);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, 403) << c->body;
  EXPECT_EQ(c->json()["code"], "pairing_proof_invalid");
  // No signature at all, or one over other fields: refused as well.
  auto bare = call("POST", "/api/v1/shield/pairings/" + p.id + "/completion", t,
                   {{"join_request", base64_encode(Bytes(34, 1))}, {"auth_key", base64_encode(Bytes(32, 1))},
                    {"salt", base64_encode(Bytes(16, 1))}});
  EXPECT_EQ(bare.status, 400) << bare.body;
  EXPECT_EQ(call("GET", "/api/v1/shield/pairings/" + p.id, t).json()["status"], "delivered");
  // Another account cannot see or complete the pairing.
  EXPECT_EQ(call("GET", "/api/v1/shield/pairings/" + p.id, other).status, 404);
  c = complete(other, two, p);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, 404) << c->body;
  EXPECT_FALSE(has_notice(t, "security_device_added"));

  // Expired: refused, even with the right proof.
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_TRY(tx.exec("UPDATE shield_pairings SET expires_at = ? WHERE id = ?", {std::int64_t{1000}, p.id}));
                return {};
              }).ok());
  c = complete(t, two, p);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->status, 409) << c->body;
  EXPECT_EQ(c->json()["code"], "pairing_expired");
  EXPECT_FALSE(two.share.has_value());
  auto list = call("GET", "/api/v1/shield/keys/" + one.key_id + "/devices", t).json()["items"];
  ASSERT_EQ(list.size(), 2u);
  for (const auto& d : list) {
    if (d["device_id"] == two.id) {
      EXPECT_EQ(d["status"], "pending") << d;
    }
  }
  // An expired pairing takes no share either.
  NewDevicePairing late = start_pairing(t, new_device("device-llll-0003", "Three#1"));
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_TRY(tx.exec("UPDATE shield_pairings SET expires_at = ? WHERE id = ?", {std::int64_t{1000}, late.id}));
                return {};
              }).ok());
  auto too_late = grant(t, one, late.id, late.code);
  ASSERT_TRUE(too_late.ok());
  EXPECT_EQ(too_late->status, 409) << too_late->body;
  EXPECT_EQ(too_late->json()["code"], "pairing_not_waiting");
}

// A face photo as a phone takes it (hundreds of KiB, here ~600 KiB of PNG) fits the recovery
// request: the route takes up to the upload limit, not a JSON document's 64 KiB (the browser's
// 找回证书密码 met 413 payload_too_large with a real photo); above 2 MiB the photo is refused.
TEST_P(ShieldApiTest, RecoveryTakesAPhoneSizedFacePhoto) {
  const std::string phone = "13912340031";
  std::string t = verified_person(phone, "韩三一", "110105194912310310");
  Device d = new_device("device-rrrr-0001", "Right#1");
  enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(d.share);
  Device renewed = new_device(d.id, "NewPin#31");
  auto body = [&](std::size_t padding) {
    std::string photo(kPng);
    photo.append(padding, '\0');  // after IEND: still a PNG to a sniffer and a decoder
    return nlohmann::json{{"device_id", d.id}, {"code", sms_code(t, phone)}, {"password", "Str0ng!pw"},
                          {"face_image", base64_encode(as_bytes(photo))},
                          {"auth_key", base64_encode(renewed.keys.auth_key)}, {"salt", base64_encode(renewed.salt)}};
  };
  const std::string path = "/api/v1/shield/keys/" + d.key_id + "/recovery";
  auto big = call("POST", path, t, body((2u << 20) + 1));
  EXPECT_EQ(big.status, 400) << big.body;  // above 2 MiB: refused, nothing changed
  EXPECT_TRUE(sign(t, d, "still the old password").ok());
  auto ok = call("POST", path, t, body(600u << 10));
  ASSERT_EQ(ok.status, 200) << ok.body;
  d.keys = std::move(renewed.keys);
  d.salt = renewed.salt;
  EXPECT_TRUE(sign(t, d, "after recovery with a real-sized photo").ok());
}

// Security review H1 (recovery half): SMS code + ID number, the old recipe, no longer recovers;
// the login password and a fresh identity check are needed, and a refusal changes nothing.
TEST_P(ShieldApiTest, RecoveryNeedsTheLoginPasswordAndAFreshIdentityCheck) {
  const std::string phone = "13912340014";
  const std::string id_number = "110105194912310257";
  std::string t = verified_person(phone, "褚十四", id_number);
  Device d = new_device("device-mmmm-0001", "Right#1");
  enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(d.share);
  const std::string path = "/api/v1/shield/keys/" + d.key_id + "/recovery";
  Device renewed = new_device(d.id, "Attacker#1");
  auto body = [&](const std::string& code) {
    return nlohmann::json{{"device_id", d.id}, {"code", code}, {"password", "Str0ng!pw"},
                          {"face_image", base64_encode(as_bytes(kPng))},
                          {"auth_key", base64_encode(renewed.keys.auth_key)}, {"salt", base64_encode(renewed.salt)}};
  };
  auto unchanged = [&] {
    EXPECT_TRUE(sign(t, d, "still the owner's password").ok());
    auto wrong = d;
    wrong.keys = renewed.keys;
    wrong.salt = renewed.salt;
    EXPECT_FALSE(sign(t, wrong, "the attacker's password").ok());
    EXPECT_FALSE(has_notice(t, "security_certificate_password_recovered"));
  };

  // The old recipe: an SMS code and the ID number printed in the certificate.
  auto old = call("POST", path, t,
                  {{"device_id", d.id}, {"code", sms_code(t, phone)}, {"id_number", id_number},
                   {"auth_key", base64_encode(renewed.keys.auth_key)}, {"salt", base64_encode(renewed.salt)}});
  EXPECT_EQ(old.status, 400) << old.body;
  EXPECT_FALSE(old.json().contains("recovery_key"));
  // Everything but a face image.
  auto b = body(sms_code(t, phone));
  b["face_image"] = base64_encode(as_bytes("not an image at all"));
  EXPECT_EQ(call("POST", path, t, b).status, 415);
  // Everything but the login password.
  b = body(sms_code(t, phone));
  b["password"] = "Wrong!pw1";
  auto wrong_pw = call("POST", path, t, b);
  EXPECT_EQ(wrong_pw.status, 403) << wrong_pw.body;
  EXPECT_EQ(wrong_pw.json()["code"], "wrong_password");
  // Everything but a fresh SMS code: the one the wrong password used up does not serve again.
  auto reused = call("POST", path, t, body(code_for(phone)));
  EXPECT_GE(reused.status, 400) << reused.body;
  EXPECT_FALSE(reused.json().contains("recovery_key"));
  unchanged();

  // All three: recovered, and the owner hears of it (in-app and by SMS).
  auto ok = call("POST", path, t, body(sms_code(t, phone)));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["identity_checked_by"], "dev");
  EXPECT_TRUE(has_notice(t, "security_certificate_password_recovered"));
  d.keys = renewed.keys;
  d.salt = renewed.salt;
  EXPECT_TRUE(sign(t, d, "after recovery").ok());
  auto ev = call("GET", "/api/v1/shield/keys/" + d.key_id + "/events", t).json()["items"];
  bool recorded = false;
  for (const auto& e : ev) {
    if (e["operation"] == "recover" && e["result"] == "ok") recorded = std::string(e["purpose"]).find("dev") != std::string::npos;
  }
  EXPECT_TRUE(recorded) << ev;
}

// Security review L4: recovery keys are per device (device A's does not unmask device B's copy),
// rotated after each use, and an installation replay does not serve the same one again.
TEST_P(ShieldApiTest, RecoveryKeysArePerDeviceRotatedAndNotReservedByAReplay) {
  const std::string phone = "13912340015";
  std::string t = verified_person(phone, "卫十五", "110105194912310273");
  const std::string order = approved_order(t, phone);
  Device a = new_device("device-nnnn-0001", "A#pass01");
  auto start = cosign::device_keygen_start(rng_);
  auto first = call("POST", "/api/v1/orders/" + order + "/installation", t, enrolment(a, start.request));
  ASSERT_EQ(first.status, 201) << first.body;
  a.share = *cosign::device_keygen_finish(std::move(start.state),
                                          *cosign::KeygenResponse::decode(*base64_decode(std::string(first.json()["keygen_response"]))));
  a.key_id = first.json()["key_id"];
  a.recovery_key = *base64_decode(std::string(first.json()["recovery_key"]));
  // The same request again (a retry after a lost answer, or a replay): a new recovery key, never
  // the first one; the device's recovery copy is made with the newest.
  auto replay = call("POST", "/api/v1/orders/" + order + "/installation", t, enrolment(a, start.request));
  ASSERT_EQ(replay.status, 201) << replay.body;
  const Bytes replayed = *base64_decode(std::string(replay.json()["recovery_key"]));
  EXPECT_NE(replayed, a.recovery_key);
  a.recovery_key = replayed;
  const SecretBytes a_copy = unlock::mask_share_for_recovery(a.share->scalar(), a.recovery_key, a.id);

  Device b = new_device("device-nnnn-0002", "B#pass01");
  NewDevicePairing p = start_pairing(t, b);
  ASSERT_EQ(grant(t, a, p.id, p.code)->status, 200);
  auto done = complete(t, b, p);
  ASSERT_TRUE(done.ok());
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_NE(b.recovery_key, a.recovery_key);
  const SecretBytes b_copy = unlock::mask_share_for_recovery(b.share->scalar(), b.recovery_key, b.id);
  // Device A's recovery key does not unmask device B's copy (nor B's A's).
  EXPECT_NE(unlock::mask_share_for_recovery(b_copy, a.recovery_key, b.id), b.share->scalar());
  EXPECT_NE(unlock::mask_share_for_recovery(a_copy, b.recovery_key, a.id), a.share->scalar());
  EXPECT_EQ(unlock::mask_share_for_recovery(b_copy, b.recovery_key, b.id), b.share->scalar());

  // Recovery on A answers A's key (which unmasks A's copy) and a new one; the used key is gone:
  // the next recovery answers the new one, never the used one again.
  auto recover = [&](Device& d, const std::string& pin) {
    Device n = new_device(d.id, pin);
    auto r = call("POST", "/api/v1/shield/keys/" + d.key_id + "/recovery", t,
                  {{"device_id", d.id}, {"code", sms_code(t, phone)}, {"password", "Str0ng!pw"},
                   {"face_image", base64_encode(as_bytes(kPng))}, {"auth_key", base64_encode(n.keys.auth_key)},
                   {"salt", base64_encode(n.salt)}});
    EXPECT_EQ(r.status, 200) << r.body;
    d.keys = n.keys;
    d.salt = n.salt;
    return r.json();
  };
  auto r1 = recover(a, "A#pass02");
  EXPECT_EQ(*base64_decode(std::string(r1["recovery_key"])), a.recovery_key);
  EXPECT_EQ(unlock::mask_share_for_recovery(a_copy, *base64_decode(std::string(r1["recovery_key"])), a.id),
            a.share->scalar());
  const Bytes next = *base64_decode(std::string(r1["next_recovery_key"]));
  EXPECT_NE(next, a.recovery_key);
  auto r2 = recover(a, "A#pass03");
  EXPECT_EQ(*base64_decode(std::string(r2["recovery_key"])), next);
  EXPECT_NE(*base64_decode(std::string(r2["recovery_key"])), a.recovery_key);
  // B's recovery key was not touched by A's recoveries.
  auto rb = recover(b, "B#pass02");
  EXPECT_EQ(*base64_decode(std::string(rb["recovery_key"])), b.recovery_key);
  EXPECT_TRUE(sign(t, a, "a").ok());
  EXPECT_TRUE(sign(t, b, "b").ok());
}

TEST_P(ShieldApiTest, RenewChangeRevokeAndReissue) {
  const std::string phone = "13912340006";
  std::string t = verified_person(phone, "孙八", "110105194912310118");
  Device d = new_device("device-eeee-0001", "Pin#eeee");
  auto j = enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_FALSE(j.is_null());
  std::string first = j["certificate"]["id"];

  const std::string package = renewal_order(t, phone, first);
  auto renew = call("POST", "/api/v1/account/certificates/" + first + "/renewals", t,
                    {{"request_id", "r1"}, {"order_id", package}});
  ASSERT_EQ(renew.status, 201) << renew.body;
  std::string renewed = renew.json()["certificate"]["id"];
  EXPECT_NE(renewed, first);
  EXPECT_EQ(call("POST", "/api/v1/account/certificates/" + first + "/renewals", t,
                 {{"request_id", "r1"}, {"order_id", package}})
                .json()["certificate"]["id"],
            renewed);  // a retry
  // The renewed certificate replaced the first one (superseded), so they are not both valid.
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + first, t).json()["certificate"]["status"], "revoked");
  // Same key: a signature verifies under the renewed certificate.
  auto sig = sign(t, d, "after renewal");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(crypto::verify(cert_key(renew.json()["certificate"]), crypto::SignScheme::kSm2Sm3,
                             as_bytes("after renewal"), *crypto::ec_sig_raw_to_der(*sig)));

  auto change = call("POST", "/api/v1/account/certificates/" + renewed + "/changes", t, {{"request_id", "c1"}});
  ASSERT_EQ(change.status, 201) << change.body;
  std::string changed = change.json()["certificate"]["id"];
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + renewed, t).json()["certificate"]["status"], "revoked");

  // The operator says the certificate must be reissued; the holder sees it and follows it.
  EXPECT_EQ(call("POST", "/api/v1/operator/certificates/" + changed + "/reissue-notices", t, {{"reason", "x"}}).status, 403);
  ASSERT_EQ(call("POST", "/api/v1/operator/certificates/" + changed + "/reissue-notices", operator_token_,
                 {{"reason", "CA 密钥更新"}})
                .status,
            200);
  auto held = call("GET", "/api/v1/account/certificates/" + changed, t);
  EXPECT_EQ(held.json()["reissue_notice"], "CA 密钥更新");
  auto note = call("GET", "/api/v1/notifications", t).json()["items"][0];
  EXPECT_EQ(note["kind"], "certificate_reissue");
  // Reissue needs an SMS code, the login password and new ID card photos.
  Device n = new_device("device-eeee-0002", "Pin#new");
  auto start = cosign::device_keygen_start(rng_);
  nlohmann::json body = enrolment(n, start.request);
  const nlohmann::json proof = reissue_proof(t);
  for (auto& [k, v] : proof.items()) body[k] = v;
  body["request_id"] = "ri1";
  body["code"] = "000000";
  EXPECT_EQ(call("POST", "/api/v1/account/certificates/" + changed + "/reissues", t, body).status, 400);
  // A code sent "for an order" does not reissue (review L2).
  body["code"] = sms_code(t, phone);
  auto unbound = call("POST", "/api/v1/account/certificates/" + changed + "/reissues", t, body);
  EXPECT_EQ(unbound.status, 400) << unbound.body;
  EXPECT_EQ(unbound.json()["code"], "sms_code_wrong_scope");
  body["code"] = scoped_code(t, phone, "order_authorise", "some-order");
  EXPECT_EQ(call("POST", "/api/v1/account/certificates/" + changed + "/reissues", t, body).json()["code"],
            "sms_code_wrong_scope");
  body["code"] = scoped_code(t, phone, "certificate_reissue", changed);
  EXPECT_NE(code_for(phone), "");
  body["password"] = "Wr0ng!pw";
  auto wrong_pw = call("POST", "/api/v1/account/certificates/" + changed + "/reissues", t, body);
  EXPECT_EQ(wrong_pw.status, 403) << wrong_pw.body;
  EXPECT_EQ(wrong_pw.json()["code"], "wrong_password");
  nlohmann::json extra = reissue_proof(t);
  extra["request_id"] = "ri2";
  extra["code"] = scoped_code(t, phone, "certificate_reissue", changed);
  auto re = enrol(t, n, "/api/v1/account/certificates/" + changed + "/reissues", extra);
  ASSERT_FALSE(re.is_null());
  std::string reissued = re["certificate"]["id"];
  EXPECT_NE(n.key_id, d.key_id);
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + changed, t).json()["certificate"]["status"], "revoked");
  EXPECT_TRUE(call("GET", "/api/v1/account/certificates/" + reissued, t).json()["reissue_notice"].is_null());
  EXPECT_EQ(count_notices(t, "security_certificate_reissued"), 1);
  // The old key signs no more; the new one does.
  EXPECT_FALSE(sign(t, d, "old key").ok());
  EXPECT_TRUE(sign(t, n, "new key").ok());

  // Revocation needs a code; then the key is retired and the CRL lists the certificate.
  EXPECT_EQ(call("POST", "/api/v1/account/certificates/" + reissued + "/revocations", t,
                 {{"request_id", "v1"}, {"code", "000000"}})
                .status,
            400);
  auto rv = call("POST", "/api/v1/account/certificates/" + reissued + "/revocations", t,
                 {{"request_id", "v2"}, {"code", sms_code(t, phone)}, {"reason", "cessation_of_operation"}});
  ASSERT_EQ(rv.status, 200) << rv.body;
  EXPECT_EQ(rv.json()["certificate"]["status"], "revoked");
  EXPECT_FALSE(sign(t, n, "after revocation").ok());
  put(f("leaf.pem"), rv.json()["certificate"]["certificate_pem"]);
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  put(f("crl.der"), http_->get("/ca/sm2o/crl").body);
  sh("openssl crl -inform DER -in " + f("crl.der") + " -out " + f("crl.pem"));
  sh("cat " + f("chain.pem") + " " + f("crl.pem") + " > " + f("bundle.pem"));
  auto out = sh("openssl verify -crl_check -CAfile " + f("bundle.pem") + " " + f("leaf.pem"));
  EXPECT_NE(out.find("certificate revoked"), std::string::npos) << out;
}

// Bad input is refused with a clear problem and changes nothing.
// Review H1, attack A: someone who receives the victim's SMS (SIM swap) resets the login
// password, logs in and tries to reissue the certificate to a key of their own. Refused without a
// platform notice, and refused even with one because the password was just reset by SMS; the
// victim is told of the reset, and the certificate and key stay theirs.
TEST_P(ShieldApiTest, SmsAlonePasswordResetThenReissueIsRefused) {
  const std::string phone = "13912340013";
  std::string victim = verified_person(phone, "郑九", "110105194912310070");
  Device d = new_device("device-victim-01", "Pin#mine");
  auto j = enrol(victim, d, "/api/v1/orders/" + approved_order(victim, phone) + "/installation");
  ASSERT_FALSE(j.is_null());
  const std::string cert = j["certificate"]["id"];

  // The attacker has the SMS: reset the password, log in with it.
  ASSERT_EQ(request_code(phone, "reset_password").status, 202);
  auto reset = http_->post_json("/api/v1/password-resets", {{"phone", phone}, {"code", code_for(phone)}, {"password", "Att4ck!pw"}});
  ASSERT_EQ(reset.status, 204) << reset.body;
  ASSERT_EQ(request_code(phone, "login").status, 202);
  auto in = login(phone, code_for(phone), "Att4ck!pw");
  ASSERT_EQ(in.status, 201) << in.body;
  const std::string attacker = in.json()["token"];
  Device mine = new_device("device-thief-001", "Pin#thief");
  auto start = cosign::device_keygen_start(rng_);
  nlohmann::json body = enrolment(mine, start.request);
  const nlohmann::json proof = reissue_proof(attacker, "Att4ck!pw");
  for (auto& [k, v] : proof.items()) body[k] = v;
  body["request_id"] = "steal-1";
  body["code"] = scoped_code(attacker, phone, "certificate_reissue", cert);
  auto r = call("POST", "/api/v1/account/certificates/" + cert + "/reissues", attacker, body);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "reissue_not_requested");

  // Even when the platform happens to ask for a reissue, the fresh SMS reset blocks it.
  ASSERT_EQ(call("POST", "/api/v1/operator/certificates/" + cert + "/reissue-notices", operator_token_,
                 {{"reason", "CA 密钥更新"}})
                .status,
            200);
  body["request_id"] = "steal-2";
  body["code"] = scoped_code(attacker, phone, "certificate_reissue", cert);
  r = call("POST", "/api/v1/account/certificates/" + cert + "/reissues", attacker, body);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "recent_password_reset");

  // Nothing changed hands; the owner heard of the reset.
  auto held = call("GET", "/api/v1/account/certificates/" + cert, attacker).json();
  EXPECT_EQ(held["certificate"]["status"], "valid");
  EXPECT_EQ(held["key"]["id"], d.key_id);
  EXPECT_EQ(held["key"]["status"], "active");
  EXPECT_EQ(count_notices(attacker, "security_login_password_reset"), 1);
  EXPECT_EQ(count_notices(attacker, "security_certificate_reissued"), 0);
}

// Review H2, from the removed employee's side: an employee holds an organisation certificate and
// has a second organisation order approved. Once the admin removes them, the certificate is
// revoked (affiliationChanged) and its key signs no more, change is refused, and the approved
// order cannot be installed. They are told.
TEST_P(ShieldApiTest, RemovedEmployeeKeepsNoOrganisationCertificate) {
  const std::string admin_phone = "13912340015", emp_phone = "13912340016";
  std::string admin = verified_person(admin_phone, "陈总", "110105194912310097");
  std::string org = verified_org(admin, "上海示例贸易有限公司", "91310115MA1K3B0020");
  std::string emp = verified_person(emp_phone, "林员工", "11010519491231010X");
  join(admin, emp, org, "陈总", admin_phone);
  Device d = new_device("device-emp-0001", "Pin#emp1");
  auto j = enrol(emp, d, "/api/v1/orders/" + approved_org_order(emp, emp_phone, org) + "/installation");
  ASSERT_FALSE(j.is_null());
  const std::string cert = j["certificate"]["id"];
  EXPECT_NE(std::string(j["certificate"]["subject"]).find("上海示例贸易有限公司"), std::string::npos);
  ASSERT_TRUE(sign(emp, d, "as the organisation").ok());
  const std::string pending = approved_org_order(emp, emp_phone, org);

  // The admin removes the employee.
  std::string member;
  const nlohmann::json members = call("GET", "/api/v1/organisations/" + org + "/members", admin).json()["items"];
  for (const auto& m : members) {
    if (m["phone"] == emp_phone && m["status"] == "active") member = m["id"];
  }
  ASSERT_FALSE(member.empty());
  ASSERT_EQ(call("DELETE", "/api/v1/organisations/" + org + "/members/" + member, admin).status, 204);

  // The former employee's side.
  auto held = call("GET", "/api/v1/account/certificates/" + cert, emp).json();
  EXPECT_EQ(held["certificate"]["status"], "revoked");
  EXPECT_EQ(held["certificate"]["revocation_reason"], "affiliationChanged");
  EXPECT_EQ(held["key"]["status"], "retired");
  EXPECT_FALSE(sign(emp, d, "still the organisation?").ok());
  auto ch = call("POST", "/api/v1/account/certificates/" + cert + "/changes", emp, {{"request_id", "ch-1"}});
  EXPECT_EQ(ch.status, 403) << ch.body;
  Device other = new_device("device-emp-0002", "Pin#emp2");
  auto start = cosign::device_keygen_start(rng_);
  auto inst = call("POST", "/api/v1/orders/" + pending + "/installation", emp, enrolment(other, start.request));
  EXPECT_EQ(inst.status, 403) << inst.body;
  EXPECT_EQ(inst.json()["code"], "not_an_active_member");
  EXPECT_EQ(count_notices(emp, "security_certificate_revoked_membership"), 1);
}

// Review H2: an admin who hands the role on keeps no certificate ordered as admin, and an
// employee who leaves keeps none; the new admin's own certificate stays valid.
TEST_P(ShieldApiTest, AdminTransferAndLeavingRevokeWhatTheRoleNoLongerAllows) {
  const std::string a_phone = "13912340017", b_phone = "13912340018", c_phone = "13912340019";
  std::string a = verified_person(a_phone, "陈总", "110105194912310097");
  std::string org = verified_org(a, "上海示例贸易有限公司", "91310115MA1K3B0020");
  std::string b = verified_person(b_phone, "林员工", "11010519491231010X");
  std::string c = verified_person(c_phone, "何员工", "110105194912310118");
  join(a, b, org, "陈总", a_phone);
  join(a, c, org, "陈总", a_phone);
  Device da = new_device("device-orga-0001", "Pin#a"), db = new_device("device-orgb-0001", "Pin#b"),
         dc = new_device("device-orgc-0001", "Pin#c");
  const std::string ca = enrol(a, da, "/api/v1/orders/" + approved_org_order(a, a_phone, org) + "/installation")
                             ["certificate"]["id"];
  const std::string cb = enrol(b, db, "/api/v1/orders/" + approved_org_order(b, b_phone, org) + "/installation")
                             ["certificate"]["id"];
  const std::string cc = enrol(c, dc, "/api/v1/orders/" + approved_org_order(c, c_phone, org) + "/installation")
                             ["certificate"]["id"];
  auto status = [&](const std::string& token, const std::string& cert) {
    return call("GET", "/api/v1/account/certificates/" + cert, token).json()["certificate"]["status"];
  };
  ASSERT_EQ(status(a, ca), "valid");

  // A hands the admin role to B: A's certificate (ordered as admin) goes; B's stays.
  std::string b_member;
  const nlohmann::json members = call("GET", "/api/v1/organisations/" + org + "/members", a).json()["items"];
  for (const auto& m : members) {
    if (m["phone"] == b_phone && m["status"] == "active") b_member = m["id"];
  }
  // Through the letter A signs with the organisation certificate (授权委托书).
  {
    using docsign::TextBlock;
    auto png = docsign::render_png({{"陈总", 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20);
    ASSERT_TRUE(png.ok());
    const std::string blob = upload(a, "handwritten_signature", to_string(*png));
    const std::string letters = "/api/v1/organisations/" + org + "/admin-transfer-letters";
    auto letter = call("POST", letters, a, {{"member_id", b_member}, {"certificate_id", ca}, {"signature_blob_id", blob}});
    ASSERT_EQ(letter.status, 201) << letter.body;
    auto sig = sign_der(a, da, *base64_decode(letter.json()["signed_attributes"].get<std::string>()));
    ASSERT_TRUE(sig.ok());
    ASSERT_EQ(call("POST", letters + "/" + letter.json()["id"].get<std::string>() + "/signature", a,
                   {{"signature", base64_encode(*sig)}})
                  .status,
              200);
  }
  EXPECT_EQ(status(a, ca), "revoked");
  EXPECT_FALSE(sign(a, da, "as the former admin").ok());
  EXPECT_EQ(status(b, cb), "valid");
  EXPECT_TRUE(sign(b, db, "as the new admin").ok());

  // C leaves: C's certificate goes.
  std::string c_identity;
  const nlohmann::json ids = call("GET", "/api/v1/identities", c).json()["items"];
  for (const auto& i : ids) {
    if (i["org_id"] == org) c_identity = i["id"];
  }
  ASSERT_EQ(call("DELETE", "/api/v1/identities/" + c_identity, c).status / 100, 2);
  auto held = call("GET", "/api/v1/account/certificates/" + cc, c).json();
  EXPECT_EQ(held["certificate"]["status"], "revoked");
  EXPECT_EQ(held["certificate"]["revocation_reason"], "affiliationChanged");
  EXPECT_FALSE(sign(c, dc, "after leaving").ok());
  EXPECT_EQ(status(b, cb), "valid");
}

// Review H1, operator review instead of the identity verifier: without photos a reissue is
// refused, unless the operator who sent the notice verified the holder; the other checks stay.
TEST_P(ShieldApiTest, OperatorReviewedNoticeStandsInForTheIdentityCheck) {
  const std::string phone = "13912340021";
  std::string t = verified_person(phone, "许十二", "110105194912310150");
  Device d = new_device("device-oprev-001", "Pin#oprev");
  const std::string cert = enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation")
                               ["certificate"]["id"];
  ASSERT_EQ(call("POST", "/api/v1/operator/certificates/" + cert + "/reissue-notices", operator_token_,
                 {{"reason", "CA 密钥更新"}})
                .status,
            200);
  Device n = new_device("device-oprev-002", "Pin#new");
  auto start = cosign::device_keygen_start(rng_);
  nlohmann::json body = enrolment(n, start.request);
  body["request_id"] = "op-1";
  body["password"] = "Str0ng!pw";
  body["code"] = scoped_code(t, phone, "certificate_reissue", cert);
  auto r = call("POST", "/api/v1/account/certificates/" + cert + "/reissues", t, body);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["code"], "bad_upload");
  ASSERT_EQ(call("POST", "/api/v1/operator/certificates/" + cert + "/reissue-notices", operator_token_,
                 {{"reason", "柜台核验后补发"}, {"identity_checked", true}})
                .status,
            200);
  nlohmann::json extra = {{"request_id", "op-2"}, {"password", "Str0ng!pw"},
                          {"code", scoped_code(t, phone, "certificate_reissue", cert)}};
  auto re = enrol(t, n, "/api/v1/account/certificates/" + cert + "/reissues", extra);
  ASSERT_FALSE(re.is_null());
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + cert, t).json()["certificate"]["status"], "revoked");
  EXPECT_TRUE(sign(t, n, "after an operator-reviewed reissue").ok());
}

TEST_P(ShieldApiTest, BadInputIsRefusedClearlyAndChangesNothing) {
  const std::string phone = "13912340009";
  std::string t = verified_person(phone, "郑十一", "110105194912310177");
  std::string order = approved_order(t, phone);
  Device d = new_device("device-hhhh-0001", "Pin#hhhh");
  const std::string install = "/api/v1/orders/" + order + "/installation";
  auto good = enrolment(d, cosign::device_keygen_start(rng_).request);
  auto refused = [&](const std::string& method, const std::string& path, const nlohmann::json& body, int status,
                     const std::string& code) {
    auto r = call(method, path, t, body);
    EXPECT_EQ(r.status, status) << path << " " << body.dump() << " -> " << r.body;
    EXPECT_EQ(r.header("content-type"), "application/problem+json") << r.body;
    if (!code.empty()) {
      EXPECT_EQ(r.json()["code"], code) << r.body;
    }
  };
  auto without = [&](const std::string& field) {
    auto b = good;
    b.erase(field);
    return b;
  };
  auto with = [&](const std::string& field, const nlohmann::json& v) {
    auto b = good;
    b[field] = v;
    return b;
  };
  refused("POST", install, without("p1"), 400, "");
  refused("POST", install, with("p1", "not base64 !!"), 400, "invalid_field");
  refused("POST", install, with("p1", base64_encode(Bytes(66, 4))), 400, "");  // not a point on the curve
  refused("POST", install, with("salt", base64_encode(Bytes(8, 1))), 400, "invalid_field");
  refused("POST", install, with("auth_key", base64_encode(Bytes(31, 1))), 400, "invalid_field");
  refused("POST", install, with("device_id", "short"), 400, "invalid_field");
  refused("POST", install, with("device_id", "has spaces in it"), 400, "invalid_field");
  auto raw = http_->request("POST", install, "{not json", {"Authorization: Bearer " + t, "Content-Type: application/json"});
  EXPECT_EQ(raw.status, 400) << raw.body;
  // None of that touched the order; an order that is not approved cannot be installed.
  EXPECT_EQ(status_of(t, order), "approved");
  auto fresh = call("POST", "/api/v1/orders", t, {{"product_id", product_}, {"platform_id", platform_}});
  ASSERT_EQ(fresh.status, 201);
  refused("POST", "/api/v1/orders/" + std::string(fresh.json()["id"]) + "/installation", good, 409, "order_not_approved");
  refused("POST", "/api/v1/orders/nope/installation", good, 404, "");

  auto j = enrol(t, d, install);
  ASSERT_TRUE(d.share);
  std::string cert = j["certificate"]["id"];
  const std::string key = "/api/v1/shield/keys/" + d.key_id;
  refused("POST", "/api/v1/shield/challenges", {{"key_id", "nope"}, {"device_id", d.id}}, 404, "key_not_found");
  refused("POST", "/api/v1/shield/challenges", {{"key_id", d.key_id}}, 400, "");
  // A malformed two-party message with a right proof: refused, not counted as a wrong password.
  auto c = challenge(t, d, d.key_id);
  std::string nonce = c.json()["nonce"];
  const Bytes junk(10, 7);
  refused("POST", key + "/signatures",
          {{"device_id", d.id}, {"nonce", nonce}, {"request", base64_encode(junk)},
           {"proof", base64_encode(unlock::proof(d.keys.auth_key, "sign", d.key_id, d.id, nonce, junk))}},
          400, "bad_message");
  refused("POST", key + "/signatures", {{"device_id", d.id}, {"nonce", "x"}, {"request", base64_encode(junk)}}, 400, "");
  // Not counted: the owner got no failed-unlock notice.
  const nlohmann::json notes = call("GET", "/api/v1/notifications?limit=100", t).json()["items"];
  for (const auto& n : notes) {
    EXPECT_NE(n["kind"], "security_unlock_failed") << n;
  }
  refused("POST", key + "/recovery",
          {{"device_id", d.id}, {"code", "123456"}, {"password", "x"}, {"face_image", base64_encode(as_bytes(kPng))},
           {"auth_key", base64_encode(Bytes(32, 1))}, {"salt", base64_encode(Bytes(3, 1))}},
          400, "invalid_field");
  refused("POST", "/api/v1/shield/pairings",
          {{"device_id", "device-hhhh-0002"}, {"device_name", "n"}, {"public_key", base64_encode(Bytes(65, 9))}}, 400,
          "invalid_field");
  refused("POST", "/api/v1/account/certificates/" + cert + "/renewals", nlohmann::json::object(), 400, "");
  refused("POST", "/api/v1/account/certificates/" + cert + "/revocations",
          {{"request_id", "v"}, {"code", sms_code(t, phone)}, {"reason", "because"}}, 400, "");
  refused("POST", "/api/v1/account/certificates/" + cert + "/renewals", {{"request_id", "r"}, {"order_id", order}}, 409,
          "");  // a certificate order is not a renewal package
  // Still one valid certificate, and the key still signs.
  auto list = call("GET", "/api/v1/account/certificates", t).json()["items"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["status"], "valid");
  EXPECT_TRUE(sign(t, d, "still works").ok());
}

// A renewal package (延期, paid) is used by one renewal of the certificate it was bought for.
// Review M3: renewal is bought. Without an approved renewal order for this certificate the
// holder gets nothing, however often they ask; with one, the old certificate is superseded.
TEST_P(ShieldApiTest, RenewalWithoutAnOrderIsRefused) {
  const std::string phone = "13912340014";
  std::string t = verified_person(phone, "冯十", "110105194912310089");
  Device d = new_device("device-renew-001", "Pin#renew");
  auto j = enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_FALSE(j.is_null());
  const std::string cert = j["certificate"]["id"];
  for (const char* rid : {"free-1", "free-2"}) {
    auto r = call("POST", "/api/v1/account/certificates/" + cert + "/renewals", t, {{"request_id", rid}});
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["code"], "renewal_order_required");
  }
  // A certificate order is no renewal order.
  auto other = approved_order(t, phone);
  auto r = call("POST", "/api/v1/account/certificates/" + cert + "/renewals", t,
                {{"request_id", "free-3"}, {"order_id", other}});
  EXPECT_EQ(r.status, 409) << r.body;
  auto list = call("GET", "/api/v1/account/certificates", t).json()["items"];
  EXPECT_EQ(list.size(), 1u) << list;
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + cert, t).json()["certificate"]["status"], "valid");
}

TEST_P(ShieldApiTest, RenewalPackageIsUsedOnce) {
  const std::string phone = "13912340008";
  std::string t = verified_person(phone, "吴十", "110105194912310150");
  Device d = new_device("device-gggg-0001", "Pin#gggg");
  auto j = enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_FALSE(j.is_null());
  std::string cert = j["certificate"]["id"];
  auto p = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                {{"kind", "renewal"}, {"name", "延期 2年"}, {"cert_type", "personal"}, {"algorithm", "sm2"},
                 {"validity_years", 2}, {"price_fen", 8000}, {"ca_id", "sm2o"}, {"seal_type", "handwritten"}});
  ASSERT_EQ(p.status, 201) << p.body;
  std::string package = approved_order(t, phone, p.json()["id"], cert);
  auto r = call("POST", "/api/v1/account/certificates/" + cert + "/renewals", t,
                {{"request_id", "pkg-1"}, {"order_id", package}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(status_of(t, package), "done");
  // Two years from the package, not the one year of the first purchase.
  auto renewed = r.json()["certificate"];
  auto again = call("POST", "/api/v1/account/certificates/" + std::string(renewed["id"]) + "/renewals", t,
                    {{"request_id", "pkg-2"}, {"order_id", package}});
  EXPECT_EQ(again.status, 409) << again.body;
  auto facts = pki::read_certificate((*pem_decode_all(std::string(renewed["certificate_pem"])))[0].der);
  ASSERT_TRUE(facts.ok());
  const auto days = std::chrono::duration_cast<std::chrono::hours>(facts->not_after - facts->not_before).count() / 24;
  EXPECT_GE(days, 729);
  EXPECT_LE(days, 731);
}

// Nothing the server stores, logs or answers contains the device share d1 (raw, hex or base64),
// so the server cannot sign alone.
TEST_P(ShieldApiTest, NothingOnTheServerHoldsTheDeviceShare) {
  const std::string phone = "13912340007";
  std::string t = verified_person(phone, "周九", "110105194912310134");
  Device d = new_device("device-ffff-0001", "Pin#ffff");
  auto j = enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(d.share);
  std::string seen = j.dump();
  ASSERT_TRUE(sign(t, d, "one").ok());
  seen += call("GET", "/api/v1/account/certificates", t).body;
  seen += call("GET", "/api/v1/shield/keys/" + d.key_id + "/events", t).body;
  const Bytes d1(d.share->scalar().begin(), d.share->scalar().end());
  const std::vector<std::string> forms = {to_string(d1), hex_encode(d1), hex_encode(d1, true), base64_encode(d1),
                                          base64url_encode(d1)};
  std::string stored = server_->log_text();
  if (GetParam() == "sqlite") {
    for (const auto& e : std::filesystem::directory_iterator(data_)) {
      if (e.is_regular_file()) {
        std::ifstream in(e.path(), std::ios::binary);
        stored += std::string((std::istreambuf_iterator<char>(in)), {});
      }
    }
    EXPECT_NE(stored.find(d.key_id), std::string::npos);  // the search does see the database
  } else {
    stored += sh("pg_dump --data-only '" + pg_->url() + "'");
    EXPECT_NE(stored.find(d.key_id), std::string::npos);
  }
  for (const auto& form : forms) {
    EXPECT_EQ(stored.find(form), std::string::npos);
    EXPECT_EQ(seen.find(form), std::string::npos);
  }
}

// Fingerprint/face unlock (docs/SHIELD.md "Unlocking with a platform authenticator"), with a
// software P-256 key playing the platform authenticator and the assertions built here the way
// one builds them. From the thief's side: an assertion for another nonce, one whose counter did
// not grow, one for a step that changes the key, one after the password changed — each refused;
// the refused assertions count against the key's budget like wrong passwords. Both engines.
TEST_P(ShieldApiTest, PlatformAuthenticatorUnlocksOnlyItsOwnStepAndCountsLikeAPassword) {
  const std::string phone = "13912340077";
  std::string t = verified_person(phone, "吴九", "11010519491231002X");
  std::string order = approved_order(t, phone);
  Device d = new_device("device-webauthn-01", "Pin#2026");
  ASSERT_FALSE(enrol(t, d, "/api/v1/orders/" + order + "/installation").is_null());
  auto authenticator = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng_).value();
  const Bytes spki = authenticator.public_key().spki_der();
  const Bytes cred = to_bytes("credential-of-device-webauthn-01");
  const std::string enrol_path = "/api/v1/shield/keys/" + d.key_id + "/devices/" + d.id + "/webauthn";
  auto enrol_with = [&](BytesView auth_key) {
    std::string nonce = challenge(t, d, d.key_id).json()["nonce"];
    Bytes payload = cred;
    payload.insert(payload.end(), spki.begin(), spki.end());
    return call("POST", enrol_path, t,
                {{"device_id", d.id}, {"nonce", nonce}, {"credential_id", base64_encode(cred)},
                 {"public_key", base64_encode(spki)},
                 {"proof", base64_encode(unlock::proof(auth_key, "webauthn_enrol", d.key_id, d.id, nonce, payload))}});
  };
  // Enrolment needs the password's proof; an SM2 key is no WebAuthn credential.
  auto bad_key = call("POST", enrol_path, t,
                      {{"device_id", d.id}, {"nonce", std::string(challenge(t, d, d.key_id).json()["nonce"])},
                       {"credential_id", base64_encode(cred)},
                       {"public_key", base64_encode(crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_)->public_key().spki_der())},
                       {"proof", base64_encode(Bytes(32, 1))}});
  EXPECT_EQ(bad_key.status, 400) << bad_key.body;
  EXPECT_EQ(bad_key.json()["code"], "webauthn_bad_public_key");
  auto enrolled = enrol_with(d.keys.auth_key);
  ASSERT_EQ(enrolled.status, 201) << enrolled.body;

  // An assertion as a platform authenticator makes it: clientDataJSON with the step's challenge,
  // authenticatorData with the RP id hash, UP|UV and the counter, ES256 over both.
  auto assertion = [&](const std::string& operation, const std::string& nonce, BytesView payload, std::uint32_t count) {
    Bytes m = to_bytes("certseal-shield-v1 webauthn-step\n" + operation + "\n" + d.key_id + "\n" + d.id + "\n" + nonce + "\n");
    const Bytes hp = crypto::sm3(payload);
    m.insert(m.end(), hp.begin(), hp.end());
    const std::string client = R"({"type":"webauthn.get","challenge":")" + base64url_encode(crypto::sm3(m)) +
                               R"(","origin":"https://app.example.cn"})";
    Bytes data = crypto::sha256(as_bytes("app.example.cn"));
    data.push_back(0x05);
    for (int i = 3; i >= 0; --i) data.push_back(static_cast<std::uint8_t>(count >> (8 * i)));
    Bytes signed_data = data;
    const Bytes hc = crypto::sha256(as_bytes(client));
    signed_data.insert(signed_data.end(), hc.begin(), hc.end());
    return nlohmann::json{{"credential_id", base64_encode(cred)}, {"authenticator_data", base64_encode(data)},
                          {"client_data_json", base64_encode(as_bytes(client))},
                          {"signature", base64_encode(*crypto::sign(authenticator, crypto::SignScheme::kEcdsaSha256, signed_data))}};
  };
  std::uint32_t counter = 0;
  // A whole signature with the authenticator instead of the password; nonce_for picks the nonce
  // the assertion is made for (the step's own, unless a test says otherwise).
  auto sign_with = [&](const std::string& message, std::uint32_t count,
                       const std::function<std::string(const std::string&)>& nonce_for) -> Result<Bytes> {
    return cosign::device_sign(*d.share, as_bytes(message), crypto::kSm2DefaultId, rng_,
                               [&](const cosign::SignRequest& req) -> Result<cosign::SignResponse> {
                                 std::string nonce = challenge(t, d, d.key_id).json()["nonce"];
                                 const Bytes payload = req.encode();
                                 auto r = call("POST", "/api/v1/shield/keys/" + d.key_id + "/signatures", t,
                                               {{"device_id", d.id}, {"nonce", nonce}, {"request", base64_encode(payload)},
                                                {"webauthn", assertion("sign", nonce_for(nonce), payload, count)}});
                                 if (r.status != 200) {
                                   return Error(ErrorKind::kPermissionDenied, r.json().value("code", "?"),
                                                r.json().value("detail", ""));
                                 }
                                 return cosign::SignResponse::decode(*base64_decode(std::string(r.json()["response"])));
                               });
  };
  auto own = [](const std::string& n) { return n; };
  auto sig = sign_with("指纹确认的付款", ++counter, own);
  ASSERT_TRUE(sig.ok()) << sig.error().code << " " << sig.error().message;
  auto pub = crypto::PublicKey::sm2_from_point(d.share->public_key());
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(crypto::verify(*pub, crypto::SignScheme::kSm2Sm3, as_bytes("指纹确认的付款"), *crypto::ec_sig_raw_to_der(*sig)).ok());
  // Refused: made for another nonce; a counter that did not grow.
  auto other_nonce = sign_with("x", ++counter, [&](const std::string&) { return std::string(challenge(t, d, d.key_id).json()["nonce"]); });
  ASSERT_FALSE(other_nonce.ok());
  EXPECT_EQ(other_nonce.error().code, "bad_unlock_proof");
  EXPECT_NE(other_nonce.error().message.find("webauthn_challenge_mismatch"), std::string::npos) << other_nonce.error().message;
  EXPECT_NE(other_nonce.error().message.find("4 attempts left"), std::string::npos) << other_nonce.error().message;
  auto replayed = sign_with("x", 1, own);
  ASSERT_FALSE(replayed.ok());
  EXPECT_NE(replayed.error().message.find("webauthn_sign_count"), std::string::npos) << replayed.error().message;
  EXPECT_NE(replayed.error().message.find("3 attempts left"), std::string::npos) << replayed.error().message;
  // A step that changes the key is not unlocked by the authenticator (nothing consumed, nothing counted).
  std::string nonce = challenge(t, d, d.key_id).json()["nonce"];
  auto pw = call("PUT", "/api/v1/shield/keys/" + d.key_id + "/devices/" + d.id + "/password", t,
                 {{"device_id", d.id}, {"nonce", nonce}, {"auth_key", base64_encode(Bytes(32, 3))},
                  {"salt", base64_encode(Bytes(16, 3))}, {"webauthn", assertion("password", nonce, Bytes(48, 3), ++counter)}});
  EXPECT_EQ(pw.status, 400) << pw.body;
  EXPECT_EQ(pw.json()["code"], "webauthn_not_allowed");
  // A password change (with the password) ends the authenticator's enrolment.
  Device renamed = new_device(d.id, "Pin#2027");
  nonce = std::string(challenge(t, d, d.key_id).json()["nonce"]);
  Bytes pw_payload(renamed.keys.auth_key.begin(), renamed.keys.auth_key.end());
  pw_payload.insert(pw_payload.end(), renamed.salt.begin(), renamed.salt.end());
  pw = call("PUT", "/api/v1/shield/keys/" + d.key_id + "/devices/" + d.id + "/password", t,
            {{"device_id", d.id}, {"nonce", nonce}, {"auth_key", base64_encode(renamed.keys.auth_key)},
             {"salt", base64_encode(renamed.salt)},
             {"proof", base64_encode(unlock::proof(d.keys.auth_key, "password", d.key_id, d.id, nonce, pw_payload))}});
  ASSERT_EQ(pw.status, 200) << pw.body;
  auto after_change = sign_with("x", ++counter, own);
  ASSERT_FALSE(after_change.ok());
  EXPECT_NE(after_change.error().message.find("webauthn_not_enrolled"), std::string::npos) << after_change.error().message;
  // One budget for both: three refused assertions, then two wrong passwords lock the key.
  auto ev = call("GET", "/api/v1/shield/keys/" + d.key_id + "/events", t).json()["items"];
  EXPECT_EQ(std::count_if(ev.begin(), ev.end(), [](const nlohmann::json& e) { return e["result"] == "bad_unlock_proof"; }), 3)
      << ev.dump();
  auto wrong = d;
  wrong.keys = new_device(d.id, "Wrong#2027").keys;
  EXPECT_FALSE(sign(t, wrong, "guess").ok());
  EXPECT_FALSE(sign(t, wrong, "guess").ok());
  auto key = call("GET", "/api/v1/account/certificates", t).json()["items"][0];
  auto detail = call("GET", "/api/v1/account/certificates/" + std::string(key["id"]), t).json();
  EXPECT_EQ(detail["key"]["status"], "locked") << detail.dump();
}

CERTSEAL_INSTANTIATE_API_ENGINES(ShieldApiTest);

// The same server with the manual identity verifier, which confirms no face by itself.
class ShieldManualIdentityTest : public ShieldApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    auto args = ShieldApiTest::extra_server_args();
    args.insert(args.end(), {"--set", "identity.verifier=manual"});
    return args;
  }
};

// Security review H1 (recovery half): without a fresh identity check that confirms the person,
// the SMS code and the login password are not enough; nothing changes.
TEST_P(ShieldManualIdentityTest, RecoveryIsRefusedWhenTheVerifierCannotConfirmTheFace) {
  const std::string phone = "13912340016";
  std::string t = register_person(phone, "Str0ng!pw");
  std::string front = upload(t, "id_card_front"), back = upload(t, "id_card_back");
  call("POST", "/api/v1/account/sms-codes", t, {{"purpose", "verify_person"}});
  auto v = call("POST", "/api/v1/person-verifications", t,
                {{"agreement_version", 1}, {"name", "蒋十六"}, {"id_number", "110105194912310193"},
                 {"code", code_for(phone)}, {"id_card_front", front}, {"id_card_back", back}});
  ASSERT_EQ(v.status, 201) << v.body;
  ASSERT_EQ(v.json()["status"], "pending") << v.body;
  ASSERT_EQ(call("POST", "/api/v1/operator/person-verifications/" + std::string(v.json()["id"]) + "/approval",
                 operator_token_)
                .status,
            200);
  Device d = new_device("device-oooo-0001", "Right#1");
  enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation");
  ASSERT_TRUE(d.share);
  Device renewed = new_device(d.id, "Attacker#1");
  auto r = call("POST", "/api/v1/shield/keys/" + d.key_id + "/recovery", t,
                {{"device_id", d.id}, {"code", sms_code(t, phone)}, {"password", "Str0ng!pw"},
                 {"face_image", base64_encode(as_bytes(kPng))}, {"auth_key", base64_encode(renewed.keys.auth_key)},
                 {"salt", base64_encode(renewed.salt)}});
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "identity_check_needs_review");
  EXPECT_FALSE(r.json().contains("recovery_key"));
  EXPECT_TRUE(sign(t, d, "the owner's password still works").ok());
  EXPECT_FALSE(has_notice(t, "security_certificate_password_recovered"));
}

// Review H1: where the identity verifier cannot decide (manual), photos alone do not reissue:
// the holder is sent to an operator (identity_review_needed), whose reviewed notice then does.
TEST_P(ShieldManualIdentityTest, ReissueWaitsForAnOperatorWhenTheVerifierCannotDecide) {
  const std::string phone = "13912340022";
  std::string t = register_person(phone, "Str0ng!pw");
  call("POST", "/api/v1/account/sms-codes", t, {{"purpose", "verify_person"}});
  auto v = call("POST", "/api/v1/person-verifications", t,
                {{"agreement_version", 1}, {"name", "严十三"}, {"id_number", "110105194912310177"},
                 {"code", code_for(phone)}, {"id_card_front", upload(t, "id_card_front")},
                 {"id_card_back", upload(t, "id_card_back")}});
  ASSERT_EQ(v.status, 201) << v.body;
  ASSERT_EQ(call("POST", "/api/v1/operator/person-verifications/" + std::string(v.json()["id"]) + "/approval",
                 operator_token_)
                .status,
            200);
  Device d = new_device("device-manual-01", "Pin#manual");
  const std::string cert = enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation")
                               ["certificate"]["id"];
  ASSERT_EQ(call("POST", "/api/v1/operator/certificates/" + cert + "/reissue-notices", operator_token_,
                 {{"reason", "CA 密钥更新"}})
                .status,
            200);
  Device n = new_device("device-manual-02", "Pin#new");
  auto start = cosign::device_keygen_start(rng_);
  nlohmann::json body = enrolment(n, start.request);
  const nlohmann::json proof = reissue_proof(t);
  for (auto& [k, val] : proof.items()) body[k] = val;
  body["request_id"] = "m-1";
  body["code"] = scoped_code(t, phone, "certificate_reissue", cert);
  auto r = call("POST", "/api/v1/account/certificates/" + cert + "/reissues", t, body);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "identity_review_needed");
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + cert, t).json()["certificate"]["status"], "valid");
  // The operator checks the holder and says so on the notice: now the reissue goes through.
  ASSERT_EQ(call("POST", "/api/v1/operator/certificates/" + cert + "/reissue-notices", operator_token_,
                 {{"reason", "柜台核验后补发"}, {"identity_checked", true}})
                .status,
            200);
  nlohmann::json extra = {{"request_id", "m-2"}, {"password", "Str0ng!pw"},
                          {"code", scoped_code(t, phone, "certificate_reissue", cert)}};
  ASSERT_FALSE(enrol(t, n, "/api/v1/account/certificates/" + cert + "/reissues", extra).is_null());
  EXPECT_EQ(call("GET", "/api/v1/account/certificates/" + cert, t).json()["certificate"]["status"], "revoked");
}

CERTSEAL_INSTANTIATE_API_ENGINES(ShieldManualIdentityTest);

// The scheduled jobs every second, so that an account closed by them is seen quickly.
class ShieldJobsTest : public ShieldApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    auto args = ShieldApiTest::extra_server_args();
    args.insert(args.end(), {"--set", "jobs.interval_s=1"});
    return args;
  }
};

// Review L7: when an account closes after deregistration, every certificate it held is revoked
// and its key retired; nothing it held stays valid in OCSP and CRL.
TEST_P(ShieldJobsTest, ClosingAnAccountRevokesAllItsCertificates) {
  const std::string phone = "13912340020";
  std::string t = verified_person(phone, "曹十一", "110105194912310134");
  Device d = new_device("device-close-001", "Pin#close");
  const std::string cert = enrol(t, d, "/api/v1/orders/" + approved_order(t, phone) + "/installation")
                               ["certificate"]["id"];
  ASSERT_TRUE(sign(t, d, "before closing").ok());
  ASSERT_EQ(call("POST", "/api/v1/account/sms-codes", t, {{"purpose", "deregister"}}).status, 202);
  ASSERT_EQ(call("POST", "/api/v1/account/deregistration", t, {{"code", code_for(phone)}}).status, 202);
  // No cooling-off in tests: the next job run closes the account, then revokes.
  nlohmann::json rec;
  for (int i = 0; i < 100; ++i) {
    rec = call("GET", "/api/v1/certificates/" + cert, operator_token_).json();
    if (rec.value("status", "") == "revoked") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(rec["status"], "revoked") << rec;
  EXPECT_EQ(rec["revocation_reason"], "cessationOfOperation") << rec;
}

CERTSEAL_INSTANTIATE_API_ENGINES(ShieldJobsTest);

}  // namespace
}  // namespace certseal::testing
