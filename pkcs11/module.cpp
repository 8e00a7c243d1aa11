// libcertseal-pkcs11.so: the PKCS#11 v2.40 library, its slot and token (docs/PKCS11.md). One
// slot whose token is the paired phone: each of its certificates is a certificate, a public key
// and a private-key handle (objects.h); sessions and objects are in sessions.cpp, C_Sign and
// C_Decrypt — requests the phone confirms (platform.h) — in operations.cpp. Locking:
// CKF_OS_LOCKING_OK — one process-wide mutex guards the module's state (module_internal.h); it is
// released while a request waits for the phone, so several threads sign at once through one
// module. Application-supplied mutex callbacks are refused (CKR_CANT_LOCK) unless
// CKF_OS_LOCKING_OK is set too.
#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include "pkcs11/module_internal.h"

namespace certseal::pkcs11 {

std::mutex g_mu;
std::unique_ptr<State> g_state;
std::atomic<bool> g_finalising{false};

namespace {

constexpr auto kRefreshAfter = std::chrono::seconds(5);
std::mutex g_refresh_mu;  // one refresh at a time (taken before g_mu, never inside it)

void pad(CK_UTF8CHAR* dst, std::size_t n, const std::string& s) {
  std::memset(dst, ' ', n);
  std::memcpy(dst, s.data(), std::min(n, s.size()));
}

CK_RV not_supported() {
  return CKR_FUNCTION_NOT_SUPPORTED;
}

}  // namespace

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

CK_RV session_of(CK_SESSION_HANDLE h, Session** out) {
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  auto it = g_state->sessions.find(h);
  if (it == g_state->sessions.end()) return CKR_SESSION_HANDLE_INVALID;
  *out = &it->second;
  return CKR_OK;
}

}  // namespace certseal::pkcs11

using namespace certseal::pkcs11;  // NOLINT: the C entry points below

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
