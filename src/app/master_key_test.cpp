#include "app/master_key.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/test_env.h"

namespace certseal::app {
namespace {

namespace fs = std::filesystem;

Getenv env_of(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

Config config_in(const std::string& data_dir) {
  Config c;
  c.data_dir = data_dir;
  c.keys.dir = data_dir + "/keys";
  c.keys.master_key_file = c.keys.dir + "/master.key";
  return c;
}

TEST(MasterKey, FileIsCreatedOnceAndPrivate) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  Config c = config_in(dir.path() + "/data");
  auto first = load_master_key(c, env_of({}), rng);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->key.size(), 32u);
  EXPECT_TRUE(first->inside_data_dir);
  EXPECT_EQ(fs::status(c.keys.master_key_file).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto again = load_master_key(c, env_of({}), rng);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->key, first->key);
  EXPECT_EQ(again->where, "file " + c.keys.master_key_file);

  // Outside the data folder: not flagged.
  c.keys.master_key_file = dir.path() + "/elsewhere/master.key";
  auto outside = load_master_key(c, env_of({}), rng);
  ASSERT_TRUE(outside.ok());
  EXPECT_FALSE(outside->inside_data_dir);

  // A file of the wrong size is refused, and left as it was.
  std::ofstream(c.keys.master_key_file, std::ios::binary | std::ios::trunc) << std::string(33, 'k');
  auto bad = load_master_key(c, env_of({}), rng);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_master_key");
  EXPECT_EQ(fs::file_size(c.keys.master_key_file), 33u);
}

TEST(MasterKey, FromTheEnvironmentOnly) {
  certseal::testing::TempDir dir;
  SystemRng rng;
  Config c = config_in(dir.path());
  c.keys.master_key_source = "env";
  const std::string hex(64, 'a');
  auto k = load_master_key(c, env_of({{kMasterKeyEnv, hex}}), rng);
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->key, SecretBytes(32, 0xaa));
  EXPECT_EQ(k->where, "environment CERTSEAL_MASTER_KEY");
  EXPECT_FALSE(fs::exists(c.keys.master_key_file));
  for (const std::string& v : {std::string(), std::string(62, 'a'), std::string(64, 'g'), std::string(66, 'a')}) {
    auto bad = load_master_key(c, env_of({{kMasterKeyEnv, v}}), rng);
    ASSERT_FALSE(bad.ok()) << v;
    EXPECT_EQ(bad.error().code, "bad_master_key");
  }
  EXPECT_FALSE(load_master_key(c, env_of({}), rng).ok());
}

}  // namespace
}  // namespace certseal::app
