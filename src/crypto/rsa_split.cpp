// Two-party RSA by an additive split of d (rsa_split.h).
#include "crypto/rsa_split.h"

#include <openssl/core_names.h>

#include <cstring>

#include "crypto/hash.h"
#include "crypto/ossl.h"

namespace certseal::crypto::rsa_split {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kTagShare = 0x53, kTagEnrol = 0x4B, kTagRequest = 0x58, kTagResponse = 0x59;
constexpr std::size_t kMaxField = 4096;

Error bad_message(const std::string& what) { return invalid_argument("bad_message", "malformed two-party RSA " + what); }

Bignum bn(BytesView b) {
  Bignum v(BN_bin2bn(b.data(), static_cast<int>(b.size()), nullptr));
  if (!v) openssl_fatal("BN_bin2bn");
  return v;
}
Bignum secret_bn(BytesView b) {
  Bignum v = bn(b);
  BN_set_flags(v.get(), BN_FLG_CONSTTIME);
  return v;
}
// Big-endian, left-padded to `len` bytes (v < 2^(8·len)).
Bytes to_bytes(const BIGNUM* v, std::size_t len) {
  Bytes out(len);
  if (BN_bn2binpad(v, out.data(), static_cast<int>(len)) < 0) openssl_fatal("BN_bn2binpad");
  return out;
}
SecretBytes to_secret(const BIGNUM* v, std::size_t len) {
  SecretBytes out(len);
  if (BN_bn2binpad(v, out.data(), static_cast<int>(len)) < 0) openssl_fatal("BN_bn2binpad");
  return out;
}
SecretBytes to_secret_min(const BIGNUM* v) {
  return to_secret(v, static_cast<std::size_t>(BN_num_bytes(v)));
}

// a^p mod n, constant time in p (p may be longer than n).
Bignum mod_exp_secret(const BIGNUM* a, const BIGNUM* p, const BIGNUM* n, BN_CTX* ctx) {
  Bignum r = bn_new();
  if (BN_mod_exp_mont_consttime(r.get(), a, p, n, ctx, nullptr) != 1) openssl_fatal("BN_mod_exp_mont_consttime");
  return r;
}
Bignum mod_exp_public(const BIGNUM* a, const BIGNUM* p, const BIGNUM* n, BN_CTX* ctx) {
  Bignum r = bn_new();
  if (BN_mod_exp(r.get(), a, p, n, ctx) != 1) openssl_fatal("BN_mod_exp");
  return r;
}
Bignum mod_mul(const BIGNUM* a, const BIGNUM* b, const BIGNUM* n, BN_CTX* ctx) {
  Bignum r = bn_new();
  if (BN_mod_mul(r.get(), a, b, n, ctx) != 1) openssl_fatal("BN_mod_mul");
  return r;
}

void put_u16(SecretBytes& out, std::size_t n) {
  out.push_back(static_cast<std::uint8_t>(n >> 8));
  out.push_back(static_cast<std::uint8_t>(n & 0xff));
}
void put_field(SecretBytes& out, BytesView f) {
  put_u16(out, f.size());
  out.insert(out.end(), f.begin(), f.end());
}

// Reads u16-prefixed fields after a two-byte header.
class Reader {
 public:
  explicit Reader(BytesView b) : b_(b) {}
  bool field(BytesView& out) {
    if (b_.size() - at_ < 2) return false;
    const std::size_t n = (static_cast<std::size_t>(b_[at_]) << 8) | b_[at_ + 1];
    at_ += 2;
    if (n > kMaxField || b_.size() - at_ < n) return false;
    out = b_.subspan(at_, n);
    at_ += n;
    return true;
  }
  bool byte(std::uint8_t& out) {
    if (at_ >= b_.size()) return false;
    out = b_[at_++];
    return true;
  }
  bool done() const { return at_ == b_.size(); }

 private:
  BytesView b_;
  std::size_t at_ = 2;
};

bool header_ok(BytesView b, std::uint8_t tag) { return b.size() >= 2 && b[0] == tag && b[1] == kVersion; }

struct RsaPublic {
  Bytes n, e;
};
Result<RsaPublic> rsa_public(BytesView spki) {
  CS_ASSIGN(auto pub, PublicKey::from_spki_der(spki));
  if (pub.type() != KeyType::kRsa2048 && pub.type() != KeyType::kRsa3072) {
    return invalid_argument("rsa_split_bad_key", "the key is not an RSA-2048 or RSA-3072 key");
  }
  RsaPublic out;
  for (auto [name, dst] : {std::pair{OSSL_PKEY_PARAM_RSA_N, &out.n}, std::pair{OSSL_PKEY_PARAM_RSA_E, &out.e}}) {
    BIGNUM* v = nullptr;
    if (EVP_PKEY_get_bn_param(pub.get(), name, &v) != 1) return openssl_internal(name);
    Bignum owned(v);
    *dst = to_bytes(owned.get(), static_cast<std::size_t>(BN_num_bytes(owned.get())));
  }
  return out;
}

// m0 = MGF1-SHA-256(seed, k) with its top byte cleared (so m0 < N): the value whose exponentiation
// proves at installation that the two halves add up to the key's d.
Bytes check_base(BytesView spki, std::string_view device_id, std::size_t k) {
  Bytes seed = certseal::to_bytes(std::string("certseal-shield-v1 rsa-enrol\n") + std::string(device_id) + "\n");
  const Bytes h = sha256(spki);
  seed.insert(seed.end(), h.begin(), h.end());
  Bytes out;
  for (std::uint32_t counter = 0; out.size() < k; ++counter) {
    Bytes in = seed;
    for (int i = 3; i >= 0; --i) in.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
    const Bytes d = sha256(in);
    out.insert(out.end(), d.begin(), d.end());
  }
  out.resize(k);
  out[0] = 0;
  return out;
}

// x^d_srv mod N for the server's share (x^-1 to the magnitude when d_srv is negative).
Result<Bytes> server_exp(const ServerShare& share, BytesView x) {
  const std::size_t k = share.modulus().size();
  if (x.size() != k) return bad_message("request (wrong length)");
  BnCtx ctx = bn_ctx_new();
  Bignum n = bn(share.modulus());
  Bignum v = bn(x);
  if (BN_is_zero(v.get()) || BN_cmp(v.get(), n.get()) >= 0) return bad_message("request (not in [1, N-1])");
  if (share.negative()) {
    Bignum inv(BN_mod_inverse(nullptr, v.get(), n.get(), ctx.get()));
    if (!inv) {
      drain_openssl_errors();
      return bad_message("request (not invertible mod N)");
    }
    v = std::move(inv);
  }
  Bignum d = secret_bn(share.magnitude());
  Bignum y = mod_exp_secret(v.get(), d.get(), n.get(), ctx.get());
  return to_bytes(y.get(), k);
}

// y · x^d_dev mod N.
Bignum combine(const DeviceShare& share, const BIGNUM* x, BytesView y_bytes, const BIGNUM* n, BN_CTX* ctx) {
  Bignum d = secret_bn(share.exponent());
  Bignum part = mod_exp_secret(x, d.get(), n, ctx);
  Bignum y = bn(y_bytes);
  return mod_mul(part.get(), y.get(), n, ctx);
}

// SHA-256 DigestInfo prefix (RFC 8017 §9.2 note 1).
constexpr std::uint8_t kSha256Prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                          0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};

const EVP_MD* oaep_md(Padding p) { return p == Padding::kOaepSha1 ? EVP_sha1() : EVP_sha256(); }

Bytes md_digest(const EVP_MD* md, BytesView in) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  if (EVP_Digest(in.data(), in.size(), out.data(), &len, md, nullptr) != 1) openssl_fatal("EVP_Digest");
  return out;
}
SecretBytes mgf1(const EVP_MD* md, BytesView seed, std::size_t len) {
  SecretBytes out;
  for (std::uint32_t counter = 0; out.size() < len; ++counter) {
    SecretBytes in(seed.begin(), seed.end());
    for (int i = 3; i >= 0; --i) in.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
    Bytes d = md_digest(md, BytesView(in.data(), in.size()));
    out.insert(out.end(), d.begin(), d.end());
    secure_wipe(d.data(), d.size());
  }
  out.resize(len);
  return out;
}

Error decryption_failed() { return permission_denied("decryption_failed", "the ciphertext does not decrypt"); }

}  // namespace

struct Access {
  static ServerShare make(bool negative, SecretBytes d, Bytes n, Bytes e) {
    ServerShare s;
    s.negative_ = negative;
    s.d_ = std::move(d);
    s.n_ = std::move(n);
    s.e_ = std::move(e);
    return s;
  }
};

// ---- shares and messages ----

Result<DeviceShare> DeviceShare::from_parts(BytesView d_dev, BytesView spki_der) {
  CS_ASSIGN(auto pub, rsa_public(spki_der));
  if (d_dev.empty() || d_dev.size() > pub.n.size() + kExtraBits / 8) {
    return invalid_argument("rsa_split_bad_key", "the device share does not fit the key");
  }
  DeviceShare s;
  s.d_.assign(d_dev.begin(), d_dev.end());
  s.spki_.assign(spki_der.begin(), spki_der.end());
  s.n_ = std::move(pub.n);
  s.e_ = std::move(pub.e);
  return s;
}

SecretBytes ServerShare::export_bytes() const {
  SecretBytes out{kTagShare, kVersion, static_cast<std::uint8_t>(negative_ ? 1 : 0)};
  put_field(out, n_);
  put_field(out, e_);
  put_field(out, BytesView(d_.data(), d_.size()));
  return out;
}

bool ServerShare::is_rsa_share(BytesView b) { return header_ok(b, kTagShare) && b.size() > 64; }

Result<ServerShare> ServerShare::import_bytes(BytesView b) {
  if (!header_ok(b, kTagShare)) return bad_message("server share");
  Reader r(b);
  std::uint8_t sign = 0;
  BytesView n, e, d;
  if (!r.byte(sign) || sign > 1 || !r.field(n) || !r.field(e) || !r.field(d) || !r.done()) {
    return bad_message("server share");
  }
  if (n.size() < 256 || n.empty() || n[0] == 0 || e.empty() || d.empty() || d.size() > n.size() + kExtraBits / 8) {
    return bad_message("server share");
  }
  return Access::make(sign == 1, SecretBytes(d.begin(), d.end()), Bytes(n.begin(), n.end()), Bytes(e.begin(), e.end()));
}

SecretBytes EnrolRequest::encode() const {
  SecretBytes out{kTagEnrol, kVersion};
  put_field(out, spki);
  put_field(out, BytesView(server_share.data(), server_share.size()));
  put_field(out, check);
  return out;
}

Result<EnrolRequest> EnrolRequest::decode(BytesView b) {
  if (!header_ok(b, kTagEnrol)) return bad_message("enrolment");
  Reader r(b);
  BytesView spki, share, check;
  if (!r.field(spki) || !r.field(share) || !r.field(check) || !r.done()) return bad_message("enrolment");
  EnrolRequest q;
  q.spki.assign(spki.begin(), spki.end());
  q.server_share.assign(share.begin(), share.end());
  q.check.assign(check.begin(), check.end());
  return q;
}

namespace {
Bytes encode_value(std::uint8_t tag, const Bytes& v) {
  SecretBytes s{tag, kVersion};
  put_field(s, v);
  return Bytes(s.begin(), s.end());
}
Result<Bytes> decode_value(BytesView b, std::uint8_t tag, const char* what) {
  if (!header_ok(b, tag)) return bad_message(what);
  Reader r(b);
  BytesView v;
  if (!r.field(v) || !r.done() || v.empty()) return bad_message(what);
  return Bytes(v.begin(), v.end());
}
}  // namespace

Bytes StepRequest::encode() const { return encode_value(kTagRequest, x); }
Result<StepRequest> StepRequest::decode(BytesView b) {
  CS_ASSIGN(auto v, decode_value(b, kTagRequest, "request"));
  return StepRequest{std::move(v)};
}
Bytes StepResponse::encode() const { return encode_value(kTagResponse, y); }
Result<StepResponse> StepResponse::decode(BytesView b) {
  CS_ASSIGN(auto v, decode_value(b, kTagResponse, "answer"));
  return StepResponse{std::move(v)};
}

// ---- key generation and installation ----

Result<Generated> generate(KeyType type, std::string_view device_id, Rng& rng) {
  if (type != KeyType::kRsa2048 && type != KeyType::kRsa3072) {
    return invalid_argument("unsupported_key", "two-party RSA keys are RSA-2048 or RSA-3072");
  }
  CS_ASSIGN(auto key, PrivateKey::generate(type, rng));
  const Bytes spki = key.public_key().spki_der();
  Generated g;
  {
    CS_ASSIGN(auto parts, key.rsa_components());  // wiped when this scope ends (SecretBytes)
    const std::size_t k = parts.n.size();
    BnCtx ctx = bn_ctx_new();
    Bignum n = bn(parts.n);
    Bignum d = secret_bn(BytesView(parts.d.data(), parts.d.size()));
    SecretBytes dd(k + kExtraBits / 8);
    rng.fill(std::span<std::uint8_t>(dd.data(), dd.size()));
    Bignum d_dev = secret_bn(BytesView(dd.data(), dd.size()));
    Bignum d_srv = bn_new();
    if (BN_sub(d_srv.get(), d.get(), d_dev.get()) != 1) openssl_fatal("BN_sub");
    const bool negative = BN_is_negative(d_srv.get()) == 1;
    BN_set_negative(d_srv.get(), 0);
    SecretBytes magnitude = to_secret_min(d_srv.get());
    if (magnitude.empty()) magnitude.push_back(0);
    const ServerShare srv = Access::make(negative, std::move(magnitude), parts.n, parts.e);
    CS_ASSIGN(g.device, DeviceShare::from_parts(BytesView(dd.data(), dd.size()), spki));
    const Bytes m0 = check_base(spki, device_id, k);
    Bignum m0_bn = bn(m0);
    Bignum check = mod_exp_secret(m0_bn.get(), d_dev.get(), n.get(), ctx.get());
    g.request.spki = spki;
    g.request.server_share = srv.export_bytes();
    g.request.check = to_bytes(check.get(), k);
  }
  return g;
}

Result<ServerShare> server_accept(const EnrolRequest& request, std::size_t bits, std::string_view device_id) {
  CS_ASSIGN(auto pub, rsa_public(request.spki));
  Bignum n = bn(pub.n);
  if (static_cast<std::size_t>(BN_num_bits(n.get())) != bits) {
    return invalid_argument("rsa_split_bad_key", "the key is not RSA-" + std::to_string(bits));
  }
  if (pub.e != Bytes{0x01, 0x00, 0x01}) return invalid_argument("rsa_split_bad_key", "the public exponent is not 65537");
  CS_ASSIGN(auto share, ServerShare::import_bytes(request.server_share));
  if (share.modulus() != pub.n || share.public_exponent() != pub.e) {
    return invalid_argument("rsa_split_bad_key", "the server share is for another key");
  }
  const std::size_t k = pub.n.size();
  if (request.check.size() != k) return bad_message("enrolment check value");
  const Bytes m0 = check_base(request.spki, device_id, k);
  CS_ASSIGN(auto part, server_exp(share, m0));
  BnCtx ctx = bn_ctx_new();
  Bignum c = bn(request.check);
  if (BN_cmp(c.get(), n.get()) >= 0) {
    return invalid_argument("rsa_split_bad_check", "the two key shares do not make the certificate's key");
  }
  Bignum p = bn(part);
  Bignum x = mod_mul(p.get(), c.get(), n.get(), ctx.get());
  Bignum e = bn(pub.e);
  Bignum back = mod_exp_public(x.get(), e.get(), n.get(), ctx.get());
  if (to_bytes(back.get(), k) != m0) {
    return invalid_argument("rsa_split_bad_check", "the two key shares do not make the certificate's key");
  }
  return share;
}

// ---- signing ----

Result<Bytes> emsa_pkcs1_sha256(BytesView digest, std::size_t k) {
  if (digest.size() != 32) return invalid_argument("bad_digest_length", "a SHA-256 digest is 32 bytes");
  const std::size_t t = sizeof kSha256Prefix + 32;
  if (k < t + 11) return invalid_argument("unsupported_key", "the modulus is too short");
  Bytes em(k, 0xff);
  em[0] = 0x00;
  em[1] = 0x01;
  em[k - t - 1] = 0x00;
  std::memcpy(em.data() + (k - t), kSha256Prefix, sizeof kSha256Prefix);
  std::memcpy(em.data() + (k - 32), digest.data(), 32);
  return em;
}

Result<Bytes> pkcs1_sha256_digest(BytesView em) {
  Bytes digest(em.size() >= 32 ? em.end() - 32 : em.end(), em.end());
  auto expected = emsa_pkcs1_sha256(digest, em.size());
  if (!expected || *expected != Bytes(em.begin(), em.end())) {
    return invalid_argument("not_a_pkcs1_sha256_encoding", "the server signs only PKCS#1 v1.5 SHA-256 encodings");
  }
  return digest;
}

Result<SignStart> device_sign_start(const DeviceShare& share, BytesView sha256_digest) {
  CS_ASSIGN(auto em, emsa_pkcs1_sha256(sha256_digest, share.size()));
  SignStart s;
  s.request.x = em;
  s.state.em = std::move(em);
  return s;
}

Result<StepResponse> server_sign(const ServerShare& share, const StepRequest& request) {
  if (request.x.size() != share.modulus().size()) return bad_message("request (wrong length)");
  CS_TRY(pkcs1_sha256_digest(request.x));
  CS_ASSIGN(auto y, server_exp(share, request.x));
  return StepResponse{std::move(y)};
}

Result<Bytes> device_sign_finish(const DeviceShare& share, const SignState& state, const StepResponse& response) {
  const std::size_t k = share.size();
  if (response.y.size() != k || state.em.size() != k) {
    return unavailable("cosign_bad_server_answer", "the server's answer has the wrong length");
  }
  BnCtx ctx = bn_ctx_new();
  Bignum n = bn(share.modulus());
  Bignum em = bn(state.em);
  Bignum s = combine(share, em.get(), response.y, n.get(), ctx.get());
  Bignum e = bn(share.public_exponent());
  Bignum back = mod_exp_public(s.get(), e.get(), n.get(), ctx.get());
  if (BN_cmp(back.get(), em.get()) != 0) {
    return unavailable("cosign_bad_server_answer", "the two-party RSA signature does not verify under the public key");
  }
  return to_bytes(s.get(), k);
}

// ---- decryption ----

Result<DecryptStart> device_decrypt_start(const DeviceShare& share, BytesView ciphertext, Rng& rng) {
  const std::size_t k = share.size();
  if (ciphertext.size() != k) return bad_message("ciphertext (not the modulus length)");
  BnCtx ctx = bn_ctx_new();
  Bignum n = bn(share.modulus());
  Bignum c = bn(ciphertext);
  if (BN_is_zero(c.get()) || BN_cmp(c.get(), n.get()) >= 0) return bad_message("ciphertext (not in [1, N-1])");
  Bignum e = bn(share.public_exponent());
  for (int attempt = 0; attempt < 8; ++attempt) {
    SecretBytes rb(k + 8);
    rng.fill(std::span<std::uint8_t>(rb.data(), rb.size()));
    Bignum raw = secret_bn(BytesView(rb.data(), rb.size()));
    Bignum r = bn_new();
    if (BN_nnmod(r.get(), raw.get(), n.get(), ctx.get()) != 1) openssl_fatal("BN_nnmod");
    if (BN_is_zero(r.get()) || BN_is_one(r.get())) continue;
    Bignum r_inv(BN_mod_inverse(nullptr, r.get(), n.get(), ctx.get()));
    if (!r_inv) {
      drain_openssl_errors();
      continue;
    }
    Bignum re = mod_exp_public(r.get(), e.get(), n.get(), ctx.get());
    Bignum blinded = mod_mul(c.get(), re.get(), n.get(), ctx.get());
    DecryptStart s;
    s.state.c = to_bytes(c.get(), k);
    s.state.blinded = to_bytes(blinded.get(), k);
    s.state.r_inv = to_secret(r_inv.get(), k);
    s.request.x = s.state.blinded;
    return s;
  }
  return internal_error("no blinding factor found");
}

Result<StepResponse> server_decrypt(const ServerShare& share, const StepRequest& request) {
  CS_ASSIGN(auto y, server_exp(share, request.x));
  return StepResponse{std::move(y)};
}

Result<SecretBytes> device_decrypt_finish(const DeviceShare& share, const DecryptState& state,
                                          const StepResponse& response, Padding padding) {
  const std::size_t k = share.size();
  if (response.y.size() != k || state.blinded.size() != k) {
    return unavailable("cosign_bad_server_answer", "the server's answer has the wrong length");
  }
  BnCtx ctx = bn_ctx_new();
  Bignum n = bn(share.modulus());
  Bignum blinded = bn(state.blinded);
  Bignum x = combine(share, blinded.get(), response.y, n.get(), ctx.get());
  Bignum r_inv = secret_bn(BytesView(state.r_inv.data(), state.r_inv.size()));
  Bignum m = mod_mul(x.get(), r_inv.get(), n.get(), ctx.get());
  Bignum e = bn(share.public_exponent());
  Bignum back = mod_exp_public(m.get(), e.get(), n.get(), ctx.get());
  Bignum c = bn(state.c);
  if (BN_cmp(back.get(), c.get()) != 0) {
    return unavailable("cosign_bad_server_answer", "the two-party RSA decryption does not match the ciphertext");
  }
  SecretBytes em = to_secret(m.get(), k);
  const BytesView v(em.data(), em.size());
  return padding == Padding::kPkcs1v15 ? unpad_pkcs1_v15(v) : unpad_oaep(v, padding);
}

// RFC 8017 §7.2.2 step 3: EM = 0x00 ‖ 0x02 ‖ PS (≥ 8 non-zero bytes) ‖ 0x00 ‖ M. Every byte is
// looked at whatever the outcome (no early exit on the first bad byte).
Result<SecretBytes> unpad_pkcs1_v15(BytesView em) {
  if (em.size() < 11) return decryption_failed();
  unsigned bad = em[0] | (em[1] ^ 0x02u);
  std::size_t zero_at = 0;
  unsigned found = 0;
  for (std::size_t i = 2; i < em.size(); ++i) {
    const unsigned is_zero = em[i] == 0 ? 1u : 0u;
    const unsigned first = is_zero & (found ^ 1u);
    zero_at = first ? i : zero_at;
    found |= is_zero;
  }
  bad |= found ^ 1u;
  if (bad != 0 || zero_at < 10) return decryption_failed();
  return SecretBytes(em.begin() + static_cast<std::ptrdiff_t>(zero_at + 1), em.end());
}

// RFC 8017 §7.1.2 step 3 (EME-OAEP decoding, empty label, MGF1 with the same hash).
Result<SecretBytes> unpad_oaep(BytesView em, Padding padding) {
  if (padding == Padding::kPkcs1v15) return unpad_pkcs1_v15(em);
  const EVP_MD* md = oaep_md(padding);
  const std::size_t h = static_cast<std::size_t>(EVP_MD_get_size(md));
  const std::size_t k = em.size();
  if (k < 2 * h + 2) return decryption_failed();
  const Bytes l_hash = md_digest(md, {});
  BytesView masked_seed = em.subspan(1, h), masked_db = em.subspan(1 + h);
  SecretBytes seed_mask = mgf1(md, masked_db, h);
  SecretBytes seed(h);
  for (std::size_t i = 0; i < h; ++i) seed[i] = masked_seed[i] ^ seed_mask[i];
  SecretBytes db_mask = mgf1(md, BytesView(seed.data(), seed.size()), masked_db.size());
  SecretBytes db(masked_db.size());
  for (std::size_t i = 0; i < db.size(); ++i) db[i] = masked_db[i] ^ db_mask[i];
  unsigned bad = em[0];
  for (std::size_t i = 0; i < h; ++i) bad |= db[i] ^ l_hash[i];
  std::size_t one_at = 0;
  unsigned found = 0;
  for (std::size_t i = h; i < db.size(); ++i) {
    const unsigned is_one = db[i] == 1 ? 1u : 0u;
    const unsigned is_zero = db[i] == 0 ? 1u : 0u;
    const unsigned first = is_one & (found ^ 1u);
    one_at = first ? i : one_at;
    bad |= (found ^ 1u) & (is_one ^ 1u) & (is_zero ^ 1u);  // a non-zero byte before the 0x01
    found |= is_one;
  }
  bad |= found ^ 1u;
  if (bad != 0) return decryption_failed();
  return SecretBytes(db.begin() + static_cast<std::ptrdiff_t>(one_at + 1), db.end());
}

}  // namespace certseal::crypto::rsa_split
