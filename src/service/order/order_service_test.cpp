// OrderService on both engines, for what needs certificates that users hold (installation is
// built elsewhere, so the rows of shield_keys, pki_certificate and account_certificates are
// written here directly): packages must name a current certificate of the buyer; approving a
// mutual-recognition package enables the certificate on its platform (extended from the current
// end, started again after a cancellation) and completes the order; enabled_for() answers for
// relying parties; complete() turns an approved order of the right account, kind and certificate
// into done once. Also: no order without an approved real-name verification, and add_months().
#include "service/order/order_service.h"

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <thread>

#include "docsign/text_render.h"
#include "service/ledger/recorder.h"
#include "service/org/licence_ocr.h"
#include "support/engine_fixture.h"
#include "support/image_bombs.h"
#include "support/person_rows.h"

namespace certseal::service {
namespace {

constexpr std::int64_t kStart = 1'800'000'000;  // 2027-01-15T08:00:00Z
constexpr std::int64_t kDay = 86400;

class NoOcr final : public LicenceReader {
 public:
  Result<LicenceFields> read(BytesView) override { return unavailable("no_ocr", "not in this test"); }
};

class OrderServiceTest : public testing::EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    sms_sender_ = std::make_unique<OutboxSmsSender>(*db_, clock_, rng_);
    codes_ = std::make_unique<SmsCodeService>(*db_, clock_, rng_, *sms_sender_, SmsPolicy{});
    blobs_ = std::make_unique<BlobStore>(dir_.path() + "/blobs", *db_, clock_, rng_, 1 << 20);
    bank_ = std::make_unique<DevBankBackend>(clock_, rng_);
    orgs_ = std::make_unique<OrgService>(*db_, clock_, rng_, log_, *blobs_, ocr_, *bank_, *sms_sender_);
    email_ = std::make_unique<OutboxEmailSender>(*db_, clock_, rng_);
    svc_ = std::make_unique<OrderService>(*db_, clock_, rng_, log_, *sms_sender_, *codes_, *orgs_, *email_, *blobs_,
                                          OrderOptions{});
    exec("INSERT INTO pki_ca (id, name, algorithm, backend, root_key_id, root_cert, issuing_key_id, issuing_cert, "
         "ocsp_key_id, tsa_key_id, crl_number, crl_this_update, crl_next_update, sm2_id, created_at) "
         "VALUES ('sm2', 'test', 'sm2', 'local', 'k', ?, 'k', ?, 'k', 'k', 1, 0, 0, '1234567812345678', 'now')",
         {Bytes{1}, Bytes{1}});
    auto home = svc_->add_platform("本地交易平台");
    auto other = svc_->add_platform("异地交易平台");
    ASSERT_TRUE(home.ok() && other.ok());
    home_ = home->id;
    other_ = other->id;
    product("p-cert", "certificate", "");
    product("p-mutual", "mutual_recognition", other_, 12);
    product("p-renewal", "renewal", "");
    alice_ = account("13900000001", true);
    bob_ = account("13900000002", true);
  }

  void exec(const std::string& sql, std::vector<store::Value> params = {}) {
    auto r = db_->write([&](store::Tx& tx) -> Status {
      CS_TRY(tx.exec(sql, params));
      return {};
    });
    ASSERT_TRUE(r.ok()) << r.error().cause << " " << sql;
  }
  void product(const std::string& id, const std::string& kind, const std::string& platform, int months = 0) {
    exec("INSERT INTO products (id, kind, name, cert_type, algorithm, validity_years, price_fen, ca_id, seal_type, "
         "platform_id, period_months, active, created_at) VALUES (?, ?, ?, 'personal', 'sm2', 1, 100, 'sm2', "
         "'handwritten', ?, ?, 1, 'now')",
         {id, kind, id, platform.empty() ? store::Value() : store::Value(platform), months});
  }
  std::string account(const std::string& phone, bool verified) {
    std::string id;
    auto r = db_->write([&](store::Tx& tx) -> Status {
      CS_ASSIGN(id, testing::insert_account(tx, phone));
      return verified ? testing::insert_person_verification(tx, id, phone) : Status{};
    });
    EXPECT_TRUE(r.ok()) << r.error().cause;
    return id;
  }
  // A certificate held by `account`, bought for `platform`, valid for a year from kStart.
  std::string certificate(const std::string& account, const std::string& platform, const std::string& status = "valid",
                          std::int64_t not_after = kStart + 365 * kDay, int current = 1) {
    std::string id = "cert-" + std::to_string(++certs_);
    exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, recovery_key_enc, created_at, "
         "updated_at) VALUES (?, ?, 'sm2', ?, 'active', ?, 'now', 'now')",
         {"key-" + id, account, Bytes{4}, Bytes{5}});
    exec("INSERT INTO pki_certificate (id, ca_id, serial, profile, subject, subject_json, spki, der, status, "
         "not_before, not_after, created_at) VALUES (?, 'sm2', ?, 'personal', 'CN=张三', '{}', ?, ?, ?, ?, ?, 'now')",
         {id, id, Bytes{1}, Bytes{2}, status, kStart - kDay, not_after});
    exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, platform_id, "
         "current, created_at) VALUES (?, ?, ?, 'order-of-purchase', ?, ?, ?, 'now')",
         {id, account, "key-" + id, "test:" + id, platform, current});
    return id;
  }
  Result<OrderView> order(const std::string& account, const std::string& product, const std::string& certificate,
                          const std::string& platform = "") {
    CreateOrderInput in;
    in.product_id = product;
    in.platform_id = platform;
    in.certificate_id = certificate;
    return svc_->create(account, in);
  }
  // Puts an order into the review queue (payment is covered by the API tests).
  OrderView reviewed(const std::string& account, const std::string& product, const std::string& certificate) {
    auto o = order(account, product, certificate);
    EXPECT_TRUE(o.ok()) << o.error().code;
    exec("UPDATE orders SET status = 'in_review' WHERE id = ?", {o->id});
    auto a = svc_->approve("operator-1", o->id);
    EXPECT_TRUE(a.ok()) << a.error().code << " " << a.error().cause;
    return a.ok() ? *a : OrderView{};
  }
  std::int64_t enabled_until(const std::string& cert, const std::string& platform) {
    auto v = db_->read_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
      CS_ASSIGN(auto r, tx.query_one("SELECT enabled_until FROM certificate_platforms WHERE certificate_id = ? "
                                     "AND platform_id = ?",
                                     {cert, platform}));
      return r ? r->integer("enabled_until") : -1;
    });
    return v.ok() ? *v : -2;
  }
  bool enabled(const std::string& cert, const std::string& platform) {
    auto e = svc_->enabled_for(cert, platform);
    EXPECT_TRUE(e.ok());
    return e.ok() && *e;
  }

  ManualClock clock_{SysTime(std::chrono::seconds(kStart))};
  SeededRng rng_{7};
  MemoryLogger log_;
  NoOcr ocr_;
  std::unique_ptr<OutboxSmsSender> sms_sender_;
  std::unique_ptr<SmsCodeService> codes_;
  std::unique_ptr<BlobStore> blobs_;
  std::unique_ptr<DevBankBackend> bank_;
  std::unique_ptr<OrgService> orgs_;
  std::unique_ptr<OutboxEmailSender> email_;
  std::unique_ptr<OrderService> svc_;
  std::string home_, other_, alice_, bob_;
  int certs_ = 0;
};

TEST(AddMonths, CalendarMonthsClampedToTheMonthsEnd) {
  // 2027-01-15T08:00:00Z + 12 months = 2028-01-15T08:00:00Z.
  EXPECT_EQ(add_months(kStart, 12), kStart + 365 * kDay);
  // 2027-01-31T10:20:30Z + 1 month = 2027-02-28T10:20:30Z (clamped), + 13 = 2028-02-29 (leap year).
  const std::int64_t jan31 = 1801390830;
  EXPECT_EQ(add_months(jan31, 1), jan31 + 28 * kDay);
  EXPECT_EQ(add_months(jan31, 13), jan31 + (365 + 29) * kDay);
  EXPECT_EQ(add_months(kStart, 0), kStart);
}

// The console's catalogue page: a price is changed in fen (the page converts yuan), the sale
// state toggled; a bad price or an unknown product changes nothing, and an order placed before
// the change keeps the amount it was created with.
TEST_P(OrderServiceTest, ProductPriceAndSaleStateChangeOnlyWithGoodInput) {
  auto before = order(alice_, "p-cert", "", home_);
  ASSERT_TRUE(before.ok()) << before.error().code;
  ASSERT_EQ(before->amount_fen, 100);
  auto priced = svc_->update_product("p-cert", std::nullopt, 1250);
  ASSERT_TRUE(priced.ok()) << priced.error().code;
  EXPECT_EQ(priced->price_fen, 1250);
  EXPECT_TRUE(priced->active);
  for (std::int64_t bad : {std::int64_t{-1}, std::int64_t{100000001}}) {
    auto r = svc_->update_product("p-cert", false, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_price_fen");
  }
  EXPECT_EQ(svc_->update_product("p-cert", std::nullopt, std::nullopt).error().code, "nothing_to_change");
  EXPECT_EQ(svc_->update_product("no-such", true, 5).error().code, "product_not_found");
  auto listed = svc_->products(true);
  ASSERT_TRUE(listed.ok());
  auto it = std::find_if(listed->begin(), listed->end(), [](const ProductView& p) { return p.id == "p-cert"; });
  ASSERT_NE(it, listed->end());
  EXPECT_EQ(it->price_fen, 1250);
  EXPECT_TRUE(it->active);  // the refused call (bad price with active=false) changed nothing
  auto off = svc_->update_product("p-cert", false, std::nullopt);
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->active);
  EXPECT_EQ(off->price_fen, 1250);
  auto after = svc_->get(alice_, before->id);
  ASSERT_TRUE(after.ok()) << after.error().code;
  EXPECT_EQ(after->amount_fen, 100);
}

TEST_P(OrderServiceTest, NoOrderWithoutAnApprovedRealNameVerification) {
  std::string carol = account("13900000003", false);
  auto o = order(carol, "p-cert", "", home_);
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.error().code, "person_not_verified");
  // A verification that is only waiting for review (or was rejected) is not enough either.
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return testing::insert_person_verification(tx, carol, "3", "pending", "丙"); }).ok());
  EXPECT_EQ(order(carol, "p-cert", "", home_).error().code, "person_not_verified");
  auto list = svc_->list(carol, "all", "", 20);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_TRUE(order(alice_, "p-cert", "", home_).ok());
}

TEST_P(OrderServiceTest, PackagesNameACurrentCertificateOfTheBuyer) {
  std::string mine = certificate(alice_, home_);
  std::string bobs = certificate(bob_, home_);
  std::string replaced = certificate(alice_, home_, "valid", kStart + 365 * kDay, /*current=*/0);
  EXPECT_EQ(order(alice_, "p-mutual", "").error().code, "invalid_certificate_id");
  EXPECT_EQ(order(alice_, "p-mutual", bobs).error().code, "certificate_not_found");
  EXPECT_EQ(order(alice_, "p-renewal", bobs).error().code, "certificate_not_found");
  EXPECT_EQ(order(alice_, "p-mutual", replaced).error().code, "certificate_not_found");
  EXPECT_EQ(order(alice_, "p-mutual", "no-such-certificate").error().code, "certificate_not_found");
  // A certificate order names none; a package enables its own platform only.
  EXPECT_EQ(order(alice_, "p-cert", mine, home_).error().code, "invalid_certificate_id");
  EXPECT_EQ(order(alice_, "p-mutual", mine, home_).error().code, "invalid_platform_id");
  // A certificate bought for the package's platform needs no package.
  std::string there = certificate(alice_, other_);
  EXPECT_EQ(order(alice_, "p-mutual", there).error().code, "platform_already_enabled");

  auto m = order(alice_, "p-mutual", mine);
  ASSERT_TRUE(m.ok()) << m.error().code;
  EXPECT_EQ(m->certificate_id, mine);
  EXPECT_EQ(m->platform_id, other_);
  auto r = order(alice_, "p-renewal", mine);
  ASSERT_TRUE(r.ok()) << r.error().code;
  EXPECT_EQ(r->platform_id, home_);  // the certificate's platform
  auto again = svc_->get(alice_, r->id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->certificate_id, mine);
}

// Review M3 with admins who renew (ShieldService::org_renew): an organisation renewal package
// may name a certificate the buyer does not hold only when the buyer is the organisation's admin
// (or legal representative), acts as that identity, and the certificate is a current one of
// that organisation. An employee, an admin acting as something else, a personal package, or a
// certificate of another organisation or a personal one: 404 as before.
TEST_P(OrderServiceTest, OrganisationRenewalPackageForAnotherHolderOnlyForTheActingAdmin) {
  std::string carol = account("13900000003", true);
  for (const char* org : {"org-1", "org-2"}) {
    exec("INSERT INTO organisations (id, name, credit_code, status, creator_account_id, creator_is_legal_rep, "
         "created_at, updated_at) VALUES (?, ?, '91310115MA1K3B0020', 'verified', ?, 1, 'now', 'now')",
         {std::string(org), std::string(org), alice_});
  }
  for (const auto& [who, role] : {std::pair{alice_, "admin"}, std::pair{bob_, "employee"}, std::pair{carol, "employee"}}) {
    exec("INSERT INTO identities (id, account_id, kind, org_id, created_at) VALUES (?, ?, ?, 'org-1', 'now')",
         {"id-" + who, who, std::string(role)});
    exec("INSERT INTO memberships (id, org_id, account_id, role, identity_id, status, created_at) "
         "VALUES (?, 'org-1', ?, ?, ?, 'active', 'now')",
         {"m-" + who, who, std::string(role), "id-" + who});
  }
  exec("INSERT INTO products (id, kind, name, cert_type, algorithm, validity_years, price_fen, ca_id, seal_type, "
       "active, created_at) VALUES ('p-org-renewal', 'renewal', '机构证书延期', 'organisation', 'sm2', 1, 100, 'sm2', "
       "'official', 1, 'now')");
  const std::string bobs_org = certificate(bob_, home_);
  const std::string bobs_personal = certificate(bob_, home_);
  const std::string elsewhere = certificate(bob_, home_);
  exec("UPDATE account_certificates SET org_id = 'org-1' WHERE certificate_id = ?", {bobs_org});
  exec("UPDATE account_certificates SET org_id = 'org-2' WHERE certificate_id = ?", {elsewhere});
  auto buy = [&](const std::string& buyer, const std::string& product, const std::string& cert,
                 const std::string& org, bool acting_as_admin) {
    CreateOrderInput in;
    in.product_id = product;
    in.certificate_id = cert;
    in.org_id = org;
    in.acting_as_org_admin = acting_as_admin;
    return svc_->create(buyer, in);
  };
  auto refusal = [&](const std::string& buyer, const std::string& product, const std::string& cert,
                     const std::string& org, bool acting_as_admin) -> std::string {
    auto o = buy(buyer, product, cert, org, acting_as_admin);
    return o.ok() ? "accepted" : o.error().code;
  };
  // Another employee, even claiming to act as admin, finds no such certificate.
  EXPECT_EQ(refusal(carol, "p-org-renewal", bobs_org, "org-1", true), "certificate_not_found");
  // The admin acting as anything but the admin identity neither.
  EXPECT_EQ(refusal(alice_, "p-org-renewal", bobs_org, "org-1", false), "certificate_not_found");
  // Nor with a personal package, for a personal certificate, or for another organisation's.
  EXPECT_EQ(refusal(alice_, "p-renewal", bobs_org, "", true), "certificate_not_found");
  EXPECT_EQ(refusal(alice_, "p-org-renewal", bobs_personal, "org-1", true), "certificate_not_found");
  EXPECT_EQ(refusal(alice_, "p-org-renewal", elsewhere, "org-1", true), "certificate_not_found");
  EXPECT_EQ(refusal(alice_, "p-org-renewal", elsewhere, "org-2", true), "forbidden");
  // The acting admin buys it: the order is theirs, for the holder's certificate.
  auto o = buy(alice_, "p-org-renewal", bobs_org, "org-1", true);
  ASSERT_TRUE(o.ok()) << o.error().code << " " << o.error().cause;
  EXPECT_EQ(o->account_id, alice_);
  EXPECT_EQ(o->certificate_id, bobs_org);
  EXPECT_EQ(o->applicant_role, "admin");
  EXPECT_EQ(o->platform_id, home_);
  // The holder buys one for their own organisation certificate as before.
  EXPECT_TRUE(buy(bob_, "p-org-renewal", bobs_org, "org-1", false).ok());
}

TEST_P(OrderServiceTest, MutualRecognitionEnablesExtendsLapsesAndCancels) {
  std::string cert = certificate(alice_, home_, "valid", kStart + 5 * 365 * kDay);
  // Bought for home: enabled there for the certificate's life, nowhere else.
  EXPECT_TRUE(enabled(cert, home_));
  EXPECT_FALSE(enabled(cert, other_));

  auto o = reviewed(alice_, "p-mutual", cert);
  EXPECT_EQ(o.status, "done");
  ASSERT_GE(o.events.size(), 2u);
  EXPECT_EQ(o.events[o.events.size() - 2].to, "approved");
  EXPECT_EQ(o.events.back().to, "done");
  EXPECT_EQ(o.events.back().actor, "operator-1");
  EXPECT_EQ(enabled_until(cert, other_), add_months(kStart, 12));
  EXPECT_TRUE(enabled(cert, other_));

  // A second package while the first runs extends from its end, not from now.
  clock_.advance(std::chrono::days(30));
  reviewed(alice_, "p-mutual", cert);
  EXPECT_EQ(enabled_until(cert, other_), add_months(add_months(kStart, 12), 12));

  auto list = svc_->certificate_platforms(alice_, cert);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].source, "purchase");
  EXPECT_EQ((*list)[0].platform_id, home_);
  EXPECT_TRUE((*list)[0].enabled);
  EXPECT_EQ((*list)[1].source, "package");
  EXPECT_EQ((*list)[1].platform_id, other_);
  EXPECT_TRUE((*list)[1].enabled);
  // Nobody else sees or cancels them.
  EXPECT_EQ(svc_->certificate_platforms(bob_, cert).error().code, "certificate_not_found");
  EXPECT_EQ(svc_->cancel_certificate_platform(bob_, cert, other_).error().code, "certificate_not_found");
  EXPECT_TRUE(enabled(cert, other_));
  // The purchase platform is not a package.
  EXPECT_EQ(svc_->cancel_certificate_platform(alice_, cert, home_).error().code, "platform_is_original");

  auto c = svc_->cancel_certificate_platform(alice_, cert, other_);
  ASSERT_TRUE(c.ok()) << c.error().code;
  EXPECT_FALSE(c->enabled);
  EXPECT_FALSE(c->cancelled_at.empty());
  EXPECT_FALSE(enabled(cert, other_));
  EXPECT_TRUE(enabled(cert, home_));
  auto c2 = svc_->cancel_certificate_platform(alice_, cert, other_);  // idempotent
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(c2->cancelled_at, c->cancelled_at);

  // Bought again after cancelling: starts from now.
  clock_.advance(std::chrono::days(1));
  reviewed(alice_, "p-mutual", cert);
  EXPECT_EQ(enabled_until(cert, other_), add_months(clock_.now_unix(), 12));
  EXPECT_TRUE(enabled(cert, other_));
  // After its end the package lapses; the purchase platform lasts as long as the certificate.
  clock_.set(SysTime(std::chrono::seconds(kStart + 364 * kDay)));
  EXPECT_TRUE(enabled(cert, other_));
  clock_.set(SysTime(std::chrono::seconds(enabled_until(cert, other_))));
  EXPECT_FALSE(enabled(cert, other_));
  EXPECT_TRUE(enabled(cert, home_));
}

// The transparency log (docs/LEDGER.md "Orders", "Organisations"): the order transitions that
// change what a buyer may use, and the organisation events that change who acts for whom, are
// one entry each, in their own transaction; refused attempts (another buyer cancelling, a
// non-admin removing a member) leave none.
std::vector<nlohmann::json> pending_entries(store::Database& db) {
  std::vector<nlohmann::json> out;
  EXPECT_TRUE(db.read([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto rows, tx.query("SELECT data FROM ledger_pending ORDER BY id"));
    for (auto& r : rows) out.push_back(nlohmann::json::parse(r.text("data")));
    return {};
  }).ok());
  return out;
}

TEST_P(OrderServiceTest, OrderDecisionsAreLoggedInTheirTransaction) {
  ledger::Recorder recorder(clock_);
  svc_->set_ledger(&recorder);
  std::string cert = certificate(alice_, home_);
  auto unpaid = order(alice_, "p-mutual", cert);
  ASSERT_TRUE(unpaid.ok()) << unpaid.error().code;
  // Attacker side: Bob cancelling Alice's order is refused and not logged.
  EXPECT_EQ(svc_->cancel(bob_, unpaid->id).error().code, "order_not_found");
  EXPECT_TRUE(pending_entries(*db_).empty());
  ASSERT_TRUE(svc_->cancel(alice_, unpaid->id).ok());
  OrderView approved = reviewed(alice_, "p-mutual", cert);
  auto to_reject = order(alice_, "p-mutual", cert);
  ASSERT_TRUE(to_reject.ok());
  exec("UPDATE orders SET status = 'in_review' WHERE id = ?", {to_reject->id});
  ASSERT_TRUE(svc_->reject("operator-1", to_reject->id, "材料不全").ok());
  // Approving it again is refused and changes nothing.
  EXPECT_FALSE(svc_->approve("operator-1", to_reject->id).ok());
  auto e = pending_entries(*db_);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0]["type"], "order.cancelled");
  EXPECT_EQ(e[0]["actor"], alice_);
  EXPECT_EQ(e[0]["account"], alice_);
  EXPECT_EQ(e[0]["subject"], unpaid->id);
  EXPECT_EQ(e[0]["platform"], other_);
  EXPECT_EQ(e[0]["detail"]["product"], "p-mutual");
  EXPECT_EQ(e[1]["type"], "order.approved");
  EXPECT_EQ(e[1]["actor"], "operator-1");
  EXPECT_EQ(e[1]["account"], alice_);
  EXPECT_EQ(e[1]["subject"], approved.id);
  EXPECT_EQ(e[1]["detail"]["from"], "in_review");
  // A mutual-recognition approval completes the order in the same transaction.
  EXPECT_EQ(e[2]["type"], "order.done");
  EXPECT_EQ(e[2]["actor"], "operator-1");
  EXPECT_EQ(e[2]["subject"], approved.id);
  EXPECT_EQ(e[2]["detail"]["from"], "approved");
  EXPECT_EQ(e[3]["type"], "order.rejected");
  EXPECT_EQ(e[3]["detail"]["reason"], "材料不全");
}

// paid -> in_review (the payment queues the order for review, in the payment's transaction) and
// approved -> done (the certificate order used by its installation) are entries too; a second
// confirmation of the same transfer, another buyer completing the order, and completing it
// twice are refused and leave none.
TEST_P(OrderServiceTest, QueueingForReviewAndCompletionAreLogged) {
  ledger::Recorder recorder(clock_);
  svc_->set_ledger(&recorder);
  auto o = order(alice_, "p-cert", "", home_);
  ASSERT_TRUE(o.ok()) << o.error().code;
  exec("UPDATE orders SET status = 'awaiting_payment' WHERE id = ?", {o->id});
  auto pay = svc_->submit_bank_transfer(alice_, o->id, "上海某某有限公司", "6222020200001234", o->amount_fen, "");
  ASSERT_TRUE(pay.ok()) << pay.error().code;
  EXPECT_FALSE(svc_->confirm_bank_transfer("operator-1", pay->id, o->amount_fen + 1).ok());
  EXPECT_TRUE(pending_entries(*db_).empty());
  ASSERT_TRUE(svc_->confirm_bank_transfer("operator-1", pay->id, o->amount_fen).ok());
  EXPECT_FALSE(svc_->confirm_bank_transfer("operator-1", pay->id, o->amount_fen).ok());
  auto e = pending_entries(*db_);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["type"], "order.paid");
  EXPECT_EQ(e[0]["actor"], "operator-1");
  EXPECT_EQ(e[1]["type"], "order.in_review");
  EXPECT_FALSE(e[1].contains("actor"));  // the platform queued it
  EXPECT_EQ(e[1]["account"], alice_);
  EXPECT_EQ(e[1]["subject"], o->id);
  EXPECT_EQ(e[1]["platform"], home_);
  EXPECT_EQ(e[1]["detail"]["from"], "paid");

  ASSERT_TRUE(svc_->approve("operator-1", o->id).ok());
  std::string cert = certificate(alice_, home_);
  // Attacker side: Bob completing Alice's approved order is refused and not logged.
  EXPECT_EQ(svc_->complete(bob_, o->id, cert, "certificate").error().code, "order_not_found");
  EXPECT_EQ(pending_entries(*db_).size(), 3u);
  auto done = svc_->complete(alice_, o->id, cert, "certificate");
  ASSERT_TRUE(done.ok()) << done.error().code;
  EXPECT_EQ(svc_->complete(alice_, o->id, cert, "certificate").error().code, "order_not_approved");
  e = pending_entries(*db_);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[2]["type"], "order.approved");
  EXPECT_EQ(e[3]["type"], "order.done");
  EXPECT_EQ(e[3]["actor"], alice_);
  EXPECT_EQ(e[3]["account"], alice_);
  EXPECT_EQ(e[3]["subject"], o->id);
  EXPECT_EQ(e[3]["detail"]["from"], "approved");
  EXPECT_EQ(e[3]["detail"]["reason"], "certificate installed: " + cert);
}

// Cancelling a mutual-recognition package (互认共享) is an entry with who cancelled it: the holder,
// or an admin of the organisation for its certificate. Another account's attempt, the purchase
// platform, and cancelling again (nothing changes) leave none.
TEST_P(OrderServiceTest, MutualRecognitionCancellationIsLogged) {
  ledger::Recorder recorder(clock_);
  std::string cert = certificate(alice_, home_);
  reviewed(alice_, "p-mutual", cert);
  svc_->set_ledger(&recorder);
  EXPECT_EQ(svc_->cancel_certificate_platform(bob_, cert, other_).error().code, "certificate_not_found");
  EXPECT_EQ(svc_->cancel_certificate_platform(alice_, cert, home_).error().code, "platform_is_original");
  EXPECT_TRUE(pending_entries(*db_).empty());
  ASSERT_TRUE(svc_->cancel_certificate_platform(alice_, cert, other_).ok());
  ASSERT_TRUE(svc_->cancel_certificate_platform(alice_, cert, other_).ok());  // idempotent
  auto e = pending_entries(*db_);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0]["type"], "mutual_recognition.cancel");
  EXPECT_EQ(e[0]["actor"], alice_);
  EXPECT_EQ(e[0]["account"], alice_);
  EXPECT_EQ(e[0]["subject"], cert);
  EXPECT_EQ(e[0]["certificate"], cert);
  EXPECT_EQ(e[0]["platform"], other_);
  EXPECT_FALSE(e[0]["detail"]["order"].get<std::string>().empty());
  EXPECT_EQ(e[0]["detail"]["enabled_until"], add_months(kStart, 12));

  // An organisation certificate held by Bob; Alice is the organisation's admin.
  exec("INSERT INTO organisations (id, name, credit_code, status, creator_account_id, creator_is_legal_rep, "
       "created_at, updated_at) VALUES ('org-1', 'org-1', '91310115MA1K3B0020', 'verified', ?, 1, 'now', 'now')",
       {alice_});
  for (const auto& [who, role] : {std::pair{alice_, "admin"}, std::pair{bob_, "employee"}}) {
    exec("INSERT INTO identities (id, account_id, kind, org_id, created_at) VALUES (?, ?, ?, 'org-1', 'now')",
         {"id-" + who, who, std::string(role)});
    exec("INSERT INTO memberships (id, org_id, account_id, role, identity_id, status, created_at) "
         "VALUES (?, 'org-1', ?, ?, ?, 'active', 'now')",
         {"m-" + who, who, std::string(role), "id-" + who});
  }
  svc_->set_ledger(nullptr);
  std::string bobs = certificate(bob_, home_);
  reviewed(bob_, "p-mutual", bobs);
  exec("UPDATE account_certificates SET org_id = 'org-1' WHERE certificate_id = ?", {bobs});
  svc_->set_ledger(&recorder);
  // Attacker side: Bob is only an employee; he cannot cancel as the organisation.
  EXPECT_EQ(svc_->org_cancel_certificate_platform(bob_, "org-1", bobs, other_).error().code, "not_org_admin");
  EXPECT_EQ(pending_entries(*db_).size(), 1u);
  ASSERT_TRUE(svc_->org_cancel_certificate_platform(alice_, "org-1", bobs, other_).ok());
  e = pending_entries(*db_);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1]["type"], "mutual_recognition.cancel");
  EXPECT_EQ(e[1]["actor"], alice_);
  EXPECT_EQ(e[1]["account"], bob_);
  EXPECT_EQ(e[1]["certificate"], bobs);
  EXPECT_EQ(e[1]["detail"]["org"], "org-1");
}

// An operator's decision on a change of a verified organisation's information is an entry in the
// decision's transaction; a decision refused after it was attempted (the new credit code belongs
// to another verified organisation, so the approval rolls back) and a second decision leave none.
TEST_P(OrderServiceTest, OrganisationChangeDecisionsAreLogged) {
  ledger::Recorder recorder(clock_);
  orgs_->set_ledger(&recorder);
  for (const char* org : {"org-1", "org-2"}) {
    exec("INSERT INTO organisations (id, name, credit_code, status, creator_account_id, creator_is_legal_rep, "
         "created_at, updated_at) VALUES (?, ?, ?, 'verified', ?, 1, 'now', 'now')",
         {std::string(org), std::string(org),
          std::string(org) == "org-1" ? "91310115MA1K3B0020" : "91110108MA01ABCD1X", alice_});
  }
  auto change = [&](const std::string& id, const std::string& column, const std::string& value) {
    exec("INSERT INTO org_changes (id, org_id, requested_by, " + column + ", status, created_at) "
         "VALUES (?, 'org-1', ?, ?, 'pending', 'now')",
         {id, alice_, value});
  };
  change("chg-taken", "credit_code", "91110108MA01ABCD1X");  // org-2's code
  auto refused = orgs_->decide_change("operator-1", "chg-taken", true, "");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "org_exists");
  EXPECT_TRUE(pending_entries(*db_).empty());
  ASSERT_TRUE(orgs_->decide_change("operator-1", "chg-taken", false, "统一社会信用代码已被占用").ok());
  change("chg-name", "name", "上海某某科技有限公司");
  ASSERT_TRUE(orgs_->decide_change("operator-1", "chg-name", true, "").ok());
  EXPECT_EQ(orgs_->decide_change("operator-1", "chg-name", false, "再看看").error().code, "change_decided");
  auto e = pending_entries(*db_);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0]["type"], "org.change_reject");
  EXPECT_EQ(e[0]["actor"], "operator-1");
  EXPECT_EQ(e[0]["account"], alice_);
  EXPECT_EQ(e[0]["subject"], "org-1");
  EXPECT_EQ(e[0]["detail"]["change"], "chg-taken");
  EXPECT_EQ(e[0]["detail"]["credit_code"], "91110108MA01ABCD1X");
  EXPECT_EQ(e[0]["detail"]["reason"], "统一社会信用代码已被占用");
  EXPECT_EQ(e[1]["type"], "org.change_approve");
  EXPECT_EQ(e[1]["detail"]["change"], "chg-name");
  EXPECT_EQ(e[1]["detail"]["name"], "上海某某科技有限公司");
  EXPECT_FALSE(e[1]["detail"].contains("reason"));
}

TEST_P(OrderServiceTest, OrganisationEventsAreLoggedInTheirTransaction) {
  ledger::Recorder recorder(clock_);
  orgs_->set_ledger(&recorder);
  auto draft = orgs_->create(alice_, "上海某某有限公司", "91310115MA1K3B0020", true, 1, "192.0.2.1");
  ASSERT_TRUE(draft.ok()) << draft.error().code;
  std::string carol = account("13900000003", true);
  exec("INSERT INTO organisations (id, name, credit_code, status, creator_account_id, creator_is_legal_rep, "
       "created_at, updated_at) VALUES ('org-1', 'org-1', '91310115MA1K3B0020', 'verified', ?, 1, 'now', 'now')",
       {alice_});
  for (const auto& [who, role] : {std::pair{alice_, "admin"}, std::pair{bob_, "employee"}}) {
    exec("INSERT INTO identities (id, account_id, kind, org_id, created_at) VALUES (?, ?, ?, 'org-1', 'now')",
         {"id-" + who, who, std::string(role)});
    exec("INSERT INTO memberships (id, org_id, account_id, role, identity_id, status, created_at) "
         "VALUES (?, 'org-1', ?, ?, ?, 'active', 'now')",
         {"m-" + who, who, std::string(role), "id-" + who});
  }
  auto task = orgs_->request_join(carol, "org-1", "我是新员工", "张三", "13900000001");
  ASSERT_TRUE(task.ok()) << task.error().code;
  ASSERT_TRUE(orgs_->decide_task(alice_, task->id, true, "").ok());
  // Attacker side: Carol, an employee, cannot remove Bob; nothing is logged for it.
  const std::size_t before = pending_entries(*db_).size();
  EXPECT_FALSE(orgs_->remove_member(carol, "org-1", "m-" + bob_).ok());
  EXPECT_EQ(pending_entries(*db_).size(), before);
  // The role change the signed admin-transfer letter makes (AdminLetterService::sign).
  ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Status {
                   CS_ASSIGN(auto plan, orgs_->plan_admin_transfer(tx, alice_, "org-1", "m-" + bob_));
                   return orgs_->transfer_admin_in(tx, alice_, plan, "letter-1");
                 }).ok());
  ASSERT_TRUE(orgs_->leave(alice_, "id-" + alice_).ok());
  auto members = orgs_->members(bob_, "org-1");
  ASSERT_TRUE(members.ok()) << members.error().code;
  std::string carol_member;
  for (const auto& m : *members) {
    if (m.account_id == carol) carol_member = m.id;
  }
  ASSERT_FALSE(carol_member.empty());
  ASSERT_TRUE(orgs_->remove_member(bob_, "org-1", carol_member).ok());
  std::vector<std::string> types;
  for (const auto& e : pending_entries(*db_)) types.push_back(e["type"]);
  EXPECT_EQ(types, (std::vector<std::string>{"org.create", "org.join_request", "org.join_decide", "org.member_add",
                                             "org.admin_transfer", "org.member_leave", "org.member_remove"}));
  auto e = pending_entries(*db_);
  EXPECT_EQ(e[0]["subject"], draft->id);
  EXPECT_EQ(e[3]["actor"], alice_);
  EXPECT_EQ(e[3]["account"], carol);
  EXPECT_EQ(e[3]["detail"]["role"], "employee");
  EXPECT_EQ(e[4]["actor"], alice_);
  EXPECT_EQ(e[4]["account"], bob_);
  EXPECT_EQ(e[4]["detail"]["from"], alice_);
  EXPECT_EQ(e[6]["actor"], bob_);
  EXPECT_EQ(e[6]["account"], carol);
  EXPECT_EQ(e[6]["subject"], "org-1");
}

TEST_P(OrderServiceTest, EnabledForRefusesDeadCertificates) {
  std::string revoked = certificate(alice_, home_, "revoked");
  std::string expired = certificate(alice_, home_, "valid", kStart - 1);
  std::string replaced = certificate(alice_, home_, "valid", kStart + kDay, 0);
  EXPECT_FALSE(enabled(revoked, home_));
  EXPECT_FALSE(enabled(expired, home_));
  EXPECT_FALSE(enabled(replaced, home_));
  EXPECT_FALSE(enabled("no-such-certificate", home_));
  // A package does not outlive its certificate.
  std::string cert = certificate(alice_, home_, "valid", kStart + 10 * kDay);
  reviewed(alice_, "p-mutual", cert);
  EXPECT_TRUE(enabled(cert, other_));
  clock_.advance(std::chrono::days(10));
  EXPECT_FALSE(enabled(cert, other_));
  EXPECT_FALSE(enabled(cert, home_));
  auto list = svc_->certificate_platforms(alice_, cert);
  ASSERT_TRUE(list.ok());
  for (const auto& v : *list) EXPECT_FALSE(v.enabled) << v.platform_id;
  // Approving a package for a certificate that was replaced meanwhile is refused and changes nothing.
  std::string soon_replaced = certificate(alice_, home_);
  auto o = order(alice_, "p-mutual", soon_replaced);
  ASSERT_TRUE(o.ok());
  exec("UPDATE orders SET status = 'in_review' WHERE id = ?", {o->id});
  exec("UPDATE account_certificates SET current = 0 WHERE certificate_id = ?", {soon_replaced});
  EXPECT_EQ(svc_->approve("operator-1", o->id).error().code, "certificate_not_current");
  EXPECT_EQ(svc_->get(alice_, o->id)->status, "in_review");
  EXPECT_EQ(enabled_until(soon_replaced, other_), -1);
}

TEST_P(OrderServiceTest, CompleteTurnsTheRightApprovedOrderIntoDoneOnce) {
  std::string cert = certificate(alice_, home_);
  std::string second = certificate(alice_, home_);
  auto r = reviewed(alice_, "p-renewal", cert);
  EXPECT_EQ(r.status, "approved");  // renewal orders wait for the renewal itself
  EXPECT_EQ(svc_->complete(bob_, r.id, cert, "renewal").error().code, "order_not_found");
  EXPECT_EQ(svc_->complete(alice_, r.id, second, "renewal").error().code, "order_not_for_certificate");
  EXPECT_EQ(svc_->complete(alice_, r.id, cert, "certificate").error().code, "order_kind_mismatch");
  EXPECT_EQ(svc_->get(alice_, r.id)->status, "approved");
  auto done = svc_->complete(alice_, r.id, cert, "renewal");
  ASSERT_TRUE(done.ok()) << done.error().code;
  EXPECT_EQ(done->status, "done");
  EXPECT_EQ(done->events.back().from, "approved");
  EXPECT_EQ(done->events.back().to, "done");
  EXPECT_EQ(done->events.back().actor, alice_);
  EXPECT_NE(done->events.back().reason.find(cert), std::string::npos);
  // Used once.
  EXPECT_EQ(svc_->complete(alice_, r.id, cert, "renewal").error().code, "order_not_approved");
  // Not before approval.
  auto pending = order(alice_, "p-renewal", cert);
  ASSERT_TRUE(pending.ok());
  EXPECT_EQ(svc_->complete(alice_, pending->id, cert, "renewal").error().code, "order_not_approved");
  // A certificate order is completed by its installation.
  auto c = order(alice_, "p-cert", "", home_);
  ASSERT_TRUE(c.ok());
  exec("UPDATE orders SET status = 'approved' WHERE id = ?", {c->id});
  EXPECT_EQ(svc_->complete(alice_, c->id, cert, "renewal").error().code, "order_kind_mismatch");
  auto installed = svc_->complete(alice_, c->id, "new-cert", "certificate");
  ASSERT_TRUE(installed.ok()) << installed.error().code;
  EXPECT_EQ(installed->status, "done");
}

// Security review M8: the form (with the signature image Cairo decodes) is drawn with no write
// transaction open. The renderer below makes another write from another thread and waits for it:
// were the form drawn inside db_.write, SQLite's only writer would be held and that write could
// not finish (checked by moving the render into the transaction: the SQLite case then fails).
// PostgreSQL writers to other rows do not wait for each other, so there the test shows the rest:
// a change made meanwhile to what the form shows is noticed, and nothing is written.
TEST_P(OrderServiceTest, FormIsDrawnOutsideAnyWriteTransactionThenWrittenIfNothingMoved) {
  auto o = order(alice_, "p-cert", "", home_);
  ASSERT_TRUE(o.ok()) << o.error().code;
  auto sig = blobs_->put(alice_, "handwritten_signature", "image/png", certseal::testing::png_bomb(300, 100),
                         {"image/png"});
  ASSERT_TRUE(sig.ok()) << sig.error().code;

  std::string concurrent_sql;
  std::vector<bool> completed;
  std::vector<std::thread> writers;  // joined after the call, so a blocked writer fails the test, not hangs it
  OrderOptions opts;
  opts.form_renderer = [&](const std::vector<docsign::TextBlock>& blocks, const docsign::PdfInfo& info,
                           BytesView png) -> Result<Bytes> {
    auto done = std::make_shared<std::promise<bool>>();
    auto finished = done->get_future();
    writers.emplace_back([this, done, sql = concurrent_sql] {
      auto r = db_->write([&](store::Tx& tx) -> Status {
        CS_TRY(tx.exec(sql, {home_}));
        return {};
      });
      done->set_value(r.ok());
    });
    completed.push_back(finished.wait_for(std::chrono::seconds(3)) == std::future_status::ready && finished.get());
    return docsign::render_pdf_with_image(blocks, info, png, 60);
  };
  auto join_writers = [&] {
    for (auto& t : writers) t.join();
    writers.clear();
  };
  OrderService svc(*db_, clock_, rng_, log_, *sms_sender_, *codes_, *orgs_, *email_, *blobs_, opts);

  // The platform is renamed while the form is drawn: the drawn form is stale, nothing is written.
  concurrent_sql = "UPDATE trading_platforms SET name = '改名后的平台' WHERE id = ?";
  auto moved = svc.sign_form_online(alice_, o->id, sig->id);
  join_writers();
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, "order_changed");
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_TRUE(completed[0]) << "a write waited for the form to be drawn";
  EXPECT_EQ(svc.get(alice_, o->id)->form_status, "");
  EXPECT_EQ(svc.form_pdf(alice_, o->id).error().code, "form_not_found");

  // A write elsewhere meanwhile: the form is signed.
  concurrent_sql = "UPDATE trading_platforms SET created_at = created_at WHERE id = ?";
  auto signed_form = svc.sign_form_online(alice_, o->id, sig->id);
  join_writers();
  ASSERT_TRUE(signed_form.ok()) << signed_form.error().code;
  ASSERT_EQ(completed.size(), 2u);
  EXPECT_TRUE(completed[1]);
  EXPECT_EQ(signed_form->form_status, "signed");
  auto pdf = svc.form_pdf(alice_, o->id);
  ASSERT_TRUE(pdf.ok());
  EXPECT_EQ(std::string(pdf->begin(), pdf->begin() + 5), "%PDF-");
}

// OCR only saves typing (security review M8: it is bounded): a licence whose OCR timed out or
// was turned away is attached all the same, without read fields; an image OCR refuses is not.
class ScriptedOcr final : public LicenceReader {
 public:
  Result<LicenceFields> read(BytesView) override { return next; }
  Result<LicenceFields> next = LicenceFields{};
};

TEST_P(OrderServiceTest, LicenceIsAttachedWithoutReadFieldsWhenOcrIsSlowOrBusy) {
  ScriptedOcr ocr;
  OrgService orgs(*db_, clock_, rng_, log_, *blobs_, ocr, *bank_, *sms_sender_);
  auto org = orgs.create(alice_, "北京示例科技有限公司", "91350100M000100Y43", true, 1, "127.0.0.1");
  ASSERT_TRUE(org.ok()) << org.error().code;
  auto licence = blobs_->put(alice_, "licence", "image/png", certseal::testing::png_bomb(200, 100),
                             {"image/jpeg", "image/png"});
  ASSERT_TRUE(licence.ok());
  for (const char* code : {"ocr_timeout", "ocr_busy"}) {
    ocr.next = Error(ErrorKind::kTimeout, code, "slow");
    auto v = orgs.attach_licence(alice_, org->id, licence->id);
    ASSERT_TRUE(v.ok()) << code << " " << v.error().code;
    EXPECT_EQ(v->licence_blob_id, licence->id);
    EXPECT_TRUE(v->ocr.name.empty());
  }
  ocr.next = invalid_argument("image_too_large", "too large");
  EXPECT_EQ(orgs.attach_licence(alice_, org->id, licence->id).error().code, "image_too_large");
}

CERTSEAL_INSTANTIATE_ENGINES(OrderServiceTest);

}  // namespace
}  // namespace certseal::service
