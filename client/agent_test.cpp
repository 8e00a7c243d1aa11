// The PIN cache: protocol over a real Unix socket with the server in a thread, expiry with an
// injected clock, ttl changes, "off", peer-uid refusal, stop wiping everything.
#include "client/agent.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "base/encoding.h"
#include "base/rng.h"
#include "support/test_env.h"

namespace certseal::client {
namespace {

using std::chrono::seconds;

class AgentTest : public ::testing::Test {
 protected:
  void start(uid_t allowed = ::getuid(), seconds ttl = seconds(300)) {
    sock_ = dir_.path() + "/agent.sock";
    server_ = std::make_unique<AgentServer>(sock_, clock_, ttl, allowed);
    ASSERT_TRUE(server_->listen().ok());
    thread_ = std::thread([this] { server_->serve(&cancel_); });
  }
  void TearDown() override {
    cancel_ = true;
    if (thread_.joinable()) thread_.join();
  }
  nlohmann::json req(const nlohmann::json& r) {
    auto a = agent_request(sock_, r);
    EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.error().message);
    return a.ok() ? *a : nlohmann::json();
  }
  nlohmann::json put(const std::string& key, const Bytes& d1, const Bytes& ak) {
    return req({{"op", "put"}, {"key_id", key}, {"d1", base64_encode(d1)}, {"auth_key", base64_encode(ak)}});
  }

  certseal::testing::TempDir dir_;
  ManualClock clock_;
  std::string sock_;
  std::unique_ptr<AgentServer> server_;
  std::thread thread_;
  std::atomic<bool> cancel_{false};
  SystemRng rng_;
};

TEST_F(AgentTest, CachesUntilExpiryWithTheInjectedClock) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat(sock_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  Bytes d1 = rng_.bytes(32), ak = rng_.bytes(32);
  EXPECT_FALSE(req({{"op", "get"}, {"key_id", "k1"}})["found"].get<bool>());
  auto p = put("k1", d1, ak);
  EXPECT_TRUE(p["cached"].get<bool>());
  EXPECT_EQ(p["expires_at"].get<std::int64_t>(), clock_.now_unix() + 300);
  auto g = req({{"op", "get"}, {"key_id", "k1"}});
  ASSERT_TRUE(g["found"].get<bool>());
  EXPECT_EQ(*base64_decode(g["d1"].get<std::string>()), d1);
  EXPECT_EQ(*base64_decode(g["auth_key"].get<std::string>()), ak);
  EXPECT_FALSE(req({{"op", "get"}, {"key_id", "k2"}})["found"].get<bool>());

  clock_.advance(std::chrono::seconds(299));
  EXPECT_TRUE(req({{"op", "get"}, {"key_id", "k1"}})["found"].get<bool>());
  clock_.advance(std::chrono::seconds(1));
  EXPECT_FALSE(req({{"op", "get"}, {"key_id", "k1"}})["found"].get<bool>());
  EXPECT_EQ(req({{"op", "status"}})["entries"].size(), 0u);
}

TEST_F(AgentTest, TtlChangeAppliesToLaterEntriesOnlyAndOffCachesNothing) {
  start(::getuid(), seconds(1800));
  put("old", rng_.bytes(32), rng_.bytes(32));
  EXPECT_EQ(req({{"op", "ttl"}, {"ttl_s", 60}})["ttl_s"], 60);
  put("new", rng_.bytes(32), rng_.bytes(32));
  clock_.advance(std::chrono::seconds(61));
  EXPECT_TRUE(req({{"op", "get"}, {"key_id", "old"}})["found"].get<bool>());   // keeps its 30 min
  EXPECT_FALSE(req({{"op", "get"}, {"key_id", "new"}})["found"].get<bool>());  // had 1 min
  EXPECT_EQ(req({{"op", "ttl"}, {"ttl_s", 0}})["ttl_s"], 0);
  EXPECT_FALSE(put("off", rng_.bytes(32), rng_.bytes(32))["cached"].get<bool>());
  EXPECT_FALSE(req({{"op", "get"}, {"key_id", "off"}})["found"].get<bool>());
  req({{"op", "forget"}, {"key_id", "old"}});
  EXPECT_FALSE(req({{"op", "get"}, {"key_id", "old"}})["found"].get<bool>());
  // Malformed requests are refused as values.
  EXPECT_FALSE(agent_request(sock_, {{"op", "put"}, {"key_id", "x"}, {"d1", "short"}, {"auth_key", "x"}}).ok());
  EXPECT_FALSE(agent_request(sock_, {{"op", "ttl"}, {"ttl_s", -5}}).ok());
  EXPECT_FALSE(agent_request(sock_, {{"op", "nope"}}).ok());
}

TEST_F(AgentTest, StopWipesEverythingAndEndsTheServer) {
  start();
  put("k1", rng_.bytes(32), rng_.bytes(32));
  put("k2", rng_.bytes(32), rng_.bytes(32));
  EXPECT_EQ(server_->cache().size(), 2u);
  req({{"op", "stop"}});
  thread_.join();  // serve() returned on its own, without the cancel flag
  EXPECT_EQ(server_->cache().size(), 0u);
  server_.reset();
  EXPECT_FALSE(std::filesystem::exists(sock_));
  EXPECT_FALSE(agent_running(sock_));
  auto r = agent_request(sock_, {{"op", "get"}, {"key_id", "k1"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "agent_unavailable");
}

TEST_F(AgentTest, EndsWhenItsSocketFileIsRemoved) {
  start();
  put("k1", rng_.bytes(32), rng_.bytes(32));
  ASSERT_TRUE(std::filesystem::remove(sock_));
  thread_.join();  // serve() noticed on its own
  EXPECT_EQ(server_->cache().size(), 0u);
}

TEST_F(AgentTest, RefusesPeersOfAnotherUser) {
  start(::getuid() + 1);  // pretend the agent belongs to someone else
  auto r = agent_request(sock_, {{"op", "status"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("peer_uid"), std::string::npos);
}

TEST_F(AgentTest, SecondAgentOnTheSameSocketIsRefused) {
  start();
  AgentServer second(sock_, clock_, seconds(60), ::getuid());
  auto st = second.listen();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "agent_running");
  EXPECT_TRUE(agent_running(sock_));  // the first one still answers
}

TEST(AgentFrames, OversizedFramesAreRefused) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  std::uint8_t len[4] = {0x7f, 0, 0, 0};
  ASSERT_EQ(::write(sv[0], len, 4), 4);
  auto r = read_frame(sv[1]);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "frame_too_large");
  ASSERT_TRUE(write_frame(sv[0], "{\"a\":1}").ok());
  EXPECT_EQ(*read_frame(sv[1]), "{\"a\":1}");
  ::close(sv[0]);
  ::close(sv[1]);
}

}  // namespace
}  // namespace certseal::client
