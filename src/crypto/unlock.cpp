#include "crypto/unlock.h"

#include <string>

#include "crypto/hash.h"
#include "crypto/sm2.h"

namespace certseal::crypto::unlock {
namespace {

constexpr std::string_view kTag = "certseal-shield-v1 ";

Bytes label(std::string_view what, std::string_view rest) {
  std::string s(kTag);
  s += what;
  s += '\n';
  s += rest;
  return to_bytes(s);
}

SecretBytes xor_with(BytesView scalar, const SecretBytes& mask) {
  SecretBytes out(scalar.size());
  for (std::size_t i = 0; i < scalar.size(); ++i) out[i] = static_cast<std::uint8_t>(scalar[i] ^ mask[i]);
  return out;
}

}  // namespace

Result<UnlockKeys> derive(std::string_view password, BytesView salt, std::string_view device_id,
                          const Argon2Limits& limits) {
  if (salt.size() != kArgon2SaltSize) return invalid_argument("bad_salt", "the unlock salt must be 16 bytes");
  if (device_id.empty()) return invalid_argument("bad_device_id", "a device id is required");
  CS_ASSIGN(SecretBytes master, derive_key_argon2id(password, salt, 32, limits));
  UnlockKeys k;
  const Bytes s = hmac_sm3(master, label("share", device_id));
  const Bytes a = hmac_sm3(master, label("auth", device_id));
  k.share_key.assign(s.begin(), s.end());
  k.auth_key.assign(a.begin(), a.end());
  return k;
}

SecretBytes mask_share(BytesView share_scalar, BytesView share_key) {
  return xor_with(share_scalar, sm2_kdf(share_key, share_scalar.size()));
}

SecretBytes mask_share_for_recovery(BytesView share_scalar, BytesView recovery_key, std::string_view device_id) {
  SecretBytes z(recovery_key.begin(), recovery_key.end());
  z.insert(z.end(), device_id.begin(), device_id.end());
  return xor_with(share_scalar, sm2_kdf(z, share_scalar.size()));
}

Bytes proof(BytesView auth_key, std::string_view operation, std::string_view key_id, std::string_view device_id,
            std::string_view nonce, BytesView payload) {
  std::string rest;
  rest.append(operation).append("\n").append(key_id).append("\n").append(device_id).append("\n").append(nonce);
  rest += '\n';
  Bytes msg = label("proof", rest);
  const Bytes digest = sm3(payload);
  msg.insert(msg.end(), digest.begin(), digest.end());
  return hmac_sm3(auth_key, msg);
}

bool check_proof(BytesView auth_key, std::string_view operation, std::string_view key_id, std::string_view device_id,
                 std::string_view nonce, BytesView payload, BytesView given) {
  return constant_time_equal(proof(auth_key, operation, key_id, device_id, nonce, payload), given);
}

}  // namespace certseal::crypto::unlock
