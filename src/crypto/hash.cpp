#include "crypto/hash.h"

#include <openssl/core_names.h>
#include <openssl/params.h>

namespace certseal::crypto {

std::size_t hash_size(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSm3:
    case HashAlg::kSha256:
      return 32;
    case HashAlg::kSha384:
      return 48;
  }
  return 0;
}

std::string_view hash_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::kSm3:
      return "SM3";
    case HashAlg::kSha256:
      return "SHA256";
    case HashAlg::kSha384:
      return "SHA384";
  }
  return "";
}

const EVP_MD* hash_md(HashAlg alg) {
  const EVP_MD* md = nullptr;
  switch (alg) {
    case HashAlg::kSm3:
      md = EVP_sm3();
      break;
    case HashAlg::kSha256:
      md = EVP_sha256();
      break;
    case HashAlg::kSha384:
      md = EVP_sha384();
      break;
  }
  if (md == nullptr) openssl_fatal("hash_md");
  return md;
}

Bytes digest(HashAlg alg, BytesView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, hash_md(alg), nullptr) != 1) {
    openssl_fatal("EVP_Digest");
  }
  out.resize(len);
  return out;
}

Hasher::Hasher(HashAlg alg) : alg_(alg), ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), hash_md(alg_), nullptr) != 1) {
    openssl_fatal("EVP_DigestInit_ex");
  }
}

Hasher& Hasher::update(BytesView data) {
  if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) openssl_fatal("EVP_DigestUpdate");
  return *this;
}

Bytes Hasher::finish() {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &len) != 1) openssl_fatal("EVP_DigestFinal_ex");
  out.resize(len);
  if (EVP_DigestInit_ex(ctx_.get(), hash_md(alg_), nullptr) != 1) openssl_fatal("EVP_DigestInit_ex");
  return out;
}

Bytes hmac(HashAlg alg, BytesView key, BytesView data) {
  EvpMac mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) openssl_fatal("EVP_MAC_fetch(HMAC)");
  EvpMacCtx ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) openssl_fatal("EVP_MAC_CTX_new");
  std::string name(hash_name(alg));
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name.data(), 0),
      OSSL_PARAM_construct_end(),
  };
  // HMAC accepts an empty key; OpenSSL wants a non-null pointer for it.
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* k = key.empty() ? &kEmpty : key.data();
  if (EVP_MAC_init(ctx.get(), k, key.size(), params) != 1) openssl_fatal("EVP_MAC_init");
  if (EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1) openssl_fatal("EVP_MAC_update");
  Bytes out(EVP_MAX_MD_SIZE);
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1) openssl_fatal("EVP_MAC_final");
  out.resize(len);
  return out;
}

}  // namespace certseal::crypto
