// Key wrapping and key derivation for CMS key agreement (RFC 5753 §3.1, what `openssl cms` uses
// with EC recipients):
//   x963_kdf        ANSI X9.63 KDF (SEC 1 §3.6.1): K = Hash(Z ‖ counter32 ‖ SharedInfo) ‖ ...,
//                   counter from 1, with SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512
//   aes_key_wrap    AES key wrap (RFC 3394, default IV A6A6A6A6A6A6A6A6), 16/24/32-byte KEK
//   cms3des_unwrap  Triple-DES key wrap (RFC 3217 §3; the OpenSSL 3.0 default for EC recipients):
//                   two passes of 3DES-CBC with a byte reversal between and an SHA-1 checksum
//   des3_cbc_*      DES-EDE3-CBC with PKCS#7 padding (the content cipher of that default)
//
// Contract: pure functions, thread-safe. Unwrap failures are "decryption_failed" with no detail
// (no oracle on which check failed); wrong key or IV sizes "bad_key_length" / "bad_iv_length".
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/hash.h"

namespace certseal::crypto {

enum class KdfHash { kSha1, kSha224, kSha256, kSha384, kSha512 };

SecretBytes x963_kdf(KdfHash hash, BytesView z, BytesView shared_info, std::size_t out_len);

Result<Bytes> aes_key_wrap(BytesView kek, BytesView key);
Result<SecretBytes> aes_key_unwrap(BytesView kek, BytesView wrapped);

// RFC 3217 with a 24-byte KEK; the wrapped key is 40 bytes for a 24-byte 3DES key.
Result<Bytes> cms3des_wrap(BytesView kek, BytesView key, Rng& rng);
Result<SecretBytes> cms3des_unwrap(BytesView kek, BytesView wrapped);

Result<Bytes> des3_cbc_encrypt(BytesView key, BytesView iv, BytesView plain);
Result<SecretBytes> des3_cbc_decrypt(BytesView key, BytesView iv, BytesView cipher);

}  // namespace certseal::crypto
