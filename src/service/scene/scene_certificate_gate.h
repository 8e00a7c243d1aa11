// SceneCertificateGate: how another area decides, for certificates it issued, which relying-party
// applications may ask them in a QR scene, in place of the platform rule (the purchase platform
// or mutual recognition, OrderService::enabled_for). The cloud key area (service/cloudkey)
// implements it: a tenant's staff certificate answers only the applications the tenant allows
// (协同签名, docs/CLOUDKEY.md).
//
// SceneService asks it when listing the certificates a claimant may answer with and again inside
// the completing transaction, so an application the tenant stopped allowing meanwhile is refused.
//
// Contract: implementations are thread-safe and run inside the caller's store::Tx.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

// A certificate someone may answer with through the gate's own delegation (not held by them).
struct DelegatedSceneCertificate {
  std::string certificate_id, key_id, serial, subject;
  Bytes der;
};

class SceneCertificateGate {
 public:
  virtual ~SceneCertificateGate() = default;
  // nullopt: not a certificate this gate governs (the platform rule applies). Otherwise whether
  // the application may use it now: allowed, and the certificate current, valid and unexpired.
  virtual Result<std::optional<bool>> allows_app(store::Tx& tx, const std::string& certificate_id,
                                                 const std::string& app_id) = 0;
  // The certificates account_id may answer app_id's requests with through a live delegation of
  // theirs (offered at claim; the use itself is counted at the two-party step).
  virtual Result<std::vector<DelegatedSceneCertificate>> delegated_certificates(store::Tx& tx,
                                                                               const std::string& account_id,
                                                                               const std::string& app_id) = 0;
  // At completion, for a certificate account_id does not hold: the delegated use the two-party
  // step counted for this request (its purpose "scene <code> <request id>"). nullopt: none (the
  // caller goes on to other sources and then certificate_not_found).
  virtual Result<std::optional<DelegatedSceneCertificate>> delegated_use(store::Tx& tx, const std::string& account_id,
                                                                         const std::string& purpose,
                                                                         const std::string& certificate_id) = 0;
};

}  // namespace certseal::service
