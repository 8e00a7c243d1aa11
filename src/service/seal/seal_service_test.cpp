// SealService on both engines: make, review, use, one seal per certificate, other users' seals,
// revoked certificates, renewal (the seal follows and is re-signed), the seal verifier and a
// revoked seal maker. Certificates are real ones from CaService.
#include "service/seal/seal_service.h"

#include <gtest/gtest.h>

#include "crypto/testing/interop.h"
#include "keystore/software_key_manager.h"
#include "pki/profile.h"
#include "seal/seal_picture.h"
#include "seal/seseal.h"
#include "service/ledger/recorder.h"
#include "service/seal/seal_verifier.h"
#include "support/engine_fixture.h"
#include "support/person_rows.h"

namespace certseal::service {
namespace {

const char* kOrg = "北京某某科技有限公司";

class SealServiceTest : public testing::EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto km = keystore::SoftwareKeyManager::open(dir_.path() + "/keys", SecretBytes(32, 7), rng_);
    ASSERT_TRUE(km);
    km_ = std::move(km).value();
    ca::CaServiceOptions o;
    o.cas = {{"sm2", "Test SM2 CA", "sm2", 7300, 3650, ""}};
    o.public_url = "http://127.0.0.1:9";
    auto ca = ca::CaService::open(*db_, *km_, clock_, rng_, log_, o);
    ASSERT_TRUE(ca) << ca.error().cause;
    ca_ = std::move(ca).value();
    svc_ = std::make_unique<SealService>(*db_, *ca_, *km_, clock_, rng_, log_, SealServiceOptions{"sm2"});
    exec("INSERT INTO seal_makers (id, name, created_at) VALUES ('maker-1', '示例制章单位一', 'now')");
    auto cred = svc_->certify_maker("maker-1", testing::uscc_for("91110108MA01ABCD3"));
    ASSERT_TRUE(cred) << cred.error().code << " " << cred.error().cause;
    maker_cert_id_ = cred->certificate_id;
    alice_ = account("13800000001");
    mallory_ = account("13800000002");
    org_cert_ = certificate(alice_, "org_sign");
    person_cert_ = certificate(alice_, "personal_sign");
  }

  void exec(const std::string& sql, const store::Params& p = {}) {
    ASSERT_TRUE(db_->write([&](store::Tx& tx) -> Status { return tx.exec(sql, p).ok() ? ok_status() : internal_error(sql); }).ok())
        << sql;
  }
  std::string account(const std::string& phone) {
    const std::string id = "acct-" + phone;
    exec("INSERT INTO accounts (id, phone, status, created_at) VALUES (?, ?, 'active', 'now')", {id, phone});
    return id;
  }
  // A real certificate from the CA, held by `account` (as installation records it).
  std::string certificate(const std::string& acct, const std::string& profile, const std::string& order = "order-x") {
    ca::IssueInput in;
    in.request_id = "req-" + std::to_string(++n_);
    in.ca_id = "sm2";
    in.profile = profile;
    if (profile == "org_sign") {
      in.subject.organization = kOrg;
      in.subject.uscc = testing::uscc_for("91110108MA01XYQW1");
    } else {
      in.subject.common_name = "张三";
      in.subject.identity_code = "11010519491231002X";
    }
    in.public_key = crypto::PrivateKey::generate(crypto::KeyType::kSm2, rng_).value().public_key().pem();
    auto c = ca_->issue(in);
    EXPECT_TRUE(c) << c.error().code;
    hold(acct, c->id, order);
    return c->id;
  }
  void hold(const std::string& acct, const std::string& cert_id, const std::string& order = "order-x") {
    exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, recovery_key_enc, created_at, "
         "updated_at) VALUES (?, ?, 'sm2', ?, 'active', ?, 'now', 'now')",
         {"key-" + cert_id, acct, Bytes{4}, Bytes{5}});
    exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, current, "
         "created_at) VALUES (?, ?, ?, ?, ?, 1, 'now')",
         {cert_id, acct, "key-" + cert_id, order, "inst-" + cert_id});
  }

  MakeSealInput official(const std::string& cert, const std::string& name = kOrg) {
    MakeSealInput in;
    in.certificate_id = cert;
    in.kind = "official";
    in.design.method = "template";
    in.design.tmpl.name = name;
    in.design.tmpl.code = "1101080123456";
    return in;
  }
  MakeSealInput handwritten(const std::string& cert) {
    MakeSealInput in;
    in.certificate_id = cert;
    in.kind = "handwritten";
    in.design.method = "drawing";
    seal::Stroke st;
    for (int i = 0; i < 20; ++i) st.points.push_back({i * 5.0, 10.0 + (i % 5) * 3, 0.6, i * 15.0});
    in.design.signature.strokes = {st};
    return in;
  }

  std::string code(const Status& s) { return s.ok() ? "ok" : s.error().code; }
  template <class T>
  std::string code(const Result<T>& r) {
    return r.ok() ? "ok" : r.error().code;
  }

  ManualClock clock_{std::chrono::system_clock::now()};
  SystemRng rng_;
  MemoryLogger log_;
  std::unique_ptr<keystore::SoftwareKeyManager> km_;
  std::unique_ptr<ca::CaService> ca_;
  std::unique_ptr<SealService> svc_;
  std::string maker_cert_id_, alice_, mallory_, org_cert_, person_cert_;
  int n_ = 0;
};

TEST_P(SealServiceTest, MakeReviewUseAndVerify) {
  auto s = svc_->make(alice_, official(org_cert_));
  ASSERT_TRUE(s) << s.error().code << " " << s.error().cause;
  EXPECT_EQ(s->status, "pending_review");
  EXPECT_EQ(s->maker_id, "maker-1");
  EXPECT_EQ(s->width_mm, 40);
  // Attacker side: an unreviewed seal cannot be used, and its seal data does not exist yet.
  EXPECT_EQ(code(svc_->use(alice_, s->id, "sign:a.pdf")), "seal_not_active");
  EXPECT_EQ(code(svc_->seal_data(alice_, s->id)), "seal_not_active");
  auto queue = svc_->review_queue();
  ASSERT_TRUE(queue);
  ASSERT_EQ(queue->size(), 1u);
  EXPECT_EQ(queue->front().id, s->id);
  auto pic = svc_->review_picture(s->id);
  ASSERT_TRUE(pic);
  EXPECT_EQ(Bytes(pic->begin(), pic->begin() + 4), (Bytes{0x89, 'P', 'N', 'G'}));
  auto a = svc_->approve("operator-1", s->id);
  ASSERT_TRUE(a) << a.error().code << " " << a.error().cause;
  EXPECT_EQ(a->status, "active");
  EXPECT_EQ(code(svc_->approve("operator-1", s->id)), "bad_seal_status");
  auto data = svc_->seal_data(alice_, s->id);
  ASSERT_TRUE(data);
  auto parsed = seal::parse_seseal(*data);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->info.seal_id, s->id);
  EXPECT_EQ(parsed->info.name, std::string(kOrg) + "公章");
  EXPECT_EQ(parsed->info.holder, seal::SealHolder::kOrganisation);
  EXPECT_EQ(parsed->info.certificates.at(0), ca_->get(org_cert_)->der);
  EXPECT_EQ(parsed->maker_certificate, ca_->get(maker_cert_id_)->der);
  auto v = verify_seal_data(*db_, clock_, *data, ca_->get(org_cert_)->der);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->valid);
  auto use = svc_->use(alice_, s->id, "sign:contract.pdf");
  ASSERT_TRUE(use) << use.error().code;
  EXPECT_EQ(use->seseal, *data);
  auto ev = svc_->events(alice_, s->id);
  ASSERT_TRUE(ev);
  std::vector<std::string> actions;
  for (const auto& e : *ev) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"made", "use_refused", "approved", "used"}));
}

// 一证一章: a second seal on the same certificate is refused until the first is deleted.
TEST_P(SealServiceTest, SecondSealForOneCertificateIsRefused) {
  auto first = svc_->make(alice_, official(org_cert_));
  ASSERT_TRUE(first);
  MakeSealInput contract = official(org_cert_);
  contract.kind = "contract";
  contract.design.tmpl.code.clear();
  EXPECT_EQ(code(svc_->make(alice_, contract)), "seal_exists");
  EXPECT_EQ(code(svc_->make(alice_, official(org_cert_))), "seal_exists");
  ASSERT_TRUE(svc_->remove(alice_, first->id).ok());
  EXPECT_EQ(code(svc_->get(alice_, first->id)), "seal_not_found");
  EXPECT_EQ(code(svc_->make(alice_, contract)), "ok");
  // And the database itself refuses a second live seal for a certificate (the unique index).
  Status st = db_->write([&](store::Tx& tx) -> Status {
    auto r = tx.exec("INSERT INTO seals (id, account_id, certificate_id, maker_id, kind, method, name, design, status, "
                     "picture_png, picture_svg, width_mm, height_mm, created_at, updated_at) VALUES ('x', ?, ?, "
                     "'maker-1', 'official', 'template', 'n', '{}', 'pending_review', ?, '', 40, 40, 'now', 'now')",
                     {alice_, org_cert_, Bytes{1}});
    return r.ok() ? ok_status() : std::move(r).error();
  });
  EXPECT_FALSE(st.ok());
}

// The attacker (another account) can neither see, use, change nor delete a seal, nor make one
// on a certificate they do not hold.
TEST_P(SealServiceTest, OtherAccountsSealsAreNotFound) {
  auto s = svc_->make(alice_, official(org_cert_));
  ASSERT_TRUE(s);
  ASSERT_TRUE(svc_->approve("operator-1", s->id));
  EXPECT_EQ(code(svc_->get(mallory_, s->id)), "seal_not_found");
  EXPECT_EQ(code(svc_->use(mallory_, s->id, "sign:x")), "seal_not_found");
  EXPECT_EQ(code(svc_->seal_data(mallory_, s->id)), "seal_not_found");
  EXPECT_EQ(code(svc_->picture(mallory_, s->id, false)), "seal_not_found");
  EXPECT_EQ(code(svc_->events(mallory_, s->id)), "seal_not_found");
  EXPECT_EQ(code(svc_->replace(mallory_, s->id, official(org_cert_).design)), "seal_not_found");
  EXPECT_EQ(code(svc_->remove(mallory_, s->id)), "seal_not_found");
  EXPECT_EQ(code(svc_->make(mallory_, official(person_cert_))), "certificate_not_found");
  EXPECT_TRUE(svc_->list(mallory_)->empty());
  EXPECT_EQ(svc_->get(alice_, s->id)->status, "active");
}

TEST_P(SealServiceTest, KindAndNameMustFitTheCertificate) {
  EXPECT_EQ(code(svc_->make(alice_, official(person_cert_))), "seal_kind_not_allowed");
  EXPECT_EQ(code(svc_->make(alice_, handwritten(org_cert_))), "seal_kind_not_allowed");
  EXPECT_EQ(code(svc_->make(alice_, official(org_cert_, "上海别家有限公司"))), "seal_name_mismatch");
  MakeSealInput sq;
  sq.certificate_id = person_cert_;
  sq.kind = "personal_square";
  sq.design.method = "template";
  sq.design.tmpl.name = "李四";
  EXPECT_EQ(code(svc_->make(alice_, sq)), "seal_name_mismatch");
  sq.design.tmpl.name = "张三";
  EXPECT_EQ(code(svc_->make(alice_, sq)), "ok");
  EXPECT_EQ(code(svc_->make(alice_, handwritten(person_cert_))), "seal_exists");
  MakeSealInput bad = official(org_cert_);
  bad.maker_id = "no-such-maker";
  EXPECT_EQ(code(svc_->make(alice_, bad)), "seal_maker_not_found");
  EXPECT_TRUE(svc_->review_queue()->size() == 1);
}

// A seal whose certificate is revoked cannot be used, replaced or re-made; the verifier says why.
TEST_P(SealServiceTest, SealOfARevokedCertificateCannotBeUsed) {
  auto s = svc_->make(alice_, handwritten(person_cert_));
  ASSERT_TRUE(s) << s.error().code;
  ASSERT_TRUE(svc_->approve("operator-1", s->id));
  auto data = svc_->seal_data(alice_, s->id);
  ASSERT_TRUE(data);
  ASSERT_TRUE(ca_->revoke("rev-1", person_cert_, pki::RevocationReason::kKeyCompromise));
  EXPECT_EQ(code(svc_->use(alice_, s->id, "sign:after-revocation.pdf")), "certificate_revoked");
  EXPECT_EQ(svc_->get(alice_, s->id)->status, "revoked");
  EXPECT_EQ(code(svc_->seal_data(alice_, s->id)), "seal_not_active");
  EXPECT_EQ(code(svc_->replace(alice_, s->id, handwritten(person_cert_).design)), "certificate_revoked");
  auto v = verify_seal_data(*db_, clock_, *data);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->valid);
  for (const auto& c : v->checks) {
    if (c.name == "bound_certificate") {
      EXPECT_FALSE(c.ok);
    }
    if (c.name == "maker_signature") {
      EXPECT_TRUE(c.ok);
    }
  }
}

// Renewal gives the certificate a successor: the seal moves to it and is re-signed for it.
TEST_P(SealServiceTest, RenewalRebindsAndReSignsTheSeal) {
  auto s = svc_->make(alice_, official(org_cert_));
  ASSERT_TRUE(s);
  ASSERT_TRUE(svc_->approve("operator-1", s->id));
  auto renewed = ca_->renew("renew-1", org_cert_, 730);
  ASSERT_TRUE(renewed) << renewed.error().code;
  exec("UPDATE account_certificates SET current = 0 WHERE certificate_id = ?", {org_cert_});
  hold(alice_, renewed->id);
  auto now = svc_->get(alice_, s->id);
  ASSERT_TRUE(now);
  EXPECT_EQ(now->certificate_id, renewed->id);
  EXPECT_EQ(now->status, "active");
  auto data = svc_->seal_data(alice_, s->id);
  ASSERT_TRUE(data);
  auto parsed = seal::parse_seseal(*data);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->info.certificates.at(0), renewed->der);
  auto v = verify_seal_data(*db_, clock_, *data, renewed->der);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->valid);
  EXPECT_TRUE(svc_->use(alice_, s->id, "sign:renewed.pdf").ok());
  // The old certificate cannot carry a new seal (it is superseded).
  EXPECT_EQ(code(svc_->make(alice_, official(org_cert_))), "certificate_not_current");
}

TEST_P(SealServiceTest, ReplaceNeedsANewReviewAndRejectKeepsTheReason) {
  auto s = svc_->make(alice_, official(org_cert_));
  ASSERT_TRUE(s);
  ASSERT_TRUE(svc_->approve("operator-1", s->id));
  MakeSealInput again = official(org_cert_);
  again.design.tmpl.size_mm = 42;
  auto r = svc_->replace(alice_, s->id, again.design);
  ASSERT_TRUE(r) << r.error().code;
  EXPECT_EQ(r->status, "pending_review");
  EXPECT_EQ(r->width_mm, 42);
  EXPECT_EQ(code(svc_->use(alice_, s->id, "sign:x")), "seal_not_active");
  EXPECT_EQ(code(svc_->reject("operator-1", s->id, "")), "bad_reason");
  auto rej = svc_->reject("operator-1", s->id, "名称不清晰");
  ASSERT_TRUE(rej);
  EXPECT_EQ(svc_->get(alice_, s->id)->reason, "名称不清晰");
  EXPECT_EQ(code(svc_->approve("operator-1", s->id)), "bad_seal_status");
}

// A revoked seal-maker certificate is reported by the verifier (and the maker signs no more).
TEST_P(SealServiceTest, RevokedMakerCertificateIsReported) {
  auto s = svc_->make(alice_, official(org_cert_));
  ASSERT_TRUE(s);
  ASSERT_TRUE(svc_->approve("operator-1", s->id));
  auto data = svc_->seal_data(alice_, s->id);
  ASSERT_TRUE(data);
  ASSERT_TRUE(ca_->revoke("rev-maker", maker_cert_id_, pki::RevocationReason::kKeyCompromise));
  auto v = verify_seal_data(*db_, clock_, *data);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->valid);
  bool reported = false;
  for (const auto& c : v->checks) {
    if (c.name == "maker_revocation") {
      EXPECT_FALSE(c.ok);
      reported = true;
    }
  }
  EXPECT_TRUE(reported);
  auto other = svc_->make(alice_, handwritten(person_cert_));
  ASSERT_TRUE(other);
  EXPECT_EQ(code(svc_->approve("operator-1", other->id)), "seal_maker_not_certified");
  // A seal whose bytes were changed: its maker signature fails.
  Bytes changed = *data;
  changed[changed.size() / 2] ^= 0x01;
  auto vc = verify_seal_data(*db_, clock_, changed);
  if (vc.ok()) {
    EXPECT_FALSE(vc->valid);
  }
}

// A seal made from a photo (印章优化): the owner's upload is cleaned; another account's upload
// cannot be used.
TEST_P(SealServiceTest, PhotoOfAPaperSealMakesASealAndOthersUploadsAreRefused) {
  BlobStore blobs(dir_.path() + "/blobs", *db_, clock_, rng_, std::size_t{5u << 20});
  svc_->set_blob_store(&blobs);
  seal::SealTemplate t;
  t.kind = seal::SealKind::kOfficial;
  t.name = kOrg;
  auto pic = seal::render_seal(t, 200);
  ASSERT_TRUE(pic);
  auto up = blobs.put(alice_, "seal_photo", "image/png", pic->png, {"image/png", "image/jpeg"});
  ASSERT_TRUE(up) << up.error().code;
  MakeSealInput in;
  in.certificate_id = org_cert_;
  in.kind = "official";
  in.design.method = "photo";
  in.design.photo_blob_id = up->id;
  // Mallory names Alice's upload for a seal of her own certificate: it does not exist for her.
  std::string m_cert = certificate(mallory_, "org_sign");
  MakeSealInput theft = in;
  theft.certificate_id = m_cert;
  EXPECT_EQ(code(svc_->make(mallory_, theft)), "photo_not_found");
  auto s = svc_->make(alice_, in);
  ASSERT_TRUE(s) << s.error().code << " " << s.error().cause;
  EXPECT_EQ(s->method, "photo");
  EXPECT_EQ(s->name, kOrg);
  EXPECT_EQ(s->width_mm, 40);
  auto png = svc_->picture(alice_, s->id, false);
  ASSERT_TRUE(png);
  EXPECT_EQ(Bytes(png->begin(), png->begin() + 4), (Bytes{0x89, 'P', 'N', 'G'}));
}

// Made while buying (the purchase step "choose how the seal is made"): the seal waits for the
// order's certificate and is bound to it once installed; before that it can be neither approved
// nor used, and nobody else can attach a seal to the order.
TEST_P(SealServiceTest, MadeWhileBuyingIsBoundWhenTheCertificateIsInstalled) {
  exec("INSERT INTO trading_platforms (id, name, created_at) VALUES ('p1', '平台', 'now')");
  exec("INSERT INTO products (id, kind, name, cert_type, algorithm, validity_years, price_fen, ca_id, seal_type, "
       "created_at) VALUES ('prod1', 'certificate', '个人证书', 'personal', 'sm2', 1, 100, 'sm2', 'personal_square', "
       "'now')");
  exec("INSERT INTO orders (id, account_id, product_id, kind, cert_type, applicant_role, platform_id, seal_maker_id, "
       "quantity, amount_fen, status, created_at, expires_at) VALUES ('order-buy', ?, 'prod1', 'certificate', "
       "'personal', 'person', 'p1', 'maker-1', 1, 100, 'awaiting_payment', 'now', 0)",
       {alice_});
  ASSERT_TRUE(db_->write([&](store::Tx& tx) { return testing::insert_person_verification(tx, alice_, "1"); }).ok());
  MakeSealInput in;
  in.order_id = "order-buy";
  in.kind = "personal_square";
  in.design.method = "template";
  in.design.tmpl.name = "张三";
  in.design.tmpl.suffix = seal::NameSuffix::kYin;
  // The attacker names Alice's order.
  EXPECT_EQ(code(svc_->make(mallory_, in)), "order_not_found");
  MakeSealInput wrong = in;
  wrong.design.tmpl.name = "李四";
  EXPECT_EQ(code(svc_->make(alice_, wrong)), "seal_name_mismatch");
  auto s = svc_->make(alice_, in);
  ASSERT_TRUE(s) << s.error().code << " " << s.error().cause;
  EXPECT_TRUE(s->certificate_id.empty());
  EXPECT_EQ(s->order_id, "order-buy");
  EXPECT_EQ(code(svc_->make(alice_, in)), "seal_exists");
  EXPECT_EQ(code(svc_->approve("operator-1", s->id)), "certificate_not_installed");
  EXPECT_EQ(code(svc_->use(alice_, s->id, "sign:x")), "seal_not_active");
  // Installation: the order's certificate appears; the seal is bound to it on the next read.
  const std::string cert = certificate(alice_, "personal_sign", "order-buy");
  auto bound = svc_->get(alice_, s->id);
  ASSERT_TRUE(bound);
  EXPECT_EQ(bound->certificate_id, cert);
  EXPECT_EQ(bound->status, "pending_review");
  ASSERT_TRUE(svc_->approve("operator-1", s->id));
  EXPECT_TRUE(svc_->use(alice_, s->id, "sign:bought.pdf").ok());
  // That certificate now carries its seal.
  MakeSealInput again;
  again.certificate_id = cert;
  again.kind = "personal_square";
  again.design = in.design;
  EXPECT_EQ(code(svc_->make(alice_, again)), "seal_exists");
}

// The transparency log (docs/LEDGER.md "Seals"): every seal event is one entry, in the event's own
// transaction. An action that fails after its event was written (approving a seal whose
// certificate was revoked meanwhile: following the certificate revokes the seal, then the approval
// is refused) rolls back with its entry; a stranger's attempt on the seal leaves none.
TEST_P(SealServiceTest, SealEventsAreLoggedInTheirTransaction) {
  ledger::Recorder recorder(clock_);
  svc_->set_ledger(&recorder);
  auto entries = [&] {
    std::vector<nlohmann::json> out;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto rows, tx.query("SELECT data FROM ledger_pending ORDER BY id"));
      for (auto& r : rows) out.push_back(nlohmann::json::parse(r.text("data")));
      return {};
    }).ok());
    return out;
  };
  auto s = svc_->make(alice_, official(org_cert_));
  ASSERT_TRUE(s) << s.error().code;
  EXPECT_EQ(code(svc_->use(alice_, s->id, "sign:early.pdf")), "seal_not_active");
  ASSERT_TRUE(svc_->approve("operator-1", s->id));
  ASSERT_TRUE(svc_->use(alice_, s->id, "sign:contract.pdf"));
  // Attacker side: Mallory using, deleting or replacing Alice's seal is refused and not logged.
  EXPECT_EQ(code(svc_->use(mallory_, s->id, "sign:forged.pdf")), "seal_not_found");
  EXPECT_EQ(code(svc_->remove(mallory_, s->id)), "seal_not_found");
  auto e = entries();
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0]["type"], "seal.make");
  EXPECT_EQ(e[0]["actor"], alice_);
  EXPECT_EQ(e[0]["account"], alice_);
  EXPECT_EQ(e[0]["subject"], s->id);
  EXPECT_EQ(e[0]["certificate"], org_cert_);
  EXPECT_EQ(e[0]["detail"]["method"], "template");
  EXPECT_EQ(e[0]["detail"]["kind"], "official");
  EXPECT_EQ(e[1]["type"], "seal.use");
  EXPECT_EQ(e[1]["result"], "seal_not_active");
  EXPECT_EQ(e[1]["detail"]["purpose"], "sign:early.pdf");
  EXPECT_EQ(e[2]["type"], "seal.approve");
  EXPECT_EQ(e[2]["actor"], "operator-1");
  EXPECT_EQ(e[2]["account"], alice_);
  EXPECT_EQ(e[3]["type"], "seal.use");
  EXPECT_EQ(e[3]["result"], "ok");
  EXPECT_EQ(e[3]["detail"]["purpose"], "sign:contract.pdf");
  ASSERT_TRUE(svc_->remove(alice_, s->id).ok());
  e = entries();
  ASSERT_EQ(e.size(), 5u);
  EXPECT_EQ(e[4]["type"], "seal.delete");

  // Rolled back: the revocation found while approving is not logged; the next read commits it.
  auto p = svc_->make(alice_, handwritten(person_cert_));
  ASSERT_TRUE(p) << p.error().code;
  ASSERT_TRUE(ca_->revoke("rev-ledger", person_cert_, pki::RevocationReason::kKeyCompromise));
  EXPECT_EQ(code(svc_->approve("operator-1", p->id)), "bad_seal_status");
  e = entries();
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[5]["type"], "seal.make");
  EXPECT_EQ(svc_->get(alice_, p->id)->status, "revoked");
  e = entries();
  ASSERT_EQ(e.size(), 7u);
  EXPECT_EQ(e[6]["type"], "seal.revoke");
  EXPECT_FALSE(e[6].contains("actor"));
  EXPECT_EQ(e[6]["account"], alice_);
  EXPECT_EQ(e[6]["subject"], p->id);
}

CERTSEAL_INSTANTIATE_ENGINES(SealServiceTest);

}  // namespace
}  // namespace certseal::service
