// The PKCS#11 module's C_* entry points (pkcs11/module.cpp) called by a hostile or careless
// application: a program of calls read from the input, each with fuzzer-chosen slot, session and
// object handles, mechanisms (with or without parameters), attribute templates (types, value
// lengths, null or present value buffers), flags, user types and data / output buffer lengths.
// The module runs for real, compiled into the target with its platform code, on a real
// configuration that has no paired phone: CERTSEAL_PC_CONFIG names either no file (never paired)
// or a pc.json whose platform is http://127.0.0.1:1 (paired once, platform unreachable: every
// refresh fails at connect, no network). Every buffer handed in has exactly the length the call is
// told, so AddressSanitizer reports any write or read past a stated length.
//
// A second mode feeds the object layer (objects.h) what a platform may send: a certificate DER,
// public key and algorithm name from the input (objects_for), and templates matched against the
// objects made (matches), with real SM2, P-256 and RSA certificates in the seeds.
//
// Checks beyond "no crash": a length the module reports for a value it returned is at most the
// buffer's, C_GetSlotList / C_GetMechanismList report counts that fit, C_FindObjects returns at
// most the maximum asked for.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <p11-kit/pkcs11.h>

#include "fuzz/fuzz_input.h"
#include "pkcs11/objects.h"

extern "C" CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR);

using namespace certseal;

namespace {

std::string g_dir, g_missing_config, g_unreachable_config;

CK_RV fake_mutex(CK_VOID_PTR_PTR) { return CKR_OK; }
CK_RV fake_mutex_op(CK_VOID_PTR) { return CKR_OK; }

// Reads little pieces of the call program.
struct Program {
  fuzz::FuzzInput in;
  // Buffers of this input (freed at its end); new[] so that even a 0-byte buffer is a distinct
  // pointer that AddressSanitizer guards.
  std::vector<std::unique_ptr<std::uint8_t[]>> heap;

  CK_ULONG ulong() {
    // Mostly small values (valid handles, counts) and now and then any 64-bit value.
    const std::uint8_t b = in.byte();
    if (b < 0xf0) return b & 0x0f ? b & 0x1f : b >> 4;
    CK_ULONG v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | in.byte();
    return v;
  }
  // A buffer of exactly n bytes (contents from the input), or nullptr when asked for.
  std::uint8_t* buffer(std::size_t n) {
    heap.emplace_back(new std::uint8_t[n]());
    BytesView from = in.take(n);
    if (!from.empty()) std::memcpy(heap.back().get(), from.data(), from.size());
    return heap.back().get();
  }
  // Data for an input argument: null, or a buffer of a chosen length up to 255 or a larger one.
  std::uint8_t* data(CK_ULONG* len) {
    const std::uint8_t kind = in.byte();
    if (kind % 8 == 0) {
      *len = kind / 8;  // null with a length: must be refused, never read
      return nullptr;
    }
    std::size_t n = in.byte();
    if (kind % 8 == 7) n = n * 97;  // up to ~24 KB: over the module's 16 KiB message limit
    *len = n;
    return buffer(n);
  }
  // An output buffer and its length cell: null buffer (a length query), or a buffer of the
  // length the cell says; the cell itself may be null.
  struct Out {
    std::uint8_t* buf = nullptr;
    CK_ULONG* len = nullptr;
    CK_ULONG given = 0;
  };
  Out out() {
    Out o;
    const std::uint8_t kind = in.byte();
    if (kind % 5 != 0) {
      o.len = reinterpret_cast<CK_ULONG*>(buffer(sizeof(CK_ULONG)));
      o.given = kind % 5 == 1 ? 0 : in.byte();
      *o.len = o.given;
      if (kind % 5 >= 2) o.buf = buffer(o.given);
    }
    return o;
  }
  CK_MECHANISM_TYPE mechanism_type() {
    static const CK_MECHANISM_TYPE known[] = {pkcs11::kCkmSm2,   pkcs11::kCkmSm2Sm3,  pkcs11::kCkmSm2Encrypt,
                                              CKM_ECDSA,         CKM_RSA_PKCS,        CKM_SHA256_RSA_PKCS,
                                              CKM_RSA_PKCS_OAEP, CKM_ECDSA_SHA256,    CKM_SHA256};
    const std::uint8_t b = in.byte();
    if (b < 2 * std::size(known)) return known[b % std::size(known)];
    return ulong();
  }
  // A mechanism (or nullptr), its parameter null or a buffer of the stated length.
  CK_MECHANISM* mechanism() {
    const std::uint8_t kind = in.byte();
    if (kind % 7 == 0) return nullptr;
    auto* m = reinterpret_cast<CK_MECHANISM*>(buffer(sizeof(CK_MECHANISM)));
    m->mechanism = mechanism_type();
    m->pParameter = nullptr;
    m->ulParameterLen = 0;
    if (kind % 7 == 1) m->ulParameterLen = in.byte();  // length without a parameter
    if (kind % 7 == 2) {
      m->ulParameterLen = in.byte();
      m->pParameter = buffer(m->ulParameterLen);
    }
    return m;
  }
  CK_ATTRIBUTE_TYPE attribute_type() {
    static const CK_ATTRIBUTE_TYPE known[] = {
        CKA_CLASS,       CKA_TOKEN,      CKA_PRIVATE,    CKA_LABEL,        CKA_ID,          CKA_VALUE,
        CKA_KEY_TYPE,    CKA_EC_PARAMS,  CKA_EC_POINT,   CKA_MODULUS,      CKA_SIGN,        CKA_DECRYPT,
        CKA_SENSITIVE,   CKA_SUBJECT,    CKA_ISSUER,     CKA_SERIAL_NUMBER, CKA_CERTIFICATE_TYPE,
        CKA_PRIVATE_EXPONENT, CKA_PUBLIC_EXPONENT, CKA_MODULUS_BITS};
    const std::uint8_t b = in.byte();
    if (b < 3 * std::size(known)) return known[b % std::size(known)];
    return ulong();
  }
  // A template of 0-7 attributes (or nullptr with a count), each value null (with or without a
  // length) or a buffer of exactly its stated length.
  CK_ATTRIBUTE* attributes(CK_ULONG* count) {
    const std::uint8_t kind = in.byte();
    *count = kind % 8;
    if (kind & 0x80) return nullptr;
    if (*count == 0 && (kind & 0x40)) return nullptr;
    auto* t = reinterpret_cast<CK_ATTRIBUTE*>(buffer(sizeof(CK_ATTRIBUTE) * *count));
    for (CK_ULONG i = 0; i < *count; ++i) {
      t[i].type = attribute_type();
      const std::uint8_t vk = in.byte();
      t[i].ulValueLen = vk % 4 == 3 ? sizeof(CK_ULONG) : in.byte();
      t[i].pValue = vk % 4 == 0 ? nullptr : buffer(t[i].ulValueLen);
      if (vk % 4 == 1) t[i].ulValueLen = 0;  // a buffer, told it holds nothing
    }
    return t;
  }
};

void check_out(const Program::Out& o, CK_RV rv) {
  if (rv == CKR_OK && o.buf && o.len && *o.len > o.given) std::abort();
}

void run_calls(Program& p, CK_FUNCTION_LIST* f) {
  for (int step = 0; step < 64; ++step) {
    if (p.in.empty()) return;
    const std::uint8_t op = p.in.byte();
    switch (op % 24) {
      case 0: {
        CK_C_INITIALIZE_ARGS* a = nullptr;
        const std::uint8_t kind = p.in.byte();
        if (kind & 1) {
          a = reinterpret_cast<CK_C_INITIALIZE_ARGS*>(p.buffer(sizeof(CK_C_INITIALIZE_ARGS)));
          std::memset(a, 0, sizeof *a);
          if (kind & 2) a->CreateMutex = fake_mutex;
          if (kind & 4) a->DestroyMutex = fake_mutex_op;
          if (kind & 8) a->LockMutex = fake_mutex_op;
          if (kind & 16) a->UnlockMutex = fake_mutex_op;
          a->flags = p.ulong();
          if (kind & 32) a->pReserved = p.buffer(1);
        }
        (void)f->C_Initialize(a);
        break;
      }
      case 1: {
        const std::uint8_t kind = p.in.byte();
        (void)f->C_Finalize(kind & 1 ? p.buffer(1) : nullptr);
        break;
      }
      case 2: {
        const std::uint8_t kind = p.in.byte();
        CK_INFO* info = kind & 1 ? nullptr : reinterpret_cast<CK_INFO*>(p.buffer(sizeof(CK_INFO)));
        (void)f->C_GetInfo(info);
        break;
      }
      case 3: {  // slot list: count cell null, list null (query) or of the stated size
        const std::uint8_t kind = p.in.byte();
        CK_ULONG* count = kind % 3 == 0 ? nullptr : reinterpret_cast<CK_ULONG*>(p.buffer(sizeof(CK_ULONG)));
        CK_SLOT_ID* list = nullptr;
        CK_ULONG given = 0;
        if (count) {
          given = p.in.byte() % 4;
          *count = given;
          if (kind % 3 == 2) list = reinterpret_cast<CK_SLOT_ID*>(p.buffer(sizeof(CK_SLOT_ID) * given));
        }
        const CK_RV rv = f->C_GetSlotList(p.in.byte() & 1, list, count);
        if (rv == CKR_OK && list && *count > given) std::abort();
        break;
      }
      case 4: {
        const CK_SLOT_ID slot = p.ulong();
        const std::uint8_t kind = p.in.byte();
        auto* info = kind & 1 ? nullptr : reinterpret_cast<CK_SLOT_INFO*>(p.buffer(sizeof(CK_SLOT_INFO)));
        (void)f->C_GetSlotInfo(slot, info);
        break;
      }
      case 5: {
        const CK_SLOT_ID slot = p.ulong();
        const std::uint8_t kind = p.in.byte();
        (void)f->C_GetTokenInfo(slot,
                                kind & 1 ? nullptr : reinterpret_cast<CK_TOKEN_INFO*>(p.buffer(sizeof(CK_TOKEN_INFO))));
        break;
      }
      case 6: {  // mechanism list
        const CK_SLOT_ID slot = p.ulong();
        const std::uint8_t kind = p.in.byte();
        CK_ULONG* count = kind % 3 == 0 ? nullptr : reinterpret_cast<CK_ULONG*>(p.buffer(sizeof(CK_ULONG)));
        CK_MECHANISM_TYPE* list = nullptr;
        CK_ULONG given = 0;
        if (count) {
          given = p.in.byte() % 10;
          *count = given;
          if (kind % 3 == 2) {
            list = reinterpret_cast<CK_MECHANISM_TYPE*>(p.buffer(sizeof(CK_MECHANISM_TYPE) * given));
          }
        }
        const CK_RV rv = f->C_GetMechanismList(slot, list, count);
        if (rv == CKR_OK && list && *count > given) std::abort();
        break;
      }
      case 7: {
        const CK_SLOT_ID slot = p.ulong();
        const CK_MECHANISM_TYPE type = p.mechanism_type();
        const std::uint8_t kind = p.in.byte();
        (void)f->C_GetMechanismInfo(
            slot, type, kind & 1 ? nullptr : reinterpret_cast<CK_MECHANISM_INFO*>(p.buffer(sizeof(CK_MECHANISM_INFO))));
        break;
      }
      case 8: {
        const CK_SLOT_ID slot = p.ulong();
        const CK_FLAGS flags = p.ulong() | (p.in.byte() & 1 ? CKF_SERIAL_SESSION : 0);
        const std::uint8_t kind = p.in.byte();
        CK_SESSION_HANDLE* out =
            kind & 1 ? nullptr : reinterpret_cast<CK_SESSION_HANDLE*>(p.buffer(sizeof(CK_SESSION_HANDLE)));
        (void)f->C_OpenSession(slot, flags, nullptr, nullptr, out);
        break;
      }
      case 9:
        (void)f->C_CloseSession(p.ulong());
        break;
      case 10:
        (void)f->C_CloseAllSessions(p.ulong());
        break;
      case 11: {
        const CK_SESSION_HANDLE h = p.ulong();
        const std::uint8_t kind = p.in.byte();
        auto* info = kind & 1 ? nullptr : reinterpret_cast<CK_SESSION_INFO*>(p.buffer(sizeof(CK_SESSION_INFO)));
        (void)f->C_GetSessionInfo(h, info);
        break;
      }
      case 12: {
        const CK_SESSION_HANDLE h = p.ulong();
        const CK_USER_TYPE user = p.ulong();
        CK_ULONG len = 0;
        std::uint8_t* pin = p.data(&len);
        (void)f->C_Login(h, user, pin, len);
        break;
      }
      case 13:
        (void)f->C_Logout(p.ulong());
        break;
      case 14: {
        const CK_SESSION_HANDLE h = p.ulong();
        const CK_OBJECT_HANDLE o = p.ulong();
        CK_ULONG count = 0;
        CK_ATTRIBUTE* t = p.attributes(&count);
        std::vector<CK_ULONG> given;
        for (CK_ULONG i = 0; t && i < count; ++i) given.push_back(t[i].ulValueLen);
        (void)f->C_GetAttributeValue(h, o, t, count);
        for (CK_ULONG i = 0; t && i < count; ++i) {
          if (t[i].pValue && t[i].ulValueLen != CK_UNAVAILABLE_INFORMATION && t[i].ulValueLen > given[i]) std::abort();
        }
        break;
      }
      case 15: {
        const CK_SESSION_HANDLE h = p.ulong();
        CK_ULONG count = 0;
        CK_ATTRIBUTE* t = p.attributes(&count);
        (void)f->C_FindObjectsInit(h, t, count);
        break;
      }
      case 16: {
        const CK_SESSION_HANDLE h = p.ulong();
        const std::uint8_t kind = p.in.byte();
        const CK_ULONG max = kind % 3 == 0 ? p.ulong() : p.in.byte() % 8;
        CK_OBJECT_HANDLE* out = nullptr;
        if (kind % 3 != 0) out = reinterpret_cast<CK_OBJECT_HANDLE*>(p.buffer(sizeof(CK_OBJECT_HANDLE) * max));
        CK_ULONG* count = kind % 4 == 3 ? nullptr : reinterpret_cast<CK_ULONG*>(p.buffer(sizeof(CK_ULONG)));
        const CK_RV rv = f->C_FindObjects(h, out, max, count);
        if (rv == CKR_OK && count && *count > max) std::abort();
        break;
      }
      case 17:
        (void)f->C_FindObjectsFinal(p.ulong());
        break;
      case 18: {
        const CK_SESSION_HANDLE h = p.ulong();
        CK_MECHANISM* m = p.mechanism();
        (void)f->C_SignInit(h, m, p.ulong());
        break;
      }
      case 19: {
        const CK_SESSION_HANDLE h = p.ulong();
        CK_ULONG len = 0;
        std::uint8_t* d = p.data(&len);
        Program::Out o = p.out();
        check_out(o, f->C_Sign(h, d, len, o.buf, o.len));
        break;
      }
      case 20: {
        const CK_SESSION_HANDLE h = p.ulong();
        CK_ULONG len = 0;
        std::uint8_t* d = p.data(&len);
        (void)f->C_SignUpdate(h, d, len);
        break;
      }
      case 21: {
        const CK_SESSION_HANDLE h = p.ulong();
        Program::Out o = p.out();
        check_out(o, f->C_SignFinal(h, o.buf, o.len));
        break;
      }
      case 22: {
        const CK_SESSION_HANDLE h = p.ulong();
        CK_MECHANISM* m = p.mechanism();
        (void)f->C_DecryptInit(h, m, p.ulong());
        break;
      }
      default: {
        const CK_SESSION_HANDLE h = p.ulong();
        CK_ULONG len = 0;
        std::uint8_t* d = p.data(&len);
        Program::Out o = p.out();
        check_out(o, f->C_Decrypt(h, d, len, o.buf, o.len));
        break;
      }
    }
  }
}

// The object layer over what a platform sends: certificate DER, public key, algorithm name.
void objects(fuzz::FuzzInput& in) {
  static const char* const algorithms[] = {"sm2", "ec-p256", "rsa-2048", "rsa-3072", "rsa-4096", ""};
  pkcs11::PhoneCertificate c;
  c.algorithm = algorithms[in.byte() % std::size(algorithms)];
  const std::uint8_t klen_hi = in.byte();
  BytesView pub = in.take(static_cast<std::size_t>(klen_hi) * 2 + in.byte() % 2);
  c.public_key.assign(pub.begin(), pub.end());
  BytesView subject = in.field();
  c.subject.assign(subject.begin(), subject.end());
  c.certificate_id = "cert-1";
  Program p{fuzz::FuzzInput(nullptr, 0), {}};
  // The rest: the certificate DER, then (after it, as much as is left past its own length) the
  // template to match.
  BytesView rest = in.rest();
  std::size_t der_len = rest.size();
  if (rest.size() >= 4 && rest[0] == 0x30 && rest[1] == 0x82) {
    der_len = std::min<std::size_t>(rest.size(), 4 + (static_cast<std::size_t>(rest[2]) << 8 | rest[3]));
  }
  c.der.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(der_len));
  auto objs = pkcs11::objects_for(c, 10);
  if (!objs) return;
  p.in = fuzz::FuzzInput(rest.data() + der_len, rest.size() - der_len);
  CK_ULONG count = 0;
  CK_ATTRIBUTE* t = p.attributes(&count);
  for (const auto& o : *objs) {
    for (const auto& [type, value] : o.attrs) (void)fuzz::touch(value);
    if (t) (void)pkcs11::matches(o, t, count);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char dir[] = "/tmp/pkcs11_fuzz.XXXXXX";
  if (!mkdtemp(dir)) std::abort();
  g_dir = dir;
  g_missing_config = g_dir + "/never-paired.json";
  g_unreachable_config = g_dir + "/pc.json";
  std::ofstream(g_unreachable_config)
      << R"({"server":"http://127.0.0.1:1","link_id":"pc-link-fuzz","token":"t0k3n","name":"fuzz PC"})";
  std::atexit([] {
    std::remove(g_unreachable_config.c_str());
    std::remove(g_dir.c_str());
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Program p{fuzz::FuzzInput(data, size), {}};
  const std::uint8_t mode = p.in.byte();
  if (mode & 0x80) {
    objects(p.in);
    return 0;
  }
  setenv("CERTSEAL_PC_CONFIG", (mode & 1 ? g_unreachable_config : g_missing_config).c_str(), 1);
  CK_FUNCTION_LIST* f = nullptr;
  if (C_GetFunctionList(&f) != CKR_OK || f == nullptr) std::abort();
  (void)f->C_Finalize(nullptr);  // every input starts from an uninitialised module
  if (mode & 2) (void)f->C_Initialize(nullptr);
  run_calls(p, f);
  (void)f->C_Finalize(nullptr);
  return 0;
}
