// SPEC §4 organisations over HTTP against a real certseald on both engines: create and verify
// (letter PDF checked by qpdf and pdftotext, licence OCR, bank check, review), join and to-do
// tasks, members, invitations, removal, admin transfer, changing information, leaving; and the
// authorisation matrix from the side of everyone who must be refused.
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "base/encoding.h"
#include "docsign/text_render.h"
#include "support/admin_letter_fixture.h"

namespace certseal::testing {
namespace {

std::string licence_png(const std::string& name, const std::string& code, const std::string& rep) {
  using docsign::TextBlock;
  auto png = docsign::render_png({{"营业执照", 40, true, TextBlock::Align::kCenter, 30},
                                  {"统一社会信用代码  " + code, 26, false, TextBlock::Align::kLeft, 24},
                                  {"名称  " + name, 26, false, TextBlock::Align::kLeft, 24},
                                  {"类型  有限责任公司", 26, false, TextBlock::Align::kLeft, 24},
                                  {"法定代表人  " + rep, 26, false, TextBlock::Align::kLeft, 24}},
                                 1400, 600, 60);
  return png.ok() ? to_string(*png) : std::string();
}

class OrgApiTest : public AdminLetterApiTest {
 protected:
  std::string member_id_of(const std::string& admin, const std::string& org, const std::string& phone) {
    const auto list1 = call("GET", "/api/v1/organisations/" + org + "/members", admin).json()["items"];
    for (const auto& m : list1) {
      if (m["phone"] == phone && m["status"] == "active") return m["id"];
    }
    return "";
  }
  std::string join(const std::string& admin, const std::string& token, const std::string& org,
                   const std::string& admin_name, const std::string& admin_phone) {
    auto r = call("POST", "/api/v1/organisations/" + org + "/join-requests", token,
                  {{"statement", "我是新员工 (new colleague)"}, {"admin_name", admin_name}, {"admin_phone", admin_phone}});
    EXPECT_EQ(r.status, 201) << r.body;
    std::string task = r.json()["id"];
    EXPECT_EQ(call("POST", "/api/v1/tasks/" + task + "/approval", admin).status, 200);
    return task;
  }
};

TEST_P(OrgApiTest, CreateAndVerifyWithLetterOcrBankCheckAndReview) {
  const std::string phone = "13900000301";
  std::string t = verified_person(phone, "李四", "440524198001010013");
  const std::string name = "北京示例科技有限公司", code = "91110108MA01A0001D";

  auto old = call("POST", "/api/v1/organisations", t,
                  {{"name", name}, {"credit_code", code}, {"creator_is_legal_rep", false}, {"agreement_version", 0}});
  EXPECT_EQ(old.json()["code"], "agreement_outdated");
  auto bad = call("POST", "/api/v1/organisations", t,
                  {{"name", name}, {"credit_code", "91110108MA01A0001E"}, {"creator_is_legal_rep", false},
                   {"agreement_version", 1}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["code"], "invalid_credit_code_check_digit");
  auto c = call("POST", "/api/v1/organisations", t,
                {{"name", name}, {"credit_code", code}, {"creator_is_legal_rep", false}, {"agreement_version", 1}});
  ASSERT_EQ(c.status, 201) << c.body;
  std::string org = c.json()["id"];
  EXPECT_EQ(c.json()["status"], "draft");

  // The authorisation letter: a real PDF with the organisation's and the creator's data.
  auto letter = call("GET", "/api/v1/organisations/" + org + "/authorisation-letter", t);
  ASSERT_EQ(letter.status, 200);
  EXPECT_EQ(letter.header("content-type"), "application/pdf");
  std::string pdf_path = dir_.path() + "/letter.pdf";
  {
    FILE* f = fopen(pdf_path.c_str(), "wb");
    fwrite(letter.body.data(), 1, letter.body.size(), f);
    fclose(f);
  }
  EXPECT_NE(run_command("qpdf --check " + pdf_path + " 2>&1").find("No syntax or stream encoding errors"), std::string::npos);
  std::string text = run_command("pdftotext -enc UTF-8 " + pdf_path + " - 2>&1");
  EXPECT_NE(text.find(name), std::string::npos) << text;
  EXPECT_NE(text.find(code), std::string::npos);
  EXPECT_NE(text.find("李四"), std::string::npos);
  EXPECT_NE(text.find("440524198001010013"), std::string::npos);

  // Licence with OCR pre-fill.
  auto lic = upload_blob(t, "licence", licence_png(name, code, "王五"), "image/png");
  ASSERT_EQ(lic.status, 201) << lic.body;
  auto withocr = call("PUT", "/api/v1/organisations/" + org + "/licence", t, {{"blob_id", lic.json()["id"]}});
  ASSERT_EQ(withocr.status, 200) << withocr.body;
  EXPECT_EQ(withocr.json()["licence_ocr"]["name"], name);
  EXPECT_EQ(withocr.json()["licence_ocr"]["credit_code"], code);
  EXPECT_EQ(withocr.json()["licence_ocr"]["legal_representative"], "王五");

  // Legal representative, the signed letter, the bank account.
  auto bad_rep = call("PATCH", "/api/v1/organisations/" + org, t,
                      {{"legal_representative", {{"name", "王五"}, {"id_number", "110105194912310021"}, {"phone", "13900000399"}}}});
  EXPECT_EQ(bad_rep.json()["errors"][0]["field"], "legal_representative.id_number");
  std::string signed_letter = upload(t, "authorisation_letter", letter.body, "application/pdf");
  auto p = call("PATCH", "/api/v1/organisations/" + org, t,
                {{"legal_representative", {{"name", "王五"}, {"id_number", "11010519491231002X"}, {"phone", "13900000399"}}},
                 {"letter_blob_id", signed_letter},
                 {"bank", {{"bank_name", "中国工商银行北京分行"}, {"account", "0200001234567890123"}, {"account_name", name}}}});
  ASSERT_EQ(p.status, 200) << p.body;

  auto early = call("POST", "/api/v1/organisations/" + org + "/submission", t);
  EXPECT_EQ(early.status, 409);
  EXPECT_EQ(early.json()["code"], "application_incomplete");
  EXPECT_EQ(early.json()["errors"][0]["field"], "bank");

  // Bank check: wrong amounts count; three fail the check; a new transfer starts again.
  ASSERT_EQ(call("POST", "/api/v1/organisations/" + org + "/bank-transfers", t).status, 202);
  int amount = call("GET", "/api/v1/operator/organisations/" + org + "/bank-transfers", operator_token_)
                   .json()["items"][0]["amount_fen"];
  EXPECT_GE(amount, 1);
  EXPECT_LE(amount, 99);
  int wrong = amount == 1 ? 2 : 1;
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/bank-verification", t, {{"amount_fen", wrong}}).json()["code"], "wrong_amount");
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/bank-verification", t, {{"amount_fen", wrong}}).json()["code"], "wrong_amount");
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/bank-verification", t, {{"amount_fen", wrong}}).json()["code"], "bank_check_failed");
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/bank-verification", t, {{"amount_fen", amount}}).json()["code"], "no_transfer_pending");
  confirm_bank(t, org);

  auto sub = call("POST", "/api/v1/organisations/" + org + "/submission", t);
  ASSERT_EQ(sub.status, 200) << sub.body;
  EXPECT_EQ(sub.json()["status"], "submitted");
  EXPECT_EQ(call("PATCH", "/api/v1/organisations/" + org, t, {{"name", "改名"}}).json()["code"], "field_not_changeable");

  // Review: reject with a reason (the creator is told by SMS), correct, approve.
  EXPECT_EQ(call("POST", "/api/v1/operator/organisations/" + org + "/rejection", operator_token_, {{"reason", ""}}).status, 400);
  ASSERT_EQ(call("POST", "/api/v1/operator/organisations/" + org + "/rejection", operator_token_,
                 {{"reason", "授权委托书未盖章"}}).status, 200);
  auto outbox = call("GET", "/api/v1/operator/sms-outbox?limit=1&phone=" + phone, operator_token_).json()["items"][0];
  EXPECT_EQ(outbox["template"], "org_rejected");
  EXPECT_NE(outbox["text"].get<std::string>().find("授权委托书未盖章"), std::string::npos);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org, t).json()["reason"], "授权委托书未盖章");
  ASSERT_EQ(call("PATCH", "/api/v1/organisations/" + org, t, {{"letter_blob_id", signed_letter}}).status, 200);
  ASSERT_EQ(call("POST", "/api/v1/organisations/" + org + "/submission", t).status, 200);
  auto ok = call("POST", "/api/v1/operator/organisations/" + org + "/approval", operator_token_);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["status"], "verified");
  bool admin = false;
  const auto ids = call("GET", "/api/v1/identities", t).json()["items"];
  for (const auto& i : ids) admin |= i["kind"] == "admin" && i["org_id"] == org;
  EXPECT_TRUE(admin);

  // Found by name and by code; a second application for the same code is refused.
  EXPECT_EQ(http_->request("GET", "/api/v1/organisations?name=%E7%A4%BA%E4%BE%8B", {}, {"Authorization: Bearer " + t})
                .json()["items"][0]["id"], org);
  EXPECT_EQ(call("GET", "/api/v1/organisations?credit_code=" + code, t).json()["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/organisations?credit_code=BAD", t).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/organisations", t, {{"name", name}, {"credit_code", code}, {"creator_is_legal_rep", true},
                                                      {"agreement_version", 1}}).json()["code"], "org_exists");
}

TEST_P(OrgApiTest, MembershipJoinTasksInvitationsRemovalTransferLeave) {
  const std::string admin_phone = "13900000311";
  std::string admin = verified_person(admin_phone, "赵六", "11010519491231002X");
  std::string org = verified_org(admin, "上海示例贸易有限公司", "91310115MA1K3B0020");
  // The creator is the legal representative: two identities, admin and legal representative.
  int kinds = 0;
  const auto list2 = call("GET", "/api/v1/identities", admin).json()["items"];
  for (const auto& i : list2) {
    kinds += i["kind"] == "admin" || i["kind"] == "legal_representative";
  }
  EXPECT_EQ(kinds, 2);

  // Join: the admin's name and phone must match.
  std::string emp = verified_person("13900000312", "钱七", "440524198001010013");
  auto mismatch = call("POST", "/api/v1/organisations/" + org + "/join-requests", emp,
                       {{"statement", "hi"}, {"admin_name", "别人"}, {"admin_phone", admin_phone}});
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(mismatch.json()["code"], "admin_mismatch");
  auto req = call("POST", "/api/v1/organisations/" + org + "/join-requests", emp,
                  {{"statement", "我是财务部新员工"}, {"admin_name", "赵六"}, {"admin_phone", admin_phone}});
  ASSERT_EQ(req.status, 201) << req.body;
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/join-requests", emp,
                 {{"statement", "again"}, {"admin_name", "赵六"}, {"admin_phone", admin_phone}}).json()["code"], "join_request_pending");
  auto tasks = call("GET", "/api/v1/tasks?status=open", admin).json()["items"];
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0]["requester"]["name"], "钱七");
  EXPECT_EQ(call("POST", "/api/v1/tasks/" + tasks[0]["id"].get<std::string>() + "/refusal", admin, {{"reason", ""}}).status, 400);
  ASSERT_EQ(call("POST", "/api/v1/tasks/" + tasks[0]["id"].get<std::string>() + "/approval", admin).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/tasks/" + tasks[0]["id"].get<std::string>() + "/approval", admin).status, 409);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org, emp).status, 200);  // the employee sees it now

  // A refused join request, with its reason sent to the requester.
  std::string other = verified_person("13900000313", "孙八", "440524198001010013");
  auto r2 = call("POST", "/api/v1/organisations/" + org + "/join-requests", other,
                 {{"statement", "x"}, {"admin_name", "赵六"}, {"admin_phone", admin_phone}});
  ASSERT_EQ(r2.status, 201);
  ASSERT_EQ(call("POST", "/api/v1/tasks/" + r2.json()["id"].get<std::string>() + "/refusal", admin,
                 {{"reason", "不是本单位员工"}}).status, 200);
  auto note = call("GET", "/api/v1/operator/sms-outbox?limit=1&phone=13900000313", operator_token_).json()["items"][0];
  EXPECT_EQ(note["template"], "join_refused");

  // Invite by phone; the invitee accepts after logging in.
  std::string guest = register_person("13900000314", "Str0ng!pw");
  ASSERT_EQ(call("POST", "/api/v1/organisations/" + org + "/invitations", admin, {{"phone", "13900000314"}}).status, 201);
  auto invs = call("GET", "/api/v1/invitations", guest).json()["items"];
  ASSERT_EQ(invs.size(), 1u);
  ASSERT_EQ(call("POST", "/api/v1/invitations/" + invs[0]["id"].get<std::string>() + "/acceptance", guest).status, 200);
  auto members = call("GET", "/api/v1/organisations/" + org + "/members", admin).json()["items"];
  EXPECT_EQ(members.size(), 4u) << members.dump();  // admin + legal rep memberships, employee, invitee

  // Remove the invitee: they lose access at once.
  std::string guest_member = member_id_of(admin, org, "13900000314");
  ASSERT_EQ(call("DELETE", "/api/v1/organisations/" + org + "/members/" + guest_member, admin).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org, guest).status, 403);

  // Change information (admin only).
  EXPECT_EQ(call("PATCH", "/api/v1/organisations/" + org, admin, {{"address", "上海市浦东新区世纪大道1号"}}).status, 200);
  EXPECT_EQ(call("PATCH", "/api/v1/organisations/" + org, emp, {{"address", "x"}}).status, 403);

  // Transfer the admin role to the employee.
  std::string emp_member = member_id_of(admin, org, "13900000312");
  // Only through the letter the admin signs (授权委托书): drawn, signed with the admin's
  // certificate through the two-party protocol; the roles change with the signature.
  const LetterKey admin_key = letter_key(admin, admin_phone);
  auto tr = transfer_admin_signed(admin, admin_key, org, emp_member);
  ASSERT_EQ(tr.status, 200) << tr.body;
  EXPECT_EQ(tr.json()["new_admin"]["role"], "admin");
  EXPECT_EQ(tr.json()["letter"]["status"], "signed");
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org + "/members", emp).json()["code"], "wrong_identity");
  act_as(emp, org);  // the new admin acts as such
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org + "/members", emp).status, 200);
  // The legal representative keeps admin powers (SPEC §1); the former admin membership is employee now.
  bool former_is_employee = false;
  const auto list3 = call("GET", "/api/v1/organisations/" + org + "/members", emp).json()["items"];
  for (const auto& m : list3) {
    if (m["phone"] == admin_phone && m["role"] == "employee") former_is_employee = true;
  }
  EXPECT_TRUE(former_is_employee);

  // Leaving: an employee identity can be ended by its owner; an admin must transfer first.
  std::string emp_identity;
  const auto list4 = call("GET", "/api/v1/identities", emp).json()["items"];
  for (const auto& i : list4) {
    if (i["org_id"] == org) emp_identity = i["id"];
  }
  EXPECT_EQ(call("DELETE", "/api/v1/identities/" + emp_identity, emp).json()["code"], "admin_cannot_leave");
  // ... and an admin cannot deregister before handing the role on.
  call("POST", "/api/v1/account/sms-codes", emp, {{"purpose", "deregister"}});
  EXPECT_EQ(call("POST", "/api/v1/account/deregistration", emp, {{"code", code_for("13900000312")}}).json()["code"],
            "admin_must_transfer");
}

TEST_P(OrgApiTest, RegisteredDataChangesThroughReview) {
  const std::string admin_phone = "13900000341";
  std::string admin = verified_person(admin_phone, "孔一", "11010519491231002X");
  std::string org = verified_org(admin, "南京示例物流有限公司", "91110108MA01A0001D");
  std::string employee = verified_person("13900000342", "曹二", "440524198001010013");
  join(admin, employee, org, "孔一", admin_phone);

  // Editing registered data directly is refused once verified, and says where to go instead.
  auto direct = call("PATCH", "/api/v1/organisations/" + org, admin, {{"name", "新名称有限公司"}});
  EXPECT_EQ(direct.json()["code"], "field_not_changeable");
  EXPECT_NE(direct.json()["detail"].get<std::string>().find("change-requests"), std::string::npos);

  // A new name needs the new licence; only admins may ask; one request at a time.
  auto no_licence = call("POST", "/api/v1/organisations/" + org + "/change-requests", admin, {{"name", "南京新名物流有限公司"}});
  EXPECT_EQ(no_licence.json()["code"], "licence_required");
  std::string licence = upload(admin, "licence", kPng, "image/png");
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/change-requests", employee,
                 {{"name", "x有限公司"}, {"licence_blob_id", licence}}).status, 403);
  auto req = call("POST", "/api/v1/organisations/" + org + "/change-requests", admin,
                  {{"name", "南京新名物流有限公司"}, {"licence_blob_id", licence}});
  ASSERT_EQ(req.status, 201) << req.body;
  EXPECT_EQ(req.json()["status"], "pending");
  EXPECT_EQ(call("POST", "/api/v1/organisations/" + org + "/change-requests", admin,
                 {{"legal_representative", {{"name", "孔一"}, {"id_number", "11010519491231002X"}, {"phone", admin_phone}}}})
                .json()["code"], "change_pending");
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org, admin).json()["name"], "南京示例物流有限公司");  // not yet

  // Users cannot review; the operator rejects with a reason, then approves a second request.
  std::string id = req.json()["id"];
  EXPECT_EQ(call("POST", "/api/v1/operator/organisation-changes/" + id + "/approval", admin).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/operator/organisation-changes", admin).status, 403);
  auto pending = call("GET", "/api/v1/operator/organisation-changes?status=pending", operator_token_).json()["items"];
  ASSERT_EQ(pending.size(), 1u);
  ASSERT_EQ(call("POST", "/api/v1/operator/organisation-changes/" + id + "/rejection", operator_token_,
                 {{"reason", "营业执照与新名称不符"}}).status, 200);
  auto sms = call("GET", "/api/v1/operator/sms-outbox?limit=1&phone=" + admin_phone, operator_token_).json()["items"][0];
  EXPECT_EQ(sms["template"], "org_change_rejected");
  auto req2 = call("POST", "/api/v1/organisations/" + org + "/change-requests", admin,
                   {{"name", "南京新名物流有限公司"}, {"licence_blob_id", licence}});
  ASSERT_EQ(req2.status, 201);
  ASSERT_EQ(call("POST", "/api/v1/operator/organisation-changes/" + req2.json()["id"].get<std::string>() + "/approval",
                 operator_token_).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org, admin).json()["name"], "南京新名物流有限公司");
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org + "/change-requests", admin).json()["items"].size(), 2u);
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org + "/change-requests", employee).status, 403);
}

// Review L5: an employee sees the organisation, but not the legal representative's ID number
// and phone or the bank account; the admin still sees everything.
TEST_P(OrgApiTest, EmployeesDoNotSeeTheLegalRepresentativesIdOrTheBankAccount) {
  const std::string admin_phone = "13900000331";
  std::string admin = verified_person(admin_phone, "李雷", "11010519491231002X");
  std::string org = verified_org(admin, "成都示例科技有限公司", "91310115MA1K3B0020", false);
  std::string emp = verified_person("13900000332", "韩梅", "440524198001010013");
  join(admin, emp, org, "李雷", admin_phone);
  auto seen = call("GET", "/api/v1/organisations/" + org, emp);
  ASSERT_EQ(seen.status, 200) << seen.body;
  auto j = seen.json();
  EXPECT_EQ(j["name"], "成都示例科技有限公司");
  EXPECT_EQ(j["legal_representative"]["name"], "法人甲");
  EXPECT_TRUE(j["legal_representative"]["id_number"].is_null()) << seen.body;
  EXPECT_TRUE(j["legal_representative"]["phone"].is_null()) << seen.body;
  EXPECT_TRUE(j["bank"].is_null()) << seen.body;
  EXPECT_EQ(seen.body.find("11010519491231002X"), std::string::npos);
  EXPECT_EQ(seen.body.find("0200001234567890123"), std::string::npos);
  EXPECT_EQ(seen.body.find("13900000398"), std::string::npos);
  auto full = call("GET", "/api/v1/organisations/" + org, admin).json();
  EXPECT_EQ(full["legal_representative"]["id_number"], "11010519491231002X");
  EXPECT_EQ(full["legal_representative"]["phone"], "13900000398");
  EXPECT_EQ(full["bank"]["account"], "0200001234567890123");
}

TEST_P(OrgApiTest, AuthorisationMatrix) {
  const std::string admin_phone = "13900000321";
  std::string admin = verified_person(admin_phone, "周九", "11010519491231002X");
  std::string org = verified_org(admin, "广州示例制造有限公司", "91440300MA5F0C0037");
  std::string outsider = verified_person("13900000322", "吴十", "440524198001010013");
  std::string other_admin = verified_person("13900000323", "郑一", "440524198001010013");
  verified_org(other_admin, "杭州示例网络有限公司", "91330106MA2H0D004M");
  std::string other_employee = verified_person("13900000324", "王二", "440524198001010013");
  std::string removed = verified_person("13900000325", "冯三", "440524198001010013");
  std::string former_admin_phone = "13900000326";
  std::string employee = verified_person("13900000327", "陈四", "440524198001010013");
  join(admin, employee, org, "周九", admin_phone);
  join(admin, removed, org, "周九", admin_phone);
  ASSERT_EQ(call("DELETE", "/api/v1/organisations/" + org + "/members/" + member_id_of(admin, org, "13900000325"), admin).status, 204);
  // A draft of the outsider's own, which nobody else may touch.
  auto draft = call("POST", "/api/v1/organisations", outsider,
                    {{"name", "深圳草稿有限公司"}, {"credit_code", "91110108MA01A0001D"}, {"creator_is_legal_rep", false},
                     {"agreement_version", 1}});
  ASSERT_EQ(draft.status, 201);
  std::string draft_id = draft.json()["id"];
  std::string m = member_id_of(admin, org, "13900000327");
  std::string task_open = call("POST", "/api/v1/organisations/" + org + "/join-requests", other_employee,
                               {{"statement", "x"}, {"admin_name", "周九"}, {"admin_phone", admin_phone}}).json()["id"];

  // A member who then deregistered (cooling-off is 0 days in these tests).
  std::string gone = verified_person("13900000329", "蒋七", "440524198001010013");
  join(admin, gone, org, "周九", admin_phone);
  call("POST", "/api/v1/account/sms-codes", gone, {{"purpose", "deregister"}});
  ASSERT_EQ(call("POST", "/api/v1/account/deregistration", gone, {{"code", code_for("13900000329")}}).status, 202);
  run_jobs();

  struct Ep {
    const char* method;
    std::string path;
    nlohmann::json body;
  };
  const std::vector<Ep> admin_only = {
      {"GET", "/api/v1/organisations/" + org + "/members", nullptr},
      {"GET", "/api/v1/organisations/" + org + "/members/" + m, nullptr},
      {"DELETE", "/api/v1/organisations/" + org + "/members/" + m, nullptr},
      {"POST", "/api/v1/organisations/" + org + "/invitations", {{"phone", "13900000399"}}},
      {"POST", "/api/v1/organisations/" + org + "/admin-transfer-letters", {{"member_id", m}, {"certificate_id", "x"}}},
      {"PATCH", "/api/v1/organisations/" + org, {{"address", "x"}}},
      {"POST", "/api/v1/tasks/" + task_open + "/approval", nullptr},
      {"POST", "/api/v1/tasks/" + task_open + "/refusal", {{"reason", "no"}}},
  };
  const std::vector<Ep> creator_only = {
      {"GET", "/api/v1/organisations/" + draft_id, nullptr},
      {"PATCH", "/api/v1/organisations/" + draft_id, {{"address", "x"}}},
      {"GET", "/api/v1/organisations/" + draft_id + "/authorisation-letter", nullptr},
      {"PUT", "/api/v1/organisations/" + draft_id + "/licence", {{"blob_id", "x"}}},
      {"POST", "/api/v1/organisations/" + draft_id + "/bank-transfers", nullptr},
      {"POST", "/api/v1/organisations/" + draft_id + "/bank-verification", {{"amount_fen", 1}}},
      {"POST", "/api/v1/organisations/" + draft_id + "/submission", nullptr},
  };
  const std::vector<Ep> operator_only = {
      {"GET", "/api/v1/operator/organisations", nullptr},
      {"GET", "/api/v1/operator/organisations/" + org, nullptr},
      {"POST", "/api/v1/operator/organisations/" + draft_id + "/approval", nullptr},
      {"POST", "/api/v1/operator/organisations/" + draft_id + "/rejection", {{"reason", "r"}}},
      {"GET", "/api/v1/operator/organisations/" + org + "/bank-transfers", nullptr},
  };
  for (const auto* group : {&admin_only, &creator_only, &operator_only}) {
    for (const auto& e : *group) {
      SCOPED_TRACE(std::string(e.method) + " " + e.path);
      EXPECT_EQ(call(e.method, e.path, "", e.body).status, 401);
      EXPECT_EQ(call(e.method, e.path, gone, e.body).status, 401);          // deregistered
      EXPECT_EQ(call(e.method, e.path, other_admin, e.body).status, 403);   // admin of another organisation
      EXPECT_EQ(call(e.method, e.path, other_employee, e.body).status, 403);  // a stranger with an open request
      EXPECT_EQ(call(e.method, e.path, removed, e.body).status, 403);       // a removed member
      if (group != &creator_only) {
        EXPECT_EQ(call(e.method, e.path, outsider, e.body).status, 403);
      }
      if (group != &admin_only) {
        EXPECT_EQ(call(e.method, e.path, employee, e.body).status, 403);
      }
    }
  }
  for (const auto& e : admin_only) {
    SCOPED_TRACE(std::string("employee: ") + e.method + " " + e.path);
    EXPECT_EQ(call(e.method, e.path, employee, e.body).status, 403);
  }
  // A former admin after transfer loses the admin endpoints (the new admin is the employee).
  // (Here the creator is not the legal representative, so the admin role is all they hold.)
  std::string former = verified_person(former_admin_phone, "褚五", "440524198001010013");
  std::string org2 = verified_org(former, "成都示例服务有限公司", "91310115MA1K3B0020", false);
  std::string heir = verified_person("13900000328", "卫六", "440524198001010013");
  join(former, heir, org2, "褚五", former_admin_phone);
  std::string heir_m = member_id_of(former, org2, "13900000328");
  const LetterKey former_key = letter_key(former, former_admin_phone);
  ASSERT_EQ(transfer_admin_signed(former, former_key, org2, heir_m).status, 200);
  act_as(heir, org2);
  std::string back = member_id_of(heir, org2, former_admin_phone);
  ASSERT_FALSE(back.empty());
  const std::vector<Ep> former_tries = {
      {"GET", "/api/v1/organisations/" + org2 + "/members", nullptr},
      {"POST", "/api/v1/organisations/" + org2 + "/admin-transfer-letters",
       {{"member_id", back}, {"certificate_id", former_key.cert_id}}},
      {"POST", "/api/v1/organisations/" + org2 + "/invitations", {{"phone", "13900000397"}}},
      {"DELETE", "/api/v1/organisations/" + org2 + "/members/" + heir_m, nullptr},
      {"PATCH", "/api/v1/organisations/" + org2, {{"address", "x"}}},
  };
  for (const auto& e : former_tries) {
    SCOPED_TRACE(std::string("former admin: ") + e.method + " " + e.path);
    EXPECT_EQ(call(e.method, e.path, former, e.body).status, 403);
  }
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org2 + "/members/" + heir_m, heir).json()["role"], "admin");

  // Nothing the refused calls tried happened.
  auto members = call("GET", "/api/v1/organisations/" + org + "/members", admin).json()["items"];
  int active = 0;
  for (auto& x : members) active += x["status"] == "active";
  EXPECT_EQ(active, 3);  // admin, legal representative, employee (the deregistered member's ended)
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + draft_id, outsider).json()["status"], "draft");
  EXPECT_EQ(call("GET", "/api/v1/tasks?status=open", admin).json()["items"].size(), 1u);
  EXPECT_TRUE(call("GET", "/api/v1/organisations/" + org, admin).json()["address"].is_null());
}

CERTSEAL_INSTANTIATE_API_ENGINES(OrgApiTest);

// The bank check with a short cool-down, so its cap can be reached in a test.
class OrgBankCheckTest : public OrgApiTest {
 public:
  std::vector<std::string> extra_server_args() const override { return {"--set", "org.bank_transfer_cooldown_s=3"}; }

 protected:
  std::string draft(const std::string& token, const std::string& name, const std::string& code) {
    auto c = call("POST", "/api/v1/organisations", token,
                  {{"name", name}, {"credit_code", code}, {"creator_is_legal_rep", true}, {"agreement_version", 1}});
    EXPECT_EQ(c.status, 201) << c.body;
    std::string org = c.json()["id"];
    EXPECT_EQ(call("PATCH", "/api/v1/organisations/" + org, token,
                   {{"bank", {{"bank_name", "中国工商银行北京分行"}, {"account", "0200009999999999999"}, {"account_name", name}}}})
                  .status,
              200);
    return org;
  }
  // An amount that is surely wrong for the newest transfer to `org`.
  int wrong_amount(const std::string& org) {
    auto t = call("GET", "/api/v1/operator/organisations/" + org + "/bank-transfers", operator_token_);
    int right = t.json()["items"][0]["amount_fen"];
    return right % 99 + 1;
  }
};

// Review M4, the attacker's loop: claim someone's bank account for a draft organisation, then
// start a transfer and guess the amount, again and again. Concurrent guesses get 3 tries per
// transfer at most; a new transfer waits for the cool-down; after 3 transfers only an operator
// can check the account, and a new draft naming the same account does not start afresh.
TEST_P(OrgBankCheckTest, BruteForceOfTheBankCheckIsRefused) {
  std::string t = verified_person("13900000501", "钱七", "440524198001010013");
  std::string org = draft(t, "上海示例贸易有限公司", "91310115MA1K3B0020");
  const std::string start = "/api/v1/organisations/" + org + "/bank-transfers";
  const std::string guess = "/api/v1/organisations/" + org + "/bank-verification";

  ASSERT_EQ(call("POST", start, t).status, 202);
  const int wrong = wrong_amount(org);
  std::mutex mu;
  std::map<std::string, int> answers;
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      HttpClient client(server_->base_url());
      auto r = client.request("POST", guess, nlohmann::json{{"amount_fen", wrong}}.dump(),
                              {"Authorization: Bearer " + t, "Content-Type: application/json"});
      std::lock_guard lock(mu);
      ++answers[r.json().value("code", "ok")];
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(answers["wrong_amount"] + answers["bank_check_failed"], 3) << "amounts compared beyond the 3 tries";
  EXPECT_EQ(answers["bank_check_failed"], 1);
  EXPECT_EQ(answers["no_transfer_pending"], 17);
  // At once again: the cool-down.
  auto soon = call("POST", start, t);
  EXPECT_EQ(soon.status, 429) << soon.body;
  EXPECT_EQ(soon.json()["code"], "bank_transfer_too_soon");

  for (int round = 2; round <= 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3100));
    ASSERT_EQ(call("POST", start, t).status, 202) << "round " << round;
    const int w = wrong_amount(org);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(call("POST", guess, t, {{"amount_fen", w}}).status, 400);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(3100));
  auto capped = call("POST", start, t);
  EXPECT_EQ(capped.status, 409) << capped.body;
  EXPECT_EQ(capped.json()["code"], "bank_check_operator_only");
  EXPECT_EQ(call("GET", "/api/v1/organisations/" + org, t).json()["bank_check"]["status"], "operator_only");
  // Three transfers were sent, no more.
  EXPECT_EQ(call("GET", "/api/v1/operator/organisations/" + org + "/bank-transfers", operator_token_).json()["items"].size(),
            3u);

  // A fresh draft naming the same account is capped as well.
  std::string again = draft(t, "南京示例物流有限公司", "91110108MA01A0001D");
  auto r = call("POST", "/api/v1/organisations/" + again + "/bank-transfers", t);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(r.json()["code"], "bank_check_operator_only");
}

CERTSEAL_INSTANTIATE_API_ENGINES(OrgBankCheckTest);

}  // namespace
}  // namespace certseal::testing
