// SPEC §5 and §9 orders over HTTP against a real certseald on both engines: the catalogue, buying
// a personal certificate through the sandbox gateway up to "approved", an organisation certificate
// paid by bank transfer confirmed by an operator, rejection with a reason and the notification,
// refund through the gateway, the application form (e-mail outbox, upload back, online signature),
// invoices,
// cancelling, timing out, the payment-safety refusals (bad signature, wrong amount, unknown
// order, replay, duplicate, concurrent notifications), and the authorisation matrix.
#include <atomic>
#include <chrono>
#include <thread>

#include "base/encoding.h"
#include "crypto/pkey.h"
#include "docsign/text_render.h"
#include "base/rng.h"
#include "store/db.h"
#include "support/api_fixture.h"

namespace certseal::testing {
namespace {

class OrderApiTest : public ApiTest {
 protected:
  struct Catalogue {
    std::string platform, maker, personal, organisation;
  };
  Catalogue catalogue() {
    Catalogue c;
    auto p = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "示例公共资源交易平台"}});
    EXPECT_EQ(p.status, 201) << p.body;
    c.platform = p.json()["id"];
    auto m = call("POST", "/api/v1/operator/catalogue/seal-makers", operator_token_, {{"name", "示例印章有限公司"}});
    EXPECT_EQ(m.status, 201) << m.body;
    c.maker = m.json()["id"];
    auto a = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "个人证书 SM2 1年"}, {"cert_type", "personal"},
                   {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 12000}, {"ca_id", "sm2"},
                   {"seal_type", "handwritten"}});
    EXPECT_EQ(a.status, 201) << a.body;
    c.personal = a.json()["id"];
    auto b = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                  {{"kind", "certificate"}, {"name", "机构证书 SM2 2年"}, {"cert_type", "organisation"},
                   {"algorithm", "sm2"}, {"validity_years", 2}, {"price_fen", 50000}, {"ca_id", "sm2"},
                   {"seal_type", "official"}});
    EXPECT_EQ(b.status, 201) << b.body;
    c.organisation = b.json()["id"];
    return c;
  }
  // Places an order and authorises it by SMS code: awaiting_payment. Returns the order id.
  std::string authorised_order(const std::string& token, const std::string& phone, const std::string& product,
                               const std::string& platform, const std::string& org = "") {
    nlohmann::json body = {{"product_id", product}, {"platform_id", platform}};
    if (!org.empty()) body["org_id"] = org;
    auto r = call("POST", "/api/v1/orders", token, body);
    EXPECT_EQ(r.status, 201) << r.body;
    std::string id = r.json()["id"];
    EXPECT_EQ(r.json()["status"], "created");
    if (!org.empty()) sign_online(token, id);  // organisation certificates need the signed form
    EXPECT_EQ(call("POST", "/api/v1/account/sms-codes", token, {{"purpose", "authorise"}}).status, 202);
    auto a = call("POST", "/api/v1/orders/" + id + "/authorisation", token, {{"code", code_for(phone)}});
    EXPECT_EQ(a.status, 200) << a.body;
    EXPECT_EQ(a.json()["status"], "awaiting_payment");
    return id;
  }
  // Signs the order's application form online with a handwritten-signature image.
  void sign_online(const std::string& token, const std::string& order) {
    using docsign::TextBlock;
    auto png = docsign::render_png({{"张三", 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20);
    ASSERT_TRUE(png.ok());
    std::string sig = upload(token, "handwritten_signature", to_string(*png), "image/png");
    auto r = call("POST", "/api/v1/orders/" + order + "/application-form/online-signature", token, {{"blob_id", sig}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["application_form"]["status"], "signed");
    EXPECT_EQ(r.json()["application_form"]["method"], "online");
  }
  std::string status_of(const std::string& token, const std::string& order) {
    auto r = call("GET", "/api/v1/orders/" + order, token);
    return r.status == 200 ? std::string(r.json()["status"]) : "http " + std::to_string(r.status);
  }
  // Waits for the asynchronous gateway notification to move the order.
  std::string wait_status(const std::string& token, const std::string& order, const std::string& want) {
    std::string s;
    for (int i = 0; i < 100; ++i) {
      s = status_of(token, order);
      if (s == want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return s;
  }
  std::string start_sandbox(const std::string& token, const std::string& order, std::string* pay_path = nullptr) {
    auto r = call("POST", "/api/v1/orders/" + order + "/online-payments", token, {{"gateway", "sandbox"}});
    EXPECT_EQ(r.status, 201) << r.body;
    std::string url = r.json()["pay_url"];
    if (pay_path) *pay_path = url.substr(url.find("/sandbox-pay/"));
    return r.json()["payment_id"];
  }
  crypto::PrivateKey gateway_key() {
    auto k = crypto::PrivateKey::from_pem(slurp(data_ + "/sandbox-gateway.pem"));
    EXPECT_TRUE(k.ok());
    return std::move(k).value();
  }
  HttpResponse notify(HttpClient& client, const nlohmann::json& body, const crypto::PrivateKey& key) {
    std::string text = body.dump();
    auto sig = crypto::sign(key, crypto::SignScheme::kEcdsaSha256, as_bytes(text));
    return client.request("POST", "/api/v1/payment-notifications/sandbox", text,
                          {"Content-Type: application/json", "X-Sandbox-Signature: " + base64_encode(*sig)});
  }
  int count_to(const nlohmann::json& order, const std::string& to) {
    int n = 0;
    for (const auto& e : order["events"]) n += e["to"] == to ? 1 : 0;
    return n;
  }

  // A buyer: registered, real-name verified (the development verifier approves at once).
  std::string buyer(const std::string& phone) { return verified_person(phone, "张三", "11010519491231002X"); }
  // Writes the rows an installed certificate leaves (key, CA certificate, account_certificates),
  // valid for a year, bought for `platform`: installation is built in another change.
  std::string installed_certificate(const std::string& account_id, const std::string& platform) {
    auto db = GetParam() == "postgres" ? store::open_postgres({pg_->url(), 2})
                                       : store::open_sqlite({data_ + "/certseal.db"});
    EXPECT_TRUE(db.ok()) << db.error().cause;
    if (!db.ok()) return "";
    static int n = 0;
    const std::string id = "0190a0a0-0000-7000-8000-0000000010" + std::to_string(10 + ++n);
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto w = (*db)->write([&](store::Tx& tx) -> Status {
      CS_TRY(tx.exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, recovery_key_enc, "
                     "created_at, updated_at) VALUES (?, ?, 'sm2', ?, 'active', ?, 'now', 'now')",
                     {"key-" + id, account_id, Bytes{4}, Bytes{5}}));
      CS_TRY(tx.exec("INSERT INTO pki_certificate (id, ca_id, serial, profile, subject, subject_json, spki, der, "
                     "status, not_before, not_after, created_at) VALUES (?, 'sm2', ?, 'personal', 'CN=张三', '{}', ?, "
                     "?, 'valid', ?, ?, 'now')",
                     {id, id, Bytes{1}, Bytes{2}, now - 60, now + 365 * 86400}));
      CS_TRY(tx.exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, "
                     "platform_id, current, created_at) VALUES (?, ?, ?, 'order-of-purchase', ?, ?, 1, 'now')",
                     {id, account_id, "key-" + id, "test:" + id, platform}));
      return {};
    });
    EXPECT_TRUE(w.ok()) << w.error().cause;
    return id;
  }
};

TEST_P(OrderApiTest, PersonalCertificateThroughSandboxGatewayToApproved) {
  auto c = catalogue();
  // The public catalogue lists what was added, prices in fen, with real CA ids.
  auto cat = call("GET", "/api/v1/catalogue", "");
  ASSERT_EQ(cat.status, 200);
  {
    const auto products = cat.json()["products"];
    ASSERT_EQ(products.size(), 2u);
    int seen = 0;
    for (const auto& p : products) {
      if (p["id"] == c.personal) {
        EXPECT_EQ(p["price_fen"], 12000);
        EXPECT_EQ(p["ca_id"], "sm2");
        ++seen;
      }
    }
    EXPECT_EQ(seen, 1);
  }
  // A product must name a CA that exists.
  EXPECT_EQ(call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                 {{"kind", "certificate"}, {"name", "x"}, {"cert_type", "personal"}, {"algorithm", "sm2"},
                  {"validity_years", 1}, {"price_fen", 1}, {"ca_id", "no-such-ca"}, {"seal_type", "handwritten"}})
                .status, 400);

  const std::string phone = "13900000501";
  std::string t = buyer(phone);
  // Idempotency-Key: the retry returns the same order.
  std::vector<std::string> h = {"Authorization: Bearer " + t, "Content-Type: application/json", "Idempotency-Key: k-1"};
  std::string body = nlohmann::json{{"product_id", c.personal}, {"platform_id", c.platform}, {"quantity", 2}}.dump();
  auto o1 = http_->request("POST", "/api/v1/orders", body, h);
  auto o2 = http_->request("POST", "/api/v1/orders", body, h);
  ASSERT_EQ(o1.status, 201) << o1.body;
  EXPECT_EQ(o1.json()["id"], o2.json()["id"]);
  EXPECT_EQ(o1.json()["amount_fen"], 24000);
  std::string order = o1.json()["id"];
  // Not payable before the applicant authorised it by SMS code.
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/online-payments", t, {{"gateway", "sandbox"}}).status, 409);
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/authorisation", t, {{"code", "000000"}}).status / 100, 4);
  call("POST", "/api/v1/account/sms-codes", t, {{"purpose", "authorise"}});
  ASSERT_EQ(call("POST", "/api/v1/orders/" + order + "/authorisation", t, {{"code", code_for(phone)}}).status, 200);
  {
    auto tab = call("GET", "/api/v1/orders?tab=awaiting_payment", t).json();
    ASSERT_EQ(tab["items"].size(), 1u);
  }

  std::string pay_path;
  std::string payment = start_sandbox(t, order, &pay_path);
  EXPECT_EQ(start_sandbox(t, order), payment);  // paying later continues the same payment
  auto page = http_->get(pay_path);
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("240.00"), std::string::npos) << page.body;
  ASSERT_EQ(http_->request("POST", pay_path).status, 202);
  ASSERT_EQ(wait_status(t, order, "in_review"), "in_review");
  {
    auto tab = call("GET", "/api/v1/orders?tab=in_review", t).json();
    ASSERT_EQ(tab["items"].size(), 1u);
    auto detail = call("GET", "/api/v1/orders/" + order, t).json();
    EXPECT_EQ(detail["payments"][0]["status"], "paid");
    EXPECT_EQ(count_to(detail, "paid"), 1);
  }
  // The operator's queue shows it; approval completes the review.
  {
    auto q = call("GET", "/api/v1/operator/orders?status=in_review", operator_token_).json();
    ASSERT_EQ(q["items"].size(), 1u);
    EXPECT_EQ(q["items"][0]["id"], order);
  }
  auto ap = call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_);
  ASSERT_EQ(ap.status, 200) << ap.body;
  EXPECT_EQ(ap.json()["status"], "approved");
  EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_).status, 409);
  {
    auto done = call("GET", "/api/v1/orders?tab=done", t).json();
    ASSERT_EQ(done["items"].size(), 1u);
    // Every transition recorded with who and why.
    auto detail = call("GET", "/api/v1/orders/" + order, t).json();
    std::vector<std::string> seen;
    for (const auto& e : detail["events"]) seen.push_back(e["to"]);
    EXPECT_EQ(seen, (std::vector<std::string>{"created", "awaiting_payment", "paid", "in_review", "approved"}));
    EXPECT_EQ(detail["events"][2]["actor"], "gateway:sandbox");
    auto n = call("GET", "/api/v1/notifications", t).json();
    ASSERT_EQ(n["items"].size(), 1u);
    EXPECT_EQ(n["items"][0]["kind"], "order_approved");
  }
}

TEST_P(OrderApiTest, OrganisationCertificateByBankTransferConfirmedByOperator) {
  auto c = catalogue();
  const std::string admin_phone = "13900000511";
  std::string admin = verified_person(admin_phone, "周九", "11010519491231002X");
  std::string org = verified_org(admin, "广州示例制造有限公司", "91440300MA5F0C0037");
  {
    // The organisation review decision is in the creator's notification list.
    auto n = call("GET", "/api/v1/notifications", admin).json();
    ASSERT_GE(n["items"].size(), 1u);
    EXPECT_EQ(n["items"][0]["kind"], "org_verified");
    EXPECT_EQ(n["items"][0]["ref_id"], org);
  }
  // An organisation product needs the organisation, and a personal one refuses it.
  EXPECT_EQ(call("POST", "/api/v1/orders", admin, {{"product_id", c.organisation}, {"platform_id", c.platform}}).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/orders", admin,
                 {{"product_id", c.personal}, {"platform_id", c.platform}, {"org_id", org}}).status, 400);
  // Someone who is not a member cannot buy for it (verified, so only the membership is missing).
  std::string outsider = buyer("13900000512");
  EXPECT_EQ(call("POST", "/api/v1/orders", outsider,
                 {{"product_id", c.organisation}, {"platform_id", c.platform}, {"org_id", org}}).status, 403);

  {
    // Without a signed application form, an organisation order cannot be authorised.
    auto r = call("POST", "/api/v1/orders", admin, {{"product_id", c.organisation}, {"platform_id", c.platform}, {"org_id", org}});
    ASSERT_EQ(r.status, 201);
    std::string unsigned_order = r.json()["id"];
    call("POST", "/api/v1/account/sms-codes", admin, {{"purpose", "authorise"}});
    auto a = call("POST", "/api/v1/orders/" + unsigned_order + "/authorisation", admin, {{"code", code_for(admin_phone)}});
    EXPECT_EQ(a.status, 409) << a.body;
    EXPECT_NE(a.body.find("application_form_unsigned"), std::string::npos);
  }
  std::string order = authorised_order(admin, admin_phone, c.organisation, c.platform, org);
  {
    // The form signed online embeds the signature image.
    auto form = call("GET", "/api/v1/orders/" + order + "/application-form", admin);
    ASSERT_EQ(form.status, 200);
    std::string path = dir_.path() + "/form-online.pdf";
    std::ofstream(path, std::ios::binary) << form.body;
    EXPECT_NE(run_command("qpdf --check " + path + " 2>&1").find("No syntax or stream encoding errors"), std::string::npos);
    EXPECT_NE(run_command("pdfimages -list " + path + " 2>&1").find("   1     0 image"), std::string::npos) << run_command("pdfimages -list " + path + " 2>&1");
    std::string text = run_command("pdftotext -enc UTF-8 " + path + " - 2>&1");
    EXPECT_NE(text.find("广州示例制造有限公司"), std::string::npos) << text;
  }
  EXPECT_EQ(call("GET", "/api/v1/orders/" + order, admin).json()["applicant_role"], "admin");  // the creator, legal representative, administers it
  // The declared amount must be the order's.
  nlohmann::json transfer = {{"payer_name", "广州示例制造有限公司"}, {"payer_account", "0200001234567890123"},
                             {"amount_fen", 49999}, {"reference", "网银流水 20261121-0001"}};
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/bank-transfers", admin, transfer).status, 400);
  transfer["amount_fen"] = 50000;
  auto tr = call("POST", "/api/v1/orders/" + order + "/bank-transfers", admin, transfer);
  ASSERT_EQ(tr.status, 201) << tr.body;
  std::string payment = tr.json()["id"];
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/bank-transfers", admin, transfer).json()["id"], payment);
  EXPECT_EQ(status_of(admin, order), "awaiting_payment");
  // The operator confirms what arrived; a different amount is refused and changes nothing.
  EXPECT_EQ(call("POST", "/api/v1/operator/payments/" + payment + "/confirmation", operator_token_,
                 {{"received_fen", 40000}}).status, 400);
  EXPECT_EQ(status_of(admin, order), "awaiting_payment");
  auto ok = call("POST", "/api/v1/operator/payments/" + payment + "/confirmation", operator_token_, {{"received_fen", 50000}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["status"], "in_review");
  EXPECT_EQ(call("POST", "/api/v1/operator/payments/" + payment + "/confirmation", operator_token_,
                 {{"received_fen", 50000}}).status, 409);
  auto detail = call("GET", "/api/v1/orders/" + order, admin).json();
  EXPECT_EQ(count_to(detail, "paid"), 1);
  EXPECT_EQ(detail["payments"][0]["method"], "bank_transfer");
  EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_).json()["status"], "approved");
}

TEST_P(OrderApiTest, RejectionWithReasonNotifiesTheBuyer) {
  auto c = catalogue();
  const std::string phone = "13900000521";
  std::string t = buyer(phone);
  std::string order = authorised_order(t, phone, c.personal, c.platform);
  std::string pay_path;
  start_sandbox(t, order, &pay_path);
  ASSERT_EQ(http_->request("POST", pay_path).status, 202);
  ASSERT_EQ(wait_status(t, order, "in_review"), "in_review");
  EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/rejection", operator_token_, nlohmann::json::object()).status, 400);
  auto r = call("POST", "/api/v1/operator/orders/" + order + "/rejection", operator_token_, {{"reason", "申请表签字不清晰"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "rejected");
  EXPECT_EQ(r.json()["reason"], "申请表签字不清晰");
  auto n = call("GET", "/api/v1/notifications", t).json();
  ASSERT_EQ(n["items"].size(), 1u);
  EXPECT_EQ(n["items"][0]["kind"], "order_rejected");
  EXPECT_NE(std::string(n["items"][0]["text"]).find("申请表签字不清晰"), std::string::npos);
  auto sms = call("GET", "/api/v1/operator/sms-outbox?limit=1&phone=" + phone, operator_token_).json();
  EXPECT_NE(std::string(sms["items"][0]["text"]).find("申请表签字不清晰"), std::string::npos);

  // The rejected order's money goes back through the gateway, once.
  EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/refund", operator_token_, nlohmann::json::object()).status, 400);
  auto rf = call("POST", "/api/v1/operator/orders/" + order + "/refund", operator_token_, {{"reason", "审核未通过，全额退款"}});
  ASSERT_EQ(rf.status, 200) << rf.body;
  EXPECT_EQ(rf.json()["status"], "refunded");
  EXPECT_EQ(rf.json()["payments"][0]["status"], "refunded");
  EXPECT_EQ(rf.json()["events"].back()["to"], "refunded");
  EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + order + "/refund", operator_token_, {{"reason", "again"}}).status, 409);
  auto n2 = call("GET", "/api/v1/notifications", t).json();
  EXPECT_EQ(n2["items"][0]["kind"], "order_refunded");
  // Review L7: the refunded order is no sale; its buyer gets no invoice for it.
  auto inv = call("POST", "/api/v1/orders/" + order + "/invoice", t, {{"title_type", "personal"}, {"title_name", "张三"}});
  EXPECT_EQ(inv.status, 409) << inv.body;
  EXPECT_EQ(inv.json()["code"], "order_refunded");
  // An unpaid order has nothing to refund.
  std::string unpaid = authorised_order(t, phone, c.personal, c.platform);
  EXPECT_EQ(call("POST", "/api/v1/operator/orders/" + unpaid + "/refund", operator_token_, {{"reason", "x"}}).status, 409);
}

TEST_P(OrderApiTest, CancelAnUnpaidOrder) {
  auto c = catalogue();
  const std::string phone = "13900000531";
  std::string t = buyer(phone);
  std::string order = authorised_order(t, phone, c.personal, c.platform);
  std::string pay_path;
  std::string payment = start_sandbox(t, order, &pay_path);
  auto r = call("POST", "/api/v1/orders/" + order + "/cancellation", t);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["status"], "cancelled");
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/cancellation", t).status, 200);  // idempotent
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/online-payments", t, {{"gateway", "sandbox"}}).status, 409);
  // Money that still arrives for the closed payment does not revive the order.
  auto key = gateway_key();
  EXPECT_EQ(notify(*http_, {{"payment_id", payment}, {"order_id", order}, {"amount_fen", 12000}, {"trade_no", "T-late"},
                            {"status", "success"}}, key).status, 200);
  EXPECT_EQ(status_of(t, order), "cancelled");
  // The money is kept for an operator to give back (MoneyAfterCancellationIsRefundedByAnOperator).
  EXPECT_EQ(call("GET", "/api/v1/orders/" + order, t).json()["payments"][0]["status"], "refund_due");
  // A paid order cannot be cancelled.
  std::string paid = authorised_order(t, phone, c.personal, c.platform);
  start_sandbox(t, paid, &pay_path);
  ASSERT_EQ(http_->request("POST", pay_path).status, 202);
  ASSERT_EQ(wait_status(t, paid, "in_review"), "in_review");
  EXPECT_EQ(call("POST", "/api/v1/orders/" + paid + "/cancellation", t).status, 409);
}

TEST_P(OrderApiTest, NotificationSafety) {
  auto c = catalogue();
  const std::string phone = "13900000541";
  std::string t = buyer(phone);
  std::string order = authorised_order(t, phone, c.personal, c.platform);
  std::string payment = start_sandbox(t, order);
  auto key = gateway_key();
  nlohmann::json good = {{"payment_id", payment}, {"order_id", order}, {"amount_fen", 12000},
                         {"trade_no", "T-0001"}, {"status", "success"}};
  // A key that is not the gateway's.
  SystemRng rng;
  auto forged_key = crypto::PrivateKey::generate(crypto::KeyType::kEcP256, rng);
  ASSERT_TRUE(forged_key.ok());
  EXPECT_EQ(notify(*http_, good, *forged_key).status, 400);
  // No signature at all.
  EXPECT_EQ(http_->request("POST", "/api/v1/payment-notifications/sandbox", good.dump(),
                           {"Content-Type: application/json"}).status, 400);
  // Signed, but the body was changed after signing.
  {
    auto sig = crypto::sign(key, crypto::SignScheme::kEcdsaSha256, as_bytes(good.dump()));
    auto changed = good;
    changed["amount_fen"] = 1;
    EXPECT_EQ(http_->request("POST", "/api/v1/payment-notifications/sandbox", changed.dump(),
                             {"Content-Type: application/json", "X-Sandbox-Signature: " + base64_encode(*sig)}).status, 400);
  }
  // Correctly signed but the wrong amount, an unknown payment, or another order's id.
  auto wrong = good;
  wrong["amount_fen"] = 1;
  EXPECT_EQ(notify(*http_, wrong, key).status, 400);
  auto unknown = good;
  unknown["payment_id"] = "0190a0a0-0000-7000-8000-000000000000";
  EXPECT_EQ(notify(*http_, unknown, key).status, 404);
  auto other = good;
  other["order_id"] = "0190a0a0-0000-7000-8000-000000000001";
  EXPECT_EQ(notify(*http_, other, key).status, 404);
  EXPECT_EQ(status_of(t, order), "awaiting_payment");
  {
    auto d = call("GET", "/api/v1/orders/" + order, t).json();
    EXPECT_EQ(d["payments"][0]["status"], "pending");
  }
  // The real one pays; delivered again (duplicate) or replayed later with another trade number,
  // nothing more happens.
  EXPECT_EQ(notify(*http_, good, key).status, 200);
  EXPECT_EQ(status_of(t, order), "in_review");
  EXPECT_EQ(notify(*http_, good, key).status, 200);
  auto replay = good;
  replay["trade_no"] = "T-0002";
  EXPECT_EQ(notify(*http_, replay, key).status, 200);
  auto d = call("GET", "/api/v1/orders/" + order, t).json();
  EXPECT_EQ(count_to(d, "paid"), 1);
  EXPECT_EQ(d["events"].size(), 4u);
  EXPECT_EQ(d["payments"].size(), 1u);
  EXPECT_EQ(d["payments"][0]["trade_no"], "T-0001");
}

// Review L7: an operator's refund racing another's approval. The refund moves the order before
// any money moves, so an approved order has never been refunded at the gateway, and a refunded
// one has been, exactly once.
TEST_P(OrderApiTest, ApprovalRacingARefundNeverLeavesAnApprovedOrderRefunded) {
  auto c = catalogue();
  const std::string phone = "13900000552";
  std::string t = buyer(phone);
  auto db = GetParam() == "postgres" ? store::open_postgres({pg_->url(), 2}) : store::open_sqlite({data_ + "/certseal.db"});
  ASSERT_TRUE(db.ok()) << db.error().cause;
  for (int round = 0; round < 4; ++round) {
    std::string order = authorised_order(t, phone, c.personal, c.platform);
    std::string pay_path;
    std::string payment = start_sandbox(t, order, &pay_path);
    ASSERT_EQ(http_->request("POST", pay_path).status, 202);
    ASSERT_EQ(wait_status(t, order, "in_review"), "in_review");
    int approved = 0, refunded = 0;
    std::thread approve([&] {
      HttpClient client(server_->base_url());
      auto r = client.request("POST", "/api/v1/operator/orders/" + order + "/approval", "",
                              {"Authorization: Bearer " + operator_token_});
      approved = r.status == 200;
    });
    std::thread refund([&] {
      HttpClient client(server_->base_url());
      auto r = client.request("POST", "/api/v1/operator/orders/" + order + "/refund",
                              nlohmann::json{{"reason", "并发退款"}}.dump(),
                              {"Authorization: Bearer " + operator_token_, "Content-Type: application/json"});
      refunded = r.status == 200;
    });
    approve.join();
    refund.join();
    EXPECT_EQ(approved + refunded, 1) << "round " << round;
    auto gateway_refunds = (*db)->read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      CS_ASSIGN(auto r, tx.query_one("SELECT COUNT(*) AS n FROM sandbox_gateway_refunds WHERE payment_id = ?", {payment}));
      return r->integer("n");
    });
    ASSERT_TRUE(gateway_refunds.ok());
    auto o = call("GET", "/api/v1/orders/" + order, t).json();
    if (o["status"] == "approved") {
      EXPECT_EQ(*gateway_refunds, 0) << "an approved order's money went back";
      EXPECT_EQ(o["payments"][0]["status"], "paid");
    } else {
      EXPECT_EQ(o["status"], "refunded");
      EXPECT_EQ(*gateway_refunds, 1);
      EXPECT_EQ(o["payments"][0]["status"], "refunded");
    }
  }
}

TEST_P(OrderApiTest, ConcurrentNotificationsPayOnce) {
  auto c = catalogue();
  const std::string phone = "13900000551";
  std::string t = buyer(phone);
  auto key = gateway_key();
  for (int round = 0; round < 3; ++round) {
    std::string order = authorised_order(t, phone, c.personal, c.platform);
    std::string payment = start_sandbox(t, order);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] {
        HttpClient client(server_->base_url());
        // Half repeat one notification, half carry their own trade numbers.
        std::string trade_no = "T-";  // appended piecewise: GCC 12 -O3 warns falsely (-Wrestrict) on "-" + string
        trade_no += std::to_string(round);
        trade_no += i % 2 ? std::string("-same") : std::string("-") += std::to_string(i);
        nlohmann::json body = {{"payment_id", payment}, {"order_id", order}, {"amount_fen", 12000},
                               {"trade_no", trade_no}, {"status", "success"}};
        auto r = notify(client, body, key);
        if (r.status == 200) {
          ++ok;
        } else {
          ADD_FAILURE() << r.status << " " << r.body;
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 8);
    auto d = call("GET", "/api/v1/orders/" + order, t).json();
    EXPECT_EQ(d["status"], "in_review");
    EXPECT_EQ(count_to(d, "paid"), 1);
    EXPECT_EQ(count_to(d, "in_review"), 1);
    EXPECT_EQ(d["payments"].size(), 1u);
  }
}

TEST_P(OrderApiTest, AuthorisationMatrix) {
  auto c = catalogue();
  const std::string phone = "13900000561";
  std::string owner = buyer(phone);
  std::string other = register_person("13900000562", "Str0ng!pw");
  std::string order = authorised_order(owner, phone, c.personal, c.platform);
  // Another user never sees or touches the order (it does not exist for them).
  for (auto [m, p] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/orders/" + order},
           {"POST", "/api/v1/orders/" + order + "/cancellation"},
           {"POST", "/api/v1/orders/" + order + "/online-payments"},
           {"POST", "/api/v1/orders/" + order + "/bank-transfers"},
           {"POST", "/api/v1/orders/" + order + "/authorisation"}}) {
    nlohmann::json body = nlohmann::json::object();
    if (p.ends_with("online-payments")) body = {{"gateway", "sandbox"}};
    if (p.ends_with("bank-transfers")) body = {{"payer_name", "x"}, {"payer_account", "0200001234567890123"}, {"amount_fen", 12000}};
    if (p.ends_with("authorisation")) body = {{"code", "123456"}};
    auto r = call(m, p, other, m == "GET" ? nlohmann::json() : body);
    EXPECT_EQ(r.status, 404) << m << " " << p << " " << r.body;
  }
  {
    auto mine = call("GET", "/api/v1/orders", other).json();
    EXPECT_EQ(mine["items"].size(), 0u);
    auto theirs = call("GET", "/api/v1/orders", owner).json();
    EXPECT_EQ(theirs["items"].size(), 1u);
  }
  EXPECT_EQ(status_of(owner, order), "awaiting_payment");
  // Only operators reach the catalogue administration and the review queue.
  std::vector<std::pair<std::string, std::string>> op_routes = {
      {"GET", "/api/v1/operator/catalogue"},
      {"POST", "/api/v1/operator/catalogue/platforms"},
      {"POST", "/api/v1/operator/catalogue/seal-makers"},
      {"POST", "/api/v1/operator/catalogue/products"},
      {"PATCH", "/api/v1/operator/catalogue/products/" + c.personal},
      {"GET", "/api/v1/operator/orders"},
      {"GET", "/api/v1/operator/orders/" + order},
      {"POST", "/api/v1/operator/orders/" + order + "/approval"},
      {"POST", "/api/v1/operator/orders/" + order + "/rejection"},
      {"POST", "/api/v1/operator/orders/" + order + "/refund"},
      {"POST", "/api/v1/operator/payments/x/confirmation"}};
  for (const auto& [m, p] : op_routes) {
    nlohmann::json body = m == "GET" ? nlohmann::json() : nlohmann::json::object();
    EXPECT_EQ(call(m, p, owner, body).status, 403) << m << " " << p;
    EXPECT_EQ(call(m, p, "", body).status, 401) << m << " " << p;
  }
  EXPECT_EQ(call("GET", "/api/v1/orders", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/notifications", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/catalogue", "").status, 200);
}

TEST_P(OrderApiTest, ApplicationFormByEmailUploadedBackSigned) {
  auto c = catalogue();
  const std::string phone = "13900000591";
  std::string t = buyer(phone);
  auto r = call("POST", "/api/v1/orders", t, {{"product_id", c.personal}, {"platform_id", c.platform}});
  ASSERT_EQ(r.status, 201);
  std::string order = r.json()["id"];
  const std::string path = "/api/v1/orders/" + order + "/application-form";
  EXPECT_EQ(call("GET", path, t).status, 404);
  EXPECT_EQ(call("POST", path + "/email", t, {{"email", "not-an-address"}}).status, 400);
  // Uploading back before it was sent is refused.
  std::string early = upload(t, "application_form", "%PDF-1.4\n%%EOF\n", "application/pdf");
  EXPECT_EQ(call("POST", path + "/signed-upload", t, {{"blob_id", early}}).status, 409);
  auto sent = call("POST", path + "/email", t, {{"email", "buyer@example.com"}});
  ASSERT_EQ(sent.status, 202) << sent.body;
  EXPECT_EQ(sent.json()["application_form"]["status"], "sent");
  // The e-mail is in the outbox, with the form attached.
  auto box = call("GET", "/api/v1/operator/email-outbox?to=buyer@example.com", operator_token_);
  ASSERT_EQ(box.status, 200);
  auto items = box.json()["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_GT(items[0]["attachment_size"].get<int>(), 1000);
  std::string mail_id = items[0]["id"];
  auto att = call("GET", "/api/v1/operator/email-outbox/" + mail_id + "/attachment", operator_token_);
  ASSERT_EQ(att.status, 200);
  std::string pdf_path = dir_.path() + "/form.pdf";
  std::ofstream(pdf_path, std::ios::binary) << att.body;
  EXPECT_NE(run_command("qpdf --check " + pdf_path + " 2>&1").find("No syntax or stream encoding errors"), std::string::npos);
  std::string text = run_command("pdftotext -enc UTF-8 " + pdf_path + " - 2>&1");
  EXPECT_NE(text.find("数字证书申请表"), std::string::npos) << text;
  EXPECT_NE(text.find(phone), std::string::npos) << text;
  EXPECT_EQ(call("GET", "/api/v1/operator/email-outbox", t).status, 403);
  // Someone else's upload, or an upload of another purpose, is refused; the signed scan is taken.
  std::string other = register_person("13900000592", "Str0ng!pw");
  std::string foreign = upload(other, "application_form", att.body, "application/pdf");
  EXPECT_EQ(call("POST", path + "/signed-upload", t, {{"blob_id", foreign}}).status, 400);
  EXPECT_EQ(call("POST", path + "/signed-upload", other, {{"blob_id", foreign}}).status, 404);
  std::string signed_scan = upload(t, "application_form", att.body, "application/pdf");
  auto up = call("POST", path + "/signed-upload", t, {{"blob_id", signed_scan}});
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.json()["application_form"]["status"], "signed");
  EXPECT_EQ(up.json()["application_form"]["method"], "email");
}

TEST_P(OrderApiTest, InvoiceAskedAgainAfterFailureThenDownloaded) {
  auto c = catalogue();
  const std::string phone = "13900000581";
  std::string t = buyer(phone);
  std::string order = authorised_order(t, phone, c.personal, c.platform);
  nlohmann::json title = {{"title_type", "company"}, {"title_name", "广州示例制造有限公司"}, {"tax_number", "91440300MA5F0C0037"}};
  // Here the details come after payment; before it: FlowHolesTest.InvoiceDetailsBeforePaymentIssuedOnlyAfterIt.
  std::string pay_path;
  start_sandbox(t, order, &pay_path);
  ASSERT_EQ(http_->request("POST", pay_path).status, 202);
  ASSERT_EQ(wait_status(t, order, "in_review"), "in_review");
  // The tax number format is checked; a personal title carries none.
  auto bad = title;
  bad["tax_number"] = "91440300MA5F0C0038";
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/invoice", t, bad).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/invoice", t,
                 {{"title_type", "personal"}, {"title_name", "张三"}, {"tax_number", "91440300MA5F0C0037"}}).status, 400);
  // First request, wrongly titled; issuing fails; the buyer is told and asks again.
  auto r1 = call("POST", "/api/v1/orders/" + order + "/invoice", t, {{"title_type", "personal"}, {"title_name", "张三"}});
  ASSERT_EQ(r1.status, 201) << r1.body;
  std::string inv = r1.json()["id"];
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/invoice", t, title).status, 409);  // already requested
  {
    auto tab = call("GET", "/api/v1/invoices?tab=not_invoiced", t).json();
    ASSERT_EQ(tab["items"].size(), 1u);
  }
  auto f = call("POST", "/api/v1/operator/invoices/" + inv + "/failure", operator_token_, {{"reason", "抬头与付款单位不符"}});
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(f.json()["status"], "failed");
  EXPECT_EQ(call("GET", "/api/v1/invoices/" + inv + "/pdf", t).status, 409);
  {
    auto n = call("GET", "/api/v1/notifications", t).json();
    EXPECT_EQ(n["items"][0]["kind"], "invoice_failed");
  }
  auto r2 = call("POST", "/api/v1/orders/" + order + "/invoice", t, title);
  ASSERT_EQ(r2.status, 201) << r2.body;
  EXPECT_EQ(r2.json()["id"], inv);
  EXPECT_EQ(r2.json()["attempts"], 2);
  EXPECT_EQ(r2.json()["status"], "requested");
  auto is = call("POST", "/api/v1/operator/invoices/" + inv + "/issuance", operator_token_);
  ASSERT_EQ(is.status, 200) << is.body;
  EXPECT_EQ(is.json()["status"], "issued");
  std::string number = is.json()["invoice_number"];
  EXPECT_EQ(call("POST", "/api/v1/operator/invoices/" + inv + "/issuance", operator_token_).status, 409);
  {
    auto tab = call("GET", "/api/v1/invoices?tab=invoiced", t).json();
    ASSERT_EQ(tab["items"].size(), 1u);
    auto none = call("GET", "/api/v1/invoices?tab=not_invoiced", t).json();
    EXPECT_EQ(none["items"].size(), 0u);
  }
  auto pdf = call("GET", "/api/v1/invoices/" + inv + "/pdf", t);
  ASSERT_EQ(pdf.status, 200);
  std::string pdf_path = dir_.path() + "/invoice.pdf";
  {
    std::ofstream out(pdf_path, std::ios::binary);
    out << pdf.body;
  }
  EXPECT_NE(run_command("qpdf --check " + pdf_path + " 2>&1").find("No syntax or stream encoding errors"), std::string::npos);
  std::string text = run_command("pdftotext -enc UTF-8 " + pdf_path + " - 2>&1");
  EXPECT_NE(text.find("广州示例制造有限公司"), std::string::npos) << text;
  EXPECT_NE(text.find("91440300MA5F0C0037"), std::string::npos) << text;
  EXPECT_NE(text.find("120.00"), std::string::npos) << text;
  EXPECT_NE(text.find(number), std::string::npos) << text;
  // Nobody else sees or downloads it; users cannot issue.
  std::string other = register_person("13900000582", "Str0ng!pw");
  EXPECT_EQ(call("GET", "/api/v1/invoices/" + inv, other).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/invoices/" + inv + "/pdf", other).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/invoice", other, title).status, 404);
  {
    auto theirs = call("GET", "/api/v1/invoices", other).json();
    EXPECT_EQ(theirs["items"].size(), 0u);
  }
  EXPECT_EQ(call("GET", "/api/v1/operator/invoices", t).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/operator/invoices/" + inv + "/issuance", t).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/operator/invoices/" + inv + "/failure", t, {{"reason", "x"}}).status, 403);
}

// The invoice details carry an optional e-mail address (the app's purchase asks for it): a bad
// one is refused next to its field and stores nothing; the issued PDF goes to the address given,
// and the tabs requested / failed list what they name.
TEST_P(OrderApiTest, InvoiceEmailedToTheAddressGivenAndListedByStatusTabs) {
  auto c = catalogue();
  const std::string phone = "13900000583";
  std::string t = buyer(phone);
  std::string order = authorised_order(t, phone, c.personal, c.platform);
  const std::string path = "/api/v1/orders/" + order + "/invoice";
  auto bad = call("POST", path, t, {{"title_type", "personal"}, {"title_name", "张三"}, {"email", "not-an-address"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["errors"][0]["field"], "email") << bad.body;
  EXPECT_EQ(call("GET", "/api/v1/invoices", t).json()["items"].size(), 0u);  // nothing stored
  const nlohmann::json title = {{"title_type", "personal"}, {"title_name", "张三"}, {"email", "zhang@example.com"}};
  auto r = call("POST", path, t, title);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["email"], "zhang@example.com");
  EXPECT_TRUE(r.json()["emailed_at"].is_null());
  std::string inv = r.json()["id"];
  std::string pay_path;
  start_sandbox(t, order, &pay_path);
  ASSERT_EQ(http_->request("POST", pay_path).status, 202);
  ASSERT_EQ(wait_status(t, order, "in_review"), "in_review");
  EXPECT_EQ(call("GET", "/api/v1/invoices?tab=requested", t).json()["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/invoices?tab=failed", t).json()["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/invoices?tab=lost", t).status, 400);
  const std::string op_path = "/api/v1/operator/invoices/" + inv;
  ASSERT_EQ(call("POST", op_path + "/failure", operator_token_, {{"reason", "税号有误"}}).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/invoices?tab=failed", t).json()["items"].size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/invoices?tab=requested", t).json()["items"].size(), 0u);
  // Nothing was mailed for the failure; asked again, issued, the PDF is mailed once.
  const std::string outbox = "/api/v1/operator/email-outbox?to=zhang@example.com";
  EXPECT_EQ(call("GET", outbox, operator_token_).json()["items"].size(), 0u);
  ASSERT_EQ(call("POST", path, t, title).status, 201);
  auto is = call("POST", op_path + "/issuance", operator_token_);
  ASSERT_EQ(is.status, 200) << is.body;
  EXPECT_FALSE(is.json()["emailed_at"].is_null());
  EXPECT_FALSE(call("GET", "/api/v1/invoices/" + inv, t).json()["emailed_at"].is_null());
  auto box = call("GET", outbox, operator_token_).json()["items"];
  ASSERT_EQ(box.size(), 1u);
  EXPECT_NE(std::string(box[0]["subject"]).find(std::string(is.json()["invoice_number"])), std::string::npos);
  auto att = call("GET", "/api/v1/operator/email-outbox/" + std::string(box[0]["id"]) + "/attachment", operator_token_);
  ASSERT_EQ(att.status, 200);
  EXPECT_EQ(att.body, call("GET", "/api/v1/invoices/" + inv + "/pdf", t).body);  // the issued PDF itself
}

TEST_P(OrderApiTest, OrderingNeedsAnApprovedRealNameVerification) {
  auto c = catalogue();
  const std::string phone = "13900000601";
  std::string t = register_person(phone, "Str0ng!pw");
  for (const std::string& product : {c.personal, c.organisation}) {
    auto r = call("POST", "/api/v1/orders", t, {{"product_id", product}, {"platform_id", c.platform}});
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["code"], "person_not_verified") << r.body;
  }
  EXPECT_EQ(call("GET", "/api/v1/orders", t).json()["items"].size(), 0u);
  verify_person(t, phone, "李四", "11010519491231002X");
  EXPECT_EQ(call("POST", "/api/v1/orders", t, {{"product_id", c.personal}, {"platform_id", c.platform}}).status, 201);
}

TEST_P(OrderApiTest, MoneyAfterCancellationIsRefundedByAnOperator) {
  auto c = catalogue();
  const std::string phone = "13900000611";
  std::string t = buyer(phone);
  auto key = gateway_key();
  // Online: the buyer pays at the sandbox gateway after cancelling; its notification arrives late.
  std::string online = authorised_order(t, phone, c.personal, c.platform);
  std::string pay_path;
  std::string payment = start_sandbox(t, online, &pay_path);
  ASSERT_EQ(call("POST", "/api/v1/orders/" + online + "/cancellation", t).status, 200);
  ASSERT_EQ(http_->request("POST", pay_path).status, 202);
  std::string late_status;
  for (int i = 0; i < 100 && late_status != "refund_due"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    late_status = call("GET", "/api/v1/orders/" + online, t).json()["payments"][0]["status"];
  }
  ASSERT_EQ(late_status, "refund_due");
  // Bank transfer: declared, the order cancelled, then the operator sees the money arrive.
  std::string by_bank = authorised_order(t, phone, c.personal, c.platform);
  auto tr = call("POST", "/api/v1/orders/" + by_bank + "/bank-transfers", t,
                 {{"payer_name", "张三"}, {"payer_account", "6222020200001234567"}, {"amount_fen", 12000}});
  ASSERT_EQ(tr.status, 201) << tr.body;
  std::string transfer = tr.json()["id"];
  ASSERT_EQ(call("POST", "/api/v1/orders/" + by_bank + "/cancellation", t).status, 200);
  auto conf = call("POST", "/api/v1/operator/payments/" + transfer + "/confirmation", operator_token_,
                   {{"received_fen", 12000}});
  ASSERT_EQ(conf.status, 200) << conf.body;
  EXPECT_EQ(conf.json()["status"], "cancelled");
  EXPECT_EQ(conf.json()["payments"][0]["status"], "refund_due");
  // A third order is paid normally: its payment is not refunded through this route.
  std::string paid = authorised_order(t, phone, c.personal, c.platform);
  std::string paid_payment = start_sandbox(t, paid);
  ASSERT_EQ(notify(*http_, {{"payment_id", paid_payment}, {"order_id", paid}, {"amount_fen", 12000},
                            {"trade_no", "T-ok-1"}, {"status", "success"}}, key).status, 200);
  ASSERT_EQ(status_of(t, paid), "in_review");

  // Only operators list and refund.
  EXPECT_EQ(call("GET", "/api/v1/operator/payments?status=refund_due", t).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/operator/payments?status=refund_due", "").status, 401);
  EXPECT_EQ(call("POST", "/api/v1/operator/payments/" + payment + "/refund", t, {{"reason", "x"}}).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/operator/payments/" + payment + "/refund", "", {{"reason", "x"}}).status, 401);
  // Paged, oldest first.
  auto p1 = call("GET", "/api/v1/operator/payments?status=refund_due&limit=1", operator_token_);
  ASSERT_EQ(p1.status, 200) << p1.body;
  ASSERT_EQ(p1.json()["items"].size(), 1u);
  EXPECT_EQ(p1.json()["items"][0]["id"], payment);
  EXPECT_EQ(p1.json()["items"][0]["order_id"], online);
  EXPECT_TRUE(p1.json()["items"][0]["trade_no"].is_string());  // the gateway's, needed to refund
  ASSERT_TRUE(p1.json()["next"].is_string());
  auto p2 = call("GET", "/api/v1/operator/payments?status=refund_due&limit=1&after=" +
                            std::string(p1.json()["next"]), operator_token_);
  ASSERT_EQ(p2.json()["items"].size(), 1u);
  EXPECT_EQ(p2.json()["items"][0]["id"], transfer);
  EXPECT_TRUE(p2.json()["next"].is_null());

  // A reason is needed; a payment that is not refund_due is refused; unknown ones are not found.
  EXPECT_EQ(call("POST", "/api/v1/operator/payments/" + payment + "/refund", operator_token_,
                 nlohmann::json::object()).status, 400);
  EXPECT_EQ(call("POST", "/api/v1/operator/payments/" + paid_payment + "/refund", operator_token_,
                 {{"reason", "x"}}).status, 409);
  EXPECT_EQ(call("POST", "/api/v1/operator/payments/no-such-payment/refund", operator_token_,
                 {{"reason", "x"}}).status, 404);
  // Through the gateway, once: asked again, the same answer and no second notification.
  auto r1 = call("POST", "/api/v1/operator/payments/" + payment + "/refund", operator_token_,
                 {{"reason", "订单已取消，原路退回"}});
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_EQ(r1.json()["status"], "refunded");
  EXPECT_EQ(r1.json()["refund_reason"], "订单已取消，原路退回");
  ASSERT_TRUE(r1.json()["refund_no"].is_string());
  EXPECT_FALSE(std::string(r1.json()["refund_no"]).starts_with("manual:"));
  EXPECT_TRUE(r1.json()["refunded_by"].is_string());
  auto r2 = call("POST", "/api/v1/operator/payments/" + payment + "/refund", operator_token_, {{"reason", "again"}});
  ASSERT_EQ(r2.status, 200) << r2.body;
  EXPECT_EQ(r2.json()["refund_no"], r1.json()["refund_no"]);
  EXPECT_EQ(r2.json()["refund_reason"], "订单已取消，原路退回");
  // A bank transfer is recorded as sent back by the operator.
  auto r3 = call("POST", "/api/v1/operator/payments/" + transfer + "/refund", operator_token_,
                 {{"reason", "已原路转回付款账户"}});
  ASSERT_EQ(r3.status, 200) << r3.body;
  EXPECT_EQ(r3.json()["status"], "refunded");
  EXPECT_TRUE(std::string(r3.json()["refund_no"]).starts_with("manual:"));

  EXPECT_EQ(call("GET", "/api/v1/operator/payments?status=refund_due", operator_token_).json()["items"].size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/operator/payments?status=refunded", operator_token_).json()["items"].size(), 2u);
  EXPECT_EQ(status_of(t, online), "cancelled");
  EXPECT_EQ(status_of(t, by_bank), "cancelled");
  EXPECT_EQ(status_of(t, paid), "in_review");
  int told = 0;
  const auto notes = call("GET", "/api/v1/notifications", t).json();
  for (const auto& n : notes["items"]) {
    told += n["kind"] == "payment_refunded" ? 1 : 0;
  }
  EXPECT_EQ(told, 2);
  auto sms = call("GET", "/api/v1/operator/sms-outbox?limit=1&phone=" + phone, operator_token_).json();
  EXPECT_NE(std::string(sms["items"][0]["text"]).find("已原路转回付款账户"), std::string::npos);
}

TEST_P(OrderApiTest, OperatorSeesTheApplicationFormAndItsImages) {
  auto c = catalogue();
  const std::string phone = "13900000621";
  std::string t = buyer(phone);
  // Signed online with a handwritten signature.
  auto o1 = call("POST", "/api/v1/orders", t, {{"product_id", c.personal}, {"platform_id", c.platform}});
  ASSERT_EQ(o1.status, 201);
  std::string online = o1.json()["id"];
  EXPECT_EQ(call("GET", "/api/v1/operator/orders/" + online + "/application-form", operator_token_).status, 404);
  using docsign::TextBlock;
  auto png = docsign::render_png({{"李四", 40, true, TextBlock::Align::kCenter, 0}}, 300, 120, 20);
  ASSERT_TRUE(png.ok());
  std::string sig = upload(t, "handwritten_signature", to_string(*png), "image/png");
  ASSERT_EQ(call("POST", "/api/v1/orders/" + online + "/application-form/online-signature", t, {{"blob_id", sig}}).status,
            200);
  auto d1 = call("GET", "/api/v1/operator/orders/" + online, operator_token_);
  ASSERT_EQ(d1.status, 200);
  EXPECT_EQ(d1.json()["application_form"]["method"], "online");
  EXPECT_EQ(d1.json()["application_form"]["status"], "signed");
  EXPECT_EQ(d1.json()["application_form"]["signature_blob_id"], sig);
  auto img = call("GET", "/api/v1/operator/blobs/" + sig, operator_token_);
  ASSERT_EQ(img.status, 200);
  EXPECT_EQ(img.body, to_string(*png));
  auto pdf = call("GET", "/api/v1/operator/orders/" + online + "/application-form", operator_token_);
  ASSERT_EQ(pdf.status, 200);
  std::string path = dir_.path() + "/op-form.pdf";
  std::ofstream(path, std::ios::binary) << pdf.body;
  EXPECT_NE(run_command("qpdf --check " + path + " 2>&1").find("No syntax or stream encoding errors"), std::string::npos);
  EXPECT_NE(run_command("pdfimages -list " + path + " 2>&1").find("   1     0 image"), std::string::npos);

  // By e-mail, uploaded back signed: the operator sees the address and reads the signed scan.
  auto o2 = call("POST", "/api/v1/orders", t, {{"product_id", c.personal}, {"platform_id", c.platform}});
  std::string emailed = o2.json()["id"];
  ASSERT_EQ(call("POST", "/api/v1/orders/" + emailed + "/application-form/email", t, {{"email", "lisi@example.com"}})
                .status, 202);
  auto form = call("GET", "/api/v1/orders/" + emailed + "/application-form", t);
  ASSERT_EQ(form.status, 200);
  std::string scan = upload(t, "application_form", form.body, "application/pdf");
  ASSERT_EQ(call("POST", "/api/v1/orders/" + emailed + "/application-form/signed-upload", t, {{"blob_id", scan}}).status,
            200);
  auto d2 = call("GET", "/api/v1/operator/orders/" + emailed, operator_token_).json();
  EXPECT_EQ(d2["application_form"]["method"], "email");
  EXPECT_EQ(d2["application_form"]["email"], "lisi@example.com");
  EXPECT_EQ(d2["application_form"]["signed_blob_id"], scan);
  EXPECT_TRUE(d2["application_form"]["signature_blob_id"].is_null());
  auto scanned = call("GET", "/api/v1/operator/blobs/" + scan, operator_token_);
  ASSERT_EQ(scanned.status, 200);
  EXPECT_EQ(scanned.body, form.body);
  EXPECT_EQ(call("GET", "/api/v1/operator/orders/" + emailed + "/application-form", operator_token_).body, form.body);

  // The buyer is no operator: refused on every operator route, even for their own order.
  EXPECT_EQ(call("GET", "/api/v1/operator/orders/" + online + "/application-form", t).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/operator/orders/" + online, t).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/operator/blobs/" + sig, t).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/operator/blobs/" + scan, t).status, 403);
  EXPECT_EQ(call("GET", "/api/v1/operator/orders/" + online + "/application-form", "").status, 401);
  // Another user reaches neither the form nor the images.
  std::string other = register_person("13900000622", "Str0ng!pw");
  EXPECT_EQ(call("GET", "/api/v1/orders/" + online + "/application-form", other).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/blobs/" + sig, other).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/operator/orders/" + online + "/application-form", other).status, 403);
}

TEST_P(OrderApiTest, MutualRecognitionPackageEnablesAnotherPlatform) {
  auto c = catalogue();
  auto pl = call("POST", "/api/v1/operator/catalogue/platforms", operator_token_, {{"name", "异地公共资源交易平台"}});
  ASSERT_EQ(pl.status, 201);
  std::string other_platform = pl.json()["id"];
  auto pk = call("POST", "/api/v1/operator/catalogue/products", operator_token_,
                 {{"kind", "mutual_recognition"}, {"name", "互认共享 12个月"}, {"cert_type", "personal"},
                  {"algorithm", "sm2"}, {"validity_years", 1}, {"price_fen", 3000}, {"ca_id", "sm2"},
                  {"seal_type", "handwritten"}, {"platform_id", other_platform}, {"period_months", 12}});
  ASSERT_EQ(pk.status, 201) << pk.body;
  std::string package = pk.json()["id"];
  const std::string phone = "13900000631";
  std::string t = buyer(phone);
  std::string account = call("GET", "/api/v1/account", t).json()["id"];
  std::string cert = installed_certificate(account, c.platform);
  const std::string platforms = "/api/v1/account/certificates/" + cert + "/platforms";

  // Someone else's certificate does not exist for the caller.
  std::string intruder = buyer("13900000632");
  EXPECT_EQ(call("POST", "/api/v1/orders", intruder, {{"product_id", package}, {"certificate_id", cert}}).status, 404);
  EXPECT_EQ(call("GET", platforms, intruder).status, 404);
  EXPECT_EQ(call("GET", platforms, "").status, 401);
  // A package names the certificate.
  EXPECT_EQ(call("POST", "/api/v1/orders", t, {{"product_id", package}}).status, 400);
  {
    auto before = call("GET", platforms, t);
    ASSERT_EQ(before.status, 200) << before.body;
    ASSERT_EQ(before.json()["items"].size(), 1u);
    EXPECT_EQ(before.json()["items"][0]["platform_id"], c.platform);
    EXPECT_EQ(before.json()["items"][0]["source"], "purchase");
    EXPECT_EQ(before.json()["items"][0]["enabled"], true);
  }
  auto o = call("POST", "/api/v1/orders", t, {{"product_id", package}, {"certificate_id", cert}});
  ASSERT_EQ(o.status, 201) << o.body;
  std::string order = o.json()["id"];
  EXPECT_EQ(o.json()["platform_id"], other_platform);
  EXPECT_EQ(o.json()["certificate_id"], cert);
  call("POST", "/api/v1/account/sms-codes", t, {{"purpose", "authorise"}});
  ASSERT_EQ(call("POST", "/api/v1/orders/" + order + "/authorisation", t, {{"code", code_for(phone)}}).status, 200);
  std::string payment = start_sandbox(t, order);
  ASSERT_EQ(notify(*http_, {{"payment_id", payment}, {"order_id", order}, {"amount_fen", 3000},
                            {"trade_no", "T-mr-1"}, {"status", "success"}}, gateway_key()).status, 200);
  auto ap = call("POST", "/api/v1/operator/orders/" + order + "/approval", operator_token_);
  ASSERT_EQ(ap.status, 200) << ap.body;
  EXPECT_EQ(ap.json()["status"], "done");
  EXPECT_EQ(ap.json()["events"].back()["from"], "approved");
  EXPECT_EQ(ap.json()["events"].back()["to"], "done");

  auto after = call("GET", platforms, t).json();
  ASSERT_EQ(after["items"].size(), 2u);
  EXPECT_EQ(after["items"][1]["platform_id"], other_platform);
  EXPECT_EQ(after["items"][1]["source"], "package");
  EXPECT_EQ(after["items"][1]["order_id"], order);
  EXPECT_EQ(after["items"][1]["enabled"], true);
  EXPECT_TRUE(after["items"][1]["cancelled_at"].is_null());

  const std::string cancel = platforms + "/" + other_platform + "/cancellation";
  EXPECT_EQ(call("POST", cancel, intruder).status, 404);
  EXPECT_EQ(call("POST", platforms + "/" + c.platform + "/cancellation", t).status, 409);
  auto cn = call("POST", cancel, t);
  ASSERT_EQ(cn.status, 200) << cn.body;
  EXPECT_EQ(cn.json()["enabled"], false);
  EXPECT_TRUE(cn.json()["cancelled_at"].is_string());
  EXPECT_EQ(call("POST", cancel, t).json()["cancelled_at"], cn.json()["cancelled_at"]);
  auto last = call("GET", platforms, t).json();
  EXPECT_EQ(last["items"][0]["enabled"], true);
  EXPECT_EQ(last["items"][1]["enabled"], false);
}

// Orders that stay unpaid are cancelled by the scheduled job after order.timeout_s.
class OrderTimeoutTest : public OrderApiTest {
 public:
  std::vector<std::string> extra_server_args() const override { return {"--set", "order.timeout_s=1"}; }
};

TEST_P(OrderTimeoutTest, UnpaidOrderTimesOut) {
  auto c = catalogue();
  const std::string phone = "13900000571";
  std::string t = buyer(phone);
  std::string order = authorised_order(t, phone, c.personal, c.platform);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  run_jobs();
  auto d = call("GET", "/api/v1/orders/" + order, t).json();
  EXPECT_EQ(d["status"], "cancelled");
  EXPECT_EQ(d["events"].back()["actor"], "system");
  EXPECT_EQ(d["events"].back()["reason"], "not paid in time");
  EXPECT_EQ(call("POST", "/api/v1/orders/" + order + "/online-payments", t, {{"gateway", "sandbox"}}).status, 409);
}

// email.sender = smtp puts the SMTP sender in place of the outbox (SmtpEmailSender.* in unit_tests
// deliver to a real SMTP session); here its server is unreachable, so sending the form fails.
class SmtpOrderTest : public OrderApiTest {
 public:
  std::vector<std::string> extra_server_args() const override {
    return {"--set", "email.sender=smtp", "--set", "email.smtp_url=smtp://127.0.0.1:1", "--set",
            "email.from=noreply@certseal.test"};
  }
};

TEST_P(SmtpOrderTest, TheFormGoesThroughTheConfiguredSmtpServer) {
  auto c = catalogue();
  std::string t = buyer("13900000641");
  auto r = call("POST", "/api/v1/orders", t, {{"product_id", c.personal}, {"platform_id", c.platform}});
  ASSERT_EQ(r.status, 201);
  auto sent = call("POST", "/api/v1/orders/" + std::string(r.json()["id"]) + "/application-form/email", t,
                   {{"email", "buyer@example.com"}});
  EXPECT_EQ(sent.status, 503) << sent.body;
  EXPECT_EQ(sent.json()["code"], "email_send_failed");
  EXPECT_EQ(call("GET", "/api/v1/operator/email-outbox", operator_token_).json()["items"].size(), 0u);
}

CERTSEAL_INSTANTIATE_API_ENGINES(OrderApiTest);
CERTSEAL_INSTANTIATE_API_ENGINES(SmtpOrderTest);
CERTSEAL_INSTANTIATE_API_ENGINES(OrderTimeoutTest);

}  // namespace
}  // namespace certseal::testing
