// PKI publication against a real certseald, checked with the openssl CLI (issue 4 acceptance):
// chain and CRL (`openssl verify -crl_check`), OCSP (`openssl ocsp -url`: good, revoked with the
// reason, unknown), RFC 3161 (`openssl ts -verify`), and `openssl x509 -text`.
//
// Here the certificates are issued and revoked by a CaService in this test process on the same
// database and key folder, so that every CA configuration can be set up quickly; every answer
// checked comes from the server over HTTP. The same lifecycle driven over HTTP by a logged-in
// operator is in pki_operator_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/encoding.h"
#include "base/log.h"
#include "keystore/software_key_manager.h"
#include "pki/der.h"
#include "service/ca/ca_service.h"
#include "store/db.h"
#include "support/http_client.h"
#include "support/pg_fixture.h"
#include "support/server_process.h"
#include "support/test_env.h"

namespace certseal::testing {
namespace {

struct Cmd {
  int exit_code = -1;
  std::string out;
};

Cmd sh(const std::string& cmd) {
  Cmd r;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return r;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) r.out.append(buf, n);
  int st = pclose(f);
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

void put(const std::string& path, std::string_view data) {
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string get(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The CAs of this test: the default SM2 CA (GM/T 0009 signer ID), an SM2 CA signing with the ID
// OpenSSL 3.0's CLI uses, and an international (P-256) CA.
constexpr const char* kConfig = R"toml(
[ca.sm2]
name = "Test SM2 CA"
algorithm = "sm2"

[ca.sm2o]
name = "Test SM2 CA (OpenSSL ID)"
algorithm = "sm2"
sm2_id = ""

[ca.intl]
name = "Test International CA"
algorithm = "ec-p256"

[pki]
default_tsa = "intl"

# Requests carry X-Forwarded-For from this "proxy", so two client addresses can be tested.
[server]
trusted_proxies = "127.0.0.1"

[limits]
tsa_per_minute_per_address = 6
)toml";

class PkiServerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    opts_.engine = GetParam();
    opts_.data_dir = dir_.path() + "/data";
    std::filesystem::create_directories(opts_.data_dir);
    put(opts_.data_dir + "/certseald.toml", kConfig);
    if (opts_.engine == "postgres") {
      pg_ = std::make_unique<FreshPgDatabase>();
      if (pg_->url().empty()) {
        if (postgres_required()) FAIL() << "PostgreSQL: " << pg_->error();
        GTEST_SKIP() << "no PostgreSQL test server configured";
      }
      opts_.pg_url = pg_->url();
    }
    server_ = std::make_unique<ServerProcess>(opts_);
    ASSERT_TRUE(server_->started()) << server_->log_text();

    // The same CAs in this process, on the same database and keys.
    auto db = opts_.engine == "postgres" ? store::open_postgres({opts_.pg_url, 4})
                                         : store::open_sqlite({opts_.data_dir + "/certseal.db"});
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(db).value();
    std::string master = get(opts_.data_dir + "/keys/master.key");
    ASSERT_EQ(master.size(), 32u);
    EXPECT_EQ(std::filesystem::status(opts_.data_dir + "/keys/master.key").permissions() &
                  std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto km = keystore::SoftwareKeyManager::open(opts_.data_dir + "/keys", SecretBytes(master.begin(), master.end()),
                                                 rng_);
    ASSERT_TRUE(km) << km.error().message;
    km_ = std::move(km).value();
    service::ca::CaServiceOptions o;
    o.cas = {{"sm2", "Test SM2 CA", "sm2"}, {"sm2o", "Test SM2 CA (OpenSSL ID)", "sm2", 7300, 3650, ""},
             {"intl", "Test International CA", "ec-p256"}};
    o.public_url = server_->base_url();
    auto ca = service::ca::CaService::open(*db_, *km_, clock_, rng_, log_, o);
    ASSERT_TRUE(ca) << ca.error().message << " " << ca.error().cause;
    ca_ = std::move(ca).value();
  }

  std::string f(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string url(const std::string& path) const { return server_->base_url() + path; }

  service::ca::CertificateRecord issue(const std::string& ca, const std::string& request_id) {
    auto type = ca == "intl" ? crypto::KeyType::kEcP256 : crypto::KeyType::kSm2;
    service::ca::IssueInput in;
    in.request_id = request_id;
    in.ca_id = ca;
    in.profile = "personal_sign";
    in.subject.common_name = "王五";
    in.subject.identity_code = "11010519491231002X";
    in.public_key = crypto::PrivateKey::generate(type, rng_).value().public_key().pem();
    auto r = ca_->issue(in);
    EXPECT_TRUE(r) << r.error().message;
    return *r;
  }

  // Fetches chain and CRL over HTTP into files; returns the CRL bundle path.
  std::string fetch_chain_and_crl(HttpClient& c, const std::string& ca) {
    auto chain = c.get("/ca/" + ca + "/chain.pem");
    EXPECT_EQ(chain.status, 200);
    EXPECT_EQ(chain.header("content-type"), "application/pem-certificate-chain");
    put(f("chain.pem"), chain.body);
    auto end = chain.body.find("-----END CERTIFICATE-----") + 26;
    put(f("issuer.pem"), chain.body.substr(0, end));
    put(f("root.pem"), chain.body.substr(end));
    auto crl = c.get("/ca/" + ca + "/crl");
    EXPECT_EQ(crl.status, 200);
    EXPECT_EQ(crl.header("content-type"), "application/pkix-crl");
    put(f("crl.der"), crl.body);
    EXPECT_EQ(sh("openssl crl -inform DER -in " + f("crl.der") + " -out " + f("crl.pem")).exit_code, 0);
    put(f("bundle.pem"), chain.body + get(f("crl.pem")));
    return f("bundle.pem");
  }

  std::string ocsp_cli(const std::string& ca, const std::string& what, const std::string& extra = "") {
    return sh("openssl ocsp -issuer " + f("issuer.pem") + " " + what + " -url " + url("/ocsp/" + ca) + " -CAfile " +
              f("chain.pem") + " " + extra)
        .out;
  }

  TempDir dir_;
  std::unique_ptr<FreshPgDatabase> pg_;
  ServerOptions opts_;
  std::unique_ptr<ServerProcess> server_;
  SystemClock clock_;
  SystemRng rng_;
  MemoryLogger log_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<keystore::SoftwareKeyManager> km_;
  std::unique_ptr<service::ca::CaService> ca_;
};

TEST_P(PkiServerTest, ListsItsCas) {
  HttpClient c(server_->base_url());
  auto r = c.get("/ca");
  ASSERT_EQ(r.status, 200);
  auto j = r.json();
  ASSERT_EQ(j["items"].size(), 3u);  // sorted by id
  EXPECT_EQ(j["items"][0]["id"], "intl");
  EXPECT_EQ(j["items"][0]["ocsp_url"], url("/ocsp/intl"));
  EXPECT_EQ(j["items"][1]["id"], "sm2");
  EXPECT_EQ(j["items"][1]["signature_algorithm"], "1.2.156.10197.1.501");
  EXPECT_EQ(j["default_tsa"], "intl");
  EXPECT_EQ(c.get("/ca/nope/chain.pem").status, 404);
  EXPECT_EQ(c.get("/ca/nope/chain.pem").json()["code"], "ca_not_found");
}

// openssl verify, ocsp (good / revoked with reason / unknown), x509 -text for the CAs whose
// signatures the OpenSSL 3.0 CLI checks as is.
TEST_P(PkiServerTest, CrlAndOcspWithTheOpensslCli) {
  for (std::string ca : {"sm2o", "intl"}) {
    SCOPED_TRACE(ca);
    HttpClient c(server_->base_url());
    auto cert = issue(ca, "it-" + ca);
    put(f("leaf.pem"), pem_encode("CERTIFICATE", cert.der));
    std::string bundle = fetch_chain_and_crl(c, ca);
    auto ok = sh("openssl verify -crl_check -CAfile " + bundle + " " + f("leaf.pem"));
    EXPECT_EQ(ok.exit_code, 0) << ok.out;

    auto text = sh("openssl x509 -noout -text -in " + f("leaf.pem")).out;
    EXPECT_NE(text.find("URI:" + url("/ca/" + ca + "/crl")), std::string::npos) << text;
    EXPECT_NE(text.find("OCSP - URI:" + url("/ocsp/" + ca)), std::string::npos) << text;
    EXPECT_NE(text.find("X509v3 Subject Key Identifier"), std::string::npos);
    EXPECT_NE(text.find("TLS Web Client Authentication, E-mail Protection"), std::string::npos);

    std::string good = ocsp_cli(ca, "-cert " + f("leaf.pem"));
    EXPECT_NE(good.find("Response verify OK"), std::string::npos) << good;
    EXPECT_NE(good.find(f("leaf.pem") + ": good"), std::string::npos) << good;
    std::string unknown = ocsp_cli(ca, "-serial 0x0123456789ABCDEF");
    EXPECT_NE(unknown.find("Response verify OK"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("0x0123456789ABCDEF: unknown"), std::string::npos) << unknown;

    ASSERT_TRUE(ca_->revoke("it-revoke-" + ca, cert.id, pki::RevocationReason::kKeyCompromise));
    bundle = fetch_chain_and_crl(c, ca);
    auto refused = sh("openssl verify -crl_check -CAfile " + bundle + " " + f("leaf.pem"));
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.out.find("certificate revoked"), std::string::npos) << refused.out;
    std::string revoked = ocsp_cli(ca, "-cert " + f("leaf.pem"));
    EXPECT_NE(revoked.find("Response verify OK"), std::string::npos) << revoked;
    EXPECT_NE(revoked.find(f("leaf.pem") + ": revoked"), std::string::npos) << revoked;
    EXPECT_NE(revoked.find("Reason: keyCompromise"), std::string::npos) << revoked;

    // GET form (RFC 6960 A.1): the same request, base64 and URL-encoded.
    ASSERT_EQ(sh("openssl ocsp -issuer " + f("issuer.pem") + " -cert " + f("leaf.pem") + " -no_nonce -reqout " +
                 f("req.der"))
                  .exit_code,
              0);
    std::string b64 = base64_encode(as_bytes(get(f("req.der"))));
    std::string enc;
    for (char ch : b64) enc += ch == '/' ? "%2F" : ch == '+' ? "%2B" : ch == '=' ? "%3D" : std::string(1, ch);
    auto g = c.get("/ocsp/" + ca + "/" + enc);
    ASSERT_EQ(g.status, 200);
    EXPECT_EQ(g.header("content-type"), "application/ocsp-response");
    put(f("get.der"), g.body);
    auto shown = sh("openssl ocsp -issuer " + f("issuer.pem") + " -cert " + f("leaf.pem") + " -no_nonce -respin " +
                    f("get.der") + " -CAfile " + f("chain.pem"));
    EXPECT_NE(shown.out.find(": revoked"), std::string::npos) << shown.out;
  }
}

// Strict SM2 verifiers refuse an end-entity certificate whose BasicConstraints is an empty
// SEQUENCE; RFC 5280 §4.2.1.9 lets end-entity certificates omit the extension, so they do. The
// root and issuing CAs keep it, critical, with cA TRUE (and pathLen 0 on the issuing CA). Read
// with the openssl CLI (x509 -text and asn1parse), not with our own parser. Also: the caIssuers
// URIs name one DER certificate each (RFC 5280 §4.2.2.1), not the PEM chain.
TEST_P(PkiServerTest, EndEntityCertificatesCarryNoBasicConstraints) {
  for (std::string ca : {"sm2", "sm2o", "intl"}) {
    SCOPED_TRACE(ca);
    HttpClient c(server_->base_url());
    auto cert = issue(ca, "bc-" + ca);
    put(f("leaf.pem"), pem_encode("CERTIFICATE", cert.der));
    auto text = sh("openssl x509 -noout -text -in " + f("leaf.pem"));
    ASSERT_EQ(text.exit_code, 0) << text.out;
    EXPECT_NE(text.out.find("X509v3 Key Usage: critical"), std::string::npos) << text.out;
    EXPECT_EQ(text.out.find("Basic Constraints"), std::string::npos) << text.out;
    auto asn1 = sh("openssl asn1parse -in " + f("leaf.pem"));
    ASSERT_EQ(asn1.exit_code, 0) << asn1.out;
    EXPECT_NE(asn1.out.find("X509v3 Key Usage"), std::string::npos) << asn1.out;
    EXPECT_EQ(asn1.out.find("X509v3 Basic Constraints"), std::string::npos) << asn1.out;

    fetch_chain_and_crl(c, ca);
    // caIssuers: one DER certificate (RFC 5280 §4.2.2.1), the issuing CA for end entities, the
    // root for the issuing CA, each the same certificate as in the chain.
    EXPECT_NE(text.out.find("CA Issuers - URI:" + url("/ca/" + ca + "/ca.cer")), std::string::npos) << text.out;
    EXPECT_NE(sh("openssl x509 -noout -text -in " + f("issuer.pem")).out.find("CA Issuers - URI:" +
                                                                              url("/ca/" + ca + "/root.cer")),
              std::string::npos);
    for (auto [path, pem] : {std::pair{"/ca.cer", "issuer.pem"}, std::pair{"/root.cer", "root.pem"}}) {
      auto der = c.get("/ca/" + ca + path);
      ASSERT_EQ(der.status, 200);
      EXPECT_EQ(der.header("content-type"), "application/pkix-cert");
      put(f("aia.der"), der.body);
      EXPECT_EQ(sh("openssl x509 -inform DER -in " + f("aia.der") + " -noout -fingerprint -sha256").out,
                sh("openssl x509 -in " + f(pem) + " -noout -fingerprint -sha256").out);
    }
    for (std::string which : {"issuer.pem", "root.pem"}) {
      SCOPED_TRACE(which);
      auto t = sh("openssl x509 -noout -text -in " + f(which)).out;
      auto at = t.find("X509v3 Basic Constraints: critical");
      ASSERT_NE(at, std::string::npos) << t;
      std::string value = t.substr(at, 80);
      EXPECT_NE(value.find("CA:TRUE"), std::string::npos) << value;
      EXPECT_EQ(value.find("pathlen:0") != std::string::npos, which == "issuer.pem") << value;
    }
  }
}

// The default SM2 CA signs with the GM/T 0009 ID. The 3.0 CLI verifies a certificate with it when
// told (-vfyopt distid:..., which reaches the target certificate only, not the rest of the chain),
// but not CRLs (-crl_check ignores -vfyopt) nor OCSP responses, so the
// CRL signature is checked with `openssl dgst -sigopt distid:...` over its TBS, and OCSP statuses
// are read with -noverify.
TEST_P(PkiServerTest, GmIdSm2CaWithTheOpensslCli) {
  HttpClient c(server_->base_url());
  auto cert = issue("sm2", "it-gm");
  put(f("leaf.pem"), pem_encode("CERTIFICATE", cert.der));
  fetch_chain_and_crl(c, "sm2");
  // -vfyopt reaches only the signature on the target certificate, so each link is checked alone.
  std::string vfy = "openssl verify -vfyopt distid:1234567812345678 ";
  auto ok = sh(vfy + "-partial_chain -CAfile " + f("issuer.pem") + " " + f("leaf.pem"));
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  ok = sh(vfy + "-CAfile " + f("root.pem") + " " + f("issuer.pem"));
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(sh("openssl verify -CAfile " + f("chain.pem") + " " + f("leaf.pem")).exit_code, 0);
  EXPECT_NE(ocsp_cli("sm2", "-cert " + f("leaf.pem"), "-noverify").find(": good"), std::string::npos);
  ASSERT_TRUE(ca_->revoke("it-gm-revoke", cert.id, pki::RevocationReason::kSuperseded));
  fetch_chain_and_crl(c, "sm2");
  auto crl_text = sh("openssl crl -inform DER -noout -text -in " + f("crl.der")).out;
  EXPECT_NE(crl_text.find("Serial Number: " + cert.serial), std::string::npos) << crl_text;
  EXPECT_NE(crl_text.find("Superseded"), std::string::npos) << crl_text;
  // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue }
  std::string crl = get(f("crl.der"));
  BytesView all = as_bytes(crl);
  auto outer = pki::der::read_tlv(all).value();
  BytesView body = outer.content(all);
  auto tbs = pki::der::read_tlv(body).value();
  BytesView rest = body.subspan(tbs.total());
  auto alg = pki::der::read_tlv(rest).value();
  BytesView sig_part = rest.subspan(alg.total());
  auto sig = pki::der::read_tlv(sig_part).value();
  put(f("tbs.der"), as_chars(body.subspan(0, tbs.total())));
  put(f("sig.der"), as_chars(sig.content(sig_part).subspan(1)));
  ASSERT_EQ(sh("openssl x509 -in " + f("issuer.pem") + " -pubkey -noout > " + f("ca.pub")).exit_code, 0);
  auto dgst = sh("openssl dgst -sm3 -verify " + f("ca.pub") + " -sigopt distid:1234567812345678 -signature " +
                 f("sig.der") + " " + f("tbs.der"));
  EXPECT_NE(dgst.out.find("Verified OK"), std::string::npos) << dgst.out;
  std::string revoked = ocsp_cli("sm2", "-cert " + f("leaf.pem"), "-noverify");
  EXPECT_NE(revoked.find(": revoked"), std::string::npos) << revoked;
  EXPECT_NE(revoked.find("Reason: superseded"), std::string::npos) << revoked;
}

TEST_P(PkiServerTest, TimeStampsWithTheOpensslCli) {
  HttpClient c(server_->base_url());
  put(f("data.txt"), "bid document v1");
  ASSERT_EQ(sh("openssl ts -query -data " + f("data.txt") + " -sha256 -cert -out " + f("q.tsq")).exit_code, 0);
  std::string query = get(f("q.tsq"));
  for (std::string path : {"/tsa", "/tsa/intl", "/tsa/sm2o"}) {
    SCOPED_TRACE(path);
    auto r = c.request("POST", path, query, {"Content-Type: application/timestamp-query"});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "application/timestamp-reply");
    put(f("r.tsr"), r.body);
    std::string ca = path == "/tsa/sm2o" ? "sm2o" : "intl";
    fetch_chain_and_crl(c, ca);
    auto v = sh("openssl ts -verify -data " + f("data.txt") + " -in " + f("r.tsr") + " -CAfile " + f("root.pem") +
                " -untrusted " + f("issuer.pem"));
    if (ca == "intl") {
      EXPECT_EQ(v.exit_code, 0) << v.out;
      EXPECT_NE(v.out.find("Verification: OK"), std::string::npos) << v.out;
    } else {
      // OpenSSL 3.0's TS code cannot verify SM2 SignedData (docs/PKI.md); its CMS code can.
      ASSERT_EQ(sh("openssl ts -reply -in " + f("r.tsr") + " -token_out -out " + f("tok.der")).exit_code, 0);
      auto cms = sh("openssl cms -verify -inform DER -in " + f("tok.der") + " -CAfile " + f("root.pem") +
                    " -certfile " + f("issuer.pem") + " -purpose any -out /dev/null");
      EXPECT_EQ(cms.exit_code, 0) << cms.out;
    }
  }
  // A request the TSA refuses is still a TimeStampResp (status rejection).
  auto bad = c.request("POST", "/tsa", "not a request", {"Content-Type: application/timestamp-query"});
  ASSERT_EQ(bad.status, 200);
  put(f("bad.tsr"), bad.body);
  EXPECT_NE(sh("openssl ts -reply -in " + f("bad.tsr") + " -text").out.find("Status: Rejected"), std::string::npos);
}

// M7: an unauthenticated OCSP request may name at most 10 CertIDs. More get malformedRequest
// (RFC 6960 4.2.1), an unsigned answer: no database work, no signature.
TEST_P(PkiServerTest, OcspWithElevenCertIdsIsMalformedAndUnsigned) {
  HttpClient c(server_->base_url());
  fetch_chain_and_crl(c, "intl");
  auto request_for = [&](int n, const std::string& out) {
    std::string serials;
    for (int i = 1; i <= n; ++i) serials += " -serial 0x" + std::to_string(1000 + i);
    ASSERT_EQ(sh("openssl ocsp -issuer " + f("issuer.pem") + serials + " -no_nonce -reqout " + f(out)).exit_code, 0);
  };
  request_for(11, "eleven.der");
  auto r = c.request("POST", "/ocsp/intl", get(f("eleven.der")), {"Content-Type: application/ocsp-request"});
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(r.body.size(), 16u);  // just the status: nothing signed
  put(f("eleven-resp.der"), r.body);
  auto text = sh("openssl ocsp -respin " + f("eleven-resp.der") + " -resp_text -noverify").out;
  EXPECT_NE(text.find("Responder Error: malformedrequest (1)"), std::string::npos) << text;
  EXPECT_EQ(text.find("Signature Algorithm"), std::string::npos) << text;

  // Ten are answered, signed, and verify with the openssl CLI.
  request_for(10, "ten.der");
  r = c.request("POST", "/ocsp/intl", get(f("ten.der")), {"Content-Type: application/ocsp-request"});
  ASSERT_EQ(r.status, 200);
  put(f("ten-resp.der"), r.body);
  auto ten = sh("openssl ocsp -respin " + f("ten-resp.der") + " -CAfile " + f("chain.pem") + " -resp_text");
  EXPECT_NE(ten.out.find("Response verify OK"), std::string::npos) << ten.out;
  EXPECT_NE(ten.out.find("successful"), std::string::npos) << ten.out;

  // A request larger than 4 KiB is refused before it is parsed.
  auto big = c.request("POST", "/ocsp/intl", std::string(5000, '0'), {"Content-Type: application/ocsp-request"});
  EXPECT_EQ(big.status, 413);
}

// M7: the TSA signs for anyone, so each client address has a budget (6 a minute here). A flood
// from one address is throttled while another address still gets verifiable stamps.
TEST_P(PkiServerTest, TsaFloodFromOneAddressIsThrottledAnotherStillGetsStamps) {
  HttpClient c(server_->base_url());
  put(f("data.txt"), "tender v2");
  ASSERT_EQ(sh("openssl ts -query -data " + f("data.txt") + " -sha256 -cert -out " + f("q.tsq")).exit_code, 0);
  std::string query = get(f("q.tsq"));
  auto stamp = [&](const std::string& from) {
    return c.request("POST", "/tsa", query,
                     {"Content-Type: application/timestamp-query", "X-Forwarded-For: " + from});
  };
  int ok = 0, throttled = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = stamp("198.51.100.66");
    if (r.status == 200) ++ok;
    if (r.status == 429) ++throttled;
  }
  EXPECT_LE(ok, 7);  // the budget (and at most one refill) of signatures
  EXPECT_GE(throttled, 13);
  auto other = stamp("198.51.100.67");
  ASSERT_EQ(other.status, 200);
  put(f("other.tsr"), other.body);
  fetch_chain_and_crl(c, "intl");
  auto v = sh("openssl ts -verify -data " + f("data.txt") + " -in " + f("other.tsr") + " -CAfile " + f("root.pem") +
              " -untrusted " + f("issuer.pem"));
  EXPECT_EQ(v.exit_code, 0) << v.out;
  EXPECT_NE(v.out.find("Verification: OK"), std::string::npos) << v.out;
}

TEST_P(PkiServerTest, OperatorEndpointsNeedAnOperator) {
  HttpClient c(server_->base_url());
  auto r = c.post_json("/api/v1/cas/sm2/certificates", {{"profile", "personal_sign"}});
  EXPECT_EQ(r.status, 401);
}

INSTANTIATE_TEST_SUITE_P(Engines, PkiServerTest, ::testing::Values("sqlite", "postgres"));

}  // namespace
}  // namespace certseal::testing
