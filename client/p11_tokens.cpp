#include "client/p11_tokens.h"

#include <openssl/sha.h>
#include <p11-kit/p11-kit.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "base/encoding.h"
#include "client/messages.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "pki/certificate.h"

namespace certseal::client {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trimmed(const unsigned char* p, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

Error ck_error(CK_RV rv, const std::string& what) {
  switch (rv) {
    case CKR_PIN_INCORRECT:
      return permission_denied("pin_incorrect", tr("err.token_pin_incorrect"));
    case CKR_PIN_LOCKED:
      return permission_denied("pin_locked", tr("err.token_pin_locked"));
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
      return invalid_argument("pin_invalid", tr("err.token_pin_invalid"));
    default:
      return Error(ErrorKind::kUnavailable, "pkcs11", what + ": " + ckr_name(rv));
  }
}

// One session on a token, closed (and logged out) when dropped.
class Session {
 public:
  static Result<Session> open(const TokenRef& t, bool rw) {
    CK_SESSION_HANDLE h = 0;
    CK_FLAGS flags = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
    if (CK_RV rv = t.functions->C_OpenSession(t.slot, flags, nullptr, nullptr, &h); rv != CKR_OK) {
      return ck_error(rv, "C_OpenSession");
    }
    return Session(t.functions, h);
  }
  Session(Session&& o) noexcept : f_(o.f_), h_(o.h_), logged_in_(o.logged_in_) { o.f_ = nullptr; }
  Session& operator=(Session&&) = delete;
  ~Session() {
    if (!f_) return;
    if (logged_in_) f_->C_Logout(h_);
    f_->C_CloseSession(h_);
  }
  Status login(const SecretString& pin) {
    CK_RV rv = f_->C_Login(
        h_, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(pin.data())), pin.size());
    if (rv == CKR_USER_ALREADY_LOGGED_IN) rv = CKR_OK;
    if (rv != CKR_OK) return ck_error(rv, "C_Login");
    logged_in_ = true;
    return ok_status();
  }
  Result<std::vector<CK_OBJECT_HANDLE>> find(std::vector<CK_ATTRIBUTE> tmpl) {
    if (CK_RV rv = f_->C_FindObjectsInit(h_, tmpl.data(), tmpl.size()); rv != CKR_OK) {
      return ck_error(rv, "C_FindObjectsInit");
    }
    std::vector<CK_OBJECT_HANDLE> out;
    CK_OBJECT_HANDLE batch[32];
    for (;;) {
      CK_ULONG n = 0;
      if (CK_RV rv = f_->C_FindObjects(h_, batch, 32, &n); rv != CKR_OK) {
        f_->C_FindObjectsFinal(h_);
        return ck_error(rv, "C_FindObjects");
      }
      out.insert(out.end(), batch, batch + n);
      if (n == 0) break;
    }
    f_->C_FindObjectsFinal(h_);
    return out;
  }
  // One attribute's bytes by the two-call convention; empty when the object has none.
  Result<Bytes> attribute(CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE a{type, nullptr, 0};
    CK_RV rv = f_->C_GetAttributeValue(h_, o, &a, 1);
    if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ||
        a.ulValueLen == CK_UNAVAILABLE_INFORMATION) {
      return Bytes();
    }
    if (rv != CKR_OK) return ck_error(rv, "C_GetAttributeValue");
    Bytes out(a.ulValueLen);
    a.pValue = out.data();
    if (rv = f_->C_GetAttributeValue(h_, o, &a, 1); rv != CKR_OK)
      return ck_error(rv, "C_GetAttributeValue");
    out.resize(a.ulValueLen);
    return out;
  }
  CK_FUNCTION_LIST* f() { return f_; }
  CK_SESSION_HANDLE h() const { return h_; }

 private:
  Session(CK_FUNCTION_LIST* f, CK_SESSION_HANDLE h) : f_(f), h_(h) {}
  CK_FUNCTION_LIST* f_;
  CK_SESSION_HANDLE h_;
  bool logged_in_ = false;
};

// Objects of class cls named by label and/or id (either may be empty).
Result<std::vector<CK_OBJECT_HANDLE>> named(Session& s, CK_OBJECT_CLASS cls,
                                            const std::string& label, const std::string& id_hex) {
  Bytes id;
  if (!id_hex.empty()) {
    auto d = hex_decode(id_hex);
    if (!d) return invalid_argument("usage", "--id must be hex");
    id = *d;
  }
  std::vector<CK_ATTRIBUTE> t = {{CKA_CLASS, &cls, sizeof cls}};
  if (!label.empty()) t.push_back({CKA_LABEL, const_cast<char*>(label.data()), label.size()});
  if (!id.empty()) t.push_back({CKA_ID, id.data(), id.size()});
  return s.find(t);
}

}  // namespace

std::string ckr_name(CK_RV rv) {
  switch (rv) {
#define CS_CKR(x) \
  case x:         \
    return #x;
    CS_CKR(CKR_OK)
    CS_CKR(CKR_GENERAL_ERROR)
    CS_CKR(CKR_ARGUMENTS_BAD)
    CS_CKR(CKR_ATTRIBUTE_READ_ONLY)
    CS_CKR(CKR_ATTRIBUTE_VALUE_INVALID)
    CS_CKR(CKR_DEVICE_ERROR)
    CS_CKR(CKR_FUNCTION_NOT_SUPPORTED)
    CS_CKR(CKR_FUNCTION_REJECTED)
    CS_CKR(CKR_OBJECT_HANDLE_INVALID)
    CS_CKR(CKR_PIN_INCORRECT)
    CS_CKR(CKR_PIN_LOCKED)
    CS_CKR(CKR_SESSION_READ_ONLY)
    CS_CKR(CKR_SLOT_ID_INVALID)
    CS_CKR(CKR_TEMPLATE_INCOMPLETE)
    CS_CKR(CKR_TEMPLATE_INCONSISTENT)
    CS_CKR(CKR_TOKEN_NOT_PRESENT)
    CS_CKR(CKR_TOKEN_WRITE_PROTECTED)
    CS_CKR(CKR_USER_NOT_LOGGED_IN)
    CS_CKR(CKR_USER_PIN_NOT_INITIALIZED)
    CS_CKR(CKR_DEVICE_MEMORY)
#undef CS_CKR
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "CKR 0x%08lx", static_cast<unsigned long>(rv));
      return buf;
    }
  }
}

Result<std::unique_ptr<Tokens>> Tokens::open(const std::string& module_path) {
  std::unique_ptr<Tokens> t(new Tokens());
  if (!module_path.empty()) {
    t->single_ = p11_kit_module_load(module_path.c_str(), 0);
    if (!t->single_)
      return unavailable("p11_load", "cannot load the PKCS#11 module " + module_path);
    if (CK_RV rv = p11_kit_module_initialize(t->single_); rv != CKR_OK) {
      p11_kit_module_release(t->single_);
      t->single_ = nullptr;
      return unavailable("p11_load", "the PKCS#11 module " + module_path +
                                         " does not initialise: " + ckr_name(rv));
    }
    t->modules_.push_back({module_path.substr(module_path.rfind('/') + 1), t->single_});
    return t;
  }
  t->registered_ = p11_kit_modules_load_and_initialize(0);
  if (!t->registered_)
    return unavailable("p11_load", "p11-kit could not load the registered PKCS#11 modules");
  for (CK_FUNCTION_LIST** m = t->registered_; *m; ++m) {
    char* name = p11_kit_module_get_name(*m);
    t->modules_.push_back({name ? name : "?", *m});
    std::free(name);
  }
  return t;
}

Tokens::~Tokens() {
  if (registered_) p11_kit_modules_finalize_and_release(registered_);
  if (single_) {
    p11_kit_module_finalize(single_);
    p11_kit_module_release(single_);
  }
}

Result<std::vector<TokenRef>> Tokens::list() {
  std::vector<TokenRef> out;
  for (const auto& m : modules_) {
    CK_ULONG n = 0;
    if (m.functions->C_GetSlotList(CK_TRUE, nullptr, &n) != CKR_OK || n == 0) continue;
    std::vector<CK_SLOT_ID> slots(n);
    if (m.functions->C_GetSlotList(CK_TRUE, slots.data(), &n) != CKR_OK) continue;
    slots.resize(n);
    for (CK_SLOT_ID slot : slots) {
      CK_TOKEN_INFO info{};
      if (m.functions->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
      TokenRef t;
      t.module = m.name;
      t.functions = m.functions;
      t.slot = slot;
      t.label = trimmed(info.label, sizeof info.label);
      t.manufacturer = trimmed(info.manufacturerID, sizeof info.manufacturerID);
      t.model = trimmed(info.model, sizeof info.model);
      t.serial = trimmed(info.serialNumber, sizeof info.serialNumber);
      t.login_required = info.flags & CKF_LOGIN_REQUIRED;
      t.protected_path = info.flags & CKF_PROTECTED_AUTHENTICATION_PATH;
      t.write_protected = info.flags & CKF_WRITE_PROTECTED;
      if (!(info.flags & CKF_TOKEN_INITIALIZED)) continue;  // an empty SoftHSM slot
      out.push_back(std::move(t));
    }
  }
  return out;
}

Result<TokenRef> Tokens::find(const std::string& label) {
  CS_ASSIGN(auto all, list());
  std::vector<TokenRef> hits;
  for (auto& t : all) {
    if (label.empty() || t.label == label || t.serial == label) hits.push_back(t);
  }
  if (hits.empty()) return not_found("token_not_found", tr("err.token_not_found", label));
  if (hits.size() > 1) {
    std::string names;
    for (const auto& t : hits) names += (names.empty() ? "" : ", ") + t.label;
    return invalid_argument("usage", "several tokens; name one with --token: " + names);
  }
  return hits.front();
}

Result<std::vector<TokenCertificate>> Tokens::certificates(const TokenRef& t) {
  CS_ASSIGN(auto s, Session::open(t, false));
  CS_ASSIGN(auto handles, named(s, CKO_CERTIFICATE, "", ""));
  std::vector<TokenCertificate> out;
  for (auto h : handles) {
    TokenCertificate c;
    CS_ASSIGN(auto label, s.attribute(h, CKA_LABEL));
    c.label = to_string(label);
    CS_ASSIGN(c.id, s.attribute(h, CKA_ID));
    CS_ASSIGN(c.der, s.attribute(h, CKA_VALUE));
    if (!c.der.empty()) out.push_back(std::move(c));
  }
  return out;
}

Result<TokenCertificate> Tokens::certificate(const TokenRef& t, const std::string& label,
                                             const std::string& id_hex) {
  CS_ASSIGN(auto all, certificates(t));
  std::vector<TokenCertificate> hits;
  for (auto& c : all) {
    if ((label.empty() || c.label == label) &&
        (id_hex.empty() || hex_encode(c.id) == lower(id_hex))) {
      hits.push_back(c);
    }
  }
  if (hits.empty())
    return not_found("object_not_found",
                     tr("err.token_no_cert", label.empty() ? id_hex : label, t.label));
  if (hits.size() > 1)
    return invalid_argument("usage", "several certificates match; name one with --id");
  return hits.front();
}

Status Tokens::change_pin(const TokenRef& t, const SecretString& old_pin,
                          const SecretString& new_pin) {
  CS_ASSIGN(auto s, Session::open(t, true));
  CS_TRY(s.login(old_pin));
  CK_RV rv = s.f()->C_SetPIN(
      s.h(), reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(old_pin.data())), old_pin.size(),
      reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(new_pin.data())), new_pin.size());
  if (rv != CKR_OK) return ck_error(rv, "C_SetPIN");
  return ok_status();
}

Status Tokens::delete_certificate(const TokenRef& t, const SecretString& pin,
                                  const std::string& label, const std::string& id_hex) {
  CS_ASSIGN(auto s, Session::open(t, true));
  CS_TRY(s.login(pin));
  CS_ASSIGN(auto handles, named(s, CKO_CERTIFICATE, label, id_hex));
  if (handles.empty())
    return not_found("object_not_found",
                     tr("err.token_no_cert", label.empty() ? id_hex : label, t.label));
  if (handles.size() > 1)
    return invalid_argument("usage", "several certificates match; name one with --id");
  if (CK_RV rv = s.f()->C_DestroyObject(s.h(), handles[0]); rv != CKR_OK)
    return ck_error(rv, "C_DestroyObject");
  return ok_status();
}

namespace {

Result<std::vector<CK_OBJECT_HANDLE>> pictures(Session& s, const std::string& label) {
  CK_OBJECT_CLASS cls = CKO_DATA;
  std::vector<CK_ATTRIBUTE> t = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_APPLICATION, const_cast<char*>(kSealPictureApplication.data()),
       kSealPictureApplication.size()},
      {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
  return s.find(t);
}

}  // namespace

Status Tokens::write_picture(const TokenRef& t, const SecretString& pin, const std::string& label,
                             BytesView picture) {
  if (picture.empty()) return invalid_argument("usage", "the picture is empty");
  CS_ASSIGN(auto s, Session::open(t, true));
  CS_TRY(s.login(pin));
  CS_ASSIGN(auto old, pictures(s, label));
  CK_OBJECT_CLASS cls = CKO_DATA;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  Bytes value(picture.begin(), picture.end());
  std::vector<CK_ATTRIBUTE> tmpl = {
      {CKA_CLASS, &cls, sizeof cls},
      {CKA_TOKEN, &yes, sizeof yes},
      {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_MODIFIABLE, &no, sizeof no},
      {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
      {CKA_APPLICATION, const_cast<char*>(kSealPictureApplication.data()),
       kSealPictureApplication.size()},
      {CKA_VALUE, value.data(), value.size()}};
  CK_OBJECT_HANDLE created = 0;
  if (CK_RV rv = s.f()->C_CreateObject(s.h(), tmpl.data(), tmpl.size(), &created); rv != CKR_OK) {
    return ck_error(rv, "C_CreateObject");
  }
  // The new picture is stored before the old one goes: a failure leaves one of them.
  for (auto h : old) {
    if (CK_RV rv = s.f()->C_DestroyObject(s.h(), h); rv != CKR_OK)
      return ck_error(rv, "C_DestroyObject");
  }
  return ok_status();
}

Result<Bytes> Tokens::read_picture(const TokenRef& t, const SecretString& pin,
                                   const std::string& label) {
  CS_ASSIGN(auto s, Session::open(t, false));
  CS_TRY(s.login(pin));
  CS_ASSIGN(auto handles, pictures(s, label));
  if (handles.empty())
    return not_found("object_not_found", tr("err.token_no_picture", label, t.label));
  return s.attribute(handles.back(), CKA_VALUE);
}

namespace {

const Bytes kP256Params = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};

Result<std::vector<CK_OBJECT_HANDLE>> by_id(Session& s, CK_OBJECT_CLASS cls, BytesView id) {
  Bytes copy(id.begin(), id.end());
  std::vector<CK_ATTRIBUTE> t = {{CKA_CLASS, &cls, sizeof cls}, {CKA_ID, copy.data(), copy.size()}};
  return s.find(t);
}

}  // namespace

Result<Bytes> Tokens::generate_key(const TokenRef& t, const SecretString& pin,
                                   const std::string& label) {
  CS_ASSIGN(auto s, Session::open(t, true));
  CS_TRY(s.login(pin));
  CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  Bytes params = kP256Params;
  std::vector<CK_ATTRIBUTE> pub = {{CKA_TOKEN, &yes, sizeof yes},
                                   {CKA_VERIFY, &yes, sizeof yes},
                                   {CKA_EC_PARAMS, params.data(), params.size()},
                                   {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
  std::vector<CK_ATTRIBUTE> priv = {{CKA_TOKEN, &yes, sizeof yes},
                                    {CKA_PRIVATE, &yes, sizeof yes},
                                    {CKA_SENSITIVE, &yes, sizeof yes},
                                    {CKA_EXTRACTABLE, &no, sizeof no},
                                    {CKA_SIGN, &yes, sizeof yes},
                                    {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
  CK_OBJECT_HANDLE hpub = 0, hpriv = 0;
  if (CK_RV rv = s.f()->C_GenerateKeyPair(s.h(), &mech, pub.data(), pub.size(), priv.data(),
                                          priv.size(), &hpub, &hpriv);
      rv != CKR_OK) {
    return ck_error(rv, "C_GenerateKeyPair");
  }
  CS_ASSIGN(auto ec_point, s.attribute(hpub, CKA_EC_POINT));
  // DER OCTET STRING around the uncompressed point.
  if (ec_point.size() != 67 || ec_point[0] != 0x04 || ec_point[1] != 0x41) {
    return Error(ErrorKind::kUnavailable, "pkcs11",
                 "the token returned an unexpected public point");
  }
  const Bytes point(ec_point.begin() + 2, ec_point.end());
  CS_ASSIGN(auto key, crypto::PublicKey::ec_from_point(crypto::KeyType::kEcP256, point));
  Bytes id(SHA_DIGEST_LENGTH);
  SHA1(point.data(), point.size(), id.data());
  CK_ATTRIBUTE set_id{CKA_ID, id.data(), id.size()};
  for (auto h : {hpub, hpriv}) {
    if (CK_RV rv = s.f()->C_SetAttributeValue(s.h(), h, &set_id, 1); rv != CKR_OK)
      return ck_error(rv, "C_SetAttributeValue");
  }
  return key.spki_der();
}

Result<Bytes> Tokens::sign_sha256(const TokenRef& t, const SecretString& pin, BytesView key_id,
                                  BytesView message) {
  CS_ASSIGN(auto s, Session::open(t, false));
  CS_TRY(s.login(pin));
  CS_ASSIGN(auto keys, by_id(s, CKO_PRIVATE_KEY, key_id));
  if (keys.size() != 1) return not_found("object_not_found", tr("err.token_no_key"));
  Bytes digest = crypto::sha256(message);
  CK_MECHANISM mech{CKM_ECDSA, nullptr, 0};
  if (CK_RV rv = s.f()->C_SignInit(s.h(), &mech, keys[0]); rv != CKR_OK)
    return ck_error(rv, "C_SignInit");
  CK_BYTE sig[132];
  CK_ULONG len = sizeof sig;
  if (CK_RV rv = s.f()->C_Sign(s.h(), digest.data(), digest.size(), sig, &len); rv != CKR_OK)
    return ck_error(rv, "C_Sign");
  return crypto::ec_sig_raw_to_der(BytesView(sig, len));
}

Result<bool> Tokens::has_private_key(const TokenRef& t, BytesView key_id) {
  CS_ASSIGN(auto s, Session::open(t, false));
  // Private keys are private objects: only listed after login on most tokens; the public key of
  // the pair stands for it.
  CS_ASSIGN(auto pubs, by_id(s, CKO_PUBLIC_KEY, key_id));
  return !pubs.empty();
}

Result<bool> Tokens::install_certificate(const TokenRef& t, const SecretString& pin, BytesView der,
                                         BytesView key_id, const std::string& label) {
  CS_ASSIGN(auto s, Session::open(t, true));
  CS_TRY(s.login(pin));
  CS_ASSIGN(auto old, by_id(s, CKO_CERTIFICATE, key_id));
  std::vector<CK_OBJECT_HANDLE> others;
  for (auto h : old) {
    CS_ASSIGN(auto value, s.attribute(h, CKA_VALUE));
    if (value == Bytes(der.begin(), der.end())) return false;
    others.push_back(h);
  }
  CS_ASSIGN(auto facts, pki::read_certificate(der));
  CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  Bytes value(der.begin(), der.end()), id(key_id.begin(), key_id.end());
  std::vector<CK_ATTRIBUTE> tmpl = {{CKA_CLASS, &cls, sizeof cls},
                                    {CKA_CERTIFICATE_TYPE, &type, sizeof type},
                                    {CKA_TOKEN, &yes, sizeof yes},
                                    {CKA_PRIVATE, &no, sizeof no},
                                    {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
                                    {CKA_ID, id.data(), id.size()},
                                    {CKA_SUBJECT, facts.subject.data(), facts.subject.size()},
                                    {CKA_ISSUER, facts.issuer.data(), facts.issuer.size()},
                                    {CKA_VALUE, value.data(), value.size()}};
  CK_OBJECT_HANDLE created = 0;
  if (CK_RV rv = s.f()->C_CreateObject(s.h(), tmpl.data(), tmpl.size(), &created); rv != CKR_OK) {
    return ck_error(rv, "C_CreateObject");
  }
  for (auto h : others) {
    if (CK_RV rv = s.f()->C_DestroyObject(s.h(), h); rv != CKR_OK)
      return ck_error(rv, "C_DestroyObject");
  }
  return true;
}

Result<std::vector<std::pair<std::string, bool>>> Tokens::private_key_flags(const TokenRef& t,
                                                                            const SecretString& pin,
                                                                            BytesView key_id) {
  CS_ASSIGN(auto s, Session::open(t, false));
  CS_TRY(s.login(pin));
  CS_ASSIGN(auto keys, by_id(s, CKO_PRIVATE_KEY, key_id));
  if (keys.size() != 1) return not_found("object_not_found", tr("err.token_no_key"));
  std::vector<std::pair<std::string, bool>> out;
  for (auto [name, type] : std::initializer_list<std::pair<const char*, CK_ATTRIBUTE_TYPE>>{
           {"sensitive", CKA_SENSITIVE},
           {"extractable", CKA_EXTRACTABLE},
           {"never_extractable", CKA_NEVER_EXTRACTABLE},
           {"local", CKA_LOCAL}}) {
    CS_ASSIGN(auto v, s.attribute(keys[0], type));
    out.emplace_back(name, v.size() == 1 && v[0] == CK_TRUE);
  }
  return out;
}

}  // namespace certseal::client
