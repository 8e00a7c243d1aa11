#include "crypto/ossl.h"

#include <openssl/err.h>

#include <cstdio>
#include <cstdlib>

namespace certseal::crypto {

std::string drain_openssl_errors() {
  std::string out;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

Error openssl_error(ErrorKind kind, std::string code, std::string message) {
  return Error(kind, std::move(code), std::move(message), drain_openssl_errors());
}

Error openssl_internal(const char* what) {
  std::string cause = std::string(what) + " failed";
  std::string q = drain_openssl_errors();
  if (!q.empty()) cause += ": " + q;
  return internal_error(std::move(cause));
}

void openssl_fatal(const char* what) {
  std::fprintf(stderr, "certseal: fatal OpenSSL failure in %s: %s\n", what,
               drain_openssl_errors().c_str());
  std::abort();
}

Bignum bn_new() {
  Bignum b(BN_new());
  if (!b) openssl_fatal("BN_new");
  return b;
}

BnCtx bn_ctx_new() {
  BnCtx c(BN_CTX_new());
  if (!c) openssl_fatal("BN_CTX_new");
  return c;
}

}  // namespace certseal::crypto
