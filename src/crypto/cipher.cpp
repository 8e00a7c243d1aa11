#include "crypto/cipher.h"

#include <cstring>
#include <limits>

#include "crypto/hash.h"

namespace certseal::crypto {
namespace {

constexpr std::size_t kAeadNonce = 16;
constexpr std::size_t kAeadTag = 32;
constexpr std::size_t kGcmNonce = 12;
constexpr std::size_t kGcmTag = 16;

Error bad_key() { return invalid_argument("bad_key_length", "the key has the wrong length"); }
Error bad_iv() { return invalid_argument("bad_iv_length", "the IV has the wrong length"); }
Error decryption_failed() {
  return Error(ErrorKind::kInvalidArgument, "decryption_failed",
               "the data could not be decrypted (wrong key or damaged data)");
}

int checked_int(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max() - 64)) std::abort();
  return static_cast<int>(n);
}

// One-shot EVP cipher run. `padding` only matters for block modes.
template <class Out>
Result<Out> run_cipher(const EVP_CIPHER* cipher, bool encrypt, BytesView key, BytesView iv,
                       BytesView in, bool padding) {
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_internal("EVP_CIPHER_CTX_new");
  if (EVP_CipherInit_ex2(ctx.get(), cipher, key.data(), iv.empty() ? nullptr : iv.data(),
                         encrypt ? 1 : 0, nullptr) != 1) {
    return openssl_internal("EVP_CipherInit_ex2");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), padding ? 1 : 0);
  Out out(in.size() + kSm4BlockSize);
  int len1 = 0;
  int len2 = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &len1, in.data(), checked_int(in.size())) != 1) {
    return openssl_internal("EVP_CipherUpdate");
  }
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + len1, &len2) != 1) {
    drain_openssl_errors();
    return decryption_failed();
  }
  out.resize(static_cast<std::size_t>(len1 + len2));
  return out;
}

struct Sm4AeadKeys {
  SecretBytes enc;
  SecretBytes mac;
};

Sm4AeadKeys derive_sm4_aead_keys(BytesView key) {
  Bytes e = hmac_sm3(key, as_bytes("CertSeal SM4-CTR-HMAC-SM3 enc"));
  Bytes m = hmac_sm3(key, as_bytes("CertSeal SM4-CTR-HMAC-SM3 mac"));
  Sm4AeadKeys k{SecretBytes(e.begin(), e.begin() + kSm4KeySize), SecretBytes(m.begin(), m.end())};
  secure_wipe(e.data(), e.size());
  secure_wipe(m.data(), m.size());
  return k;
}

Bytes sm4_aead_tag(BytesView mac_key, BytesView aad, BytesView nonce, BytesView cipher) {
  Bytes input;
  input.reserve(8 + aad.size() + nonce.size() + cipher.size());
  std::uint64_t alen = aad.size();
  for (int i = 7; i >= 0; --i) input.push_back(static_cast<std::uint8_t>(alen >> (8 * i)));
  input.insert(input.end(), aad.begin(), aad.end());
  input.insert(input.end(), nonce.begin(), nonce.end());
  input.insert(input.end(), cipher.begin(), cipher.end());
  return hmac_sm3(mac_key, input);
}

}  // namespace

Result<Sm4BlockEncryptor> Sm4BlockEncryptor::create(BytesView key) {
  if (key.size() != kSm4KeySize) return bad_key();
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_internal("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex2(ctx.get(), EVP_sm4_ecb(), key.data(), nullptr, nullptr) != 1) {
    return openssl_internal("EVP_EncryptInit_ex2(SM4-ECB)");
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), 0);
  return Sm4BlockEncryptor(std::move(ctx));
}

void Sm4BlockEncryptor::encrypt_block(std::uint8_t block[kSm4BlockSize]) {
  int len = 0;
  if (EVP_EncryptUpdate(ctx_.get(), block, &len, block, static_cast<int>(kSm4BlockSize)) != 1 ||
      len != static_cast<int>(kSm4BlockSize)) {
    openssl_fatal("EVP_EncryptUpdate(SM4-ECB)");
  }
}

Result<Bytes> sm4_ecb_encrypt_block(BytesView key, BytesView block) {
  if (key.size() != kSm4KeySize) return bad_key();
  if (block.size() != kSm4BlockSize) return invalid_argument("bad_block_length", "an SM4 block is 16 bytes");
  return run_cipher<Bytes>(EVP_sm4_ecb(), true, key, {}, block, false);
}

Result<Bytes> sm4_ecb_decrypt_block(BytesView key, BytesView block) {
  if (key.size() != kSm4KeySize) return bad_key();
  if (block.size() != kSm4BlockSize) return invalid_argument("bad_block_length", "an SM4 block is 16 bytes");
  return run_cipher<Bytes>(EVP_sm4_ecb(), false, key, {}, block, false);
}

Result<Bytes> sm4_cbc_encrypt(BytesView key, BytesView iv, BytesView plain) {
  if (key.size() != kSm4KeySize) return bad_key();
  if (iv.size() != kSm4BlockSize) return bad_iv();
  return run_cipher<Bytes>(EVP_sm4_cbc(), true, key, iv, plain, true);
}

Result<SecretBytes> sm4_cbc_decrypt(BytesView key, BytesView iv, BytesView cipher) {
  if (key.size() != kSm4KeySize) return bad_key();
  if (iv.size() != kSm4BlockSize) return bad_iv();
  if (cipher.empty() || cipher.size() % kSm4BlockSize != 0) return decryption_failed();
  return run_cipher<SecretBytes>(EVP_sm4_cbc(), false, key, iv, cipher, true);
}

namespace {
const EVP_CIPHER* aes_cbc_for(std::size_t key_size) {
  if (key_size == 16) return EVP_aes_128_cbc();
  if (key_size == 24) return EVP_aes_192_cbc();
  if (key_size == 32) return EVP_aes_256_cbc();
  return nullptr;
}
}  // namespace

Result<Bytes> aes_cbc_encrypt(BytesView key, BytesView iv, BytesView plain) {
  const EVP_CIPHER* c = aes_cbc_for(key.size());
  if (c == nullptr) return bad_key();
  if (iv.size() != 16) return bad_iv();
  return run_cipher<Bytes>(c, true, key, iv, plain, true);
}

Result<SecretBytes> aes_cbc_decrypt(BytesView key, BytesView iv, BytesView cipher) {
  const EVP_CIPHER* c = aes_cbc_for(key.size());
  if (c == nullptr) return bad_key();
  if (iv.size() != 16) return bad_iv();
  if (cipher.empty() || cipher.size() % 16 != 0) return decryption_failed();
  return run_cipher<SecretBytes>(c, false, key, iv, cipher, true);
}

Result<Bytes> sm4_ctr(BytesView key, BytesView iv, BytesView data) {
  if (key.size() != kSm4KeySize) return bad_key();
  if (iv.size() != kSm4BlockSize) return bad_iv();
  return run_cipher<Bytes>(EVP_sm4_ctr(), true, key, iv, data, false);
}

Result<Bytes> sm4_aead_seal(BytesView key, BytesView plain, BytesView aad, Rng& rng) {
  if (key.size() < kSm4KeySize) return bad_key();
  Sm4AeadKeys k = derive_sm4_aead_keys(key);
  Bytes nonce = rng.bytes(kAeadNonce);
  CS_ASSIGN(Bytes c, sm4_ctr(k.enc, nonce, plain));
  Bytes tag = sm4_aead_tag(k.mac, aad, nonce, c);
  Bytes out;
  out.reserve(nonce.size() + c.size() + tag.size());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), c.begin(), c.end());
  out.insert(out.end(), tag.begin(), tag.end());
  return out;
}

Result<SecretBytes> sm4_aead_open(BytesView key, BytesView sealed, BytesView aad) {
  if (key.size() < kSm4KeySize) return bad_key();
  if (sealed.size() < kAeadNonce + kAeadTag) return decryption_failed();
  Sm4AeadKeys k = derive_sm4_aead_keys(key);
  BytesView nonce = sealed.first(kAeadNonce);
  BytesView c = sealed.subspan(kAeadNonce, sealed.size() - kAeadNonce - kAeadTag);
  BytesView tag = sealed.last(kAeadTag);
  Bytes want = sm4_aead_tag(k.mac, aad, nonce, c);
  if (!constant_time_equal(want, tag)) return decryption_failed();
  CS_ASSIGN(Bytes p, sm4_ctr(k.enc, nonce, c));
  SecretBytes out(p.begin(), p.end());
  secure_wipe(p.data(), p.size());
  return out;
}

namespace {
const EVP_CIPHER* aes_gcm_for(std::size_t key_size) {
  switch (key_size) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return nullptr;
  }
}
}  // namespace

Result<Bytes> aes_gcm_encrypt(BytesView key, BytesView nonce, BytesView aad, BytesView plain, std::size_t tag_len,
                              Bytes* tag) {
  const EVP_CIPHER* cipher = aes_gcm_for(key.size());
  if (cipher == nullptr) return bad_key();
  if (nonce.size() != kGcmNonce) return bad_iv();
  if (tag_len < 12 || tag_len > kGcmTag || tag == nullptr) {
    return invalid_argument("bad_tag_length", "the tag is 12 to 16 bytes");
  }
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_internal("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex2(ctx.get(), cipher, key.data(), nonce.data(), nullptr) != 1) {
    return openssl_internal("EVP_EncryptInit_ex2(AES-GCM)");
  }
  int len = 0;
  if (!aad.empty() && EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1) {
    return openssl_internal("EVP_EncryptUpdate(aad)");
  }
  Bytes out(plain.size() + 16);
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(), checked_int(plain.size())) != 1) {
    return openssl_internal("EVP_EncryptUpdate");
  }
  int fin = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) return openssl_internal("EVP_EncryptFinal_ex");
  out.resize(static_cast<std::size_t>(len + fin));
  tag->assign(tag_len, 0);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_len), tag->data()) != 1) {
    return openssl_internal("EVP_CTRL_GCM_GET_TAG");
  }
  return out;
}

Result<SecretBytes> aes_gcm_decrypt(BytesView key, BytesView nonce, BytesView aad, BytesView cipher, BytesView tag) {
  const EVP_CIPHER* c = aes_gcm_for(key.size());
  if (c == nullptr) return bad_key();
  if (nonce.size() != kGcmNonce) return bad_iv();
  if (tag.size() < 12 || tag.size() > kGcmTag) return decryption_failed();
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_internal("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex2(ctx.get(), c, key.data(), nonce.data(), nullptr) != 1) {
    return openssl_internal("EVP_DecryptInit_ex2(AES-GCM)");
  }
  int len = 0;
  if (!aad.empty() && EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1) {
    return openssl_internal("EVP_DecryptUpdate(aad)");
  }
  SecretBytes out(cipher.size() + 16);
  if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, cipher.data(), checked_int(cipher.size())) != 1) {
    return openssl_internal("EVP_DecryptUpdate");
  }
  Bytes t(tag.begin(), tag.end());
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(t.size()), t.data()) != 1) {
    return openssl_internal("EVP_CTRL_GCM_SET_TAG");
  }
  int fin = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    drain_openssl_errors();
    secure_wipe(out.data(), out.size());
    return decryption_failed();
  }
  out.resize(static_cast<std::size_t>(len + fin));
  return out;
}

Result<Bytes> aes256_gcm_seal(BytesView key, BytesView plain, BytesView aad, Rng& rng) {
  if (key.size() != 32) return bad_key();
  Bytes out = rng.bytes(kGcmNonce);
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_internal("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.data(), out.data(), nullptr) != 1) {
    return openssl_internal("EVP_EncryptInit_ex2(AES-256-GCM)");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1) {
    return openssl_internal("EVP_EncryptUpdate(aad)");
  }
  out.resize(kGcmNonce + plain.size() + kGcmTag);
  if (EVP_EncryptUpdate(ctx.get(), out.data() + kGcmNonce, &len, plain.data(),
                        checked_int(plain.size())) != 1) {
    return openssl_internal("EVP_EncryptUpdate");
  }
  int fin = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + kGcmNonce + len, &fin) != 1) {
    return openssl_internal("EVP_EncryptFinal_ex");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTag),
                          out.data() + kGcmNonce + plain.size()) != 1) {
    return openssl_internal("EVP_CTRL_GCM_GET_TAG");
  }
  return out;
}

Result<SecretBytes> aes256_gcm_open(BytesView key, BytesView sealed, BytesView aad) {
  if (key.size() != 32) return bad_key();
  if (sealed.size() < kGcmNonce + kGcmTag) return decryption_failed();
  BytesView c = sealed.subspan(kGcmNonce, sealed.size() - kGcmNonce - kGcmTag);
  Bytes tag(sealed.end() - kGcmTag, sealed.end());
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return openssl_internal("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), key.data(), sealed.data(), nullptr) != 1) {
    return openssl_internal("EVP_DecryptInit_ex2(AES-256-GCM)");
  }
  int len = 0;
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), checked_int(aad.size())) != 1) {
    return openssl_internal("EVP_DecryptUpdate(aad)");
  }
  SecretBytes out(c.size() + kGcmTag);
  if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, c.data(), checked_int(c.size())) != 1) {
    return openssl_internal("EVP_DecryptUpdate");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTag), tag.data()) != 1) {
    return openssl_internal("EVP_CTRL_GCM_SET_TAG");
  }
  int fin = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &fin) != 1) {
    drain_openssl_errors();
    return decryption_failed();
  }
  out.resize(static_cast<std::size_t>(len + fin));
  return out;
}

}  // namespace certseal::crypto
