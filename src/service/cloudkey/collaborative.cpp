// CloudKeyService: collaborative signing (协同签名) — the scene requests of the applications a
// tenant allows reach its staff certificates (cloudkey_service.h, SceneCertificateGate).
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;

Result<std::optional<bool>> CloudKeyService::allows_app(store::Tx& tx, const std::string& certificate_id,
                                                        const std::string& app_id) {
  CS_ASSIGN(auto c, tx.query_one("SELECT c.tenant_id, c.current, p.status, p.not_after FROM cloudkey_certificates c "
                                 "JOIN pki_certificate p ON p.id = c.certificate_id WHERE c.certificate_id = ?",
                                 {certificate_id}));
  if (!c) return std::optional<bool>();  // not a staff certificate: the platform rule applies
  if (c->integer("current") != 1 || c->text("status") != "valid" || c->integer("not_after") <= clock_.now_unix()) {
    return std::optional<bool>(false);
  }
  CS_ASSIGN(auto a, tx.query_one("SELECT 1 AS ok FROM cloudkey_tenant_apps WHERE tenant_id = ? AND app_id = ?",
                                 {c->text("tenant_id"), app_id}));
  return std::optional<bool>(a.has_value());
}

}  // namespace certseal::service
