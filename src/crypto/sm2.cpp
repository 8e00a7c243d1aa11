#include "crypto/sm2.h"

#include <openssl/core_names.h>

#include <algorithm>
#include <string>

#include "crypto/hash.h"

namespace certseal::crypto {
namespace {

Error bad_ciphertext(std::string detail = {}) {
  return Error(ErrorKind::kInvalidArgument, "bad_ciphertext", "the SM2 ciphertext is malformed",
               std::move(detail));
}
Error decryption_failed() {
  return invalid_argument("decryption_failed", "the data could not be decrypted (wrong key or damaged data)");
}

// a || b || xG || yG of the recommended curve, the fixed part of Z_A.
const Bytes& curve_za_part() {
  static const Bytes part = [] {
    const Sm2Curve& c = Sm2Curve::get();
    BnCtx ctx = bn_ctx_new();
    Bignum a = bn_new();
    Bignum b = bn_new();
    if (EC_GROUP_get_curve(c.group(), nullptr, a.get(), b.get(), ctx.get()) != 1) {
      openssl_fatal("EC_GROUP_get_curve");
    }
    Bytes gx;
    Bytes gy;
    point_xy(EC_GROUP_get0_generator(c.group()), gx, gy, ctx.get());
    Bytes out = bn_to_bytes32(a.get());
    Bytes bb = bn_to_bytes32(b.get());
    out.insert(out.end(), bb.begin(), bb.end());
    out.insert(out.end(), gx.begin(), gx.end());
    out.insert(out.end(), gy.begin(), gy.end());
    return out;
  }();
  return part;
}

// ---- minimal DER for the ciphertext structure ----
void der_len(Bytes& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
    return;
  }
  Bytes tmp;
  while (n > 0) {
    tmp.insert(tmp.begin(), static_cast<std::uint8_t>(n & 0xff));
    n >>= 8;
  }
  out.push_back(static_cast<std::uint8_t>(0x80 | tmp.size()));
  out.insert(out.end(), tmp.begin(), tmp.end());
}

void der_tlv(Bytes& out, std::uint8_t tag, BytesView content) {
  out.push_back(tag);
  der_len(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

void der_uint(Bytes& out, BytesView be) {
  std::size_t i = 0;
  while (i + 1 < be.size() && be[i] == 0) ++i;
  Bytes v;
  if (be.empty() || (be[i] & 0x80)) v.push_back(0);
  v.insert(v.end(), be.begin() + static_cast<std::ptrdiff_t>(i), be.end());
  der_tlv(out, 0x02, v);
}

// Reads one TLV with the given tag from in[pos..]; strict DER lengths.
bool der_read(BytesView in, std::size_t& pos, std::uint8_t tag, BytesView& content) {
  if (pos + 2 > in.size() || in[pos] != tag) return false;
  ++pos;
  std::size_t len = in[pos++];
  if (len & 0x80) {
    std::size_t nb = len & 0x7f;
    if (nb == 0 || nb > 4 || pos + nb > in.size() || in[pos] == 0) return false;
    len = 0;
    for (std::size_t i = 0; i < nb; ++i) len = (len << 8) | in[pos++];
    if (len < 0x80) return false;
  }
  if (len > in.size() - pos) return false;
  content = in.subspan(pos, len);
  pos += len;
  return true;
}

bool der_uint32(BytesView v, Bytes& out) {
  if (v.empty() || (v[0] & 0x80)) return false;
  if (v.size() > 1 && v[0] == 0 && !(v[1] & 0x80)) return false;  // not minimal
  if (v[0] == 0) v = v.subspan(1);
  if (v.size() > 32) return false;
  out.assign(32 - v.size(), 0);
  out.insert(out.end(), v.begin(), v.end());
  return true;
}

// t = KDF(x2 || y2, len) XOR data; all_zero reports t = 0 (constant time, declassified).
SecretBytes xor_with_kdf(BytesView x2, BytesView y2, BytesView data, bool& all_zero) {
  SecretBytes z(x2.begin(), x2.end());
  z.insert(z.end(), y2.begin(), y2.end());
  SecretBytes t = sm2_kdf(z, data.size());
  std::uint8_t acc = 0;
  for (auto b : t) acc = static_cast<std::uint8_t>(acc | b);
  sm2::ct_declassify(acc);  // t = 0 aborts visibly (probability 2^-8·len)
  all_zero = acc == 0;
  for (std::size_t i = 0; i < data.size(); ++i) t[i] ^= data[i];
  return t;
}

Bytes c3_of(BytesView x2, BytesView m, BytesView y2) {
  Hasher h(HashAlg::kSm3);
  h.update(x2).update(m).update(y2);
  return h.finish();
}

Error bad_nonce(const char* why) { return invalid_argument("bad_nonce", why); }

// GB/T 32918.2 §6.1 A4-A6 with the nonce k; inv1d = (1 + d)^-1. Empty when k must be replaced.
Bytes sign_core(const sm2::Scalar& d, const sm2::Scalar& inv1d, BytesView e, const sm2::Scalar& k) {
  sm2::Point kg = sm2::mul_base(k);
  std::uint8_t x1[32], y1[32];
  kg.xy(x1, y1);
  sm2::Scalar r = sm2::Scalar::reduce(e) + sm2::Scalar::reduce(BytesView(x1, 32));
  Bytes out = r.public_bytes();  // r is part of the signature
  if (r.is_zero_public() || (r + k).is_zero_public()) return {};
  sm2::Scalar s = inv1d * (k - r * d);
  if (s.is_zero_public()) return {};
  Bytes sb = s.public_bytes();
  out.insert(out.end(), sb.begin(), sb.end());
  return out;
}

sm2::Scalar inverse_one_plus(const sm2::Scalar& d) { return (d + sm2::Scalar(sm2::sc_from_u64(1))).inverse(); }

Result<Bytes> encrypt_core(const sm2::Point& pub, BytesView plain, const sm2::Scalar& k, Sm2CipherOrder order) {
  sm2::Point c1 = sm2::mul_base(k);
  sm2::Point kp = sm2::mul(pub, k);
  if (kp.is_infinity()) return bad_nonce("k·P is the point at infinity");
  std::uint8_t x2[32], y2[32];
  kp.xy(x2, y2);
  bool zero = false;
  SecretBytes c2 = xor_with_kdf(BytesView(x2, 32), BytesView(y2, 32), plain, zero);
  if (zero) return bad_nonce("the KDF output is all zero for this k");
  Sm2Ciphertext c;
  c.c1 = c1.bytes();
  c.c3 = c3_of(BytesView(x2, 32), plain, BytesView(y2, 32));
  c.c2.assign(c2.begin(), c2.end());
  secure_wipe(x2, sizeof x2);
  secure_wipe(y2, sizeof y2);
  Bytes out = c.raw(order);
  sm2::ct_declassify(BytesView(out));  // the ciphertext is public
  return out;
}

}  // namespace

Result<Bytes> sm2_za(BytesView public_point, std::string_view id) {
  if (id.size() > 8191) return invalid_argument("bad_sm2_id", "the SM2 ID is longer than 8191 bytes");
  if (public_point.size() != kSm2PointSize || public_point[0] != 0x04) {
    return invalid_argument("bad_point_encoding", "the public key is not an uncompressed SM2 point");
  }
  std::size_t entl = id.size() * 8;
  std::uint8_t entl_be[2] = {static_cast<std::uint8_t>(entl >> 8), static_cast<std::uint8_t>(entl)};
  Hasher h(HashAlg::kSm3);
  h.update(entl_be).update(as_bytes(id)).update(curve_za_part()).update(public_point.subspan(1));
  return h.finish();
}

Result<Bytes> sm2_message_digest(BytesView public_point, std::string_view id, BytesView message) {
  CS_ASSIGN(Bytes za, sm2_za(public_point, id));
  Hasher h(HashAlg::kSm3);
  h.update(za).update(message);
  return h.finish();
}

Bytes sm2_signature_der(BytesView raw) {
  Bytes body;
  body.reserve(70);
  der_uint(body, raw.first(32));
  der_uint(body, raw.subspan(32, 32));
  Bytes out;
  out.reserve(72);
  der_tlv(out, 0x30, body);
  return out;
}

SecretBytes sm2_kdf(BytesView z, std::size_t len) {
  SecretBytes out;
  out.reserve(len + 32);
  Hasher h(HashAlg::kSm3);
  for (std::uint32_t ct = 1; out.size() < len; ++ct) {
    std::uint8_t ctr[4] = {static_cast<std::uint8_t>(ct >> 24), static_cast<std::uint8_t>(ct >> 16),
                           static_cast<std::uint8_t>(ct >> 8), static_cast<std::uint8_t>(ct)};
    Bytes block = h.update(z).update(ctr).finish();
    out.insert(out.end(), block.begin(), block.end());
    secure_wipe(block.data(), block.size());
  }
  out.resize(len);
  return out;
}

Result<Sm2Ciphertext> Sm2Ciphertext::parse_raw(BytesView raw, Sm2CipherOrder order) {
  if (raw.size() < kSm2PointSize + 32 || raw[0] != 0x04) {
    return bad_ciphertext("raw ciphertext shorter than 97 bytes or without the 04 prefix");
  }
  Sm2Ciphertext c;
  c.c1.assign(raw.begin(), raw.begin() + kSm2PointSize);
  CS_TRY(sm2::Point::parse(c.c1, "the ciphertext's C1"));
  BytesView rest = raw.subspan(kSm2PointSize);
  if (order == Sm2CipherOrder::kC1C3C2) {
    c.c3.assign(rest.begin(), rest.begin() + 32);
    c.c2.assign(rest.begin() + 32, rest.end());
  } else {
    c.c2.assign(rest.begin(), rest.end() - 32);
    c.c3.assign(rest.end() - 32, rest.end());
  }
  return c;
}

Result<Sm2Ciphertext> Sm2Ciphertext::parse_der(BytesView der) {
  std::size_t pos = 0;
  BytesView seq;
  if (!der_read(der, pos, 0x30, seq) || pos != der.size()) return bad_ciphertext("not a DER SEQUENCE");
  std::size_t p = 0;
  BytesView x, y, c3, c2;
  if (!der_read(seq, p, 0x02, x) || !der_read(seq, p, 0x02, y) || !der_read(seq, p, 0x04, c3) ||
      !der_read(seq, p, 0x04, c2) || p != seq.size() || c3.size() != 32) {
    return bad_ciphertext("SEQUENCE is not {INTEGER, INTEGER, OCTET STRING(32), OCTET STRING}");
  }
  Bytes xb, yb;
  if (!der_uint32(x, xb) || !der_uint32(y, yb)) return bad_ciphertext("bad coordinate");
  Sm2Ciphertext c;
  c.c1.push_back(0x04);
  c.c1.insert(c.c1.end(), xb.begin(), xb.end());
  c.c1.insert(c.c1.end(), yb.begin(), yb.end());
  CS_TRY(sm2::Point::parse(c.c1, "the ciphertext's C1"));
  c.c3.assign(c3.begin(), c3.end());
  c.c2.assign(c2.begin(), c2.end());
  return c;
}

Bytes Sm2Ciphertext::raw(Sm2CipherOrder order) const {
  Bytes out = c1;
  if (order == Sm2CipherOrder::kC1C3C2) {
    out.insert(out.end(), c3.begin(), c3.end());
    out.insert(out.end(), c2.begin(), c2.end());
  } else {
    out.insert(out.end(), c2.begin(), c2.end());
    out.insert(out.end(), c3.begin(), c3.end());
  }
  return out;
}

Bytes Sm2Ciphertext::der() const {
  Bytes body;
  der_uint(body, BytesView(c1).subspan(1, 32));
  der_uint(body, BytesView(c1).subspan(33, 32));
  der_tlv(body, 0x04, c3);
  der_tlv(body, 0x04, c2);
  Bytes out;
  der_tlv(out, 0x30, body);
  return out;
}

Result<Bytes> sm2_encrypt(const PublicKey& key, BytesView plain, Sm2CipherOrder order) {
  if (key.type() != KeyType::kSm2) return invalid_argument("scheme_key_mismatch", "the key is not an SM2 key");
  if (plain.empty()) return invalid_argument("empty_plaintext", "SM2 cannot encrypt empty data");
  if (!sm2::engine_is_openssl()) {
    return sm2_encrypt_to_point(key.sm2_point(), plain, process_rng(), order);
  }
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1) return openssl_internal("EVP_PKEY_encrypt_init(SM2)");
  std::size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, plain.data(), plain.size()) != 1) {
    return openssl_internal("EVP_PKEY_encrypt(size)");
  }
  Bytes der(len);
  if (EVP_PKEY_encrypt(ctx.get(), der.data(), &len, plain.data(), plain.size()) != 1) {
    return openssl_internal("EVP_PKEY_encrypt(SM2)");
  }
  der.resize(len);
  CS_ASSIGN(Sm2Ciphertext c, Sm2Ciphertext::parse_der(der));
  return c.raw(order);
}

Result<SecretBytes> sm2_decrypt(const PrivateKey& key, BytesView cipher, Sm2CipherOrder order) {
  if (key.type() != KeyType::kSm2) return invalid_argument("scheme_key_mismatch", "the key is not an SM2 key");
  if (!sm2::engine_is_openssl()) {
    return sm2_decrypt_with_scalar(key.sm2_scalar(), cipher, order);
  }
  CS_ASSIGN(Sm2Ciphertext c, Sm2Ciphertext::parse_raw(cipher, order));
  Bytes der = c.der();
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1) return openssl_internal("EVP_PKEY_decrypt_init(SM2)");
  std::size_t len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, der.data(), der.size()) != 1) {
    drain_openssl_errors();
    return decryption_failed();
  }
  SecretBytes out(len);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, der.data(), der.size()) != 1) {
    drain_openssl_errors();
    return decryption_failed();
  }
  out.resize(len);
  return out;
}

Result<Bytes> sm2_sign_digest_with_k(BytesView d_bytes, BytesView e_bytes, BytesView k_bytes) {
  if (e_bytes.size() != 32) return invalid_argument("bad_digest_length", "e must be 32 bytes");
  CS_ASSIGN(sm2::Scalar d, sm2::Scalar::parse(d_bytes, "the private key"));
  CS_ASSIGN(sm2::Scalar k, sm2::Scalar::parse(k_bytes, "the nonce k"));
  Bytes out = sign_core(d, inverse_one_plus(d), e_bytes, k);
  if (out.empty()) return bad_nonce("the nonce k gives r = 0, r + k = n or s = 0");
  return out;
}

Result<Bytes> sm2_sign_digest(BytesView d_bytes, BytesView e_bytes, Rng& rng, BytesView inv_one_plus_d) {
  if (e_bytes.size() != 32) return invalid_argument("bad_digest_length", "e must be 32 bytes");
  CS_ASSIGN(sm2::Scalar d, sm2::Scalar::parse(d_bytes, "the private key"));
  sm2::Scalar inv1d;
  if (inv_one_plus_d.size() == 32) {
    CS_ASSIGN(inv1d, sm2::Scalar::parse(inv_one_plus_d, "the signing factor"));
  } else {
    inv1d = inverse_one_plus(d);
  }
  for (;;) {  // a retry has probability about 2^-255 per attempt
    sm2::Scalar k = sm2::Scalar::hedged(rng, "sign", d_bytes, e_bytes);
    Bytes out = sign_core(d, inv1d, e_bytes, k);
    if (!out.empty()) return out;
  }
}

Status sm2_verify_digest(BytesView public_point, BytesView e_bytes, BytesView raw) {
  if (e_bytes.size() != 32) return invalid_argument("bad_digest_length", "e must be 32 bytes");
  CS_ASSIGN(sm2::Point pub, sm2::Point::parse(public_point, "the public key"));
  auto bad = [] { return invalid_argument("bad_signature", "the SM2 signature does not verify"); };
  if (raw.size() != 64) return bad();
  // B1, B2: r, s in [1, n-1].
  auto r = sm2::Scalar::parse(raw.first(32), "r");
  auto s = sm2::Scalar::parse(raw.subspan(32), "s");
  if (!r || !s) return bad();
  // B5: t = (r + s) mod n, t != 0.
  sm2::Scalar t = *r + *s;
  if (t.is_zero_public()) return bad();
  // B6-B7: (x1, y1) = s·G + t·P must not be O, and R = (e + x1) mod n must equal r, i.e.
  // x1 ≡ r − e (mod n): checked on the Jacobian sum, without an inversion.
  sm2::Scalar v = *r - sm2::Scalar::reduce(e_bytes);
  if (!sm2::mul_add_public_x_mod_n_equals(*s, pub, t, v)) return bad();
  return {};
}

Result<Bytes> sm2_encrypt_with_k(BytesView public_point, BytesView plain, BytesView k_bytes,
                                 Sm2CipherOrder order) {
  if (plain.empty()) return invalid_argument("empty_plaintext", "SM2 cannot encrypt empty data");
  CS_ASSIGN(sm2::Point pub, sm2::Point::parse(public_point, "the public key"));
  CS_ASSIGN(sm2::Scalar k, sm2::Scalar::parse(k_bytes, "the nonce k"));
  return encrypt_core(pub, plain, k, order);
}

Result<Bytes> sm2_encrypt_to_point(BytesView public_point, BytesView plain, Rng& rng, Sm2CipherOrder order) {
  if (plain.empty()) return invalid_argument("empty_plaintext", "SM2 cannot encrypt empty data");
  CS_ASSIGN(sm2::Point pub, sm2::Point::parse(public_point, "the public key"));
  for (;;) {  // bad_nonce has probability about 2^-256 per attempt for plaintexts of 32+ bytes
    sm2::Scalar k = sm2::Scalar::random(rng);
    auto out = encrypt_core(pub, plain, k, order);
    if (out.ok() || out.error().code != "bad_nonce") return out;
  }
}

Result<SecretBytes> sm2_decrypt_with_scalar(BytesView d_bytes, BytesView cipher, Sm2CipherOrder order) {
  CS_ASSIGN(Sm2Ciphertext c, Sm2Ciphertext::parse_raw(cipher, order));
  CS_ASSIGN(sm2::Scalar d, sm2::Scalar::parse(d_bytes, "the private key"));
  CS_ASSIGN(sm2::Point c1, sm2::Point::parse(c.c1, "the ciphertext's C1"));
  return sm2_decrypt_with_shared_point(sm2::mul(c1, d), c);
}

Result<SecretBytes> sm2_decrypt_with_shared_point(const sm2::Point& shared, const Sm2Ciphertext& c) {
  if (shared.is_infinity()) return decryption_failed();
  std::uint8_t x2[32], y2[32];
  shared.xy(x2, y2);
  bool zero = false;
  SecretBytes m = xor_with_kdf(BytesView(x2, 32), BytesView(y2, 32), c.c2, zero);
  Bytes u = c3_of(BytesView(x2, 32), m, BytesView(y2, 32));
  secure_wipe(x2, sizeof x2);
  secure_wipe(y2, sizeof y2);
  if (zero) return decryption_failed();
  bool match = constant_time_equal(u, c.c3);
  sm2::ct_declassify(match);  // accepting or refusing the ciphertext is visible anyway
  if (!match) return decryption_failed();
  return m;
}

}  // namespace certseal::crypto
