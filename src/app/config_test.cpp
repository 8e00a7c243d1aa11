#include "app/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "app/platform.h"
#include "support/test_env.h"

namespace certseal::app {
namespace {

Getenv env_of(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Config, DefaultsAreUsable) {
  auto c = load_config("", {{"data_dir", "/nonexistent-dir-for-test"}}, env_of({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->db.engine, "sqlite");
  EXPECT_EQ(c->db.path, "/nonexistent-dir-for-test/certseal.db");
  EXPECT_EQ(c->shutdown_grace.count(), 10000);
}

TEST(Config, FileThenEnvironmentThenFlags) {
  certseal::testing::TempDir dir;
  std::string file = dir.path() + "/c.toml";
  std::ofstream(file) << "data_dir = \"" << dir.path() << "\"\n[server]\nlisten = \"0.0.0.0:9000\"\n"
                      << "threads = 3\nbody_limit = 2048\n[log]\naccess = false\n";
  auto from_file = load_config(file, {}, env_of({}));
  ASSERT_TRUE(from_file.ok()) << from_file.error().message;
  EXPECT_EQ(from_file->server.port, 9000);
  EXPECT_EQ(from_file->server.threads, 3);
  EXPECT_EQ(from_file->server.body_limit, 2048u);
  EXPECT_FALSE(from_file->log.access);

  auto env = env_of({{"CERTSEAL_SERVER_THREADS", "5"}, {"CERTSEAL_SERVER_LISTEN", "127.0.0.1:9100"}});
  auto with_env = load_config(file, {}, env);
  EXPECT_EQ(with_env->server.threads, 5);
  EXPECT_EQ(with_env->server.port, 9100);

  auto with_flag = load_config(file, {{"server.listen", "127.0.0.1:9200"}}, env);
  EXPECT_EQ(with_flag->server.port, 9200);
  EXPECT_EQ(with_flag->server.threads, 5);
}

TEST(Config, DefaultFileInDataDirIsRead) {
  certseal::testing::TempDir dir;
  std::ofstream(dir.path() + "/certseald.toml") << "[db]\nsqlite_readers = 7\n";
  auto c = load_config("", {{"data_dir", dir.path()}}, env_of({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->db.sqlite_readers, 7);
  EXPECT_EQ(c->config_file, dir.path() + "/certseald.toml");
}

TEST(Config, BadInputIsRefusedWithAClearMessage) {
  certseal::testing::TempDir dir;
  auto env = env_of({});
  EXPECT_EQ(load_config(dir.path() + "/missing.toml", {}, env).error().code, "bad_config");
  std::string file = dir.path() + "/c.toml";
  std::ofstream(file) << "[server]\nlisen = \"x\"\n";
  auto typo = load_config(file, {}, env);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("server.lisen"), std::string::npos);
  std::ofstream(file, std::ios::trunc) << "[server\n";
  EXPECT_NE(load_config(file, {}, env).error().message.find("line"), std::string::npos);
  EXPECT_FALSE(load_config("", {{"server.threads", "many"}}, env).ok());
  EXPECT_FALSE(load_config("", {{"server.listen", "nohost"}}, env).ok());
  EXPECT_FALSE(load_config("", {{"server.listen", "127.0.0.1:70000"}}, env).ok());
  EXPECT_FALSE(load_config("", {{"db.engine", "mysql"}}, env).ok());
  EXPECT_FALSE(load_config("", {{"db.engine", "postgres"}}, env).ok());  // needs db.url
  EXPECT_FALSE(load_config("", {{"server.tls_cert", "a.pem"}}, env).ok());  // needs the key too
  EXPECT_FALSE(load_config("", {{"log.level", "loud"}}, env).ok());
  EXPECT_FALSE(load_config("", {{"no.such", "1"}}, env).ok());
  EXPECT_FALSE(load_config("", {{"email.sender", "carrier-pigeon"}}, env).ok());
  EXPECT_FALSE(load_config("", {{"email.sender", "smtp"}, {"email.from", "a@b.cn"}}, env).ok());  // needs the URL
  EXPECT_FALSE(load_config("", {{"email.sender", "smtp"}, {"email.smtp_url", "http://mail"}, {"email.from", "a@b.cn"}},
                           env).ok());
  EXPECT_FALSE(load_config("", {{"email.sender", "smtp"}, {"email.smtp_url", "smtps://mail:465"}}, env).ok());
  auto smtp = load_config("", {{"email.sender", "smtp"}, {"email.smtp_url", "smtps://mail:465"},
                               {"email.from", "noreply@certseal.test"}}, env);
  ASSERT_TRUE(smtp.ok());
  EXPECT_TRUE(smtp->email.smtp_starttls);
}

TEST(Config, EnvNames) { EXPECT_EQ(env_name("server.body_limit"), "CERTSEAL_SERVER_BODY_LIMIT"); }

TEST(Config, DocsListEverySetting) {
  std::ifstream in(std::string(CERTSEAL_SOURCE_DIR) + "/docs/CONFIG.md");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  ASSERT_FALSE(doc.empty());
  for (const auto& k : config_keys()) {
    std::string quoted = "`";  // appended piecewise: GCC 12 -O3 warns falsely (-Wrestrict) on "`" + string
    quoted += k.key;
    quoted += '`';
    EXPECT_NE(doc.find(quoted), std::string::npos)
        << k.key << " is missing from docs/CONFIG.md";
    EXPECT_NE(doc.find(env_name(k.key)), std::string::npos) << env_name(k.key);
  }
}

}  // namespace
}  // namespace certseal::app

namespace certseal::app {
namespace {

TEST(Config, CaTablesConfigureSeveralCas) {
  auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto defaults = load_config("", {{"data_dir", "/nonexistent-dir-for-test"}}, env);
  ASSERT_TRUE(defaults.ok());
  ASSERT_EQ(defaults->pki.cas.size(), 2u);
  EXPECT_EQ(defaults->pki.cas[0].id, "sm2");
  EXPECT_EQ(defaults->pki.cas[0].algorithm, "sm2");
  EXPECT_EQ(defaults->pki.cas[1].algorithm, "ec-p256");
  EXPECT_EQ(defaults->keys.master_key_file, "/nonexistent-dir-for-test/keys/master.key");

  certseal::testing::TempDir dir;
  std::string file = dir.path() + "/c.toml";
  std::ofstream(file) << "[ca.gm]\nname = \"GM CA\"\nalgorithm = \"sm2\"\nsm2_id = \"\"\n"
                         "[ca.rsa]\nalgorithm = \"rsa-3072\"\nissuing_validity_days = 1825\n"
                         "[pki]\ndefault_tsa = \"rsa\"\npublic_url = \"https://pki.example.cn/\"\n";
  auto c = load_config(file, {}, env);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->pki.cas.size(), 2u);
  EXPECT_EQ(c->pki.cas[0].id, "gm");
  EXPECT_EQ(c->pki.cas[0].sm2_id, "");
  EXPECT_EQ(c->pki.cas[1].issuing_validity_days, 1825);
  EXPECT_EQ(c->pki.cas[1].name, "CertSeal rsa CA");
  EXPECT_EQ(c->pki.public_url, "https://pki.example.cn");

  std::ofstream(file) << "[ca.x]\nalgorithm = \"dsa\"\n";
  EXPECT_FALSE(load_config(file, {}, env).ok());
  std::ofstream(file) << "[ca.x]\nalgorithm = \"sm2\"\ncolour = \"red\"\n";
  EXPECT_FALSE(load_config(file, {}, env).ok());
  std::ofstream(file) << "[ca.x]\nname = \"no algorithm\"\n";
  EXPECT_FALSE(load_config(file, {}, env).ok());
  EXPECT_FALSE(load_config("", {{"pki.default_tsa", "nope"}}, env).ok());
}

// ---- issue 11: development components (M5), master key source (L4), SQLite durability ----

TEST(Config, DevelopmentComponentsNeedDevModeOrDemo) {
  auto c = load_config("", {{"data_dir", "/nonexistent-dir-for-test"}}, env_of({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(development_components(*c),
            (std::vector<std::string>{"payment.sandbox_enabled = true", "identity.verifier = dev", "sms.sender = outbox"}));
  auto refused = check_development_components(*c);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("payment.sandbox_enabled = true, identity.verifier = dev, sms.sender = outbox"),
            std::string::npos);
  EXPECT_EQ(refused.error().message.find('\n'), std::string::npos);

  auto dev = load_config("", {{"data_dir", "/x"}}, env_of({{"CERTSEAL_DEV_MODE", "true"}}));
  ASSERT_TRUE(dev.ok());
  EXPECT_TRUE(dev->dev_mode);
  EXPECT_TRUE(check_development_components(*dev).ok());
  auto demo = load_config("", {{"data_dir", "/x"}, {"demo.enabled", "true"}}, env_of({}));
  EXPECT_TRUE(check_development_components(*demo).ok());

  auto prod = load_config("", {{"data_dir", "/x"}, {"payment.sandbox_enabled", "false"}, {"identity.verifier", "manual"},
                               {"sms.sender", "http"}, {"sms.http_url", "https://sms.example/send"}},
                          env_of({}));
  ASSERT_TRUE(prod.ok()) << prod.error().message;
  EXPECT_TRUE(development_components(*prod).empty());
  EXPECT_TRUE(check_development_components(*prod).ok());
}

TEST(Config, MasterKeySourceAndSqliteSynchronous) {
  auto c = load_config("", {{"data_dir", "/d"}}, env_of({}));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->keys.master_key_source, "file");
  EXPECT_EQ(c->keys.master_key_file, "/d/keys/master.key");
  EXPECT_TRUE(c->db.sqlite_synchronous_full);
  auto normal = load_config("", {{"data_dir", "/d"}, {"db.sqlite_synchronous", "normal"}}, env_of({}));
  ASSERT_TRUE(normal.ok());
  EXPECT_FALSE(normal->db.sqlite_synchronous_full);
  auto bad = load_config("", {{"data_dir", "/d"}, {"db.sqlite_synchronous", "off"}}, env_of({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("db.sqlite_synchronous must be full or normal"), std::string::npos);
  auto env = load_config("", {{"data_dir", "/d"}, {"keys.master_key_source", "env"}}, env_of({}));
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->keys.master_key_source, "env");
  auto p11 = load_config("", {{"data_dir", "/d"}, {"keys.master_key_source", "pkcs11"}}, env_of({}));
  ASSERT_FALSE(p11.ok());
  EXPECT_NE(p11.error().message.find("needs keys.pkcs11_module and keys.pkcs11_token"), std::string::npos);
  auto other = load_config("", {{"data_dir", "/d"}, {"keys.master_key_source", "kms"}}, env_of({}));
  ASSERT_FALSE(other.ok());
  // The PIN is never printed by `certseald config`.
  auto v = effective_values("", {{"data_dir", "/d"}, {"keys.pkcs11_pin", "123456"}}, env_of({}), nullptr);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(describe(*v).find("123456"), std::string::npos);
}

TEST(Config, HttpLimitsHaveSafeDefaults) {
  auto c = load_config("", {{"data_dir", "/nonexistent-dir-for-test"}}, env_of({}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server.small_body_limit, 64u * 1024);
  EXPECT_EQ(c->server.header_timeout.count(), 10000);
  EXPECT_EQ(c->server.max_connections_per_address, 128u);
  EXPECT_GT(c->server.requests_per_address.rate_per_s, 0);
  EXPECT_TRUE(c->server.trusted_proxies.empty());
  EXPECT_EQ(c->limits.ocsp_max_certids, 10);
  EXPECT_TRUE(c->limits.metrics_token.empty());
  auto bad = load_config("", {{"data_dir", "/x"}, {"server.trusted_proxies", "proxy.example"}}, env_of({}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("server.trusted_proxies"), std::string::npos);
  EXPECT_FALSE(load_config("", {{"data_dir", "/x"}, {"limits.ocsp_max_certids", "0"}}, env_of({})).ok());
}

// Review L5: the third-party list shows where data goes, never the gateway's credentials.
TEST(ThirdParties, GatewayUrlsShrinkToTheirHost) {
  EXPECT_EQ(url_host("https://key:secret@sms.example:8443/send?token=abc"), "sms.example:8443");
  EXPECT_EQ(url_host("smtps://mail.example:465"), "mail.example:465");
  EXPECT_EQ(url_host("https://sms.example/v1/send#x"), "sms.example");
  EXPECT_EQ(url_host("https://sms.example?apikey=1"), "sms.example");
}

}  // namespace
}  // namespace certseal::app
