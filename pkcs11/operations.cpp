// libcertseal-pkcs11.so: the operations that go to the phone (docs/PKCS11.md "Mechanisms",
// "Return values"): C_GetMechanismList/Info from the table of mechanisms.h, C_SignInit/C_Sign/
// C_SignUpdate/C_SignFinal and C_DecryptInit/C_Decrypt. Data a mechanism cannot take is refused
// here, before anything is asked of the phone; the output buffers follow the two-call convention
// (a NULL buffer gives the length, a small one CKR_BUFFER_TOO_SMALL, the operation staying active
// in both cases); otherwise the operation becomes a request the phone confirms or refuses, and it
// ends whatever the outcome.
#include <openssl/evp.h>

#include <cstring>

#include "pkcs11/mechanisms.h"
#include "pkcs11/module_internal.h"

namespace certseal::pkcs11 {
namespace {

constexpr std::size_t kSm2CipherOverhead = 97;  // C1 (65) + C3 (32)
constexpr std::size_t kPkcs1Overhead = 11;      // PKCS#1 v1.5: 00 02 PS(≥ 8) 00

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

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
  const MechanismSpec* spec = mechanism_spec(mech->mechanism);
  if (spec == nullptr || !(spec->flags & (kind == OpKind::kSign ? CKF_SIGN : CKF_DECRYPT))) {
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
  // SM2 keys: the SM2 mechanisms, and CKM_ECDSA as raw SM2 of a 32-byte digest for consumers
  // that know only CKM_ECDSA (docs/PKCS11.md). P-256 keys: CKM_ECDSA and CKM_ECDSA_SHA256
  // (two-party ECDSA). RSA keys: CKM_RSA_PKCS and CKM_SHA256_RSA_PKCS.
  if (!fits_key(*spec, o->kind)) return CKR_KEY_TYPE_INCONSISTENT;
  s->op = Operation{};
  s->op.kind = kind;
  s->op.mechanism = mech->mechanism;
  s->op.key = key;
  s->op.certificate_id = o->certificate_id;
  s->op.key_kind = o->kind;
  s->op.modulus_bytes = o->modulus_bytes;
  if (spec->module_hashes) {
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

// Feeds data to the running hash of a mechanism the module hashes for (none for the others).
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
  const CK_ULONG sig_size = s->op.key_kind == KeyKind::kRsa ? s->op.modulus_bytes : kEcSignatureLen;
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
  if (CK_RV drv = sign_request(s->op.mechanism, s->op.key_kind, input, s->op.too_long,
                               s->op.sha256.get(), &mech, &payload);
      drv != CKR_OK) {
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

}  // namespace
}  // namespace certseal::pkcs11

using namespace certseal::pkcs11;  // NOLINT: the C entry points below
using certseal::Bytes;
using certseal::BytesView;

extern "C" {

CS_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
                                   CK_ULONG_PTR count) {
  if (count == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  const auto& all = mechanisms();
  const CK_ULONG n = all.size();
  if (list == nullptr) {
    *count = n;
    return CKR_OK;
  }
  if (*count < n) {
    *count = n;
    return CKR_BUFFER_TOO_SMALL;
  }
  for (CK_ULONG i = 0; i < n; ++i) list[i] = all[i].type;
  *count = n;
  return CKR_OK;
}

CS_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                   CK_MECHANISM_INFO_PTR info) {
  if (info == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard<std::mutex> l(g_mu);
  if (!g_state) return CKR_CRYPTOKI_NOT_INITIALIZED;
  if (slot != kSlot) return CKR_SLOT_ID_INVALID;
  const MechanismSpec* spec = mechanism_spec(type);
  if (spec == nullptr) return CKR_MECHANISM_INVALID;
  info->ulMinKeySize = spec->min_key_bits;
  info->ulMaxKeySize = spec->max_key_bits;
  info->flags = spec->flags;
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
  if (s->op.sha256) {
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

}  // extern "C"
