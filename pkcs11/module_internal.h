// The module's state, shared by the files of its entry points (pkcs11/ only):
//   module.cpp      the library, the slot and the token (C_Initialize … C_GetTokenInfo), the
//                   function list, what the module does not support; the state below and its
//                   refresh from the platform
//   sessions.cpp    sessions, login, objects (attributes, search)
//   operations.cpp  the mechanisms' entry points: C_Sign*, C_Decrypt*, and the way of an
//                   operation to the phone (mechanisms.h holds the table they consult)
//
// Locking: one process-wide mutex, g_mu, guards *g_state (sessions, objects, login, config). It
// is released while a request waits for the phone (run_on_phone), so several threads sign at
// once. g_refresh_mu serialises refreshes and is taken before g_mu, never inside it.
#pragma once

#include <openssl/evp.h>

#include <p11-kit/pkcs11.h>

#include <atomic>
#include <chrono>
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

inline constexpr CK_SLOT_ID kSlot = 1;

enum class OpKind { kNone, kSign, kDecrypt };

struct Operation {
  OpKind kind = OpKind::kNone;
  CK_MECHANISM_TYPE mechanism = 0;
  CK_OBJECT_HANDLE key = 0;
  std::string certificate_id;
  KeyKind key_kind = KeyKind::kSm2;
  CK_ULONG modulus_bytes = 0;
  Bytes buffer;  // C_SignUpdate accumulates here
  // A mechanism the module hashes for (CKM_SHA256_RSA_PKCS, CKM_ECDSA_SHA256) hashes as the
  // data comes; the message itself is kept (for the phone to show) while it fits kMaxData, and
  // dropped when it grows past it.
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

extern std::mutex g_mu;
extern std::unique_ptr<State> g_state;  // GUARDED_BY(g_mu); null when not initialised
extern std::atomic<bool> g_finalising;  // C_Finalize: waiting threads give up at their next poll

// Fetches the phone's certificates when the last look is older than 5 s (or forced) and swaps
// them in. Unpaired (no pc.json, or the server no longer knows the token): no objects. A
// network failure keeps what was there. REQUIRES: g_mu not held.
void refresh(bool force);

// The object of a handle, nullptr for none or a private one before C_Login. REQUIRES: g_mu held.
const TokenObject* find_object(const State& s, CK_OBJECT_HANDLE h);

// Checks and fetches the session. REQUIRES: g_mu held.
CK_RV session_of(CK_SESSION_HANDLE h, Session** out);

}  // namespace certseal::pkcs11
