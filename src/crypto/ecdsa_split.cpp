// Two-party ECDSA P-256 after Lindell 2017 (ecdsa_split.h).
#include "crypto/ecdsa_split.h"

#include <openssl/obj_mac.h>


#include "crypto/bn_codec.h"
#include "crypto/hash.h"
#include "crypto/ossl.h"
#include "crypto/ossl_bytes.h"
#include "crypto/pkey.h"

namespace certseal::crypto::ecdsa_split {
namespace {

using bn_codec::bn;
using bn_codec::dup;
using bn_codec::secret_bn;

constexpr std::uint8_t kVersion = 1;
constexpr std::uint8_t kTagShare = 0x45, kTagEnrol = 0x50, kTagSign = 0x65, kTagSigned = 0x66, kTagEcdh = 0x67,
                       kTagEcdhAnswer = 0x68;
constexpr std::size_t kChallengeSize = kRangeRounds / 8;

Error bad_message(const std::string& what) { return invalid_argument("bad_message", "malformed two-party ECDSA " + what); }
Error bad_proof(const std::string& what) {
  return invalid_argument("ecdsa_split_bad_proof", "the key generation proof does not hold: " + what);
}
Error bad_point() { return invalid_argument("bad_point", "not a point of P-256 (or the point at infinity)"); }
Error abort_error() {
  return unavailable("ecdsa_split_abort",
                     "the two-party ECDSA signature does not verify: the server's answer is wrong; this key must not "
                     "be used again");
}

// ---- P-256 ----
const EC_GROUP* group() {
  static const EC_GROUP* g = [] {
    EC_GROUP* made = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    if (!made) openssl_fatal("EC_GROUP_new_by_curve_name");
    return made;
  }();
  return g;
}
const BIGNUM* order() { return EC_GROUP_get0_order(group()); }

EcPoint new_point() {
  EcPoint p(EC_POINT_new(group()));
  if (!p) openssl_fatal("EC_POINT_new");
  return p;
}
// A 65-byte uncompressed point on P-256, not infinity.
Result<EcPoint> point_from(BytesView b) {
  if (b.size() != kPointSize || b[0] != 0x04) return bad_point();
  EcPoint p = new_point();
  BnCtx ctx = bn_ctx_new();
  if (EC_POINT_oct2point(group(), p.get(), b.data(), b.size(), ctx.get()) != 1) {
    drain_openssl_errors();
    return bad_point();
  }
  if (EC_POINT_is_at_infinity(group(), p.get()) || EC_POINT_is_on_curve(group(), p.get(), ctx.get()) != 1) {
    drain_openssl_errors();
    return bad_point();
  }
  return p;
}
// 65 bytes; the point at infinity as 65 zero bytes (only inside transcripts).
Bytes point_bytes(const EC_POINT* p, BN_CTX* ctx) {
  if (EC_POINT_is_at_infinity(group(), p)) return Bytes(kPointSize, 0);
  Bytes out(kPointSize);
  if (EC_POINT_point2oct(group(), p, POINT_CONVERSION_UNCOMPRESSED, out.data(), out.size(), ctx) != kPointSize) {
    openssl_fatal("EC_POINT_point2oct");
  }
  return out;
}
// k·G (k reduced mod q by OpenSSL).
EcPoint mul_g(const BIGNUM* k, BN_CTX* ctx) {
  EcPoint r = new_point();
  if (EC_POINT_mul(group(), r.get(), k, nullptr, nullptr, ctx) != 1) openssl_fatal("EC_POINT_mul");
  return r;
}
EcPoint mul(const EC_POINT* p, const BIGNUM* k, BN_CTX* ctx) {
  EcPoint r = new_point();
  if (EC_POINT_mul(group(), r.get(), nullptr, p, k, ctx) != 1) openssl_fatal("EC_POINT_mul");
  return r;
}
// x(P) mod q.
Bignum x_mod_q(const EC_POINT* p, BN_CTX* ctx) {
  Bignum x = bn_new(), r = bn_new();
  if (EC_POINT_get_affine_coordinates(group(), p, x.get(), nullptr, ctx) != 1) openssl_fatal("get_affine_coordinates");
  if (BN_nnmod(r.get(), x.get(), order(), ctx) != 1) openssl_fatal("BN_nnmod");
  return r;
}
// Uniform in [1, q-1].
Bignum random_scalar(Rng& rng, BN_CTX* ctx) {
  for (;;) {
    Bignum k = bn_codec::random_below(order(), rng, ctx);
    if (!BN_is_zero(k.get())) return k;
  }
}
Bignum mod_q_mul(const BIGNUM* a, const BIGNUM* b, BN_CTX* ctx) {
  Bignum r = bn_new();
  BN_set_flags(r.get(), BN_FLG_CONSTTIME);
  if (BN_mod_mul(r.get(), a, b, order(), ctx) != 1) openssl_fatal("BN_mod_mul");
  return r;
}
Result<Bignum> mod_q_inverse(const BIGNUM* a, BN_CTX* ctx) {
  Bignum r(BN_mod_inverse(nullptr, a, order(), ctx));
  if (!r) {
    drain_openssl_errors();
    return bad_message("scalar (not invertible)");
  }
  return r;
}
SecretBytes scalar_secret(const BIGNUM* v) { return bn_codec::to_secret(v, 32).value(); }
// x1 from the device share, taken mod q (any 32 bytes are some share), never zero.
Bignum device_x1(const DeviceShare& share, BN_CTX* ctx) {
  Bignum raw = secret_bn(share.x1());
  Bignum x = bn_new();
  BN_set_flags(x.get(), BN_FLG_CONSTTIME);
  if (BN_nnmod(x.get(), raw.get(), order(), ctx) != 1) openssl_fatal("BN_nnmod");
  if (BN_is_zero(x.get())) BN_one(x.get());
  return x;
}

// ---- byte encoding: tag, version, u16-prefixed fields ----
class Writer {
 public:
  explicit Writer(std::uint8_t tag) : out_{tag, kVersion} {}
  Writer& field(BytesView f) {
    out_.push_back(static_cast<std::uint8_t>(f.size() >> 8));
    out_.push_back(static_cast<std::uint8_t>(f.size() & 0xff));
    out_.insert(out_.end(), f.begin(), f.end());
    return *this;
  }
  SecretBytes take() { return std::move(out_); }
  Bytes take_public() { return Bytes(out_.begin(), out_.end()); }

 private:
  SecretBytes out_;
};
class Reader {
 public:
  Reader(BytesView b, std::uint8_t tag) : b_(b), ok_(b.size() >= 2 && b[0] == tag && b[1] == kVersion) {}
  bool ok() const { return ok_; }
  bool field(Bytes& out) {
    if (!ok_ || b_.size() - at_ < 2) return ok_ = false;
    const std::size_t n = (static_cast<std::size_t>(b_[at_]) << 8) | b_[at_ + 1];
    at_ += 2;
    if (b_.size() - at_ < n) return ok_ = false;
    out.assign(b_.begin() + static_cast<std::ptrdiff_t>(at_), b_.begin() + static_cast<std::ptrdiff_t>(at_ + n));
    at_ += n;
    return true;
  }
  bool done() const { return ok_ && at_ == b_.size(); }

 private:
  BytesView b_;
  std::size_t at_ = 2;
  bool ok_;
};

// ---- transcripts ----
void put_len(Bytes& t, std::size_t n) {
  for (int i = 3; i >= 0; --i) t.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
}
void put_part(Bytes& t, BytesView b) {
  put_len(t, b.size());
  t.insert(t.end(), b.begin(), b.end());
}
// H(domain, context, N, ckey, Q1): what every challenge of the enrolment is bound to.
Bytes transcript_base(std::string_view context, BytesView n, BytesView ckey, BytesView q1) {
  Bytes t = certseal::to_bytes("certseal-shield-v1 p256-enrol\n");
  put_part(t, certseal::to_bytes(std::string(context)));
  put_part(t, n);
  put_part(t, ckey);
  put_part(t, q1);
  return sha256(t);
}
// ρ_i = SHA-256 expansion of (base, "rho", i) to |N| + 16 bytes, mod N.
Bignum rho(BytesView base, int i, const BIGNUM* n, BN_CTX* ctx) {
  const std::size_t len = static_cast<std::size_t>(BN_num_bytes(n)) + 16;
  Bytes wide;
  for (std::uint32_t counter = 0; wide.size() < len; ++counter) {
    Bytes in(base.begin(), base.end());
    const std::string tag = "rho";
    in.insert(in.end(), tag.begin(), tag.end());
    put_len(in, static_cast<std::size_t>(i));
    put_len(in, counter);
    const Bytes d = sha256(in);
    wide.insert(wide.end(), d.begin(), d.end());
  }
  wide.resize(len);
  Bignum w = bn(wide), r = bn_new();
  if (BN_nnmod(r.get(), w.get(), n, ctx) != 1) openssl_fatal("BN_nnmod");
  return r;
}
// e = the first 128 bits of H(base, "range", C_i ‖ Y_i for every round).
Bytes range_challenge(BytesView base, const std::vector<Bytes>& c, const std::vector<Bytes>& y) {
  Bytes t(base.begin(), base.end());
  const std::string tag = "range";
  t.insert(t.end(), tag.begin(), tag.end());
  for (std::size_t i = 0; i < c.size(); ++i) {
    put_part(t, c[i]);
    put_part(t, y[i]);
  }
  Bytes e = sha256(t);
  e.resize(kChallengeSize);
  return e;
}
bool challenge_bit(BytesView e, int i) { return ((e[static_cast<std::size_t>(i) / 8] >> (7 - i % 8)) & 1) != 0; }

// q·2^λ: the bound on z_i (and on |x1| the proof admits).
Bignum range_bound() {
  Bignum b = dup(order());
  if (BN_lshift(b.get(), b.get(), kStatBits) != 1) openssl_fatal("BN_lshift");
  return b;
}

// The odd primes below kSmallPrimeBound (sieve, computed once).
const std::vector<unsigned>& small_primes() {
  static const std::vector<unsigned> primes = [] {
    std::vector<bool> composite(kSmallPrimeBound, false);
    std::vector<unsigned> out;
    for (unsigned i = 2; i < kSmallPrimeBound; ++i) {
      if (composite[i]) continue;
      out.push_back(i);
      for (unsigned j = i * 2; j < kSmallPrimeBound; j += i) composite[j] = true;
    }
    return out;
  }();
  return primes;
}

Result<paillier::PublicKey> modulus_of(const EnrolRequest& r) {
  auto pk = paillier::PublicKey::from_modulus(r.n);
  if (!pk) return invalid_argument("ecdsa_split_bad_key", "the Paillier modulus is not odd with 2047 to 4096 bits");
  if (r.n.empty() || r.n[0] == 0) return invalid_argument("ecdsa_split_bad_key", "the Paillier modulus is not minimal");
  return pk;
}

}  // namespace

struct Access {
  static ServerShare make(SecretBytes x2, Bytes n, Bytes ckey, Bytes q) {
    ServerShare s;
    s.x2_ = std::move(x2);
    s.n_ = std::move(n);
    s.ckey_ = std::move(ckey);
    s.q_ = std::move(q);
    return s;
  }
};

// ---- shares and messages ----

Result<DeviceShare> DeviceShare::from_parts(BytesView secret, BytesView spki_der) {
  if (secret.size() != kSecretSize) return invalid_argument("ecdsa_split_bad_key", "the device share is not 64 bytes");
  CS_ASSIGN(auto pub, PublicKey::from_spki_der(spki_der));
  if (pub.type() != KeyType::kEcP256) return invalid_argument("ecdsa_split_bad_key", "the key is not a P-256 key");
  DeviceShare s;
  s.secret_.assign(secret.begin(), secret.end());
  s.spki_ = pub.spki_der();
  CS_ASSIGN(s.point_, pub.ec_point());
  return s;
}

SecretBytes ServerShare::export_bytes() const {
  return Writer(kTagShare).field(BytesView(x2_.data(), x2_.size())).field(n_).field(ckey_).field(q_).take();
}

bool ServerShare::is_ecdsa_share(BytesView b) { return b.size() > 2 && b[0] == kTagShare && b[1] == kVersion; }

Result<ServerShare> ServerShare::import_bytes(BytesView b) {
  Reader r(b, kTagShare);
  Bytes x2, n, ckey, q;
  if (!r.field(x2) || !r.field(n) || !r.field(ckey) || !r.field(q) || !r.done()) return bad_message("server share");
  if (x2.size() != 32 || q.size() != kPointSize || n.size() < 256 || ckey.size() > 2 * n.size()) {
    secure_wipe(x2.data(), x2.size());
    return bad_message("server share");
  }
  ServerShare s = Access::make(SecretBytes(x2.begin(), x2.end()), std::move(n), std::move(ckey), std::move(q));
  secure_wipe(x2.data(), x2.size());
  return s;
}

Bytes EnrolRequest::encode() const {
  Writer w(kTagEnrol);
  w.field(q1).field(n).field(ckey).field(challenge);
  for (const auto& s : sigma) w.field(s);
  for (std::size_t i = 0; i < z.size(); ++i) w.field(z[i]).field(u[i]);
  return w.take_public();
}

bool EnrolRequest::is_ecdsa_enrolment(BytesView b) { return b.size() > 2 && b[0] == kTagEnrol && b[1] == kVersion; }

Result<EnrolRequest> EnrolRequest::decode(BytesView b) {
  Reader r(b, kTagEnrol);
  EnrolRequest q;
  if (!r.field(q.q1) || !r.field(q.n) || !r.field(q.ckey) || !r.field(q.challenge)) return bad_message("enrolment");
  q.sigma.resize(kModulusRounds);
  for (auto& s : q.sigma) {
    if (!r.field(s)) return bad_message("enrolment");
  }
  q.z.resize(kRangeRounds);
  q.u.resize(kRangeRounds);
  for (int i = 0; i < kRangeRounds; ++i) {
    if (!r.field(q.z[static_cast<std::size_t>(i)]) || !r.field(q.u[static_cast<std::size_t>(i)])) {
      return bad_message("enrolment");
    }
  }
  if (!r.done() || q.challenge.size() != kChallengeSize) return bad_message("enrolment");
  return q;
}

Bytes SignRequest::encode() const { return Writer(kTagSign).field(digest).field(r1).take_public(); }
Result<SignRequest> SignRequest::decode(BytesView b) {
  Reader r(b, kTagSign);
  SignRequest s;
  if (!r.field(s.digest) || !r.field(s.r1) || !r.done() || s.r1.size() != kPointSize) return bad_message("sign request");
  if (s.digest.size() != 32) return invalid_argument("bad_digest_length", "a SHA-256 digest is 32 bytes");
  return s;
}
Bytes SignResponse::encode() const { return Writer(kTagSigned).field(r2).field(c3).take_public(); }
Result<SignResponse> SignResponse::decode(BytesView b) {
  Reader r(b, kTagSigned);
  SignResponse s;
  if (!r.field(s.r2) || !r.field(s.c3) || !r.done() || s.r2.size() != kPointSize) return bad_message("sign answer");
  return s;
}
Bytes EcdhRequest::encode() const { return Writer(kTagEcdh).field(t1).take_public(); }
Result<EcdhRequest> EcdhRequest::decode(BytesView b) {
  Reader r(b, kTagEcdh);
  EcdhRequest s;
  if (!r.field(s.t1) || !r.done() || s.t1.size() != kPointSize) return bad_message("key agreement request");
  return s;
}
Bytes EcdhResponse::encode() const { return Writer(kTagEcdhAnswer).field(t2).take_public(); }
Result<EcdhResponse> EcdhResponse::decode(BytesView b) {
  Reader r(b, kTagEcdhAnswer);
  EcdhResponse s;
  if (!r.field(s.t2) || !r.done() || s.t2.size() != kPointSize) return bad_message("key agreement answer");
  return s;
}

// ---- key generation ----

namespace {
Result<KeygenStart> keygen_start(std::string_view context, Bignum x1, Rng& rng, BN_CTX* ctx);
}  // namespace

Result<KeygenStart> device_keygen_start(std::string_view context, Rng& rng) {
  BnCtx ctx = bn_ctx_new();
  return keygen_start(context, random_scalar(rng, ctx.get()), rng, ctx.get());
}

Result<KeygenStart> TEST_keygen_start_with(std::string_view context, BytesView x1, Rng& rng) {
  BnCtx ctx = bn_ctx_new();
  return keygen_start(context, secret_bn(x1), rng, ctx.get());
}

namespace {
Result<KeygenStart> keygen_start(std::string_view context, Bignum x1, Rng& rng, BN_CTX* ctx) {
  SecretBytes seed;
  CS_ASSIGN(auto sk, paillier::SecretKey::generate(rng, &seed));
  const paillier::PublicKey& pk = sk.public_key();
  EcPoint q1 = mul_g(x1.get(), ctx);
  Bignum r = pk.random_unit(rng, ctx);
  Bignum ckey = pk.encrypt(x1.get(), r.get(), ctx);
  const std::size_t csize = pk.ciphertext_size();

  KeygenStart out;
  EnrolRequest& q = out.request;
  q.q1 = point_bytes(q1.get(), ctx);
  q.n = pk.modulus();
  CS_ASSIGN(q.ckey, bn_codec::to_bytes(ckey.get(), csize));
  const Bytes base = transcript_base(context, q.n, q.ckey, q.q1);

  // Modulus proof: N-th roots of the hashed ρ_i.
  for (int i = 0; i < kModulusRounds; ++i) {
    Bignum rho_i = rho(base, i, pk.n(), ctx);
    Bignum sigma = sk.nth_root(rho_i.get(), ctx);
    CS_ASSIGN(auto s, bn_codec::to_bytes(sigma.get(), pk.modulus_size()));
    q.sigma.push_back(std::move(s));
  }

  // Range proof: y_i below (2^λ − 1)·q, so z_i = y_i + x1 < q·2^λ without re-sampling.
  Bignum y_bound = range_bound();
  if (BN_sub(y_bound.get(), y_bound.get(), order()) != 1) openssl_fatal("BN_sub");
  std::vector<Bignum> ys, ss;
  std::vector<Bytes> cs, yp;
  for (int i = 0; i < kRangeRounds; ++i) {
    Bignum y = bn_codec::random_below(y_bound.get(), rng, ctx);
    Bignum s = pk.random_unit(rng, ctx);
    Bignum c = pk.encrypt(y.get(), s.get(), ctx);
    CS_ASSIGN(auto cb, bn_codec::to_bytes(c.get(), csize));
    cs.push_back(std::move(cb));
    EcPoint yg = mul_g(y.get(), ctx);
    yp.push_back(point_bytes(yg.get(), ctx));
    ys.push_back(std::move(y));
    ss.push_back(std::move(s));
  }
  q.challenge = range_challenge(base, cs, yp);
  for (int i = 0; i < kRangeRounds; ++i) {
    const auto at = static_cast<std::size_t>(i);
    Bignum z = dup(ys[at].get());
    Bignum u = dup(ss[at].get());
    if (challenge_bit(q.challenge, i)) {
      if (BN_add(z.get(), z.get(), x1.get()) != 1) openssl_fatal("BN_add");
      if (BN_mod_mul(u.get(), u.get(), r.get(), pk.n(), ctx) != 1) openssl_fatal("BN_mod_mul");
    }
    q.z.push_back(bn_codec::to_min_bytes(z.get()));
    CS_ASSIGN(auto ub, bn_codec::to_bytes(u.get(), pk.modulus_size()));
    q.u.push_back(std::move(ub));
  }
  Bignum x1_mod_q = bn_new();
  if (BN_nnmod(x1_mod_q.get(), x1.get(), order(), ctx) != 1) openssl_fatal("BN_nnmod");
  out.state.secret = scalar_secret(x1_mod_q.get());
  out.state.secret.insert(out.state.secret.end(), seed.begin(), seed.end());
  return out;
}
}  // namespace

Result<DeviceShare> device_keygen_finish(const DeviceKeygen& state, BytesView q_point) {
  CS_TRY(point_from(q_point));
  CS_ASSIGN(auto pub, PublicKey::ec_from_point(KeyType::kEcP256, q_point));
  return DeviceShare::from_parts(BytesView(state.secret.data(), state.secret.size()), pub.spki_der());
}

Status verify_modulus_proof(const EnrolRequest& request, std::string_view context) {
  CS_ASSIGN(auto pk, modulus_of(request));
  BnCtx ctx = bn_ctx_new();
  // Trial division: no prime factor below 2^16 (so every round's soundness error is <= 2^-16).
  for (unsigned p : small_primes()) {
    if (BN_mod_word(pk.n(), p) == 0) return bad_proof("the Paillier modulus has a small factor");
  }
  if (request.sigma.size() != static_cast<std::size_t>(kModulusRounds)) return bad_proof("wrong number of roots");
  const Bytes base = transcript_base(context, request.n, request.ckey, request.q1);
  Bignum g = bn_new(), back = bn_new();
  for (int i = 0; i < kModulusRounds; ++i) {
    Bignum rho_i = rho(base, i, pk.n(), ctx.get());
    if (BN_gcd(g.get(), rho_i.get(), pk.n(), ctx.get()) != 1) openssl_fatal("BN_gcd");
    if (!BN_is_one(g.get())) return bad_proof("a challenge shares a factor with N");
    Bignum sigma = bn(request.sigma[static_cast<std::size_t>(i)]);
    if (BN_is_zero(sigma.get()) || BN_cmp(sigma.get(), pk.n()) >= 0) return bad_proof("a root is not below N");
    if (BN_mod_exp(back.get(), sigma.get(), pk.n(), pk.n(), ctx.get()) != 1) openssl_fatal("BN_mod_exp");
    if (BN_cmp(back.get(), rho_i.get()) != 0) return bad_proof("an N-th root is wrong");
  }
  return {};
}

Status verify_range_proof(const EnrolRequest& request, std::string_view context) {
  CS_ASSIGN(auto pk, modulus_of(request));
  CS_ASSIGN(auto q1, point_from(request.q1));
  BnCtx ctx = bn_ctx_new();
  if (request.z.size() != static_cast<std::size_t>(kRangeRounds) || request.u.size() != request.z.size() ||
      request.challenge.size() != kChallengeSize) {
    return bad_proof("wrong number of rounds");
  }
  Bignum ckey = bn(request.ckey);
  if (request.ckey.size() != pk.ciphertext_size() || !pk.valid_ciphertext(ckey.get(), ctx.get())) {
    return bad_proof("the encrypted share is not a ciphertext of N");
  }
  Bignum ckey_inv(BN_mod_inverse(nullptr, ckey.get(), pk.n_squared(), ctx.get()));
  if (!ckey_inv) openssl_fatal("BN_mod_inverse");
  EcPoint neg_q1(EC_POINT_dup(q1.get(), group()));
  if (!neg_q1 || EC_POINT_invert(group(), neg_q1.get(), ctx.get()) != 1) openssl_fatal("EC_POINT_invert");
  const Bignum bound = range_bound();
  const std::size_t csize = pk.ciphertext_size();
  std::vector<Bytes> cs, ys;
  for (int i = 0; i < kRangeRounds; ++i) {
    const auto at = static_cast<std::size_t>(i);
    if (request.z[at].size() > 64 || request.u[at].size() != pk.modulus_size()) return bad_proof("a response is malformed");
    Bignum z = bn(request.z[at]);
    if (BN_cmp(z.get(), bound.get()) >= 0) return bad_proof("a response is out of range");
    Bignum u = bn(request.u[at]);
    if (!pk.valid_ciphertext(u.get(), ctx.get()) || BN_cmp(u.get(), pk.n()) >= 0) {
      return bad_proof("a response is not a unit mod N");
    }
    const bool e = challenge_bit(request.challenge, i);
    // C_i = Enc(z_i; u_i) · ckey^-e_i, Y_i = z_i·G − e_i·Q1.
    Bignum c = pk.encrypt(z.get(), u.get(), ctx.get());
    if (e) c = pk.add(c.get(), ckey_inv.get(), ctx.get());
    CS_ASSIGN(auto cb, bn_codec::to_bytes(c.get(), csize));
    cs.push_back(std::move(cb));
    EcPoint y = mul_g(z.get(), ctx.get());
    if (e && EC_POINT_add(group(), y.get(), y.get(), neg_q1.get(), ctx.get()) != 1) openssl_fatal("EC_POINT_add");
    ys.push_back(point_bytes(y.get(), ctx.get()));
  }
  const Bytes base = transcript_base(context, request.n, request.ckey, request.q1);
  if (range_challenge(base, cs, ys) != request.challenge) {
    return bad_proof("the encrypted share does not match Q1 within the range");
  }
  return {};
}

Result<Accepted> server_accept(const EnrolRequest& request, std::string_view context, Rng& rng) {
  if (!point_from(request.q1)) return invalid_argument("ecdsa_split_bad_key", "Q1 is not a point of P-256");
  CS_TRY(modulus_of(request));
  CS_TRY(verify_modulus_proof(request, context));
  CS_TRY(verify_range_proof(request, context));
  BnCtx ctx = bn_ctx_new();
  CS_ASSIGN(auto q1, point_from(request.q1));
  Bignum x2 = random_scalar(rng, ctx.get());
  EcPoint q = mul(q1.get(), x2.get(), ctx.get());
  Accepted a;
  a.public_point = point_bytes(q.get(), ctx.get());
  a.share = Access::make(scalar_secret(x2.get()), request.n, request.ckey, a.public_point);
  return a;
}

// ---- signing ----

Result<SignStart> device_sign_start(const DeviceShare&, BytesView sha256_digest, Rng& rng) {
  if (sha256_digest.size() != 32) return invalid_argument("bad_digest_length", "a SHA-256 digest is 32 bytes");
  BnCtx ctx = bn_ctx_new();
  Bignum k1 = random_scalar(rng, ctx.get());
  EcPoint r1 = mul_g(k1.get(), ctx.get());
  SignStart s;
  s.state.k1 = scalar_secret(k1.get());
  s.state.digest.assign(sha256_digest.begin(), sha256_digest.end());
  s.request.digest = s.state.digest;
  s.request.r1 = point_bytes(r1.get(), ctx.get());
  return s;
}

Result<SignResponse> server_sign(const ServerShare& share, const SignRequest& request, Rng& rng) {
  if (request.digest.size() != 32) return invalid_argument("bad_digest_length", "a SHA-256 digest is 32 bytes");
  CS_ASSIGN(auto r1, point_from(request.r1));
  CS_ASSIGN(auto pk, paillier::PublicKey::from_modulus(share.modulus()));
  BnCtx ctx = bn_ctx_new();
  Bignum ckey = bn(share.ckey());
  Bignum x2 = secret_bn(BytesView(share.x2().data(), share.x2().size()));
  Bignum e = bn(request.digest);
  if (BN_nnmod(e.get(), e.get(), order(), ctx.get()) != 1) openssl_fatal("BN_nnmod");
  for (;;) {
    Bignum k2 = random_scalar(rng, ctx.get());
    EcPoint big_r = mul(r1.get(), k2.get(), ctx.get());
    Bignum r = x_mod_q(big_r.get(), ctx.get());
    if (BN_is_zero(r.get())) continue;
    BN_set_flags(k2.get(), BN_FLG_CONSTTIME);
    CS_ASSIGN(auto k2_inv, mod_q_inverse(k2.get(), ctx.get()));
    Bignum a = mod_q_mul(k2_inv.get(), e.get(), ctx.get());
    Bignum t = mod_q_mul(k2_inv.get(), r.get(), ctx.get());
    Bignum b = mod_q_mul(t.get(), x2.get(), ctx.get());
    // ρ uniform in [0, q²·2^λ); plaintext ρ·q + a.
    Bignum rho_bound = bn_new();
    if (BN_sqr(rho_bound.get(), order(), ctx.get()) != 1) openssl_fatal("BN_sqr");
    if (BN_lshift(rho_bound.get(), rho_bound.get(), kStatBits) != 1) openssl_fatal("BN_lshift");
    Bignum rho_v = bn_codec::random_below(rho_bound.get(), rng, ctx.get());
    Bignum m = bn_new();
    if (BN_mul(m.get(), rho_v.get(), order(), ctx.get()) != 1 || BN_add(m.get(), m.get(), a.get()) != 1) {
      openssl_fatal("BN_mul");
    }
    Bignum c1 = pk.encrypt(m.get(), rng, ctx.get());
    Bignum c2 = pk.scale(ckey.get(), b.get(), ctx.get());
    Bignum c3 = pk.add(c1.get(), c2.get(), ctx.get());
    EcPoint r2 = mul_g(k2.get(), ctx.get());
    SignResponse out;
    out.r2 = point_bytes(r2.get(), ctx.get());
    CS_ASSIGN(out.c3, bn_codec::to_bytes(c3.get(), pk.ciphertext_size()));
    return out;
  }
}

Result<Bytes> device_sign_finish(const DeviceShare& share, const SignState& state, const SignResponse& response) {
  auto r2 = point_from(response.r2);
  if (!r2) return abort_error();
  CS_ASSIGN(auto sk, paillier::SecretKey::from_seed(share.seed()));
  BnCtx ctx = bn_ctx_new();
  Bignum c3 = bn(response.c3);
  auto plain = sk.decrypt(c3.get(), ctx.get());
  if (!plain) return abort_error();
  Bignum k1 = secret_bn(BytesView(state.k1.data(), state.k1.size()));
  EcPoint big_r = mul(r2->get(), k1.get(), ctx.get());
  if (EC_POINT_is_at_infinity(group(), big_r.get())) return abort_error();
  Bignum r = x_mod_q(big_r.get(), ctx.get());
  Bignum s_prime = bn_new();
  if (BN_nnmod(s_prime.get(), plain->get(), order(), ctx.get()) != 1) openssl_fatal("BN_nnmod");
  CS_ASSIGN(auto k1_inv, mod_q_inverse(k1.get(), ctx.get()));
  Bignum s = mod_q_mul(k1_inv.get(), s_prime.get(), ctx.get());
  if (BN_is_zero(r.get()) || BN_is_zero(s.get())) return abort_error();
  Bignum half = dup(order());
  if (BN_rshift1(half.get(), half.get()) != 1) openssl_fatal("BN_rshift1");
  if (BN_cmp(s.get(), half.get()) > 0 && BN_sub(s.get(), order(), s.get()) != 1) openssl_fatal("BN_sub");

  EcdsaSig sig(ECDSA_SIG_new());
  if (!sig) openssl_fatal("ECDSA_SIG_new");
  Bignum r_owned = dup(r.get()), s_owned = dup(s.get());
  if (ECDSA_SIG_set0(sig.get(), r_owned.get(), s_owned.get()) != 1) openssl_fatal("ECDSA_SIG_set0");
  r_owned.release();
  s_owned.release();
  auto der = take_ossl_bytes([&](unsigned char** o) { return i2d_ECDSA_SIG(sig.get(), o); });
  if (!der) openssl_fatal("i2d_ECDSA_SIG");
  Bytes out = std::move(*der);

  // Verify (r, s) for the digest under Q with OpenSSL before anyone sees it.
  CS_ASSIGN(auto pub, PublicKey::from_spki_der(share.spki()));
  EvpPkeyCtx vctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pub.get(), nullptr));
  if (!vctx || EVP_PKEY_verify_init(vctx.get()) != 1 || EVP_PKEY_CTX_set_signature_md(vctx.get(), EVP_sha256()) != 1) {
    return openssl_internal("EVP_PKEY_verify_init");
  }
  const int ok = EVP_PKEY_verify(vctx.get(), out.data(), out.size(), state.digest.data(), state.digest.size());
  drain_openssl_errors();
  if (ok != 1) return abort_error();
  return out;
}

// ---- ECDH ----

Result<EcdhStart> device_ecdh_start(const DeviceShare& share, BytesView peer, Rng& rng) {
  CS_ASSIGN(auto r, point_from(peer));
  BnCtx ctx = bn_ctx_new();
  Bignum x1 = device_x1(share, ctx.get());
  Bignum b = random_scalar(rng, ctx.get());
  BN_set_flags(b.get(), BN_FLG_CONSTTIME);
  Bignum bx = mod_q_mul(b.get(), x1.get(), ctx.get());
  EcPoint t1 = mul(r.get(), bx.get(), ctx.get());
  CS_ASSIGN(auto b_inv, mod_q_inverse(b.get(), ctx.get()));
  EcdhStart s;
  s.state.b_inv = scalar_secret(b_inv.get());
  s.request.t1 = point_bytes(t1.get(), ctx.get());
  return s;
}

Result<EcdhResponse> server_ecdh(const ServerShare& share, const EcdhRequest& request) {
  CS_ASSIGN(auto t1, point_from(request.t1));
  BnCtx ctx = bn_ctx_new();
  Bignum x2 = secret_bn(BytesView(share.x2().data(), share.x2().size()));
  EcPoint t2 = mul(t1.get(), x2.get(), ctx.get());
  return EcdhResponse{point_bytes(t2.get(), ctx.get())};
}

Result<SecretBytes> device_ecdh_finish(const DeviceShare&, const EcdhState& state, const EcdhResponse& response) {
  auto t2 = point_from(response.t2);
  if (!t2) return unavailable("cosign_bad_server_answer", "the server's key agreement answer is not a point");
  BnCtx ctx = bn_ctx_new();
  Bignum b_inv = secret_bn(BytesView(state.b_inv.data(), state.b_inv.size()));
  EcPoint z = mul(t2->get(), b_inv.get(), ctx.get());
  if (EC_POINT_is_at_infinity(group(), z.get())) {
    return unavailable("cosign_bad_server_answer", "the server's key agreement answer is wrong");
  }
  Bignum x = bn_new();
  if (EC_POINT_get_affine_coordinates(group(), z.get(), x.get(), nullptr, ctx.get()) != 1) {
    openssl_fatal("get_affine_coordinates");
  }
  CS_ASSIGN(auto out, bn_codec::to_secret(x.get(), 32));
  return out;
}

}  // namespace certseal::crypto::ecdsa_split
