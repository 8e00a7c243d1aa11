// Scene 13 with an OFD document through the scene service, on both engines: the package is told
// by its content and read once at upload (a zip bomb or a name climbing out of the package is
// refused there); keyword and 骑缝章 placement and PAdES B-LT are refused for OFD; a seal without
// GB/T 38540 data cannot sign an OFD, nor one bound to a P-256 or RSA certificate
// (ofd_needs_sm2); the two halves (TBS_Sign to the key, SignedValue.dat written at completion)
// give a package our verifier calls valid; another key's signature is refused.
// The suite is instantiated in scene_service_test.cpp.
#include "docsign/ofd_package.h"
#include "docsign/ofd_sample.h"
#include "docsign/ofd_zip.h"
#include "seal/seseal.h"
#include "service/scene/scene_test_fixture.h"

namespace certseal::service::scene_testing {
namespace {

TEST_P(SceneServiceTest, OfdDocumentIsSealedThroughPreviewAndSignature) {
  auto app13 = apps_->create("op-1", {"政府采购平台", home_, "https://rp.example/cb-ofd", {"13"}, {}});
  ASSERT_TRUE(app13.ok()) << app13.error().code;
  Held cert = certificate(alice_, home_);
  Held cert2 = certificate(alice_, home_);
  Held p256 = certificate(alice_, home_, crypto::KeyType::kEcP256);
  Held rsa = certificate(alice_, home_, crypto::KeyType::kRsa2048);
  exec("INSERT INTO seal_makers (id, name, created_at) VALUES ('maker-ofd', '制章单位', 'now')");
  seal::SealInfo info;
  info.vendor_id = "CERTSEAL";
  info.seal_id = "11010800000077";
  info.name = "示例供应商公章";
  info.certificates = {cert.der};
  info.created = info.valid_from = SysTime(std::chrono::seconds(kStart - kDay));
  info.valid_to = SysTime(std::chrono::seconds(kStart + 300 * kDay));
  info.picture = to_bytes("\x89PNG seal");
  info.picture_width_mm = info.picture_height_mm = 40;
  Bytes seseal = seal::build_seseal_v4(info, cert.der, [&](BytesView tbs) {
                   return crypto::sign(cert.key, crypto::SignScheme::kSm2Sm3, tbs);
                 }).value();
  auto add_seal = [&](const std::string& id, const std::string& cert_id, const std::optional<Bytes>& data) {
    exec("INSERT INTO seals (id, account_id, certificate_id, maker_id, kind, method, name, design, status, picture_png, "
         "picture_svg, width_mm, height_mm, seseal, created_at, updated_at) VALUES (?, ?, ?, 'maker-ofd', 'official', "
         "'template', '示例章', '{}', 'active', ?, '', 40, 40, ?, 'now', 'now')",
         {id, alice_, cert_id, to_bytes("\x89PNG picture"), data ? store::Value(*data) : store::Value(nullptr)});
  };
  add_seal("seal-ofd", cert.id, seseal);
  add_seal("seal-no-data", cert2.id, std::nullopt);
  add_seal("seal-p256", p256.id, seseal);
  add_seal("seal-rsa", rsa.id, seseal);

  // Upload: told by content; refused at once when the package is hostile.
  Bytes ofd = docsign::make_sample_ofd({"响应文件", "签章页"}).value();
  auto doc = scenes_->put_document(app13->app, ofd);
  ASSERT_TRUE(doc.ok()) << doc.error().code << " " << doc.error().message;
  EXPECT_EQ((*doc)["pages"], 2);
  EXPECT_EQ((*doc)["format"], "ofd");
  auto bomb = docsign::write_zip({{"OFD.xml", Bytes(30u << 20, ' ')}}).value();
  EXPECT_EQ(scenes_->put_document(app13->app, bomb).error().code, "zip_too_large");
  auto pkg = docsign::read_ofd(ofd).value();
  pkg.put("Doc_0/Document.xml", to_bytes("<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:Pages>"
                                         "<ofd:Page ID=\"1\" BaseLoc=\"../../../etc/passwd\"/></ofd:Pages></ofd:Document>"));
  EXPECT_EQ(scenes_->put_document(app13->app, docsign::write_ofd(pkg).value()).error().code, "ofd_bad_document");

  SceneCreate in;
  in.scene = "13";
  in.title = "响应文件盖章";
  in.nonce = "nonce-ofd-1";
  in.document_id = (*doc)["id"].get<std::string>();
  in.placement = {{"mode", "keyword"}, {"keyword", "签章"}};
  auto kw = scenes_->create(app13->app, in);
  ASSERT_FALSE(kw.ok());
  ASSERT_FALSE(kw.error().fields.empty());
  EXPECT_EQ(kw.error().fields[0].code, "placement_not_supported_for_ofd");
  in.placement = {{"mode", "straddle"}};
  EXPECT_EQ(scenes_->create(app13->app, in).error().fields[0].code, "placement_not_supported_for_ofd");
  in.placement = {{"mode", "position"}, {"page", 2}, {"x_mm", 100}, {"y_mm", 150}};
  in.pades_level = "B-LT";
  auto lt = scenes_->create(app13->app, in);
  ASSERT_FALSE(lt.ok());
  EXPECT_TRUE(lt.error().code == "invalid_field") << lt.error().code;
  in.pades_level.clear();
  auto c = scenes_->create(app13->app, in);
  ASSERT_TRUE(c.ok()) << c.error().code;
  ASSERT_TRUE(scenes_->claim(alice_, token_of(*c)).ok());
  const std::int64_t t = clock_.now_unix();
  const std::string id = c->request.id;
  EXPECT_EQ(scenes_->prepare_document(alice_, id, "seal-no-data", t).error().code, "seal_has_no_seal_data");
  // GB/T 38540 signatures are SM2: a seal bound to an international certificate cannot sign an OFD.
  EXPECT_EQ(scenes_->prepare_document(alice_, id, "seal-p256", t).error().code, "ofd_needs_sm2");
  EXPECT_EQ(scenes_->prepare_document(alice_, id, "seal-rsa", t).error().code, "ofd_needs_sm2");
  auto prep = scenes_->prepare_document(alice_, id, "seal-ofd", t);
  ASSERT_TRUE(prep.ok()) << prep.error().code << " " << prep.error().message;
  EXPECT_EQ(prep->page, 2);
  auto thief = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value();
  SceneCompletion forged{cert.id, t, pki::LocalSigner(thief).sign(prep->signed_attributes).value(), {}, "seal-ofd"};
  EXPECT_EQ(scenes_->complete(alice_, id, forged).error().code, "scene_signature_invalid");
  SceneCompletion done{cert.id, t, pki::LocalSigner(cert.key).sign(prep->signed_attributes).value(), {}, "seal-ofd"};
  auto v = scenes_->complete(alice_, id, done);
  ASSERT_TRUE(v.ok()) << v.error().code << " " << v.error().message;
  EXPECT_EQ(v->result["format"], "ofd");
  auto signed_ofd = scenes_->get_document(app13->app, v->result["signed_document_id"].get<std::string>());
  ASSERT_TRUE(signed_ofd.ok());
  EXPECT_TRUE(docsign::sniff_ofd(*signed_ofd));
  auto report = scenes_->verify_document(*signed_ofd);
  ASSERT_TRUE(report.ok()) << report.error().code;
  EXPECT_TRUE((*report)["valid"].get<bool>()) << report->dump();
  EXPECT_EQ((*report)["format"], "ofd");
  EXPECT_EQ((*report)["signatures"][0]["seal"]["name"], "示例供应商公章");
  EXPECT_EQ((*report)["signatures"][0]["signer"]["certificate_id"], cert.id);
  // Revoked before the signing time, by our records: not valid.
  exec("UPDATE pki_certificate SET status = 'revoked', revoked_at = ? WHERE id = ?", {t - 10, cert.id});
  auto revoked = scenes_->verify_document(*signed_ofd);
  EXPECT_FALSE((*revoked)["valid"].get<bool>()) << revoked->dump();
}

}  // namespace
}  // namespace certseal::service::scene_testing
