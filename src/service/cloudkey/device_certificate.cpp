// CloudKeyService: the staff certificate on a device — deleting it from the device (删除证书),
// refreshing it after a renewal (下拉刷新), and the renewal on the server by the tenant
// (cloudkey_service.h).
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;

namespace {

CloudKeyCertificate certificate_from_row(const store::Row& r) {
  return {r.text("certificate_id"), r.text("key_id"),   r.text("tenant_id"),  r.text("tenant_name"),
          r.text("staff_id"),       r.text("staff_no"), r.text("name"),       r.text("created_at"),
          r.integer("current") != 0};
}

constexpr const char* kCertificateSql =
    "SELECT c.*, t.name AS tenant_name, s.staff_no, s.name FROM cloudkey_certificates c JOIN cloudkey_tenants t ON "
    "t.id = c.tenant_id JOIN cloudkey_staff s ON s.id = c.staff_id ";

}  // namespace

Result<DeviceDeletion> CloudKeyService::delete_from_device(const std::string& account_id, const std::string& key_id,
                                                           const std::string& device_id, const std::string& code) {
  if (device_id.empty() || device_id.size() > 64) return field_error("device_id", "the device's id");
  if (code.empty() || code.size() > 16) return field_error("code", "the SMS code");
  CS_ASSIGN(auto phone, db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_TRY(require_holder(tx, account_id, key_id));
    return phone_of(tx, account_id);
  }));
  // The device must be the holder's own device of this key before a code is spent on it.
  CS_ASSIGN(auto list, shield_.devices(account_id, key_id));
  bool known = false;
  for (const auto& d : list) known = known || d.device_id == device_id;
  if (!known) return not_found("device_not_found", "no such device of this key");
  CS_TRY(sms_codes_.verify(phone, SmsPurpose::kAuthorise, code));
  CS_ASSIGN(const bool retired, shield_.leave_issued(account_id, key_id, device_id));
  DeviceDeletion out{key_id, device_id, "secondary", retired};
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    const std::string now = format_rfc3339_ms(clock_.now());
    CS_ASSIGN(auto d, tx.query_one("SELECT role, status FROM cloudkey_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, device_id}));
    if (d) out.role = d->text("role");
    const bool again = d && d->text("status") == "removed";
    if (d) {
      CS_TRY(tx.exec("UPDATE cloudkey_devices SET status = 'removed', sms_until = 0, updated_at = ? WHERE key_id = ? "
                     "AND device_id = ?",
                     {now, key_id, device_id}));
    } else {
      CS_TRY(tx.exec("INSERT INTO cloudkey_devices (key_id, device_id, role, status, sms_until, updated_at) VALUES "
                     "(?, ?, 'secondary', 'removed', 0, ?)",
                     {key_id, device_id, now}));
    }
    if (retired) {
      // No current certificate: the staff member downloads a new one on a new set-up.
      CS_TRY(tx.exec("UPDATE cloudkey_certificates SET current = 0 WHERE key_id = ?", {key_id}));
      CS_TRY(tx.exec("UPDATE cloudkey_devices SET status = 'removed', sms_until = 0, updated_at = ? WHERE key_id = ?",
                     {now, key_id}));
    }
    if (again) return {};  // a retry: recorded the first time
    return ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.device.delete")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(key_id)
                                           .with("device", device_id)
                                           .with("role", out.role)
                                           .with("retired", retired ? "yes" : "no"));
  }));
  log_.info("cloud key certificate deleted from a device",
            {{"key_id", key_id}, {"device_id", device_id}, {"retired", retired ? "yes" : "no"}});
  return out;
}

Result<StaffCertificate> CloudKeyService::renew_staff(const std::string& actor_id, bool as_operator,
                                                      const std::string& tenant_id, const std::string& staff_id,
                                                      const std::string& request_id) {
  if (request_id.empty() || request_id.size() > 40) return field_error("request_id", "1 to 40 bytes");
  struct Plan {
    CloudKeyCertificate c;
    std::string holder;
    std::int64_t days = 365;
  };
  CS_ASSIGN(auto plan, db_.read_value<Plan>([&](store::Tx& tx) -> Result<Plan> {
    Plan p;
    if (!as_operator) CS_TRY(require_admin(tx, actor_id, tenant_id));
    CS_ASSIGN(auto t, load_tenant(tx, tenant_id));
    p.days = t.validity_days;
    CS_ASSIGN(auto s, tx.query_one("SELECT id FROM cloudkey_staff WHERE id = ? AND tenant_id = ?", {staff_id, tenant_id}));
    if (!s) return staff_not_found();
    // A retry after the row moved on: the renewal this request made.
    CS_ASSIGN(auto done, tx.query_one("SELECT key_id FROM cloudkey_renewals WHERE staff_id = ? AND request_id = ?",
                                      {staff_id, request_id}));
    CS_ASSIGN(auto c, done ? tx.query_one(std::string(kCertificateSql) + "WHERE c.key_id = ?", {done->text("key_id")})
                           : tx.query_one(std::string(kCertificateSql) + "WHERE c.staff_id = ? AND c.current = 1",
                                          {staff_id}));
    if (!c) return key_not_found();
    p.c = certificate_from_row(*c);
    p.holder = c->text("account_id");
    return p;
  }));
  // The shield's request ids are the holder's: scoped to the staff record.
  const std::string shield_request = "cloudkey:" + staff_id + ":" + request_id;
  CS_ASSIGN(auto next, shield_.renew_issued(plan.holder, plan.c.certificate_id, shield_request,
                                            static_cast<int>(plan.days)));
  StaffCertificate out;
  out.record = next;
  out.previous_certificate_id = plan.c.certificate_id;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto done, tx.query_one("SELECT old_certificate_id FROM cloudkey_renewals WHERE staff_id = ? AND "
                                      "request_id = ?",
                                      {staff_id, request_id}));
    if (done) {
      out.previous_certificate_id = done->text("old_certificate_id");
      return {};  // a retry
    }
    CS_ASSIGN(auto holder, tx.query_one("SELECT account_id FROM cloudkey_certificates WHERE key_id = ? AND "
                                        "certificate_id = ?",
                                        {plan.c.key_id, plan.c.certificate_id}));
    if (!holder) return failed_precondition("certificate_not_current", "this certificate was replaced already");
    const std::string now = format_rfc3339_ms(clock_.now());
    // The key keeps its row; the row and the key's delegations name the successor.
    CS_TRY(tx.exec("UPDATE cloudkey_certificates SET certificate_id = ? WHERE key_id = ?", {next.id, plan.c.key_id}));
    CS_TRY(tx.exec("UPDATE cloudkey_delegations SET certificate_id = ? WHERE key_id = ? AND certificate_id = ?",
                   {next.id, plan.c.key_id, plan.c.certificate_id}));
    CS_TRY(tx.exec("INSERT INTO cloudkey_renewals (id, tenant_id, staff_id, key_id, request_id, old_certificate_id, "
                   "new_certificate_id, actor_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {new_id(), tenant_id, staff_id, plan.c.key_id, request_id, plan.c.certificate_id, next.id, actor_id,
                    now}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.staff.renew")
                                           .by(actor_id)
                                           .of(holder->text("account_id"))
                                           .on(plan.c.key_id)
                                           .cert(next.id)
                                           .with("tenant", tenant_id)
                                           .with("staff", staff_id)
                                           .with("previous", plan.c.certificate_id)
                                           .with("by_operator", as_operator ? "yes" : "no"));
  }));
  CS_ASSIGN(auto row, db_.read_value<std::optional<store::Row>>([&](store::Tx& tx) {
    return tx.query_one(std::string(kCertificateSql) + "WHERE c.key_id = ?", {plan.c.key_id});
  }));
  if (row) out.info = certificate_from_row(*row);
  log_.info("cloud key certificate renewed",
            {{"tenant_id", tenant_id}, {"staff_id", staff_id}, {"certificate_id", next.id}});
  return out;
}

Result<StaffCertificate> CloudKeyService::current_certificate(const std::string& account_id,
                                                              const std::string& key_id,
                                                              const std::string& device_id) {
  CS_ASSIGN(auto row, db_.read_value<store::Row>([&](store::Tx& tx) -> Result<store::Row> {
    CS_TRY(require_holder(tx, account_id, key_id));
    // Only a device that still holds a share of this key asks (a deleted one is refused).
    CS_ASSIGN(auto d, tx.query_one("SELECT 1 AS ok FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                   "grant_id IS NULL AND status = 'active'",
                                   {key_id, device_id}));
    if (!d) return not_found("device_not_found", "this device holds no share of this key");
    CS_ASSIGN(auto c, tx.query_one(std::string(kCertificateSql) + "WHERE c.key_id = ?", {key_id}));
    if (!c) return key_not_found();
    if (c->integer("current") == 0) {
      return failed_precondition("certificate_not_current", "this key has no current certificate; set up again");
    }
    return *c;
  }));
  StaffCertificate out;
  out.info = certificate_from_row(row);
  CS_ASSIGN(auto held, shield_.certificate(account_id, out.info.certificate_id));
  out.record = std::move(held.record);
  return out;
}

}  // namespace certseal::service
