#include "crypto/ed25519.h"

#include <sodium.h>

namespace certseal::crypto {
namespace {

Status ready() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) return internal_error("sodium_init failed");
  return {};
}

Error bad_key(const char* what) { return invalid_argument("bad_key", what); }

}  // namespace

SecretBytes ed25519_new_seed(Rng& rng) {
  SecretBytes seed(crypto_sign_SEEDBYTES);
  rng.fill(seed);
  return seed;
}

Result<Bytes> ed25519_public_key(BytesView seed) {
  CS_TRY(ready());
  if (seed.size() != crypto_sign_SEEDBYTES) return bad_key("an Ed25519 seed has 32 bytes");
  Bytes pk(crypto_sign_PUBLICKEYBYTES);
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  return pk;
}

Result<Bytes> ed25519_sign(BytesView seed, BytesView message) {
  CS_TRY(ready());
  if (seed.size() != crypto_sign_SEEDBYTES) return bad_key("an Ed25519 seed has 32 bytes");
  Bytes pk(crypto_sign_PUBLICKEYBYTES);
  SecretBytes sk(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(pk.data(), sk.data(), seed.data());
  Bytes sig(crypto_sign_BYTES);
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk.data());
  return sig;
}

Status ed25519_verify(BytesView public_key, BytesView message, BytesView signature) {
  CS_TRY(ready());
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES) return bad_key("an Ed25519 public key has 32 bytes");
  if (signature.size() != crypto_sign_BYTES ||
      crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) != 0) {
    return invalid_argument("signature_invalid", "the Ed25519 signature does not verify");
  }
  return {};
}

}  // namespace certseal::crypto
