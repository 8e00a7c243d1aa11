// `cert show --copy FIELD` against values computed independently by the openssl CLI.
#include "client/cert_fields.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>

#include "support/test_env.h"

namespace certseal::client {
namespace {

using certseal::testing::run_command;

std::string after_eq_without_colons(std::string s) {
  s = s.substr(s.find('=') + 1);
  s.erase(std::remove_if(s.begin(), s.end(), [](char c) { return c == ':' || std::isspace(static_cast<unsigned char>(c)); }),
          s.end());
  return s;
}

TEST(ClientCopyField, ThumbprintsSerialAndSubjectMatchOpenssl) {
  certseal::testing::TempDir d;
  std::string crt = d.path() + "/c.pem";
  ASSERT_EQ(run_command("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3 -keyout " +
                        d.path() + "/k.pem -out " + crt + " -subj '/CN=Zhang San/O=Example' 2>/dev/null; echo $?"),
            "0\n");
  std::string pem = run_command("cat " + crt);
  nlohmann::json record = {{"id", "c-1"}, {"status", "valid"}, {"certificate_pem", pem}};  // no details: computed

  auto sha1 = copy_field(record, "sha1");
  ASSERT_TRUE(sha1.ok()) << sha1.error().message;
  EXPECT_EQ(*sha1, after_eq_without_colons(run_command("openssl x509 -in " + crt + " -noout -fingerprint -sha1")));
  EXPECT_EQ(copy_field(record, "thumbprint").value(), *sha1);
  EXPECT_EQ(copy_field(record, "sha256").value(),
            after_eq_without_colons(run_command("openssl x509 -in " + crt + " -noout -fingerprint -sha256")));
  EXPECT_EQ(copy_field(record, "md5").value(),
            after_eq_without_colons(run_command("openssl x509 -in " + crt + " -noout -fingerprint -md5")));
  EXPECT_EQ(copy_field(record, "sm3").value().size(), 64u);
  EXPECT_EQ(copy_field(record, "serial").value(),
            after_eq_without_colons(run_command("openssl x509 -in " + crt + " -noout -serial")));
  auto subject = copy_field(record, "subject");
  ASSERT_TRUE(subject.ok());
  EXPECT_NE(subject->find("Zhang San"), std::string::npos) << *subject;
  EXPECT_EQ(copy_field(record, "status").value(), "valid");
  EXPECT_EQ(copy_field(record, "id").value(), "c-1");
  EXPECT_EQ(copy_field(record, "public_key_algorithm").value().empty(), false);
  auto pem_out = copy_field(record, "pem");
  ASSERT_TRUE(pem_out.ok());
  EXPECT_EQ(pem_out->rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
}

TEST(ClientCopyField, DetailsFromTheServerWinAndUnknownFieldsAreUsageErrors) {
  nlohmann::json record = {{"id", "c-2"},
                           {"serial", "abc"},
                           {"details", {{"serial", "0ABC"}, {"thumbprints", {{"sha1", "AA"}}}, {"key_usage", {"digitalSignature", "nonRepudiation"}}}}};
  EXPECT_EQ(copy_field(record, "serial").value(), "0ABC");
  EXPECT_EQ(copy_field(record, "sha1").value(), "AA");
  EXPECT_EQ(copy_field(record, "key_usage").value(), "digitalSignature,nonRepudiation");
  auto missing = copy_field(record, "sha256");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "field_missing");
  auto unknown = copy_field(record, "password");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "usage");
}

}  // namespace
}  // namespace certseal::client
