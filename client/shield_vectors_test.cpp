// Shared test vectors of the mobile shield's unlock (docs/SHIELD.md "Unlocking"): the C++ client
// and the browser shield (web/app/src/shield/unlock.test.js) must both turn the same password and
// the same key file into the same share, auth key and proofs. tests/vectors/shield_unlock.json
// was written once by this test (CERTSEAL_WRITE_SHIELD_VECTORS=1) and is committed; both sides
// then check it.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/rng.h"
#include "client/device_store.h"
#include "client/shield.h"
#include "crypto/cosign.h"
#include "crypto/sm2.h"
#include "crypto/unlock.h"

namespace certseal::client {
namespace {

const std::string kPath = std::string(CERTSEAL_SOURCE_DIR) + "/tests/vectors/shield_unlock.json";

std::string hx(BytesView b) { return hex_encode(b); }
std::string hx(const SecretBytes& b) { return hex_encode(BytesView(b.data(), b.size())); }
Bytes unhex(const nlohmann::json& j) { return hex_decode(j.get<std::string>()).value(); }

struct ProofCase {
  const char* operation;
  const char* nonce;
  std::string payload;
};

nlohmann::json make_vectors() {
  SystemRng rng;
  const std::string password = "证书密码 Correct-Horse 9";
  const std::string device_id = "0b9c6a52-4d0e-4f7e-9a61-3c2f5e1d7a88";
  auto kg = crypto::cosign::device_keygen_start(rng);
  auto server = crypto::cosign::server_keygen(kg.request, rng).value();
  auto share = crypto::cosign::device_keygen_finish(std::move(kg.state), server.response).value();
  auto masked = mask_for_password(share.scalar(), device_id, password, rng).value();
  Bytes recovery_key = rng.bytes(32);
  KeyFile k;
  k.key_id = "019a7c1e-5b2d-7f00-8c11-2a3b4c5d6e7f";
  k.certificate_id = "019a7c1e-5b2d-7f00-8c11-000000000001";
  k.public_key = share.public_key();
  k.salt = masked.salt;
  k.limits = masked.limits;
  k.masked_d1 = masked.masked_d1;
  SecretBytes rec = crypto::unlock::mask_share_for_recovery(share.scalar(), recovery_key, device_id);
  k.recovery_d1.assign(rec.begin(), rec.end());
  k.created_at = "2026-11-30T03:00:00.000Z";
  nlohmann::json v = {{"comment", "written by client/shield_vectors_test.cpp; checked by it and by "
                                  "web/app/src/shield/unlock.test.js"},
                      {"password", password},
                      {"device_id", device_id},
                      {"key_file", k.to_json()},
                      {"recovery_key", base64_encode(recovery_key)}};
  const ProofCase cases[] = {{"sign", "bm9uY2UtMQ", "\x03\x01 sign request bytes"},
                             {"decrypt", "nonce-2", ""},
                             {"password", "8c0ffee", std::string(48, '\xa5')}};
  nlohmann::json proofs = nlohmann::json::array();
  for (const auto& c : cases) {
    proofs.push_back({{"operation", c.operation}, {"nonce", c.nonce}, {"payload", hx(to_bytes(c.payload))}});
  }
  v["proofs"] = proofs;
  v["digest"] = {{"id", "1234567812345678"}, {"message", hx(to_bytes("message signed in a browser"))}};
  return v;
}

// Fills the expected values from the C++ implementation.
nlohmann::json expectations(const nlohmann::json& v) {
  auto key = KeyFile::from_json(v["key_file"]).value();
  const std::string device_id = v["device_id"];
  nlohmann::json out;
  auto keys = crypto::unlock::derive(v["password"].get<std::string>(), key.salt, device_id, key.limits).value();
  out["share_key"] = hx(keys.share_key);
  out["auth_key"] = hx(keys.auth_key);
  auto unlocked = unlock_with_password(key, device_id, v["password"].get<std::string>()).value();
  out["d1"] = hx(unlocked.share.scalar());
  auto rk = base64_decode(v["recovery_key"].get<std::string>()).value();
  out["d1_from_recovery"] = hx(crypto::unlock::mask_share_for_recovery(key.recovery_d1, rk, device_id));
  nlohmann::json proofs = nlohmann::json::array();
  for (const auto& p : v["proofs"]) {
    proofs.push_back(hx(crypto::unlock::proof(unlocked.auth_key, p["operation"].get<std::string>(), key.key_id,
                                              device_id, p["nonce"].get<std::string>(), unhex(p["payload"]))));
  }
  out["proofs"] = proofs;
  out["e"] = hx(crypto::sm2_message_digest(key.public_key, v["digest"]["id"].get<std::string>(),
                                           unhex(v["digest"]["message"]))
                    .value());
  // A wrong password unmasks to some other scalar (no check value): the proof is what fails.
  auto wrong = unlock_with_password(key, device_id, "wrong password");
  out["d1_wrong_password"] = wrong ? hx(wrong->share.scalar()) : std::string();
  return out;
}

TEST(ShieldVectors, CppClientReproducesTheSharedVectors) {
  if (const char* w = std::getenv("CERTSEAL_WRITE_SHIELD_VECTORS"); w && std::string(w) == "1") {
    nlohmann::json v = make_vectors();
    v["expect"] = expectations(v);
    std::ofstream(kPath) << v.dump(2) << "\n";
  }
  std::ifstream in(kPath);
  ASSERT_TRUE(in) << kPath;
  std::stringstream ss;
  ss << in.rdbuf();
  auto v = nlohmann::json::parse(ss.str());
  EXPECT_EQ(expectations(v), v["expect"]);
  EXPECT_NE(v["expect"]["d1"], v["expect"]["d1_wrong_password"]);
  EXPECT_EQ(v["expect"]["d1"], v["expect"]["d1_from_recovery"]);
}

}  // namespace
}  // namespace certseal::client
