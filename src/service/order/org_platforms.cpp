// OrderService: mutual recognition (互认共享) of an organisation's certificates, managed by its
// admin whoever holds the certificate (order_service.h).
#include "service/order/order_service.h"

namespace certseal::service {
namespace {

// The holder of the organisation's certificate, for an active admin of the verified organisation.
Result<std::string> holder_for_admin(store::Database& db, const std::string& admin_id, const std::string& org_id,
                                     const std::string& certificate_id) {
  return db.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto m, tx.query_one("SELECT m.role FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE "
                                   "m.org_id = ? AND m.account_id = ? AND m.status = 'active' AND o.status = 'verified' "
                                   "AND m.role IN ('admin', 'legal_representative')",
                                   {org_id, admin_id}));
    if (!m) return permission_denied("not_org_admin", "only an admin of the organisation manages its certificates");
    CS_ASSIGN(auto c, tx.query_one("SELECT account_id FROM account_certificates WHERE certificate_id = ? AND org_id = ?",
                                   {certificate_id, org_id}));
    if (!c) return not_found("certificate_not_found", "the organisation has no such certificate");
    return c->text("account_id");
  });
}

}  // namespace

Result<std::vector<CertificatePlatformView>> OrderService::org_certificate_platforms(const std::string& admin_id,
                                                                                   const std::string& org_id,
                                                                                   const std::string& certificate_id) {
  CS_ASSIGN(auto holder, holder_for_admin(db_, admin_id, org_id, certificate_id));
  return certificate_platforms(holder, certificate_id);
}

Result<CertificatePlatformView> OrderService::org_cancel_certificate_platform(const std::string& admin_id,
                                                                            const std::string& org_id,
                                                                            const std::string& certificate_id,
                                                                            const std::string& platform_id) {
  CS_ASSIGN(auto holder, holder_for_admin(db_, admin_id, org_id, certificate_id));
  return cancel_platform(admin_id, holder, org_id, certificate_id, platform_id);
}

}  // namespace certseal::service
