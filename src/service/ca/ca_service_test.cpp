// CaService on both engines: CA bootstrap, the whole lifecycle, idempotency, refusals that change
// nothing, CRL and OCSP answers checked with the openssl CLI.
#include "service/ca/ca_service.h"

#include <gtest/gtest.h>

#include <thread>

#include "base/encoding.h"
#include "crypto/testing/interop.h"
#include "keystore/software_key_manager.h"
#include "service/ledger/recorder.h"
#include "store/migrate.h"
#include "support/pg_fixture.h"
#include "support/test_env.h"

namespace certseal::service::ca {
namespace {

using crypto::testing::openssl;
using crypto::testing::read_file;
using crypto::testing::run_command;
using crypto::testing::write_file;
using store::Engine;

class CaServiceTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kSqlite) {
      auto db = store::open_sqlite({dir_.path() + "/t.db"});
      ASSERT_TRUE(db.ok()) << db.error().cause;
      db_ = std::move(db).value();
    } else {
      pg_ = std::make_unique<testing::FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (testing::postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      auto db = store::open_postgres({pg_->url(), 8});
      ASSERT_TRUE(db.ok()) << db.error().cause;
      db_ = std::move(db).value();
    }
    ASSERT_TRUE(store::migrate(*db_, store::schema_migrations(), clock_).ok());
    auto km = keystore::SoftwareKeyManager::open(dir_.path() + "/keys", SecretBytes(32, 7), rng_);
    ASSERT_TRUE(km) << km.error().message;
    km_ = std::move(km).value();
    svc_ = open_service();
    ASSERT_TRUE(svc_);
  }

  std::unique_ptr<CaService> open_service() {
    CaServiceOptions o;
    // sm2_id "": what the OpenSSL 3.0 CLI verifies with (pki/signer.h).
    o.cas = {{"sm2", "Test SM2 CA", "sm2", 7300, 3650, ""}, {"intl", "Test International CA", "ec-p256", 7300, 3650}};
    o.public_url = "http://127.0.0.1:9";
    auto s = CaService::open(*db_, *km_, clock_, rng_, log_, o);
    EXPECT_TRUE(s) << s.error().message << " " << s.error().cause;
    return s ? std::move(s).value() : nullptr;
  }

  std::string f(const std::string& name) { return dir_.path() + "/" + name; }

  std::string public_key_pem(crypto::KeyType t) {
    auto k = crypto::PrivateKey::generate(t, rng_).value();
    return k.public_key().pem();
  }

  IssueInput person(const std::string& ca, const std::string& req, crypto::KeyType t) {
    IssueInput in;
    in.request_id = req;
    in.ca_id = ca;
    in.profile = "personal_sign";
    in.subject.common_name = "张三";
    in.subject.identity_code = "11010519491231002X";
    in.public_key = public_key_pem(t);
    return in;
  }

  std::int64_t count(const std::string& ca) { return svc_->count_certificates(ca).value(); }

  // openssl verify -crl_check of `der` against the CA's chain and current CRL.
  int verify_with_crl(const std::string& ca, BytesView der) {
    write_file(f("leaf.pem"), as_bytes(pem_encode("CERTIFICATE", der)));
    auto crl = svc_->crl(ca);
    EXPECT_TRUE(crl);
    std::string bundle = svc_->chain_pem(ca).value() + pem_encode("X509 CRL", *crl);
    write_file(f("bundle.pem"), as_bytes(bundle));
    return openssl("verify -crl_check -CAfile " + f("bundle.pem") + " " + f("leaf.pem") + " 2>&1").exit_code;
  }

  // Asks the service about `der` with an OCSP request made by openssl; returns openssl's report.
  std::string ocsp_status(const std::string& ca, BytesView der) {
    write_file(f("leaf.pem"), as_bytes(pem_encode("CERTIFICATE", der)));
    std::string chain = svc_->chain_pem(ca).value();
    write_file(f("chain.pem"), as_bytes(chain));
    write_file(f("issuer.pem"), as_bytes(chain.substr(0, chain.find("-----END CERTIFICATE-----") + 26)));
    EXPECT_EQ(openssl("ocsp -issuer " + f("issuer.pem") + " -cert " + f("leaf.pem") + " -reqout " + f("req.der") +
                      " 2>/dev/null")
                  .exit_code,
              0);
    write_file(f("resp.der"), svc_->ocsp(ca, read_file(f("req.der"))));
    // First the nonce and signature against the request sent, then the status of the certificate.
    auto nonce = run_command("openssl ocsp -reqin " + f("req.der") + " -respin " + f("resp.der") + " -CAfile " +
                             f("chain.pem") + " 2>&1");
    EXPECT_NE(nonce.out.find("Response verify OK"), std::string::npos) << nonce.out;
    return run_command("openssl ocsp -issuer " + f("issuer.pem") + " -cert " + f("leaf.pem") + " -no_nonce -respin " +
                       f("resp.der") + " -CAfile " + f("chain.pem") + " 2>&1")
        .out;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::FreshPgDatabase> pg_;
  std::unique_ptr<store::Database> db_;
  ManualClock clock_{std::chrono::system_clock::now()};
  SystemRng rng_;
  MemoryLogger log_;
  std::unique_ptr<keystore::SoftwareKeyManager> km_;
  std::unique_ptr<CaService> svc_;
};

TEST_P(CaServiceTest, CasAreCreatedOnceWithTheirServiceCertificates) {
  auto list = svc_->list();
  ASSERT_EQ(list["items"].size(), 2u);
  EXPECT_EQ(list["items"][0]["id"], "sm2");
  EXPECT_EQ(list["items"][0]["signature_algorithm"], "1.2.156.10197.1.501");
  EXPECT_EQ(list["items"][1]["algorithm"], "ec-p256");
  EXPECT_EQ(km_->list()->size(), 8u);  // root, issuing, OCSP, TSA for each
  EXPECT_EQ(count("sm2"), 2);          // OCSP and TSA certificates are stored like any other
  auto again = open_service();
  ASSERT_TRUE(again);
  EXPECT_EQ(km_->list()->size(), 8u);
  EXPECT_EQ(again->chain_pem("sm2").value(), svc_->chain_pem("sm2").value());
  EXPECT_EQ(svc_->chain_pem("nope").error().code, "ca_not_found");
}

TEST_P(CaServiceTest, LifecycleWithCrlAndOcspCheckedByOpenssl) {
  for (auto [ca, type] : {std::pair{"sm2", crypto::KeyType::kSm2}, std::pair{"intl", crypto::KeyType::kEcP256}}) {
    SCOPED_TRACE(ca);
    auto c = svc_->issue(person(ca, std::string("req-issue-") + ca, type));
    ASSERT_TRUE(c) << c.error().message << c.error().cause;
    EXPECT_EQ(c->status, "valid");
    EXPECT_EQ(verify_with_crl(ca, c->der), 0);
    EXPECT_NE(ocsp_status(ca, c->der).find(": good"), std::string::npos);
    std::string text = run_command("openssl x509 -noout -text -in " + f("leaf.pem")).out;
    EXPECT_NE(text.find("CA Issuers - URI:http://127.0.0.1:9/ca/" + std::string(ca) + "/ca.cer"), std::string::npos);

    // Renew (same key): a new certificate; the old one stays valid.
    auto renewed = svc_->renew(std::string("req-renew-") + ca, c->id, 730);
    ASSERT_TRUE(renewed) << renewed.error().message;
    EXPECT_NE(renewed->serial, c->serial);
    EXPECT_EQ(*renewed->predecessor_id, c->id);
    EXPECT_EQ(svc_->get(c->id)->status, "valid");
    EXPECT_EQ(renewed->to_json()["details"]["public_key"], c->to_json()["details"]["public_key"]);

    // Change the subject: new certificate, the old one revoked as superseded.
    pki::SubjectInfo s = pki::SubjectInfo{};
    s.common_name = "张三丰";
    s.identity_code = "11010519491231002X";
    auto changed = svc_->change(std::string("req-change-") + ca, renewed->id, s, 365);
    ASSERT_TRUE(changed) << changed.error().message;
    EXPECT_NE(changed->subject.find("张三丰"), std::string::npos) << changed->subject;
    auto old = svc_->get(renewed->id).value();
    EXPECT_EQ(old.status, "revoked");
    EXPECT_EQ(*old.reason, static_cast<int>(pki::RevocationReason::kSuperseded));
    EXPECT_NE(verify_with_crl(ca, old.der), 0);

    // Reissue for a new key.
    auto re = svc_->reissue(std::string("req-reissue-") + ca, changed->id, public_key_pem(type), "", 365);
    ASSERT_TRUE(re) << re.error().message;
    EXPECT_EQ(svc_->get(changed->id)->status, "revoked");
    EXPECT_NE(re->to_json()["details"]["thumbprints"]["sm3"], changed->to_json()["details"]["thumbprints"]["sm3"]);

    // Revoke the first one by serial with a reason: CRL and OCSP say so.
    auto rv = svc_->revoke_serial(std::string("req-revoke-") + ca, ca, c->serial, pki::RevocationReason::kKeyCompromise);
    ASSERT_TRUE(rv) << rv.error().message;
    EXPECT_NE(verify_with_crl(ca, c->der), 0);
    std::string report = ocsp_status(ca, c->der);
    EXPECT_NE(report.find("Response verify OK"), std::string::npos) << report;
    EXPECT_NE(report.find(": revoked"), std::string::npos) << report;
    EXPECT_NE(report.find("Reason: keyCompromise"), std::string::npos) << report;
    EXPECT_EQ(svc_->revoke(std::string("req-revoke2-") + ca, c->id, pki::RevocationReason::kUnspecified).error().code,
              "already_revoked");

    auto h = svc_->history(c->id).value();
    ASSERT_EQ(h.size(), 2u);
    EXPECT_EQ(h[0]["action"], "issue");
    EXPECT_EQ(h[1]["action"], "revoke");
    EXPECT_EQ(h[1]["detail"]["reason"], "keyCompromise");
  }
}

TEST_P(CaServiceTest, CsrIssuanceAndRefusalsChangeNothing) {
  std::string key = f("k.pem"), csr = f("r.csr");
  ASSERT_EQ(openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2 -out " + key + " 2>/dev/null").exit_code, 0);
  ASSERT_EQ(openssl("req -new -key " + key + " -sm3 -subj /CN=x -out " + csr).exit_code, 0);
  IssueInput in = person("sm2", "csr-1", crypto::KeyType::kSm2);
  in.public_key.clear();
  in.csr = to_string(read_file(csr));
  auto c = svc_->issue(in);
  ASSERT_TRUE(c) << c.error().message << c.error().cause;
  std::int64_t before = count("sm2");

  // A CSR whose signature does not verify.
  ASSERT_EQ(openssl("req -in " + csr + " -outform DER -out " + csr + ".der").exit_code, 0);
  Bytes der = read_file(csr + ".der");
  der[der.size() - 3] ^= 0x01;
  in.request_id = "csr-bad";
  in.csr = base64_encode(der);
  auto bad = svc_->issue(in);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "csr_signature_invalid");
  EXPECT_EQ(bad.error().kind, ErrorKind::kInvalidArgument);

  // A forbidden key size (RSA 1024) on the international CA.
  ASSERT_EQ(openssl("req -new -newkey rsa:1024 -nodes -keyout " + f("s.key") + " -subj /CN=x -out " + f("s.csr") +
                    " 2>/dev/null")
                .exit_code,
            0);
  IssueInput small = person("intl", "csr-small", crypto::KeyType::kEcP256);
  small.public_key.clear();
  small.csr = to_string(read_file(f("s.csr")));
  auto refused = svc_->issue(small);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "key_not_allowed");
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidArgument);

  // A subject missing a required field.
  IssueInput org = person("sm2", "org-1", crypto::KeyType::kSm2);
  org.profile = "org_sign";
  org.subject = {};
  org.subject.organization = "某某科技有限公司";
  auto incomplete = svc_->issue(org);
  ASSERT_FALSE(incomplete);
  EXPECT_EQ(incomplete.error().code, "subject_incomplete");
  EXPECT_EQ(incomplete.error().fields.at(0).field, "subject.uscc");

  // Revoking a serial never issued.
  auto unknown = svc_->revoke_serial("rv-unknown", "sm2", "0123456789ABCDEF", pki::RevocationReason::kUnspecified);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "certificate_not_found");
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);

  EXPECT_EQ(count("sm2"), before);
  EXPECT_EQ(count("intl"), 2);
  // None of the refused request ids was consumed: the same id works once the input is right.
  org.subject.uscc = "91350100M000100Y43";
  auto ok = svc_->issue(org);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_NE(ok->subject.find("91350100M000100Y43"), std::string::npos) << ok->subject;
}

TEST_P(CaServiceTest, SameRequestIdIssuesOnce) {
  IssueInput in = person("intl", "same-id", crypto::KeyType::kEcP256);
  auto a = svc_->issue(in);
  auto b = svc_->issue(in);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, b->id);
  EXPECT_EQ(a->der, b->der);
  EXPECT_EQ(count("intl"), 3);
  IssueInput other = in;
  other.subject.common_name = "李四";
  auto c = svc_->issue(other);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "request_id_reused");
  // Concurrent twins.
  IssueInput twin = person("intl", "twin", crypto::KeyType::kEcP256);
  std::optional<Result<CertificateRecord>> r1, r2;
  std::thread t1([&] { r1 = svc_->issue(twin); });
  std::thread t2([&] { r2 = svc_->issue(twin); });
  t1.join();
  t2.join();
  ASSERT_TRUE(*r1) << r1->error().message;
  ASSERT_TRUE(*r2) << r2->error().message;
  EXPECT_EQ((*r1)->id, (*r2)->id);
  EXPECT_EQ(count("intl"), 4);
}

TEST_P(CaServiceTest, CrlIsRegeneratedBeforeNextUpdateAndOcspCachedWhileUnchanged) {
  auto crl1 = svc_->crl("intl").value();
  EXPECT_EQ(svc_->crl("intl").value(), crl1);
  clock_.set(clock_.now() + std::chrono::hours(13));  // past half of the 24 h validity
  auto crl2 = svc_->crl("intl").value();
  EXPECT_NE(crl2, crl1);
  write_file(f("crl.der"), crl2);
  auto text = openssl("crl -inform DER -noout -text -in " + f("crl.der")).out;
  EXPECT_NE(text.find("X509v3 CRL Number: \n                2"), std::string::npos) << text;

  auto c = svc_->issue(person("intl", "ocsp-cache", crypto::KeyType::kEcP256)).value();
  write_file(f("leaf.pem"), as_bytes(pem_encode("CERTIFICATE", c.der)));
  std::string chain = svc_->chain_pem("intl").value();
  write_file(f("issuer.pem"), as_bytes(chain.substr(0, chain.find("-----END CERTIFICATE-----") + 26)));
  ASSERT_EQ(openssl("ocsp -no_nonce -issuer " + f("issuer.pem") + " -cert " + f("leaf.pem") + " -reqout " +
                    f("req.der") + " 2>/dev/null")
                .exit_code,
            0);
  Bytes req = read_file(f("req.der"));
  Bytes r1 = svc_->ocsp("intl", req);
  clock_.set(clock_.now() + std::chrono::minutes(10));
  EXPECT_EQ(svc_->ocsp("intl", req), r1);  // cached: status unchanged, still fresh
  clock_.set(clock_.now() + std::chrono::minutes(25));
  Bytes r2 = svc_->ocsp("intl", req);
  EXPECT_NE(r2, r1);  // re-signed before it goes stale
  ASSERT_TRUE(svc_->revoke("rv-cache", c.id, pki::RevocationReason::kCessationOfOperation));
  Bytes r3 = svc_->ocsp("intl", req);
  EXPECT_NE(r3, r2);  // status changed: never the cached answer
  // Garbage and unknown CAs get OCSP error responses, not HTTP errors.
  EXPECT_EQ(svc_->ocsp("intl", as_bytes("nonsense")), (Bytes{0x30, 0x03, 0x0a, 0x01, 0x01}));
  EXPECT_EQ(svc_->ocsp("nope", req), (Bytes{0x30, 0x03, 0x0a, 0x01, 0x06}));
}

// Every certificate event is a transparency-log entry written in the event's own transaction: a
// refused revocation (already revoked) rolls back and leaves no entry (docs/LEDGER.md).
TEST_P(CaServiceTest, CertificateEventsAreLoggedInTheirTransaction) {
  ledger::Recorder recorder(clock_);
  svc_->set_ledger(&recorder);
  auto types = [&] {
    std::vector<std::string> out;
    EXPECT_TRUE(db_->read([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto rows, tx.query("SELECT data FROM ledger_pending ORDER BY id"));
      for (auto& r : rows) out.push_back(nlohmann::json::parse(r.text("data"))["type"]);
      return {};
    }).ok());
    return out;
  };
  auto c = svc_->issue(person("sm2", "req-ledger-issue", crypto::KeyType::kSm2));
  ASSERT_TRUE(c) << c.error().message;
  auto r = svc_->renew("req-ledger-renew", c->id, 365);
  ASSERT_TRUE(r);
  ASSERT_TRUE(svc_->revoke("req-ledger-revoke", c->id, pki::RevocationReason::kUnspecified));
  EXPECT_EQ(types(), (std::vector<std::string>{"certificate.issue", "certificate.renew", "certificate.revoke"}));
  EXPECT_EQ(svc_->revoke("req-ledger-revoke2", c->id, pki::RevocationReason::kUnspecified).error().code,
            "already_revoked");
  EXPECT_EQ(types().size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Engines, CaServiceTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres),
                         [](const auto& p) { return std::string(store::engine_name(p.param)); });

}  // namespace
}  // namespace certseal::service::ca
