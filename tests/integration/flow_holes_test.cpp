// Flows that were marked done but had holes (issue 11, item 4), over HTTP against a real
// certseald on both engines, each written from the side of the one who must be refused:
// - an order for several certificates installs exactly as many as were paid for;
// - the identity a session acts as decides what it may do for an organisation;
// - the legal representative may transfer the admin role;
// - an employee applies for an organisation certificate, an admin approves, the employee
//   installs it, and whoever is the admin now manages it (the former admin no longer);
// - invoice details are given before payment and the invoice is issued only after it;
// - the liveness step: the face image reaches the verifier, which says what it checked.
#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "base/encoding.h"
#include "base/rng.h"
#include "crypto/cosign.h"
#include "crypto/password.h"
#include "crypto/unlock.h"
#include "docsign/text_render.h"
#include "support/admin_letter_fixture.h"

namespace certseal::testing {
namespace {

namespace cosign = crypto::cosign;
namespace unlock = crypto::unlock;

class FlowHolesTest : public AdminLetterApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    return {"--set", "ca.sm2o.algorithm=sm2", "--set", "ca.sm2o.sm2_id="};
  }

 protected:
  SystemRng rng_;
  std::string platform_, personal_, organisation_, org_renewal_;

  // The person asks to join; the admin (acting as such) approves. The member then acts as the
  // organisation's employee.
  void join(const std::string& admin, const std::string& admin_name, const std::string& admin_phone,
            const std::string& token, const std::string& org) {
    auto r = call("POST", "/api/v1/organisations/" + org + "/join-requests", token,
                  {{"statement", "新员工"}, {"admin_name", admin_name}, {"admin_phone", admin_phone}});
    ASSERT_EQ(r.status, 201) << r.body;
    ASSERT_EQ(call("POST", "/api/v1/tasks/" + r.json()["id"].get<std::string>() + "/approval", admin).status, 200);
    act_as(token, org);
  }
  std::string member_id(const std::string& admin, const std::string& org, const std::string& phone) {
    const auto items1 = call("GET", "/api/v1/organisations/" + org + "/members", admin).json()["items"];
    for (const auto& m : items1) {
      if (m["phone"] == phone && m["status"] == "active") return m["id"];
    }
    return "";
  }
  void catalogue() {
    auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "示例交易平台"}});
    ASSERT_EQ(p.status, 201) << p.body;
    platform_ = p.json()["id"];
    auto a = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "个人证书 SM2 1年"}, {"cert_type", "personal"}, {"algorithm", "sm2"},
                   {"validity_years", 1}, {"price_fen", 12000}, {"ca_id", "sm2o"}, {"seal_type", "handwritten"}});
    ASSERT_EQ(a.status, 201) << a.body;
    personal_ = a.json()["id"];
    auto b = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "机构证书 SM2 1年"}, {"cert_type", "organisation"},
                   {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 50000}, {"ca_id", "sm2o"},
                   {"seal_type", "official"}});
    ASSERT_EQ(b.status, 201) << b.body;
    organisation_ = b.json()["id"];
    auto r = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "renewal"}, {"name", "机构证书延期 1年"}, {"cert_type", "organisation"},
                   {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 20000}, {"ca_id", "sm2o"},
                   {"seal_type", "official"}});
    ASSERT_EQ(r.status, 201) << r.body;
    org_renewal_ = r.json()["id"];
  }
  std::string sms(const std::string& token, const std::string& phone) {
    EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
    return code_for(phone);
  }
  void sign_form_online(const std::string& token, const std::string& order) {
    using docsign::TextBlock;
    auto png = docsign::render_png({{"钱七", 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20);
    ASSERT_TRUE(png.ok());
    std::string sig = upload(token, "handwritten_signature", to_string(*png));
    auto r = call("POST", "/api/v1/orders/" + order + "/application-form/online-signature", token, {{"blob_id", sig}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  std::string status_of(const std::string& token, const std::string& order) {
    auto r = call("GET", "/api/v1/orders/" + order, token);
    return r.status == 200 ? std::string(r.json()["status"]) : "http " + std::to_string(r.status);
  }
  // Authorises (SMS), pays in the sandbox and has the operator approve the order.
  void pay_and_approve(const std::string& token, const std::string& phone, const std::string& order) {
    auto a = call("POST", "/api/v1/orders/" + order + "/authorisation", token, {{"code", sms(token, phone)}});
    ASSERT_EQ(a.status, 200) << a.body;
    auto pay = call("POST", "/api/v1/orders/" + order + "/online-payments", token, {{"gateway", "sandbox"}});
    ASSERT_EQ(pay.status, 201) << pay.body;
    std::string url = pay.json()["pay_url"];
    ASSERT_EQ(http_->request("POST", url.substr(url.find("/sandbox-pay/"))).status, 202);
    for (int i = 0; i < 100 && status_of(token, order) != "in_review"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto ap = call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_);
    ASSERT_EQ(ap.status, 200) << ap.body;
  }
  // One device's enrolment request: a fresh device half each time.
  nlohmann::json enrolment(const std::string& device_id) {
    Bytes salt = rng_.bytes(16);
    auto keys = unlock::derive("Pin#2026", salt, device_id, crypto::argon2_test_limits());
    auto start = cosign::device_keygen_start(rng_);
    return {{"device_id", device_id}, {"device_name", "手机 " + device_id},
            {"p1", base64_encode(start.request.encode())}, {"auth_key", base64_encode(keys->auth_key)},
            {"salt", base64_encode(salt)}};
  }
  HttpResponse install(const std::string& token, const std::string& order, const nlohmann::json& body) {
    return call("POST", "/api/v1/orders/" + order + "/installation", token, body);
  }
};

// Item 1: an order for three certificates installs three, each with its own key and
// certificate; the buyer's fourth try is refused; a retry of one answers the same.
TEST_P(FlowHolesTest, OrderForSeveralCertificatesInstallsExactlyThatMany) {
  catalogue();
  const std::string phone = "13912350001";
  std::string t = verified_person(phone, "张三", "11010519491231002X");
  auto o = call("POST", "/api/v1/orders", t, {{"product_id", personal_}, {"platform_id", platform_}, {"quantity", 3}});
  ASSERT_EQ(o.status, 201) << o.body;
  std::string order = o.json()["id"];
  EXPECT_EQ(o.json()["amount_fen"], 36000);
  pay_and_approve(t, phone, order);

  std::set<std::string> keys, serials;
  nlohmann::json second;
  std::string second_key;
  for (int i = 1; i <= 3; ++i) {
    SCOPED_TRACE(i);
    auto body = enrolment("device-qty-000" + std::to_string(i));
    auto r = install(t, order, body);
    ASSERT_EQ(r.status, 201) << r.body;
    keys.insert(r.json()["key_id"].get<std::string>());
    serials.insert(r.json()["certificate"]["serial"].get<std::string>());
    if (i == 2) {
      second = body;
      second_key = r.json()["key_id"];
    }
    // Not done before the last one.
    EXPECT_EQ(status_of(t, order), i < 3 ? "approved" : "done");
  }
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_EQ(serials.size(), 3u);
  // A retry of the second installation (same device, same first message) answers the same key.
  auto again = install(t, order, second);
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.json()["key_id"], second_key);
  // A fourth certificate was not paid for.
  auto fourth = install(t, order, enrolment("device-qty-0004"));
  EXPECT_EQ(fourth.status, 409) << fourth.body;
  EXPECT_EQ(fourth.json()["code"], "already_installed");
  EXPECT_EQ(call("GET", "/api/v1/account/certificates", t).json()["items"].size(), 3u);

  // A one-certificate order still installs once.
  auto one = call("POST", "/api/v1/orders", t, {{"product_id", personal_}, {"platform_id", platform_}});
  ASSERT_EQ(one.status, 201);
  std::string single = one.json()["id"];
  pay_and_approve(t, phone, single);
  ASSERT_EQ(install(t, single, enrolment("device-one-0001")).status, 201);
  EXPECT_EQ(install(t, single, enrolment("device-one-0002")).json()["code"], "already_installed");
  EXPECT_EQ(call("GET", "/api/v1/account/certificates", t).json()["items"].size(), 4u);
}

// Item 1, concurrently: eight installations fired at once at an order for two certificates keep
// exactly two (the request ids of the slots are unique), and the order is done once.
TEST_P(FlowHolesTest, ConcurrentInstallationsKeepNoMoreThanWerePaidFor) {
  catalogue();
  const std::string phone = "13912350011";
  std::string t = verified_person(phone, "张三", "11010519491231002X");
  auto o = call("POST", "/api/v1/orders", t, {{"product_id", personal_}, {"platform_id", platform_}, {"quantity", 2}});
  ASSERT_EQ(o.status, 201) << o.body;
  std::string order = o.json()["id"];
  pay_and_approve(t, phone, order);
  std::vector<nlohmann::json> bodies;
  for (int i = 0; i < 8; ++i) bodies.push_back(enrolment("device-race-000" + std::to_string(i)));
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      HttpClient client(server_->base_url());
      auto r = client.request("POST", "/api/v1/orders/" + order + "/installation", bodies[static_cast<size_t>(i)].dump(),
                              {"Content-Type: application/json", "Authorization: Bearer " + t});
      if (r.status == 201) ++created;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(created.load(), 2);
  // Whatever lost a race, the two paid-for certificates can be installed and no more.
  for (int i = 0; i < 8 && call("GET", "/api/v1/account/certificates", t).json()["items"].size() < 2; ++i) {
    install(t, order, enrolment("device-race-1" + std::to_string(i)));
  }
  const auto held = call("GET", "/api/v1/account/certificates", t).json()["items"];
  EXPECT_EQ(held.size(), 2u);
  int valid = 0;
  for (const auto& h : held) valid += h["status"] == "valid";
  EXPECT_EQ(valid, 2);
  EXPECT_EQ(status_of(t, order), "done");
  EXPECT_EQ(install(t, order, enrolment("device-race-2000")).json()["code"], "already_installed");
  int done_events = 0;
  const auto events = call("GET", "/api/v1/orders/" + order, t).json()["events"];
  for (const auto& e : events) done_events += e["to"] == "done";
  EXPECT_EQ(done_events, 1);
}

// Item 2: one account, admin of B and of C. After login it acts as the natural person (and is
// told to choose); as the person it does nothing for B; as B's admin nothing for C.
TEST_P(FlowHolesTest, SessionActsOnlyForTheOrganisationOfItsIdentity) {
  catalogue();
  const std::string phone = "13912350101";
  std::string first = verified_person(phone, "赵六", "11010519491231002X");
  std::string b = verified_org(first, "上海示例贸易有限公司", "91310115MA1K3B0020", true);
  std::string c = verified_org(first, "杭州示例网络有限公司", "91330106MA2H0D004M", true);
  // Open join requests in both organisations.
  std::string p1 = verified_person("13912350102", "钱七", "440524198001010013");
  std::string p2 = verified_person("13912350103", "孙八", "440524198001010013");
  std::string task_b = call("POST", "/api/v1/organisations/" + b + "/join-requests", p1,
                            {{"statement", "x"}, {"admin_name", "赵六"}, {"admin_phone", phone}}).json()["id"];
  std::string task_c = call("POST", "/api/v1/organisations/" + c + "/join-requests", p2,
                            {{"statement", "x"}, {"admin_name", "赵六"}, {"admin_phone", phone}}).json()["id"];

  // A new login with several identities: acting as the person, asked to choose.
  ASSERT_EQ(request_code(phone, "login").status, 202);
  auto li = login(phone, code_for(phone), "Str0ng!pw");
  ASSERT_EQ(li.status, 201) << li.body;
  EXPECT_TRUE(li.json()["identity_choice_required"].get<bool>());
  std::string s = li.json()["token"];
  std::string person_identity = li.json()["account"]["current_identity_id"];
  bool is_person = false;
  const auto items2 = call("GET", "/api/v1/identities", s).json()["items"];
  for (const auto& i : items2) {
    if (i["id"] == person_identity) is_person = i["kind"] == "person";
  }
  EXPECT_TRUE(is_person) << li.body;

  struct Ep {
    const char* method;
    std::string path;
    nlohmann::json body;
  };
  auto admin_pages = [&](const std::string& org, const std::string& task) {
    return std::vector<Ep>{
        {"GET", "/api/v1/organisations/" + org + "/members", nullptr},
        {"POST", "/api/v1/organisations/" + org + "/invitations", {{"phone", "13912350199"}}},
        {"PATCH", "/api/v1/organisations/" + org, {{"address", "不应写入"}}},
        {"GET", "/api/v1/organisations/" + org + "/change-requests", nullptr},
        {"GET", "/api/v1/organisations/" + org + "/orders", nullptr},
        {"GET", "/api/v1/organisations/" + org + "/certificates", nullptr},
        {"POST", "/api/v1/tasks/" + task + "/approval", nullptr},
        {"POST", "/api/v1/orders", {{"product_id", organisation_}, {"platform_id", platform_}, {"org_id", org}}},
    };
  };
  auto all_refused = [&](const std::vector<Ep>& eps, const std::string& who) {
    for (const auto& e : eps) {
      SCOPED_TRACE(who + ": " + e.method + " " + e.path);
      auto r = call(e.method, e.path, s, e.body);
      EXPECT_EQ(r.status, 403) << r.body;
      EXPECT_EQ(r.json()["code"], "wrong_identity");
    }
  };
  // As the natural person: none of B's or C's admin pages; the task list shows nothing.
  all_refused(admin_pages(b, task_b), "person");
  all_refused(admin_pages(c, task_c), "person");
  EXPECT_EQ(call("GET", "/api/v1/tasks?status=open", s).json()["items"].size(), 0u);

  // As B's admin: B's pages, B's task only; nothing for C.
  ASSERT_FALSE(act_as(s, b, "admin").empty());
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + b + "/members", s).status, 200);
  auto tasks = call("GET", "/api/v1/tasks?status=open", s).json()["items"];
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["id"], task_b);
  all_refused(admin_pages(c, task_c), "admin of B");

  // As C's admin: the reverse.
  ASSERT_FALSE(act_as(s, c, "admin").empty());
  all_refused(admin_pages(b, task_b), "admin of C");
  EXPECT_EQ(call("POST", "/api/v1/tasks/" + task_c + "/approval", s).status, 200);

  // Nothing the refused calls tried happened.
  act_as(s, b, "admin");
  EXPECT_TRUE(call("GET", "/api/v1/organisations/" + b, s).json()["address"].is_null());
  EXPECT_EQ(call("GET", "/api/v1/tasks?status=open", s).json()["items"].size(), 1u);  // B's is still open
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + b + "/orders", s).json()["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/invitations", register_person("13912350199", "Str0ng!pw")).json()["items"].size(), 0u);
  // An identity of another account cannot be chosen.
  std::string other_identity = call("GET", "/api/v1/identities", p1).json()["items"][0]["id"];
  EXPECT_EQ(call("PUT", "/api/v1/sessions/current/identity", s, {{"identity_id", other_identity}}).status, 404);
}

// Item 4: the legal representative (who is not the admin) transfers the admin role; an
// employee, and the legal representative acting as the person, cannot.
TEST_P(FlowHolesTest, LegalRepresentativeTransfersTheAdminRole) {
  const std::string rep_phone = "13912350201";
  std::string rep = verified_person(rep_phone, "周九", "11010519491231002X");
  std::string org = verified_org(rep, "广州示例制造有限公司", "91440300MA5F0C0037", true);
  std::string e1 = verified_person("13912350202", "吴十", "440524198001010013");
  std::string e2 = verified_person("13912350203", "郑一", "440524198001010013");
  join(rep, "周九", rep_phone, e1, org);
  join(rep, "周九", rep_phone, e2, org);
  // The creator hands the admin role to e1 and keeps the legal representative's.
  // Each transfer through the letter the caller signs (授权委托书).
  const LetterKey rep_key = letter_key(rep, rep_phone);
  ASSERT_EQ(transfer_admin_signed(rep, rep_key, org, member_id(rep, org, "13912350202")).status, 200);
  ASSERT_FALSE(act_as(rep, org, "legal_representative").empty());
  const std::string e2_member = member_id(rep, org, "13912350203");
  ASSERT_FALSE(e2_member.empty());

  // An employee cannot; the legal representative acting as the person cannot.
  const std::string letters = "/api/v1/organisations/" + org + "/admin-transfer-letters";
  EXPECT_EQ(call("POST", letters, e2, {{"member_id", e2_member}, {"certificate_id", rep_key.cert_id}}).status, 403);
  act_as(rep, "");
  EXPECT_EQ(call("POST", letters, rep, {{"member_id", e2_member}, {"certificate_id", rep_key.cert_id}}).json()["code"],
            "wrong_identity");

  // The legal representative, acting as such, transfers it from e1 to e2.
  act_as(rep, org, "legal_representative");
  auto tr = transfer_admin_signed(rep, rep_key, org, e2_member);
  ASSERT_EQ(tr.status, 200) << tr.body;
  EXPECT_EQ(tr.json()["new_admin"]["role"], "admin");
  EXPECT_EQ(tr.json()["letter"]["signer_role"], "legal_representative");
  int admins = 0;
  std::string e1_role;
  const auto items3 = call("GET", "/api/v1/organisations/" + org + "/members", rep).json()["items"];
  for (const auto& m : items3) {
    if (m["status"] != "active") continue;
    admins += m["role"] == "admin";
    if (m["phone"] == "13912350202") e1_role = m["role"];
  }
  EXPECT_EQ(admins, 1);
  EXPECT_EQ(e1_role, "employee");  // the former admin
  // e1's identity followed: acting on it, the admin pages are closed; e2's opened.
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org + "/members", e1).status, 403);
  act_as(e2, org);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org + "/members", e2).status, 200);
}

// Items 7 and 5: an employee applies for an organisation certificate; it cannot be authorised
// before an admin approves; the employee installs it (the organisation's subject); the admin
// manages it; after an admin transfer the new admin manages it and the former admin cannot. The
// admin renews it only with a renewal package bought for the organisation (review M3), which
// nobody else can buy for that certificate or spend.
TEST_P(FlowHolesTest, EmployeeAppliesAdminApprovesInstallsAndTheCurrentAdminManages) {
  catalogue();
  const std::string admin_phone = "13912350301", emp_phone = "13912350302", heir_phone = "13912350303";
  std::string admin = verified_person(admin_phone, "孔一", "11010519491231002X");
  // The creator is not the legal representative: the admin role is all they hold.
  std::string org = verified_org(admin, "南京示例物流有限公司", "91110108MA01A0001D", false);
  std::string emp = verified_person(emp_phone, "曹二", "440524198001010013");
  std::string heir = verified_person(heir_phone, "严三", "440524198001010013");
  join(admin, "孔一", admin_phone, emp, org);
  join(admin, "孔一", admin_phone, heir, org);

  // The employee applies, as the organisation's employee.
  act_as(emp, "");
  EXPECT_EQ(call("POST", "/api/v1/orders", emp, {{"product_id", organisation_}, {"platform_id", platform_}, {"org_id", org}})
                .json()["code"], "wrong_identity");
  act_as(emp, org);
  auto o = call("POST", "/api/v1/orders", emp, {{"product_id", organisation_}, {"platform_id", platform_}, {"org_id", org}});
  ASSERT_EQ(o.status, 201) << o.body;
  std::string order = o.json()["id"];
  EXPECT_EQ(o.json()["applicant_role"], "employee");
  EXPECT_EQ(o.json()["org_approval"], "pending");
  sign_form_online(emp, order);
  // Not before an admin approved.
  auto early = call("POST", "/api/v1/orders/" + order + "/authorisation", emp, {{"code", sms(emp, emp_phone)}});
  EXPECT_EQ(early.status, 409) << early.body;
  EXPECT_EQ(early.json()["code"], "org_approval_pending");
  // Nobody but an admin identity of the organisation approves.
  const std::string approval = "/api/v1/organisations/" + org + "/orders/" + order + "/approval";
  EXPECT_EQ(call("POST", approval, emp).status, 403);
  EXPECT_EQ(call("POST", approval, heir).status, 403);
  act_as(admin, "");
  EXPECT_EQ(call("POST", approval, admin).json()["code"], "wrong_identity");
  act_as(admin, org);
  auto listed = call("GET", "/api/v1/organisations/" + org + "/orders", admin).json()["items"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["id"], order);
  EXPECT_EQ(status_of(emp, order), "created");
  auto ok = call("POST", approval, admin);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["org_approval"], "approved");
  EXPECT_EQ(call("GET", "/api/v1/notifications", emp).json()["items"][0]["kind"], "org_application_approved");

  // The employee pays; the operator approves; the employee installs: the organisation's subject.
  pay_and_approve(emp, emp_phone, order);
  auto inst = install(emp, order, enrolment("device-org-0001"));
  ASSERT_EQ(inst.status, 201) << inst.body;
  EXPECT_EQ(status_of(emp, order), "done");
  const std::string cert = inst.json()["certificate"]["id"];
  const std::string subject = inst.json()["certificate"]["subject"];
  EXPECT_NE(subject.find("南京示例物流有限公司"), std::string::npos) << subject;
  {
    // The organisation certificate passes `openssl verify` under its CA's chain.
    std::ofstream(dir_.path() + "/org-leaf.pem") << std::string(inst.json()["certificate"]["certificate_pem"]);
    std::ofstream(dir_.path() + "/chain.pem") << http_->get("/ca/sm2o/chain.pem").body;
    std::string out = run_command("openssl verify -CAfile " + dir_.path() + "/chain.pem " + dir_.path() + "/org-leaf.pem 2>&1");
    EXPECT_NE(out.find(": OK"), std::string::npos) << out;
  }
  // The admin's own organisation order needs no approval.
  auto own = call("POST", "/api/v1/orders", admin, {{"product_id", organisation_}, {"platform_id", platform_}, {"org_id", org}});
  ASSERT_EQ(own.status, 201) << own.body;
  EXPECT_EQ(own.json()["org_approval"], "not_needed");
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/orders/" + own.json()["id"].get<std::string>() + "/approval", admin)
                .json()["code"], "org_approval_not_needed");

  // The admin manages it: list, details, usage records.
  const std::string base = "/api/v1/organisations/" + org + "/certificates";
  auto list = call("GET", base, admin);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.json()["items"].size(), 1u);
  EXPECT_EQ(list.json()["items"][0]["id"], cert);
  auto details = call("GET", base + "/" + cert, admin);
  ASSERT_EQ(details.status, 200) << details.body;
  EXPECT_FALSE(details.json()["certificate"]["certificate_pem"].get<std::string>().empty());
  auto usage = call("GET", base + "/" + cert + "/events", admin);
  ASSERT_EQ(usage.status, 200) << usage.body;
  ASSERT_GE(usage.json()["items"].size(), 1u);
  EXPECT_EQ(usage.json()["items"].back()["operation"], "install");
  // The employee who holds it does not manage the organisation's certificates.
  EXPECT_EQ(call("GET", base, emp).status, 403);

  // The admin role moves to heir. The former admin no longer manages anything; heir does.
  const LetterKey admin_key = letter_key(admin, admin_phone);
  ASSERT_EQ(transfer_admin_signed(admin, admin_key, org, member_id(admin, org, heir_phone)).status, 200);
  act_as(heir, org);
  const std::vector<std::pair<std::string, std::string>> former_tries = {
      {"GET", base}, {"GET", base + "/" + cert}, {"GET", base + "/" + cert + "/events"},
      {"POST", base + "/" + cert + "/renewals"}, {"POST", base + "/" + cert + "/revocations"}};
  for (const auto& id : {std::string(""), org}) {
    act_as(admin, id);  // whichever identity the former admin acts as
    for (const auto& [method, path] : former_tries) {
      SCOPED_TRACE("former admin as " + (id.empty() ? std::string("person") : "employee") + ": " + method + " " + path);
      nlohmann::json body = nullptr;
      if (method == "POST") body = {{"request_id", "former-1"}, {"code", sms(admin, admin_phone)}};
      EXPECT_EQ(call(method, path, admin, body).status, 403);
    }
  }
  EXPECT_EQ(call("GET", base + "/" + cert, heir).json()["status"], "valid");  // nothing happened

  // Renewal is bought (review M3), by the admin too: without a renewal order it is refused.
  auto unpaid = call("POST", base + "/" + cert + "/renewals", heir, {{"request_id", "heir-renew-0"}});
  EXPECT_EQ(unpaid.status, 409) << unpaid.body;
  EXPECT_EQ(unpaid.json()["code"], "renewal_order_required");
  // Only the organisation's admin buys a renewal package for a certificate someone else holds: the
  // former admin (now an employee) finds no such certificate.
  act_as(admin, org);
  auto stranger = call("POST", "/api/v1/orders", admin,
                       {{"product_id", org_renewal_}, {"org_id", org}, {"certificate_id", cert}});
  EXPECT_EQ(stranger.status, 404) << stranger.body;
  EXPECT_EQ(stranger.json()["code"], "certificate_not_found");
  // The new admin, acting for the organisation, buys one for the organisation's certificate.
  auto pkg = call("POST", "/api/v1/orders", heir, {{"product_id", org_renewal_}, {"org_id", org}, {"certificate_id", cert}});
  ASSERT_EQ(pkg.status, 201) << pkg.body;
  const std::string renewal = pkg.json()["id"];
  EXPECT_EQ(pkg.json()["org_approval"], "not_needed");
  sign_form_online(heir, renewal);
  pay_and_approve(heir, heir_phone, renewal);
  // The holder cannot spend the admin's order on their own renewal endpoint.
  auto holders = call("POST", "/api/v1/account/certificates/" + cert + "/renewals", emp,
                      {{"request_id", "emp-renew-1"}, {"order_id", renewal}});
  EXPECT_EQ(holders.status, 404) << holders.body;
  EXPECT_EQ(status_of(heir, renewal), "approved");
  // The new admin renews it with the order (the successor stays with the holder) and revokes it
  // with an SMS code.
  auto renewed = call("POST", base + "/" + cert + "/renewals", heir, {{"request_id", "heir-renew-1"}, {"order_id", renewal}});
  ASSERT_EQ(renewed.status, 201) << renewed.body;
  EXPECT_EQ(status_of(heir, renewal), "done");
  const std::string next = renewed.json()["certificate"]["id"];
  EXPECT_NE(next, cert);
  EXPECT_EQ(call("POST", base + "/" + next + "/revocations", heir, {{"request_id", "r1"}, {"code", "000000"}}).status, 400);
  auto revoked = call("POST", base + "/" + next + "/revocations", heir,
                      {{"request_id", "heir-revoke-1"}, {"code", sms(heir, heir_phone)}, {"reason", "keyCompromise"}});
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(revoked.json()["certificate"]["status"], "revoked");
  // The holder sees it, and is told.
  bool holder_sees = false;
  const auto items4 = call("GET", "/api/v1/account/certificates", emp).json()["items"];
  for (const auto& h : items4) {
    if (h["id"] == next) holder_sees = h["status"] == "revoked";
  }
  EXPECT_TRUE(holder_sees);
  EXPECT_EQ(call("GET", "/api/v1/notifications", emp).json()["items"][0]["kind"], "certificate_revoked_by_admin");
  // A certificate of another organisation (or a personal one) is not found here.
  EXPECT_EQ(call("GET", base + "/not-a-certificate", heir).status, 404);
}

// Item 6: invoice details are given before payment (and may be corrected until then); the
// operator sees and issues the invoice only after payment.
TEST_P(FlowHolesTest, InvoiceDetailsBeforePaymentIssuedOnlyAfterIt) {
  catalogue();
  const std::string phone = "13912350401";
  std::string t = verified_person(phone, "张三", "11010519491231002X");
  auto o = call("POST", "/api/v1/orders", t, {{"product_id", personal_}, {"platform_id", platform_}});
  ASSERT_EQ(o.status, 201);
  std::string order = o.json()["id"];
  auto first = call("POST", "/api/v1/orders/" + order + "/invoice", t, {{"title_type", "personal"}, {"title_name", "张三"}});
  ASSERT_EQ(first.status, 201) << first.body;
  std::string inv = first.json()["id"];
  auto fixed = call("POST", "/api/v1/orders/" + order + "/invoice", t,
                    {{"title_type", "company"}, {"title_name", "广州示例制造有限公司"}, {"tax_number", "91440300MA5F0C0037"}});
  ASSERT_EQ(fixed.status, 201) << fixed.body;
  EXPECT_EQ(fixed.json()["id"], inv);
  EXPECT_EQ(fixed.json()["title_type"], "company");
  // Before payment the operator neither sees nor issues it.
  EXPECT_EQ(call("GET", "/api/v1/operator/invoices?status=requested", operator_token_).json()["items"].size(), 0u);
  auto too_early = call("POST", "/api/v1/operator/invoices/" + inv + "/issuance", operator_token_);
  EXPECT_EQ(too_early.status, 409);
  EXPECT_EQ(too_early.json()["code"], "order_not_paid");

  pay_and_approve(t, phone, order);
  // After payment the details are fixed (asked again only after a failure).
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/invoice", t, {{"title_type", "personal"}, {"title_name", "李四"}})
                .json()["code"], "invoice_exists");
  auto queue = call("GET", "/api/v1/operator/invoices?status=requested", operator_token_).json()["items"];
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0]["id"], inv);
  auto issued = call("POST", "/api/v1/operator/invoices/" + inv + "/issuance", operator_token_);
  ASSERT_EQ(issued.status, 200) << issued.body;
  EXPECT_EQ(issued.json()["title_name"], "广州示例制造有限公司");

  // An order closed without payment takes no invoice details.
  auto o2 = call("POST", "/api/v1/orders", t, {{"product_id", personal_}, {"platform_id", platform_}});
  std::string closed = o2.json()["id"];
  ASSERT_EQ(call("POST", "/api/v1/orders/" + closed + "/cancellation", t).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/orders/" + closed + "/invoice", t, {{"title_type", "personal"}, {"title_name", "张三"}})
                .json()["code"], "order_closed");
}

// Item 3: the liveness step's face image reaches the verifier; the development verifier says it
// compared nothing; someone else's upload, or another kind of upload, is refused.
TEST_P(FlowHolesTest, FaceImageReachesTheVerifierWhichSaysWhatItChecked) {
  const std::string phone = "13912350501";
  std::string t = register_person(phone, "Str0ng!pw");
  std::string other = register_person("13912350502", "Str0ng!pw");
  std::string front = upload(t, "id_card_front"), back = upload(t, "id_card_back");
  std::string theirs = upload(other, "face_image");
  std::string face = upload(t, "face_image");
  nlohmann::json body = {{"agreement_version", 1}, {"name", "张三"}, {"id_number", "11010519491231002X"},
                         {"id_card_front", front}, {"id_card_back", back}};
  for (const auto& bad : {theirs, front}) {
    body["face_image"] = bad;
    call("POST", "/api/v1/account/sms-codes", t, {{"purpose", "verify_person"}});
    body["code"] = code_for(phone);
    auto r = call("POST", "/api/v1/person-verifications", t, body);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["code"], "bad_upload");
  }
  EXPECT_EQ(call("GET", "/api/v1/person-verifications/current", t).status, 404);  // nothing stored

  body["face_image"] = face;
  call("POST", "/api/v1/account/sms-codes", t, {{"purpose", "verify_person"}});
  body["code"] = code_for(phone);
  auto r = call("POST", "/api/v1/person-verifications", t, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["verified_by"], "dev");
  EXPECT_NE(r.json()["liveness_note"].get<std::string>().find("not compared"), std::string::npos) << r.body;
  // The operator sees which face image was given.
  auto op = call("GET", "/api/v1/operator/person-verifications/" + r.json()["id"].get<std::string>(), operator_token_);
  ASSERT_EQ(op.status, 200) << op.body;
  EXPECT_EQ(op.json()["face_image"], face);
  EXPECT_EQ(call("GET", "/api/v1/operator/blobs/" + face, operator_token_).status, 200);
}

CERTSEAL_INSTANTIATE_API_ENGINES(FlowHolesTest);

}  // namespace
}  // namespace certseal::testing
