#include "keystore/pkcs11_key_manager.h"

#include <dlfcn.h>

// GNU names, so that the header's compatibility macros (value, count, params...) stay out of our code.
#define CRYPTOKI_GNU 1
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/encoding.h"
#include "crypto/hash.h"

namespace certseal::keystore {
namespace {

using crypto::KeyType;

constexpr unsigned char kTrue = 1;
constexpr unsigned char kFalse = 0;
// DER OID 1.2.840.10045.3.1.7 (prime256v1), the CKA_EC_PARAMS of P-256.
const std::uint8_t kP256Params[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

Error p11_error(ck_rv_t rv, const char* what) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%08lx", rv);
  return unavailable("pkcs11_error", "the hardware key store reported an error", std::string(what) + " returned " + buf);
}

struct DlCloser {
  void operator()(void* h) const noexcept {
    if (h != nullptr) dlclose(h);
  }
};

template <class T>
ck_attribute attr(ck_attribute_type_t type, const T& v) {
  return ck_attribute{type, const_cast<T*>(&v), sizeof(T)};
}
ck_attribute attr_bytes(ck_attribute_type_t type, BytesView b) {
  return ck_attribute{type, const_cast<std::uint8_t*>(b.data()), b.size()};
}
ck_attribute attr_str(ck_attribute_type_t type, std::string_view s) {
  return ck_attribute{type, const_cast<char*>(s.data()), s.size()};
}

// DER OCTET STRING around an uncompressed point (what CKA_EC_POINT holds).
Bytes wrap_octet_string(BytesView point) {
  Bytes out{0x04, static_cast<std::uint8_t>(point.size())};
  out.insert(out.end(), point.begin(), point.end());
  return out;
}

Bytes unwrap_ec_point(BytesView v) {
  if (v.size() == 67 && v[0] == 0x04 && v[1] == 0x41) return Bytes(v.begin() + 2, v.end());
  return Bytes(v.begin(), v.end());
}

Error unsupported(KeyType t) {
  return Error(ErrorKind::kInvalidArgument, "unsupported_key_type",
               "this key type cannot be kept in the PKCS#11 token (use RSA or EC P-256)",
               std::string(crypto::key_type_name(t)));
}

}  // namespace

struct Pkcs11KeyManager::Impl {
  std::unique_ptr<void, DlCloser> lib;
  ck_function_list* fn = nullptr;
  bool initialized = false;
  ck_session_handle_t session = 0;
  bool session_open = false;
  bool logged_in = false;
  Rng* rng = nullptr;

  ~Impl() {
    if (logged_in) fn->C_Logout(session);
    if (session_open) fn->C_CloseSession(session);
    if (initialized) fn->C_Finalize(nullptr);
  }

  Result<std::vector<ck_object_handle_t>> find(std::vector<ck_attribute> tmpl) {
    ck_rv_t rv = fn->C_FindObjectsInit(session, tmpl.data(), tmpl.size());
    if (rv != CKR_OK) return p11_error(rv, "C_FindObjectsInit");
    std::vector<ck_object_handle_t> out;
    for (;;) {
      ck_object_handle_t batch[32];
      unsigned long n = 0;
      rv = fn->C_FindObjects(session, batch, 32, &n);
      if (rv != CKR_OK) {
        fn->C_FindObjectsFinal(session);
        return p11_error(rv, "C_FindObjects");
      }
      out.insert(out.end(), batch, batch + n);
      if (n < 32) break;
    }
    fn->C_FindObjectsFinal(session);
    return out;
  }

  Result<Bytes> get(ck_object_handle_t obj, ck_attribute_type_t type) {
    ck_attribute a{type, nullptr, 0};
    ck_rv_t rv = fn->C_GetAttributeValue(session, obj, &a, 1);
    if (rv != CKR_OK) return p11_error(rv, "C_GetAttributeValue");
    Bytes out(a.value_len);
    a.value = out.data();
    rv = fn->C_GetAttributeValue(session, obj, &a, 1);
    if (rv != CKR_OK) return p11_error(rv, "C_GetAttributeValue");
    out.resize(a.value_len);
    return out;
  }

  Result<ck_object_handle_t> find_one(std::string_view key_id, ck_object_class_t cls) {
    auto id = hex_decode(key_id);
    if (!id.ok() || id->empty()) return key_not_found(key_id);
    auto found = find({attr(CKA_CLASS, cls), attr_bytes(CKA_ID, *id)});
    if (!found.ok()) return std::move(found).error();
    if (found->empty()) return key_not_found(key_id);
    return found->front();
  }

  Result<crypto::PublicKey> public_of(std::string_view key_id) {
    CS_ASSIGN(ck_object_handle_t pub, find_one(key_id, CKO_PUBLIC_KEY));
    CS_ASSIGN(Bytes kt, get(pub, CKA_KEY_TYPE));
    ck_key_type_t key_type = 0;
    if (kt.size() != sizeof key_type) return p11_error(CKR_GENERAL_ERROR, "CKA_KEY_TYPE size");
    std::memcpy(&key_type, kt.data(), sizeof key_type);
    if (key_type == CKK_RSA) {
      CS_ASSIGN(Bytes n, get(pub, CKA_MODULUS));
      CS_ASSIGN(Bytes e, get(pub, CKA_PUBLIC_EXPONENT));
      return crypto::PublicKey::rsa_from_components(n, e);
    }
    if (key_type == CKK_EC) {
      CS_ASSIGN(Bytes params, get(pub, CKA_EC_PARAMS));
      if (params != Bytes(std::begin(kP256Params), std::end(kP256Params))) return unsupported(KeyType::kEcP256);
      CS_ASSIGN(Bytes point, get(pub, CKA_EC_POINT));
      return crypto::PublicKey::ec_from_point(KeyType::kEcP256, unwrap_ec_point(point));
    }
    return Error(ErrorKind::kInvalidArgument, "unsupported_key_type", "the token key has an unsupported type");
  }

  Result<KeyInfo> info(std::string_view key_id, std::string label) {
    CS_ASSIGN(crypto::PublicKey pub, public_of(key_id));
    return KeyInfo{std::string(key_id), pub.type(), std::move(label), pub.spki_der()};
  }

  Result<ck_object_handle_t> create(std::vector<ck_attribute> tmpl) {
    ck_object_handle_t h = 0;
    ck_rv_t rv = fn->C_CreateObject(session, tmpl.data(), tmpl.size(), &h);
    if (rv != CKR_OK) return p11_error(rv, "C_CreateObject");
    return h;
  }
};

Pkcs11KeyManager::Pkcs11KeyManager(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pkcs11KeyManager::~Pkcs11KeyManager() = default;

Result<std::unique_ptr<Pkcs11KeyManager>> Pkcs11KeyManager::open(const std::string& module_path,
                                                                 std::string_view token_label,
                                                                 const SecretString& user_pin, Rng& rng) {
  auto impl = std::make_unique<Impl>();
  impl->rng = &rng;
  impl->lib.reset(dlopen(module_path.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!impl->lib) {
    const char* why = dlerror();
    return unavailable("pkcs11_module", "the PKCS#11 module could not be loaded", why ? why : module_path);
  }
  using GetFunctionList = ck_rv_t (*)(ck_function_list**);
  void* sym = dlsym(impl->lib.get(), "C_GetFunctionList");
  if (sym == nullptr) return unavailable("pkcs11_module", "the file is not a PKCS#11 module", module_path);
  GetFunctionList get_list = nullptr;
  static_assert(sizeof get_list == sizeof sym);
  std::memcpy(&get_list, &sym, sizeof sym);
  ck_rv_t rv = get_list(&impl->fn);
  if (rv != CKR_OK || impl->fn == nullptr) return p11_error(rv, "C_GetFunctionList");

  ck_c_initialize_args args{};
  args.flags = CKF_OS_LOCKING_OK;
  rv = impl->fn->C_Initialize(&args);
  if (rv != CKR_OK) return p11_error(rv, "C_Initialize");
  impl->initialized = true;

  unsigned long nslots = 0;
  rv = impl->fn->C_GetSlotList(kTrue, nullptr, &nslots);
  if (rv != CKR_OK) return p11_error(rv, "C_GetSlotList");
  std::vector<ck_slot_id_t> slots(nslots);
  rv = impl->fn->C_GetSlotList(kTrue, slots.data(), &nslots);
  if (rv != CKR_OK) return p11_error(rv, "C_GetSlotList");
  slots.resize(nslots);
  bool found = false;
  ck_slot_id_t slot = 0;
  for (ck_slot_id_t s : slots) {
    ck_token_info ti{};
    if (impl->fn->C_GetTokenInfo(s, &ti) != CKR_OK) continue;
    std::string label(reinterpret_cast<const char*>(ti.label), sizeof ti.label);
    while (!label.empty() && label.back() == ' ') label.pop_back();
    if (label == token_label) {
      slot = s;
      found = true;
      break;
    }
  }
  if (!found) return not_found("pkcs11_token_not_found", "no PKCS#11 token with label " + std::string(token_label));
  rv = impl->fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &impl->session);
  if (rv != CKR_OK) return p11_error(rv, "C_OpenSession");
  impl->session_open = true;
  rv = impl->fn->C_Login(impl->session, CKU_USER,
                         reinterpret_cast<unsigned char*>(const_cast<char*>(user_pin.data())), user_pin.size());
  if (rv == CKR_PIN_INCORRECT) {
    return Error(ErrorKind::kUnauthenticated, "pkcs11_pin_incorrect", "the token PIN is not correct");
  }
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return p11_error(rv, "C_Login");
  impl->logged_in = rv == CKR_OK;
  return std::unique_ptr<Pkcs11KeyManager>(new Pkcs11KeyManager(std::move(impl)));
}

Result<KeyInfo> Pkcs11KeyManager::generate(KeyType type, std::string_view label) {
  std::lock_guard lock(mu_);
  Impl& m = *impl_;
  Bytes id = m.rng->bytes(16);
  ck_object_class_t pub_cls = CKO_PUBLIC_KEY;
  ck_object_class_t priv_cls = CKO_PRIVATE_KEY;
  std::vector<ck_attribute> pub = {attr(CKA_CLASS, pub_cls),  attr(CKA_TOKEN, kTrue),    attr(CKA_VERIFY, kTrue),
                                   attr_bytes(CKA_ID, id),     attr_str(CKA_LABEL, label)};
  std::vector<ck_attribute> priv = {attr(CKA_CLASS, priv_cls),   attr(CKA_TOKEN, kTrue),   attr(CKA_PRIVATE, kTrue),
                                    attr(CKA_SENSITIVE, kTrue),  attr(CKA_EXTRACTABLE, kFalse),
                                    attr(CKA_SIGN, kTrue),       attr_bytes(CKA_ID, id),   attr_str(CKA_LABEL, label)};
  ck_mechanism mech{};
  unsigned long bits = type == KeyType::kRsa3072 ? 3072 : 2048;
  const std::uint8_t exponent[] = {0x01, 0x00, 0x01};
  if (type == KeyType::kRsa2048 || type == KeyType::kRsa3072) {
    mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
    pub.push_back(attr(CKA_MODULUS_BITS, bits));
    pub.push_back(attr_bytes(CKA_PUBLIC_EXPONENT, exponent));
    pub.push_back(attr(CKA_ENCRYPT, kTrue));
    priv.push_back(attr(CKA_DECRYPT, kTrue));
  } else if (type == KeyType::kEcP256) {
    mech.mechanism = CKM_EC_KEY_PAIR_GEN;
    pub.push_back(attr_bytes(CKA_EC_PARAMS, kP256Params));
  } else {
    return unsupported(type);
  }
  ck_object_handle_t hpub = 0;
  ck_object_handle_t hpriv = 0;
  ck_rv_t rv = m.fn->C_GenerateKeyPair(m.session, &mech, pub.data(), pub.size(), priv.data(), priv.size(), &hpub, &hpriv);
  if (rv != CKR_OK) return p11_error(rv, "C_GenerateKeyPair");
  return m.info(hex_encode(id), std::string(label));
}

Result<KeyInfo> Pkcs11KeyManager::import_key(const crypto::PrivateKey& key, std::string_view label) {
  std::lock_guard lock(mu_);
  Impl& m = *impl_;
  Bytes id = m.rng->bytes(16);
  ck_object_class_t pub_cls = CKO_PUBLIC_KEY;
  ck_object_class_t priv_cls = CKO_PRIVATE_KEY;
  std::vector<ck_attribute> priv = {attr(CKA_CLASS, priv_cls),  attr(CKA_TOKEN, kTrue),         attr(CKA_PRIVATE, kTrue),
                                    attr(CKA_SENSITIVE, kTrue), attr(CKA_EXTRACTABLE, kFalse), attr(CKA_SIGN, kTrue),
                                    attr_bytes(CKA_ID, id),     attr_str(CKA_LABEL, label)};
  std::vector<ck_attribute> pub = {attr(CKA_CLASS, pub_cls), attr(CKA_TOKEN, kTrue), attr(CKA_VERIFY, kTrue),
                                   attr_bytes(CKA_ID, id), attr_str(CKA_LABEL, label)};
  ck_key_type_t kt = 0;
  crypto::RsaComponents rsa;
  SecretBytes scalar;
  Bytes ec_point;
  if (key.type() == KeyType::kRsa2048 || key.type() == KeyType::kRsa3072) {
    CS_ASSIGN(rsa, key.rsa_components());
    kt = CKK_RSA;
    priv.insert(priv.end(), {attr(CKA_DECRYPT, kTrue), attr_bytes(CKA_MODULUS, rsa.n),
                             attr_bytes(CKA_PUBLIC_EXPONENT, rsa.e), attr_bytes(CKA_PRIVATE_EXPONENT, rsa.d),
                             attr_bytes(CKA_PRIME_1, rsa.p), attr_bytes(CKA_PRIME_2, rsa.q),
                             attr_bytes(CKA_EXPONENT_1, rsa.dp), attr_bytes(CKA_EXPONENT_2, rsa.dq),
                             attr_bytes(CKA_COEFFICIENT, rsa.qinv)});
    pub.insert(pub.end(), {attr(CKA_ENCRYPT, kTrue), attr_bytes(CKA_MODULUS, rsa.n),
                           attr_bytes(CKA_PUBLIC_EXPONENT, rsa.e)});
  } else if (key.type() == KeyType::kEcP256) {
    CS_ASSIGN(scalar, key.ec_scalar());
    CS_ASSIGN(Bytes point, key.public_key().ec_point());
    ec_point = wrap_octet_string(point);
    kt = CKK_EC;
    priv.insert(priv.end(), {attr_bytes(CKA_EC_PARAMS, kP256Params), attr_bytes(CKA_VALUE, scalar)});
    pub.insert(pub.end(), {attr_bytes(CKA_EC_PARAMS, kP256Params), attr_bytes(CKA_EC_POINT, ec_point)});
  } else {
    return unsupported(key.type());
  }
  priv.push_back(attr(CKA_KEY_TYPE, kt));
  pub.push_back(attr(CKA_KEY_TYPE, kt));
  CS_ASSIGN(ck_object_handle_t hpriv, m.create(priv));
  auto hpub = m.create(pub);
  if (!hpub.ok()) {
    m.fn->C_DestroyObject(m.session, hpriv);
    return std::move(hpub).error();
  }
  return m.info(hex_encode(id), std::string(label));
}

Result<Bytes> Pkcs11KeyManager::sign(std::string_view key_id, crypto::SignScheme scheme, BytesView message,
                                     std::string_view sm2_id) {
  (void)sm2_id;
  std::lock_guard lock(mu_);
  Impl& m = *impl_;
  CS_ASSIGN(crypto::PublicKey pub, m.public_of(key_id));
  CS_ASSIGN(ck_object_handle_t priv, m.find_one(key_id, CKO_PRIVATE_KEY));
  bool rsa = pub.type() == KeyType::kRsa2048 || pub.type() == KeyType::kRsa3072;
  ck_mechanism mech{};
  ck_rsa_pkcs_pss_params pss{CKM_SHA256, CKG_MGF1_SHA256, 32};
  Bytes input(message.begin(), message.end());
  switch (scheme) {
    case crypto::SignScheme::kRsaPkcs1Sha256:
      if (!rsa) return invalid_argument("scheme_key_mismatch", "the algorithm does not fit the key type");
      mech.mechanism = CKM_SHA256_RSA_PKCS;
      break;
    case crypto::SignScheme::kRsaPssSha256:
      if (!rsa) return invalid_argument("scheme_key_mismatch", "the algorithm does not fit the key type");
      mech = ck_mechanism{CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof pss};
      break;
    case crypto::SignScheme::kEcdsaSha256:
    case crypto::SignScheme::kEcdsaSha384:
      if (pub.type() != KeyType::kEcP256) {
        return invalid_argument("scheme_key_mismatch", "the algorithm does not fit the key type");
      }
      mech.mechanism = CKM_ECDSA;
      input = scheme == crypto::SignScheme::kEcdsaSha256 ? crypto::sha256(message) : crypto::sha384(message);
      break;
    case crypto::SignScheme::kSm2Sm3:
      return invalid_argument("scheme_key_mismatch", "the algorithm does not fit the key type");
  }
  ck_rv_t rv = m.fn->C_SignInit(m.session, &mech, priv);
  if (rv != CKR_OK) return p11_error(rv, "C_SignInit");
  unsigned long len = 0;
  rv = m.fn->C_Sign(m.session, input.data(), input.size(), nullptr, &len);
  if (rv != CKR_OK) return p11_error(rv, "C_Sign");
  Bytes sig(len);
  rv = m.fn->C_Sign(m.session, input.data(), input.size(), sig.data(), &len);
  if (rv != CKR_OK) return p11_error(rv, "C_Sign");
  sig.resize(len);
  if (!rsa) return crypto::ec_sig_raw_to_der(sig);
  return sig;
}

Result<SecretBytes> Pkcs11KeyManager::decrypt(std::string_view key_id, crypto::EncryptScheme scheme,
                                              BytesView ciphertext) {
  std::lock_guard lock(mu_);
  Impl& m = *impl_;
  CS_ASSIGN(ck_object_handle_t priv, m.find_one(key_id, CKO_PRIVATE_KEY));
  ck_mechanism mech{};
  ck_rsa_pkcs_oaep_params oaep{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
  if (scheme == crypto::EncryptScheme::kRsaPkcs1) {
    mech.mechanism = CKM_RSA_PKCS;
  } else if (scheme == crypto::EncryptScheme::kRsaOaepSha256) {
    mech = ck_mechanism{CKM_RSA_PKCS_OAEP, &oaep, sizeof oaep};
  } else {
    return invalid_argument("scheme_key_mismatch", "the algorithm does not fit the key type");
  }
  ck_rv_t rv = m.fn->C_DecryptInit(m.session, &mech, priv);
  if (rv == CKR_MECHANISM_INVALID || rv == CKR_MECHANISM_PARAM_INVALID || rv == CKR_ARGUMENTS_BAD) {
    return Error(ErrorKind::kFailedPrecondition, "pkcs11_mechanism_unsupported",
                 "the hardware key store does not support this algorithm",
                 p11_error(rv, "C_DecryptInit").cause);
  }
  if (rv != CKR_OK) return p11_error(rv, "C_DecryptInit");
  Bytes in(ciphertext.begin(), ciphertext.end());
  unsigned long len = 0;
  rv = m.fn->C_Decrypt(m.session, in.data(), in.size(), nullptr, &len);
  if (rv == CKR_OK) {
    SecretBytes out(len);
    rv = m.fn->C_Decrypt(m.session, in.data(), in.size(), out.data(), &len);
    if (rv == CKR_OK) {
      out.resize(len);
      return out;
    }
  }
  if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE) {
    return invalid_argument("decryption_failed", "the data could not be decrypted (wrong key or damaged data)");
  }
  return p11_error(rv, "C_Decrypt");
}

Result<Bytes> Pkcs11KeyManager::public_key(std::string_view key_id) {
  std::lock_guard lock(mu_);
  CS_ASSIGN(crypto::PublicKey pub, impl_->public_of(key_id));
  return pub.spki_der();
}

Status Pkcs11KeyManager::destroy(std::string_view key_id) {
  std::lock_guard lock(mu_);
  Impl& m = *impl_;
  auto id = hex_decode(key_id);
  if (!id.ok() || id->empty()) return key_not_found(key_id);
  CS_ASSIGN(auto objects, m.find({attr_bytes(CKA_ID, *id)}));
  if (objects.empty()) return key_not_found(key_id);
  for (ck_object_handle_t h : objects) {
    ck_rv_t rv = m.fn->C_DestroyObject(m.session, h);
    if (rv != CKR_OK) return p11_error(rv, "C_DestroyObject");
  }
  return ok_status();
}

Result<std::vector<KeyInfo>> Pkcs11KeyManager::list() {
  std::lock_guard lock(mu_);
  Impl& m = *impl_;
  ck_object_class_t cls = CKO_PRIVATE_KEY;
  CS_ASSIGN(auto objects, m.find({attr(CKA_CLASS, cls)}));
  std::vector<KeyInfo> out;
  for (ck_object_handle_t h : objects) {
    CS_ASSIGN(Bytes id, m.get(h, CKA_ID));
    CS_ASSIGN(Bytes label, m.get(h, CKA_LABEL));
    auto info = m.info(hex_encode(id), to_string(label));
    if (info.ok()) out.push_back(std::move(info).value());  // keys of other types are not ours: skipped
  }
  std::sort(out.begin(), out.end(), [](const KeyInfo& a, const KeyInfo& b) { return a.id < b.id; });
  return out;
}

}  // namespace certseal::keystore
