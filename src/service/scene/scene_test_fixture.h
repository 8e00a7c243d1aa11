// The fixture of the scene service's tests (scene_service_test.cpp: apps, requests and the
// signing scenes; scene_callbacks_test.cpp: refusals, callbacks and the long poll;
// scene_documents_test.cpp: verification and document signing), on both engines: a real
// issuing CA, two platforms (a mutual-recognition product for the second), two verified people
// and one relying-party app; `certificate()` gives a person a real SM2 certificate bought for a
// platform, `sign()` does what the device does. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>

#include "base/encoding.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "pki/certificate.h"
#include "pki/cms_enveloped.h"
#include "pki/cms_signed.h"
#include "crypto/sm2.h"
#include "crypto/testing/interop.h"
#include "docsign/pdf_signer.h"
#include "docsign/text_render.h"
#include "seal/seal_picture.h"
#include "support/test_env.h"
#include "pki/login_assertion.h"
#include "service/ledger/recorder.h"
#include "service/org/licence_ocr.h"
#include "support/engine_fixture.h"
#include "support/person_rows.h"
#include "service/scene/scene_service.h"

namespace certseal::service::scene_testing {

constexpr std::int64_t kStart = 1'800'000'000;  // 2027-01-15T08:00:00Z
constexpr std::int64_t kDay = 86400;

class NoOcr final : public LicenceReader {
 public:
  Result<LicenceFields> read(BytesView) override { return unavailable("no_ocr", "not in this test"); }
};

// Records callbacks and answers with the queued statuses (then 200).
class RecordingSender final : public CallbackSender {
 public:
  struct Call {
    std::string url, body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  Result<int> post(const std::string& url, const std::vector<std::pair<std::string, std::string>>& headers,
                   const std::string& body) override {
    std::lock_guard lock(mu);
    calls.push_back({url, body, headers});
    if (answers.empty()) return 200;
    int a = answers.front();
    answers.erase(answers.begin());
    if (a < 0) return unavailable("callback_unreachable", "no answer", "connection refused");
    return a;
  }
  std::mutex mu;
  std::vector<Call> calls;
  std::vector<int> answers;
};

inline std::string header(const RecordingSender::Call& c, const std::string& name) {
  for (const auto& [k, v] : c.headers) {
    if (k == name) return v;
  }
  return "";
}

class SceneServiceTest : public testing::EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sms_sender_ = std::make_unique<OutboxSmsSender>(*db_, clock_, rng_);
    codes_ = std::make_unique<SmsCodeService>(*db_, clock_, rng_, *sms_sender_, SmsPolicy{});
    blobs_ = std::make_unique<BlobStore>(dir_.path() + "/blobs", *db_, clock_, rng_, 1 << 20);
    bank_ = std::make_unique<DevBankBackend>(clock_, rng_);
    orgs_ = std::make_unique<OrgService>(*db_, clock_, rng_, log_, *blobs_, ocr_, *bank_, *sms_sender_);
    email_ = std::make_unique<OutboxEmailSender>(*db_, clock_, rng_);
    orders_ = std::make_unique<OrderService>(*db_, clock_, rng_, log_, *sms_sender_, *codes_, *orgs_, *email_, *blobs_,
                                             OrderOptions{});
    apps_ = std::make_unique<RpAppService>(*db_, clock_, rng_, log_, rp_seal_key(to_bytes("0123456789abcdef0123")));
    SceneOptions o;
    o.public_url = "https://certseal.example";
    scenes_ = std::make_unique<SceneService>(*db_, clock_, rng_, log_, *apps_, *orders_, sender_,
                                             scene_token_key(to_bytes("fedcba9876543210fedc")), o);
    // A real issuing CA (GM/T signer ID), so the verification API can check the chain.
    ca_key_.emplace(crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value());
    pki::CertTemplate ca;
    ca.serial = {0x01};
    ca.not_before = SysTime(std::chrono::seconds(kStart - 10 * kDay));
    ca.not_after = SysTime(std::chrono::seconds(kStart + 3650 * kDay));
    ca.issuer = ca.subject = pki::name_der({{"CN", "Test CA"}}).value();
    ca.spki = ca_key_->public_key().spki_der();
    ca.is_ca = true;
    ca.key_usage = pki::kKeyCertSign | pki::kCrlSign;
    pki::LocalSigner ca_signer(*ca_key_);
    ca_der_ = pki::issue_certificate(ca, ca_signer).value();
    exec("INSERT INTO pki_ca (id, name, algorithm, backend, root_key_id, root_cert, issuing_key_id, issuing_cert, "
         "ocsp_key_id, tsa_key_id, crl_number, crl_this_update, crl_next_update, sm2_id, created_at) "
         "VALUES ('sm2', 'test', 'sm2', 'local', 'k', ?, 'k', ?, 'k', 'k', 1, 0, 0, '1234567812345678', 'now')",
         {ca_der_, ca_der_});
    home_ = orders_->add_platform("本地交易平台")->id;
    other_ = orders_->add_platform("异地交易平台")->id;
    exec("INSERT INTO products (id, kind, name, cert_type, algorithm, validity_years, price_fen, ca_id, seal_type, "
         "platform_id, period_months, active, created_at) VALUES ('p-mutual', 'mutual_recognition', 'm', 'personal', "
         "'sm2', 1, 100, 'sm2', 'handwritten', ?, 12, 1, 'now')",
         {other_});
    alice_ = account("13900000001");
    bob_ = account("13900000002");
    auto app = apps_->create("op-1", {"示例招标平台", home_, "https://rp.example/cb?x=1", {"06", "14", "16", "20"}, {}});
    ASSERT_TRUE(app.ok()) << app.error().code;
    app_ = app->app;
    secret_ = app->secret;
  }

  void exec(const std::string& sql, std::vector<store::Value> params = {}) {
    auto r = db_->write([&](store::Tx& tx) -> Status {
      CS_TRY(tx.exec(sql, params));
      return {};
    });
    ASSERT_TRUE(r.ok()) << r.error().cause << " " << sql;
  }
  std::string account(const std::string& phone) {
    std::string id;
    auto r = db_->write([&](store::Tx& tx) -> Status {
      CS_ASSIGN(id, testing::insert_verified_account(tx, phone));
      return {};
    });
    EXPECT_TRUE(r.ok()) << r.error().cause;
    return id;
  }
  // A real SM2 certificate held by `acc`, bought for `platform`; its key is returned for signing.
  struct Held {
    std::string id;
    crypto::PrivateKey key;
    Bytes der;
  };
  Held certificate(const std::string& acc, const std::string& platform,
                   crypto::KeyType type = crypto::KeyType::kSm2) {
    auto key = crypto::PrivateKey::generate(type, rng_).value();
    pki::CertTemplate t;
    t.serial = {0x10, static_cast<std::uint8_t>(++certs_)};
    t.not_before = SysTime(std::chrono::seconds(kStart - kDay));
    t.not_after = SysTime(std::chrono::seconds(kStart + 365 * kDay));
    t.issuer = pki::name_der({{"CN", "Test CA"}}).value();
    t.subject = pki::name_der({{"C", "CN"}, {"CN", "张三"}}).value();
    t.spki = key.public_key().spki_der();
    pki::LocalSigner ca(*ca_key_);
    Bytes der = pki::issue_certificate(t, ca).value();
    std::string id = "cert-" + std::to_string(certs_);
    exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, recovery_key_enc, created_at, "
         "updated_at) VALUES (?, ?, 'sm2', ?, 'active', ?, 'now', 'now')",
         {"key-" + id, acc, Bytes{4}, Bytes{5}});
    exec("INSERT INTO pki_certificate (id, ca_id, serial, profile, subject, subject_json, spki, der, status, "
         "not_before, not_after, created_at) VALUES (?, 'sm2', ?, 'personal', 'CN=张三', '{}', ?, ?, 'valid', ?, ?, "
         "'now')",
         {id, id, t.spki, der, kStart - kDay, kStart + 365 * kDay});
    exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, platform_id, "
         "current, created_at) VALUES (?, ?, ?, 'order-of-purchase', ?, ?, 1, 'now')",
         {id, acc, "key-" + id, "test:" + id, platform});
    return {id, std::move(key), der};
  }
  std::string token_of(const SceneCreated& c) { return c.qr_payload.substr(c.qr_payload.rfind('/') + 1); }
  SceneCreated create(const std::string& scene, const std::string& message = "", bool detached = false,
                      const std::string& form = "rfc5652") {
    SceneCreate in;
    in.scene = scene;
    in.title = scene == "06" ? "登录示例招标平台" : "签署投标函";
    in.nonce = "rp-nonce-" + std::to_string(++nonces_);
    in.message = to_bytes(message);
    in.detached = detached;
    in.form = form;
    auto c = scenes_->create(app_, in);
    EXPECT_TRUE(c.ok()) << c.error().code;
    return c.ok() ? *c : SceneCreated{};
  }
  // What the device does: the content, the signed attributes, an SM2 signature over them.
  SceneCompletion sign(const SceneView& v, const Held& h, const crypto::PrivateKey* with = nullptr) {
    SceneCompletion c;
    c.certificate_id = h.id;
    c.signing_time = clock_.now_unix();
    Bytes content = v.message;
    if (v.scene == "06") {
      content = pki::login_assertion({v.id, v.app_id, v.platform_id, v.nonce, h.id, std::nullopt, h.der,
                                      c.signing_time})
                    .value();
    }
    Bytes attrs = pki::cms::signed_attributes(pki::cms::form_from_name(v.form).value(), crypto::HashAlg::kSm3, content,
                                              SysTime(std::chrono::seconds(c.signing_time)));
    c.signature = pki::LocalSigner(with ? *with : h.key).sign(attrs).value();
    return c;
  }
  std::int64_t count(const std::string& sql, std::vector<store::Value> params) {
    auto v = db_->read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      CS_ASSIGN(auto r, tx.query_one(sql, params));
      return r ? r->at(0).as_int() : -1;
    });
    return v.ok() ? *v : -2;
  }
  RpSignedRequest signed_req(const std::string& nonce, std::int64_t ts, const std::string& body = "{}",
                             const std::string& secret = "", std::string_view scheme = kRpSchemeSha256) {
    RpSignedRequest r{"POST", "/api/v1/rp/scene-requests", body, "", "192.0.2.7"};
    r.authorization = rp_authorization(scheme, app_.id, secret.empty() ? secret_ : secret, r.method, r.target, body,
                                       ts, nonce);
    return r;
  }

  ManualClock clock_{SysTime(std::chrono::seconds(kStart))};
  SeededRng rng_{11};
  MemoryLogger log_;
  NoOcr ocr_;
  RecordingSender sender_;
  std::unique_ptr<OutboxSmsSender> sms_sender_;
  std::unique_ptr<SmsCodeService> codes_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<DevBankBackend> bank_;
  std::unique_ptr<OrgService> orgs_;
  std::unique_ptr<OutboxEmailSender> email_;
  std::unique_ptr<OrderService> orders_;
  std::unique_ptr<RpAppService> apps_;
  std::unique_ptr<SceneService> scenes_;
  std::optional<crypto::PrivateKey> ca_key_;
  Bytes ca_der_;
  RpAppView app_;
  std::string secret_, home_, other_, alice_, bob_;
  int certs_ = 0, nonces_ = 0;
};

}  // namespace certseal::service::scene_testing
