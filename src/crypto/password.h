// Password and PIN hashing with Argon2id (RFC 9106) through libsodium.
//
// Contract: thread-safe. password_hash returns libsodium's self-describing "$argon2id$..." string
// (salt and parameters inside) for storage; password_verify compares in constant time.
// derive_key_argon2id turns a password into key material (e.g. to unlock a device share); the
// caller stores the 16-byte salt and the limits next to what the key protects.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"

namespace certseal::crypto {

struct Argon2Limits {
  unsigned long long ops = 2;            // passes (libsodium OPSLIMIT_INTERACTIVE)
  std::size_t mem_bytes = 64u << 20;     // 64 MiB (MEMLIMIT_INTERACTIVE)
};
// Cheaper limits for tests only (libsodium's minimums).
Argon2Limits argon2_test_limits();

inline constexpr std::size_t kArgon2SaltSize = 16;

Result<std::string> password_hash(std::string_view password, const Argon2Limits& limits = {});
bool password_verify(std::string_view stored_hash, std::string_view password);

Result<SecretBytes> derive_key_argon2id(std::string_view password, BytesView salt, std::size_t out_len,
                                        const Argon2Limits& limits = {});

// Fresh random secret bytes from the injected Rng.
SecretBytes random_secret(Rng& rng, std::size_t n);

}  // namespace certseal::crypto
