// Relying-party apps and QR scene requests on both engines (docs/INTEGRATION.md), written from
// the side of whoever must be refused: a forged, replayed or stale request signature, a disabled
// app or a caller outside its allow-list; a token used twice, an expired request, a certificate
// not enabled for the app's platform (and then enabled by a mutual-recognition package), a
// certificate the relying party did not ask for, a signature that is not the certificate's, a
// second completion; callbacks that fail (retried with back-off, then given up, the poll still
// answers). The user's key is an ordinary SM2 key here (its signature is an ordinary SM2
// signature either way); tests/integration/scene_test.cpp runs the two-party protocol.
#include "service/scene/scene_test_fixture.h"

namespace certseal::service::scene_testing {
namespace {

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

// content_encryption (scene 16 only): aes-256-gcm (the default) or aes-256-cbc, kept with the
// request; anything else, or on another scene, is refused at creation and nothing is stored.
TEST_P(SceneServiceTest, ContentEncryptionIsValidatedAndKept) {
  SceneCreate in{"16", "加密", to_bytes("m"), false, "rfc5652", "nonce-ce-0001", "", "", 0, "", {}, {}, {}};
  auto def = scenes_->create(app_, in);
  ASSERT_TRUE(def.ok()) << def.error().code;
  EXPECT_EQ(def->request.content_encryption, "aes-256-gcm");
  EXPECT_EQ(def->request.to_json()["content_encryption"], "aes-256-gcm");
  in.nonce = "nonce-ce-0002";
  in.content_encryption = "aes-256-cbc";
  auto cbc = scenes_->create(app_, in);
  ASSERT_TRUE(cbc.ok()) << cbc.error().code;
  EXPECT_EQ(scenes_->get(app_, cbc->request.id)->content_encryption, "aes-256-cbc");
  const std::int64_t before = count("SELECT COUNT(*) FROM scene_requests", {});
  in.nonce = "nonce-ce-0003";
  in.content_encryption = "des-ede3-cbc";
  auto bad = scenes_->create(app_, in);
  ASSERT_FALSE(bad.ok());
  ASSERT_EQ(bad.error().fields.size(), 1u);
  EXPECT_EQ(bad.error().fields[0].code, "unknown_content_encryption");
  SceneCreate s20{"20", "签署", to_bytes("m"), false, "rfc5652", "nonce-ce-0004", "", "", 0, "", {}, {}, {}};
  s20.content_encryption = "aes-256-cbc";
  auto wrong = scenes_->create(app_, s20);
  ASSERT_FALSE(wrong.ok());
  ASSERT_EQ(wrong.error().fields.size(), 1u);
  EXPECT_EQ(wrong.error().fields[0].code, "unexpected");
  EXPECT_EQ(count("SELECT COUNT(*) FROM scene_requests", {}), before);
  EXPECT_TRUE(scenes_->get(app_, def->request.id)->to_json()["content_encryption"].is_string());
  s20.content_encryption.clear();
  auto plain20 = scenes_->create(app_, s20);
  ASSERT_TRUE(plain20.ok());
  EXPECT_TRUE(plain20->request.to_json()["content_encryption"].is_null());
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

// A tender's bid opening: one scene-14 request per bid, all created in one call. One bad
// envelope among them refuses the whole batch, naming it, and creates nothing; a batch of none
// or of more than 500 is refused; the stored batch's requests open independently.
TEST_P(SceneServiceTest, ABatchOfBidOpeningsIsCreatedWhollyOrNotAtAll) {
  Held cert = certificate(alice_, home_);
  std::vector<std::string> bids;
  std::vector<SceneCreate> batch;
  for (int i = 0; i < 3; ++i) {
    bids.push_back("投标报价 第" + std::to_string(i + 1) + "包");
    Bytes env = pki::cms::enveloped_data(pki::cms::Form::kGmt0010, cert.der, as_bytes(bids.back()), rng_).value();
    batch.push_back({"14", "开标：第" + std::to_string(i + 1) + "包", env, false, "rfc5652",
                     "nonce-batch-" + std::to_string(i), cert.id, "", 0, "", {}, {}, {}});
  }
  const std::int64_t before = count("SELECT COUNT(*) FROM scene_requests", {});

  // The attacker's (or a careless) batch: the third "envelope" is not one. Nothing is stored.
  auto bad = batch;
  bad[2].message = to_bytes("not cms");
  auto refused = scenes_->create_batch(app_, bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "invalid_field");
  ASSERT_FALSE(refused.error().fields.empty());
  EXPECT_EQ(refused.error().fields[0].field, "requests[2].message");
  EXPECT_EQ(count("SELECT COUNT(*) FROM scene_requests", {}), before);
  EXPECT_EQ(scenes_->create_batch(app_, {}).error().code, "invalid_field");
  std::vector<SceneCreate> too_many(SceneService::kMaxBatch + 1, batch[0]);
  EXPECT_EQ(scenes_->create_batch(app_, too_many).error().code, "invalid_field");
  EXPECT_EQ(count("SELECT COUNT(*) FROM scene_requests", {}), before);

  auto made = scenes_->create_batch(app_, batch);
  ASSERT_TRUE(made.ok()) << made.error().code;
  ASSERT_EQ(made->size(), 3u);
  EXPECT_EQ(count("SELECT COUNT(*) FROM scene_requests", {}), before + 3);
  // The second bid opens on its own; the others stay pending.
  const SceneCreated& second = (*made)[1];
  EXPECT_EQ(second.request.nonce, "nonce-batch-1");
  EXPECT_NE(second.qr_payload, (*made)[0].qr_payload);
  EXPECT_FALSE(second.qr_png.empty());
  ASSERT_TRUE(scenes_->claim(alice_, token_of(second)).ok());
  auto e = pki::cms::parse_enveloped(batch[1].message).value();
  auto ct = crypto::Sm2Ciphertext::parse_der(e.encrypted_key).value();
  auto cek = crypto::sm2_decrypt(cert.key, ct.raw(crypto::Sm2CipherOrder::kC1C3C2)).value();
  ASSERT_TRUE(scenes_->complete(alice_, second.request.id, {cert.id, 0, {}, Bytes(cek.begin(), cek.end()), {}}).ok());
  auto v = scenes_->get(app_, second.request.id);
  EXPECT_EQ(to_string(base64_decode(v->result["content"].get<std::string>()).value()), bids[1]);
  EXPECT_EQ(scenes_->get(app_, (*made)[0].request.id)->status, "pending");
  EXPECT_EQ(scenes_->get(app_, (*made)[2].request.id)->status, "pending");
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

TEST_P(SceneServiceTest, IdempotencyKeyGivesTheSameRequestAndQrCode) {
  SceneCreate in{"06", "登录", {}, false, "rfc5652", "nonce-idem-01", "", "", 0, "key-1", {}, {}, {}};
  auto a = scenes_->create(app_, in);
  auto b = scenes_->create(app_, in);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->request.id, b->request.id);
  EXPECT_EQ(a->qr_payload, b->qr_payload);
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
}  // namespace certseal::service::scene_testing
