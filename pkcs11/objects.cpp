#include "pkcs11/objects.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>
#include <utility>

#include "crypto/ossl_bytes.h"

namespace certseal::pkcs11 {
namespace {

// DER OIDs of the curves as CKA_EC_PARAMS (namedCurve).
const Bytes kSm2Params = {0x06, 0x08, 0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D};
const Bytes kP256Params = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

Bytes ulong_bytes(CK_ULONG v) {
  Bytes b(sizeof v);
  std::memcpy(b.data(), &v, sizeof v);
  return b;
}
Bytes bool_bytes(bool v) {
  return Bytes{static_cast<std::uint8_t>(v ? CK_TRUE : CK_FALSE)};
}

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};

template <class T, class F>
Bytes der_of(const T* obj, F i2d) {
  int n = i2d(obj, nullptr);
  if (n <= 0) return {};
  Bytes out(static_cast<std::size_t>(n));
  unsigned char* p = out.data();
  i2d(obj, &p);
  return out;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};

Bytes bn_bytes(const BIGNUM* b) {
  Bytes out(static_cast<std::size_t>(BN_num_bytes(b)));
  BN_bn2bin(b, out.data());
  return out;
}

// Modulus and public exponent (big-endian, no leading zeros) of an RSA SubjectPublicKeyInfo.
Result<std::pair<Bytes, Bytes>> rsa_parts(const Bytes& spki) {
  const unsigned char* p = spki.data();
  std::unique_ptr<EVP_PKEY, PkeyDeleter> k(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  if (!k || EVP_PKEY_get_base_id(k.get()) != EVP_PKEY_RSA) {
    return invalid_argument("unsupported_key", "the public key is not an RSA SubjectPublicKeyInfo");
  }
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_RSA_N, &n);
  EVP_PKEY_get_bn_param(k.get(), OSSL_PKEY_PARAM_RSA_E, &e);
  std::unique_ptr<BIGNUM, BnDeleter> nn(n), ee(e);
  if (!nn || !ee) return invalid_argument("unsupported_key", "the RSA key has no modulus");
  return std::pair{bn_bytes(nn.get()), bn_bytes(ee.get())};
}

// The uncompressed point 04‖x‖y of a P-256 SubjectPublicKeyInfo (two-party P-256 keys are kept
// as SPKI DER, SM2 keys as the point itself).
Result<Bytes> p256_point(const Bytes& spki) {
  const unsigned char* p = spki.data();
  std::unique_ptr<EVP_PKEY, PkeyDeleter> k(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  char curve[64] = {0};
  std::size_t curve_len = 0;
  if (!k || EVP_PKEY_get_base_id(k.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(k.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
                                     &curve_len) != 1 ||
      std::string(curve, curve_len) != "prime256v1") {
    return invalid_argument("unsupported_key",
                            "the public key is not a P-256 SubjectPublicKeyInfo");
  }
  auto point = crypto::take_ossl_bytes(
      [&](unsigned char** o) { return EVP_PKEY_get1_encoded_public_key(k.get(), o); });
  if (!point) return invalid_argument("unsupported_key", "the public key has no encoded point");
  return std::move(*point);
}

}  // namespace

Result<std::vector<TokenObject>> objects_for(const PhoneCertificate& cert, CK_OBJECT_HANDLE base) {
  const unsigned char* p = cert.der.data();
  std::unique_ptr<X509, X509Deleter> x(d2i_X509(nullptr, &p, static_cast<long>(cert.der.size())));
  if (!x) return invalid_argument("bad_certificate", "a certificate of the phone does not parse");
  Bytes params, modulus, exponent;
  Bytes ec_point = cert.public_key;  // SM2: the point itself
  KeyKind kind = KeyKind::kSm2;
  if (cert.algorithm == "sm2") {
    params = kSm2Params;
  } else if (cert.algorithm == "ec-p256") {
    params = kP256Params;
    kind = KeyKind::kEcP256;
    // A P-256 key comes as SPKI DER; a 65-byte point is taken as it is.
    if (!(cert.public_key.size() == 65 && cert.public_key[0] == 0x04)) {
      CS_ASSIGN(ec_point, p256_point(cert.public_key));
    }
  } else if (cert.algorithm == "rsa-2048" || cert.algorithm == "rsa-3072") {
    kind = KeyKind::kRsa;
    CS_ASSIGN(auto parts, rsa_parts(cert.public_key));
    modulus = std::move(parts.first);
    exponent = std::move(parts.second);
    if (modulus.size() != (cert.algorithm == "rsa-2048" ? 256u : 384u)) {
      return invalid_argument("unsupported_key", "the modulus does not fit " + cert.algorithm);
    }
  } else {
    return invalid_argument("unsupported_key", "key algorithm " + cert.algorithm);
  }
  if (kind != KeyKind::kRsa && (ec_point.size() != 65 || ec_point[0] != 0x04)) {
    return invalid_argument("unsupported_key", "the public key is not an uncompressed point");
  }
  const Bytes subject = der_of(X509_get_subject_name(x.get()), i2d_X509_NAME);
  const Bytes issuer = der_of(X509_get_issuer_name(x.get()), i2d_X509_NAME);
  const Bytes serial = der_of(X509_get0_serialNumber(x.get()), i2d_ASN1_INTEGER);
  Bytes id(SHA_DIGEST_LENGTH);
  const Bytes& id_source = kind == KeyKind::kRsa ? modulus : ec_point;
  SHA1(id_source.data(), id_source.size(), id.data());
  const Bytes label = to_bytes(cert.subject.empty() ? cert.certificate_id : cert.subject);
  Bytes point = {0x04, 0x41};  // DER OCTET STRING of the uncompressed point
  point.insert(point.end(), ec_point.begin(), ec_point.end());

  auto common = [&](TokenObject& o, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE h, bool priv) {
    o.handle = h;
    o.cls = cls;
    o.is_private = priv;
    o.certificate_id = cert.certificate_id;
    o.kind = kind;
    o.modulus_bytes = modulus.size();
    o.attrs[CKA_CLASS] = ulong_bytes(cls);
    o.attrs[CKA_TOKEN] = bool_bytes(true);
    o.attrs[CKA_PRIVATE] = bool_bytes(priv);
    o.attrs[CKA_MODIFIABLE] = bool_bytes(false);
    o.attrs[CKA_LABEL] = label;
    o.attrs[CKA_ID] = id;
  };
  std::vector<TokenObject> out(3);
  TokenObject& c = out[0];
  common(c, CKO_CERTIFICATE, base, false);
  c.attrs[CKA_CERTIFICATE_TYPE] = ulong_bytes(CKC_X_509);
  c.attrs[CKA_TRUSTED] = bool_bytes(false);
  c.attrs[CKA_CERTIFICATE_CATEGORY] = ulong_bytes(1);  // token user
  c.attrs[CKA_SUBJECT] = subject;
  c.attrs[CKA_ISSUER] = issuer;
  c.attrs[CKA_SERIAL_NUMBER] = serial;
  c.attrs[CKA_VALUE] = cert.der;

  TokenObject& pub = out[1];
  common(pub, CKO_PUBLIC_KEY, base + 1, false);
  pub.attrs[CKA_SUBJECT] = subject;
  if (kind == KeyKind::kRsa) {
    pub.attrs[CKA_KEY_TYPE] = ulong_bytes(CKK_RSA);
    pub.attrs[CKA_MODULUS] = modulus;
    pub.attrs[CKA_MODULUS_BITS] = ulong_bytes(modulus.size() * 8);
    pub.attrs[CKA_PUBLIC_EXPONENT] = exponent;
    pub.attrs[CKA_WRAP] = bool_bytes(false);
    pub.attrs[CKA_VERIFY_RECOVER] = bool_bytes(false);
  } else {
    pub.attrs[CKA_KEY_TYPE] = ulong_bytes(CKK_EC);
    pub.attrs[CKA_EC_PARAMS] = params;
    pub.attrs[CKA_EC_POINT] = point;
  }
  pub.attrs[CKA_VERIFY] = bool_bytes(false);
  pub.attrs[CKA_ENCRYPT] = bool_bytes(false);
  pub.attrs[CKA_DERIVE] = bool_bytes(false);
  pub.attrs[CKA_LOCAL] = bool_bytes(false);

  TokenObject& priv = out[2];
  common(priv, CKO_PRIVATE_KEY, base + 2, true);
  priv.attrs[CKA_SUBJECT] = subject;
  if (kind == KeyKind::kRsa) {
    // The public parts are public attributes of a PKCS#11 RSA private key too (libp11 reads
    // them there to build the key it hands OpenSSL).
    priv.attrs[CKA_KEY_TYPE] = ulong_bytes(CKK_RSA);
    priv.attrs[CKA_MODULUS] = modulus;
    priv.attrs[CKA_PUBLIC_EXPONENT] = exponent;
  } else {
    priv.attrs[CKA_KEY_TYPE] = ulong_bytes(CKK_EC);
    priv.attrs[CKA_EC_PARAMS] = params;
  }
  priv.attrs[CKA_SIGN] = bool_bytes(true);
  priv.attrs[CKA_DECRYPT] = bool_bytes(kind != KeyKind::kEcP256);
  priv.attrs[CKA_UNWRAP] = bool_bytes(false);
  priv.attrs[CKA_DERIVE] = bool_bytes(false);
  priv.attrs[CKA_SIGN_RECOVER] = bool_bytes(false);
  priv.attrs[CKA_SENSITIVE] = bool_bytes(true);
  priv.attrs[CKA_ALWAYS_SENSITIVE] = bool_bytes(true);
  priv.attrs[CKA_EXTRACTABLE] = bool_bytes(false);
  priv.attrs[CKA_NEVER_EXTRACTABLE] = bool_bytes(true);
  priv.attrs[CKA_ALWAYS_AUTHENTICATE] = bool_bytes(false);
  priv.attrs[CKA_LOCAL] = bool_bytes(false);
  priv.sensitive = {CKA_VALUE};
  if (kind == KeyKind::kRsa) {
    priv.sensitive.insert(priv.sensitive.end(), {CKA_PRIVATE_EXPONENT, CKA_PRIME_1, CKA_PRIME_2,
                                                 CKA_EXPONENT_1, CKA_EXPONENT_2, CKA_COEFFICIENT});
  }
  return out;
}

bool matches(const TokenObject& o, const CK_ATTRIBUTE* tmpl, CK_ULONG count) {
  for (CK_ULONG i = 0; i < count; ++i) {
    auto it = o.attrs.find(tmpl[i].type);
    if (it == o.attrs.end()) return false;
    if (it->second.size() != tmpl[i].ulValueLen) return false;
    if (tmpl[i].ulValueLen > 0 &&
        (tmpl[i].pValue == nullptr ||
         std::memcmp(it->second.data(), tmpl[i].pValue, tmpl[i].ulValueLen) != 0)) {
      return false;
    }
  }
  return true;
}

}  // namespace certseal::pkcs11
