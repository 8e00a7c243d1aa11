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

#include "base/result.h"
#include "store/db.h"

namespace certseal::service {

class SceneCertificateGate {
 public:
  virtual ~SceneCertificateGate() = default;
  // nullopt: not a certificate this gate governs (the platform rule applies). Otherwise whether
  // the application may use it now: allowed, and the certificate current, valid and unexpired.
  virtual Result<std::optional<bool>> allows_app(store::Tx& tx, const std::string& certificate_id,
                                                 const std::string& app_id) = 0;
};

}  // namespace certseal::service
