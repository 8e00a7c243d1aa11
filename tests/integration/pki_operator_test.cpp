// The PKI lifecycle over HTTP by a logged-in operator (issue, idempotent retry, renew, change,
// revoke, reissue), checked with the openssl CLI, and refused to everyone else.
#include <sys/wait.h>

#include <cctype>
#include <fstream>

#include "support/api_fixture.h"

namespace certseal::testing {
namespace {

void put_file(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));
}

// Percent-encodes every byte outside the URL-safe ASCII set (UTF-8 names, colons).
std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

class PkiOperatorTest : public ApiTest {
 protected:
  // A P-256 key and a CSR for it, made by the openssl CLI.
  std::string make_csr(const std::string& name) {
    std::string key = dir_.path() + "/" + name + ".key", csr = dir_.path() + "/" + name + ".csr";
    run_command("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" + name +
                " -keyout " + key + " -out " + csr + " 2>/dev/null");
    return slurp(csr);
  }
  std::string chain_file() {
    std::string path = dir_.path() + "/chain.pem";
    put_file(path, http_->get("/ca/intl/chain.pem").body);
    return path;
  }
  // `openssl verify` of a PEM certificate against the CA chain, optionally with the current CRL.
  std::string verify(const std::string& cert_pem, bool crl) {
    std::string cert = dir_.path() + "/c.pem", crl_path = dir_.path() + "/crl.der";
    put_file(cert, cert_pem);
    std::string args = "-CAfile " + chain_file();
    if (crl) {
      put_file(crl_path, http_->get("/ca/intl/crl").body);
      run_command("openssl crl -inform DER -in " + crl_path + " -out " + crl_path + ".pem");
      args += " -crl_check -CRLfile " + crl_path + ".pem";
    }
    return run_command("openssl verify " + args + " " + cert + " 2>&1");
  }
  nlohmann::json issue(const std::string& token, const std::string& request_id, const std::string& csr) {
    return call("POST", "/api/v1/cas/intl/certificates", token,
                {{"request_id", request_id},
                 {"profile", "personal_sign"},
                 {"subject", {{"common_name", "张三"}, {"identity_code", "11010519491231002X"}}},
                 {"csr", csr},
                 {"validity_days", 365}})
        .json();
  }
};

TEST_P(PkiOperatorTest, LifecycleOverHttpCheckedByOpenssl) {
  auto cas = http_->get("/ca").json();
  ASSERT_FALSE(cas.empty());
  std::string csr = make_csr("alice");
  auto first = issue(operator_token_, "req-1", csr);
  ASSERT_TRUE(first.contains("id")) << first.dump();
  EXPECT_EQ(first["status"], "valid");
  auto again = issue(operator_token_, "req-1", csr);  // the same request id: the same certificate
  EXPECT_EQ(again["id"], first["id"]);
  EXPECT_EQ(again["serial"], first["serial"]);
  EXPECT_NE(verify(first["certificate_pem"], true).find(": OK"), std::string::npos);

  std::string id = first["id"];
  auto renewed = call("POST", "/api/v1/certificates/" + id + "/renewals", operator_token_,
                      {{"request_id", "ren-1"}, {"validity_days", 730}});
  ASSERT_EQ(renewed.status, 201) << renewed.body;
  EXPECT_NE(verify(renewed.json()["certificate_pem"], true).find(": OK"), std::string::npos);

  std::string rid = renewed.json()["id"];
  auto changed = call("POST", "/api/v1/certificates/" + rid + "/changes", operator_token_,
                      {{"request_id", "chg-1"}, {"subject", {{"common_name", "张三丰"}, {"identity_code", "11010519491231002X"}}}});
  ASSERT_EQ(changed.status, 201) << changed.body;
  auto old = call("GET", "/api/v1/certificates/" + rid, operator_token_).json();
  EXPECT_EQ(old["status"], "revoked");
  EXPECT_EQ(old["revocation_reason"], "superseded");
  EXPECT_EQ(verify(old["certificate_pem"], true).find(": OK"), std::string::npos);  // CRL says revoked

  std::string cid = changed.json()["id"];
  auto revoked = call("POST", "/api/v1/certificates/" + cid + "/revocations", operator_token_,
                      {{"request_id", "rev-1"}, {"reason", "keyCompromise"}});
  ASSERT_LT(revoked.status, 300) << revoked.body;
  std::string out = verify(changed.json()["certificate_pem"], true);
  EXPECT_NE(out.find("revoked"), std::string::npos) << out;

  auto history = call("GET", "/api/v1/certificates/" + cid, operator_token_).json()["history"];
  EXPECT_FALSE(history.empty());
}

TEST_P(PkiOperatorTest, BadRequestsChangeNothing) {
  std::string csr = make_csr("bob");
  // A CSR whose signature no longer matches: flip one character inside the base64 body.
  std::string broken = csr;
  auto pos = broken.find('\n', broken.find("BEGIN")) + 40;
  broken[pos] = broken[pos] == 'A' ? 'B' : 'A';
  auto bad = call("POST", "/api/v1/cas/intl/certificates", operator_token_,
                  {{"request_id", "bad-1"}, {"profile", "personal_sign"},
                   {"subject", {{"common_name", "李四"}, {"identity_code", "11010519491231002X"}}}, {"csr", broken}});
  EXPECT_GE(bad.status, 400);
  EXPECT_LT(bad.status, 500);
  auto missing = call("POST", "/api/v1/cas/intl/certificates", operator_token_,
                      {{"request_id", "bad-2"}, {"profile", "personal_sign"}, {"subject", {{"identity_code", "11010519491231002X"}}},
                       {"csr", csr}});
  EXPECT_EQ(missing.status, 400) << missing.body;
  auto unknown = call("POST", "/api/v1/cas/intl/revocations", operator_token_,
                      {{"request_id", "bad-3"}, {"serial", "0123456789abcdef"}, {"reason", "keyCompromise"}});
  EXPECT_GE(unknown.status, 400);
  EXPECT_LT(unknown.status, 500);
  // The CRL lists nothing: no certificate was issued or revoked by the refused calls.
  std::string crl = dir_.path() + "/empty.der";
  put_file(crl, http_->get("/ca/intl/crl").body);
  EXPECT_EQ(run_command("openssl crl -inform DER -in " + crl + " -noout -text").find("Serial Number"),
            std::string::npos);
}

TEST_P(PkiOperatorTest, OnlyOperatorsManageCertificates) {
  std::string user = register_person("13900000501", "Str0ng!pw");
  std::string csr = make_csr("carol");
  auto cert = issue(operator_token_, "own-1", csr);
  std::string id = cert["id"];
  const std::vector<std::pair<std::string, std::string>> eps = {
      {"POST", "/api/v1/cas/intl/certificates"},       {"POST", "/api/v1/cas/intl/revocations"},
      {"GET", "/api/v1/certificates/" + id},            {"POST", "/api/v1/certificates/" + id + "/renewals"},
      {"POST", "/api/v1/certificates/" + id + "/changes"}, {"POST", "/api/v1/certificates/" + id + "/revocations"},
      {"POST", "/api/v1/certificates/" + id + "/reissues"},
  };
  for (const auto& [method, path] : eps) {
    SCOPED_TRACE(method + " " + path);
    nlohmann::json body = method == "POST" ? nlohmann::json{{"request_id", "x"}, {"reason", "keyCompromise"}} : nlohmann::json();
    EXPECT_EQ(call(method, path, "", body).status, 401);
    EXPECT_EQ(call(method, path, user, body).status, 403);
  }
  EXPECT_EQ(call("GET", "/api/v1/certificates/" + id, operator_token_).json()["status"], "valid");  // untouched
}

// The console's CA page: each CA's CRL number and counts move with a revocation, and the search
// finds a certificate by serial (with colons, any case), by part of its subject, and by status;
// a user's session (the attacker) and no session are refused both, and a bad filter changes nothing.
TEST_P(PkiOperatorTest, OperatorsSeeCaStateAndSearchCertificates) {
  auto status_of = [&](const std::string& ca) {
    const nlohmann::json all = call("GET", "/api/v1/operator/cas", operator_token_).json();
    for (const auto& c : all["items"]) {
      if (c["id"] == ca) return c;
    }
    return nlohmann::json();
  };
  const auto before = status_of("intl");
  ASSERT_TRUE(before.is_object()) << call("GET", "/api/v1/operator/cas", operator_token_).body;
  EXPECT_EQ(before["ocsp_ok"], true);
  EXPECT_EQ(before["tsa_ok"], true);
  auto cert = issue(operator_token_, "find-1", make_csr("dave"));
  issue(operator_token_, "find-2", make_csr("erin"));
  std::string serial = cert["serial"];
  std::string colons;
  for (std::size_t i = 0; i < serial.size(); i += 2) colons += (i ? ":" : "") + serial.substr(i, 2);
  for (auto& ch : colons) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  auto by_serial = call("GET", "/api/v1/operator/certificates?q=" + url_encode(colons), operator_token_);
  ASSERT_EQ(by_serial.status, 200) << by_serial.body;
  ASSERT_EQ(by_serial.json()["items"].size(), 1u) << by_serial.body;
  EXPECT_EQ(by_serial.json()["items"][0]["id"], cert["id"]);
  EXPECT_FALSE(by_serial.json()["items"][0].contains("certificate_pem"));
  auto by_subject = call("GET", "/api/v1/operator/certificates?ca=intl&limit=1&q=" + url_encode("张三"), operator_token_).json();
  ASSERT_EQ(by_subject["items"].size(), 1u) << by_subject.dump();
  ASSERT_TRUE(by_subject["next"].is_string()) << by_subject.dump();  // two match: a second page
  auto page2 = call("GET", "/api/v1/operator/certificates?ca=intl&limit=1&q=" + url_encode("张三") + "&after=" +
                               by_subject["next"].get<std::string>(), operator_token_).json();
  ASSERT_EQ(page2["items"].size(), 1u) << page2.dump();
  EXPECT_NE(page2["items"][0]["id"], by_subject["items"][0]["id"]);

  ASSERT_EQ(call("POST", "/api/v1/certificates/" + cert["id"].get<std::string>() + "/revocations", operator_token_,
                 {{"request_id", "find-rev"}, {"reason", "keyCompromise"}}).status, 200);
  const auto after = status_of("intl");
  EXPECT_EQ(after["crl_number"].get<std::int64_t>(), before["crl_number"].get<std::int64_t>() + 1);
  EXPECT_EQ(after["revoked"].get<std::int64_t>(), before["revoked"].get<std::int64_t>() + 1);
  EXPECT_EQ(after["issued"].get<std::int64_t>(), before["issued"].get<std::int64_t>() + 2);
  EXPECT_EQ(after["crl_fresh"], true);
  auto revoked = call("GET", "/api/v1/operator/certificates?status=revoked&ca=intl", operator_token_).json();
  ASSERT_EQ(revoked["items"].size(), 1u) << revoked.dump();
  EXPECT_EQ(revoked["items"][0]["revocation_reason"], "keyCompromise");
  // A LIKE wildcard is taken literally: it matches nothing.
  EXPECT_EQ(call("GET", "/api/v1/operator/certificates?q=%25", operator_token_).json()["items"].size(), 0u);

  EXPECT_EQ(call("GET", "/api/v1/operator/certificates?status=lost", operator_token_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/operator/certificates?ca=nope", operator_token_).status, 404);
  std::string user = register_person("13900000502", "Str0ng!pw");
  for (const std::string& path : std::vector<std::string>{"/api/v1/operator/cas", "/api/v1/operator/certificates?q=" + serial}) {
    SCOPED_TRACE(path);
    EXPECT_EQ(call("GET", path, "").status, 401);
    EXPECT_EQ(call("GET", path, user).status, 403);
  }
}

CERTSEAL_INSTANTIATE_API_ENGINES(PkiOperatorTest);

}  // namespace
}  // namespace certseal::testing
