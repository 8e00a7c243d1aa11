// Which libcrypto the tests really run against. tests/old_libssl/run.sh reruns the crypto and PKI
// tests under an older libssl3 and sets CERTSEAL_EXPECT_OPENSSL to the version string it unpacked,
// so a run that silently loaded the system's library fails here instead of passing.
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "base/rng.h"
#include "crypto/pkey.h"

namespace certseal::crypto {
namespace {

TEST(CryptoRuntime, LoadedLibraryIsTheExpectedOne) {
  const std::string loaded = OpenSSL_version(OPENSSL_VERSION);
  // Always: the library is an OpenSSL 3.0.x, the series Debian 12 ships and the code targets.
  EXPECT_EQ(OPENSSL_version_major(), 3u) << loaded;
  EXPECT_EQ(OPENSSL_version_minor(), 0u) << loaded;
  if (const char* want = std::getenv("CERTSEAL_EXPECT_OPENSSL")) {
    EXPECT_EQ(loaded.rfind(want, 0), 0u) << "loaded " << loaded << ", expected " << want;
  }
}

// The SM2 distinguishing ID takes part in the signature (Z_A): a signature made under one ID does
// not verify under another, and an empty ID (the openssl CLI's default) is an ID like any other.
TEST(CryptoRuntime, Sm2IdIsAppliedOnThisLibrary) {
  SystemRng rng;
  auto key = PrivateKey::generate(KeyType::kSm2, rng);
  ASSERT_TRUE(key.ok());
  const Bytes msg = {'m', 's', 'g'};
  for (std::string_view id : {std::string_view(kSm2DefaultId), std::string_view("")}) {
    auto sig = sign(*key, SignScheme::kSm2Sm3, msg, id);
    ASSERT_TRUE(sig.ok()) << sig.error().cause;
    auto pub = key->public_key();
    EXPECT_TRUE(verify(pub, SignScheme::kSm2Sm3, msg, *sig, id).ok());
    EXPECT_FALSE(verify(pub, SignScheme::kSm2Sm3, msg, *sig, id.empty() ? kSm2DefaultId : "").ok());
  }
}

}  // namespace
}  // namespace certseal::crypto
