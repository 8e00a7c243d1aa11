// CloudKeyService: the devices of a staff key — main and secondary, activation, freezing,
// removal, SMS unlocks, the usage log, and the rules the shield asks at each step
// (cloudkey_service.h, KeyStepGate).
#include <algorithm>

#include <nlohmann/json.hpp>

#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;

Status CloudKeyService::require_holder(store::Tx& tx, const std::string& account_id, const std::string& key_id) {
  CS_ASSIGN(auto c, tx.query_one("SELECT account_id FROM cloudkey_certificates WHERE key_id = ?", {key_id}));
  if (!c || c->text("account_id") != account_id) return key_not_found();
  return {};
}

Status CloudKeyService::require_main(store::Tx& tx, const std::string& key_id, const std::string& device_id) {
  CS_ASSIGN(auto d, tx.query_one("SELECT 1 AS ok FROM cloudkey_devices WHERE key_id = ? AND device_id = ? AND "
                                 "role = 'main' AND status = 'active'",
                                 {key_id, device_id}));
  if (!d) return permission_denied("main_device_only", "only the key's main device may do this");
  return {};
}

Result<std::vector<CloudKeyDevice>> CloudKeyService::devices(const std::string& account_id, const std::string& key_id,
                                                             const std::string& status) {
  if (!status.empty() && status != "active" && status != "pending" && status != "frozen" && status != "removed") {
    return field_error("status", "active, pending, frozen or removed");
  }
  CS_TRY(db_.read([&](store::Tx& tx) { return require_holder(tx, account_id, key_id); }));
  CS_ASSIGN(auto shield_devices, shield_.devices(account_id, key_id));
  CS_ASSIGN(auto rows, db_.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query("SELECT device_id, role, status FROM cloudkey_devices WHERE key_id = ?", {key_id});
  }));
  std::vector<CloudKeyDevice> out;
  for (const auto& d : shield_devices) {
    if (d.status != "active" && d.status != "removed") continue;  // a pairing not completed yet
    CloudKeyDevice v{d.device_id, d.name, "secondary", "pending", d.created_at};
    for (const auto& r : rows) {
      if (r.text("device_id") == d.device_id) {
        v.role = r.text("role");
        v.status = r.text("status");
      }
    }
    if (d.status == "removed") v.status = "removed";
    if (status.empty() || v.status == status) out.push_back(std::move(v));
  }
  return out;
}

Result<CloudKeyDevice> CloudKeyService::set_device_state(const std::string& account_id, const std::string& key_id,
                                                         const std::string& from_device, const std::string& device_id,
                                                         const std::string& action) {
  if (action != "freeze" && action != "activate") return field_error("action", "freeze or activate");
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_TRY(require_holder(tx, account_id, key_id));
    return require_main(tx, key_id, from_device);
  }));
  CS_ASSIGN(auto list, devices(account_id, key_id, ""));
  auto it = std::find_if(list.begin(), list.end(), [&](const CloudKeyDevice& d) { return d.device_id == device_id; });
  if (it == list.end() || it->status == "removed") return not_found("device_not_found", "no such device of this key");
  if (it->role != "secondary") return conflict("not_a_secondary", "only secondary devices are frozen or activated");
  const std::string next = action == "freeze" ? "frozen" : "active";
  if (action == "activate") {
    CS_ASSIGN(auto t, db_.read_value<store::Rows>([&](store::Tx& tx) {
      return tx.query("SELECT t.secondary_devices FROM cloudkey_certificates c JOIN cloudkey_tenants t ON "
                      "t.id = c.tenant_id WHERE c.key_id = ?",
                      {key_id});
    }));
    if (t.empty() || t.front().integer("secondary_devices") == 0) {
      return failed_precondition("secondary_devices_off", "this tenant does not allow secondary devices");
    }
  }
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    const std::string now = format_rfc3339_ms(clock_.now());
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_devices SET status = ?, sms_until = 0, updated_at = ? WHERE "
                              "key_id = ? AND device_id = ?",
                              {next, now, key_id, device_id}));
    if (n == 0) {
      CS_TRY(tx.exec("INSERT INTO cloudkey_devices (key_id, device_id, role, status, sms_until, updated_at) VALUES "
                     "(?, ?, 'secondary', ?, 0, ?)",
                     {key_id, device_id, next, now}));
    }
    return ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.device." + action)
                                           .by(account_id)
                                           .of(account_id)
                                           .on(key_id)
                                           .with("device", device_id)
                                           .with("from_device", from_device));
  }));
  it->status = next;
  return *it;
}

Status CloudKeyService::remove_device(const std::string& account_id, const std::string& key_id,
                                      const std::string& device_id, const std::string& code) {
  CS_TRY(db_.read([&](store::Tx& tx) { return require_holder(tx, account_id, key_id); }));
  CS_TRY(shield_.remove_device(account_id, key_id, device_id, code));
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto d, tx.query_one("SELECT role FROM cloudkey_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, device_id}));
    CS_TRY(tx.exec("UPDATE cloudkey_devices SET status = 'removed', sms_until = 0, updated_at = ? WHERE key_id = ? "
                   "AND device_id = ?",
                   {format_rfc3339_ms(clock_.now()), key_id, device_id}));
    return ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.device.remove")
                                           .by(account_id)
                                           .of(account_id)
                                           .on(key_id)
                                           .with("device", device_id)
                                           .with("role", d ? d->text("role") : std::string("secondary")));
  });
}

Result<std::vector<std::string>> CloudKeyService::drop_secondaries(store::Tx& tx, const std::string& actor_id,
                                                                   const std::string& key_id) {
  CS_ASSIGN(auto holder, tx.query_one("SELECT account_id FROM cloudkey_certificates WHERE key_id = ?", {key_id}));
  if (!holder) return key_not_found();
  CS_ASSIGN(auto main, tx.query_one("SELECT device_id FROM cloudkey_devices WHERE key_id = ? AND role = 'main' AND "
                                    "status = 'active'",
                                    {key_id}));
  if (!main) {
    return conflict("last_device", "this key has no active main device; removing its secondary devices would leave it none");
  }
  // Every device of the holder's but the main one, pending ones too; a delegate's device
  // (bound to a delegation) is not a secondary device.
  CS_ASSIGN(auto rows, tx.query("SELECT device_id FROM shield_devices WHERE key_id = ? AND status <> 'removed' AND "
                                "grant_id IS NULL AND device_id <> ? ORDER BY device_id",
                                {key_id, main->text("device_id")}));
  const std::string now = format_rfc3339_ms(clock_.now());
  std::vector<std::string> removed;
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& r : rows) {
    const std::string device = r.text("device_id");
    // The server share goes: the device's share is useless from this commit on.
    CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                   "recovery_key_enc = NULL, removed_at = ? WHERE key_id = ? AND device_id = ?",
                   {now, key_id, device}));
    CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ? AND device_id = ?", {key_id, device}));
    CS_TRY(tx.exec("INSERT INTO shield_events (id, key_id, account_id, device_id, operation, purpose, result, at) "
                   "VALUES (?, ?, ?, ?, 'remove_device', 'remove_secondaries', 'ok', ?)",
                   {new_id(), key_id, actor_id, device, now}));
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_devices SET status = 'removed', sms_until = 0, updated_at = ? WHERE "
                              "key_id = ? AND device_id = ?",
                              {now, key_id, device}));
    if (n == 0) {
      CS_TRY(tx.exec("INSERT INTO cloudkey_devices (key_id, device_id, role, status, sms_until, updated_at) VALUES "
                     "(?, ?, 'secondary', 'removed', 0, ?)",
                     {key_id, device, now}));
    }
    removed.push_back(device);
    ids.push_back(device);
  }
  CS_TRY(ledger::record(ledger_, tx, ledger::LedgerEvent("cloudkey.device.remove_secondaries")
                                         .by(actor_id)
                                         .of(holder->text("account_id"))
                                         .on(key_id)
                                         .with("devices", ids.dump())
                                         .with("count", static_cast<std::int64_t>(removed.size()))));
  return removed;
}

Result<std::vector<std::string>> CloudKeyService::remove_secondaries(const std::string& account_id,
                                                                     const std::string& key_id,
                                                                     const std::string& from_device,
                                                                     const std::string& code) {
  if (code.empty() || code.size() > 16) return field_error("code", "the SMS code");
  CS_ASSIGN(auto phone, db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_TRY(require_holder(tx, account_id, key_id));
    CS_TRY(require_main(tx, key_id, from_device));
    return phone_of(tx, account_id);
  }));
  CS_TRY(sms_codes_.verify(phone, SmsPurpose::kAuthorise, code));
  return db_.write_value<std::vector<std::string>>([&](store::Tx& tx) -> Result<std::vector<std::string>> {
    CS_TRY(require_main(tx, key_id, from_device));
    return drop_secondaries(tx, account_id, key_id);
  });
}

Result<std::vector<std::string>> CloudKeyService::admin_remove_secondaries(const std::string& admin_id,
                                                                           const std::string& tenant_id,
                                                                           const std::string& staff_id) {
  return db_.write_value<std::vector<std::string>>([&](store::Tx& tx) -> Result<std::vector<std::string>> {
    CS_TRY(require_admin(tx, admin_id, tenant_id));
    CS_ASSIGN(auto s, tx.query_one("SELECT id FROM cloudkey_staff WHERE id = ? AND tenant_id = ?", {staff_id, tenant_id}));
    if (!s) return staff_not_found();
    CS_ASSIGN(auto c, tx.query_one("SELECT key_id FROM cloudkey_certificates WHERE staff_id = ? AND current = 1",
                                   {staff_id}));
    if (!c) return key_not_found();
    return drop_secondaries(tx, admin_id, c->text("key_id"));
  });
}

Status CloudKeyService::sms_unlock(const std::string& account_id, const std::string& key_id,
                                   const std::string& device_id, const std::string& code) {
  if (code.empty() || code.size() > 16) return field_error("code", "the SMS code");
  CS_ASSIGN(auto phone, db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_TRY(require_holder(tx, account_id, key_id));
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM cloudkey_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, device_id}));
    if (!d || d->text("status") == "removed") return not_found("device_not_found", "no such device of this key");
    return phone_of(tx, account_id);
  }));
  CS_TRY(sms_codes_.verify(phone, SmsPurpose::kAuthorise, code));
  return db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("UPDATE cloudkey_devices SET sms_until = ?, updated_at = ? WHERE key_id = ? AND device_id = ?",
                   {clock_.now_unix() + opts_.sms_unlock_s, format_rfc3339_ms(clock_.now()), key_id, device_id}));
    return {};
  });
}

Result<std::vector<UsageEntry>> CloudKeyService::usage(const std::string& account_id, const std::string& key_id,
                                                       const std::string& from_device, const std::string& from,
                                                       const std::string& to) {
  auto date_like = [](const std::string& s) {
    return s.empty() || (s.size() >= 10 && s.size() <= 40 && s[4] == '-' && s[7] == '-');
  };
  if (!date_like(from)) return field_error("from", "an RFC 3339 date or time");
  if (!date_like(to)) return field_error("to", "an RFC 3339 date or time");
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    CS_TRY(require_holder(tx, account_id, key_id));
    return require_main(tx, key_id, from_device);
  }));
  // Devices of delegates (their shares are bound to a delegation's id): their steps are the
  // delegations' uses, shown in the holder's log.
  CS_ASSIGN(auto delegated, db_.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query("SELECT sd.device_id, sd.grant_id FROM shield_devices sd JOIN cloudkey_delegations d ON "
                    "d.id = sd.grant_id WHERE sd.key_id = ?",
                    {key_id});
  }));
  std::vector<UsageEntry> out;
  std::string after;
  // The shield's own records of the key, page by page (at most 5000 entries).
  for (int page = 0; page < 25; ++page) {
    CS_ASSIGN(auto events, shield_.events(account_id, key_id, after, 200));
    const bool more = events.size() > 200;
    if (more) events.pop_back();
    for (const auto& e : events) {
      if (!from.empty() && e.at < from) continue;
      if (!to.empty() && e.at >= to) continue;
      UsageEntry u{e.id, e.device_id, e.operation, e.purpose, e.result, e.at, "", e.result == "ok"};
      for (const auto& d : delegated) {
        if (d.text("device_id") == e.device_id) u.delegation_id = d.text("grant_id");
      }
      out.push_back(std::move(u));
    }
    if (!more || events.empty()) break;
    after = events.back().id;
  }
  return out;
}

Status CloudKeyService::check(store::Tx& tx, const KeyStep& step) {
  CS_ASSIGN(auto c, tx.query_one("SELECT t.secondary_devices, t.auth_mode FROM cloudkey_certificates c JOIN "
                                 "cloudkey_tenants t ON t.id = c.tenant_id WHERE c.key_id = ?",
                                 {step.key_id}));
  if (!c) return {};  // not a cloud key
  const bool secondary_allowed = c->integer("secondary_devices") != 0;
  CS_ASSIGN(auto d, tx.query_one("SELECT role, status FROM cloudkey_devices WHERE key_id = ? AND device_id = ?",
                                 {step.key_id, step.device_id}));
  // A device that joined by pairing and was never activated waits for the holder.
  const std::string role = d ? d->text("role") : "secondary";
  const std::string status = d ? d->text("status") : "pending";
  if (status == "frozen") return permission_denied("device_frozen", "this device is frozen: activate it first");
  if (status != "active") {
    return permission_denied("device_not_activated", "this secondary device awaits activation by the main device");
  }
  if (role == "secondary") {
    if (!secondary_allowed) {
      return permission_denied("secondary_devices_off", "this tenant does not allow secondary devices");
    }
    if (step.operation != "sign" && step.operation != "decrypt" && step.operation != "password") {
      return permission_denied("main_device_only", "only the main device may do this");
    }
  }
  // The main device may deliver pairings (a delegate's device joins that way too); a secondary
  // device that joins while the tenant has them off is refused at its every step above.
  if (role == "secondary" || c->text("auth_mode") == "password_sms") {
    // Password and SMS code: one step per fresh SMS unlock, spent here.
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_devices SET sms_until = 0 WHERE key_id = ? AND device_id = ? AND "
                              "sms_until >= ?",
                              {step.key_id, step.device_id, clock_.now_unix()}));
    if (n == 0) {
      return permission_denied("sms_code_required", "this device needs the password and an SMS code: unlock it first");
    }
  }
  return {};
}

}  // namespace certseal::service
