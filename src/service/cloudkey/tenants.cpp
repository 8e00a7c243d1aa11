// CloudKeyService: tenants, their settings, admins and QR payload (cloudkey_service.h).
#include <nlohmann/json.hpp>

#include "base/id.h"
#include "service/account/validation.h"
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;

std::string CloudKeyService::new_id() {
  std::lock_guard lock(rng_mu_);
  return new_uuid_v7(clock_, rng_);
}

Result<std::string> CloudKeyService::phone_of(store::Tx& tx, const std::string& account_id) {
  CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {account_id}));
  if (!a) return not_found("account_not_found", "no such account");
  return a->text("phone");
}

Status CloudKeyService::require_admin(store::Tx& tx, const std::string& account_id, const std::string& tenant_id) {
  CS_ASSIGN(auto a, tx.query_one("SELECT 1 AS ok FROM cloudkey_admins WHERE tenant_id = ? AND account_id = ?",
                                 {tenant_id, account_id}));
  if (!a) return tenant_not_found();  // a stranger learns nothing about the tenant
  return {};
}

Result<TenantView> CloudKeyService::create_tenant(const std::string& operator_id, const TenantInput& in) {
  CS_TRY(validate_name(in.name, "name", 100));
  CS_TRY(validate_settings(in.settings));
  if (in.ca_id.empty() || in.ca_id.size() > 64) return field_error("ca_id", "the issuing CA's id");
  if (in.validity_days < 1 || in.validity_days > 3650) return field_error("validity_days", "1 to 3650");
  const std::string id = new_id();
  const std::string now = format_rfc3339_ms(clock_.now());
  return db_.write_value<TenantView>([&](store::Tx& tx) -> Result<TenantView> {
    CS_ASSIGN(auto same, tx.query_one("SELECT id FROM cloudkey_tenants WHERE name = ?", {in.name}));
    if (same) return conflict("tenant_exists", "a tenant of that name exists");
    CS_TRY(tx.exec("INSERT INTO cloudkey_tenants (id, name, secondary_devices, auth_mode, ca_id, validity_days, "
                   "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {id, in.name, in.settings.secondary_devices ? 1 : 0, in.settings.auth_mode, in.ca_id,
                    in.validity_days, operator_id, now, now}));
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_tenants WHERE id = ?", {id}));
    return tenant_from_row(*r);
  });
}

Result<std::vector<TenantView>> CloudKeyService::search_tenants(const std::string& query) {
  if (query.size() > 100) return field_error("q", "at most 100 bytes");
  std::string pattern = "%";
  for (char c : query) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += "%";
  return db_.read_value<std::vector<TenantView>>([&](store::Tx& tx) -> Result<std::vector<TenantView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM cloudkey_tenants WHERE name LIKE ? ESCAPE '\\' ORDER BY name LIMIT 50",
                                  {pattern}));
    std::vector<TenantView> out;
    for (const auto& r : rows) out.push_back(tenant_from_row(r));
    return out;
  });
}

Result<TenantView> CloudKeyService::tenant(const std::string& tenant_id) {
  return db_.read_value<TenantView>([&](store::Tx& tx) -> Result<TenantView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_tenants WHERE id = ?", {tenant_id}));
    if (!r) return tenant_not_found();
    return tenant_from_row(*r);
  });
}

Result<TenantView> CloudKeyService::update_settings(const std::string& account_id, bool as_operator,
                                                    const std::string& tenant_id, const TenantSettings& s) {
  CS_TRY(validate_settings(s));
  return db_.write_value<TenantView>([&](store::Tx& tx) -> Result<TenantView> {
    if (!as_operator) CS_TRY(require_admin(tx, account_id, tenant_id));
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_tenants SET secondary_devices = ?, auth_mode = ?, updated_at = ? "
                              "WHERE id = ?",
                              {s.secondary_devices ? 1 : 0, s.auth_mode, format_rfc3339_ms(clock_.now()), tenant_id}));
    if (n == 0) return tenant_not_found();
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_tenants WHERE id = ?", {tenant_id}));
    return tenant_from_row(*r);
  });
}

Status CloudKeyService::add_admin(const std::string& operator_id, const std::string& tenant_id,
                                  const std::string& phone) {
  CS_TRY(validate_phone(phone));
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto t, tx.query_one("SELECT id FROM cloudkey_tenants WHERE id = ?", {tenant_id}));
    if (!t) return tenant_not_found();
    CS_ASSIGN(auto a, tx.query_one("SELECT id FROM accounts WHERE phone = ?", {phone}));
    if (!a) return not_found("account_not_found", "nobody registered that phone");
    CS_ASSIGN(auto had, tx.query_one("SELECT 1 AS ok FROM cloudkey_admins WHERE tenant_id = ? AND account_id = ?",
                                     {tenant_id, a->text("id")}));
    if (had) return {};
    CS_TRY(tx.exec("INSERT INTO cloudkey_admins (tenant_id, account_id, added_by, created_at) VALUES (?, ?, ?, ?)",
                   {tenant_id, a->text("id"), operator_id, format_rfc3339_ms(clock_.now())}));
    return {};
  });
}

Result<std::string> CloudKeyService::qr_payload(const std::string& tenant_id) {
  CS_ASSIGN(auto t, tenant(tenant_id));
  return nlohmann::json{{"type", "certseal-cloudkey"}, {"server", opts_.public_url}, {"tenant", t.id},
                        {"name", t.name}}
      .dump();
}

}  // namespace certseal::service
