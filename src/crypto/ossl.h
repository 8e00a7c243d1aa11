// Move-only RAII owners for every OpenSSL 3 handle the crypto layer uses, and the one place where
// the OpenSSL error queue is turned into an Error.
//
// Contract: each alias is a std::unique_ptr whose deleter calls the matching *_free function
// (BIGNUMs and EC_POINTs that may hold secrets are cleared before they are freed). Owners are not
// thread-safe; OpenSSL objects that are only read (EC_GROUP, EVP_MD) may be shared across threads.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/param_build.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace certseal::crypto {

template <auto FreeFn>
struct OsslDeleter {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

using EvpPkey = std::unique_ptr<EVP_PKEY, OsslDeleter<&EVP_PKEY_free>>;
using EvpPkeyCtx = std::unique_ptr<EVP_PKEY_CTX, OsslDeleter<&EVP_PKEY_CTX_free>>;
using EvpMdCtx = std::unique_ptr<EVP_MD_CTX, OsslDeleter<&EVP_MD_CTX_free>>;
using EvpMd = std::unique_ptr<EVP_MD, OsslDeleter<&EVP_MD_free>>;
using EvpCipherCtx = std::unique_ptr<EVP_CIPHER_CTX, OsslDeleter<&EVP_CIPHER_CTX_free>>;
using EvpCipher = std::unique_ptr<EVP_CIPHER, OsslDeleter<&EVP_CIPHER_free>>;
using EvpMac = std::unique_ptr<EVP_MAC, OsslDeleter<&EVP_MAC_free>>;
using EvpMacCtx = std::unique_ptr<EVP_MAC_CTX, OsslDeleter<&EVP_MAC_CTX_free>>;
using Bignum = std::unique_ptr<BIGNUM, OsslDeleter<&BN_clear_free>>;
using BnCtx = std::unique_ptr<BN_CTX, OsslDeleter<&BN_CTX_free>>;
using EcPoint = std::unique_ptr<EC_POINT, OsslDeleter<&EC_POINT_clear_free>>;
using EcGroup = std::unique_ptr<EC_GROUP, OsslDeleter<&EC_GROUP_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, OsslDeleter<&ECDSA_SIG_free>>;
using OsslParamBld = std::unique_ptr<OSSL_PARAM_BLD, OsslDeleter<&OSSL_PARAM_BLD_free>>;
using OsslParams = std::unique_ptr<OSSL_PARAM, OsslDeleter<&OSSL_PARAM_free>>;
using OsslEncoderCtx = std::unique_ptr<OSSL_ENCODER_CTX, OsslDeleter<&OSSL_ENCODER_CTX_free>>;
using OsslDecoderCtx = std::unique_ptr<OSSL_DECODER_CTX, OsslDeleter<&OSSL_DECODER_CTX_free>>;
// X.509 and PKI structures (used by pki/).
using X509Ptr = std::unique_ptr<X509, OsslDeleter<&X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, OsslDeleter<&X509_REQ_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OsslDeleter<&X509_CRL_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<&X509_NAME_free>>;
using X509PubkeyPtr = std::unique_ptr<X509_PUBKEY, OsslDeleter<&X509_PUBKEY_free>>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, OsslDeleter<&OCSP_REQUEST_free>>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OsslDeleter<&OCSP_RESPONSE_free>>;
using TsReqPtr = std::unique_ptr<TS_REQ, OsslDeleter<&TS_REQ_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<&BIO_free_all>>;

// Drains this thread's OpenSSL error queue into one line of text (empty if the queue was empty).
std::string drain_openssl_errors();

// An Error with a stable code and user message, whose cause is the drained OpenSSL error text.
Error openssl_error(ErrorKind kind, std::string code, std::string message);
// Shorthand for an internal OpenSSL failure in `what` (e.g. "EVP_DigestInit_ex").
Error openssl_internal(const char* what);

// Aborts the process with `what` and the OpenSSL error text. Only for failures that cannot happen
// short of memory exhaustion or a broken library (e.g. initialising a built-in digest).
[[noreturn]] void openssl_fatal(const char* what);

Bignum bn_new();
BnCtx bn_ctx_new();

}  // namespace certseal::crypto
