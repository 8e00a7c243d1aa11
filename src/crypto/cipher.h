// Symmetric ciphers: SM4 (GB/T 32907-2016) in ECB (single blocks), CBC (PKCS#7 padding) and CTR;
// an authenticated SM4 mode; AES-256-GCM (NIST SP 800-38D).
//
// OpenSSL 3.0 (Debian 12) has no SM4-GCM, so the authenticated SM4 mode is SM4-CTR with
// HMAC-SM3 in encrypt-then-MAC order ("SM4-CTR-HMAC-SM3"):
//   k_enc = HMAC-SM3(K, "CertSeal SM4-CTR-HMAC-SM3 enc")[0..16)
//   k_mac = HMAC-SM3(K, "CertSeal SM4-CTR-HMAC-SM3 mac")
//   out   = nonce(16) || C = SM4-CTR(k_enc, nonce, P) || tag = HMAC-SM3(k_mac, u64be(|A|) || A || nonce || C)
// K is any secret of at least 16 bytes. The nonce is drawn from the injected Rng.
//
// AES-256-GCM output is nonce(12) || C || tag(16).
//
// Contract: functions are pure apart from the Rng and thread-safe. Key/IV lengths are checked and
// reported as kInvalidArgument errors ("bad_key_length", "bad_iv_length"); authentication failures
// are "decryption_failed" with no detail, so callers cannot build a padding or MAC oracle from them.
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "base/rng.h"
#include "crypto/ossl.h"

namespace certseal::crypto {

inline constexpr std::size_t kSm4KeySize = 16;
inline constexpr std::size_t kSm4BlockSize = 16;

// Repeated single-block SM4 encryption under one key (the GB/T 32907 Annex A iteration case).
// Move-only; not thread-safe.
class Sm4BlockEncryptor {
 public:
  static Result<Sm4BlockEncryptor> create(BytesView key);
  // Encrypts one 16-byte block in place.
  void encrypt_block(std::uint8_t block[kSm4BlockSize]);

 private:
  explicit Sm4BlockEncryptor(EvpCipherCtx ctx) : ctx_(std::move(ctx)) {}
  EvpCipherCtx ctx_;
};

Result<Bytes> sm4_ecb_encrypt_block(BytesView key, BytesView block);
Result<Bytes> sm4_ecb_decrypt_block(BytesView key, BytesView block);

Result<Bytes> sm4_cbc_encrypt(BytesView key, BytesView iv, BytesView plain);
Result<SecretBytes> sm4_cbc_decrypt(BytesView key, BytesView iv, BytesView cipher);
// AES-CBC with PKCS#7 padding (CMS content encryption, RFC 3565): a 16-, 24- or 32-byte key
// chooses AES-128, -192 or -256; the IV is 16 bytes. Errors as for SM4-CBC.
Result<Bytes> aes_cbc_encrypt(BytesView key, BytesView iv, BytesView plain);
Result<SecretBytes> aes_cbc_decrypt(BytesView key, BytesView iv, BytesView cipher);
// CTR is its own inverse: the same call encrypts and decrypts. iv is the 16-byte initial counter.
Result<Bytes> sm4_ctr(BytesView key, BytesView iv, BytesView data);

Result<Bytes> sm4_aead_seal(BytesView key, BytesView plain, BytesView aad, Rng& rng);
Result<SecretBytes> sm4_aead_open(BytesView key, BytesView sealed, BytesView aad);

// AES-GCM with the nonce, the tag and the associated data apart (CMS AuthEnvelopedData, RFC 5084):
// a 16-, 24- or 32-byte key chooses AES-128, -192 or -256; the nonce is 12 bytes; the tag 12 to 16
// bytes. Encrypt returns the ciphertext and writes the tag of tag_len bytes to *tag. Decrypt
// returns the plaintext only when the tag verifies (else "decryption_failed", nothing released).
Result<Bytes> aes_gcm_encrypt(BytesView key, BytesView nonce, BytesView aad, BytesView plain, std::size_t tag_len,
                              Bytes* tag);
Result<SecretBytes> aes_gcm_decrypt(BytesView key, BytesView nonce, BytesView aad, BytesView cipher, BytesView tag);

Result<Bytes> aes256_gcm_seal(BytesView key, BytesView plain, BytesView aad, Rng& rng);
Result<SecretBytes> aes256_gcm_open(BytesView key, BytesView sealed, BytesView aad);

}  // namespace certseal::crypto
