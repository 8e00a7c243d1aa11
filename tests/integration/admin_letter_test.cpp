// The admin transfer (转让管理员) through the signed authorisation letter (授权委托书), end to end
// on both engines: a real certseald, the real certseal client. The admin (a verified person with
// a certificate on the phone) hands the role to an employee with `certseal org transfer-admin`:
// the server draws the letter naming the organisation and both people, places the admin's
// handwritten signature, prepares it as scene 13 does; the client signs through the two-party
// protocol; the server checks it and changes the roles in the same transaction.
//
// Checked independently: `qpdf --check`; `pdftotext` finds both names; SM2: our verifier
// (`certseal verify`), and the CMS signed attributes with `openssl pkeyutl -verify` (GM/T ID)
// plus the byte ranges' SM3 against the message-digest attribute; RSA: `pdfsig` reports the
// signature valid and the certificate trusted with our chain in its NSS database.
//
// Refused from the attacker's side, each changing nothing (the member stays employee, the admin
// stays admin): an employee drawing a letter; a letter naming another person's certificate; a
// signature by another person's key; a signature over other bytes (a tampered letter); the
// stored letter changed after drawing (our verifier refuses the finished PDF); an expired letter;
// a used letter signed again; a second letter drawn before the transfer, signed after it.
#include "base/encoding.h"
#include "docsign/pades_cms.h"
#include "docsign/text_render.h"
#include "store/db.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class AdminLetterE2eTest : public ClientE2eTest {
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
  // The database under the running server (tests that play a malicious insider rewrite rows).
  Status db_write(const std::function<Status(store::Tx&)>& fn) {
    auto db = GetParam() == "postgres" ? store::open_postgres({pg_->url(), 2})
                                       : store::open_sqlite({data_ + "/certseal.db"});
    if (!db) return std::move(db).error();
    return (*db)->write(fn);
  }
  void seal_maker() {
    auto m = call("POST", "/api/v1/operator/catalogue/seal-makers", operator_token_, {{"name", "测试制章单位"}});
    ASSERT_EQ(m.status, 201) << m.body;
    auto c = call("POST", "/api/v1/operator/seal-makers/" + m.json()["id"].get<std::string>() + "/certificate",
                  operator_token_, {{"uscc", uscc_for("91110108MA01MKR09")}});
    ASSERT_EQ(c.status, 201) << c.body;
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
  // The admin: a verified person on device `d` who created and verified an organisation (not as
  // its legal representative, so the admin role is all the admin holds), with an employee.
  struct Org {
    std::string id, admin_token, employee_token, employee_member;
  };
  Org organisation(const std::string& d, const std::string& phone, const std::string& name, const std::string& id_no,
                   const std::string& emp_phone, const std::string& emp_name, const std::string& org_name,
                   const std::string& code) {
    Org o;
    register_cli(d, phone);
    verify_cli(d, phone, name, id_no);
    o.admin_token = session_token(d);
    o.id = verified_org(o.admin_token, org_name, code, false);
    o.employee_token = verified_person(emp_phone, emp_name, "440524198001010013");
    auto r = call("POST", "/api/v1/organisations/" + o.id + "/join-requests", o.employee_token,
                  {{"statement", "新员工"}, {"admin_name", name}, {"admin_phone", phone}});
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(call("POST", "/api/v1/tasks/" + r.json()["id"].get<std::string>() + "/approval", o.admin_token).status, 200);
    const nlohmann::json members = call("GET", "/api/v1/organisations/" + o.id + "/members", o.admin_token).json()["items"];
    for (const auto& m : members) {
      if (m["phone"] == emp_phone && m["status"] == "active") o.employee_member = m["id"];
    }
    EXPECT_FALSE(o.employee_member.empty());
    return o;
  }
  // The role of the employee's membership, as the organisation's members list shows it to
  // whoever is admin now.
  std::string role_of(const Org& o, const std::string& phone) {
    for (const auto* t : {&o.admin_token, &o.employee_token}) {
      act_as(*t, o.id);
      auto r = call("GET", "/api/v1/organisations/" + o.id + "/members", *t);
      if (r.status != 200) continue;
      const nlohmann::json items = r.json()["items"];
      for (const auto& m : items) {
        if (m["phone"] == phone && m["status"] == "active") return m["role"];
      }
    }
    return "?";
  }
  HttpResponse draw(const Org& o, const std::string& token, const std::string& cert, const std::string& member = "") {
    return call("POST", "/api/v1/organisations/" + o.id + "/admin-transfer-letters", token,
                {{"member_id", member.empty() ? o.employee_member : member}, {"certificate_id", cert}});
  }
  HttpResponse post_signature(const Org& o, const std::string& token, const std::string& letter, const std::string& sig) {
    return call("POST", "/api/v1/organisations/" + o.id + "/admin-transfer-letters/" + letter + "/signature", token,
                {{"signature", sig}});
  }
  // A DER signature over `data` by the real client on device d (certseal cert sign).
  std::string client_sign(const std::string& d, const std::string& cert, const Bytes& data, const std::string& pin) {
    put(f("to-sign.bin"), to_string(data));
    auto r = cli(d, {"cert", "sign", "--cert", cert, "--in", f("to-sign.bin"), "--out", f("signed.sig")}, {pin});
    EXPECT_EQ(r.exit_code, 0) << r;
    return base64_encode(to_bytes(read_all(f("signed.sig"))));
  }
  std::string pdftotext(const std::string& pdf) { return sh("pdftotext -enc UTF-8 " + pdf + " -"); }
};

TEST_P(AdminLetterE2eTest, SmTwoSignedLetterMovesTheAdminRoleOnlyAfterTheSignature) {
  seal_maker();
  const std::string a = dev("admin"), m = dev("mallory"), pin = "Pin#letter-a", mpin = "Pin#letter-m";
  const std::string phone = "13912380001", emp_phone = "13912380002";
  const std::string code = uscc_for("91320508MA1N0A001");
  Org o = organisation(a, phone, "沈一", "11010519491231002X", emp_phone, "韩二", "苏州示例科技有限公司", code);
  ASSERT_FALSE(o.employee_member.empty());
  Installed inst = install_cli(a, buy_cli(a, phone), pin);
  ASSERT_FALSE(inst.cert_id.empty());
  // The admin's handwritten signature, made and reviewed: the letter's appearance.
  put(f("strokes.json"), "[[[10,40,0.4,0],[30,10,0.6,20],[50,45,0.7,40],[70,12,0.5,60],[90,40,0.3,80]]]");
  auto made = cli(a, {"--json", "seal", "make", "--cert", inst.cert_id, "--kind", "handwritten", "--strokes",
                      f("strokes.json")});
  ASSERT_EQ(made.exit_code, 0) << made;
  ASSERT_EQ(call("POST", "/api/v1/operator/seals/" + made.json().value("id", "") + "/approval", operator_token_).status,
            200);
  // Mallory: another person with a certificate of her own, not a member.
  Installed mal = person_with_certificate(m, "13912380003", "朱三", "110105194912310150", mpin);
  ASSERT_FALSE(mal.cert_id.empty());
  act_as(o.admin_token, o.id);
  EXPECT_EQ(role_of(o, emp_phone), "employee");

  // --- Refused, each changing nothing ---
  // The employee draws a letter handing the role to themselves.
  act_as(o.employee_token, o.id);
  EXPECT_EQ(draw(o, o.employee_token, inst.cert_id).status, 403);
  act_as(o.admin_token, o.id);
  // A letter naming another person's certificate.
  auto foreign = draw(o, o.admin_token, mal.cert_id);
  EXPECT_EQ(foreign.status, 404) << foreign.body;
  EXPECT_EQ(foreign.json()["code"], "certificate_not_found");
  // A good letter, signed by another person's key (Mallory signs its attributes with hers).
  auto l1 = draw(o, o.admin_token, inst.cert_id);
  ASSERT_EQ(l1.status, 201) << l1.body;
  EXPECT_EQ(l1.json()["status"], "pending");
  const std::string letter1 = l1.json()["id"];
  // Its first page as a picture (what the app shows before signing): for the signer only.
  const std::string page1 = "/api/v1/organisations/" + o.id + "/admin-transfer-letters/" + letter1 + "/page";
  auto page = call("GET", page1, o.admin_token);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.header("content-type"), "image/png");
  EXPECT_EQ(page.body.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(page.body.size(), 5000u);
  EXPECT_EQ(call("GET", page1, o.employee_token).status, 404);    // the heir, before the signature
  EXPECT_EQ(call("GET", page1, session_token(m)).status, 404);    // a stranger
  const Bytes attrs1 = base64_decode(l1.json()["signed_attributes"].get<std::string>()).value();
  auto by_mallory = post_signature(o, o.admin_token, letter1, client_sign(m, mal.cert_id, attrs1, mpin));
  EXPECT_EQ(by_mallory.status, 403) << by_mallory.body;
  EXPECT_EQ(by_mallory.json()["code"], "letter_signature_invalid");
  // Mallory posting to the admin's letter herself.
  EXPECT_EQ(post_signature(o, session_token(m), letter1, client_sign(m, mal.cert_id, attrs1, mpin)).status / 100, 4);
  // The admin's own key over other bytes: the attributes of a tampered letter.
  Bytes tampered = attrs1;
  tampered[tampered.size() - 5] ^= 0x01;
  auto over_other = post_signature(o, o.admin_token, letter1, client_sign(a, inst.cert_id, tampered, pin));
  EXPECT_EQ(over_other.status, 403) << over_other.body;
  EXPECT_EQ(over_other.json()["code"], "letter_signature_invalid");
  // An insider changes the stored letter after it was drawn (a byte of its text): the admin's
  // genuine signature over the drawn attributes no longer makes a PDF our verifier accepts.
  auto l2 = draw(o, o.admin_token, inst.cert_id);
  ASSERT_EQ(l2.status, 201) << l2.body;
  const std::string letter2 = l2.json()["id"];
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_ASSIGN(auto row, tx.query_one("SELECT prepared FROM org_admin_letters WHERE id = ?", {letter2}));
                Bytes pdf = row->blob("prepared");
                // The producer's name in the first revision, covered by the byte ranges.
                const std::string text = to_string(pdf);
                const auto at = text.find("cairo");
                pdf[at == std::string::npos ? 200 : at] ^= 0x20;
                CS_TRY(tx.exec("UPDATE org_admin_letters SET prepared = ? WHERE id = ?", {pdf, letter2}));
                return {};
              }).ok());
  const Bytes attrs2 = base64_decode(l2.json()["signed_attributes"].get<std::string>()).value();
  auto changed = post_signature(o, o.admin_token, letter2, client_sign(a, inst.cert_id, attrs2, pin));
  EXPECT_EQ(changed.status, 403) << changed.body;
  EXPECT_EQ(changed.json()["code"], "letter_verification_failed");
  // An expired letter (its 30 minutes are over), with a genuine signature.
  auto l3 = draw(o, o.admin_token, inst.cert_id);
  ASSERT_EQ(l3.status, 201) << l3.body;
  const std::string letter3 = l3.json()["id"];
  ASSERT_TRUE(db_write([&](store::Tx& tx) -> Status {
                CS_TRY(tx.exec("UPDATE org_admin_letters SET expires_at = expires_at - 3600 WHERE id = ?", {letter3}));
                return {};
              }).ok());
  const Bytes attrs3 = base64_decode(l3.json()["signed_attributes"].get<std::string>()).value();
  auto expired = post_signature(o, o.admin_token, letter3, client_sign(a, inst.cert_id, attrs3, pin));
  EXPECT_EQ(expired.status, 409) << expired.body;
  EXPECT_EQ(expired.json()["code"], "letter_expired");
  // Nothing changed.
  EXPECT_EQ(role_of(o, emp_phone), "employee");
  act_as(o.admin_token, o.id);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + o.id + "/admin-transfer-letters/" + letter1, o.admin_token)
                .json()["status"],
            "pending");
  // A second, genuine letter kept back for later.
  auto spare = draw(o, o.admin_token, inst.cert_id);
  ASSERT_EQ(spare.status, 201) << spare.body;

  // --- The transfer, through the client: confirm, password, two-party signature ---
  auto t = cli(a, {"--json", "org", "transfer-admin", "--org", o.id, "--member", o.employee_member, "--cert",
                   inst.cert_id, "--preview", f("unsigned.pdf"), "--out", f("letter.pdf")},
               {"y", pin});
  ASSERT_EQ(t.exit_code, 0) << t;
  EXPECT_NE(t.err.find("授权委托书"), std::string::npos) << t;
  EXPECT_EQ(t.json()["new_admin"]["role"], "admin") << t;
  EXPECT_EQ(t.json()["letter"]["level"], "PAdES-B-T") << t;
  EXPECT_EQ(role_of(o, emp_phone), "admin");
  EXPECT_EQ(role_of(o, phone), "employee");
  const std::string signed_pdf = read_all(f("letter.pdf")), unsigned_pdf = read_all(f("unsigned.pdf"));
  ASSERT_FALSE(unsigned_pdf.empty());

  // The signed letter, independently.
  EXPECT_NE(sh("qpdf --check " + f("letter.pdf")).find("No syntax or stream encoding errors"), std::string::npos);
  const std::string text = pdftotext(f("letter.pdf"));
  EXPECT_NE(text.find("授权委托书"), std::string::npos) << text;
  EXPECT_NE(text.find("沈一"), std::string::npos) << text;
  EXPECT_NE(text.find("韩二"), std::string::npos) << text;
  EXPECT_NE(text.find("苏州示例科技有限公司"), std::string::npos) << text;
  EXPECT_NE(text.find(code), std::string::npos) << text;
  EXPECT_NE(text.find("110***********002X"), std::string::npos) << text;   // masked
  EXPECT_EQ(text.find("11010519491231002X"), std::string::npos) << text;  // never whole
  EXPECT_NE(sh("pdfsig " + f("letter.pdf")).find("ETSI.CAdES.detached"), std::string::npos);
  // The platform's TSA may be another CA's (here the first configured); trust both chains.
  put(f("chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  put(f("tsa-chain.pem"), http_->get("/ca/rsao/chain.pem").body);
  auto cv = cli(a, {"verify", f("letter.pdf"), "--trust", f("chain.pem"), "--trust", f("tsa-chain.pem")});
  EXPECT_EQ(cv.exit_code, 0) << cv;
  EXPECT_NE(cv.out.find("有效"), std::string::npos) << cv;
  // The SM2 signature over the signed attributes with openssl (GM/T ID), and the byte ranges'
  // SM3 against the message-digest attribute.
  const auto br_at = signed_pdf.rfind("/ByteRange [");
  ASSERT_NE(br_at, std::string::npos);
  unsigned long long b[4] = {};
  ASSERT_EQ(std::sscanf(signed_pdf.c_str() + br_at, "/ByteRange [%llu %llu %llu %llu", &b[0], &b[1], &b[2], &b[3]), 4);
  // The letter the admin read before signing is the signed one but for the signature itself.
  ASSERT_EQ(unsigned_pdf.size(), signed_pdf.size());
  EXPECT_EQ(unsigned_pdf.substr(0, b[1]), signed_pdf.substr(0, b[1]));
  EXPECT_EQ(unsigned_pdf.substr(b[2]), signed_pdf.substr(b[2]));
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

  // Who may download it: the new admin and the operator yes; Mallory no.
  const std::string letter = t.json()["letter"]["id"];
  const std::string pdf_path = "/api/v1/organisations/" + o.id + "/admin-transfer-letters/" + letter + "/pdf";
  auto by_heir = call("GET", pdf_path, o.employee_token);
  EXPECT_EQ(by_heir.status, 200);
  EXPECT_EQ(by_heir.body, signed_pdf);
  EXPECT_EQ(call("GET", "/api/v1/operator/organisations/" + o.id + "/admin-transfer-letters/" + letter + "/pdf",
                 operator_token_)
                .status,
            200);
  EXPECT_EQ(call("GET", pdf_path, session_token(m)).status, 404);

  // Used once: the same signature again; and the letter kept back, signed now, by the former admin.
  act_as(o.admin_token, o.id);
  EXPECT_EQ(post_signature(o, o.admin_token, letter, base64_encode(view.signature)).status / 100, 4);
  const Bytes attrs_spare = base64_decode(spare.json()["signed_attributes"].get<std::string>()).value();
  auto late = post_signature(o, o.admin_token, spare.json()["id"], client_sign(a, inst.cert_id, attrs_spare, pin));
  EXPECT_EQ(late.status / 100, 4) << late.body;
  EXPECT_EQ(role_of(o, emp_phone), "admin");
  EXPECT_EQ(role_of(o, phone), "employee");
}

TEST_P(AdminLetterE2eTest, RsaSignedLetterIsValidForPdfsig) {
  const std::string a = dev("rsa-admin"), pin = "Pin#letter-rsa";
  const std::string phone = "13912380011", emp_phone = "13912380012";
  Org o = organisation(a, phone, "秦四", "110105194912310193", emp_phone, "尤五", "无锡示例国际贸易有限公司",
                       uscc_for("91320211MA1N0B002"));
  ASSERT_FALSE(o.employee_member.empty());
  auto inst = cli(a, {"--json", "cert", "install", buy_rsa(a, phone)}, {pin, pin});
  ASSERT_EQ(inst.exit_code, 0) << inst;
  const std::string cert = inst.json()["certificate_id"];
  // No seal kept: the handwritten signature is drawn for this letter and uploaded with it.
  using docsign::TextBlock;
  put(f("signature.png"), to_string(docsign::render_png({{"秦四", 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20)
                                        .value()));
  act_as(o.admin_token, o.id);
  EXPECT_EQ(role_of(o, emp_phone), "employee");
  auto t = cli(a, {"--json", "org", "transfer-admin", "--org", o.id, "--member", o.employee_member, "--signature",
                   f("signature.png"), "--out", f("rsa-letter.pdf"), "--yes"},
               {pin});
  ASSERT_EQ(t.exit_code, 0) << t;
  EXPECT_EQ(t.json()["letter"]["algorithm"], "rsa-sha256") << t;
  EXPECT_EQ(role_of(o, emp_phone), "admin");
  EXPECT_NE(sh("qpdf --check " + f("rsa-letter.pdf")).find("No syntax or stream encoding errors"), std::string::npos);
  const std::string text = pdftotext(f("rsa-letter.pdf"));
  EXPECT_NE(text.find("秦四"), std::string::npos) << text;
  EXPECT_NE(text.find("尤五"), std::string::npos) << text;
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
  const std::string report = sh("pdfsig -nssdir sql:" + nss + " " + f("rsa-letter.pdf"));
  EXPECT_NE(report.find("Signature is Valid"), std::string::npos) << report;
  EXPECT_NE(report.find("Certificate is Trusted"), std::string::npos) << report;
  EXPECT_NE(report.find("ETSI.CAdES.detached"), std::string::npos) << report;
  // Our verifier agrees.
  put(f("sm2-chain.pem"), http_->get("/ca/sm2o/chain.pem").body);
  auto cv = cli(a, {"verify", f("rsa-letter.pdf"), "--trust", f("rsa-chain.pem"), "--trust", f("sm2-chain.pem")});
  EXPECT_EQ(cv.exit_code, 0) << cv;
}

CERTSEAL_INSTANTIATE_API_ENGINES(AdminLetterE2eTest);

}  // namespace
}  // namespace certseal::testing
