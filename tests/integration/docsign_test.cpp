// Scene 13 (扫码文件签章签名) end to end on both engines: a real certseald, the real certseal
// client. A person buys and installs an SM2 certificate and makes a seal (reviewed by the
// operator); a relying party hands in a PDF and asks for the seal next to a keyword; the client
// scans the request, the server prepares the document with the seal and renders the preview, the
// user confirms with the certificate password and signs through the two-party protocol. The
// relying party downloads the signed PDF and checks it: `qpdf --check`, `pdfsig` (lists the
// ETSI.CAdES.detached signature; poppler 22.12 cannot verify SM2), the SM2 signature over the
// signed attributes with `openssl pkeyutl` (GM/T ID) and the byte-range digest with
// `openssl dgst -sm3` against the message-digest attribute, the B-T time stamp from the platform's
// TSA, the document verification API and
// `certseal verify`. Refused from the attacker's side: another account preparing the document
// with this user's seal, a byte changed in the signed PDF.
#include <array>
#include <optional>
#include <regex>
#include <sstream>

#include "base/encoding.h"
#include "docsign/ofd_sample.h"
#include "docsign/pades_cms.h"
#include "docsign/text_render.h"
#include "service/scene/rp_apps.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class DocSignE2eTest : public ClientE2eTest {
 protected:
  struct App {
    std::string id, secret;
  };
  void seal_maker() {
    auto m = call("POST", "/api/v1/operator/catalogue/seal-makers", operator_token_, {{"name", "测试制章单位"}});
    ASSERT_EQ(m.status, 201) << m.body;
    auto c = call("POST", "/api/v1/operator/seal-makers/" + m.json()["id"].get<std::string>() + "/certificate",
                  operator_token_, {{"uscc", uscc_for("91110108MA01MKR09")}});
    ASSERT_EQ(c.status, 201) << c.body;
  }
  // A relying-party request with any body (signed like every RP request, docs/INTEGRATION.md).
  HttpResponse rp(const App& app, const std::string& method, const std::string& target, const std::string& body,
                  const std::string& content_type) {
    const std::string nonce = "nonce-" + std::to_string(++nonces_) + "-" + std::to_string(::getpid());
    std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app.id,
                                                                                 app.secret, method, target, body,
                                                                                 SystemClock().now_unix(), nonce)};
    if (!content_type.empty()) h.push_back("Content-Type: " + content_type);
    return http_->request(method, target, body, h);
  }
  HttpResponse rp_json(const App& app, const std::string& method, const std::string& target, const nlohmann::json& b) {
    return rp(app, method, target, b.is_null() ? "" : b.dump(), b.is_null() ? "" : "application/json");
  }
  std::string session_token(const std::string& d) {
    return nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  }
  int nonces_ = 0;
};

TEST_P(DocSignE2eTest, SceneThirteenSealsAPdfThroughTheClient) {
  seal_maker();
  const std::string a = dev("a"), m = dev("m"), pin = "Pin#docsign";
  Installed inst = person_with_certificate(a, "13912361001", "张三", "11010519491231002X", pin);
  ASSERT_FALSE(inst.cert_id.empty());
  put(f("strokes.json"), "[[[10,40,0.4,0],[30,10,0.6,20],[50,45,0.7,40],[70,12,0.5,60],[90,40,0.3,80]]]");
  auto made = cli(a, {"--json", "seal", "make", "--cert", inst.cert_id, "--kind", "handwritten", "--strokes",
                      f("strokes.json")});
  ASSERT_EQ(made.exit_code, 0) << made;
  const std::string seal = made.json().value("id", "");
  ASSERT_EQ(call("POST", "/api/v1/operator/seals/" + seal + "/approval", operator_token_).status, 200);

  auto reg = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", "示例招标平台"}, {"platform_id", platform_}, {"callback_url", "http://127.0.0.1:9/cb"},
                   {"scenes", {"13"}}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  App app{reg.json()["id"], reg.json()["secret"]};
  // The relying party's PDF.
  Bytes pdf = docsign::render_pdf({{"投标函", 18, true, docsign::TextBlock::Align::kCenter},
                                   {"我方愿按招标文件的要求承担本项目。", 12},
                                   {"投标人 签字处 日期", 12}},
                                  {"投标函", "示例招标平台"})
                  .value();
  auto doc = rp(app, "POST", "/api/v1/rp/documents", to_string(pdf), "application/pdf");
  ASSERT_EQ(doc.status, 201) << doc.body << " size " << pdf.size();
  EXPECT_EQ(doc.json()["pages"], 1);
  auto junk = rp(app, "POST", "/api/v1/rp/documents", "not a pdf", "application/pdf");
  EXPECT_EQ(junk.status, 400) << junk.body;
  auto created = rp_json(app, "POST", "/api/v1/rp/scene-requests",
                         {{"scene", "13"}, {"title", "投标函签章"}, {"nonce", "doc-nonce-0001"},
                          {"document_id", doc.json()["id"]},
                          {"placement", {{"mode", "keyword"}, {"keyword", "签字处"}, {"width_mm", 30}}},
                          {"seal_kinds", {"handwritten"}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json()["id"], payload = created.json()["qr_payload"];

  // The user scans, sees the preview and confirms with the certificate password.
  auto s = cli(a, {"--json", "scan", "--payload", payload, "--preview", f("preview.png")}, {"y", pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  EXPECT_NE(s.err.find("扫码文件签章签名"), std::string::npos) << s;
  EXPECT_NE(s.err.find("预览图"), std::string::npos) << s;
  EXPECT_EQ(read_all(f("preview.png")).substr(1, 3), "PNG");

  auto v = rp_json(app, "GET", "/api/v1/rp/scene-requests/" + id, nullptr);
  ASSERT_EQ(v.status, 200) << v.body;
  ASSERT_EQ(v.json()["status"], "completed") << v.body;
  const std::string signed_id = v.json()["result"]["signed_document_id"];
  auto got = rp(app, "GET", "/api/v1/rp/documents/" + signed_id, "", "");
  ASSERT_EQ(got.status, 200);
  put(f("signed.pdf"), got.body);
  EXPECT_EQ(got.body.compare(0, pdf.size(), to_string(pdf)), 0);  // an incremental update
  EXPECT_NE(sh("qpdf --check " + f("signed.pdf")).find("No syntax or stream encoding errors"), std::string::npos);
  EXPECT_NE(sh("pdfsig " + f("signed.pdf")).find("ETSI.CAdES.detached"), std::string::npos);

  // Independently: the CMS from /Contents, the SM2 signature with openssl pkeyutl (GM/T ID), the
  // byte ranges' SM3 against the message-digest attribute.
  const std::string& file = got.body;
  const auto br_at = file.rfind("/ByteRange [");
  ASSERT_NE(br_at, std::string::npos);
  unsigned long long b[4] = {};
  ASSERT_EQ(std::sscanf(file.c_str() + br_at, "/ByteRange [%llu %llu %llu %llu", &b[0], &b[1], &b[2], &b[3]), 4);
  const Bytes cms = hex_decode(file.substr(b[1] + 1, b[2] - b[1] - 2)).value();
  put(f("cms.der"), to_string(cms));
  put(f("ranges.bin"), file.substr(0, b[1]) + file.substr(b[2], b[3]));
  std::string sm3 = sh("openssl dgst -sm3 -r " + f("ranges.bin")).substr(0, 64);
  for (auto& c : sm3) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_NE(sh("openssl asn1parse -inform DER -in " + f("cms.der")).find("[HEX DUMP]:" + sm3), std::string::npos);
  auto view = docsign::pades::read_signed_data(cms).value();
  put(f("attrs.der"), to_string(view.signed_attributes));
  put(f("sig.der"), to_string(view.signature));
  put(f("leaf.pem"), v.json()["result"]["certificate"].get<std::string>());
  sh("openssl x509 -in " + f("leaf.pem") + " -pubkey -noout > " + f("pub.pem"));
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " + f("attrs.der") +
               " -sigfile " + f("sig.der") + " -pkeyopt distid:1234567812345678")
                .find("Signature Verified Successfully"),
            std::string::npos);

  // The verification API and certseal verify (with the published chain).
  auto ver = rp(app, "POST", "/api/v1/rp/document-verifications", file, "application/pdf");
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["signer"]["certificate_id"], inst.cert_id) << ver.body;
  EXPECT_FALSE(ver.json()["signatures"][0]["seal_data"].is_null()) << ver.body;
  // PAdES B-T: a time stamp from the platform's TSA over the signature value.
  EXPECT_EQ(v.json()["result"]["level"], "PAdES-B-T") << v.body;
  EXPECT_EQ(ver.json()["signatures"][0]["has_timestamp"], true) << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["timestamp_valid"], true) << ver.body;
  EXPECT_FALSE(ver.json()["signatures"][0]["timestamp_time"].is_null()) << ver.body;
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  auto cv = cli(a, {"verify", f("signed.pdf"), "--trust", f("chain.pem")});
  EXPECT_EQ(cv.exit_code, 0) << cv;
  EXPECT_NE(cv.out.find("有效"), std::string::npos) << cv;

  // A byte changed after signing: the API and the client say so.
  std::string changed = file;
  changed[changed.size() / 3] ^= 0x01;
  put(f("changed.pdf"), changed);
  auto ver2 = rp(app, "POST", "/api/v1/rp/document-verifications", changed, "application/pdf");
  ASSERT_EQ(ver2.status, 200) << ver2.body;
  EXPECT_EQ(ver2.json()["valid"], false) << ver2.body;
  auto cv2 = cli(a, {"verify", f("changed.pdf"), "--trust", f("chain.pem")});
  EXPECT_EQ(cv2.exit_code, 3) << cv2;

  // Another account claims a new request and tries to prepare it with this user's seal.
  Installed other = person_with_certificate(m, "13912361002", "李四", "110105198001010016", pin);
  auto c2 = rp_json(app, "POST", "/api/v1/rp/scene-requests",
                    {{"scene", "13"}, {"title", "投标函签章"}, {"nonce", "doc-nonce-0002"},
                     {"document_id", doc.json()["id"]}, {"placement", {{"mode", "position"}, {"page", 1}}}});
  ASSERT_EQ(c2.status, 201) << c2.body;
  const std::string token = c2.json()["qr_payload"].get<std::string>().substr(
      c2.json()["qr_payload"].get<std::string>().rfind('/') + 1);
  auto claim = call("POST", "/api/v1/scene-claims", session_token(m), {{"token", token}});
  ASSERT_EQ(claim.status, 200) << claim.body;
  auto steal = call("POST", "/api/v1/scene-requests/" + c2.json()["id"].get<std::string>() + "/document-preparation",
                    session_token(m), {{"seal_id", seal}, {"signing_time", SystemClock().now_unix()}});
  EXPECT_EQ(steal.status, 403) << steal.body;
  EXPECT_EQ(steal.json()["code"], "seal_not_yours") << steal.body;
  (void)other;
}

// PAdES B-LT on request: after the signature the server appends the Document Security Store with
// what its own CA services give in process (chain, CRL, an OCSP answer for the signer, the time
// stamp's chain). Checked independently: `qpdf --check`, the CRL and the OCSP answer taken out with
// qpdf and checked by `openssl crl -CAfile` / `openssl ocsp -respin` against the published chain
// (the CA sm2o signs with OpenSSL's SM2 ID; -no_nonce: the answer carries the nonce of the server's own
// request, asked in process so it is signed now); then our verification API and `certseal verify` call
// it B-LT, not revoked at the time-stamp time, from the embedded data. An unknown level is refused.
TEST_P(DocSignE2eTest, SceneThirteenLongTermEmbedsTheDocumentSecurityStore) {
  seal_maker();
  const std::string a = dev("a"), pin = "Pin#docsign";
  Installed inst = person_with_certificate(a, "13912361003", "王五", "11010519491231002X", pin);
  ASSERT_FALSE(inst.cert_id.empty());
  put(f("strokes.json"), "[[[10,40,0.4,0],[30,10,0.6,20],[50,45,0.7,40],[70,12,0.5,60],[90,40,0.3,80]]]");
  auto made = cli(a, {"--json", "seal", "make", "--cert", inst.cert_id, "--kind", "handwritten", "--strokes",
                      f("strokes.json")});
  ASSERT_EQ(made.exit_code, 0) << made;
  const std::string seal = made.json().value("id", "");
  ASSERT_EQ(call("POST", "/api/v1/operator/seals/" + seal + "/approval", operator_token_).status, 200);
  auto reg = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", "示例招标平台"}, {"platform_id", platform_}, {"callback_url", "http://127.0.0.1:9/cb"},
                   {"scenes", {"13"}}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  App app{reg.json()["id"], reg.json()["secret"]};
  Bytes pdf = docsign::render_pdf({{"投标函", 18, true, docsign::TextBlock::Align::kCenter},
                                   {"投标人 签字处 日期", 12}},
                                  {"投标函", "示例招标平台"})
                  .value();
  auto doc = rp(app, "POST", "/api/v1/rp/documents", to_string(pdf), "application/pdf");
  ASSERT_EQ(doc.status, 201) << doc.body;
  auto bad_level = rp_json(app, "POST", "/api/v1/rp/scene-requests",
                           {{"scene", "13"}, {"title", "投标函签章"}, {"nonce", "doc-nonce-lt-00"},
                            {"document_id", doc.json()["id"]}, {"placement", {{"mode", "position"}, {"page", 1}}},
                            {"pades_level", "B-LTA"}});
  EXPECT_EQ(bad_level.status, 400) << bad_level.body;
  auto created = rp_json(app, "POST", "/api/v1/rp/scene-requests",
                         {{"scene", "13"}, {"title", "投标函签章"}, {"nonce", "doc-nonce-lt-01"},
                          {"document_id", doc.json()["id"]},
                          {"placement", {{"mode", "keyword"}, {"keyword", "签字处"}, {"width_mm", 30}}},
                          {"pades_level", "B-LT"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.json()["pades_level"], "B-LT") << created.body;
  const std::string id = created.json()["id"];
  auto s = cli(a, {"--json", "scan", "--payload", created.json()["qr_payload"].get<std::string>()}, {"y", pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  auto v = rp_json(app, "GET", "/api/v1/rp/scene-requests/" + id, nullptr);
  ASSERT_EQ(v.status, 200) << v.body;
  ASSERT_EQ(v.json()["status"], "completed") << v.body;
  EXPECT_EQ(v.json()["result"]["level"], "PAdES-B-LT") << v.body;
  auto got = rp(app, "GET", "/api/v1/rp/documents/" + v.json()["result"]["signed_document_id"].get<std::string>(), "", "");
  ASSERT_EQ(got.status, 200);
  put(f("lt.pdf"), got.body);
  EXPECT_EQ(got.body.compare(0, pdf.size(), to_string(pdf)), 0);
  EXPECT_NE(sh("qpdf --check " + f("lt.pdf")).find("No syntax or stream encoding errors"), std::string::npos);

  // The DSS as qpdf shows it: catalog -> /DSS -> first CRL and OCSP streams, raw bytes.
  auto ref_after = [](const std::string& text, const std::string& key) {
    const auto at = text.find(key);
    if (at == std::string::npos) return std::string();
    const auto digit = text.find_first_of("0123456789", at + key.size());
    return text.substr(digit, text.find(' ', digit) - digit);
  };
  const std::string root = ref_after(sh("qpdf --show-object=trailer " + f("lt.pdf")), "/Root");
  const std::string dss = ref_after(sh("qpdf --show-object=" + root + " " + f("lt.pdf")), "/DSS");
  ASSERT_FALSE(dss.empty());
  const std::string dss_text = sh("qpdf --show-object=" + dss + " " + f("lt.pdf"));
  EXPECT_NE(dss_text.find("/VRI"), std::string::npos) << dss_text;
  sh("qpdf --show-object=" + ref_after(dss_text, "/CRLs") + " --raw-stream-data " + f("lt.pdf") + " > " + f("crl.der"));
  sh("qpdf --show-object=" + ref_after(dss_text, "/OCSPs") + " --raw-stream-data " + f("lt.pdf") + " > " + f("ocsp.der"));
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  put(f("ca.der"), http_->get("/ca/sm2o/ca.cer").body);
  sh("openssl x509 -inform DER -in " + f("ca.der") + " -out " + f("ca.pem"));
  put(f("leaf.pem"), v.json()["result"]["certificate"].get<std::string>());
  EXPECT_NE(sh("openssl crl -inform DER -in " + f("crl.der") + " -CAfile " + f("chain.pem") + " -noout").find("verify OK"),
            std::string::npos);
  const std::string ocsp = sh("openssl ocsp -no_nonce -respin " + f("ocsp.der") + " -CAfile " + f("chain.pem") + " -issuer " +
                              f("ca.pem") + " -cert " + f("leaf.pem"));
  EXPECT_NE(ocsp.find("Response verify OK"), std::string::npos) << ocsp;
  EXPECT_NE(ocsp.find(f("leaf.pem") + ": good"), std::string::npos) << ocsp;

  // Our verifier, offline from the embedded data: the API and certseal verify.
  auto ver = rp(app, "POST", "/api/v1/rp/document-verifications", got.body, "application/pdf");
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["level"], "B-LT") << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["revocation"]["status"], "good") << ver.body;
  EXPECT_TRUE(ver.json()["signatures"][0]["revocation"]["problem"].is_null()) << ver.body;
  auto cv = cli(a, {"--json", "verify", f("lt.pdf"), "--trust", f("chain.pem")});
  ASSERT_EQ(cv.exit_code, 0) << cv;
  EXPECT_EQ(cv.json()["signatures"][0]["level"], "B-LT") << cv;
  EXPECT_EQ(cv.json()["signatures"][0]["revocation_status"], "good") << cv;
}

// OFD (GB/T 33190 §18, a GB/T 38540 SES_Signature) through the same scene 13 path: the relying party
// hands in an OFD (told by content), asks for the seal at a page and position (a keyword is refused
// for OFD with placement_not_supported_for_ofd), the user signs through the client and the
// two-party SM2 protocol, the relying party downloads the signed OFD. Checked independently:
// python3's zipfile unpacks it, `openssl dgst -sm3` recomputes every Reference's CheckValue and the
// dataHash over Signature.xml, `openssl asn1parse` reads SignedValue.dat and `openssl pkeyutl`
// verifies the signature over TBS_Sign with the SM2 ID; then our verification API and `certseal
// verify`. Refused from the attacker's side: a byte changed in a page after signing.
TEST_P(DocSignE2eTest, SceneThirteenSealsAnOfdThroughTheClient) {
  seal_maker();
  const std::string a = dev("a"), pin = "Pin#docsign";
  Installed inst = person_with_certificate(a, "13912361011", "王五", "11010519491231002X", pin);
  ASSERT_FALSE(inst.cert_id.empty());
  put(f("strokes.json"), "[[[10,40,0.4,0],[30,10,0.6,20],[50,45,0.7,40],[70,12,0.5,60],[90,40,0.3,80]]]");
  auto made = cli(a, {"--json", "seal", "make", "--cert", inst.cert_id, "--kind", "handwritten", "--strokes",
                      f("strokes.json")});
  ASSERT_EQ(made.exit_code, 0) << made;
  const std::string seal = made.json().value("id", "");
  ASSERT_EQ(call("POST", "/api/v1/operator/seals/" + seal + "/approval", operator_token_).status, 200);
  auto reg = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", "示例政府采购平台"}, {"platform_id", platform_}, {"callback_url", "http://127.0.0.1:9/cb"},
                   {"scenes", {"13"}}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  App app{reg.json()["id"], reg.json()["secret"]};

  const Bytes ofd = docsign::make_sample_ofd({"政府采购响应文件", "供应商签章页"}).value();
  auto doc = rp(app, "POST", "/api/v1/rp/documents", to_string(ofd), "application/ofd");
  ASSERT_EQ(doc.status, 201) << doc.body;
  EXPECT_EQ(doc.json()["pages"], 2);
  EXPECT_EQ(doc.json()["format"], "ofd");
  auto kw = rp_json(app, "POST", "/api/v1/rp/scene-requests",
                    {{"scene", "13"}, {"title", "响应文件签章"}, {"nonce", "ofd-nonce-0000"},
                     {"document_id", doc.json()["id"]}, {"placement", {{"mode", "keyword"}, {"keyword", "签章"}}}});
  EXPECT_EQ(kw.status, 400) << kw.body;
  EXPECT_NE(kw.body.find("placement_not_supported_for_ofd"), std::string::npos) << kw.body;
  auto created = rp_json(app, "POST", "/api/v1/rp/scene-requests",
                         {{"scene", "13"}, {"title", "响应文件签章"}, {"nonce", "ofd-nonce-0001"},
                          {"document_id", doc.json()["id"]},
                          {"placement", {{"mode", "position"}, {"page", 2}, {"x_mm", 130}, {"y_mm", 200}, {"width_mm", 40}}},
                          {"seal_kinds", {"handwritten"}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = created.json()["id"];
  auto s = cli(a, {"--json", "scan", "--payload", created.json()["qr_payload"], "--preview", f("preview.png")},
               {"y", pin});
  ASSERT_EQ(s.exit_code, 0) << s;
  auto v = rp_json(app, "GET", "/api/v1/rp/scene-requests/" + id, nullptr);
  ASSERT_EQ(v.status, 200) << v.body;
  ASSERT_EQ(v.json()["status"], "completed") << v.body;
  EXPECT_EQ(v.json()["result"]["format"], "ofd") << v.body;
  auto got = rp(app, "GET", "/api/v1/rp/documents/" + v.json()["result"]["signed_document_id"].get<std::string>(), "", "");
  ASSERT_EQ(got.status, 200);
  ASSERT_EQ(got.body.compare(0, 2, "PK"), 0);
  put(f("signed.ofd"), got.body);

  // Independently, with python3 zipfile and the openssl CLI.
  ASSERT_EQ(sh("python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; "
               "z.extractall(sys.argv[2]); print('unzipped')\" " + f("signed.ofd") + " " + f("x")),
            "unzipped\n");
  const std::string sig_xml = read_all(f("x/Doc_0/Signs/Sign_0/Signature.xml"));
  EXPECT_NE(sig_xml.find("PageRef=\"6\""), std::string::npos) << sig_xml;  // the second page's ID
  EXPECT_NE(sig_xml.find("Boundary=\"130 200 40 "), std::string::npos) << sig_xml;
  std::regex ref(R"re(FileRef="/([^"]+)"><ofd:CheckValue>([^<]+)<)re");
  int refs = 0;
  for (auto it = std::sregex_iterator(sig_xml.begin(), sig_xml.end(), ref); it != std::sregex_iterator(); ++it, ++refs) {
    EXPECT_EQ(sh("openssl dgst -sm3 -binary " + f("x/" + (*it)[1].str()) + " | base64 -w0"), (*it)[2].str());
  }
  EXPECT_EQ(refs, 6);
  const std::string sv = f("x/Doc_0/Signs/Sign_0/SignedValue.dat");
  const std::string parsed = sh("openssl asn1parse -inform DER -in " + sv);
  EXPECT_NE(parsed.find("SM2-with-SM3"), std::string::npos) << parsed;
  EXPECT_NE(parsed.find(":/Doc_0/Signs/Sign_0/Signature.xml"), std::string::npos) << parsed;
  // Depth-1 items: TBS_Sign, cert, algorithm, signature; the first depth-2 BIT STRING is dataHash.
  std::regex line(R"(\s*(\d+):d=(\d+)\s+hl=(\d+)\s+l=\s*(\d+)\s+(?:prim|cons):\s+(\S+))");
  std::vector<std::array<std::size_t, 3>> top;  // offset, header, length
  std::optional<std::array<std::size_t, 3>> data_hash;
  std::istringstream lines(parsed);
  for (std::string l; std::getline(lines, l);) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) continue;
    const std::array<std::size_t, 3> item{std::stoul(m[1]), std::stoul(m[3]), std::stoul(m[4])};
    if (m[2] == "1") top.push_back(item);
    if (m[2] == "2" && top.size() == 1 && m[5] == "BIT" && !data_hash) data_hash = item;
  }
  ASSERT_EQ(top.size(), 4u) << parsed;
  ASSERT_TRUE(data_hash.has_value());
  const std::string der = read_all(sv);
  put(f("tbs.der"), der.substr(top[0][0], top[0][1] + top[0][2]));
  put(f("cert.der"), der.substr(top[1][0] + top[1][1], top[1][2]));
  put(f("sig.der"), der.substr(top[3][0] + top[3][1] + 1, top[3][2] - 1));
  put(f("datahash.bin"), der.substr((*data_hash)[0] + (*data_hash)[1] + 1, (*data_hash)[2] - 1));
  EXPECT_EQ(sh("openssl dgst -sm3 -binary " + f("x/Doc_0/Signs/Sign_0/Signature.xml") + " | cmp - " +
               f("datahash.bin") + " && echo same"),
            "same\n");
  sh("openssl x509 -inform DER -in " + f("cert.der") + " -pubkey -noout > " + f("pub.pem"));
  EXPECT_NE(sh("openssl pkeyutl -verify -pubin -inkey " + f("pub.pem") + " -rawin -digest sm3 -in " + f("tbs.der") +
               " -sigfile " + f("sig.der") + " -pkeyopt distid:1234567812345678")
                .find("Signature Verified Successfully"),
            std::string::npos);

  // Our verification API and certseal verify.
  auto ver = rp(app, "POST", "/api/v1/rp/document-verifications", got.body, "application/ofd");
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["format"], "ofd") << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["signer"]["certificate_id"], inst.cert_id) << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["seal"]["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["references_intact"], true) << ver.body;
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  auto cv = cli(a, {"verify", f("signed.ofd"), "--trust", f("chain.pem")});
  EXPECT_EQ(cv.exit_code, 0) << cv;
  EXPECT_NE(cv.out.find("有效"), std::string::npos) << cv;

  // A byte of the second page changed after signing.
  ASSERT_EQ(sh("cd " + f("x") + " && sed -i 's/供应商/供应啇/' Doc_0/Pages/Page_1/Content.xml && python3 -c \"import "
               "zipfile,sys,os; z=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED); "
               "[z.write(os.path.join(r,n), os.path.relpath(os.path.join(r,n))) for r,_,fs in os.walk('.') for n in fs]; "
               "z.close(); print('zipped')\" " + f("changed.ofd")),
            "zipped\n");
  auto ver2 = rp(app, "POST", "/api/v1/rp/document-verifications", read_all(f("changed.ofd")), "application/ofd");
  ASSERT_EQ(ver2.status, 200) << ver2.body;
  EXPECT_EQ(ver2.json()["valid"], false) << ver2.body;
  EXPECT_EQ(ver2.json()["signatures"][0]["changed_files"][0], "Doc_0/Pages/Page_1/Content.xml") << ver2.body;
  auto cv2 = cli(a, {"verify", f("changed.ofd"), "--trust", f("chain.pem")});
  EXPECT_EQ(cv2.exit_code, 3) << cv2;
}

CERTSEAL_INSTANTIATE_API_ENGINES(DocSignE2eTest);

}  // namespace
}  // namespace certseal::testing
