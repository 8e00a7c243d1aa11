// Hashes and HMAC: SM3 (GB/T 32905-2016), SHA-256 and SHA-384 (FIPS 180-4), HMAC (RFC 2104).
//
// Contract: all functions are pure and thread-safe. The algorithms are built into OpenSSL's
// default provider, so failure can only mean a broken library or no memory: that aborts
// (openssl_fatal) instead of returning an error nobody could act on.
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "crypto/ossl.h"

namespace certseal::crypto {

enum class HashAlg { kSm3, kSha256, kSha384 };

std::size_t hash_size(HashAlg alg);
std::string_view hash_name(HashAlg alg);  // "SM3", "SHA256", "SHA384" (OpenSSL names)
const EVP_MD* hash_md(HashAlg alg);       // static, never null, do not free

Bytes digest(HashAlg alg, BytesView data);
inline Bytes sm3(BytesView data) { return digest(HashAlg::kSm3, data); }
inline Bytes sha256(BytesView data) { return digest(HashAlg::kSha256, data); }
inline Bytes sha384(BytesView data) { return digest(HashAlg::kSha384, data); }

// Incremental hashing. Move-only; not thread-safe.
class Hasher {
 public:
  explicit Hasher(HashAlg alg);
  Hasher& update(BytesView data);
  Bytes finish();  // the Hasher is reset for reuse afterwards

 private:
  HashAlg alg_;
  EvpMdCtx ctx_;
};

Bytes hmac(HashAlg alg, BytesView key, BytesView data);
inline Bytes hmac_sm3(BytesView key, BytesView data) { return hmac(HashAlg::kSm3, key, data); }
inline Bytes hmac_sha256(BytesView key, BytesView data) { return hmac(HashAlg::kSha256, key, data); }

}  // namespace certseal::crypto
