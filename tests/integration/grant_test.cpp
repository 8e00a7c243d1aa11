// Organisation grants end to end (docs/GRANTS.md), on both engines, through the real `certseal`
// client against a real certseald: the admin holds the organisation certificate on their device;
// an employee asks (certseal grant request), the admin approves (certseal grant approve); the
// employee's device joins the key through the authenticated pairing (certseal grant pair, the
// admin's certseal device add, certseal device pair --finish) and answers QR scenes with the
// organisation certificate (certseal scan). Refusals from the employee's side: the third use of
// a 2-use grant, a use after the grant was taken back, a use before the window, a use after the
// member was removed, a signature outside a scene, and 20 parallel uses of a 1-use grant of
// which exactly one succeeds.
#include <atomic>
#include <future>
#include <set>

#include "base/encoding.h"
#include "docsign/text_render.h"
#include "service/scene/rp_apps.h"
#include "support/client_fixture.h"

namespace certseal::testing {
namespace {

class GrantE2eTest : public ClientE2eTest {
 protected:
  struct App {
    std::string id, secret;
  };
  std::string admin_dev_, emp_dev_, admin_tok_, emp_tok_, org_, cert_, key_, org_product_;
  const std::string admin_phone_ = "13912370001", emp_phone_ = "13912370002";
  const std::string admin_pin_ = "Pin#admin", emp_pin_ = "Pin#employee";
  App app_;
  int nonces_ = 0;

  std::string session_token(const std::string& d) {
    return nlohmann::json::parse(read_all(d + "/session.json"))["token"];
  }
  HttpResponse rp(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr) {
    const std::string text = body.is_null() ? "" : body.dump();
    const std::string nonce = "grant-nonce-" + std::to_string(++nonces_) + "-" + std::to_string(::getpid());
    std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app_.id,
                                                                                 app_.secret, method, target, text,
                                                                                 SystemClock().now_unix(), nonce)};
    if (!text.empty()) h.push_back("Content-Type: application/json");
    return http_->request(method, target, text, h);
  }
  // A scene-20 request of the app's platform: its id and QR payload.
  std::pair<std::string, std::string> scene20(const std::string& message) {
    auto c = rp("POST", "/api/v1/rp/scene-requests",
                {{"scene", "20"}, {"title", "签署合同"}, {"nonce", "nonce-" + std::to_string(++nonces_) + "-xx"},
                 {"message", base64_encode(as_bytes(message))}});
    EXPECT_EQ(c.status, 201) << c.body;
    return {c.json().value("id", ""), c.json().value("qr_payload", "")};
  }
  std::string rp_status(const std::string& id) {
    return rp("GET", "/api/v1/rp/scene-requests/" + id).json().value("status", "");
  }

  // The admin (CLI device) with a verified organisation and its certificate installed; the
  // employee (CLI device) a member acting as the organisation's employee; a relying party app.
  // The organisation's official seal, made by the admin through the client from a fresh seal maker
  // and approved by the operator; "" after a failed assertion.
  std::string MakeApprovedOrganisationSeal() {
    auto m = call("POST", "/api/v1/operator/catalogue/seal-makers", operator_token_, {{"name", "测试制章单位"}});
    EXPECT_EQ(m.status, 201) << m.body;
    if (m.status != 201) return "";
    const std::string maker = m.json()["id"];
    EXPECT_EQ(call("POST", "/api/v1/operator/seal-makers/" + maker + "/certificate", operator_token_,
                   {{"uscc", uscc_for("91110108MA01MKR09")}})
                  .status,
              201);
    auto made = cli(admin_dev_, {"--json", "seal", "make", "--cert", cert_, "--kind", "official", "--name",
                                 "南京示例物流有限公司", "--maker", maker});
    EXPECT_EQ(made.exit_code, 0) << made;
    if (made.exit_code != 0) return "";
    const std::string seal = made.json()["id"];
    EXPECT_EQ(call("POST", "/api/v1/operator/seals/" + seal + "/approval", operator_token_).status, 200);
    return seal;
  }

  void SetUpOrganisation() {
    catalogue();
    auto b = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "机构证书 SM2 1年"}, {"cert_type", "organisation"},
                   {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 50000}, {"ca_id", "sm2o"},
                   {"seal_type", "official"}});
    ASSERT_EQ(b.status, 201) << b.body;
    org_product_ = b.json()["id"];
    admin_dev_ = dev("admin");
    emp_dev_ = dev("emp");
    register_cli(admin_dev_, admin_phone_);
    verify_cli(admin_dev_, admin_phone_, "孔一", "11010519491231002X");
    admin_tok_ = session_token(admin_dev_);
    org_ = verified_org(admin_tok_, "南京示例物流有限公司", "91110108MA01A0001D");
    ASSERT_FALSE(org_.empty());
    auto o = call("POST", "/api/v1/orders", admin_tok_, {{"product_id", org_product_}, {"platform_id", platform_}, {"org_id", org_}});
    ASSERT_EQ(o.status, 201) << o.body;
    const std::string order = o.json()["id"];
    std::string sig = upload(admin_tok_, "handwritten_signature");
    auto signed_form = call("POST", "/api/v1/orders/" + order + "/application-form/online-signature", admin_tok_,
                            {{"blob_id", sig}});
    ASSERT_EQ(signed_form.status, 200) << signed_form.body;
    auto au = cli(admin_dev_, {"--json", "order", "authorise", order, "--code", code(admin_dev_, admin_phone_, "authorise")});
    ASSERT_EQ(au.exit_code, 0) << au;
    auto pay = cli(admin_dev_, {"--json", "pay", "online", order, "--sandbox-complete"});
    ASSERT_EQ(pay.exit_code, 0) << pay;
    ASSERT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_).status, 200);
    Installed inst = install_cli(admin_dev_, order, admin_pin_);
    ASSERT_FALSE(inst.cert_id.empty());
    cert_ = inst.cert_id;
    key_ = inst.key_id;

    register_cli(emp_dev_, emp_phone_);
    verify_cli(emp_dev_, emp_phone_, "曹二", "440524198001010013");
    emp_tok_ = session_token(emp_dev_);
    auto j = call("POST", "/api/v1/organisations/" + org_ + "/join-requests", emp_tok_,
                  {{"statement", "新员工"}, {"admin_name", "孔一"}, {"admin_phone", admin_phone_}});
    ASSERT_EQ(j.status, 201) << j.body;
    ASSERT_EQ(call("POST", "/api/v1/tasks/" + j.json()["id"].get<std::string>() + "/approval", admin_tok_).status, 200);
    act_as(emp_tok_, org_);

    auto a = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                  {{"name", "示例交易平台接入"}, {"platform_id", platform_}, {"callback_url", "http://127.0.0.1:9/cb"},
                   {"scenes", {"06", "20"}}});
    ASSERT_EQ(a.status, 201) << a.body;
    app_ = {a.json()["id"], a.json()["secret"]};
  }

  // The employee asks through the CLI; the admin approves through the CLI with extra options.
  std::string ask_and_approve(const std::vector<std::string>& approve_opts) {
    auto r = cli(emp_dev_, {"--json", "grant", "request", "--org", org_, "--cert", cert_, "--platform", platform_,
                            "--statement", "投标使用单位证书"});
    EXPECT_EQ(r.exit_code, 0) << r;
    const std::string id = r.json().value("id", "");
    EXPECT_EQ(r.json()["status"], "requested");
    std::vector<std::string> args = {"--json", "grant", "approve", id, "--org", org_};
    args.insert(args.end(), approve_opts.begin(), approve_opts.end());
    auto ap = cli(admin_dev_, args);
    EXPECT_EQ(ap.exit_code, 0) << ap;
    EXPECT_EQ(ap.json()["status"], "approved") << ap;
    return id;
  }
  // The employee's device joins the key: grant pair (starts), device add on the admin's device,
  // device pair --finish on the employee's with a new certificate password.
  void pair(const std::string& grant) {
    auto start = cli(emp_dev_, {"--json", "grant", "pair", grant, "--no-wait"});
    ASSERT_EQ(start.exit_code, 0) << start;
    const std::string pairing = start.json()["id"], pcode = start.json()["code"];
    auto add = cli(admin_dev_, {"--json", "device", "add", pairing, "--code", pcode, "--cert", cert_}, {admin_pin_});
    ASSERT_EQ(add.exit_code, 0) << add;
    auto fin = cli(emp_dev_, {"--json", "device", "pair", "--finish", pairing}, {emp_pin_, emp_pin_});
    ASSERT_EQ(fin.exit_code, 0) << fin;
    EXPECT_EQ(fin.json()["key_id"], key_);
    EXPECT_EQ(fin.json()["certificate_id"], cert_);
  }
  CliResult scan(const std::string& payload) {
    return cli(emp_dev_, {"--json", "scan", "--payload", payload, "--yes", "--cert", cert_}, {emp_pin_});
  }
  // The attacker's way round the client: claim the request and run the two-party signature
  // directly with that scene's purpose. The server must refuse it.
  CliResult sign_for_scene(const std::string& id, const std::string& payload) {
    const std::string token = payload.substr(payload.rfind('/') + 1);
    EXPECT_EQ(call("POST", "/api/v1/scene-claims", emp_tok_, {{"token", token}}).status, 200);
    return cli(emp_dev_, {"cert", "sign", "--cert", cert_, "--message", "x", "--purpose", "scene 20 " + id}, {emp_pin_});
  }
  nlohmann::json grant_view(const std::string& id) {
    return call("GET", "/api/v1/organisations/" + org_ + "/grants/" + id, admin_tok_).json();
  }
};

TEST_P(GrantE2eTest, TwoUsesThenRefusedTakenBackOutsideWindowAndRemovedMember) {
  SetUpOrganisation();
  // The employee sees what may be asked for and whom to ring.
  auto certs = cli(emp_dev_, {"--json", "grant", "certificates", "--org", org_, "--platform", platform_});
  ASSERT_EQ(certs.exit_code, 0) << certs;
  ASSERT_EQ(certs.json()["items"].size(), 1u) << certs;
  EXPECT_EQ(certs.json()["items"][0]["certificate_id"], cert_);
  auto contact = cli(emp_dev_, {"--json", "grant", "contact", "--org", org_});
  ASSERT_EQ(contact.exit_code, 0) << contact;
  EXPECT_EQ(contact.json()["items"][0]["phone"], admin_phone_) << contact;
  EXPECT_EQ(contact.json()["items"][0]["name"], "孔一") << contact;
  // A certificate not enabled for the named platform cannot be asked for.
  auto other = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "异地交易平台"}});
  auto not_enabled = cli(emp_dev_, {"grant", "request", "--org", org_, "--cert", cert_, "--platform",
                                    other.json()["id"].get<std::string>(), "--statement", "x"});
  EXPECT_EQ(not_enabled.exit_code, 3) << not_enabled;
  EXPECT_NE(not_enabled.err.find("not enabled for that platform"), std::string::npos) << not_enabled;

  // 1. Two uses: two signatures through scene 20 succeed, the third is refused.
  const std::string g1 = ask_and_approve({"--for", "1h", "--uses", "2"});
  // The request was in the admins' to-do list, and is decided there now.
  const nlohmann::json tasks = call("GET", "/api/v1/tasks", admin_tok_).json()["items"];
  bool in_todo = false;
  for (const auto& t : tasks) in_todo = in_todo || (t["kind"] == "certificate_grant" && t["status"] == "approved");
  EXPECT_TRUE(in_todo) << tasks;
  pair(g1);
  // The employee cannot sign outside a scene with the granted key (attacker's side).
  auto outside = cli(emp_dev_, {"cert", "sign", "--cert", cert_, "--message", "随便签"}, {emp_pin_});
  EXPECT_EQ(outside.exit_code, 3) << outside;
  EXPECT_NE(outside.err.find("scene"), std::string::npos) << outside;
  // Nor hand the key on: a second device of the employee cannot be added from the granted one.
  {
    const std::string second = dev("emp-second");
    login_cli(second, emp_phone_);
    auto start = cli(second, {"--json", "device", "pair", "--no-wait"});
    ASSERT_EQ(start.exit_code, 0) << start;
    auto handed = cli(emp_dev_, {"device", "add", start.json()["id"], "--code", start.json()["code"], "--cert", cert_},
                      {emp_pin_});
    EXPECT_EQ(handed.exit_code, 3) << handed;
    EXPECT_NE(handed.err.find("only signs and decrypts"), std::string::npos) << handed;
  }
  for (int i = 0; i < 2; ++i) {
    auto [id, payload] = scene20("合同第" + std::to_string(i + 1) + "份");
    auto s = scan(payload);
    ASSERT_EQ(s.exit_code, 0) << s;
    EXPECT_EQ(rp_status(id), "completed");
    auto v = rp("GET", "/api/v1/rp/scene-requests/" + id).json();
    EXPECT_EQ(v["result"]["certificate_id"], cert_);
    EXPECT_EQ(v["result"]["org_id"], org_);
  }
  EXPECT_EQ(grant_view(g1)["uses_left"], 0);
  EXPECT_EQ(grant_view(g1)["uses_made"], 2);
  {
    // The claim no longer offers the certificate; going round the client, the server finds no
    // share of this device any more (deleted with the last use).
    auto [id, payload] = scene20("合同第3份");
    auto s = scan(payload);
    EXPECT_EQ(s.exit_code, 3) << s;
    auto forced = sign_for_scene(id, payload);
    EXPECT_EQ(forced.exit_code, 3) << forced;
    EXPECT_NE(forced.err.find("no share of the key"), std::string::npos) << forced;
    EXPECT_NE(rp_status(id), "completed");
  }

  // 2. Taken back: the next use is refused at once.
  const std::string g2 = ask_and_approve({"--for", "1h"});
  pair(g2);
  {
    auto [id, payload] = scene20("撤回前");
    ASSERT_EQ(scan(payload).exit_code, 0);
  }
  auto rv = cli(admin_dev_, {"--json", "grant", "revoke", g2, "--org", org_, "--reason", "项目结束"});
  ASSERT_EQ(rv.exit_code, 0) << rv;
  EXPECT_EQ(rv.json()["status"], "revoked");
  {
    auto [id, payload] = scene20("撤回后");
    auto s = scan(payload);
    EXPECT_EQ(s.exit_code, 3) << s;
    auto forced = sign_for_scene(id, payload);
    EXPECT_EQ(forced.exit_code, 3) << forced;
    EXPECT_NE(forced.err.find("no share of the key"), std::string::npos) << forced;
    EXPECT_NE(rp_status(id), "completed");
  }
  // The admin's own device is untouched.
  auto own = cli(admin_dev_, {"cert", "sign", "--cert", cert_, "--message", "管理员自己签"}, {admin_pin_});
  EXPECT_EQ(own.exit_code, 0) << own;

  // 3. Outside its window: a grant starting in an hour refuses a use now (the server checks, even
  // when the client is bypassed with a scene purpose of its own).
  const std::string g3 = ask_and_approve({"--for", "1h", "--start-in", "1h"});
  pair(g3);
  {
    auto [id, payload] = scene20("窗口之外");
    auto s = sign_for_scene(id, payload);
    EXPECT_EQ(s.exit_code, 3) << s;
    EXPECT_NE(s.err.find("not started"), std::string::npos) << s;
  }
  auto rv3 = cli(admin_dev_, {"grant", "revoke", g3, "--org", org_});
  ASSERT_EQ(rv3.exit_code, 0) << rv3;

  // 4. A removed member's grant stops working.
  const std::string g4 = ask_and_approve({"--for", "1h"});
  pair(g4);
  {
    auto [id, payload] = scene20("离职前");
    ASSERT_EQ(scan(payload).exit_code, 0);
  }
  std::string member_id;
  auto members = call("GET", "/api/v1/organisations/" + org_ + "/members", admin_tok_);
  const nlohmann::json member_items = members.json()["items"];
  for (const auto& m : member_items) {
    if (m["phone"] == emp_phone_ && m["status"] == "active") member_id = m["id"];
  }
  ASSERT_FALSE(member_id.empty()) << members.body;
  ASSERT_EQ(call("DELETE", "/api/v1/organisations/" + org_ + "/members/" + member_id, admin_tok_).status, 204);
  act_as(emp_tok_, "");
  {
    auto [id, payload] = scene20("离职后");
    auto s = scan(payload);
    EXPECT_EQ(s.exit_code, 3) << s;
    EXPECT_NE(s.err.find("no share of the key"), std::string::npos) << s;
    EXPECT_NE(rp_status(id), "completed");
  }
  // And the former member reads no grants of the organisation.
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org_ + "/grants", emp_tok_).status, 403);
  // Every grant is in the admin's list with its uses.
  auto all = call("GET", "/api/v1/organisations/" + org_ + "/grants", admin_tok_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.json()["items"].size(), 4u);
}

TEST_P(GrantE2eTest, TwentyParallelUsesOfAOneUseGrantSucceedOnce) {
  SetUpOrganisation();
  const std::string g = ask_and_approve({"--for", "1h", "--uses", "1"});
  pair(g);
  std::vector<std::pair<std::string, std::string>> reqs;
  for (int i = 0; i < 20; ++i) reqs.push_back(scene20("并发第" + std::to_string(i) + "份"));
  std::vector<std::future<CliResult>> runs;
  for (const auto& r : reqs) {
    runs.push_back(std::async(std::launch::async, [this, p = r.second] { return scan(p); }));
  }
  int ok = 0;
  for (auto& f : runs) {
    auto r = f.get();
    if (r.exit_code == 0) ++ok;
  }
  EXPECT_EQ(ok, 1);
  int completed = 0;
  for (const auto& r : reqs) completed += rp_status(r.first) == "completed" ? 1 : 0;
  EXPECT_EQ(completed, 1);
  auto v = grant_view(g);
  EXPECT_EQ(v["uses_left"], 0) << v;
  EXPECT_EQ(v["uses_made"], 1) << v;
}

// 单位印章授权: the organisation's official seal, used by an employee only under a seal grant whose
// window the admin may shorten but not widen; uses counted; taken back at once. The employee
// without a grant cannot use it (the open point of the seals issue).
TEST_P(GrantE2eTest, SealGrantsAreEnforcedAtUse) {
  SetUpOrganisation();
  const std::string seal = MakeApprovedOrganisationSeal();
  ASSERT_FALSE(seal.empty());

  // Without a grant the employee cannot use it (nor learn that it exists).
  auto no_grant = cli(emp_dev_, {"seal", "use", seal, "--purpose", "合同盖章"});
  EXPECT_EQ(no_grant.exit_code, 3) << no_grant;

  // The employee asks for 8 hours; the admin may not widen it, but may shorten it.
  auto r = cli(emp_dev_, {"--json", "grant", "request", "--org", org_, "--seal", seal, "--for", "8h", "--statement",
                          "合同盖章"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const std::string g = r.json()["id"];
  EXPECT_EQ(r.json()["kind"], "seal");
  auto wider = cli(admin_dev_, {"grant", "approve", g, "--org", org_, "--for", "9h"});
  EXPECT_EQ(wider.exit_code, 3) << wider;
  EXPECT_NE(wider.err.find("inside the one the employee asked for"), std::string::npos) << wider;
  auto ok = cli(admin_dev_, {"--json", "grant", "approve", g, "--org", org_, "--for", "1h", "--uses", "2"});
  ASSERT_EQ(ok.exit_code, 0) << ok;
  EXPECT_EQ(ok.json()["status"], "approved");

  for (int i = 0; i < 2; ++i) {
    auto use = cli(emp_dev_, {"--json", "seal", "use", seal, "--purpose", "合同" + std::to_string(i), "--out",
                              f("emp-seal.png")});
    ASSERT_EQ(use.exit_code, 0) << use;
    EXPECT_EQ(read_all(f("emp-seal.png")).substr(1, 3), "PNG");
  }
  auto third = cli(emp_dev_, {"seal", "use", seal, "--purpose", "合同3"});
  EXPECT_EQ(third.exit_code, 3) << third;
  EXPECT_NE(third.err.find("uses are spent"), std::string::npos) << third;

  // A second grant, taken back: the next use is refused at once; the holder's own use works.
  auto r2 = cli(emp_dev_, {"--json", "grant", "request", "--org", org_, "--seal", seal, "--for", "2h", "--statement", "再次"});
  ASSERT_EQ(r2.exit_code, 0) << r2;
  const std::string g2 = r2.json()["id"];
  ASSERT_EQ(cli(admin_dev_, {"grant", "approve", g2, "--org", org_, "--for", "1h"}).exit_code, 0);
  ASSERT_EQ(cli(emp_dev_, {"seal", "use", seal, "--purpose", "撤回前"}).exit_code, 0);
  ASSERT_EQ(cli(admin_dev_, {"grant", "revoke", g2, "--org", org_}).exit_code, 0);
  auto after = cli(emp_dev_, {"seal", "use", seal, "--purpose", "撤回后"});
  EXPECT_EQ(after.exit_code, 3) << after;
  EXPECT_NE(after.err.find("taken this grant back"), std::string::npos) << after;
  EXPECT_EQ(cli(admin_dev_, {"seal", "use", seal, "--purpose", "管理员盖章"}).exit_code, 0);
  EXPECT_EQ(grant_view(g)["uses_made"], 2);
}

// Records (全程追溯): the admin sees each use with member, time, platform and document hash; the CSV
// export opens with Python's csv module and says the same as the API; a member sees only their
// own; another organisation's admin sees nothing of them.
TEST_P(GrantE2eTest, RecordsShowEachUseToTheAdminAndExportAsCsv) {
  SetUpOrganisation();
  const std::string g = ask_and_approve({"--for", "1h", "--uses", "2"});
  pair(g);
  std::set<std::string> doc_hashes;
  for (int i = 0; i < 2; ++i) {
    auto [id, payload] = scene20("记录第" + std::to_string(i) + "份");
    ASSERT_EQ(scan(payload).exit_code, 0);
    doc_hashes.insert(rp("GET", "/api/v1/rp/scene-requests/" + id).json().value("document_hash", ""));
  }
  const std::string emp_account = grant_view(g)["member_account_id"];

  auto uses = cli(admin_dev_, {"--json", "records", "uses", "--org", org_});
  ASSERT_EQ(uses.exit_code, 0) << uses;
  const nlohmann::json items = uses.json()["items"];
  ASSERT_EQ(items.size(), 2u) << uses;
  std::set<std::string> seen;
  for (const auto& u : items) {
    EXPECT_EQ(u["member_phone"], emp_phone_);
    EXPECT_EQ(u["member_name"], "曹二");
    EXPECT_EQ(u["platform_id"], platform_);
    EXPECT_EQ(u["certificate_id"], cert_);
    EXPECT_EQ(u["result"], "ok");
    EXPECT_EQ(u["scene"], "20");
    EXPECT_FALSE(u["at"].get<std::string>().empty());
    seen.insert(u["document_hash"].get<std::string>());
  }
  EXPECT_EQ(seen, doc_hashes);
  // Filters: by member, platform, certificate, time.
  EXPECT_EQ(cli(admin_dev_, {"--json", "records", "uses", "--org", org_, "--member", emp_account}).json()["items"].size(), 2u);
  EXPECT_EQ(cli(admin_dev_, {"--json", "records", "uses", "--org", org_, "--platform", "no-such"}).json()["items"].size(), 0u);
  EXPECT_EQ(cli(admin_dev_, {"--json", "records", "uses", "--org", org_, "--cert", cert_}).json()["items"].size(), 2u);
  const std::string later = std::to_string(SystemClock().now_unix() + 3600);
  EXPECT_EQ(cli(admin_dev_, {"--json", "records", "uses", "--org", org_, "--from", later}).json()["items"].size(), 0u);
  EXPECT_EQ(cli(admin_dev_, {"--json", "records", "uses", "--org", org_, "--to", later}).json()["items"].size(), 2u);

  // The CSV export, read by Python's csv module, matches the API row by row.
  auto exported = cli(admin_dev_, {"--json", "records", "uses", "--org", org_, "--csv", f("uses.csv")});
  ASSERT_EQ(exported.exit_code, 0) << exported;
  put(f("read_csv.py"),
      "import csv, json, sys\n"
      "with open(sys.argv[1], newline='', encoding='utf-8-sig') as fh:\n"
      "    print(json.dumps(list(csv.DictReader(fh)), ensure_ascii=False))\n");
  auto rows = nlohmann::json::parse(sh("python3 " + f("read_csv.py") + " " + f("uses.csv")), nullptr, false);
  ASSERT_TRUE(rows.is_array()) << rows;
  ASSERT_EQ(rows.size(), items.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    for (const char* k : {"id", "grant_id", "certificate_id", "member_account_id", "member_phone", "member_name",
                          "platform_id", "scene", "scene_request_id", "document_hash", "digest", "result", "at"}) {
      EXPECT_EQ(rows[i][k], items[i][k]) << k;
    }
  }
  auto gexp = cli(admin_dev_, {"--json", "records", "grants", "--org", org_, "--csv", f("grants.csv")});
  ASSERT_EQ(gexp.exit_code, 0) << gexp;
  auto grows = nlohmann::json::parse(sh("python3 " + f("read_csv.py") + " " + f("grants.csv")), nullptr, false);
  ASSERT_EQ(grows.size(), 1u) << grows;
  EXPECT_EQ(grows[0]["id"], g);
  EXPECT_EQ(grows[0]["statement"], "投标使用单位证书");
  EXPECT_EQ(grows[0]["uses_made"], "2");

  // A member sees only their own: the employee sees theirs, another employee nothing.
  EXPECT_EQ(cli(emp_dev_, {"--json", "records", "uses", "--org", org_}).json()["items"].size(), 2u);
  const std::string other_phone = "13912370003";
  std::string other = verified_person(other_phone, "严三", "440524198001010013");
  auto j = call("POST", "/api/v1/organisations/" + org_ + "/join-requests", other,
                {{"statement", "新员工"}, {"admin_name", "孔一"}, {"admin_phone", admin_phone_}});
  ASSERT_EQ(j.status, 201) << j.body;
  ASSERT_EQ(call("POST", "/api/v1/tasks/" + j.json()["id"].get<std::string>() + "/approval", admin_tok_).status, 200);
  act_as(other, org_);
  auto other_uses = call("GET", "/api/v1/organisations/" + org_ + "/grant-uses", other);
  ASSERT_EQ(other_uses.status, 200) << other_uses.body;
  EXPECT_EQ(other_uses.json()["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org_ + "/grant-uses?member=" + emp_account, other).json()["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org_ + "/grants", other).json()["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org_ + "/grants/" + g, other).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org_ + "/grant-uses?format=csv", other).body.find(emp_phone_),
            std::string::npos);
  // Another organisation's admin sees nothing of this one, in JSON or CSV.
  std::string stranger = verified_person("13912370004", "钱七", "110105194912310134");
  std::string other_org = verified_org(stranger, "上海示例贸易有限公司", "91310115MA1K3B0020");
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org_ + "/grant-uses", stranger).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org_ + "/grants?format=csv", stranger).status, 403);
  auto own = call("GET", "/api/v1/organisations/" + other_org + "/grant-uses", stranger);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(own.json()["items"].size(), 0u);
}

// 互认共享 managed by the organisation's admin: the certificate is refused in a scene of another
// platform, accepted there (also through a grant) after a package for it is bought, and refused
// again (also through the grant, checked at the use) once the admin cancels it. An employee may
// neither list nor cancel.
TEST_P(GrantE2eTest, MutualRecognitionBoughtAndCancelledPerPlatform) {
  SetUpOrganisation();
  auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "异地交易平台"}});
  ASSERT_EQ(p.status, 201) << p.body;
  const std::string other = p.json()["id"];
  auto prod = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                   {{"kind", "mutual_recognition"}, {"name", "互认共享 异地交易平台 1年"}, {"cert_type", "organisation"},
                    {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 5000}, {"ca_id", "sm2o"},
                    {"seal_type", "official"}, {"platform_id", other}, {"period_months", 12}});
  ASSERT_EQ(prod.status, 201) << prod.body;
  auto a2 = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                 {{"name", "异地平台接入"}, {"platform_id", other}, {"callback_url", "http://127.0.0.1:9/cb"},
                  {"scenes", {"20"}}});
  ASSERT_EQ(a2.status, 201) << a2.body;
  const App home = app_;
  app_ = {a2.json()["id"], a2.json()["secret"]};  // requests below come from the other platform's app
  auto admin_scan = [&](const std::string& payload) {
    return cli(admin_dev_, {"--json", "scan", "--payload", payload, "--yes", "--cert", cert_}, {admin_pin_});
  };

  // Not enabled there: refused.
  {
    auto [id, payload] = scene20("异地签署 1");
    auto s = admin_scan(payload);
    EXPECT_EQ(s.exit_code, 3) << s;
    EXPECT_NE(rp_status(id), "completed");
  }
  auto listed = cli(admin_dev_, {"--json", "platforms", "list", "--cert", cert_, "--org", org_});
  ASSERT_EQ(listed.exit_code, 0) << listed;
  ASSERT_EQ(listed.json()["items"].size(), 1u) << listed;  // the purchase platform only
  // The employee manages nothing of it.
  EXPECT_EQ(cli(emp_dev_, {"platforms", "list", "--cert", cert_, "--org", org_}).exit_code, 3);
  EXPECT_EQ(cli(emp_dev_, {"platforms", "cancel", "--cert", cert_, "--org", org_, "--platform", platform_}).exit_code, 3);

  // The admin buys the package: order, authorise, pay, approval.
  auto buy = cli(admin_dev_, {"--json", "platforms", "buy", "--cert", cert_, "--product", prod.json()["id"], "--org", org_});
  ASSERT_EQ(buy.exit_code, 0) << buy;
  const std::string order = buy.json()["id"];
  std::string sig = upload(admin_tok_, "handwritten_signature");
  call("POST", "/api/v1/orders/" + order + "/application-form/online-signature", admin_tok_, {{"blob_id", sig}});
  auto au = cli(admin_dev_, {"--json", "order", "authorise", order, "--code", code(admin_dev_, admin_phone_, "authorise")});
  ASSERT_EQ(au.exit_code, 0) << au;
  ASSERT_EQ(cli(admin_dev_, {"--json", "pay", "online", order, "--sandbox-complete"}).exit_code, 0);
  auto ap = call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_);
  ASSERT_EQ(ap.status, 200) << ap.body;
  listed = cli(admin_dev_, {"--json", "platforms", "list", "--cert", cert_, "--org", org_});
  ASSERT_EQ(listed.json()["items"].size(), 2u) << listed;
  EXPECT_EQ(listed.json()["items"][1]["platform_id"], other);
  EXPECT_EQ(listed.json()["items"][1]["enabled"], true);
  {
    auto [id, payload] = scene20("异地签署 2");
    auto s = admin_scan(payload);
    ASSERT_EQ(s.exit_code, 0) << s;
    EXPECT_EQ(rp_status(id), "completed");
  }
  // Through a grant for that platform too.
  auto r = cli(emp_dev_, {"--json", "grant", "request", "--org", org_, "--cert", cert_, "--platform", other,
                          "--statement", "异地投标"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const std::string g = r.json()["id"];
  ASSERT_EQ(cli(admin_dev_, {"grant", "approve", g, "--org", org_, "--for", "1h"}).exit_code, 0);
  pair(g);
  {
    auto [id, payload] = scene20("员工异地签署");
    auto s = scan(payload);
    ASSERT_EQ(s.exit_code, 0) << s;
    EXPECT_EQ(rp_status(id), "completed");
  }

  // Cancelled: refused there again, for the holder and through the grant (checked at the use).
  auto cancel = cli(admin_dev_, {"--json", "platforms", "cancel", "--cert", cert_, "--org", org_, "--platform", other});
  ASSERT_EQ(cancel.exit_code, 0) << cancel;
  EXPECT_EQ(cancel.json()["enabled"], false);
  {
    auto [id, payload] = scene20("取消后 1");
    auto s = admin_scan(payload);
    EXPECT_EQ(s.exit_code, 3) << s;
    EXPECT_NE(rp_status(id), "completed");
  }
  {
    auto [id, payload] = scene20("取消后 2");
    auto forced = sign_for_scene(id, payload);
    EXPECT_EQ(forced.exit_code, 3) << forced;
    EXPECT_NE(forced.err.find("no longer enabled"), std::string::npos) << forced;
  }
  app_ = home;
  // The purchase platform is untouched.
  auto [id, payload] = scene20("本平台");
  EXPECT_EQ(admin_scan(payload).exit_code, 0);
}

// Scene 13 with an organisation seal under a seal grant (授权用印): the employee, whose device
// joined the organisation key through a certificate grant, seals a relying party's PDF with the
// organisation's official seal through the real client; the use is counted on the seal grant and
// the PDF is signed with the organisation certificate. Refused from the employee's side: the seal
// without a seal grant (not offered, and the direct preparation is seal_not_yours), a second
// request once the one use is spent, a grant taken back.
TEST_P(GrantE2eTest, SceneThirteenSealsWithAGrantedOrganisationSeal) {
  SetUpOrganisation();
  const std::string seal = MakeApprovedOrganisationSeal();
  ASSERT_FALSE(seal.empty());
  // The employee's device joins the organisation key (certificate grant), as for other scenes.
  pair(ask_and_approve({"--for", "1h"}));

  auto a = call("POST", "/api/v1/operator/rp-apps", operator_token_,
                {{"name", "示例招标平台签章"}, {"platform_id", platform_}, {"callback_url", "http://127.0.0.1:9/cb"},
                 {"scenes", {"13"}}});
  ASSERT_EQ(a.status, 201) << a.body;
  const App app13{a.json()["id"], a.json()["secret"]};
  auto raw = [&](const std::string& method, const std::string& target, const std::string& body,
                 const std::string& type) {
    const std::string nonce = "g13-" + std::to_string(++nonces_) + "-" + std::to_string(::getpid());
    std::vector<std::string> h = {"Authorization: " + service::rp_authorization(service::kRpSchemeSha256, app13.id,
                                                                                 app13.secret, method, target, body,
                                                                                 SystemClock().now_unix(), nonce)};
    if (!type.empty()) h.push_back("Content-Type: " + type);
    return http_->request(method, target, body, h);
  };
  Bytes pdf = docsign::render_pdf({{"投标函", 18, true, docsign::TextBlock::Align::kCenter},
                                   {"投标人（盖章）：南京示例物流有限公司", 12}},
                                  {"投标函", "示例招标平台"})
                  .value();
  auto doc = raw("POST", "/api/v1/rp/documents", to_string(pdf), "application/pdf");
  ASSERT_EQ(doc.status, 201) << doc.body;
  // A scene-13 request asking for an official seal: its id and QR payload.
  auto request = [&]() -> std::pair<std::string, std::string> {
    nlohmann::json body = {{"scene", "13"},
                           {"title", "投标函盖章"},
                           {"nonce", "g13-nonce-" + std::to_string(++nonces_)},
                           {"document_id", doc.json()["id"]},
                           {"placement", {{"mode", "position"}, {"page", 1}, {"x_mm", 120}, {"y_mm", 200}}},
                           {"seal_kinds", {"official"}}};
    auto c = raw("POST", "/api/v1/rp/scene-requests", body.dump(), "application/json");
    EXPECT_EQ(c.status, 201) << c.body;
    return {c.json().value("id", ""), c.json().value("qr_payload", "")};
  };
  // The attacker's way round the client: claim and prepare with the seal directly.
  auto prepare_directly = [&](const std::pair<std::string, std::string>& r) {
    const std::string token = r.second.substr(r.second.rfind('/') + 1);
    auto claim = call("POST", "/api/v1/scene-claims", emp_tok_, {{"token", token}});
    EXPECT_EQ(claim.status, 200) << claim.body;
    return call("POST", "/api/v1/scene-requests/" + r.first + "/document-preparation", emp_tok_,
                {{"seal_id", seal}, {"signing_time", SystemClock().now_unix()}});
  };
  auto rp_status_13 = [](auto& get, const std::string& id) {
    return get("GET", "/api/v1/rp/scene-requests/" + id, "", "").json().value("status", "");
  };
  auto scan13 = [&](const std::string& payload) {
    return cli(emp_dev_, {"--json", "scan", "--payload", payload, "--yes", "--seal", seal, "--preview",
                          f("g13-preview.png")},
               {emp_pin_});
  };

  // Without a seal grant: the seal is not offered, and preparing with it directly is refused.
  auto r0 = request();
  auto no_grant = scan13(r0.second);
  EXPECT_EQ(no_grant.exit_code, 3) << no_grant;
  auto r0b = request();
  auto steal = prepare_directly(r0b);
  EXPECT_EQ(steal.status, 403) << steal.body;
  EXPECT_EQ(steal.json()["code"], "seal_not_yours") << steal.body;

  // A one-use seal grant: the employee seals the PDF with the organisation's seal.
  auto sg = cli(emp_dev_, {"--json", "grant", "request", "--org", org_, "--seal", seal, "--for", "8h", "--statement",
                           "投标函盖章"});
  ASSERT_EQ(sg.exit_code, 0) << sg;
  const std::string g = sg.json()["id"];
  ASSERT_EQ(cli(admin_dev_, {"grant", "approve", g, "--org", org_, "--for", "1h", "--uses", "1"}).exit_code, 0);
  auto r1 = request();
  auto ok = scan13(r1.second);
  ASSERT_EQ(ok.exit_code, 0) << ok;
  EXPECT_EQ(read_all(f("g13-preview.png")).substr(1, 3), "PNG");
  auto v = raw("GET", "/api/v1/rp/scene-requests/" + r1.first, "", "");
  ASSERT_EQ(v.json()["status"], "completed") << v.body;
  EXPECT_EQ(v.json()["result"]["certificate_id"], cert_) << v.body;
  EXPECT_EQ(v.json()["result"]["seal_id"], seal) << v.body;
  EXPECT_EQ(v.json()["result"]["org_id"], org_) << v.body;
  auto got = raw("GET", "/api/v1/rp/documents/" + v.json()["result"]["signed_document_id"].get<std::string>(), "", "");
  ASSERT_EQ(got.status, 200);
  auto ver = raw("POST", "/api/v1/rp/document-verifications", got.body, "application/pdf");
  ASSERT_EQ(ver.status, 200) << ver.body;
  EXPECT_EQ(ver.json()["valid"], true) << ver.body;
  EXPECT_EQ(ver.json()["signatures"][0]["signer"]["certificate_id"], cert_) << ver.body;
  EXPECT_FALSE(ver.json()["signatures"][0]["seal_data"].is_null()) << ver.body;
  EXPECT_EQ(grant_view(g)["uses_made"], 1);
  EXPECT_EQ(grant_view(g)["uses_left"], 0);

  // The one use is spent: not offered as usable, and the direct preparation is refused.
  auto r2 = request();
  auto spent = scan13(r2.second);
  EXPECT_EQ(spent.exit_code, 3) << spent;
  EXPECT_NE(spent.err.find("grant_not_live"), std::string::npos) << spent;
  auto r2b = request();
  auto spent_direct = prepare_directly(r2b);
  EXPECT_EQ(spent_direct.status, 403) << spent_direct.body;
  EXPECT_EQ(spent_direct.json()["code"], "grant_not_live") << spent_direct.body;

  // A grant taken back: refused at once.
  auto sg2 = cli(emp_dev_, {"--json", "grant", "request", "--org", org_, "--seal", seal, "--for", "2h", "--statement",
                            "再次盖章"});
  ASSERT_EQ(sg2.exit_code, 0) << sg2;
  const std::string g2 = sg2.json()["id"];
  ASSERT_EQ(cli(admin_dev_, {"grant", "approve", g2, "--org", org_, "--for", "1h"}).exit_code, 0);
  ASSERT_EQ(cli(admin_dev_, {"grant", "revoke", g2, "--org", org_}).exit_code, 0);
  auto revoked = prepare_directly(request());
  EXPECT_EQ(revoked.status, 403) << revoked.body;
  EXPECT_EQ(revoked.json()["code"], "grant_not_live") << revoked.body;
  EXPECT_EQ(grant_view(g2)["uses_made"], 0);

  // Taken back between the preview and the signature: the employee (round the client) prepares
  // with a live grant, the admin takes it back, the employee signs the prepared attributes
  // through the two-party protocol and completes: refused at the count, nothing signed.
  auto sg3 = cli(emp_dev_, {"--json", "grant", "request", "--org", org_, "--seal", seal, "--for", "2h", "--statement",
                            "第三次盖章"});
  ASSERT_EQ(sg3.exit_code, 0) << sg3;
  const std::string g3 = sg3.json()["id"];
  ASSERT_EQ(cli(admin_dev_, {"grant", "approve", g3, "--org", org_, "--for", "1h"}).exit_code, 0);
  auto r3 = request();
  const std::int64_t t3 = SystemClock().now_unix();
  const std::string token3 = r3.second.substr(r3.second.rfind('/') + 1);
  ASSERT_EQ(call("POST", "/api/v1/scene-claims", emp_tok_, {{"token", token3}}).status, 200);
  auto prep3 = call("POST", "/api/v1/scene-requests/" + r3.first + "/document-preparation", emp_tok_,
                    {{"seal_id", seal}, {"signing_time", t3}});
  ASSERT_EQ(prep3.status, 200) << prep3.body;
  put(f("attrs3.der"), to_string(base64_decode(prep3.json()["signed_attributes"].get<std::string>()).value()));
  ASSERT_EQ(cli(admin_dev_, {"grant", "revoke", g3, "--org", org_}).exit_code, 0);
  auto sig3 = cli(emp_dev_, {"cert", "sign", "--cert", cert_, "--in", f("attrs3.der"), "--out", f("sig3.der"),
                             "--purpose", "scene 13 " + r3.first},
                  {emp_pin_});
  ASSERT_EQ(sig3.exit_code, 0) << sig3;
  auto done3 = call("POST", "/api/v1/scene-requests/" + r3.first + "/completion", emp_tok_,
                    {{"certificate_id", cert_},
                     {"seal_id", seal},
                     {"signing_time", t3},
                     {"signature", base64_encode(as_bytes(read_all(f("sig3.der"))))}});
  EXPECT_EQ(done3.status, 403) << done3.body;
  EXPECT_EQ(done3.json()["code"], "grant_revoked") << done3.body;
  EXPECT_NE(rp_status_13(raw, r3.first), "completed");
  EXPECT_EQ(grant_view(g3)["uses_made"], 0);
}

CERTSEAL_INSTANTIATE_API_ENGINES(GrantE2eTest);

}  // namespace
}  // namespace certseal::testing
