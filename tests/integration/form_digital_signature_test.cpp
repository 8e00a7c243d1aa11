// The application form (申请表) signed online with a digital signature (method online_digital,
// docs/ORDERS.md "Application form"), end to end on both engines: a real certseald, the real
// certseal client. An applicant with a personal certificate on the phone orders an organisation
// certificate and signs its form with `certseal order sign-form`: the server draws the form,
// places the handwritten signature and prepares it as the admin-transfer letter does; the client
// signs the signed attributes through the two-party protocol; the server checks the signature and
// the whole file and keeps the signed PDF as the form; then the order can be authorised.
//
// Checked independently: `qpdf --check`; `pdftotext` finds the order; SM2: our verifier
// (`certseal verify`) and the CMS signed attributes with `openssl pkeyutl -verify` (GM/T ID)
// plus the byte ranges' SM3 against the message-digest attribute; RSA: `pdfsig` valid and trusted.
//
// Refused from the attacker's side, each changing nothing (the form stays unsigned): another
// account starting on the applicant's order; the applicant naming another person's certificate;
// a revoked certificate; a signature by another person's key; a signature over other bytes; a
// completion with nothing pending; a completion reused after the form was signed; a start on an
// order that is no longer open.
#include "base/encoding.h"
#include "docsign/pades_cms.h"
#include "docsign/text_render.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class FormDigitalSignatureE2eTest : public ClientE2eTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    auto a = ClientE2eTest::extra_server_args();
    a.push_back("--set");
    a.push_back("ca.rsao.algorithm=rsa-2048");
    return a;
  }

 protected:
  std::string session_token(const std::string& d) {
    return nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  }
  // An organisation-certificate product (SM2, from the SM2 CA).
  std::string org_product() {
    catalogue();
    auto p = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "机构证书 SM2 1年（申请表）"}, {"cert_type", "organisation"},
                   {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 50000}, {"ca_id", "sm2o"},
                   {"seal_type", "official"}});
    EXPECT_EQ(p.status, 201) << p.body;
    return p.json().value("id", "");
  }
  // An RSA-2048 personal product from the RSA CA, bought and approved: the order id.
  std::string buy_rsa(const std::string& d, const std::string& phone) {
    catalogue();
    auto p = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "个人证书 RSA"}, {"cert_type", "personal"}, {"algorithm", "rsa-2048"},
                   {"validity_years", 1}, {"price_fen", 12000}, {"ca_id", "rsao"}, {"seal_type", "handwritten"}});
    EXPECT_EQ(p.status, 201) << p.body;
    const std::string keep = product_;
    product_ = p.json().value("id", "");
    std::string order = buy_cli(d, phone);
    product_ = keep;
    return order;
  }
  std::string new_order(const std::string& token, const std::string& product, const std::string& org) {
    nlohmann::json body = {{"product_id", product}, {"platform_id", platform_}};
    if (!org.empty()) body["org_id"] = org;
    auto r = call("POST", "/api/v1/orders", token, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json().value("id", "");
  }
  HttpResponse start(const std::string& token, const std::string& order, const std::string& cert,
                     const std::string& blob = "") {
    nlohmann::json body = {{"certificate_id", cert}};
    if (!blob.empty()) body["signature_blob_id"] = blob;
    return call("POST", "/api/v1/orders/" + order + "/application-form/digital-signature", token, body);
  }
  HttpResponse complete(const std::string& token, const std::string& order, const std::string& sig) {
    return call("POST", "/api/v1/orders/" + order + "/application-form/digital-signature/completion", token,
                {{"signature", sig}});
  }
  std::string signature_blob(const std::string& token, const std::string& name) {
    using docsign::TextBlock;
    auto png = docsign::render_png({{name, 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20);
    EXPECT_TRUE(png.ok());
    return upload(token, "handwritten_signature", to_string(*png), "image/png");
  }
  // A DER signature over `data` by the real client on device d (certseal cert sign).
  std::string client_sign(const std::string& d, const std::string& cert, const Bytes& data, const std::string& pin) {
    put(f("to-sign.bin"), to_string(data));
    auto r = cli(d, {"cert", "sign", "--cert", cert, "--in", f("to-sign.bin"), "--out", f("signed.sig")}, {pin});
    EXPECT_EQ(r.exit_code, 0) << r;
    return base64_encode(to_bytes(read_all(f("signed.sig"))));
  }
  nlohmann::json form_of(const std::string& token, const std::string& order) {
    return call("GET", "/api/v1/orders/" + order, token).json()["application_form"];
  }
  std::string pdftotext(const std::string& pdf) { return sh("pdftotext -enc UTF-8 " + pdf + " -"); }
};

TEST_P(FormDigitalSignatureE2eTest, SmTwoSignedFormLetsTheOrganisationOrderBeAuthorised) {
  const std::string a = dev("applicant"), m = dev("mallory"), pin = "Pin#form-a", mpin = "Pin#form-m";
  const std::string phone = "13912390001", mphone = "13912390002";
  Installed inst = person_with_certificate(a, phone, "许一", "11010519491231002X", pin);
  ASSERT_FALSE(inst.cert_id.empty());
  const std::string token = session_token(a);
  const std::string org = verified_org(token, "杭州示例申请表有限公司", uscc_for("91330106MA2H0F001"), false);
  const std::string product = org_product();
  const std::string order = new_order(token, product, org);
  // Mallory: another person with a certificate of her own.
  Installed mal = person_with_certificate(m, mphone, "吕二", "110105194912310150", mpin);
  ASSERT_FALSE(mal.cert_id.empty());
  const std::string mtoken = session_token(m);

  // --- Refused, each changing nothing ---
  // Another account starts on the applicant's order (with her own certificate).
  auto foreign_order = start(mtoken, order, mal.cert_id);
  EXPECT_EQ(foreign_order.status, 404) << foreign_order.body;
  EXPECT_EQ(foreign_order.json()["code"], "order_not_found");
  // The applicant names another person's certificate.
  auto foreign_cert = start(token, order, mal.cert_id, signature_blob(token, "许一"));
  EXPECT_EQ(foreign_cert.status, 404) << foreign_cert.body;
  EXPECT_EQ(foreign_cert.json()["code"], "certificate_not_found");
  // Nothing pending yet: a completion is refused.
  auto nothing = complete(token, order, base64_encode(to_bytes("not a signature")));
  EXPECT_EQ(nothing.status, 404) << nothing.body;
  EXPECT_EQ(nothing.json()["code"], "form_signing_not_found");
  // A pending form, signed by Mallory's key over its attributes.
  auto p1 = start(token, order, inst.cert_id, signature_blob(token, "许一"));
  ASSERT_EQ(p1.status, 201) << p1.body;
  EXPECT_EQ(p1.json()["algorithm"], "sm2-sm3");
  const Bytes attrs1 = base64_decode(p1.json()["signed_attributes"].get<std::string>()).value();
  auto by_mallory = complete(token, order, client_sign(m, mal.cert_id, attrs1, mpin));
  EXPECT_EQ(by_mallory.status, 403) << by_mallory.body;
  EXPECT_EQ(by_mallory.json()["code"], "form_signature_invalid");
  // Mallory posting a completion to the applicant's order herself.
  EXPECT_EQ(complete(mtoken, order, client_sign(m, mal.cert_id, attrs1, mpin)).json()["code"], "order_not_found");
  // The applicant's own key over other bytes.
  Bytes tampered = attrs1;
  tampered[tampered.size() - 5] ^= 0x01;
  auto over_other = complete(token, order, client_sign(a, inst.cert_id, tampered, pin));
  EXPECT_EQ(over_other.status, 403) << over_other.body;
  EXPECT_EQ(over_other.json()["code"], "form_signature_invalid");
  // The form is still unsigned and the order cannot be authorised.
  EXPECT_TRUE(form_of(token, order).is_null()) << form_of(token, order);
  EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
  auto early = call("POST", "/api/v1/orders/" + order + "/authorisation", token, {{"code", code_for(phone)}});
  EXPECT_EQ(early.json()["code"], "application_form_unsigned") << early.body;
  // A revoked certificate: Mallory revokes hers and tries her own personal order's form.
  const std::string morder = new_order(mtoken, product_, "");
  EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", mtoken, {{"purpose", "authorise"}}).status, 202);
  auto rv = call("POST", "/api/v1/account/certificates/" + mal.cert_id + "/revocations", mtoken,
                 {{"request_id", "form-revoke-1"}, {"code", code_for(mphone)}, {"reason", "key_compromise"}});
  ASSERT_EQ(rv.status, 200) << rv.body;
  auto revoked = start(mtoken, morder, mal.cert_id, signature_blob(mtoken, "吕二"));
  EXPECT_EQ(revoked.status, 409) << revoked.body;
  EXPECT_EQ(revoked.json()["code"], "certificate_not_valid");
  EXPECT_TRUE(form_of(mtoken, morder).is_null());

  // --- Signed through the client: the password, the two-party signature ---
  put(f("signature.png"), to_string(docsign::render_png({{"许一", 40, true, docsign::TextBlock::Align::kCenter, 0}},
                                                        300, 120, 20)
                                        .value()));
  auto s = cli(a, {"--json", "order", "sign-form", order, "--cert", inst.cert_id, "--signature", f("signature.png"),
                   "--out", f("form.pdf")},
               {pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  EXPECT_NE(s.err.find("申请表"), std::string::npos) << s;
  EXPECT_EQ(s.json()["application_form"]["method"], "online_digital") << s;
  EXPECT_EQ(s.json()["application_form"]["status"], "signed") << s;
  EXPECT_EQ(s.json()["application_form"]["level"], "PAdES-B-T") << s;
  EXPECT_EQ(s.json()["application_form"]["certificate_id"], inst.cert_id) << s;
  const std::string signed_pdf = read_all(f("form.pdf"));
  ASSERT_FALSE(signed_pdf.empty());
  // GET application-form answers the signed PDF; the operator sees the method and the level.
  EXPECT_EQ(call("GET", "/api/v1/orders/" + order + "/application-form", token).body, signed_pdf);
  auto op = call("GET", "/api/v1/operator/orders/" + order, operator_token_);
  ASSERT_EQ(op.status, 200) << op.body;
  EXPECT_EQ(op.json()["application_form"]["method"], "online_digital") << op.body;
  EXPECT_EQ(op.json()["application_form"]["level"], "PAdES-B-T") << op.body;

  // The signed form, independently.
  EXPECT_NE(sh("qpdf --check " + f("form.pdf")).find("No syntax or stream encoding errors"), std::string::npos);
  const std::string text = pdftotext(f("form.pdf"));
  EXPECT_NE(text.find("数字证书申请表"), std::string::npos) << text;
  EXPECT_NE(text.find(order), std::string::npos) << text;
  EXPECT_NE(text.find("杭州示例申请表有限公司"), std::string::npos) << text;
  EXPECT_NE(sh("pdfsig " + f("form.pdf")).find("ETSI.CAdES.detached"), std::string::npos);
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  put(f("tsa-chain.pem"), http_->get("/ca/rsao/chain.pem").body);
  auto cv = cli(a, {"--json", "verify", f("form.pdf"), "--trust", f("chain.pem"), "--trust", f("tsa-chain.pem")});
  EXPECT_EQ(cv.exit_code, 0) << cv;
  const nlohmann::json sigs = cv.json()["signatures"];
  ASSERT_EQ(sigs.size(), 1u) << cv;
  EXPECT_EQ(sigs[0]["ok"], true) << cv;
  EXPECT_NE(sigs[0]["signer"].get<std::string>().find("许一"), std::string::npos) << cv;
  EXPECT_EQ(sigs[0]["covers_whole_file"], true) << cv;
  EXPECT_EQ(sigs[0]["certificate_trusted"], true) << cv;
  // The SM2 signature over the signed attributes with openssl (GM/T ID), and the byte ranges'
  // SM3 against the message-digest attribute; the ranges cover the whole file.
  const auto br_at = signed_pdf.rfind("/ByteRange [");
  ASSERT_NE(br_at, std::string::npos);
  unsigned long long b[4] = {};
  ASSERT_EQ(std::sscanf(signed_pdf.c_str() + br_at, "/ByteRange [%llu %llu %llu %llu", &b[0], &b[1], &b[2], &b[3]), 4);
  EXPECT_EQ(b[0], 0u);
  EXPECT_EQ(b[2] + b[3], signed_pdf.size());
  const Bytes cms = hex_decode(signed_pdf.substr(b[1] + 1, b[2] - b[1] - 2)).value();
  put(f("cms.der"), to_string(cms));
  put(f("ranges.bin"), signed_pdf.substr(0, b[1]) + signed_pdf.substr(b[2], b[3]));
  std::string sm3 = sh("openssl dgst -sm3 -r " + f("ranges.bin")).substr(0, 64);
  for (auto& c : sm3) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("cms.der")).find("[HEX DUMP]:" + sm3), std::string::npos);
  auto view = docsign::pades::read_signed_data(cms).value();
  put(f("attrs.der"), to_string(view.signed_attributes));
  put(f("sig.der"), to_string(view.signature));
  put(f("leaf.pem"), inst.pem);
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " + f("attrs.der") +
               " -sigfile " + f("sig.der") + " -pkeyopt distid:1234567812345678")
                .find("Signature Verified Successfully"),
            std::string::npos);

  // Used once: the same signature again changes nothing.
  auto reused = complete(token, order, base64_encode(view.signature));
  EXPECT_EQ(reused.status / 100, 4) << reused.body;
  EXPECT_EQ(call("GET", "/api/v1/orders/" + order + "/application-form", token).body, signed_pdf);

  // The organisation order can now be authorised; after that its form is closed.
  EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
  auto au = call("POST", "/api/v1/orders/" + order + "/authorisation", token, {{"code", code_for(phone)}});
  ASSERT_EQ(au.status, 200) << au.body;
  EXPECT_EQ(au.json()["status"], "awaiting_payment");
  auto closed = start(token, order, inst.cert_id, signature_blob(token, "许一"));
  EXPECT_EQ(closed.status, 409) << closed.body;
  EXPECT_EQ(closed.json()["code"], "order_not_created");
  EXPECT_EQ(call("GET", "/api/v1/orders/" + order + "/application-form", token).body, signed_pdf);
}

TEST_P(FormDigitalSignatureE2eTest, RsaSignedFormIsValidForPdfsig) {
  const std::string a = dev("rsa-applicant"), pin = "Pin#form-rsa", phone = "13912390011";
  register_cli(a, phone);
  verify_cli(a, phone, "施三", "110105194912310193");
  auto inst = cli(a, {"--json", "cert", "install", buy_rsa(a, phone)}, {pin, pin});
  ASSERT_EQ(inst.exit_code, 0) << inst;
  const std::string cert = inst.json()["certificate_id"];
  const std::string token = session_token(a);
  const std::string org = verified_org(token, "宁波示例申请表有限公司", uscc_for("91330201MA2H0F002"), false);
  const std::string order = new_order(token, org_product(), org);
  put(f("signature.png"), to_string(docsign::render_png({{"施三", 40, true, docsign::TextBlock::Align::kCenter, 0}},
                                                        300, 120, 20)
                                        .value()));
  auto s = cli(a, {"--json", "order", "sign-form", order, "--cert", cert, "--signature", f("signature.png"), "--out",
                   f("rsa-form.pdf")},
               {pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  EXPECT_EQ(s.json()["application_form"]["method"], "online_digital") << s;
  EXPECT_NE(sh("qpdf --check " + f("rsa-form.pdf")).find("No syntax or stream encoding errors"), std::string::npos);
  EXPECT_NE(pdftotext(f("rsa-form.pdf")).find(order), std::string::npos);
  // pdfsig with our chain in a fresh NSS database: valid and trusted.
  const std::string nss = f("nssdb");
  sh("mkdir -p " + nss + " && certutil -N -d sql:" + nss + " --empty-password");
  put(f("rsa-chain.pem"), http_->get("/ca/rsao/chain.pem").body);
  sh("cd " + dir_.path() + " && csplit -s -z -f chainpart- rsa-chain.pem '/-----BEGIN CERTIFICATE-----/' '{*}'");
  for (int i = 0; i < 4; ++i) {
    const std::string part = f("chainpart-0" + std::to_string(i));
    if (read_all(part).empty()) continue;
    sh("certutil -A -d sql:" + nss + " -n ca" + std::to_string(i) + " -t CT,C,C -a -i " + part);
  }
  const std::string report = sh("pdfsig -nssdir sql:" + nss + " " + f("rsa-form.pdf"));
  EXPECT_NE(report.find("Signature is Valid"), std::string::npos) << report;
  EXPECT_NE(report.find("Certificate is Trusted"), std::string::npos) << report;
  EXPECT_NE(report.find("ETSI.CAdES.detached"), std::string::npos) << report;
  // The organisation order can now be authorised.
  EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
  auto au = call("POST", "/api/v1/orders/" + order + "/authorisation", token, {{"code", code_for(phone)}});
  EXPECT_EQ(au.status, 200) << au.body;
}

CERTSEAL_INSTANTIATE_API_ENGINES(FormDigitalSignatureE2eTest);

}  // namespace
}  // namespace certseal::testing
