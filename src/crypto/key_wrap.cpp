// Key wrapping and the X9.63 KDF for CMS key agreement (key_wrap.h).
#include "crypto/key_wrap.h"

#include <openssl/evp.h>

#include <algorithm>

#include "crypto/ossl.h"

namespace certseal::crypto {
namespace {

Error bad_key() { return invalid_argument("bad_key_length", "wrong key length"); }
Error failed() { return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the wrapped key does not unwrap"); }

const EVP_MD* md_of(KdfHash h) {
  switch (h) {
    case KdfHash::kSha1: return EVP_sha1();
    case KdfHash::kSha224: return EVP_sha224();
    case KdfHash::kSha256: return EVP_sha256();
    case KdfHash::kSha384: return EVP_sha384();
    case KdfHash::kSha512: return EVP_sha512();
  }
  return EVP_sha256();
}

// One pass of a block cipher without padding; nullopt-like error on OpenSSL failure.
template <class Out>
Result<Out> run(const EVP_CIPHER* c, bool enc, BytesView key, BytesView iv, BytesView in, bool pad) {
  EvpCipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) openssl_fatal("EVP_CIPHER_CTX_new");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), c, nullptr, key.data(), iv.empty() ? nullptr : iv.data(), enc ? 1 : 0) != 1) {
    drain_openssl_errors();
    return failed();
  }
  EVP_CIPHER_CTX_set_padding(ctx.get(), pad ? 1 : 0);
  Out out(in.size() + 2 * 16);
  int n = 0, m = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &n, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + n, &m) != 1) {
    drain_openssl_errors();
    return failed();
  }
  out.resize(static_cast<std::size_t>(n + m));
  return out;
}

const EVP_CIPHER* aes_wrap_for(std::size_t n) {
  switch (n) {
    case 16: return EVP_aes_128_wrap();
    case 24: return EVP_aes_192_wrap();
    case 32: return EVP_aes_256_wrap();
    default: return nullptr;
  }
}

// RFC 3217 §3.2 step 5/§3.1 step 4: the fixed IV of the second pass.
constexpr std::uint8_t kSecondIv[8] = {0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05};

Bytes icv_of(BytesView cek) {
  Bytes d(20);
  unsigned int len = 0;
  if (EVP_Digest(cek.data(), cek.size(), d.data(), &len, EVP_sha1(), nullptr) != 1) openssl_fatal("EVP_Digest");
  d.resize(8);
  return d;
}

}  // namespace

SecretBytes x963_kdf(KdfHash hash, BytesView z, BytesView shared_info, std::size_t out_len) {
  const EVP_MD* md = md_of(hash);
  SecretBytes out;
  for (std::uint32_t counter = 1; out.size() < out_len; ++counter) {
    EvpMdCtx ctx(EVP_MD_CTX_new());
    const std::uint8_t c[4] = {static_cast<std::uint8_t>(counter >> 24), static_cast<std::uint8_t>(counter >> 16),
                               static_cast<std::uint8_t>(counter >> 8), static_cast<std::uint8_t>(counter)};
    SecretBytes block(static_cast<std::size_t>(EVP_MD_get_size(md)));
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 || EVP_DigestUpdate(ctx.get(), z.data(), z.size()) != 1 ||
        EVP_DigestUpdate(ctx.get(), c, 4) != 1 ||
        EVP_DigestUpdate(ctx.get(), shared_info.data(), shared_info.size()) != 1 ||
        EVP_DigestFinal_ex(ctx.get(), block.data(), &len) != 1) {
      openssl_fatal("x963_kdf");
    }
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(out_len);
  return out;
}

Result<Bytes> aes_key_wrap(BytesView kek, BytesView key) {
  const EVP_CIPHER* c = aes_wrap_for(kek.size());
  if (c == nullptr) return bad_key();
  if (key.size() < 16 || key.size() % 8 != 0) return bad_key();
  return run<Bytes>(c, true, kek, {}, key, false);
}

Result<SecretBytes> aes_key_unwrap(BytesView kek, BytesView wrapped) {
  const EVP_CIPHER* c = aes_wrap_for(kek.size());
  if (c == nullptr) return bad_key();
  if (wrapped.size() < 24 || wrapped.size() % 8 != 0) return failed();
  return run<SecretBytes>(c, false, kek, {}, wrapped, false);
}

Result<Bytes> cms3des_wrap(BytesView kek, BytesView key, Rng& rng) {
  if (kek.size() != 24 || key.size() != 24) return bad_key();
  Bytes cekicv(key.begin(), key.end());
  const Bytes icv = icv_of(key);
  cekicv.insert(cekicv.end(), icv.begin(), icv.end());
  const Bytes iv = rng.bytes(8);
  CS_ASSIGN(auto temp1, run<Bytes>(EVP_des_ede3_cbc(), true, kek, iv, cekicv, false));
  Bytes temp2 = iv;
  temp2.insert(temp2.end(), temp1.begin(), temp1.end());
  std::reverse(temp2.begin(), temp2.end());
  return run<Bytes>(EVP_des_ede3_cbc(), true, kek, BytesView(kSecondIv, 8), temp2, false);
}

Result<SecretBytes> cms3des_unwrap(BytesView kek, BytesView wrapped) {
  if (kek.size() != 24) return bad_key();
  if (wrapped.size() != 40) return failed();
  CS_ASSIGN(auto temp3, run<SecretBytes>(EVP_des_ede3_cbc(), false, kek, BytesView(kSecondIv, 8), wrapped, false));
  std::reverse(temp3.begin(), temp3.end());  // TEMP2 = IV ‖ TEMP1
  const BytesView iv(temp3.data(), 8), temp1(temp3.data() + 8, temp3.size() - 8);
  CS_ASSIGN(auto cekicv, run<SecretBytes>(EVP_des_ede3_cbc(), false, kek, iv, temp1, false));
  if (cekicv.size() != 32) return failed();
  const BytesView cek(cekicv.data(), 24);
  const Bytes icv = icv_of(cek);
  unsigned diff = 0;
  for (std::size_t i = 0; i < 8; ++i) diff |= icv[i] ^ cekicv[24 + i];
  if (diff != 0) return failed();
  return SecretBytes(cek.begin(), cek.end());
}

Result<Bytes> des3_cbc_encrypt(BytesView key, BytesView iv, BytesView plain) {
  if (key.size() != 24) return bad_key();
  if (iv.size() != 8) return invalid_argument("bad_iv_length", "wrong IV length");
  return run<Bytes>(EVP_des_ede3_cbc(), true, key, iv, plain, true);
}

Result<SecretBytes> des3_cbc_decrypt(BytesView key, BytesView iv, BytesView cipher) {
  if (key.size() != 24) return bad_key();
  if (iv.size() != 8) return invalid_argument("bad_iv_length", "wrong IV length");
  if (cipher.empty() || cipher.size() % 8 != 0) {
    return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the content does not decrypt");
  }
  auto r = run<SecretBytes>(EVP_des_ede3_cbc(), false, key, iv, cipher, true);
  if (!r) return Error(ErrorKind::kInvalidArgument, "decryption_failed", "the content does not decrypt");
  return r;
}

}  // namespace certseal::crypto
