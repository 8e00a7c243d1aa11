// Ed25519 signatures (RFC 8032) through libsodium: the signature type every C2SP signed-note
// verifier knows (the transparency log's checkpoints, docs/LEDGER.md).
//
// Contract: pure functions, thread-safe. Keys: a 32-byte seed (secret) and the 32-byte public
// key; signatures are 64 bytes. Errors: "bad_key" (wrong length), "signature_invalid".
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"

namespace certseal::crypto {

SecretBytes ed25519_new_seed(Rng& rng);
Result<Bytes> ed25519_public_key(BytesView seed);
Result<Bytes> ed25519_sign(BytesView seed, BytesView message);
Status ed25519_verify(BytesView public_key, BytesView message, BytesView signature);

}  // namespace certseal::crypto
