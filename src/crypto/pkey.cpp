#include "crypto/pkey.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>

#include "crypto/ossl_bytes.h"
#include "crypto/sm2.h"
#include "crypto/sm2_curve.h"

namespace certseal::crypto {
namespace {

Error unsupported_key(std::string detail) {
  return Error(ErrorKind::kInvalidArgument, "unsupported_key_type",
               "the key type is not supported (SM2, EC P-256, RSA 2048/3072)", std::move(detail));
}
Error bad_key_encoding() {
  return openssl_error(ErrorKind::kInvalidArgument, "bad_key_encoding", "the key could not be read");
}
Error signature_invalid() {
  drain_openssl_errors();
  return invalid_argument("signature_invalid", "the signature is not valid");
}
Error scheme_mismatch() {
  return invalid_argument("scheme_key_mismatch", "the algorithm does not fit the key type");
}

std::string group_name(EVP_PKEY* p) {
  char name[64] = {0};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(p, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) != 1) {
    drain_openssl_errors();
    return {};
  }
  return std::string(name, len);
}

bool is_p256(const std::string& g) { return g == "prime256v1" || g == "P-256" || g == "secp256r1"; }

// An EC key on the SM2 curve decoded with the generic "EC" key manager signs with ECDSA; SM2
// needs the "SM2" key manager, so such keys are re-imported under it.
Result<EvpPkey> rebuild_as(EVP_PKEY* p, const char* keytype, int selection) {
  OSSL_PARAM* raw = nullptr;
  if (EVP_PKEY_todata(p, selection, &raw) != 1) return openssl_internal("EVP_PKEY_todata");
  OsslParams params(raw);
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, keytype, nullptr));
  EVP_PKEY* out = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, selection, params.get()) != 1) {
    return openssl_internal("EVP_PKEY_fromdata");
  }
  return EvpPkey(out);
}

// Classifies the key; may replace it (SM2 curve under "EC").
Result<KeyType> classify(EvpPkey& p, int selection) {
  if (EVP_PKEY_is_a(p.get(), "SM2")) return KeyType::kSm2;
  if (EVP_PKEY_is_a(p.get(), "EC")) {
    std::string g = group_name(p.get());
    if (g == "SM2") {
      CS_ASSIGN(p, rebuild_as(p.get(), "SM2", selection));
      return KeyType::kSm2;
    }
    if (is_p256(g)) return KeyType::kEcP256;
    return unsupported_key("EC group " + g);
  }
  if (EVP_PKEY_is_a(p.get(), "RSA")) {
    int bits = EVP_PKEY_get_bits(p.get());
    if (bits == 2048) return KeyType::kRsa2048;
    if (bits == 3072) return KeyType::kRsa3072;
    return unsupported_key("RSA " + std::to_string(bits) + " bits");
  }
  return unsupported_key(EVP_PKEY_get0_type_name(p.get()) ? EVP_PKEY_get0_type_name(p.get()) : "?");
}

template <class Out>
Result<Out> encode_key(EVP_PKEY* p, int selection, const char* type, const char* structure) {
  OsslEncoderCtx ctx(OSSL_ENCODER_CTX_new_for_pkey(p, selection, type, structure, nullptr));
  if (!ctx || OSSL_ENCODER_CTX_get_num_encoders(ctx.get()) == 0) {
    return openssl_internal("OSSL_ENCODER_CTX_new_for_pkey");
  }
  unsigned char* data = nullptr;
  std::size_t len = 0;
  if (OSSL_ENCODER_to_data(ctx.get(), &data, &len) != 1) return openssl_internal("OSSL_ENCODER_to_data");
  Out out(data, data + len);
  OPENSSL_clear_free(data, len);
  return out;
}

Result<EvpPkey> decode_key(BytesView data, const char* input_type, int selection) {
  EVP_PKEY* p = nullptr;
  OsslDecoderCtx ctx(
      OSSL_DECODER_CTX_new_for_pkey(&p, input_type, nullptr, nullptr, selection, nullptr, nullptr));
  if (!ctx) return openssl_internal("OSSL_DECODER_CTX_new_for_pkey");
  const unsigned char* in = data.data();
  std::size_t len = data.size();
  if (OSSL_DECODER_from_data(ctx.get(), &in, &len) != 1 || p == nullptr) {
    EVP_PKEY_free(p);
    return bad_key_encoding();
  }
  return EvpPkey(p);
}

struct EcCurveInfo {
  int nid;
  const char* group;
  const char* keytype;
};

Result<EcCurveInfo> ec_curve(KeyType t) {
  if (t == KeyType::kSm2) return EcCurveInfo{NID_sm2, "SM2", "SM2"};
  if (t == KeyType::kEcP256) return EcCurveInfo{NID_X9_62_prime256v1, "prime256v1", "EC"};
  return unsupported_key("not an EC key type");
}

Result<EvpPkey> ec_key_from_scalar(const EcCurveInfo& info, const BIGNUM* d) {
  EcGroup group(EC_GROUP_new_by_curve_name(info.nid));
  if (!group) return openssl_internal("EC_GROUP_new_by_curve_name");
  if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(group.get())) >= 0) {
    return invalid_argument("scalar_out_of_range", "the private key is not in the range [1, n-1]");
  }
  BnCtx bctx = bn_ctx_new();
  Bytes pub_oct(65);
  if (info.nid == NID_sm2 && !sm2::engine_is_openssl()) {
    SecretBytes db = bn_to_secret32(d);
    CS_ASSIGN(sm2::Scalar k, sm2::Scalar::parse(db, "the private key"));
    pub_oct = sm2::mul_base(k).bytes();
    sm2::ct_declassify(BytesView(pub_oct));  // the public key
  } else {
    EcPoint pub(EC_POINT_new(group.get()));
    if (!pub || EC_POINT_mul(group.get(), pub.get(), d, nullptr, nullptr, bctx.get()) != 1) {
      return openssl_internal("EC_POINT_mul");
    }
    if (EC_POINT_point2oct(group.get(), pub.get(), POINT_CONVERSION_UNCOMPRESSED, pub_oct.data(), pub_oct.size(),
                           bctx.get()) != 65) {
      return openssl_internal("EC_POINT_point2oct");
    }
  }
  OsslParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, info.group, 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, d) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, pub_oct.data(), pub_oct.size()) != 1) {
    return openssl_internal("OSSL_PARAM_BLD_push");
  }
  OsslParams params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, info.keytype, nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_KEYPAIR, params.get()) != 1) {
    return openssl_internal("EVP_PKEY_fromdata");
  }
  return EvpPkey(out);
}

bool scheme_fits(SignScheme s, KeyType t) {
  switch (s) {
    case SignScheme::kSm2Sm3:
      return t == KeyType::kSm2;
    case SignScheme::kEcdsaSha256:
    case SignScheme::kEcdsaSha384:
      return t == KeyType::kEcP256;
    case SignScheme::kRsaPkcs1Sha256:
    case SignScheme::kRsaPssSha256:
      return t == KeyType::kRsa2048 || t == KeyType::kRsa3072;
  }
  return false;
}

const char* scheme_md(SignScheme s) {
  switch (s) {
    case SignScheme::kSm2Sm3:
      return "SM3";
    case SignScheme::kEcdsaSha384:
      return "SHA384";
    default:
      return "SHA256";
  }
}

// Fills params for the signature operation (the array ends with an END marker). The SM2
// distinguishing ID is not among them: see sig_contexts().
void sign_params(OSSL_PARAM* params, SignScheme s, bool verifying) {
  int i = 0;
  if (s == SignScheme::kRsaPssSha256) {
    params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE,
                                                   const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_PSS), 0);
    params[i++] = OSSL_PARAM_construct_utf8_string(
        OSSL_SIGNATURE_PARAM_PSS_SALTLEN,
        const_cast<char*>(verifying ? OSSL_PKEY_RSA_PSS_SALT_LEN_AUTO : OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST), 0);
    params[i++] = OSSL_PARAM_construct_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, const_cast<char*>("SHA256"), 0);
  }
  params[i] = OSSL_PARAM_construct_end();
}

// The digest context of one sign or verify, and the key context it borrows. Member order
// matters: md is freed before pkey (EVP_MD_CTX_set_pkey_ctx does not take ownership).
struct SigContexts {
  EvpPkeyCtx pkey;
  EvpMdCtx md;
};

// Prepares the contexts for EVP_DigestSignInit_ex / EVP_DigestVerifyInit_ex. For SM2 the
// distinguishing ID (GB/T 32918.2 §5.5, Z_A) is set on the key context BEFORE the digest init,
// through EVP_PKEY_CTX_set1_id: every OpenSSL 3.0.x release accepts that and caches it until
// the init. Passing it as OSSL_PKEY_PARAM_DIST_ID in the init's params is refused by 3.0.17
// to 3.0.19 (Debian 12's stock libssl3), which crypto_old_libssl_test checks.
Result<SigContexts> sig_contexts(EVP_PKEY* key, SignScheme scheme, std::string_view sm2_id) {
  SigContexts c;
  c.md.reset(EVP_MD_CTX_new());
  if (!c.md) return openssl_internal("EVP_MD_CTX_new");
  if (scheme == SignScheme::kSm2Sm3) {
    c.pkey.reset(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!c.pkey) return openssl_internal("EVP_PKEY_CTX_new_from_pkey");
    // set1_id copies the ID; an empty ID is valid (OpenSSL's CLI default) and needs a non-null pointer.
    static const char kEmpty = 0;
    if (EVP_PKEY_CTX_set1_id(c.pkey.get(), sm2_id.empty() ? &kEmpty : sm2_id.data(), sm2_id.size()) != 1) {
      return openssl_internal("EVP_PKEY_CTX_set1_id");
    }
    EVP_MD_CTX_set_pkey_ctx(c.md.get(), c.pkey.get());
  }
  return c;
}

bool is_rsa(KeyType t) { return t == KeyType::kRsa2048 || t == KeyType::kRsa3072; }

Status set_rsa_padding(EVP_PKEY_CTX* ctx, EncryptScheme s) {
  if (s == EncryptScheme::kRsaOaepSha256) {
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1) {
      return openssl_internal("EVP_PKEY_CTX_set_rsa_oaep_md");
    }
  } else if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1) {
    return openssl_internal("EVP_PKEY_CTX_set_rsa_padding");
  }
  return ok_status();
}

Bignum random_below(const BIGNUM* order, Rng& rng) {
  SecretBytes buf(static_cast<std::size_t>(BN_num_bytes(order)));
  for (;;) {
    rng.fill(buf);
    Bignum v = bn_from_bytes(buf);
    if (!BN_is_zero(v.get()) && BN_cmp(v.get(), order) < 0) return v;
  }
}

}  // namespace

std::string_view key_type_name(KeyType t) {
  switch (t) {
    case KeyType::kSm2:
      return "sm2";
    case KeyType::kEcP256:
      return "ec-p256";
    case KeyType::kRsa2048:
      return "rsa-2048";
    case KeyType::kRsa3072:
      return "rsa-3072";
  }
  return "";
}

Result<KeyType> key_type_from_name(std::string_view name) {
  for (KeyType t : {KeyType::kSm2, KeyType::kEcP256, KeyType::kRsa2048, KeyType::kRsa3072}) {
    if (key_type_name(t) == name) return t;
  }
  return unsupported_key(std::string(name));
}

// ---- PublicKey ----

Result<PublicKey> PublicKey::adopt(EvpPkey pkey) {
  CS_ASSIGN(KeyType t, classify(pkey, EVP_PKEY_PUBLIC_KEY));
  PublicKey k(std::move(pkey));
  k.type_ = t;
  if (t == KeyType::kSm2) {
    CS_ASSIGN(k.sm2_point_, k.ec_point());
    CS_TRY(sm2::Point::parse(k.sm2_point_, "the public key"));
  }
  return k;
}

Result<PublicKey> PublicKey::from_spki_der(BytesView der) {
  const unsigned char* p = der.data();
  EvpPkey pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!pkey || p != der.data() + der.size()) return bad_key_encoding();
  return adopt(std::move(pkey));
}

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  CS_ASSIGN(EvpPkey pkey, decode_key(as_bytes(pem), "PEM", EVP_PKEY_PUBLIC_KEY));
  return adopt(std::move(pkey));
}

Result<PublicKey> PublicKey::sm2_from_point(BytesView point) {
  CS_TRY(sm2::Point::parse(point, "the public key"));
  OsslParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return openssl_internal("OSSL_PARAM_BLD_push");
  }
  OsslParams params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return openssl_internal("EVP_PKEY_fromdata(SM2 public)");
  }
  PublicKey k{EvpPkey(out)};
  k.type_ = KeyType::kSm2;
  k.sm2_point_.assign(point.begin(), point.end());
  return k;
}

Result<PublicKey> PublicKey::ec_from_point(KeyType type, BytesView point) {
  if (type == KeyType::kSm2) return sm2_from_point(point);
  CS_ASSIGN(EcCurveInfo info, ec_curve(type));
  OsslParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, info.group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return openssl_internal("OSSL_PARAM_BLD_push");
  }
  OsslParams params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, info.keytype, nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return openssl_error(ErrorKind::kInvalidArgument, "point_not_on_curve", "the public key is not a point on the curve");
  }
  return adopt(EvpPkey(out));
}

Result<PublicKey> PublicKey::rsa_from_components(BytesView n, BytesView e) {
  Bignum bn_n = bn_from_bytes(n);
  Bignum bn_e = bn_from_bytes(e);
  OsslParamBld bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return openssl_internal("OSSL_PARAM_BLD_push");
  }
  OsslParams params(OSSL_PARAM_BLD_to_param(bld.get()));
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* out = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return bad_key_encoding();
  }
  return adopt(EvpPkey(out));
}

Bytes PublicKey::spki_der() const {
  auto der = take_ossl_bytes([&](unsigned char** o) { return i2d_PUBKEY(pkey_.get(), o); });
  if (!der) openssl_fatal("i2d_PUBKEY");
  return std::move(*der);
}

std::string PublicKey::pem() const {
  auto r = encode_key<std::string>(pkey_.get(), EVP_PKEY_PUBLIC_KEY, "PEM", "SubjectPublicKeyInfo");
  if (!r.ok()) openssl_fatal("PEM public key encoding");
  return std::move(r).value();
}

Result<Bytes> PublicKey::ec_point() const {
  if (type_ != KeyType::kSm2 && type_ != KeyType::kEcP256) return unsupported_key("not an EC key");
  Bytes out(133);
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY, out.data(), out.size(), &len) != 1) {
    return openssl_internal("EVP_PKEY_get_octet_string_param(pub)");
  }
  out.resize(len);
  if (len != 65 || out[0] != 0x04) {
    // Stored compressed: decode and re-encode uncompressed.
    CS_ASSIGN(EcCurveInfo info, ec_curve(type_));
    EcGroup group(EC_GROUP_new_by_curve_name(info.nid));
    EcPoint pt(EC_POINT_new(group.get()));
    BnCtx ctx = bn_ctx_new();
    Bytes un(65);
    if (!pt || EC_POINT_oct2point(group.get(), pt.get(), out.data(), out.size(), ctx.get()) != 1 ||
        EC_POINT_point2oct(group.get(), pt.get(), POINT_CONVERSION_UNCOMPRESSED, un.data(), 65, ctx.get()) != 65) {
      return openssl_internal("EC_POINT_oct2point");
    }
    return un;
  }
  return out;
}

// ---- PrivateKey ----

Result<PrivateKey> PrivateKey::adopt(EvpPkey pkey) {
  CS_ASSIGN(KeyType t, classify(pkey, EVP_PKEY_KEYPAIR));
  return make(std::move(pkey), t);
}

Result<PrivateKey> PrivateKey::make(EvpPkey pkey, KeyType t) {
  PrivateKey k(std::move(pkey), t);
  if (t == KeyType::kSm2) {
    CS_ASSIGN(k.sm2_d_, k.ec_scalar());
    CS_ASSIGN(sm2::Scalar d, sm2::Scalar::parse(k.sm2_d_, "the private key"));
    k.sm2_inv1d_ = (d + sm2::Scalar(sm2::sc_from_u64(1))).inverse().bytes();
    PublicKey pub = k.public_key();
    k.sm2_point_ = pub.sm2_point();
  }
  return k;
}

Rng& process_rng() {
  static SystemRng rng;  // thread-safe (getrandom)
  return rng;
}

Result<PrivateKey> PrivateKey::generate(KeyType type, Rng& rng) {
  if (type == KeyType::kSm2 || type == KeyType::kEcP256) {
    CS_ASSIGN(EcCurveInfo info, ec_curve(type));
    EcGroup group(EC_GROUP_new_by_curve_name(info.nid));
    if (!group) return openssl_internal("EC_GROUP_new_by_curve_name");
    Bignum d = random_below(EC_GROUP_get0_order(group.get()), rng);
    CS_ASSIGN(EvpPkey p, ec_key_from_scalar(info, d.get()));
    return make(std::move(p), type);
  }
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* out = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), type == KeyType::kRsa3072 ? 3072 : 2048) != 1 ||
      EVP_PKEY_generate(ctx.get(), &out) != 1) {
    return openssl_internal("EVP_PKEY_generate(RSA)");
  }
  return make(EvpPkey(out), type);
}

Result<PrivateKey> PrivateKey::from_pkcs8_der(BytesView der) {
  CS_ASSIGN(EvpPkey pkey, decode_key(der, "DER", EVP_PKEY_KEYPAIR));
  return adopt(std::move(pkey));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  CS_ASSIGN(EvpPkey pkey, decode_key(as_bytes(pem), "PEM", EVP_PKEY_KEYPAIR));
  return adopt(std::move(pkey));
}

Result<PrivateKey> PrivateKey::ec_from_scalar(KeyType type, BytesView scalar) {
  CS_ASSIGN(EcCurveInfo info, ec_curve(type));
  if (scalar.size() != 32) return invalid_argument("scalar_out_of_range", "the private key is not 32 bytes");
  Bignum d = bn_from_bytes(scalar);
  CS_ASSIGN(EvpPkey p, ec_key_from_scalar(info, d.get()));
  return make(std::move(p), type);
}

SecretBytes PrivateKey::pkcs8_der() const {
  auto r = encode_key<SecretBytes>(pkey_.get(), EVP_PKEY_KEYPAIR, "DER", "PrivateKeyInfo");
  if (!r.ok()) openssl_fatal("PKCS#8 DER encoding");
  return std::move(r).value();
}

SecretString PrivateKey::pem() const {
  auto r = encode_key<SecretString>(pkey_.get(), EVP_PKEY_KEYPAIR, "PEM", "PrivateKeyInfo");
  if (!r.ok()) openssl_fatal("PKCS#8 PEM encoding");
  return std::move(r).value();
}

PublicKey PrivateKey::public_key() const {
  auto r = rebuild_as(pkey_.get(), type_ == KeyType::kSm2 ? "SM2" : (is_rsa(type_) ? "RSA" : "EC"),
                      EVP_PKEY_PUBLIC_KEY);
  if (!r.ok()) openssl_fatal("public key extraction");
  auto k = PublicKey::adopt(std::move(r).value());
  if (!k.ok()) openssl_fatal("public key classification");
  return std::move(k).value();
}

Result<SecretBytes> PrivateKey::ec_scalar() const {
  if (type_ != KeyType::kSm2 && type_ != KeyType::kEcP256) return unsupported_key("not an EC key");
  BIGNUM* d = nullptr;
  if (EVP_PKEY_get_bn_param(pkey_.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d) != 1) {
    return openssl_internal("EVP_PKEY_get_bn_param(priv)");
  }
  Bignum owned(d);
  return bn_to_secret32(owned.get());
}

Result<RsaComponents> PrivateKey::rsa_components() const {
  if (!is_rsa(type_)) return unsupported_key("not an RSA key");
  auto get = [&](const char* name, auto& out) -> Status {
    BIGNUM* v = nullptr;
    if (EVP_PKEY_get_bn_param(pkey_.get(), name, &v) != 1) return openssl_internal(name);
    Bignum owned(v);
    out.resize(static_cast<std::size_t>(BN_num_bytes(owned.get())));
    BN_bn2bin(owned.get(), out.data());
    return ok_status();
  };
  RsaComponents c;
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_N, c.n));
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_E, c.e));
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_D, c.d));
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_FACTOR1, c.p));
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_FACTOR2, c.q));
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_EXPONENT1, c.dp));
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_EXPONENT2, c.dq));
  CS_TRY(get(OSSL_PKEY_PARAM_RSA_COEFFICIENT1, c.qinv));
  return c;
}

// ---- operations ----

Result<Bytes> sign(const PrivateKey& key, SignScheme scheme, BytesView message, std::string_view sm2_id) {
  return sign(key, scheme, message, sm2_id, process_rng());
}

Result<Bytes> sign(const PrivateKey& key, SignScheme scheme, BytesView message, std::string_view sm2_id,
                   Rng& rng) {
  if (!scheme_fits(scheme, key.type())) return scheme_mismatch();
  if (scheme == SignScheme::kSm2Sm3 && !sm2::engine_is_openssl()) {
    CS_ASSIGN(Bytes e, sm2_message_digest(key.sm2_point(), sm2_id, message));
    CS_ASSIGN(Bytes raw, sm2_sign_digest(key.sm2_scalar(), e, rng, key.sm2_sign_factor()));
    return sm2_signature_der(raw);
  }
  CS_ASSIGN(auto ctx, sig_contexts(key.get(), scheme, sm2_id));
  EVP_MD_CTX* mctx = ctx.md.get();
  OSSL_PARAM params[5];
  sign_params(params, scheme, false);
  if (EVP_DigestSignInit_ex(mctx, nullptr, scheme_md(scheme), nullptr, nullptr, key.get(), params) != 1) {
    return openssl_internal("EVP_DigestSignInit_ex");
  }
  std::size_t len = 0;
  if (EVP_DigestSign(mctx, nullptr, &len, message.data(), message.size()) != 1) {
    return openssl_internal("EVP_DigestSign(size)");
  }
  Bytes sig(len);
  if (EVP_DigestSign(mctx, sig.data(), &len, message.data(), message.size()) != 1) {
    return openssl_internal("EVP_DigestSign");
  }
  sig.resize(len);
  return sig;
}

Status verify(const PublicKey& key, SignScheme scheme, BytesView message, BytesView signature,
              std::string_view sm2_id) {
  if (!scheme_fits(scheme, key.type())) return scheme_mismatch();
  if (scheme == SignScheme::kSm2Sm3 && !sm2::engine_is_openssl()) {
    auto raw = ec_sig_der_to_raw(signature);
    if (!raw.ok()) return signature_invalid();
    CS_ASSIGN(Bytes e, sm2_message_digest(key.sm2_point(), sm2_id, message));
    if (!sm2_verify_digest(key.sm2_point(), e, *raw).ok()) return signature_invalid();
    return ok_status();
  }
  CS_ASSIGN(auto ctx, sig_contexts(key.get(), scheme, sm2_id));
  EVP_MD_CTX* mctx = ctx.md.get();
  OSSL_PARAM params[5];
  sign_params(params, scheme, true);
  if (EVP_DigestVerifyInit_ex(mctx, nullptr, scheme_md(scheme), nullptr, nullptr, key.get(), params) != 1) {
    return openssl_internal("EVP_DigestVerifyInit_ex");
  }
  if (EVP_DigestVerify(mctx, signature.data(), signature.size(), message.data(), message.size()) != 1) {
    return signature_invalid();
  }
  return ok_status();
}

Status verify_rsa_pkcs1_sha256_digest(const PublicKey& key, BytesView digest, BytesView signature) {
  if (!is_rsa(key.type())) return scheme_mismatch();
  if (digest.size() != 32) return signature_invalid();
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return openssl_internal("EVP_PKEY_verify_init");
  if (EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
    return openssl_internal("EVP_PKEY_CTX_set_signature_md");
  }
  if (EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) != 1) {
    return signature_invalid();
  }
  return ok_status();
}

Status verify_ecdsa_p256_sha256_digest(const PublicKey& key, BytesView digest, BytesView signature) {
  if (key.type() != KeyType::kEcP256) return scheme_mismatch();
  if (digest.size() != 32) return signature_invalid();
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1) return openssl_internal("EVP_PKEY_verify_init");
  if (EVP_PKEY_CTX_set_signature_md(ctx.get(), EVP_sha256()) != 1) {
    return openssl_internal("EVP_PKEY_CTX_set_signature_md");
  }
  if (EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), digest.data(), digest.size()) != 1) {
    return signature_invalid();
  }
  return ok_status();
}

Result<Bytes> encrypt(const PublicKey& key, EncryptScheme scheme, BytesView plain) {
  if (scheme == EncryptScheme::kSm2C1C3C2 || scheme == EncryptScheme::kSm2C1C2C3) {
    if (key.type() != KeyType::kSm2) return scheme_mismatch();
    return sm2_encrypt(key, plain,
                       scheme == EncryptScheme::kSm2C1C3C2 ? Sm2CipherOrder::kC1C3C2 : Sm2CipherOrder::kC1C2C3);
  }
  if (!is_rsa(key.type())) return scheme_mismatch();
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) != 1) return openssl_internal("EVP_PKEY_encrypt_init");
  CS_TRY(set_rsa_padding(ctx.get(), scheme));
  std::size_t len = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &len, plain.data(), plain.size()) != 1) {
    return openssl_error(ErrorKind::kInvalidArgument, "plaintext_too_long", "the data is too long for this key");
  }
  Bytes out(len);
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &len, plain.data(), plain.size()) != 1) {
    return openssl_error(ErrorKind::kInvalidArgument, "plaintext_too_long", "the data is too long for this key");
  }
  out.resize(len);
  return out;
}

Result<SecretBytes> decrypt(const PrivateKey& key, EncryptScheme scheme, BytesView cipher) {
  if (scheme == EncryptScheme::kSm2C1C3C2 || scheme == EncryptScheme::kSm2C1C2C3) {
    if (key.type() != KeyType::kSm2) return scheme_mismatch();
    return sm2_decrypt(key, cipher,
                       scheme == EncryptScheme::kSm2C1C3C2 ? Sm2CipherOrder::kC1C3C2 : Sm2CipherOrder::kC1C2C3);
  }
  if (!is_rsa(key.type())) return scheme_mismatch();
  EvpPkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) != 1) return openssl_internal("EVP_PKEY_decrypt_init");
  CS_TRY(set_rsa_padding(ctx.get(), scheme));
  std::size_t len = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &len, cipher.data(), cipher.size()) != 1) {
    return openssl_error(ErrorKind::kInvalidArgument, "decryption_failed",
                         "the data could not be decrypted (wrong key or damaged data)");
  }
  SecretBytes out(len);
  if (EVP_PKEY_decrypt(ctx.get(), out.data(), &len, cipher.data(), cipher.size()) != 1) {
    return openssl_error(ErrorKind::kInvalidArgument, "decryption_failed",
                         "the data could not be decrypted (wrong key or damaged data)");
  }
  out.resize(len);
  return out;
}

Result<Bytes> ec_sig_der_to_raw(BytesView der, std::size_t half) {
  const unsigned char* p = der.data();
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) return signature_invalid();
  // Strict DER: re-encoding must give the same bytes.
  const auto re = take_ossl_bytes([&](unsigned char** o) { return i2d_ECDSA_SIG(sig.get(), o); });
  if (!re || !std::equal(re->begin(), re->end(), der.begin(), der.end())) return signature_invalid();
  const BIGNUM* r = ECDSA_SIG_get0_r(sig.get());
  const BIGNUM* s = ECDSA_SIG_get0_s(sig.get());
  if (BN_is_negative(r) || BN_is_negative(s)) return signature_invalid();
  Bytes out(2 * half);
  if (BN_bn2binpad(r, out.data(), static_cast<int>(half)) < 0 ||
      BN_bn2binpad(s, out.data() + half, static_cast<int>(half)) < 0) {
    return signature_invalid();
  }
  return out;
}

Result<Bytes> ec_sig_raw_to_der(BytesView raw) {
  if (raw.empty() || raw.size() % 2 != 0) return signature_invalid();
  std::size_t half = raw.size() / 2;
  EcdsaSig sig(ECDSA_SIG_new());
  Bignum r(BN_bin2bn(raw.data(), static_cast<int>(half), nullptr));
  Bignum s(BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr));
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
    return openssl_internal("ECDSA_SIG_set0");
  }
  (void)r.release();  // owned by sig now
  (void)s.release();
  auto der = take_ossl_bytes([&](unsigned char** o) { return i2d_ECDSA_SIG(sig.get(), o); });
  if (!der) return openssl_internal("i2d_ECDSA_SIG");
  return std::move(*der);
}

}  // namespace certseal::crypto
