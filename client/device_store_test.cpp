// The device's files: resolution of the data dir, modes 0700/0600, atomic replacement, the device
// id, key files.
#include "client/device_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "base/encoding.h"
#include "support/test_env.h"

namespace certseal::client {
namespace {

using certseal::testing::TempDir;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
  }
  ~EnvGuard() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ClientDataDir, FlagThenEnvironmentThenXdgThenHome) {
  EnvGuard a("CERTSEAL_DATA_DIR"), b("XDG_DATA_HOME"), c("HOME");
  ::setenv("CERTSEAL_DATA_DIR", "/env/dir", 1);
  ::setenv("XDG_DATA_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(resolve_data_dir("/flag").value(), fs::path("/flag"));
  EXPECT_EQ(resolve_data_dir("").value(), fs::path("/env/dir"));
  ::unsetenv("CERTSEAL_DATA_DIR");
  EXPECT_EQ(resolve_data_dir("").value(), fs::path("/xdg/certseal"));
  ::unsetenv("XDG_DATA_HOME");
  EXPECT_EQ(resolve_data_dir("").value(), fs::path("/home/u/.local/share/certseal"));
  ::unsetenv("HOME");
  EXPECT_FALSE(resolve_data_dir("").ok());
}

TEST(ClientDeviceStore, DirectoriesAre0700AndFiles0600EvenWithAPermissiveUmask) {
  TempDir t;
  mode_t old = ::umask(0);
  fs::path root = fs::path(t.path()) / "a" / "b" / "certseal";
  auto s = DeviceStore::open(root);
  ::umask(old);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(mode_of(root), 0700u);
  EXPECT_EQ(mode_of(root / "keys"), 0700u);
  EXPECT_EQ(mode_of(root / "pairings"), 0700u);
  EXPECT_EQ(mode_of(fs::path(t.path()) / "a"), 0700u);  // created by us, so private too
  SystemRng rng;
  ::umask(0);
  ASSERT_TRUE(s->device(rng).ok());
  ASSERT_TRUE(s->save_session({"http://x", "tok", "13900000001", ""}).ok());
  ::umask(old);
  EXPECT_EQ(mode_of(root / "device.json"), 0600u);
  EXPECT_EQ(mode_of(root / "session.json"), 0600u);

  // An existing directory with loose permissions is tightened.
  ASSERT_EQ(::chmod(root.c_str(), 0755), 0);
  ASSERT_TRUE(DeviceStore::open(root).ok());
  EXPECT_EQ(mode_of(root), 0700u);
}

TEST(ClientDeviceStore, AtomicWriteReplacesWholeFilesAndLeavesNoTemporaries) {
  TempDir t;
  fs::path p = fs::path(t.path()) / "f.json";
  const std::string a(200000, 'a'), b(300000, 'b');
  ASSERT_TRUE(write_file_atomic(p, a).ok());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0}, reads{0};
  std::thread reader([&] {
    while (!done) {
      auto r = read_text_file(p);
      if (!r || !*r) {
        ++torn;  // the file must always exist
        continue;
      }
      ++reads;
      if (**r != a && **r != b) ++torn;
    }
  });
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(write_file_atomic(p, i % 2 ? a : b).ok());
  done = true;
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0);
  int files = 0;
  for (const auto& e : fs::directory_iterator(t.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);  // no .tmp leftovers
  EXPECT_EQ(mode_of(p), 0600u);
  // A write into a missing directory fails as a value and creates nothing.
  EXPECT_FALSE(write_file_atomic(fs::path(t.path()) / "missing" / "x", "y").ok());
}

TEST(ClientDeviceStore, DeviceIdIsRandomAndStable) {
  TempDir t1, t2;
  SystemRng rng;
  auto s1 = DeviceStore::open(t1.path());
  auto s2 = DeviceStore::open(t2.path());
  auto d1 = s1->device(rng);
  auto d1again = s1->device(rng);
  auto d2 = s2->device(rng);
  ASSERT_TRUE(d1 && d1again && d2);
  EXPECT_EQ(d1->device_id, d1again->device_id);
  EXPECT_NE(d1->device_id, d2->device_id);
  EXPECT_EQ(d1->device_id.size(), 36u);
  EXPECT_FALSE(d1->device_name.empty());
}

TEST(ClientDeviceStore, KeyFilesRoundTripAndRejectDamage) {
  TempDir t;
  auto s = DeviceStore::open(t.path());
  SystemRng rng;
  KeyFile k;
  k.key_id = "0190a1b2-key";
  k.certificate_id = "cert-1";
  k.public_key = rng.bytes(65);
  k.salt = rng.bytes(16);
  k.limits.ops = 3;
  k.limits.mem_bytes = 1 << 20;
  k.masked_d1 = rng.bytes(32);
  k.recovery_d1 = rng.bytes(32);
  k.created_at = "2026-11-21T00:00:00.000Z";
  ASSERT_TRUE(s->save_key(k).ok());
  EXPECT_EQ(mode_of(fs::path(t.path()) / "keys" / "0190a1b2-key.json"), 0600u);
  auto back = s->load_key(k.key_id);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->public_key, k.public_key);
  EXPECT_EQ(back->salt, k.salt);
  EXPECT_EQ(back->masked_d1, k.masked_d1);
  EXPECT_EQ(back->recovery_d1, k.recovery_d1);
  EXPECT_EQ(back->limits.ops, 3u);
  EXPECT_EQ(back->limits.mem_bytes, std::size_t{1} << 20);
  EXPECT_EQ(back->certificate_id, "cert-1");
  ASSERT_EQ(s->keys()->size(), 1u);

  // Path tricks are refused, damaged files are errors (not crashes).
  EXPECT_FALSE(s->load_key("../device").ok());
  EXPECT_FALSE(safe_file_id("a/b"));
  EXPECT_FALSE(safe_file_id(""));
  KeyFile bad = k;
  bad.key_id = "../../escape";
  EXPECT_FALSE(s->save_key(bad).ok());
  auto j = k.to_json();
  j["masked_d1"] = base64_encode(rng.bytes(31));
  EXPECT_EQ(KeyFile::from_json(j).error().code, "bad_file");
  std::ofstream(fs::path(t.path()) / "keys" / "broken.json") << "{not json";
  EXPECT_FALSE(s->keys().ok());

  ASSERT_TRUE(s->remove_key(k.key_id).ok());
  EXPECT_EQ(s->load_key(k.key_id).error().code, "unknown_key");
}

}  // namespace
}  // namespace certseal::client
