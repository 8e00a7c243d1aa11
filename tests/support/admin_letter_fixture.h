// The signed admin transfer (转让管理员, service/org/admin_letter_service.h) driven over HTTP for
// ApiTest suites, with the device's half of a two-party SM2 key run in this process by
// crypto/cosign (as the `certseal` client does): a personal certificate bought in the sandbox,
// approved and installed; the admin-transfer letter drawn, its signed attributes signed through
// the two-party protocol, the signature posted.
#pragma once

#include <chrono>
#include <optional>
#include <thread>

#include "crypto/cosign.h"
#include "crypto/password.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "crypto/unlock.h"
#include "docsign/text_render.h"
#include "support/api_fixture.h"

namespace certseal::testing {

class AdminLetterApiTest : public ApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    return {"--set", "ca.sm2o.algorithm=sm2", "--set", "ca.sm2o.sm2_id="};
  }

 protected:
  // A two-party key installed for one account, its device half here.
  struct LetterKey {
    std::string device_id, key_id, cert_id;
    std::optional<crypto::cosign::DeviceShare> share;
    Bytes auth_key;
  };

  // Buys a personal SM2 certificate for `token` (a verified person), pays in the sandbox, has
  // the operator approve and installs it with a fresh device half.
  LetterKey letter_key(const std::string& token, const std::string& phone) {
    LetterKey k;
    if (letter_product_.empty()) {
      auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "委托书测试平台"}});
      EXPECT_EQ(p.status, 201) << p.body;
      letter_platform_ = p.json().value("id", "");
      auto a = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                    {{"kind", "certificate"}, {"name", "个人证书 SM2 1年（委托书）"}, {"cert_type", "personal"},
                     {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 100}, {"ca_id", "sm2o"},
                     {"seal_type", "handwritten"}});
      EXPECT_EQ(a.status, 201) << a.body;
      letter_product_ = a.json().value("id", "");
    }
    auto o = call("POST", "/api/v1/orders", token, {{"product_id", letter_product_}, {"platform_id", letter_platform_}});
    EXPECT_EQ(o.status, 201) << o.body;
    const std::string order = o.json().value("id", "");
    EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
    EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/authorisation", token, {{"code", code_for(phone)}}).status, 200);
    auto pay = call("POST", "/api/v1/orders/" + order + "/online-payments", token, {{"gateway", "sandbox"}});
    EXPECT_EQ(pay.status, 201) << pay.body;
    const std::string url = pay.json().value("pay_url", "");
    EXPECT_EQ(http_->request("POST", url.substr(url.find("/sandbox-pay/"))).status, 202);
    for (int i = 0; i < 100; ++i) {
      if (call("GET", "/api/v1/orders/" + order, token).json().value("status", "") == "in_review") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_).status, 200);
    k.device_id = "device-letter-" + std::to_string(++letter_devices_);
    const Bytes salt = letter_rng_.bytes(16);
    k.auth_key = unlock_auth_key("Pin#letter", salt, k.device_id);
    auto start = crypto::cosign::device_keygen_start(letter_rng_);
    auto r = call("POST", "/api/v1/orders/" + order + "/installation", token,
                  {{"device_id", k.device_id}, {"device_name", "手机 " + k.device_id},
                   {"p1", base64_encode(start.request.encode())}, {"auth_key", base64_encode(k.auth_key)},
                   {"salt", base64_encode(salt)}});
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return k;
    auto resp = crypto::cosign::KeygenResponse::decode(*base64_decode(r.json()["keygen_response"].get<std::string>()));
    auto share = crypto::cosign::device_keygen_finish(std::move(start.state), *resp);
    EXPECT_TRUE(share.ok());
    if (share) k.share = std::move(share).value();
    k.key_id = r.json()["key_id"];
    k.cert_id = r.json()["certificate"]["id"];
    return k;
  }

  // A DER SM2 signature over `message` by k, through the two-party protocol.
  Result<Bytes> letter_sign(const std::string& token, const LetterKey& k, BytesView message) {
    CS_ASSIGN(auto raw, crypto::cosign::device_sign(
                            *k.share, message, crypto::kSm2DefaultId, letter_rng_,
                            [&](const crypto::cosign::SignRequest& req) -> Result<crypto::cosign::SignResponse> {
                              auto c = call("POST", "/api/v1/shield/challenges", token,
                                            {{"key_id", k.key_id}, {"device_id", k.device_id}});
                              if (c.status != 200) return Error(ErrorKind::kPermissionDenied, "challenge", c.body);
                              const std::string nonce = c.json()["nonce"];
                              const Bytes payload = req.encode();
                              auto r = call("POST", "/api/v1/shield/keys/" + k.key_id + "/signatures", token,
                                            {{"device_id", k.device_id}, {"nonce", nonce},
                                             {"request", base64_encode(payload)},
                                             {"proof", base64_encode(crypto::unlock::proof(k.auth_key, "sign", k.key_id,
                                                                                           k.device_id, nonce, payload))},
                                             {"purpose", "admin-transfer-letter"}});
                              if (r.status != 200) return Error(ErrorKind::kPermissionDenied, "sign", r.body);
                              return crypto::cosign::SignResponse::decode(
                                  *base64_decode(r.json()["response"].get<std::string>()));
                            }));
    return crypto::ec_sig_raw_to_der(raw);
  }

  // Draws the letter handing the admin role of `org` to member_id (signed with k, the
  // handwritten signature a rendered PNG uploaded by the caller), signs it and posts the
  // signature. The answer of the signature step, or of the drawing when that refused.
  HttpResponse transfer_admin_signed(const std::string& token, const LetterKey& k, const std::string& org,
                                     const std::string& member_id) {
    using docsign::TextBlock;
    auto png = docsign::render_png({{"签名", 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20);
    EXPECT_TRUE(png.ok());
    const std::string blob = upload(token, "handwritten_signature", to_string(*png));
    const std::string base = "/api/v1/organisations/" + org + "/admin-transfer-letters";
    auto letter = call("POST", base, token,
                       {{"member_id", member_id}, {"certificate_id", k.cert_id}, {"signature_blob_id", blob}});
    if (letter.status != 201) return letter;
    auto attrs = base64_decode(letter.json()["signed_attributes"].get<std::string>());
    EXPECT_TRUE(attrs.ok());
    auto sig = letter_sign(token, k, *attrs);
    EXPECT_TRUE(sig.ok()) << (sig.ok() ? "" : sig.error().cause);
    if (!sig) return letter;
    return call("POST", base + "/" + letter.json()["id"].get<std::string>() + "/signature", token,
                {{"signature", base64_encode(*sig)}});
  }

 private:
  Bytes unlock_auth_key(const std::string& pin, BytesView salt, const std::string& device_id) {
    auto keys = crypto::unlock::derive(pin, salt, device_id, crypto::argon2_test_limits());
    EXPECT_TRUE(keys.ok());
    return keys ? Bytes(keys->auth_key.begin(), keys->auth_key.end()) : Bytes();
  }

  SystemRng letter_rng_;
  std::string letter_platform_, letter_product_;
  int letter_devices_ = 0;
};

}  // namespace certseal::testing
