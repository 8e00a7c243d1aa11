// Byte buffers OpenSSL allocates for its caller — the i2d_* functions handed a null output
// pointer, ASN1_STRING_to_UTF8, EVP_PKEY_get1_encoded_public_key — owned so that every path frees
// them with OPENSSL_free.
//
// Contract: `OsslBuffer` owns one such buffer. `take_ossl_bytes(fill)` calls fill(&p) with p null,
// the call shape of those functions: fill makes OpenSSL allocate *p and returns the length written
// (≤ 0 on failure). It returns a copy of the bytes, or nullopt when fill failed; the OpenSSL
// buffer is freed either way. Kept apart from crypto/ossl.h, which nearly every file includes.
#pragma once

#include <openssl/crypto.h>

#include <memory>
#include <optional>

#include "base/bytes.h"

namespace certseal::crypto {

struct OsslFree {
  void operator()(void* p) const noexcept { OPENSSL_free(p); }
};
using OsslBuffer = std::unique_ptr<unsigned char, OsslFree>;

template <class Fill>
std::optional<Bytes> take_ossl_bytes(Fill&& fill) {
  unsigned char* raw = nullptr;
  const auto n = fill(&raw);
  const OsslBuffer owned(raw);
  if (n <= 0 || raw == nullptr) return std::nullopt;
  return Bytes(raw, raw + n);
}

}  // namespace certseal::crypto
