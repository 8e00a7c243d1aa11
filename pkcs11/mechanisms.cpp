#include "pkcs11/mechanisms.h"

#include <cstring>
#include <memory>

namespace certseal::pkcs11 {
namespace {

constexpr CK_FLAGS kEcFlags = CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;

// DER DigestInfo of SHA-256 up to the digest (RFC 8017 §9.2 note 1): what a CKM_RSA_PKCS
// caller passes before the 32 digest bytes. The platform signs nothing else.
constexpr std::uint8_t kSha256DigestInfo[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                              0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                              0x01, 0x05, 0x00, 0x04, 0x20};
constexpr std::size_t kSha256DigestInfoLen = sizeof kSha256DigestInfo + 32;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// The SHA-256 digest so far, leaving the running hash as it is (C_SignUpdate may not be over
// when a length query comes first).
bool digest_so_far(EVP_MD_CTX* running, Bytes* out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> copy(EVP_MD_CTX_new());
  if (!running || !copy || EVP_MD_CTX_copy_ex(copy.get(), running) != 1 ||
      EVP_DigestFinal_ex(copy.get(), digest, &len) != 1 || len != 32) {
    return false;
  }
  out->assign(digest, digest + len);
  return true;
}

}  // namespace

const std::vector<MechanismSpec>& mechanisms() {
  static const std::vector<MechanismSpec> table = {
      {kCkmSm2Sm3, CKF_HW | CKF_SIGN, 256, 256, true, false, false, false},
      {kCkmSm2, CKF_HW | CKF_SIGN, 256, 256, true, false, false, false},
      {kCkmSm2Encrypt, CKF_HW | CKF_DECRYPT, 256, 256, true, false, false, false},
      {CKM_ECDSA, CKF_HW | CKF_SIGN | kEcFlags, 256, 256, true, true, false, false},
      {CKM_ECDSA_SHA256, CKF_HW | CKF_SIGN | kEcFlags, 256, 256, false, true, false, true},
      // Modulus bits of the two-party RSA keys.
      {CKM_RSA_PKCS, CKF_HW | CKF_SIGN | CKF_DECRYPT, 2048, 3072, false, false, true, false},
      {CKM_SHA256_RSA_PKCS, CKF_HW | CKF_SIGN, 2048, 3072, false, false, true, true},
  };
  return table;
}

const MechanismSpec* mechanism_spec(CK_MECHANISM_TYPE type) {
  for (const auto& m : mechanisms()) {
    if (m.type == type) return &m;
  }
  return nullptr;
}

bool fits_key(const MechanismSpec& m, KeyKind k) {
  switch (k) {
    case KeyKind::kSm2:
      return m.sm2;
    case KeyKind::kEcP256:
      return m.p256;
    case KeyKind::kRsa:
      return m.rsa;
  }
  return false;
}

CK_RV sign_request(CK_MECHANISM_TYPE mechanism, KeyKind kind, const Bytes& input, bool too_long,
                   EVP_MD_CTX* sha256, std::string* platform_mechanism, Bytes* data) {
  switch (mechanism) {
    case kCkmSm2Sm3:
      if (input.empty() || input.size() > kMaxData) return CKR_DATA_LEN_RANGE;
      *platform_mechanism = "sm2-sm3";
      *data = input;
      return CKR_OK;
    case kCkmSm2:
    case CKM_ECDSA:
      // SM2: e = SM3(Z_A ‖ M), or the digest given to CKM_ECDSA; P-256: a SHA-256 digest. Other
      // lengths (a SHA-1 or SHA-384 digest, a message) are refused here.
      if (input.size() != 32) return CKR_DATA_LEN_RANGE;
      *platform_mechanism = kind == KeyKind::kEcP256 ? "ecdsa-sha256-digest" : "sm2";
      *data = input;
      return CKR_OK;
    case CKM_RSA_PKCS:
      if (input.size() != kSha256DigestInfoLen) return CKR_DATA_LEN_RANGE;
      if (std::memcmp(input.data(), kSha256DigestInfo, sizeof kSha256DigestInfo) != 0)
        return CKR_DATA_INVALID;
      *platform_mechanism = "rsa-sha256-digest";
      data->assign(input.begin() + sizeof kSha256DigestInfo, input.end());
      return CKR_OK;
    case CKM_SHA256_RSA_PKCS:
    case CKM_ECDSA_SHA256: {
      const std::string family = mechanism == CKM_ECDSA_SHA256 ? "ecdsa" : "rsa";
      if (!too_long && !input.empty()) {  // the phone can show the message itself
        *platform_mechanism = family + "-sha256";
        *data = input;
        return CKR_OK;
      }
      if (!digest_so_far(sha256, data)) return CKR_GENERAL_ERROR;
      *platform_mechanism = family + "-sha256-digest";
      return CKR_OK;
    }
    default:
      return CKR_MECHANISM_INVALID;
  }
}

}  // namespace certseal::pkcs11
