// Asymmetric keys and their operations: SM2 (GB/T 32918), ECDSA P-256 (FIPS 186-4), RSA 2048/3072
// with PKCS#1 v1.5 and PSS signatures (RFC 8017 §8) and OAEP/PKCS#1 v1.5 encryption.
//
// Contract: PublicKey and PrivateKey own one EVP_PKEY each; they are move-only. A const key may be
// used from several threads at once (OpenSSL 3 keys are read-only after creation). Private key
// bytes leave only as SecretBytes/SecretString. SM2 and P-256 scalars are drawn from the injected
// Rng; RSA primes come from OpenSSL's DRBG (OpenSSL cannot take an external source for them), as do
// the per-signature nonces and encryption randomness of the EVP operations below.
//
// SM2 operations (sign, verify, encrypt, decrypt, key generation) run on the SM2 engine
// (crypto/sm2_engine.h) unless built with CERTSEAL_SM2_OPENSSL=ON; OpenSSL parses and encodes keys.
//
// Signatures: SM2 and ECDSA signatures are DER `SEQUENCE { r INTEGER, s INTEGER }` (GB/T 35276
// §7.3 / RFC 3279); use sm2.h to convert to and from raw r||s. SM2 signing hashes SM3(Z_A || M)
// with the signer's ID (default "1234567812345678", GB/T 35276 §5.1). PSS uses SHA-256, MGF1-SHA-256
// and a 32-byte salt; verification accepts any salt length.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/ossl.h"

namespace certseal::crypto {

inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

enum class KeyType { kSm2, kEcP256, kRsa2048, kRsa3072 };
std::string_view key_type_name(KeyType t);  // "sm2", "ec-p256", "rsa-2048", "rsa-3072"
Result<KeyType> key_type_from_name(std::string_view name);

enum class SignScheme { kSm2Sm3, kEcdsaSha256, kEcdsaSha384, kRsaPkcs1Sha256, kRsaPssSha256 };
enum class EncryptScheme { kSm2C1C3C2, kSm2C1C2C3, kRsaOaepSha256, kRsaPkcs1 };

class PublicKey {
 public:
  static Result<PublicKey> from_spki_der(BytesView der);
  static Result<PublicKey> from_pem(std::string_view pem);
  // An SM2 public key from its 65-byte uncompressed point (checked).
  static Result<PublicKey> sm2_from_point(BytesView point);
  // An SM2 or P-256 public key from its uncompressed point (checked on the curve by OpenSSL).
  static Result<PublicKey> ec_from_point(KeyType type, BytesView point);
  // An RSA public key from big-endian modulus and public exponent.
  static Result<PublicKey> rsa_from_components(BytesView n, BytesView e);
  explicit PublicKey(EvpPkey pkey) : pkey_(std::move(pkey)) {}

  Bytes spki_der() const;
  std::string pem() const;
  KeyType type() const { return type_; }
  // Uncompressed point of an SM2 or P-256 key.
  Result<Bytes> ec_point() const;
  EVP_PKEY* get() const { return pkey_.get(); }
  // SM2 keys: the 65-byte point, read once when the key is made (empty for other types).
  const Bytes& sm2_point() const { return sm2_point_; }

 private:
  friend class PrivateKey;
  static Result<PublicKey> adopt(EvpPkey pkey);
  EvpPkey pkey_;
  KeyType type_ = KeyType::kSm2;
  Bytes sm2_point_;
};

// RSA private key parts, big-endian (for loading a key into a PKCS#11 token).
struct RsaComponents {
  Bytes n, e;
  SecretBytes d, p, q, dp, dq, qinv;
};

class PrivateKey {
 public:
  static Result<PrivateKey> generate(KeyType type, Rng& rng);
  static Result<PrivateKey> from_pkcs8_der(BytesView der);
  static Result<PrivateKey> from_pem(std::string_view pem);  // PKCS#8 or traditional, unencrypted
  // An SM2 or P-256 key from its 32-byte scalar in [1, n-1].
  static Result<PrivateKey> ec_from_scalar(KeyType type, BytesView scalar);

  SecretBytes pkcs8_der() const;
  SecretString pem() const;  // PKCS#8 PEM, unencrypted
  PublicKey public_key() const;
  KeyType type() const { return type_; }
  Result<SecretBytes> ec_scalar() const;  // SM2/P-256 only
  Result<RsaComponents> rsa_components() const;  // RSA only
  EVP_PKEY* get() const { return pkey_.get(); }
  // SM2 keys: the scalar d and the 65-byte point, read once when the key is made (the SM2
  // engine signs and decrypts from them); empty for other types.
  const SecretBytes& sm2_scalar() const { return sm2_d_; }
  const Bytes& sm2_point() const { return sm2_point_; }
  // SM2 keys: (1 + d)^-1 mod n, the signing factor (GB/T 32918.2 §6.1 A5), computed once.
  const SecretBytes& sm2_sign_factor() const { return sm2_inv1d_; }

 private:
  static Result<PrivateKey> adopt(EvpPkey pkey);
  static Result<PrivateKey> make(EvpPkey pkey, KeyType t);
  explicit PrivateKey(EvpPkey pkey, KeyType t) : pkey_(std::move(pkey)), type_(t) {}
  EvpPkey pkey_;
  KeyType type_;
  SecretBytes sm2_d_;
  SecretBytes sm2_inv1d_;
  Bytes sm2_point_;
};

// The process-wide SystemRng, for operations whose caller injects no Rng.
Rng& process_rng();

// The scheme has to fit the key (SM2 key ↔ kSm2Sm3, P-256 ↔ ECDSA, RSA ↔ PKCS#1/PSS); otherwise
// "scheme_key_mismatch". sm2_id is used only by kSm2Sm3.
// SM2 signatures run on the SM2 engine (crypto/sm2_engine.h) with a hedged nonce from `rng` (the
// process SystemRng in the first form), unless built with CERTSEAL_SM2_OPENSSL=ON (then EVP).
Result<Bytes> sign(const PrivateKey& key, SignScheme scheme, BytesView message,
                   std::string_view sm2_id = kSm2DefaultId);
Result<Bytes> sign(const PrivateKey& key, SignScheme scheme, BytesView message, std::string_view sm2_id, Rng& rng);
// ok() when the signature is valid; "signature_invalid" when it is not (also for malformed input).
Status verify(const PublicKey& key, SignScheme scheme, BytesView message, BytesView signature,
              std::string_view sm2_id = kSm2DefaultId);

// An RSA PKCS#1 v1.5 signature over a SHA-256 digest the caller computed (what a PKCS#11
// CKM_RSA_PKCS caller signs: the DigestInfo of that digest). ok() when valid; signature_invalid
// when not (a digest that is not 32 bytes included); scheme_key_mismatch for a key that is not RSA.
Status verify_rsa_pkcs1_sha256_digest(const PublicKey& key, BytesView digest, BytesView signature);

// An ECDSA P-256 signature (DER) over a SHA-256 digest the caller computed (what a PKCS#11
// CKM_ECDSA caller signs). ok() when valid; signature_invalid when not (a digest that is not 32
// bytes included); scheme_key_mismatch for a key that is not P-256.
Status verify_ecdsa_p256_sha256_digest(const PublicKey& key, BytesView digest, BytesView signature);

// SM2 ciphertexts are raw 04||x||y||C3||C2 (or C2 before C3), see sm2.h.
Result<Bytes> encrypt(const PublicKey& key, EncryptScheme scheme, BytesView plain);
Result<SecretBytes> decrypt(const PrivateKey& key, EncryptScheme scheme, BytesView cipher);

// DER ECDSA/SM2 signature <-> raw r||s with `half` bytes each (32 for SM2 and P-256).
Result<Bytes> ec_sig_der_to_raw(BytesView der, std::size_t half = 32);
Result<Bytes> ec_sig_raw_to_der(BytesView raw);

}  // namespace certseal::crypto
