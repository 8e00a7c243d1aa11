// Verification and document signing through the scene service, on both engines: who signed,
// when and whether the certificate was good then; every signature of a document checked against
// the platform's CAs; scene 13 with the user's own seal through preview and signature. The
// fixture is in scene_test_fixture.h; the suite is instantiated in scene_service_test.cpp.
#include "service/scene/scene_test_fixture.h"

namespace certseal::service::scene_testing {
namespace {

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

}  // namespace
}  // namespace certseal::service::scene_testing
