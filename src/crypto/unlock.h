// Unlocking a mobile-shield device share (docs/SHIELD.md "Unlocking"). Shared by the device
// (the certseal client) and by the tests of the server side.
//
//   master    = Argon2id(password, salt)                              32 bytes, salt 16 random bytes
//   share_key = HMAC-SM3(master, "certseal-shield-v1 share\n" ‖ device_id)
//   auth_key  = HMAC-SM3(master, "certseal-shield-v1 auth\n"  ‖ device_id)
//
// The device stores its share d1 masked: d1 XOR SM2-KDF(share_key, 32). The mask has no check
// value on purpose: every password unmasks to *some* scalar, so a stolen share file cannot be
// tested offline; only the server can tell a wrong password (through the proof below), and it
// counts failures. The server stores auth_key (sealed under its master key): with it and the
// server share it still cannot sign, because d1 never leaves the device.
//
// Every server step carries proof = HMAC-SM3(auth_key, "certseal-shield-v1 proof\n" ‖ operation
// ‖ "\n" ‖ key_id ‖ "\n" ‖ device_id ‖ "\n" ‖ nonce ‖ "\n" ‖ SM3(payload)), where nonce is a
// single-use challenge from the server and payload the exact bytes of the step's request.
//
// A recovery copy of the share is masked the same way under SM2-KDF(recovery_key ‖ device_id):
// the server hands recovery_key out only after the person's identity is checked again.
// Contract: pure functions; secrets in SecretBytes.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "crypto/password.h"

namespace certseal::crypto::unlock {

struct UnlockKeys {
  SecretBytes share_key;  // 32 bytes
  SecretBytes auth_key;   // 32 bytes
};

Result<UnlockKeys> derive(std::string_view password, BytesView salt, std::string_view device_id,
                          const Argon2Limits& limits = {});

// d1 XOR mask(share_key); the same call unmasks.
SecretBytes mask_share(BytesView share_scalar, BytesView share_key);
// d1 XOR mask(recovery_key ‖ device_id); the same call unmasks.
SecretBytes mask_share_for_recovery(BytesView share_scalar, BytesView recovery_key, std::string_view device_id);

Bytes proof(BytesView auth_key, std::string_view operation, std::string_view key_id, std::string_view device_id,
            std::string_view nonce, BytesView payload);
bool check_proof(BytesView auth_key, std::string_view operation, std::string_view key_id, std::string_view device_id,
                 std::string_view nonce, BytesView payload, BytesView given);

}  // namespace certseal::crypto::unlock
