// CloudKeyService: setting up a device — the staff certificate downloaded as a two-party key of
// the mobile shield (cloudkey_service.h).
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;

Result<InstallResult> CloudKeyService::download(const std::string& account_id, const std::string& tenant_id,
                                                const std::string& staff_no, const DeviceEnrolment& device) {
  if (staff_no.empty() || staff_no.size() > 32) return field_error("staff_no", "1 to 32 characters");
  struct Plan {
    TenantView tenant;
    StaffView staff;
    int generation = 1;
  };
  CS_ASSIGN(auto plan, db_.read_value<Plan>([&](store::Tx& tx) -> Result<Plan> {
    Plan p;
    CS_ASSIGN(auto t, tx.query_one("SELECT * FROM cloudkey_tenants WHERE id = ?", {tenant_id}));
    if (!t) return tenant_not_found();
    p.tenant = tenant_from_row(*t);
    CS_ASSIGN(auto phone, phone_of(tx, account_id));
    // Only the record's own phone downloads it: a staff number alone proves nothing.
    CS_ASSIGN(auto s, tx.query_one("SELECT * FROM cloudkey_staff WHERE tenant_id = ? AND staff_no = ? AND phone = ? "
                                   "AND status = 'active'",
                                   {tenant_id, staff_no, phone}));
    if (!s) return staff_not_found();
    p.staff = staff_from_row(*s);
    CS_ASSIGN(auto before, tx.query_one("SELECT COUNT(*) AS n FROM cloudkey_certificates WHERE staff_id = ?",
                                        {p.staff.id}));
    // A retry of the last download from the same device replays it (install_issued); a download
    // while a certificate is current is refused, by the shield's replay check below.
    CS_ASSIGN(auto current, tx.query_one("SELECT certificate_id FROM cloudkey_certificates WHERE staff_id = ? AND "
                                         "current = 1",
                                         {p.staff.id}));
    p.generation = static_cast<int>(before ? before->integer("n") : 0) + (current ? 0 : 1);
    return p;
  }));
  IssuedEnrolment what;
  what.request_id = "cloudkey:" + plan.staff.id + ":" + std::to_string(plan.generation);
  what.source = "cloudkey:" + tenant_id;
  what.ca_id = plan.tenant.ca_id;
  what.profile = "personal_sign";
  what.subject.common_name = plan.staff.name;
  what.subject.organization = plan.tenant.name;
  what.subject.organizational_unit = plan.staff.staff_no;
  what.subject.identity_code = plan.staff.id_number;
  what.validity_days = static_cast<int>(plan.tenant.validity_days);
  CS_ASSIGN(auto r, shield_.install_issued(account_id, what, device));
  const std::string now = format_rfc3339_ms(clock_.now());
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto had, tx.query_one("SELECT 1 AS ok FROM cloudkey_certificates WHERE certificate_id = ?",
                                     {r.certificate.id}));
    if (had) return {};  // a replay
    CS_TRY(tx.exec("UPDATE cloudkey_certificates SET current = 0 WHERE staff_id = ?", {plan.staff.id}));
    CS_TRY(tx.exec("INSERT INTO cloudkey_certificates (certificate_id, tenant_id, staff_id, account_id, key_id, "
                   "current, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                   {r.certificate.id, tenant_id, plan.staff.id, account_id, r.key_id, now}));
    CS_TRY(tx.exec("INSERT INTO cloudkey_devices (key_id, device_id, role, status, sms_until, updated_at) "
                   "VALUES (?, ?, 'main', 'active', 0, ?)",
                   {r.key_id, device.device_id, now}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.device.bind")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(r.key_id)
                                           .cert(r.certificate.id)
                                           .with("device", device.device_id)
                                           .with("role", "main")
                                           .with("tenant", tenant_id)
                                           .with("staff", plan.staff.id));
  }));
  log_.info("cloud key certificate downloaded",
            {{"tenant_id", tenant_id}, {"staff_id", plan.staff.id}, {"certificate_id", r.certificate.id}});
  return r;
}

Result<std::vector<CloudKeyCertificate>> CloudKeyService::certificates(const std::string& account_id) {
  return db_.read_value<std::vector<CloudKeyCertificate>>([&](store::Tx& tx) -> Result<std::vector<CloudKeyCertificate>> {
    CS_ASSIGN(auto rows, tx.query("SELECT c.*, t.name AS tenant_name, s.staff_no, s.name FROM cloudkey_certificates c "
                                  "JOIN cloudkey_tenants t ON t.id = c.tenant_id JOIN cloudkey_staff s ON "
                                  "s.id = c.staff_id WHERE c.account_id = ? ORDER BY c.created_at DESC LIMIT 200",
                                  {account_id}));
    std::vector<CloudKeyCertificate> out;
    for (const auto& r : rows) {
      out.push_back({r.text("certificate_id"), r.text("key_id"), r.text("tenant_id"), r.text("tenant_name"),
                     r.text("staff_id"), r.text("staff_no"), r.text("name"), r.text("created_at"),
                     r.integer("current") != 0});
    }
    return out;
  });
}

}  // namespace certseal::service
