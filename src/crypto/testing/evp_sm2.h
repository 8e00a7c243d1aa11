// Test-only: SM2 signature verification through OpenSSL's EVP SM2 directly (not crypto::verify,
// which runs on our SM2 engine), the independent reference for engine-made signatures.
#pragma once

#include <openssl/evp.h>

#include "base/bytes.h"
#include "crypto/ossl.h"
#include "crypto/pkey.h"

namespace certseal::crypto::testing {

inline bool evp_sm2_verify(const PublicKey& key, BytesView msg, BytesView der_sig,
                           std::string_view id = kSm2DefaultId) {
  EvpPkeyCtx pctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!pctx || EVP_PKEY_CTX_set1_id(pctx.get(), id.data(), id.size()) != 1) return false;
  EvpMdCtx md(EVP_MD_CTX_new());
  EVP_MD_CTX_set_pkey_ctx(md.get(), pctx.get());
  bool ok = EVP_DigestVerifyInit_ex(md.get(), nullptr, "SM3", nullptr, nullptr, key.get(), nullptr) == 1 &&
            EVP_DigestVerify(md.get(), der_sig.data(), der_sig.size(), msg.data(), msg.size()) == 1;
  drain_openssl_errors();
  return ok;
}

}  // namespace certseal::crypto::testing
