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

namespace {
// The tenant's settings as a ledger entry (owner: who changed them).
ledger::LedgerEvent settings_event(const char* type, const std::string& actor, const TenantView& t) {
  nlohmann::json apps = nlohmann::json::array();
  for (const auto& a : t.settings.allowed_apps.value_or(std::vector<std::string>{})) apps.push_back(a);
  return ledger::LedgerEvent(type)
      .by(actor)
      .of(actor)
      .on(t.id)
      .with("name", t.name)
      .with("secondary_devices", t.settings.secondary_devices)
      .with("auth_mode", t.settings.auth_mode)
      .with("allowed_apps", apps.dump());
}
}  // namespace

Result<TenantView> CloudKeyService::load_tenant(store::Tx& tx, const std::string& tenant_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT * FROM cloudkey_tenants WHERE id = ?", {tenant_id}));
  if (!r) return tenant_not_found();
  TenantView t = tenant_from_row(*r);
  CS_ASSIGN(t.settings.allowed_apps, tenant_apps(tx, tenant_id));
  return t;
}

Result<std::vector<std::string>> CloudKeyService::tenant_apps(store::Tx& tx, const std::string& tenant_id) {
  CS_ASSIGN(auto rows, tx.query("SELECT app_id FROM cloudkey_tenant_apps WHERE tenant_id = ? ORDER BY app_id",
                                {tenant_id}));
  std::vector<std::string> out;
  for (const auto& r : rows) out.push_back(r.text("app_id"));
  return out;
}

Status CloudKeyService::set_tenant_apps(store::Tx& tx, const std::string& actor_id, const std::string& tenant_id,
                                        const std::vector<std::string>& apps) {
  if (apps.size() > 50) return field_error("allowed_apps", "at most 50 applications");
  CS_TRY(tx.exec("DELETE FROM cloudkey_tenant_apps WHERE tenant_id = ?", {tenant_id}));
  const std::string now = format_rfc3339_ms(clock_.now());
  for (const auto& app : apps) {
    if (app.empty() || app.size() > 64) return field_error("allowed_apps", "application ids");
    CS_ASSIGN(auto a, tx.query_one("SELECT id FROM rp_apps WHERE id = ?", {app}));
    if (!a) return field_error("allowed_apps", "no application " + app);
    CS_ASSIGN(auto had, tx.query_one("SELECT 1 AS ok FROM cloudkey_tenant_apps WHERE tenant_id = ? AND app_id = ?",
                                     {tenant_id, app}));
    if (had) continue;  // named twice
    CS_TRY(tx.exec("INSERT INTO cloudkey_tenant_apps (tenant_id, app_id, added_by, created_at) VALUES (?, ?, ?, ?)",
                   {tenant_id, app, actor_id, now}));
  }
  return {};
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
    if (in.settings.allowed_apps) CS_TRY(set_tenant_apps(tx, operator_id, id, *in.settings.allowed_apps));
    CS_ASSIGN(auto t, load_tenant(tx, id));
    CS_TRY(ledger::record(ledger_, tx, settings_event("cloudkey.tenant.create", operator_id, t)
                                           .with("ca", t.ca_id)
                                           .with("validity_days", t.validity_days)));
    return t;
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
    for (const auto& r : rows) {
      out.push_back(tenant_from_row(r));
      CS_ASSIGN(out.back().settings.allowed_apps, tenant_apps(tx, out.back().id));
    }
    return out;
  });
}

Result<TenantView> CloudKeyService::tenant(const std::string& tenant_id) {
  return db_.read_value<TenantView>([&](store::Tx& tx) -> Result<TenantView> {
    return load_tenant(tx, tenant_id);
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
    if (s.allowed_apps) CS_TRY(set_tenant_apps(tx, account_id, tenant_id, *s.allowed_apps));
    CS_ASSIGN(auto t, load_tenant(tx, tenant_id));
    CS_TRY(ledger::record(ledger_, tx, settings_event("cloudkey.tenant.settings", account_id, t)
                                           .with("as_operator", as_operator)));
    return t;
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
    return ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.tenant.admin_add")
                                           .by(operator_id)
                                           .of(a->text("id"))
                                           .on(tenant_id)
                                           .with("tenant", tenant_id));
  });
}

Result<std::string> CloudKeyService::qr_payload(const std::string& tenant_id) {
  CS_ASSIGN(auto t, tenant(tenant_id));
  return nlohmann::json{{"type", "certseal-cloudkey"}, {"server", opts_.public_url}, {"tenant", t.id},
                        {"name", t.name}}
      .dump();
}

}  // namespace certseal::service
