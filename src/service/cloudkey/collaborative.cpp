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

namespace {
// Live delegations to account_id of a current, valid staff certificate whose tenant allows the
// application; with the certificate's facts.
constexpr const char* kDelegatedSql =
    "SELECT d.certificate_id, d.key_id, p.serial, p.subject, p.der FROM cloudkey_delegations d JOIN "
    "cloudkey_certificates c ON c.certificate_id = d.certificate_id AND c.current = 1 JOIN pki_certificate p ON "
    "p.id = d.certificate_id JOIN cloudkey_tenant_apps ta ON ta.tenant_id = d.tenant_id AND ta.app_id = ? WHERE "
    "d.delegate_account_id = ? AND d.status = 'approved' AND d.frozen = 0 AND d.not_before <= ? AND d.not_after > ? "
    "AND (d.uses_left IS NULL OR d.uses_left > 0) AND p.status = 'valid' AND p.not_after > ?";
}  // namespace

Result<std::vector<DelegatedSceneCertificate>> CloudKeyService::delegated_certificates(store::Tx& tx,
                                                                                      const std::string& account_id,
                                                                                      const std::string& app_id) {
  const std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto rows, tx.query(std::string(kDelegatedSql) + " ORDER BY d.id LIMIT 50", {app_id, account_id, now, now,
                                                                                         now}));
  std::vector<DelegatedSceneCertificate> out;
  for (const auto& r : rows) {
    out.push_back({r.text("certificate_id"), r.text("key_id"), r.text("serial"), r.text("subject"), r.blob("der")});
  }
  return out;
}

Result<std::optional<DelegatedSceneCertificate>> CloudKeyService::delegated_use(store::Tx& tx,
                                                                                const std::string& account_id,
                                                                                const std::string& purpose,
                                                                                const std::string& certificate_id) {
  // The use this request's two-party step counted (result ok), under a delegation of that
  // certificate to this account. The delegation may have been spent by that very use.
  CS_ASSIGN(auto r, tx.query_one("SELECT d.certificate_id, d.key_id, p.serial, p.subject, p.der FROM "
                                 "cloudkey_delegation_uses u JOIN cloudkey_delegations d ON d.id = u.delegation_id "
                                 "JOIN pki_certificate p ON p.id = d.certificate_id WHERE u.delegate_account_id = ? AND "
                                 "u.purpose = ? AND u.result = 'ok' AND d.certificate_id = ? LIMIT 1",
                                 {account_id, purpose, certificate_id}));
  if (!r) return std::optional<DelegatedSceneCertificate>();
  return std::optional<DelegatedSceneCertificate>(DelegatedSceneCertificate{
      r->text("certificate_id"), r->text("key_id"), r->text("serial"), r->text("subject"), r->blob("der")});
}

}  // namespace certseal::service
