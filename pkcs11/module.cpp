// libcertseal-pkcs11.so: the PKCS#11 v2.40 entry points (docs/PKCS11.md). One slot whose token
// is the paired phone: each of its certificates is a certificate, a public key and a
// private-key handle (objects.h); C_Sign and C_Decrypt become requests the phone confirms
// (platform.h). Locking: CKF_OS_LOCKING_OK — one process-wide mutex guards the module's state
// (sessions, objects, login); it is released while a request waits for the phone, so several
// threads sign at once through one module. Application-supplied mutex callbacks are refused
// (CKR_CANT_LOCK) unless CKF_OS_LOCKING_OK is set too.
#include <curl/curl.h>
#include <openssl/evp.h>

#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "pkcs11/objects.h"
#include "pkcs11/platform.h"

#define CS_EXPORT extern "C" __attribute__((visibility("default")))

namespace certseal::pkcs11 {
namespace {

constexpr CK_SLOT_ID kSlot = 1;
constexpr CK_ULONG kSm2SignatureLen = 64;
constexpr std::size_t kMaxData = 16384;
constexpr std::size_t kSm2CipherOverhead = 97;  // C1 (65) + C3 (32)
constexpr std::size_t kPkcs1Overhead = 11;      // PKCS#1 v1.5: 00 02 PS(≥ 8) 00
// DER DigestInfo of SHA-256 up to the digest (RFC 8017 §9.2 note 1): what a CKM_RSA_PKCS
// caller passes before the 32 digest bytes. The platform signs nothing else.
constexpr std::uint8_t kSha256DigestInfo[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                              0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                              0x01, 0x05, 0x00, 0x04, 0x20};
constexpr std::size_t kSha256DigestInfoLen = sizeof kSha256DigestInfo + 32;
constexpr auto kRefreshAfter = std::chrono::seconds(5);

enum class OpKind { kNone, kSign, kDecrypt };

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

struct Operation {
  OpKind kind = OpKind::kNone;
  CK_MECHANISM_TYPE mechanism = 0;
  CK_OBJECT_HANDLE key = 0;
  std::string certificate_id;
  KeyKind key_kind = KeyKind::kSm2;
  CK_ULONG modulus_bytes = 0;
  Bytes buffer;  // C_SignUpdate accumulates here
  // CKM_SHA256_RSA_PKCS hashes as the data comes; the message itself is kept (for the phone to
  // show) while it fits kMaxData, and dropped when it grows past it.
  std::shared_ptr<EVP_MD_CTX> sha256;
  bool too_long = false;
  bool updated = false;
  bool busy = false;  // waiting for the phone
};

struct Session {
  CK_FLAGS flags = 0;
  bool finding = false;
  std::vector<CK_OBJECT_HANDLE> found;
  std::size_t found_pos = 0;
  Operation op;
};

struct State {
  std::map<CK_SESSION_HANDLE, Session> sessions;
  CK_SESSION_HANDLE next_session = 1;
  bool logged_in = false;
  std::optional<PcConfig> config;
  std::vector<TokenObject> objects;
  std::map<std::string, CK_OBJECT_HANDLE> handle_of_cert;  // stable handles for the module's life
  CK_OBJECT_HANDLE next_handle = 1;
  std::chrono::steady_clock::time_point refreshed{};
  bool ever_refreshed = false;
};

std::mutex g_mu;
std::unique_ptr<State> g_state;  // GUARDED_BY(g_mu); null when not initialised
std::mutex g_refresh_mu;         // one refresh at a time (taken before g_mu, never inside it)
std::atomic<bool> g_finalising{false};

void pad(CK_UTF8CHAR* dst, std::size_t n, const std::string& s) {
  std::memset(dst, ' ', n);
  std::memcpy(dst, s.data(), std::min(n, s.size()));
}

// Fetches the phone's certificates when the last look is older than kRefreshAfter (or forced),
// and swaps them in. Unpaired (no pc.json, or the server no longer knows the token): no objects.
// REQUIRES: g_mu not held.
void refresh(bool force) {
  std::lock_guard<std::mutex> rl(g_refresh_mu);
  {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_state) return;
    if (!force && g_state->ever_refreshed &&
        std::chrono::steady_clock::now() - g_state->refreshed < kRefreshAfter)
      return;
  }
  auto cfg = load_pc_config();
  std::vector<PhoneCertificate> certs;
  bool paired = cfg && cfg->has_value();
  bool network_failed = false;
  if (paired) {
    Platform platform(**cfg);
    auto got = platform.certificates();
    if (got) {
      certs = std::move(got).value();
    } else if (got.error().kind == ErrorKind::kUnauthenticated) {
      paired = false;  // unknown token or a removed link: nothing to show
    } else {
      network_failed = true;  // keep what was there
    }
  }
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return;
  g_state->refreshed = std::chrono::steady_clock::now();
  g_state->ever_refreshed = true;
  if (network_failed) return;
  g_state->config = paired ? std::optional<PcConfig>(**cfg) : std::nullopt;
  std::vector<TokenObject> objects;
  for (const auto& c : certs) {
    auto [it, fresh] = g_state->handle_of_cert.try_emplace(c.certificate_id, g_state->next_handle);
    if (fresh) g_state->next_handle += 3;
    auto objs = objects_for(c, it->second);
    if (!objs) continue;  // a certificate the module cannot show is left out
    for (auto& o : *objs) objects.push_back(std::move(o));
  }
  g_state->objects = std::move(objects);
}

const TokenObject* find_object(const State& s, CK_OBJECT_HANDLE h) {
  for (const auto& o : s.objects) {
    if (o.handle == h && (!o.is_private || s.logged_in)) return &o;
  }
  return nullptr;
}

// Checks and fetches the session. REQUIRES: g_mu held.
CK_RV session_of(CK_SESSION_HANDLE h, Session** out) {
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  auto it = g_state->sessions.find(h);
  if (it == g_state->sessions.end()) return CKR_SESSION_HANDLE_INVALID;
  *out = &it->second;
  return CKR_OK;
}

bool sign_mechanism(CK_MECHANISM_TYPE m) {
  return m == kCkmSm2 || m == kCkmSm2Sm3 || m == CKM_ECDSA || m == CKM_RSA_PKCS ||
         m == CKM_SHA256_RSA_PKCS;
}
bool decrypt_mechanism(CK_MECHANISM_TYPE m) {
  return m == kCkmSm2Encrypt || m == CKM_RSA_PKCS;
}
// Whether a mechanism known to the token fits the key's type.
bool fits_key(CK_MECHANISM_TYPE m, KeyKind k) {
  const bool rsa_mech = m == CKM_RSA_PKCS || m == CKM_SHA256_RSA_PKCS;
  return k == KeyKind::kRsa ? rsa_mech : (k == KeyKind::kSm2 && !rsa_mech);
}

CK_RV rv_of(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kUnauthenticated:
      return CKR_TOKEN_NOT_PRESENT;  // the phone is no longer paired
    case ErrorKind::kNotFound:
      return CKR_KEY_HANDLE_INVALID;  // the certificate is gone (revoked, renewed)
    case ErrorKind::kInvalidArgument:
      return CKR_DATA_INVALID;
    case ErrorKind::kResourceExhausted:
      return CKR_DEVICE_MEMORY;
    default:
      return CKR_DEVICE_ERROR;
  }
}

// Runs the operation of a session on the phone (`mech`: the platform's mechanism name, see
// docs/PKCS11.md): called with g_mu held through `lock`, which is released while the phone is
// asked and taken again before returning. The operation ends, whatever the outcome.
CK_RV run_on_phone(std::unique_lock<std::mutex>& lock, CK_SESSION_HANDLE h,
                   const std::string& operation, const std::string& mech, BytesView data,
                   Bytes* result) {
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if (!g_state->config) {
    s->op = Operation{};
    return CKR_TOKEN_NOT_PRESENT;
  }
  Platform platform(*g_state->config);
  const std::string cert = s->op.certificate_id;
  s->op.busy = true;
  lock.unlock();
  auto r = platform.run(cert, operation, mech, data, &g_finalising);
  lock.lock();
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;  // closed meanwhile
  s->op = Operation{};
  if (!r) return rv_of(r.error());
  switch (r->outcome) {
    case Outcome::kCompleted:
      *result = std::move(r->result);
      return CKR_OK;
    case Outcome::kRefused:
      return CKR_FUNCTION_REJECTED;
    case Outcome::kExpired:
      return CKR_FUNCTION_CANCELED;
  }
  return CKR_GENERAL_ERROR;
}

// The two-call convention for an output of known length: NULL buffer → the length and the
// operation stays; too small → CKR_BUFFER_TOO_SMALL and the operation stays.
CK_RV length_query(CK_BYTE_PTR out, CK_ULONG_PTR out_len, CK_ULONG needed, bool* answered) {
  *answered = true;
  if (out == nullptr) {
    *out_len = needed;
    return CKR_OK;
  }
  if (*out_len < needed) {
    *out_len = needed;
    return CKR_BUFFER_TOO_SMALL;
  }
  *answered = false;
  return CKR_OK;
}

CK_RV init_operation(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key,
                     OpKind kind) {
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if (mech == nullptr) return CKR_ARGUMENTS_BAD;
  if (s->op.kind != OpKind::kNone) return CKR_OPERATION_ACTIVE;
  if (kind == OpKind::kSign ? !sign_mechanism(mech->mechanism)
                            : !decrypt_mechanism(mech->mechanism)) {
    return CKR_MECHANISM_INVALID;
  }
  if (mech->pParameter != nullptr || mech->ulParameterLen != 0) return CKR_MECHANISM_PARAM_INVALID;
  const TokenObject* o = find_object(*g_state, key);
  if (o == nullptr) {
    for (const auto& any : g_state->objects) {
      if (any.handle == key) return CKR_USER_NOT_LOGGED_IN;  // a private key before C_Login
    }
    return CKR_KEY_HANDLE_INVALID;
  }
  if (o->cls != CKO_PRIVATE_KEY) return CKR_KEY_TYPE_INCONSISTENT;
  const CK_ATTRIBUTE_TYPE usage = kind == OpKind::kSign ? CKA_SIGN : CKA_DECRYPT;
  if (o->attrs.at(usage) != Bytes{CK_TRUE}) return CKR_KEY_FUNCTION_NOT_PERMITTED;
  // Two-party keys are SM2 or RSA. SM2: the SM2 mechanisms, and CKM_ECDSA as raw SM2 of a
  // 32-byte digest for consumers that know only CKM_ECDSA (docs/PKCS11.md). RSA: CKM_RSA_PKCS
  // (a SHA-256 DigestInfo to sign, or a ciphertext) and CKM_SHA256_RSA_PKCS. A P-256 key has no
  // two-party signing yet, so it is shown but every mechanism is inconsistent with it.
  if (!fits_key(mech->mechanism, o->kind)) return CKR_KEY_TYPE_INCONSISTENT;
  s->op = Operation{};
  s->op.kind = kind;
  s->op.mechanism = mech->mechanism;
  s->op.key = key;
  s->op.certificate_id = o->certificate_id;
  s->op.key_kind = o->kind;
  s->op.modulus_bytes = o->modulus_bytes;
  if (mech->mechanism == CKM_SHA256_RSA_PKCS) {
    s->op.sha256.reset(EVP_MD_CTX_new(), MdCtxDeleter{});
    if (!s->op.sha256 || EVP_DigestInit_ex(s->op.sha256.get(), EVP_sha256(), nullptr) != 1) {
      s->op = Operation{};
      return CKR_HOST_MEMORY;
    }
  }
  return CKR_OK;
}

// Checks a session's active operation of `kind`. REQUIRES: g_mu held.
CK_RV active_op(CK_SESSION_HANDLE h, OpKind kind, Session** s) {
  if (CK_RV rv = session_of(h, s); rv != CKR_OK) return rv;
  if ((*s)->op.kind != kind) return CKR_OPERATION_NOT_INITIALIZED;
  if ((*s)->op.busy) return CKR_OPERATION_ACTIVE;
  return CKR_OK;
}

// What the platform is asked to sign for the data given to the mechanism: its mechanism name
// and data. CKM_RSA_PKCS takes only a SHA-256 DigestInfo (the platform signs PKCS#1 v1.5
// encodings of SHA-256 and nothing else): another length is CKR_DATA_LEN_RANGE, 51 bytes that
// are not one CKR_DATA_INVALID. Nothing reaches the phone for data refused here.
CK_RV sign_request(const Operation& op, const Bytes& input, std::string* mech, Bytes* data) {
  switch (op.mechanism) {
    case kCkmSm2Sm3:
      if (input.empty() || input.size() > kMaxData) return CKR_DATA_LEN_RANGE;
      *mech = "sm2-sm3";
      *data = input;
      return CKR_OK;
    case CKM_RSA_PKCS:
      if (input.size() != kSha256DigestInfoLen) return CKR_DATA_LEN_RANGE;
      if (std::memcmp(input.data(), kSha256DigestInfo, sizeof kSha256DigestInfo) != 0)
        return CKR_DATA_INVALID;
      *mech = "rsa-sha256-digest";
      data->assign(input.begin() + sizeof kSha256DigestInfo, input.end());
      return CKR_OK;
    case CKM_SHA256_RSA_PKCS: {
      if (!op.too_long && !input.empty()) {  // the phone can show the message itself
        *mech = "rsa-sha256";
        *data = input;
        return CKR_OK;
      }
      unsigned char digest[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_MD_CTX* c = op.sha256.get();
      std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> copy(EVP_MD_CTX_new());
      if (!c || !copy || EVP_MD_CTX_copy_ex(copy.get(), c) != 1 ||
          EVP_DigestFinal_ex(copy.get(), digest, &len) != 1 || len != 32) {
        return CKR_GENERAL_ERROR;
      }
      *mech = "rsa-sha256-digest";
      data->assign(digest, digest + len);
      return CKR_OK;
    }
    default:  // kCkmSm2, CKM_ECDSA: e = SM3(Z_A ‖ M), or the digest given to CKM_ECDSA
      if (input.size() != 32) return CKR_DATA_LEN_RANGE;
      *mech = "sm2";
      *data = input;
      return CKR_OK;
  }
}

// Feeds data to a CKM_SHA256_RSA_PKCS operation's hash, keeping the message while it is short
// enough to show on the phone.
CK_RV hash_part(Operation& op, BytesView part) {
  if (!op.sha256) return CKR_OK;
  if (!part.empty() && EVP_DigestUpdate(op.sha256.get(), part.data(), part.size()) != 1)
    return CKR_GENERAL_ERROR;
  return CKR_OK;
}

CK_RV do_sign(CK_SESSION_HANDLE h, BytesView data, bool final_part, CK_BYTE_PTR sig,
              CK_ULONG_PTR sig_len) {
  std::unique_lock<std::mutex> lock(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = active_op(h, OpKind::kSign, &s); rv != CKR_OK) return rv;
  if (sig_len == nullptr || (!final_part && s->op.updated)) {
    s->op = Operation{};
    return CKR_ARGUMENTS_BAD;
  }
  const CK_ULONG sig_size =
      s->op.key_kind == KeyKind::kRsa ? s->op.modulus_bytes : kSm2SignatureLen;
  bool answered = false;
  CK_RV rv = length_query(sig, sig_len, sig_size, &answered);
  if (answered) return rv;
  Bytes input = final_part ? s->op.buffer : Bytes(data.begin(), data.end());
  if (!final_part && data.size() > kMaxData) s->op.too_long = true;
  if (!final_part) {
    if (CK_RV hrv = hash_part(s->op, data); hrv != CKR_OK) {
      s->op = Operation{};
      return hrv;
    }
  }
  std::string mech;
  Bytes payload;
  if (CK_RV drv = sign_request(s->op, input, &mech, &payload); drv != CKR_OK) {
    s->op = Operation{};
    return drv;
  }
  Bytes out;
  rv = run_on_phone(lock, h, "sign", mech, payload, &out);
  if (rv != CKR_OK) return rv;
  if (out.size() != sig_size) return CKR_DEVICE_ERROR;
  std::memcpy(sig, out.data(), out.size());
  *sig_len = sig_size;
  return CKR_OK;
}

CK_RV not_supported() {
  return CKR_FUNCTION_NOT_SUPPORTED;
}

}  // namespace
}  // namespace certseal::pkcs11

using namespace certseal::pkcs11;  // NOLINT: the C entry points below
using certseal::Bytes;
using certseal::BytesView;

extern "C" {

CS_EXPORT CK_RV C_Initialize(CK_VOID_PTR init_args) {
  if (init_args != nullptr) {
    auto* a = static_cast<CK_C_INITIALIZE_ARGS*>(init_args);
    if (a->pReserved != nullptr) return CKR_ARGUMENTS_BAD;
    const int given = (a->CreateMutex != nullptr) + (a->DestroyMutex != nullptr) +
                      (a->LockMutex != nullptr) + (a->UnlockMutex != nullptr);
    if (given != 0 && given != 4) return CKR_ARGUMENTS_BAD;
    if (given == 4 && !(a->flags & CKF_OS_LOCKING_OK)) return CKR_CANT_LOCK;
  }
  std::lock_guard<std::mutex> l(g_mu);
  if (g_state) return CKR_CRYPTOKI_ALREADY_INITIALIZED;
  static std::once_flag curl_once;
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  g_finalising = false;
  g_state = std::make_unique<State>();
  return CKR_OK;
}

CS_EXPORT CK_RV C_Finalize(CK_VOID_PTR reserved) {
  if (reserved != nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  g_finalising = true;  // threads waiting for the phone give up at their next poll
  g_state.reset();
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetInfo(CK_INFO_PTR info) {
  if (info == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  std::memset(info, 0, sizeof *info);
  info->cryptokiVersion = {2, 40};
  pad(info->manufacturerID, sizeof info->manufacturerID, "CertSeal");
  pad(info->libraryDescription, sizeof info->libraryDescription, "CertSeal phone key");
  info->libraryVersion = {0, 1};
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetSlotList(CK_BBOOL, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
  if (count == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (list == nullptr) {
    *count = 1;
    return CKR_OK;
  }
  if (*count < 1) {
    *count = 1;
    return CKR_BUFFER_TOO_SMALL;
  }
  list[0] = kSlot;
  *count = 1;
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info) {
  if (info == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  std::memset(info, 0, sizeof *info);
  pad(info->slotDescription, sizeof info->slotDescription, "CertSeal phone (移动电子密钥)");
  pad(info->manufacturerID, sizeof info->manufacturerID, "CertSeal");
  info->flags = CKF_TOKEN_PRESENT | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT;
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  if (info == nullptr) return CKR_ARGUMENTS_BAD;
  refresh(false);
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  std::memset(info, 0, sizeof *info);
  pad(info->label, sizeof info->label,
      g_state->config ? "CertSeal phone" : "CertSeal phone (not paired)");
  pad(info->manufacturerID, sizeof info->manufacturerID, "CertSeal");
  pad(info->model, sizeof info->model, "phone key");
  pad(info->serialNumber, sizeof info->serialNumber,
      g_state->config ? g_state->config->link_id.substr(0, 16) : std::string("unpaired"));
  info->flags = CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED | CKF_LOGIN_REQUIRED |
                CKF_PROTECTED_AUTHENTICATION_PATH | CKF_WRITE_PROTECTED;
  info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
  info->ulSessionCount = g_state->sessions.size();
  info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
  info->ulRwSessionCount = 0;
  for (const auto& [h, s] : g_state->sessions) {
    if (s.flags & CKF_RW_SESSION) ++info->ulRwSessionCount;
  }
  info->ulMaxPinLen = 64;
  info->ulMinPinLen = 0;
  info->ulTotalPublicMemory = info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
  info->ulTotalPrivateMemory = info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
  info->hardwareVersion = {1, 0};
  info->firmwareVersion = {0, 1};
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
                                   CK_ULONG_PTR count) {
  if (count == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  const CK_MECHANISM_TYPE mechs[] = {kCkmSm2Sm3, kCkmSm2, kCkmSm2Encrypt, CKM_ECDSA,
                                    CKM_RSA_PKCS, CKM_SHA256_RSA_PKCS};
  const CK_ULONG n = sizeof mechs / sizeof mechs[0];
  if (list == nullptr) {
    *count = n;
    return CKR_OK;
  }
  if (*count < n) {
    *count = n;
    return CKR_BUFFER_TOO_SMALL;
  }
  std::memcpy(list, mechs, sizeof mechs);
  *count = n;
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                   CK_MECHANISM_INFO_PTR info) {
  if (info == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  info->ulMinKeySize = 256;
  info->ulMaxKeySize = 256;
  if (type == CKM_RSA_PKCS || type == CKM_SHA256_RSA_PKCS) {
    info->ulMinKeySize = 2048;  // modulus bits of the two-party RSA keys
    info->ulMaxKeySize = 3072;
    info->flags = CKF_HW | CKF_SIGN | (type == CKM_RSA_PKCS ? CKF_DECRYPT : 0);
  } else if (type == kCkmSm2 || type == kCkmSm2Sm3) {
    info->flags = CKF_HW | CKF_SIGN;
  } else if (type == CKM_ECDSA) {
    info->flags = CKF_HW | CKF_SIGN | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;
  } else if (type == kCkmSm2Encrypt) {
    info->flags = CKF_HW | CKF_DECRYPT;
  } else {
    return CKR_MECHANISM_INVALID;
  }
  return CKR_OK;
}

CS_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR, CK_NOTIFY,
                              CK_SESSION_HANDLE_PTR out) {
  if (out == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  if (!(flags & CKF_SERIAL_SESSION)) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
  if (flags & CKF_RW_SESSION) return CKR_TOKEN_WRITE_PROTECTED;
  const CK_SESSION_HANDLE h = g_state->next_session++;
  g_state->sessions[h].flags = flags;
  *out = h;
  return CKR_OK;
}

CS_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE h) {
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (g_state->sessions.erase(h) == 0) return CKR_SESSION_HANDLE_INVALID;
  // Closing the last session logs the application out (PKCS#11 §5.6).
  if (g_state->sessions.empty()) g_state->logged_in = false;
  return CKR_OK;
}

CS_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slot) {
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  g_state->sessions.clear();
  g_state->logged_in = false;
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE h, CK_SESSION_INFO_PTR info) {
  if (info == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  info->slotID = kSlot;
  info->state = g_state->logged_in ? CKS_RO_USER_FUNCTIONS : CKS_RO_PUBLIC_SESSION;
  info->flags = s->flags;
  info->ulDeviceError = 0;
  return CKR_OK;
}

// The PIN is entered on the phone (CKF_PROTECTED_AUTHENTICATION_PATH): the certificate password
// is asked there for every operation (or taken from the phone's PIN cache). A PIN given here is
// not used for anything.
CS_EXPORT CK_RV C_Login(CK_SESSION_HANDLE h, CK_USER_TYPE user, CK_UTF8CHAR_PTR, CK_ULONG) {
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if (user == CKU_SO) return CKR_USER_TYPE_INVALID;  // no security officer: the token is read-only
  if (user == CKU_CONTEXT_SPECIFIC) return CKR_OPERATION_NOT_INITIALIZED;
  if (user != CKU_USER) return CKR_USER_TYPE_INVALID;
  if (g_state->logged_in) return CKR_USER_ALREADY_LOGGED_IN;
  g_state->logged_in = true;
  return CKR_OK;
}

CS_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE h) {
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if (!g_state->logged_in) return CKR_USER_NOT_LOGGED_IN;
  g_state->logged_in = false;
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE obj,
                                    CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if (tmpl == nullptr && count > 0) return CKR_ARGUMENTS_BAD;
  const TokenObject* o = find_object(*g_state, obj);
  if (o == nullptr) return CKR_OBJECT_HANDLE_INVALID;
  CK_RV result = CKR_OK;
  for (CK_ULONG i = 0; i < count; ++i) {
    CK_ATTRIBUTE& a = tmpl[i];
    if (std::find(o->sensitive.begin(), o->sensitive.end(), a.type) != o->sensitive.end()) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      result = CKR_ATTRIBUTE_SENSITIVE;
      continue;
    }
    auto it = o->attrs.find(a.type);
    if (it == o->attrs.end()) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      result = CKR_ATTRIBUTE_TYPE_INVALID;
      continue;
    }
    if (a.pValue == nullptr) {
      a.ulValueLen = it->second.size();
      continue;
    }
    if (a.ulValueLen < it->second.size()) {
      a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
      result = CKR_BUFFER_TOO_SMALL;
      continue;
    }
    if (!it->second.empty()) std::memcpy(a.pValue, it->second.data(), it->second.size());
    a.ulValueLen = it->second.size();
  }
  return result;
}

CS_EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE h, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  refresh(false);
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if (tmpl == nullptr && count > 0) return CKR_ARGUMENTS_BAD;
  if (s->finding) return CKR_OPERATION_ACTIVE;
  s->found.clear();
  s->found_pos = 0;
  for (const auto& o : g_state->objects) {
    if (o.is_private && !g_state->logged_in) continue;
    if (matches(o, tmpl, count)) s->found.push_back(o.handle);
  }
  s->finding = true;
  return CKR_OK;
}

CS_EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                              CK_ULONG_PTR count) {
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if ((out == nullptr && max > 0) || count == nullptr) return CKR_ARGUMENTS_BAD;
  if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
  CK_ULONG n = 0;
  while (n < max && s->found_pos < s->found.size()) out[n++] = s->found[s->found_pos++];
  *count = n;
  return CKR_OK;
}

CS_EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE h) {
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = session_of(h, &s); rv != CKR_OK) return rv;
  if (!s->finding) return CKR_OPERATION_NOT_INITIALIZED;
  s->finding = false;
  s->found.clear();
  return CKR_OK;
}

CS_EXPORT CK_RV C_SignInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key) {
  return init_operation(h, mech, key, OpKind::kSign);
}

CS_EXPORT CK_RV C_Sign(CK_SESSION_HANDLE h, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR sig,
                       CK_ULONG_PTR sig_len) {
  if (data == nullptr && len > 0) {
    std::lock_guard<std::mutex> l(g_mu);
    Session* s = nullptr;
    if (session_of(h, &s) == CKR_OK && !s->op.busy) s->op = Operation{};
    return CKR_ARGUMENTS_BAD;
  }
  return do_sign(h, BytesView(data, len), false, sig, sig_len);
}

CS_EXPORT CK_RV C_SignUpdate(CK_SESSION_HANDLE h, CK_BYTE_PTR part, CK_ULONG len) {
  std::lock_guard<std::mutex> l(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = active_op(h, OpKind::kSign, &s); rv != CKR_OK) return rv;
  if (part == nullptr && len > 0) {
    s->op = Operation{};
    return CKR_ARGUMENTS_BAD;
  }
  s->op.updated = true;
  if (s->op.mechanism == CKM_SHA256_RSA_PKCS) {
    // Any length: hashed here; the message is kept only while it can be shown on the phone.
    if (CK_RV rv = hash_part(s->op, BytesView(part, len)); rv != CKR_OK) {
      s->op = Operation{};
      return rv;
    }
    if (!s->op.too_long && s->op.buffer.size() + len <= kMaxData) {
      s->op.buffer.insert(s->op.buffer.end(), part, part + len);
    } else {
      s->op.too_long = true;
      s->op.buffer.clear();
    }
    return CKR_OK;
  }
  if (s->op.buffer.size() + len > kMaxData) {
    s->op = Operation{};
    return CKR_DATA_LEN_RANGE;
  }
  s->op.buffer.insert(s->op.buffer.end(), part, part + len);
  return CKR_OK;
}

CS_EXPORT CK_RV C_SignFinal(CK_SESSION_HANDLE h, CK_BYTE_PTR sig, CK_ULONG_PTR sig_len) {
  return do_sign(h, BytesView(), true, sig, sig_len);
}

CS_EXPORT CK_RV C_DecryptInit(CK_SESSION_HANDLE h, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key) {
  return init_operation(h, mech, key, OpKind::kDecrypt);
}

CS_EXPORT CK_RV C_Decrypt(CK_SESSION_HANDLE h, CK_BYTE_PTR in, CK_ULONG in_len, CK_BYTE_PTR out,
                          CK_ULONG_PTR out_len) {
  std::unique_lock<std::mutex> lock(g_mu);
  Session* s = nullptr;
  if (CK_RV rv = active_op(h, OpKind::kDecrypt, &s); rv != CKR_OK) return rv;
  if ((in == nullptr && in_len > 0) || out_len == nullptr) {
    s->op = Operation{};
    return CKR_ARGUMENTS_BAD;
  }
  const bool rsa = s->op.key_kind == KeyKind::kRsa;
  if (rsa ? in_len != s->op.modulus_bytes
          : (in_len <= kSm2CipherOverhead || in_len > kMaxData || in[0] != 0x04)) {
    s->op = Operation{};
    return CKR_ENCRYPTED_DATA_LEN_RANGE;
  }
  // SM2: the plaintext is as long as C2. RSA: at most k − 11, known only after decrypting, so
  // that bound is what the length query answers and what the buffer must hold.
  const CK_ULONG bound = rsa ? in_len - kPkcs1Overhead : in_len - kSm2CipherOverhead;
  bool answered = false;
  CK_RV rv = length_query(out, out_len, bound, &answered);
  if (answered) return rv;
  Bytes plain;
  rv = run_on_phone(lock, h, "decrypt", rsa ? "rsa-pkcs1" : "sm2", BytesView(in, in_len), &plain);
  if (rv != CKR_OK) return rv;
  if (rsa ? plain.size() > bound : plain.size() != bound) return CKR_DEVICE_ERROR;
  std::memcpy(out, plain.data(), plain.size());
  *out_len = plain.size();
  return CKR_OK;
}

CS_EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS, CK_SLOT_ID_PTR, CK_VOID_PTR) {
  return not_supported();
}

// Everything a read-only, key-less token does not do.
#define CS_UNSUPPORTED(name, ...)     \
  CS_EXPORT CK_RV name(__VA_ARGS__) { \
    return not_supported();           \
  }
CS_UNSUPPORTED(C_InitToken, CK_SLOT_ID, CK_UTF8CHAR_PTR, CK_ULONG, CK_UTF8CHAR_PTR)
CS_UNSUPPORTED(C_InitPIN, CK_SESSION_HANDLE, CK_UTF8CHAR_PTR, CK_ULONG)
CS_UNSUPPORTED(C_SetPIN, CK_SESSION_HANDLE, CK_UTF8CHAR_PTR, CK_ULONG, CK_UTF8CHAR_PTR, CK_ULONG)
CS_UNSUPPORTED(C_GetOperationState, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_SetOperationState, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_OBJECT_HANDLE,
               CK_OBJECT_HANDLE)
CS_UNSUPPORTED(C_CreateObject, CK_SESSION_HANDLE, CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR)
CS_UNSUPPORTED(C_CopyObject, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR, CK_ULONG,
               CK_OBJECT_HANDLE_PTR)
CS_UNSUPPORTED(C_DestroyObject, CK_SESSION_HANDLE, CK_OBJECT_HANDLE)
CS_UNSUPPORTED(C_GetObjectSize, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ULONG_PTR)
CS_UNSUPPORTED(C_SetAttributeValue, CK_SESSION_HANDLE, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR, CK_ULONG)
CS_UNSUPPORTED(C_EncryptInit, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE)
CS_UNSUPPORTED(C_Encrypt, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_EncryptUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_EncryptFinal, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_DecryptUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_DecryptFinal, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_DigestInit, CK_SESSION_HANDLE, CK_MECHANISM_PTR)
CS_UNSUPPORTED(C_Digest, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_DigestUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG)
CS_UNSUPPORTED(C_DigestKey, CK_SESSION_HANDLE, CK_OBJECT_HANDLE)
CS_UNSUPPORTED(C_DigestFinal, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_SignRecoverInit, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE)
CS_UNSUPPORTED(C_SignRecover, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_VerifyInit, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE)
CS_UNSUPPORTED(C_Verify, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG)
CS_UNSUPPORTED(C_VerifyUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG)
CS_UNSUPPORTED(C_VerifyFinal, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG)
CS_UNSUPPORTED(C_VerifyRecoverInit, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE)
CS_UNSUPPORTED(C_VerifyRecover, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_DigestEncryptUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
               CK_ULONG_PTR)
CS_UNSUPPORTED(C_DecryptDigestUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
               CK_ULONG_PTR)
CS_UNSUPPORTED(C_SignEncryptUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
               CK_ULONG_PTR)
CS_UNSUPPORTED(C_DecryptVerifyUpdate, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR,
               CK_ULONG_PTR)
CS_UNSUPPORTED(C_GenerateKey, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_ATTRIBUTE_PTR, CK_ULONG,
               CK_OBJECT_HANDLE_PTR)
CS_UNSUPPORTED(C_GenerateKeyPair, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_ATTRIBUTE_PTR, CK_ULONG,
               CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR, CK_OBJECT_HANDLE_PTR)
CS_UNSUPPORTED(C_WrapKey, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE,
               CK_BYTE_PTR, CK_ULONG_PTR)
CS_UNSUPPORTED(C_UnwrapKey, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_BYTE_PTR,
               CK_ULONG, CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR)
CS_UNSUPPORTED(C_DeriveKey, CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_ATTRIBUTE_PTR,
               CK_ULONG, CK_OBJECT_HANDLE_PTR)
CS_UNSUPPORTED(C_SeedRandom, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG)
CS_UNSUPPORTED(C_GenerateRandom, CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG)
CS_UNSUPPORTED(C_GetFunctionStatus, CK_SESSION_HANDLE)
CS_UNSUPPORTED(C_CancelFunction, CK_SESSION_HANDLE)
#undef CS_UNSUPPORTED

CS_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);

}  // extern "C"

namespace {

CK_FUNCTION_LIST g_functions = {
    {2, 40},
    C_Initialize,
    C_Finalize,
    C_GetInfo,
    C_GetFunctionList,
    C_GetSlotList,
    C_GetSlotInfo,
    C_GetTokenInfo,
    C_GetMechanismList,
    C_GetMechanismInfo,
    C_InitToken,
    C_InitPIN,
    C_SetPIN,
    C_OpenSession,
    C_CloseSession,
    C_CloseAllSessions,
    C_GetSessionInfo,
    C_GetOperationState,
    C_SetOperationState,
    C_Login,
    C_Logout,
    C_CreateObject,
    C_CopyObject,
    C_DestroyObject,
    C_GetObjectSize,
    C_GetAttributeValue,
    C_SetAttributeValue,
    C_FindObjectsInit,
    C_FindObjects,
    C_FindObjectsFinal,
    C_EncryptInit,
    C_Encrypt,
    C_EncryptUpdate,
    C_EncryptFinal,
    C_DecryptInit,
    C_Decrypt,
    C_DecryptUpdate,
    C_DecryptFinal,
    C_DigestInit,
    C_Digest,
    C_DigestUpdate,
    C_DigestKey,
    C_DigestFinal,
    C_SignInit,
    C_Sign,
    C_SignUpdate,
    C_SignFinal,
    C_SignRecoverInit,
    C_SignRecover,
    C_VerifyInit,
    C_Verify,
    C_VerifyUpdate,
    C_VerifyFinal,
    C_VerifyRecoverInit,
    C_VerifyRecover,
    C_DigestEncryptUpdate,
    C_DecryptDigestUpdate,
    C_SignEncryptUpdate,
    C_DecryptVerifyUpdate,
    C_GenerateKey,
    C_GenerateKeyPair,
    C_WrapKey,
    C_UnwrapKey,
    C_DeriveKey,
    C_SeedRandom,
    C_GenerateRandom,
    C_GetFunctionStatus,
    C_CancelFunction,
    C_WaitForSlotEvent,
};

}  // namespace

extern "C" CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out) {
  if (out == nullptr) return CKR_ARGUMENTS_BAD;
  *out = &g_functions;
  return CKR_OK;
}
