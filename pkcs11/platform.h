// The PKCS#11 module's way to the platform (docs/PKCS11.md): the PC's link (pc.json, written by
// `certseal pc pair`) and the HTTP calls of the PC's side of the API, authenticated with the
// PC's bearer token (`Authorization: PC <token>`). The module holds no key share: a signature or
// decryption is a request the phone confirms (or refuses); this file waits for its outcome.
//
// Contract: thread-safe (every call uses its own libcurl handle; curl_global_init is the
// module's C_Initialize's). Errors as values: pc_not_paired (no pc.json, or the server does not
// know the token / the link was removed), network, server_error, and the server's problem codes.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::pkcs11 {

struct PcConfig {
  std::string server, link_id, token, name;
};

// pc.json: $CERTSEAL_PC_CONFIG, else pc.json in the client's data dir ($CERTSEAL_DATA_DIR, else
// $XDG_DATA_HOME/certseal, else ~/.local/share/certseal). nullopt when there is none (unpaired).
Result<std::optional<PcConfig>> load_pc_config();

struct PhoneCertificate {
  std::string certificate_id, key_id, subject, algorithm;
  Bytes der, public_key;  // SM2: the uncompressed point 04‖x‖y; RSA, P-256: SPKI DER
};

// What became of an operation the phone was asked for.
enum class Outcome { kCompleted, kRefused, kExpired };
struct OperationResult {
  Outcome outcome = Outcome::kExpired;
  Bytes result;  // r‖s or the plaintext, when completed
  std::string reason;
};

class Platform {
 public:
  explicit Platform(PcConfig cfg) : cfg_(std::move(cfg)) {}
  const PcConfig& config() const { return cfg_; }

  Result<std::vector<PhoneCertificate>> certificates() const;
  // Posts the request and polls until the phone answers or it expires (the server's expiry,
  // plus a margin), or *cancel becomes true. operation "sign"/"decrypt", mechanism "sm2-sm3"/"sm2".
  Result<OperationResult> run(const std::string& certificate_id, const std::string& operation,
                              const std::string& mechanism, BytesView data,
                              const std::atomic<bool>* cancel = nullptr) const;

 private:
  PcConfig cfg_;
};

}  // namespace certseal::pkcs11
