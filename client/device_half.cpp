#include "client/device_half.h"

#include <algorithm>

#include "base/encoding.h"
#include "crypto/unlock.h"

namespace certseal::client {
namespace cosign = crypto::cosign;

std::string LocalDeviceHalf::open_session(Session s) {
  const std::int64_t now = clock_.now_unix_ms();
  const std::int64_t ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kSessionTtl).count();
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.started_ms + ttl_ms <= now; });
  while (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
      return a.second.started_ms < b.second.started_ms;
    });
    sessions_.erase(oldest);
  }
  s.started_ms = now;
  std::string id = hex_encode(rng_.bytes(16));
  sessions_.insert_or_assign(id, std::move(s));
  return id;
}

Result<LocalDeviceHalf::Session> LocalDeviceHalf::take_session(const std::string& id, bool sign) {
  auto it = sessions_.find(id);
  const std::int64_t ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(kSessionTtl).count();
  if (it == sessions_.end() || it->second.sign != sign || it->second.started_ms + ttl_ms <= clock_.now_unix_ms()) {
    if (it != sessions_.end()) sessions_.erase(it);
    return invalid_argument("unknown_session", "no such step in progress (finished, expired or never started)");
  }
  Session s = std::move(it->second);
  sessions_.erase(it);
  return s;
}

Result<StepStart> LocalDeviceHalf::sign_start(const std::string& nonce, BytesView digest) {
  CS_ASSIGN(auto start, cosign::device_sign_start_digest(share_, digest, rng_));
  StepStart out;
  out.request = start.request.encode();
  out.proof = crypto::unlock::proof(auth_key_, "sign", key_id_, device_id_, nonce, out.request);
  Session s;
  s.sign = true;
  s.sign_state = std::move(start.state);
  out.session = open_session(std::move(s));
  return out;
}

Result<Bytes> LocalDeviceHalf::sign_finish(const std::string& session, BytesView response) {
  CS_ASSIGN(Session s, take_session(session, true));
  CS_ASSIGN(auto resp, cosign::SignResponse::decode(response));
  return cosign::device_sign_finish_digest(share_, std::move(s.sign_state), resp);
}

Result<StepStart> LocalDeviceHalf::decrypt_start(const std::string& nonce, BytesView ciphertext,
                                                 crypto::Sm2CipherOrder order) {
  CS_ASSIGN(auto start, cosign::device_decrypt_start(share_, ciphertext, order, rng_));
  StepStart out;
  out.request = start.request.encode();
  out.proof = crypto::unlock::proof(auth_key_, "decrypt", key_id_, device_id_, nonce, out.request);
  Session s;
  s.sign = false;
  s.decrypt_state = std::move(start.state);
  out.session = open_session(std::move(s));
  return out;
}

Result<SecretBytes> LocalDeviceHalf::decrypt_finish(const std::string& session, BytesView response) {
  CS_ASSIGN(Session s, take_session(session, false));
  CS_ASSIGN(auto resp, cosign::DecryptResponse::decode(response));
  return cosign::device_decrypt_finish(share_, std::move(*s.decrypt_state), resp);
}

}  // namespace certseal::client
