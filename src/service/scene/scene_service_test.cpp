// Relying-party apps and QR scene requests on both engines (docs/INTEGRATION.md), written from
// the side of whoever must be refused: a forged, replayed or stale request signature, a disabled
// app or a caller outside its allow-list; a token used twice, an expired request, a certificate
// not enabled for the app's platform (and then enabled by a mutual-recognition package), a
// certificate the relying party did not ask for, a signature that is not the certificate's, a
// second completion; callbacks that fail (retried with back-off, then given up, the poll still
// answers). The user's key is an ordinary SM2 key here (its signature is an ordinary SM2
// signature either way); tests/integration/scene_test.cpp runs the two-party protocol.
#include "service/scene/scene_service.h"

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

namespace certseal::service {
namespace {

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

std::string header(const RecordingSender::Call& c, const std::string& name) {
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
    std::string id = "acc-" + phone;
    exec("INSERT INTO accounts (id, phone, status, created_at) VALUES (?, ?, 'active', 'now')", {id, phone});
    exec("INSERT INTO blobs (id, sha256, media_type, size, owner_account_id, purpose, created_at) "
         "VALUES (?, 'x', 'image/png', 1, ?, 'id_card_front', 'now')",
         {"blob-" + phone, id});
    exec("INSERT INTO person_verifications (id, account_id, name, id_number, front_blob_id, back_blob_id, "
         "agreement_version, status, created_at) VALUES (?, ?, '张三', '11010519491231002X', ?, ?, 1, 'verified', "
         "'now')",
         {"pv-" + phone, id, "blob-" + phone, "blob-" + phone});
    return id;
  }
  // A real SM2 certificate held by `acc`, bought for `platform`; its key is returned for signing.
  struct Held {
    std::string id;
    crypto::PrivateKey key;
    Bytes der;
  };
  Held certificate(const std::string& acc, const std::string& platform) {
    auto key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
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

TEST_P(SceneServiceTest, SignedRequestsRefuseForgedReplayedStaleAndDisabled) {
  const std::int64_t now = clock_.now_unix();
  auto ok = apps_->authenticate(signed_req("nonce-0001", now));
  ASSERT_TRUE(ok.ok()) << ok.error().code;
  EXPECT_EQ(ok->id, app_.id);
  EXPECT_TRUE(apps_->authenticate(signed_req("nonce-sm3-01", now, "{}", "", kRpSchemeSm3)).ok());
  // Replayed nonce (the same request again).
  EXPECT_EQ(apps_->authenticate(signed_req("nonce-0001", now)).error().code, "rp_nonce_replayed");
  // A forged signature does not burn the nonce: the real request with it still passes.
  auto forged = signed_req("nonce-0002", now, "{}", "not-the-secret");
  EXPECT_EQ(apps_->authenticate(forged).error().code, "rp_signature_invalid");
  // A body changed after signing.
  auto changed = signed_req("nonce-0003", now, "{\"a\":1}");
  changed.body = "{\"a\":2}";
  EXPECT_EQ(apps_->authenticate(changed).error().code, "rp_signature_invalid");
  EXPECT_TRUE(apps_->authenticate(signed_req("nonce-0002", now)).ok());
  // Old and future timestamps.
  EXPECT_EQ(apps_->authenticate(signed_req("nonce-0004", now - 301)).error().code, "rp_timestamp_out_of_window");
  EXPECT_EQ(apps_->authenticate(signed_req("nonce-0005", now + 301)).error().code, "rp_timestamp_out_of_window");
  EXPECT_TRUE(apps_->authenticate(signed_req("nonce-0006", now - 299)).ok());
  // Malformed header, unknown app.
  RpSignedRequest junk{"POST", "/x", "", "CS1-HMAC-SHA256 app_id=x", ""};
  EXPECT_EQ(apps_->authenticate(junk).error().code, "rp_signature_malformed");
  auto unknown = signed_req("nonce-0007", now);
  unknown.authorization.replace(unknown.authorization.find(app_.id), app_.id.size(), "rp_00000000000000000000");
  EXPECT_EQ(apps_->authenticate(unknown).error().code, "rp_signature_invalid");
  // Rotation: the old secret stops at once.
  auto rotated = apps_->rotate_secret("op-1", app_.id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->secret, secret_);
  EXPECT_EQ(rotated->app.secret_version, 2);
  EXPECT_EQ(apps_->authenticate(signed_req("nonce-0008", now)).error().code, "rp_signature_invalid");
  EXPECT_TRUE(apps_->authenticate(signed_req("nonce-0009", now, "{}", rotated->secret)).ok());
  // Disabled: nothing authenticates; rotation refused.
  ASSERT_TRUE(apps_->disable("op-1", app_.id).ok());
  EXPECT_EQ(apps_->authenticate(signed_req("nonce-0010", now, "{}", rotated->secret)).error().code, "rp_app_disabled");
  EXPECT_EQ(apps_->rotate_secret("op-1", app_.id).error().code, "rp_app_disabled");
  // The secret is stored sealed, not in the clear.
  EXPECT_EQ(count("SELECT COUNT(*) FROM rp_apps WHERE secret_enc = ?", {to_bytes(rotated->secret)}), 0);
}

// The head of an upload (before its body is read): a stale timestamp, an unknown app and a
// disabled one are refused; a good head is admitted without burning the nonce, so the full request
// with the body then authenticates.
TEST_P(SceneServiceTest, UploadHeadsAreAdmittedOnlyForActiveAppsWithinTheWindow) {
  const std::int64_t now = clock_.now_unix();
  auto good = signed_req("nonce-head-01", now, "%PDF-1.7 body");
  RpSignedRequest head = good;
  head.body.clear();
  auto admitted = apps_->admit_head(head);
  ASSERT_TRUE(admitted.ok()) << admitted.error().code;
  EXPECT_EQ(admitted->id, app_.id);
  EXPECT_TRUE(apps_->authenticate(good).ok());  // the nonce was not used by the head check
  RpSignedRequest stale = signed_req("nonce-head-02", now - 301);
  EXPECT_EQ(apps_->admit_head(stale).error().code, "rp_timestamp_out_of_window");
  RpSignedRequest unknown = signed_req("nonce-head-03", now);
  unknown.authorization.replace(unknown.authorization.find(app_.id), app_.id.size(), "rp_00000000000000000000");
  EXPECT_EQ(apps_->admit_head(unknown).error().code, "rp_signature_invalid");
  RpSignedRequest junk{"POST", "/x", "", "CS1-HMAC-SHA256 app_id=x", ""};
  EXPECT_EQ(apps_->admit_head(junk).error().code, "rp_signature_malformed");
  ASSERT_TRUE(apps_->disable("op-1", app_.id).ok());
  EXPECT_EQ(apps_->admit_head(signed_req("nonce-head-04", now)).error().code, "rp_app_disabled");
}

TEST_P(SceneServiceTest, AllowListAndRegistrationChecks) {
  auto app = apps_->create("op-1", {"内网平台", home_, "http://10.0.0.5/cb", {"20"}, {"198.51.100.0/24", "2001:db8::1"}});
  ASSERT_TRUE(app.ok()) << app.error().code;
  const std::int64_t now = clock_.now_unix();
  RpSignedRequest r{"GET", "/api/v1/rp/scene-requests/x", "", "", "192.0.2.7"};
  r.authorization = rp_authorization(kRpSchemeSha256, app->app.id, app->secret, "GET", r.target, "", now, "allow-0001");
  EXPECT_EQ(apps_->authenticate(r).error().code, "rp_address_not_allowed");
  r.remote_addr = "198.51.100.20";
  r.authorization = rp_authorization(kRpSchemeSha256, app->app.id, app->secret, "GET", r.target, "", now, "allow-0002");
  EXPECT_TRUE(apps_->authenticate(r).ok());
  EXPECT_EQ(apps_->create("op-1", {"x", home_, "ftp://x/cb", {"20"}, {}}).error().code, "invalid_field");
  EXPECT_EQ(apps_->create("op-1", {"x", home_, "https://x/cb", {"99"}, {}}).error().code, "invalid_field");
  EXPECT_EQ(apps_->create("op-1", {"x", home_, "https://x/cb", {"20"}, {"not-an-ip"}}).error().code, "invalid_field");
  EXPECT_EQ(apps_->create("op-1", {"x", "no-such-platform", "https://x/cb", {"20"}, {}}).error().code,
            "platform_not_found");
  // A scene the app may not create.
  SceneCreate in{"06", "登录", {}, false, "rfc5652", "nonce-abcdef", "", "", 0, "", {}, {}, {}};
  EXPECT_EQ(scenes_->create(app->app, in).error().code, "scene_not_allowed");
}

TEST_P(SceneServiceTest, LoginCompletesOnceWithAnAssertionTheRelyingPartyVerifies) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("06");
  EXPECT_EQ(c.request.status, "pending");
  EXPECT_EQ(c.qr_payload.rfind("https://certseal.example/s/", 0), 0u) << c.qr_payload;
  ASSERT_GT(c.qr_png.size(), 8u);
  EXPECT_EQ(hex_encode(BytesView(c.qr_png).subspan(0, 8)), "89504e470d0a1a0a");
  // Only the token's hash is stored.
  EXPECT_EQ(count("SELECT COUNT(*) FROM scene_requests WHERE token_hash = ?", {token_of(c)}), 0);
  auto claim = scenes_->claim(alice_, token_of(c));
  ASSERT_TRUE(claim.ok()) << claim.error().code;
  EXPECT_EQ(claim->app_name, "示例招标平台");
  EXPECT_EQ(claim->platform_name, "本地交易平台");
  ASSERT_EQ(claim->certificates.size(), 1u);
  EXPECT_TRUE(claim->certificates[0].enabled);
  // The token works once: Bob, who photographed the code, is refused.
  EXPECT_EQ(scenes_->claim(bob_, token_of(c)).error().code, "scene_token_used");
  EXPECT_EQ(scenes_->claim(bob_, "made-up-token").error().code, "scene_token_invalid");
  // Bob cannot answer Alice's request either.
  EXPECT_EQ(scenes_->complete(bob_, c.request.id, sign(claim->request, cert)).error().code, "scene_request_not_found");
  // A signature by another key is refused and recorded.
  auto thief = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  EXPECT_EQ(scenes_->complete(alice_, c.request.id, sign(claim->request, cert, &thief)).error().code,
            "scene_signature_invalid");
  auto done = scenes_->complete(alice_, c.request.id, sign(claim->request, cert));
  ASSERT_TRUE(done.ok()) << done.error().code << " " << done.error().cause;
  EXPECT_EQ(done->status, "completed");
  EXPECT_EQ(scenes_->complete(alice_, c.request.id, sign(claim->request, cert)).error().code,
            "scene_request_finished");
  // The relying party's view: a CMS that verifies, with the assertion bound to its request.
  auto v = scenes_->get(app_, c.request.id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->status, "completed");
  EXPECT_EQ(v->certificate_id, cert.id);
  auto cms = base64_decode(v->result["cms"].get<std::string>());
  ASSERT_TRUE(cms.ok());
  auto checked = pki::cms::verify(*cms);
  ASSERT_TRUE(checked.ok()) << checked.error().code;
  EXPECT_EQ(checked->certificate, cert.der);
  auto assertion = nlohmann::json::parse(to_string(checked->content));
  EXPECT_EQ(assertion["type"], "certseal-login-assertion/1");
  EXPECT_EQ(assertion["request_id"], c.request.id);
  EXPECT_EQ(assertion["nonce"], c.request.nonce);
  EXPECT_EQ(assertion["app_id"], app_.id);
  EXPECT_EQ(v->result["assertion"], assertion);
  EXPECT_EQ(v->document_hash, hex_encode(crypto::sha256(checked->content)));
  // Usage records: the refused signature and the completion.
  EXPECT_EQ(count("SELECT COUNT(*) FROM shield_events WHERE certificate_id = ? AND scene = '06' AND platform_id = ? "
                  "AND result = 'ok' AND document_hash = ?",
                  {cert.id, home_, v->document_hash}),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM shield_events WHERE certificate_id = ? AND result = 'scene_signature_invalid'",
                  {cert.id}),
            1);
  // A finished request's token is refused too.
  EXPECT_EQ(scenes_->claim(alice_, token_of(c)).error().code, "scene_request_finished");
  // Another app cannot read it.
  auto other = apps_->create("op-1", {"别的平台", home_, "https://o.example/cb", {"06"}, {}});
  EXPECT_EQ(scenes_->get(other->app, c.request.id).error().code, "scene_request_not_found");
}

TEST_P(SceneServiceTest, MessageSigningInBothFormsAttachedAndDetached) {
  Held cert = certificate(alice_, home_);
  for (const std::string form : {"rfc5652", "gmt0010"}) {
    for (bool detached : {false, true}) {
      SceneCreated c = create("20", "中标通知书 No.7", detached, form);
      auto claim = scenes_->claim(alice_, token_of(c));
      ASSERT_TRUE(claim.ok());
      EXPECT_EQ(to_string(claim->request.message), "中标通知书 No.7");
      ASSERT_TRUE(scenes_->complete(alice_, c.request.id, sign(claim->request, cert)).ok());
      auto v = scenes_->get(app_, c.request.id);
      auto cms = base64_decode(v->result["cms"].get<std::string>()).value();
      auto checked = pki::cms::verify(cms, detached ? std::optional<BytesView>(as_bytes("中标通知书 No.7"))
                                                    : std::nullopt);
      ASSERT_TRUE(checked.ok()) << checked.error().code;
      EXPECT_EQ(checked->detached, detached);
      EXPECT_EQ(pki::cms::form_name(checked->form), form);
    }
  }
}

TEST_P(SceneServiceTest, AuthorisedEncryptionEnvelopesToTheChosenCertificate) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("16", "标书 第1包 报价");
  auto claim = scenes_->claim(alice_, token_of(c));
  ASSERT_TRUE(claim.ok());
  // Scene 20 needs a signature; 16 needs none.
  SceneCreated s20 = create("20", "x");
  ASSERT_TRUE(scenes_->claim(alice_, token_of(s20)).ok());
  EXPECT_EQ(scenes_->complete(alice_, s20.request.id, {cert.id, 0, {}, {}, {}}).error().code, "invalid_field");
  auto done = scenes_->complete(alice_, c.request.id, {cert.id, 0, {}, {}, {}});
  ASSERT_TRUE(done.ok()) << done.error().code << " " << done.error().cause;
  auto v = scenes_->get(app_, c.request.id);
  auto env = pki::cms::parse_enveloped(base64_decode(v->result["cms"].get<std::string>()).value());
  ASSERT_TRUE(env.ok()) << env.error().code;
  auto facts = pki::read_certificate(cert.der).value();
  EXPECT_EQ(env->recipient_serial, facts.serial);
  // The certificate's key (here a whole one) opens it.
  auto ct = crypto::Sm2Ciphertext::parse_der(env->encrypted_key).value();
  auto cek = crypto::sm2_decrypt(cert.key, ct.raw(crypto::Sm2CipherOrder::kC1C3C2));
  ASSERT_TRUE(cek.ok());
  EXPECT_EQ(to_string(pki::cms::open_content(*env, Bytes(cek->begin(), cek->end())).value()), "标书 第1包 报价");
  EXPECT_EQ(count("SELECT COUNT(*) FROM shield_events WHERE certificate_id = ? AND scene = '16' AND result = 'ok'",
                  {cert.id}),
            1);
  // Mutual recognition holds here too.
  auto other_app = apps_->create("op-1", {"异地平台", other_, "https://o.example/cb", {"16"}, {}});
  SceneCreate in{"16", "加密", to_bytes("m"), false, "rfc5652", "nonce-enc-16", "", "", 0, "", {}, {}, {}};
  auto o = scenes_->create(other_app->app, in);
  ASSERT_TRUE(scenes_->claim(alice_, token_of(*o)).ok());
  EXPECT_EQ(scenes_->complete(alice_, o->request.id, {cert.id, 0, {}, {}, {}}).error().code,
            "certificate_not_enabled_for_platform");
}

TEST_P(SceneServiceTest, AuthorisedDecryptionOpensTheEnvelopeOnlyWithItsRecipientsKey) {
  Held cert = certificate(alice_, home_);
  Held other = certificate(alice_, home_);
  const std::string bid = "投标报价 2,000,000 元";
  Bytes env = pki::cms::enveloped_data(pki::cms::Form::kGmt0010, cert.der, as_bytes(bid), rng_).value();
  SceneCreate in{"14", "开标：第1包", env, false, "rfc5652", "nonce-open-14", "", "", 0, "", {}, {}, {}};
  auto c = scenes_->create(app_, in);
  ASSERT_TRUE(c.ok()) << c.error().code;
  auto claim = scenes_->claim(alice_, token_of(*c));
  ASSERT_TRUE(claim.ok());
  for (const auto& choice : claim->certificates) {
    EXPECT_EQ(choice.enabled, choice.certificate_id == cert.id);
    if (choice.certificate_id == other.id) {
      EXPECT_EQ(choice.reason, "certificate_not_recipient");
    }
  }
  auto e = pki::cms::parse_enveloped(env).value();
  auto ct = crypto::Sm2Ciphertext::parse_der(e.encrypted_key).value();
  auto cek = crypto::sm2_decrypt(cert.key, ct.raw(crypto::Sm2CipherOrder::kC1C3C2)).value();
  SceneCompletion right{cert.id, 0, {}, Bytes(cek.begin(), cek.end()), {}};
  SceneCompletion not_recipient{other.id, 0, {}, right.content_key, {}};
  EXPECT_EQ(scenes_->complete(alice_, c->request.id, not_recipient).error().code, "certificate_not_recipient");
  SceneCompletion wrong_key{cert.id, 0, {}, Bytes(16, 0), {}};
  EXPECT_EQ(scenes_->complete(alice_, c->request.id, wrong_key).error().code, "content_key_invalid");
  auto done = scenes_->complete(alice_, c->request.id, right);
  ASSERT_TRUE(done.ok()) << done.error().code;
  auto v = scenes_->get(app_, c->request.id);
  EXPECT_EQ(to_string(base64_decode(v->result["content"].get<std::string>()).value()), bid);
  EXPECT_EQ(v->document_hash, hex_encode(crypto::sha256(env)));
  EXPECT_EQ(count("SELECT COUNT(*) FROM shield_events WHERE certificate_id = ? AND scene = '14'", {cert.id}), 2);
  // Not an envelope: refused at creation.
  SceneCreate junk{"14", "开标", to_bytes("not cms"), false, "rfc5652", "nonce-open-15", "", "", 0, "", {}, {}, {}};
  EXPECT_EQ(scenes_->create(app_, junk).error().code, "invalid_field");
}

TEST_P(SceneServiceTest, ExpiredRequestsAndUnknownScenesAreRefused) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("06");
  clock_.advance(std::chrono::seconds(301));
  EXPECT_EQ(scenes_->claim(alice_, token_of(c)).error().code, "scene_request_expired");
  EXPECT_EQ(scenes_->get(app_, c.request.id)->status, "expired");
  // Claimed in time, answered too late.
  SceneCreated d = create("06");
  auto claim = scenes_->claim(alice_, token_of(d));
  ASSERT_TRUE(claim.ok());
  auto signed_in_time = sign(claim->request, cert);
  clock_.advance(std::chrono::seconds(301));
  EXPECT_EQ(scenes_->complete(alice_, d.request.id, signed_in_time).error().code, "scene_request_expired");
  SceneCreate in{"14", "开标", {}, false, "rfc5652", "nonce-abcdef", "", "", 0, "", {}, {}, {}};
  auto login_only = apps_->create("op-1", {"登录平台", home_, "https://o.example/cb", {"06"}, {}});
  EXPECT_EQ(scenes_->create(login_only->app, in).error().code, "scene_not_allowed");
  EXPECT_EQ(scenes_->create(app_, in).error().code, "invalid_field");  // no envelope
  in.scene = "13";
  EXPECT_EQ(scenes_->create(app_, in).error().code, "scene_not_allowed");  // not among this app's scenes
  in.scene = "20";
  EXPECT_EQ(scenes_->create(app_, in).error().code, "invalid_field");  // no message
}

TEST_P(SceneServiceTest, CertificateNotEnabledForThePlatformUntilMutualRecognitionIsBought) {
  auto app = apps_->create("op-1", {"异地平台", other_, "https://other.example/cb", {"06"}, {}});
  ASSERT_TRUE(app.ok());
  Held cert = certificate(alice_, home_);  // bought for home_, the app is on other_
  SceneCreate in{"06", "登录异地平台", {}, false, "rfc5652", "nonce-mutual-1", "", "", 0, "", {}, {}, {}};
  auto c = scenes_->create(app->app, in);
  ASSERT_TRUE(c.ok());
  auto claim = scenes_->claim(alice_, token_of(*c));
  ASSERT_TRUE(claim.ok());
  ASSERT_EQ(claim->certificates.size(), 1u);
  EXPECT_FALSE(claim->certificates[0].enabled);
  EXPECT_EQ(claim->certificates[0].reason, "certificate_not_enabled_for_platform");
  auto refused = scenes_->complete(alice_, c->request.id, sign(claim->request, cert));
  EXPECT_EQ(refused.error().code, "certificate_not_enabled_for_platform");
  EXPECT_EQ(count("SELECT COUNT(*) FROM shield_events WHERE certificate_id = ? AND result = ?",
                  {cert.id, "certificate_not_enabled_for_platform"}),
            1);
  // Buying the mutual-recognition package (互认共享) for other_ enables it.
  CreateOrderInput o;
  o.product_id = "p-mutual";
  o.certificate_id = cert.id;
  auto order = orders_->create(alice_, o);
  ASSERT_TRUE(order.ok()) << order.error().code;
  exec("UPDATE orders SET status = 'in_review' WHERE id = ?", {order->id});
  ASSERT_TRUE(orders_->approve("op-1", order->id).ok());
  auto done = scenes_->complete(alice_, c->request.id, sign(claim->request, cert));
  ASSERT_TRUE(done.ok()) << done.error().code;
  EXPECT_EQ(done->status, "completed");
}

TEST_P(SceneServiceTest, RequiredCertificateIsEnforced) {
  Held mine = certificate(alice_, home_);
  Held other = certificate(alice_, home_);
  SceneCreate in{"06", "登录", {}, false, "rfc5652", "nonce-required", other.id, "", 0, "", {}, {}, {}};
  auto c = scenes_->create(app_, in);
  ASSERT_TRUE(c.ok());
  auto claim = scenes_->claim(alice_, token_of(*c));
  ASSERT_TRUE(claim.ok());
  for (const auto& choice : claim->certificates) EXPECT_EQ(choice.enabled, choice.certificate_id == other.id);
  EXPECT_EQ(scenes_->complete(alice_, c->request.id, sign(claim->request, mine)).error().code,
            "certificate_not_requested");
  EXPECT_TRUE(scenes_->complete(alice_, c->request.id, sign(claim->request, other)).ok());
}

TEST_P(SceneServiceTest, UserRefusalReachesTheRelyingPartyByPollAndCallback) {
  SceneCreated c = create("20", "付款确认");
  ASSERT_TRUE(scenes_->claim(alice_, token_of(c)).ok());
  auto r = scenes_->refuse(alice_, c.request.id, "不是我发起的");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, "refused");
  EXPECT_EQ(scenes_->refuse(alice_, c.request.id, "").error().code, "scene_request_finished");
  EXPECT_EQ(scenes_->get(app_, c.request.id)->status, "refused");
  ASSERT_EQ(*scenes_->deliver_callbacks(), 1);
  ASSERT_EQ(sender_.calls.size(), 1u);
  auto body = nlohmann::json::parse(sender_.calls[0].body);
  EXPECT_EQ(body["type"], "scene_request.refused");
  EXPECT_EQ(body["request"]["result"]["reason"], "不是我发起的");
}

TEST_P(SceneServiceTest, CallbacksAreSignedRetriedWithBackoffThenGivenUp) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("06");
  auto claim = scenes_->claim(alice_, token_of(c));
  ASSERT_TRUE(scenes_->complete(alice_, c.request.id, sign(claim->request, cert)).ok());
  sender_.answers = {500, -1};
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // 500
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // not due yet: back-off
  EXPECT_EQ(sender_.calls.size(), 1u);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // unreachable
  clock_.advance(std::chrono::seconds(3));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);  // the second wait is 4 s
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 1);
  ASSERT_EQ(sender_.calls.size(), 3u);
  // The same event id each time; the signature verifies with the app's secret.
  const auto& last = sender_.calls.back();
  const std::string event_id = header(last, "X-CertSeal-Event-Id");
  EXPECT_EQ(header(sender_.calls[0], "X-CertSeal-Event-Id"), event_id);
  EXPECT_EQ(last.url, "https://rp.example/cb?x=1");
  EXPECT_EQ(header(last, "X-CertSeal-Signature"),
            rp_authorization(kRpSchemeSha256, app_.id, secret_, "POST", "/cb?x=1", last.body, clock_.now_unix(),
                             event_id));
  EXPECT_EQ(nlohmann::json::parse(last.body)["event_id"], event_id);
  // A receiver that never answers: given up after callback_max_attempts; the poll still answers.
  SceneCreated d = create("06");
  auto claim2 = scenes_->claim(alice_, token_of(d));
  ASSERT_TRUE(scenes_->complete(alice_, d.request.id, sign(claim2->request, cert)).ok());
  sender_.answers = std::vector<int>(8, 503);
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(*scenes_->deliver_callbacks(), 0);
    clock_.advance(std::chrono::seconds(3600));
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM scene_callbacks WHERE request_id = ? AND status = 'failed' AND attempts = 8",
                  {d.request.id}),
            1);
  EXPECT_EQ(scenes_->get(app_, d.request.id)->status, "completed");
}

// The console's callback delivery log: every attempt with its number, URL, HTTP status or
// error and the next attempt's time; the last one delivered without a next time. Another app's
// log does not show these; an unknown app and a bad limit are refused.
TEST_P(SceneServiceTest, EveryCallbackAttemptIsLoggedForTheOperator) {
  SceneCreated c = create("20", "付款确认");
  ASSERT_TRUE(scenes_->claim(alice_, token_of(c)).ok());
  ASSERT_TRUE(scenes_->refuse(alice_, c.request.id, "不是我").ok());
  sender_.answers = {500, -1};
  const std::int64_t t0 = clock_.now_unix();
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 0);
  clock_.advance(std::chrono::seconds(4));
  EXPECT_EQ(*scenes_->deliver_callbacks(), 1);
  auto log = scenes_->callback_attempts(app_.id, 50);
  ASSERT_TRUE(log.ok()) << log.error().code;
  ASSERT_EQ(log->size(), 3u);
  const auto& delivered = (*log)[0];
  const auto& unreachable = (*log)[1];
  const auto& http500 = (*log)[2];
  EXPECT_EQ(delivered.attempt, 3);
  EXPECT_EQ(delivered.http_status, 200);
  EXPECT_EQ(delivered.error, "");
  EXPECT_FALSE(delivered.next_at.has_value());
  EXPECT_EQ(delivered.event_status, "delivered");
  EXPECT_EQ(delivered.event_type, "scene_request.refused");
  EXPECT_EQ(delivered.request_id, c.request.id);
  EXPECT_EQ(delivered.url, "https://rp.example/cb?x=1");
  EXPECT_EQ(unreachable.attempt, 2);
  EXPECT_FALSE(unreachable.http_status.has_value());
  EXPECT_EQ(unreachable.error, "connection refused");
  EXPECT_EQ(unreachable.next_at, t0 + 2 + 4);
  EXPECT_EQ(http500.attempt, 1);
  EXPECT_EQ(http500.http_status, 500);
  EXPECT_EQ(http500.error, "HTTP 500");
  EXPECT_EQ(http500.next_at, t0 + 2);
  EXPECT_EQ(http500.event_id, delivered.event_id);
  EXPECT_EQ(scenes_->callback_attempts(app_.id, 1)->size(), 1u);
  auto other = apps_->create("op-1", {"另一接入方", home_, "https://other.example/cb", {"06"}, {}});
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(scenes_->callback_attempts(other->app.id, 50)->empty());
  EXPECT_EQ(scenes_->callback_attempts("no-such-app", 50).error().code, "rp_app_not_found");
  EXPECT_EQ(scenes_->callback_attempts(app_.id, 0).error().code, "invalid_field");
  EXPECT_EQ(scenes_->callback_attempts(app_.id, 201).error().code, "invalid_field");
}

TEST_P(SceneServiceTest, LongPollReturnsWhenTheRequestIsAnswered) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("06");
  auto claim = scenes_->claim(alice_, token_of(c));
  ASSERT_TRUE(claim.ok());
  auto completion = sign(claim->request, cert);
  auto t0 = std::chrono::steady_clock::now();
  auto poll = std::async(std::launch::async, [&] { return scenes_->get(app_, c.request.id, 20000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(scenes_->complete(alice_, c.request.id, completion).ok());
  auto v = poll.get();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->status, "completed");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  // Without an answer, the poll returns after its wait with the request still open.
  SceneCreated d = create("06");
  auto w = scenes_->get(app_, d.request.id, 300);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->status, "pending");
}

TEST_P(SceneServiceTest, IdempotencyKeyGivesTheSameRequestAndQrCode) {
  SceneCreate in{"06", "登录", {}, false, "rfc5652", "nonce-idem-01", "", "", 0, "key-1", {}, {}, {}};
  auto a = scenes_->create(app_, in);
  auto b = scenes_->create(app_, in);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->request.id, b->request.id);
  EXPECT_EQ(a->qr_payload, b->qr_payload);
}

TEST_P(SceneServiceTest, VerificationSaysWhoSignedWhenAndWhetherTheCertificateWasGoodThen) {
  Held cert = certificate(alice_, home_);
  SceneCreated c = create("20", "合同 v3", true);
  auto claim = scenes_->claim(alice_, token_of(c));
  ASSERT_TRUE(scenes_->complete(alice_, c.request.id, sign(claim->request, cert)).ok());
  auto v = scenes_->get(app_, c.request.id);
  Bytes cms = base64_decode(v->result["cms"].get<std::string>()).value();
  auto r = scenes_->verify(cms, as_bytes("合同 v3"));
  ASSERT_TRUE(r.ok()) << r.error().code;
  EXPECT_TRUE(r->valid) << r->problem;
  EXPECT_TRUE(r->issued_here && r->chain_ok && r->valid_at_signing_time);
  EXPECT_EQ(r->certificate_id, cert.id);
  EXPECT_EQ(r->status_now, "valid");
  EXPECT_EQ(r->signing_time, format_rfc3339(SysTime(std::chrono::seconds(kStart))));
  // Other content: the digest does not match.
  auto other = scenes_->verify(cms, as_bytes("合同 v4"));
  EXPECT_FALSE(other->valid);
  EXPECT_EQ(other->problem, "cms_digest_mismatch");
  EXPECT_EQ(scenes_->verify(cms, std::nullopt).error().code, "cms_content_missing");
  EXPECT_EQ(scenes_->verify(to_bytes("junk"), std::nullopt).error().code, "cms_malformed");
  // Revoked after the signing time: still good then; revoked before it: not.
  exec("UPDATE pki_certificate SET status = 'revoked', revoked_at = ? WHERE id = ?", {kStart + 10, cert.id});
  r = scenes_->verify(cms, as_bytes("合同 v3"));
  EXPECT_TRUE(r->valid) << r->problem;
  EXPECT_EQ(r->status_now, "revoked");
  exec("UPDATE pki_certificate SET revoked_at = ? WHERE id = ?", {kStart - 10, cert.id});
  r = scenes_->verify(cms, as_bytes("合同 v3"));
  EXPECT_FALSE(r->valid);
  EXPECT_EQ(r->problem, "not_valid_then");
  // A CA of record that did not sign it (a certificate made to look like ours).
  auto impostor = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  pki::CertTemplate t;
  t.serial = {0x02};
  t.not_before = SysTime(std::chrono::seconds(kStart - kDay));
  t.not_after = SysTime(std::chrono::seconds(kStart + kDay));
  t.issuer = t.subject = pki::name_der({{"CN", "Test CA"}}).value();
  t.spki = impostor.public_key().spki_der();
  t.is_ca = true;
  pki::LocalSigner is(impostor);
  exec("UPDATE pki_ca SET issuing_cert = ? WHERE id = 'sm2'", {pki::issue_certificate(t, is).value()});
  exec("UPDATE pki_certificate SET status = 'valid', revoked_at = NULL WHERE id = ?", {cert.id});
  r = scenes_->verify(cms, as_bytes("合同 v3"));
  EXPECT_EQ(r->problem, "chain_invalid");
  // A certificate this platform never issued (none of record has its DER).
  exec("UPDATE pki_certificate SET der = ? WHERE id = ?", {Bytes{0x30, 0x00}, cert.id});
  r = scenes_->verify(cms, as_bytes("合同 v3"));
  EXPECT_EQ(r->problem, "certificate_unknown");
  EXPECT_FALSE(r->valid);
}

// The document verification API: a PDF sealed with a certificate issued here is valid and names
// the certificate; the attacks are a byte changed after signing, a certificate revoked before the
// signature's time, and a signer this platform never issued.
TEST_P(SceneServiceTest, DocumentVerificationChecksEverySignatureAgainstThePlatformsCas) {
  Held cert = certificate(alice_, home_);
  certseal::testing::TempDir dir;
  const std::string in = dir.path() + "/in.pdf", out = dir.path() + "/out.pdf";
  crypto::testing::write_file(in, docsign::render_pdf({{"投标文件 第1包", 14}}, {"投标文件", "CertSeal"}).value());
  seal::SealTemplate st;
  st.name = "北京示例科技有限公司";
  auto sign_with = [&](const Held& h, const std::string& to) {
    docsign::PdfSignRequest req;
    req.in_path = in;
    req.out_path = to;
    req.seal_png = seal::render_seal(st, 100).value().png;
    req.seseal = to_bytes("seal data");
    req.alg = pki::SigAlg::kSm2Sm3;
    req.signer_cert = h.der;
    req.signing_time = SysTime(std::chrono::seconds(kStart));
    auto signer = std::make_shared<pki::LocalSigner>(h.key);
    return docsign::sign_pdf(req, [signer](BytesView a) { return signer->sign(a); });
  };
  ASSERT_TRUE(sign_with(cert, out).ok());
  Bytes pdf = crypto::testing::read_file(out);
  auto r = scenes_->verify_document(pdf);
  ASSERT_TRUE(r.ok()) << r.error().code << " " << r.error().cause;
  EXPECT_TRUE((*r)["valid"].get<bool>()) << r->dump();
  ASSERT_EQ((*r)["signatures"].size(), 1u);
  const auto& sig = (*r)["signatures"][0];
  EXPECT_EQ(sig["signer"]["certificate_id"], cert.id);
  EXPECT_TRUE(sig["signer"]["issued_here"].get<bool>());
  EXPECT_EQ(sig["algorithm"], "sm2-sm3");
  EXPECT_EQ(sig["seal_data"], base64_encode(to_bytes("seal data")));
  EXPECT_EQ(sig["claimed_time"], format_rfc3339(SysTime(std::chrono::seconds(kStart))));
  // A byte changed after signing.
  Bytes changed = pdf;
  changed[changed.size() / 10] ^= 0x01;
  auto c = scenes_->verify_document(changed);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)["valid"].get<bool>());
  EXPECT_FALSE((*c)["signatures"][0]["bytes_intact"].get<bool>());
  // Revoked before the signature's time; after it, still good then.
  exec("UPDATE pki_certificate SET status = 'revoked', revoked_at = ? WHERE id = ?", {kStart + 10, cert.id});
  EXPECT_TRUE((*scenes_->verify_document(pdf))["valid"].get<bool>());
  exec("UPDATE pki_certificate SET revoked_at = ? WHERE id = ?", {kStart - 10, cert.id});
  auto revoked = scenes_->verify_document(pdf);
  EXPECT_FALSE((*revoked)["valid"].get<bool>());
  EXPECT_EQ((*revoked)["signatures"][0]["signer"]["status_now"], "revoked");
  // A signer from a CA that is not this platform's.
  auto stranger_ca = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  auto stranger_key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  pki::CertTemplate t;
  t.serial = {0x77};
  t.not_before = SysTime(std::chrono::seconds(kStart - kDay));
  t.not_after = SysTime(std::chrono::seconds(kStart + kDay));
  t.issuer = pki::name_der({{"CN", "Other CA"}}).value();
  t.subject = pki::name_der({{"CN", "李四"}}).value();
  t.spki = stranger_key.public_key().spki_der();
  pki::LocalSigner sca(stranger_ca);
  Held stranger{"", std::move(stranger_key), pki::issue_certificate(t, sca).value()};
  ASSERT_TRUE(sign_with(stranger, dir.path() + "/stranger.pdf").ok());
  auto s2 = scenes_->verify_document(crypto::testing::read_file(dir.path() + "/stranger.pdf"));
  ASSERT_TRUE(s2.ok());
  EXPECT_FALSE((*s2)["valid"].get<bool>());
  EXPECT_FALSE((*s2)["signatures"][0]["certificate_trusted"].get<bool>());
  EXPECT_FALSE((*s2)["signatures"][0]["signer"]["issued_here"].get<bool>());
  // Not a PDF at all.
  EXPECT_EQ(scenes_->verify_document(to_bytes("%PDF-1.7 junk")).error().code, "pdf_unreadable");
}

// Scene 13 at the service: the relying party's PDF, alice's own seal, the preview, the signature
// over the prepared signed attributes, the signed PDF for the relying party that our verifier
// accepts. Refused from the attacker's side: bob's seal, a kind the relying party did not accept,
// a signature by another key, a completion that names another seal than the preview's.
TEST_P(SceneServiceTest, DocumentSigningWithTheUsersOwnSealThroughPreviewAndSignature) {
  auto app13 = apps_->create("op-1", {"招标文件平台", home_, "https://rp.example/cb13", {"13"}, {}});
  ASSERT_TRUE(app13.ok()) << app13.error().code;
  Held cert = certificate(alice_, home_);
  Held cert2 = certificate(alice_, home_);  // one seal per certificate
  Held bob_cert = certificate(bob_, home_);
  exec("INSERT INTO seal_makers (id, name, created_at) VALUES ('maker-13', '制章单位', 'now')");
  seal::SealTemplate st;
  st.name = "北京示例科技有限公司";
  auto pic = seal::render_seal(st, 100).value();
  auto add_seal = [&](const std::string& id, const std::string& acc, const std::string& cert_id, const std::string& kind) {
    exec("INSERT INTO seals (id, account_id, certificate_id, maker_id, kind, method, name, design, status, picture_png, "
         "picture_svg, width_mm, height_mm, seseal, created_at, updated_at) VALUES (?, ?, ?, 'maker-13', ?, 'template', "
         "'示例章', '{}', 'active', ?, '', 40, 40, ?, 'now', 'now')",
         {id, acc, cert_id, kind, pic.png, to_bytes("SESeal of " + id)});
  };
  add_seal("seal-a", alice_, cert.id, "official");
  add_seal("seal-a-finance", alice_, cert2.id, "finance");
  add_seal("seal-b", bob_, bob_cert.id, "official");
  Bytes pdf = docsign::render_pdf({{"投标函", 16, true}, {"投标人（盖章）：", 12}}, {"投标函", "CertSeal"}).value();
  auto doc = scenes_->put_document(app13->app, pdf);
  ASSERT_TRUE(doc.ok()) << doc.error().code << " " << doc.error().cause;
  EXPECT_EQ((*doc)["pages"], 1);
  EXPECT_EQ(scenes_->put_document(app13->app, to_bytes("%PDF-1.7 junk that is no pdf")).error().code, "pdf_unreadable");
  SceneCreate in;
  in.scene = "13";
  in.title = "投标函盖章";
  in.nonce = "nonce-doc-13";
  in.document_id = (*doc)["id"].get<std::string>();
  in.placement = {{"mode", "keyword"}, {"keyword", "盖章"}};
  in.seal_kinds = {"official"};
  auto c = scenes_->create(app13->app, in);
  ASSERT_TRUE(c.ok()) << c.error().code;
  auto claim = scenes_->claim(alice_, token_of(*c));
  ASSERT_TRUE(claim.ok());
  ASSERT_EQ(claim->seals.size(), 2u);
  EXPECT_TRUE(claim->seals[0]["usable"].get<bool>()) << claim->seals.dump();
  EXPECT_EQ(claim->seals[1]["reason"], "seal_kind_not_accepted");
  const std::int64_t t = clock_.now_unix();
  const std::string id = c->request.id;
  EXPECT_EQ(scenes_->prepare_document(alice_, id, "seal-b", t).error().code, "seal_not_yours");
  EXPECT_EQ(scenes_->prepare_document(alice_, id, "seal-a-finance", t).error().code, "seal_kind_not_accepted");
  EXPECT_EQ(scenes_->prepare_document(bob_, id, "seal-b", t).error().code, "scene_request_not_found");
  auto prep = scenes_->prepare_document(alice_, id, "seal-a", t);
  ASSERT_TRUE(prep.ok()) << prep.error().code << " " << prep.error().cause;
  EXPECT_EQ(prep->certificate_id, cert.id);
  EXPECT_EQ(prep->preview_png[1], 'P');
  SceneCompletion done{cert.id, t, pki::LocalSigner(cert.key).sign(prep->signed_attributes).value(), {}, "seal-a"};
  // Another key's signature over the same attributes; the seal named differs from the preview's.
  auto thief = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  SceneCompletion forged = done;
  forged.signature = pki::LocalSigner(thief).sign(prep->signed_attributes).value();
  EXPECT_EQ(scenes_->complete(alice_, id, forged).error().code, "scene_signature_invalid");
  SceneCompletion other_seal = done;
  other_seal.seal_id = "seal-b";
  EXPECT_EQ(scenes_->complete(alice_, id, other_seal).error().code, "document_preparation_mismatch");
  auto v = scenes_->complete(alice_, id, done);
  ASSERT_TRUE(v.ok()) << v.error().code << " " << v.error().cause;
  EXPECT_EQ(v->status, "completed");
  EXPECT_EQ(v->result["level"], "PAdES-B-B");  // no TSA wired here
  auto signed_pdf = scenes_->get_document(app13->app, v->result["signed_document_id"].get<std::string>());
  ASSERT_TRUE(signed_pdf.ok());
  EXPECT_TRUE(std::equal(pdf.begin(), pdf.end(), signed_pdf->begin()));  // an incremental update
  auto report = scenes_->verify_document(*signed_pdf);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE((*report)["valid"].get<bool>()) << report->dump();
  EXPECT_EQ((*report)["signatures"][0]["seal_data"], base64_encode(to_bytes("SESeal of seal-a")));
  EXPECT_EQ((*report)["signatures"][0]["signer"]["certificate_id"], cert.id);
  // Another app cannot fetch it.
  EXPECT_EQ(scenes_->get_document(app_, v->result["signed_document_id"].get<std::string>()).error().code,
            "document_not_found");
}

// The transparency log (docs/LEDGER.md "QR scenes"): each completion with a certificate, used or
// refused, and each decline is one entry, written in the completing transaction; an attempt that
// is turned away before anything changes (another account's request, a stale signing time)
// leaves none.
TEST_P(SceneServiceTest, UsesRefusalsAndDeclinesAreLoggedInTheirTransaction) {
  ledger::Recorder recorder(clock_);
  scenes_->set_ledger(&recorder);
  auto entries = [&] {
    std::vector<nlohmann::json> out;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto rows, tx.query("SELECT data FROM ledger_pending ORDER BY id"));
      for (auto& r : rows) out.push_back(nlohmann::json::parse(r.text("data")));
      return {};
    }).ok());
    return out;
  };
  Held cert = certificate(alice_, home_);
  SceneCreated login = create("06");
  auto claim = scenes_->claim(alice_, token_of(login));
  ASSERT_TRUE(claim.ok()) << claim.error().code;
  // Attacker side: Bob answering Alice's request, and a signature outside the time window, change
  // nothing and are not in the log.
  EXPECT_EQ(scenes_->complete(bob_, login.request.id, sign(claim->request, cert)).error().code,
            "scene_request_not_found");
  SceneCompletion stale = sign(claim->request, cert);
  stale.signing_time -= 3600;
  EXPECT_EQ(scenes_->complete(alice_, login.request.id, stale).error().code, "invalid_field");
  EXPECT_TRUE(entries().empty());
  // A forged signature is refused and recorded, with its refusal code.
  auto thief = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  EXPECT_EQ(scenes_->complete(alice_, login.request.id, sign(claim->request, cert, &thief)).error().code,
            "scene_signature_invalid");
  auto done = scenes_->complete(alice_, login.request.id, sign(claim->request, cert));
  ASSERT_TRUE(done.ok()) << done.error().code;
  // A message signing (scene 20) and a decline.
  SceneCreated msg = create("20", "投标函");
  auto claim20 = scenes_->claim(alice_, token_of(msg));
  ASSERT_TRUE(claim20.ok());
  auto signed20 = scenes_->complete(alice_, msg.request.id, sign(claim20->request, cert));
  ASSERT_TRUE(signed20.ok()) << signed20.error().code;
  SceneCreated declined = create("20", "付款确认");
  ASSERT_TRUE(scenes_->claim(alice_, token_of(declined)).ok());
  ASSERT_TRUE(scenes_->refuse(alice_, declined.request.id, "不是我发起的").ok());

  auto e = entries();
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0]["type"], "scene.login");
  EXPECT_EQ(e[0]["result"], "scene_signature_invalid");
  EXPECT_EQ(e[1]["type"], "scene.login");
  EXPECT_EQ(e[1]["result"], "ok");
  EXPECT_EQ(e[1]["actor"], alice_);
  EXPECT_EQ(e[1]["account"], alice_);
  EXPECT_EQ(e[1]["subject"], "key-" + cert.id);
  EXPECT_EQ(e[1]["certificate"], cert.id);
  EXPECT_EQ(e[1]["platform"], home_);
  EXPECT_EQ(e[1]["scene"], login.request.id);
  EXPECT_EQ(e[1]["document"], done->document_hash);
  EXPECT_EQ(e[1]["detail"]["qr_scene"], "06");
  EXPECT_EQ(e[2]["type"], "scene.sign");
  EXPECT_EQ(e[2]["scene"], msg.request.id);
  EXPECT_EQ(e[2]["document"], hex_encode(crypto::sha256(as_bytes("投标函"))));
  EXPECT_EQ(e[2]["detail"]["qr_scene"], "20");
  EXPECT_EQ(e[3]["type"], "scene.decline");
  EXPECT_EQ(e[3]["account"], alice_);
  EXPECT_EQ(e[3]["scene"], declined.request.id);
  EXPECT_FALSE(e[3].contains("certificate"));
  // A finished request answered again is refused and adds nothing.
  EXPECT_EQ(scenes_->complete(alice_, login.request.id, sign(claim->request, cert)).error().code,
            "scene_request_finished");
  EXPECT_EQ(entries().size(), 4u);
}

CERTSEAL_INSTANTIATE_ENGINES(SceneServiceTest);

}  // namespace
}  // namespace certseal::service
