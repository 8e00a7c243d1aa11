#include "crypto/password.h"

#include <sodium.h>

#include <cstdlib>

namespace certseal::crypto {
namespace {

bool sodium_ready() {
  static const bool ok = sodium_init() >= 0;  // thread-safe one-time initialisation
  return ok;
}

}  // namespace

Argon2Limits argon2_test_limits() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

Result<std::string> password_hash(std::string_view password, const Argon2Limits& limits) {
  if (!sodium_ready()) return internal_error("sodium_init failed");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), limits.ops, limits.mem_bytes,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error(ErrorKind::kResourceExhausted, "password_hash_failed",
                 "the password could not be hashed", "crypto_pwhash_str_alg: out of memory");
  }
  return std::string(out);
}

bool password_verify(std::string_view stored_hash, std::string_view password) {
  if (!sodium_ready()) return false;
  std::string h(stored_hash);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

Result<SecretBytes> derive_key_argon2id(std::string_view password, BytesView salt, std::size_t out_len,
                                        const Argon2Limits& limits) {
  if (!sodium_ready()) return internal_error("sodium_init failed");
  if (salt.size() != crypto_pwhash_SALTBYTES) {
    return invalid_argument("bad_salt_length", "the Argon2id salt must be 16 bytes");
  }
  if (out_len < crypto_pwhash_BYTES_MIN) return invalid_argument("bad_key_length", "the key is too short");
  SecretBytes out(out_len);
  if (crypto_pwhash(out.data(), out.size(), password.data(), password.size(), salt.data(), limits.ops,
                    limits.mem_bytes, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Error(ErrorKind::kResourceExhausted, "password_hash_failed",
                 "the password could not be hashed", "crypto_pwhash: out of memory");
  }
  return out;
}

SecretBytes random_secret(Rng& rng, std::size_t n) {
  SecretBytes s(n);
  rng.fill(s);
  return s;
}

}  // namespace certseal::crypto
