// The PIN cache: protocol over a real Unix socket with the server in a thread, expiry with an
// injected clock, ttl changes, "off", peer-uid refusal, stop wiping everything. Security review
// L3, from the side of another process of the same user: no request returns d1 or the auth key;
// the agent signs and decrypts itself, with proofs only over requests it made.
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
#include "crypto/cosign.h"
#include "crypto/pkey.h"
#include "crypto/sm2.h"
#include "crypto/unlock.h"
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
  // A real two-party key: the device share goes into the agent, the server share stays here.
  struct Key {
    crypto::cosign::DeviceShare device;
    crypto::cosign::ServerShare server;
    Bytes auth_key;
  };
  Key make_key() {
    auto start = crypto::cosign::device_keygen_start(rng_);
    auto server = crypto::cosign::server_keygen(start.request, rng_);
    EXPECT_TRUE(server.ok());
    auto device = crypto::cosign::device_keygen_finish(std::move(start.state), server->response);
    EXPECT_TRUE(device.ok());
    return Key{std::move(device).value(), std::move(server->share), rng_.bytes(32)};
  }
  nlohmann::json put(const std::string& key_id, const Key& k) {
    const SecretBytes& d1 = k.device.scalar();
    return req({{"op", "put"},
                {"key_id", key_id},
                {"device_id", "dev-1"},
                {"public_key", base64_encode(k.device.public_key())},
                {"d1", base64_encode(BytesView(d1.data(), d1.size()))},
                {"auth_key", base64_encode(k.auth_key)}});
  }
  nlohmann::json put(const std::string& key_id) { return put(key_id, make_key()); }
  // Whether the agent can still start a signature with key_id.
  bool cached(const std::string& key_id) {
    auto a = agent_exchange(sock_, {{"op", "sign_start"}, {"key_id", key_id}, {"nonce", "n"},
                                    {"digest", base64_encode(Bytes(32, 7))}});
    EXPECT_TRUE(a.ok());
    if (a.ok() && !a->value("ok", false)) {
      EXPECT_EQ(a->value("error", ""), "not_cached");
    }
    return a.ok() && a->value("ok", false);
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

  EXPECT_FALSE(cached("k1"));
  auto p = put("k1");
  EXPECT_TRUE(p["cached"].get<bool>());
  EXPECT_EQ(p["expires_at"].get<std::int64_t>(), clock_.now_unix() + 300);
  EXPECT_TRUE(cached("k1"));
  EXPECT_TRUE(agent_has_key(sock_, "k1"));
  EXPECT_FALSE(cached("k2"));
  EXPECT_FALSE(agent_has_key(sock_, "k2"));

  clock_.advance(std::chrono::seconds(299));
  EXPECT_TRUE(cached("k1"));
  clock_.advance(std::chrono::seconds(1));
  // After the ttl the share is gone (wiped with its entry), and with it every step in progress.
  EXPECT_FALSE(cached("k1"));
  EXPECT_EQ(req({{"op", "status"}})["entries"].size(), 0u);
  EXPECT_EQ(server_->cache().size(), 0u);
}

TEST_F(AgentTest, TtlChangeAppliesToLaterEntriesOnlyAndOffCachesNothing) {
  start(::getuid(), seconds(1800));
  put("old");
  EXPECT_EQ(req({{"op", "ttl"}, {"ttl_s", 60}})["ttl_s"], 60);
  put("new");
  clock_.advance(std::chrono::seconds(61));
  EXPECT_TRUE(cached("old"));   // keeps its 30 min
  EXPECT_FALSE(cached("new"));  // had 1 min
  EXPECT_EQ(req({{"op", "ttl"}, {"ttl_s", 0}})["ttl_s"], 0);
  EXPECT_FALSE(put("off")["cached"].get<bool>());
  EXPECT_FALSE(cached("off"));
  req({{"op", "forget"}, {"key_id", "old"}});
  EXPECT_FALSE(cached("old"));
  // Malformed requests are refused as values.
  EXPECT_FALSE(agent_request(sock_, {{"op", "put"}, {"key_id", "x"}, {"d1", "short"}, {"auth_key", "x"}}).ok());
  EXPECT_FALSE(agent_request(sock_, {{"op", "put"},
                                     {"key_id", "x"},
                                     {"device_id", "d"},
                                     {"public_key", base64_encode(Bytes(65, 4))},  // not a point
                                     {"d1", base64_encode(rng_.bytes(32))},
                                     {"auth_key", base64_encode(rng_.bytes(32))}})
                   .ok());
  EXPECT_FALSE(agent_request(sock_, {{"op", "ttl"}, {"ttl_s", -5}}).ok());
  EXPECT_FALSE(agent_request(sock_, {{"op", "nope"}}).ok());
}

// L3: a process of the same user (malware included) asks the agent for the share. There is no
// such request, and no answer to any request carries d1 or the auth key.
TEST_F(AgentTest, NoRequestReturnsTheShareOrTheAuthKey) {
  start();
  Key k = make_key();
  put("k1", k);
  const SecretBytes& d1 = k.device.scalar();
  const std::string d1_b64 = base64_encode(BytesView(d1.data(), d1.size()));
  const std::string d1_hex = hex_encode(BytesView(d1.data(), d1.size()));
  const std::string ak_b64 = base64_encode(k.auth_key), ak_hex = hex_encode(k.auth_key);
  std::vector<std::string> answers;
  for (const char* op : {"get", "export", "dump", "share", "d1", "auth_key", "proof", "unlock", "keys", ""}) {
    auto a = agent_exchange(sock_, {{"op", op}, {"key_id", "k1"}});
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->value("ok", true)) << op;
    EXPECT_EQ(a->value("error", ""), "unknown_op") << op;
    answers.push_back(a->dump());
  }
  // The steps it does offer, run to the end.
  auto s = agent_exchange(sock_, {{"op", "sign_start"}, {"key_id", "k1"}, {"nonce", "n1"},
                                  {"digest", base64_encode(Bytes(32, 1))}});
  ASSERT_TRUE(s.ok() && s->value("ok", false));
  answers.push_back(s->dump());
  answers.push_back(agent_exchange(sock_, {{"op", "status"}})->dump());
  for (const auto& text : answers) {
    for (const auto& secret : {d1_b64, d1_hex, ak_b64, ak_hex}) EXPECT_EQ(text.find(secret), std::string::npos) << text;
    for (const char* field : {"\"d1\"", "\"auth_key\""}) EXPECT_EQ(text.find(field), std::string::npos) << text;
  }
}

// The agent performs the device half itself: its proof is over the request it made, for the
// operation it performs; the signature verifies with OpenSSL; a session is used once.
TEST_F(AgentTest, SignsAndDecryptsWithoutTheShareLeaving) {
  start();
  Key k = make_key();
  put("k1", k);
  AgentDeviceHalf half(sock_, "k1");
  const Bytes msg = to_bytes("合同 contract #1");
  auto e = crypto::sm2_message_digest(k.device.public_key(), crypto::kSm2DefaultId, msg);
  ASSERT_TRUE(e.ok());
  auto st = half.sign_start("nonce-1", *e);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_TRUE(crypto::unlock::check_proof(k.auth_key, "sign", "k1", "dev-1", "nonce-1", st->request, st->proof));
  EXPECT_FALSE(crypto::unlock::check_proof(k.auth_key, "password", "k1", "dev-1", "nonce-1", st->request, st->proof));
  auto wire = crypto::cosign::SignRequest::decode(st->request);
  ASSERT_TRUE(wire.ok());
  auto resp = crypto::cosign::server_sign(k.server, *wire, rng_);
  ASSERT_TRUE(resp.ok());
  auto raw = half.sign_finish(st->session, resp->encode());
  ASSERT_TRUE(raw.ok()) << raw.error().message;
  auto pub = crypto::PublicKey::sm2_from_point(k.device.public_key());
  auto der = crypto::ec_sig_raw_to_der(*raw);
  ASSERT_TRUE(pub.ok() && der.ok());
  EXPECT_TRUE(crypto::verify(*pub, crypto::SignScheme::kSm2Sm3, msg, *der, crypto::kSm2DefaultId).ok());
  // Once only.
  EXPECT_EQ(half.sign_finish(st->session, resp->encode()).error().code, "unknown_session");
  // Another key's agent half does not know this key's sessions.
  put("k2");
  auto st2 = half.sign_start("nonce-2", *e);
  ASSERT_TRUE(st2.ok());
  EXPECT_EQ(AgentDeviceHalf(sock_, "k2").sign_finish(st2->session, resp->encode()).error().code, "unknown_session");

  // Decryption of a ciphertext made by OpenSSL for the public key.
  auto ct = crypto::sm2_encrypt(*pub, to_bytes("秘密 secret"), crypto::Sm2CipherOrder::kC1C3C2);
  ASSERT_TRUE(ct.ok());
  auto ds = half.decrypt_start("nonce-3", *ct, crypto::Sm2CipherOrder::kC1C3C2);
  ASSERT_TRUE(ds.ok()) << ds.error().message;
  EXPECT_TRUE(crypto::unlock::check_proof(k.auth_key, "decrypt", "k1", "dev-1", "nonce-3", ds->request, ds->proof));
  auto dwire = crypto::cosign::DecryptRequest::decode(ds->request);
  ASSERT_TRUE(dwire.ok());
  auto dresp = crypto::cosign::server_decrypt(k.server, *dwire);
  ASSERT_TRUE(dresp.ok());
  auto plain = half.decrypt_finish(ds->session, dresp->encode());
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(std::string(plain->begin(), plain->end()), "秘密 secret");

  // Forgotten or expired: the step in progress ends with it.
  auto st3 = half.sign_start("nonce-4", *e);
  ASSERT_TRUE(st3.ok());
  req({{"op", "forget"}, {"key_id", "k1"}});
  EXPECT_EQ(half.sign_finish(st3->session, resp->encode()).error().code, "agent_not_cached");
  EXPECT_EQ(half.sign_start("nonce-5", *e).error().code, "agent_not_cached");
}

TEST_F(AgentTest, StopWipesEverythingAndEndsTheServer) {
  start();
  put("k1");
  put("k2");
  EXPECT_EQ(server_->cache().size(), 2u);
  req({{"op", "stop"}});
  thread_.join();  // serve() returned on its own, without the cancel flag
  EXPECT_EQ(server_->cache().size(), 0u);
  server_.reset();
  EXPECT_FALSE(std::filesystem::exists(sock_));
  EXPECT_FALSE(agent_running(sock_));
  auto r = agent_request(sock_, {{"op", "status"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "agent_unavailable");
}

TEST_F(AgentTest, EndsWhenItsSocketFileIsRemoved) {
  start();
  put("k1");
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
