// 单位证书管理: an organisation's certificates are managed by whoever is its admin now (or its
// legal representative), not only by the account that installed them. Part of ShieldService
// (shield_service.h, "organisation certificates").
#include "service/shield/shield_service.h"
#include "service/shield/shield_internal.h"

#include "base/clock.h"
#include "pki/crl.h"

namespace certseal::service {

namespace {
constexpr std::size_t kMaxAdminRequestId = 80;  // prefixed below; the holder's limit is 100
}  // namespace

Status ShieldService::require_org_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id) {
  CS_ASSIGN(auto org, tx.query_one("SELECT status FROM organisations WHERE id = ?", {org_id}));
  if (!org) return not_found("org_not_found", "no such organisation");
  CS_ASSIGN(auto m, tx.query_one("SELECT id FROM memberships WHERE org_id = ? AND account_id = ? AND "
                                 "status = 'active' AND role IN ('admin', 'legal_representative')",
                                 {org_id, account_id}));
  if (!m || org->text("status") != "verified") {
    return Error(ErrorKind::kPermissionDenied, "forbidden", "only an admin of this organisation may do this");
  }
  return {};
}

Result<HeldCertificate> ShieldService::org_held(store::Tx& tx, const std::string& admin_account_id,
                                                const std::string& org_id, const std::string& cert_id) {
  CS_TRY(require_org_admin(tx, admin_account_id, org_id));
  CS_ASSIGN(auto r, tx.query_one("SELECT account_id FROM account_certificates WHERE certificate_id = ? AND org_id = ?",
                                 {cert_id, org_id}));
  if (!r) return not_found("certificate_not_found", "no such certificate");
  CS_ASSIGN(auto h, held(tx, r->text("account_id"), cert_id));
  h.holder_account_id = r->text("account_id");
  return h;
}

Result<std::vector<HeldCertificate>> ShieldService::org_certificates(const std::string& admin_account_id,
                                                                     const std::string& org_id) {
  return db_.read_value<std::vector<HeldCertificate>>([&](store::Tx& tx) -> Result<std::vector<HeldCertificate>> {
    CS_TRY(require_org_admin(tx, admin_account_id, org_id));
    CS_ASSIGN(auto rows, tx.query("SELECT certificate_id, account_id FROM account_certificates WHERE org_id = ? "
                                  "ORDER BY created_at DESC, certificate_id DESC LIMIT 200",
                                  {org_id}));
    std::vector<HeldCertificate> out;
    for (const auto& r : rows) {
      CS_ASSIGN(auto h, held(tx, r.text("account_id"), r.text("certificate_id")));
      h.holder_account_id = r.text("account_id");
      out.push_back(std::move(h));
    }
    return out;
  });
}

Result<HeldCertificate> ShieldService::org_certificate(const std::string& admin_account_id, const std::string& org_id,
                                                       const std::string& cert_id) {
  return db_.read_value<HeldCertificate>([&](store::Tx& tx) { return org_held(tx, admin_account_id, org_id, cert_id); });
}

Result<std::vector<ShieldEventView>> ShieldService::org_certificate_events(const std::string& admin_account_id,
                                                                           const std::string& org_id,
                                                                           const std::string& cert_id,
                                                                           const std::string& after, int limit) {
  CS_ASSIGN(auto h, org_certificate(admin_account_id, org_id, cert_id));
  return events(h.holder_account_id, h.key_id, after, limit);
}

Result<ca::CertificateRecord> ShieldService::org_renew(const std::string& admin_account_id, const std::string& org_id,
                                                       const std::string& cert_id, const std::string& request_id,
                                                       const std::string& order_id) {
  if (request_id.empty() || request_id.size() > kMaxAdminRequestId) {
    return invalid_argument("invalid_field", "request_id: 1 to 80 bytes").with_field("request_id", "invalid", "1 to 80 bytes");
  }
  CS_ASSIGN(auto h, org_certificate(admin_account_id, org_id, cert_id));
  // The successor stays with the holder (their key); the admin's request ids have their own space.
  // The renewal is bought by the admin for the organisation (review M3): the order is theirs.
  return renew_paid_by(h.holder_account_id, admin_account_id, cert_id, "org-admin:" + request_id, order_id);
}

Result<ca::CertificateRecord> ShieldService::org_revoke(const std::string& admin_account_id, const std::string& org_id,
                                                        const std::string& cert_id, const std::string& request_id,
                                                        const std::string& code, const std::string& reason_name) {
  if (request_id.empty() || request_id.size() > kMaxAdminRequestId) {
    return invalid_argument("invalid_field", "request_id: 1 to 80 bytes").with_field("request_id", "invalid", "1 to 80 bytes");
  }
  CS_ASSIGN(auto reason, pki::reason_from_name(reason_name.empty() ? "unspecified" : reason_name));
  CS_ASSIGN(auto h, org_certificate(admin_account_id, org_id, cert_id));
  if (h.record.status == "revoked") return h.record;  // a retry: nothing more to do
  CS_TRY(check_code(admin_account_id, code));          // the admin's own phone
  CS_ASSIGN(auto rec, ca_.revoke("revoke:org-admin:" + request_id, cert_id, reason));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    const std::string now = format_rfc3339_ms(clock_.now());
    if (h.current) {
      // As for the holder's own revocation: the key signs no more, on any device.
      CS_TRY(shield_internal::retire_key(tx, h.key_id, now));
    }
    CS_TRY(orders_.notify_in(tx, h.holder_account_id, "certificate_revoked_by_admin",
                             "您持有的单位证书已被单位管理员注销。", cert_id));
    return add_event(tx, h.key_id, admin_account_id, "", "revoke",
                     "certificate " + cert_id + " " + reason_name + " by the organisation's admin", "ok");
  }));
  log_.info("organisation certificate revoked by its admin",
            {{"certificate_id", cert_id}, {"org_id", org_id}, {"admin", admin_account_id}});
  return rec;
}

}  // namespace certseal::service
