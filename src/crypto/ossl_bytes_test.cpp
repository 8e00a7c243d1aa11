// take_ossl_bytes: the bytes OpenSSL wrote come back, a failed call gives nullopt, and the
// OpenSSL buffer is freed on both paths (the ASan run's LeakSanitizer checks the freeing).
#include "crypto/ossl_bytes.h"

#include <openssl/asn1.h>

#include <memory>

#include <gtest/gtest.h>

namespace certseal::crypto {
namespace {

struct Asn1IntegerFree {
  void operator()(ASN1_INTEGER* p) const noexcept { ASN1_INTEGER_free(p); }
};

TEST(OsslBytes, CopiesWhatOpenSslEncoded) {
  const std::unique_ptr<ASN1_INTEGER, Asn1IntegerFree> n(ASN1_INTEGER_new());
  ASSERT_NE(n, nullptr);
  ASSERT_EQ(ASN1_INTEGER_set(n.get(), 0x0102), 1);
  auto der = take_ossl_bytes([&](unsigned char** out) { return i2d_ASN1_INTEGER(n.get(), out); });
  ASSERT_TRUE(der.has_value());
  EXPECT_EQ(*der, (Bytes{0x02, 0x02, 0x01, 0x02}));
}

TEST(OsslBytes, AFailedCallGivesNothingAndFreesItsBuffer) {
  // OpenSSL allocated, then reported failure: the buffer must still be freed.
  auto none = take_ossl_bytes([](unsigned char** out) {
    *out = static_cast<unsigned char*>(OPENSSL_malloc(16));
    return -1;
  });
  EXPECT_FALSE(none.has_value());
  // Nothing allocated and a zero length (EVP_PKEY_get1_encoded_public_key's failure).
  auto empty = take_ossl_bytes([](unsigned char**) { return std::size_t{0}; });
  EXPECT_FALSE(empty.has_value());
}

}  // namespace
}  // namespace certseal::crypto
