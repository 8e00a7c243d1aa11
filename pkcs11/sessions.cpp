// libcertseal-pkcs11.so: sessions, login and objects (docs/PKCS11.md "Slot and token",
// "Objects"). Read-only serial sessions; one login state for the application (the PIN is
// entered on the phone: CKF_PROTECTED_AUTHENTICATION_PATH); private keys are visible after
// C_Login. Every entry point takes g_mu (module_internal.h).
#include <algorithm>
#include <cstring>

#include "pkcs11/module_internal.h"

using namespace certseal::pkcs11;  // NOLINT: the C entry points below
using certseal::Bytes;

extern "C" {

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

}  // extern "C"
