// ShieldService: the devices that hold a share of a key, and pairing a new one (shield_service.h).
#include "service/shield/shield_service.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/cipher.h"
#include "crypto/cosign.h"
#include "crypto/hash.h"
#include "crypto/pairing.h"
#include "crypto/password.h"
#include "crypto/pkey.h"
#include "crypto/unlock.h"
#include "pki/crl.h"
#include "service/shield/shield_internal.h"

namespace certseal::service {
namespace cosign = crypto::cosign;
using namespace shield_internal;

Result<std::vector<DeviceView>> ShieldService::devices(const std::string& account_id, const std::string& key_id) {
  return db_.read_value<std::vector<DeviceView>>([&](store::Tx& tx) -> Result<std::vector<DeviceView>> {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    CS_ASSIGN(auto rows, tx.query("SELECT device_id, name, status, created_at, removed_at FROM shield_devices "
                                  "WHERE key_id = ? ORDER BY created_at",
                                  {key_id}));
    std::vector<DeviceView> out;
    for (const auto& r : rows) {
      out.push_back({r.text("device_id"), r.text("name"), r.text("status"), r.text("created_at"), r.text("removed_at")});
    }
    return out;
  });
}

Status ShieldService::remove_device(const std::string& account_id, const std::string& key_id,
                                    const std::string& device_id, const std::string& code) {
  CS_ASSIGN(auto list, devices(account_id, key_id));
  auto it = std::find_if(list.begin(), list.end(), [&](const DeviceView& d) { return d.device_id == device_id; });
  if (it == list.end() || it->status == "removed") return not_found("device_not_found", "no such device of this key");
  const auto active = std::count_if(list.begin(), list.end(), [](const DeviceView& d) { return d.status == "active"; });
  if (it->status == "active" && active <= 1) {
    return Error(ErrorKind::kConflict, "last_device", "the last device of a key cannot be removed; revoke instead");
  }
  CS_TRY(check_code(account_id, code));
  PendingSecuritySms sms;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                   "recovery_key_enc = NULL, removed_at = ? WHERE key_id = ? AND device_id = ?",
                   {format_rfc3339_ms(clock_.now()), key_id, device_id}));
    CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ? AND device_id = ?", {key_id, device_id}));
    CS_TRY(add_event(tx, key_id, account_id, device_id, "remove_device", "", "ok"));
    CS_ASSIGN(sms, notices_.record(tx, account_id, SecurityEvent::kDeviceRemoved, "设备：" + it->name, key_id));
    return {};
  }));
  notices_.send(sms);
  return {};
}

Result<PairingView> ShieldService::create_pairing(const std::string& account_id, const std::string& device_id,
                                                  const std::string& device_name, BytesView public_key) {
  if (!valid_device_id(device_id)) return field_error("device_id", "8 to 64 letters, digits, '-', '_' or '.'");
  if (device_name.empty() || device_name.size() > 64) return field_error("device_name", "1 to 64 bytes");
  if (!crypto::PublicKey::sm2_from_point(public_key)) return field_error("public_key", "a 65-byte SM2 point");
  PairingView p;
  {
    std::lock_guard lock(rng_mu_);
    p.id = new_uuid_v7(clock_, rng_);
  }
  p.device_id = device_id;
  p.device_name = device_name;
  p.status = "waiting";
  p.public_key.assign(public_key.begin(), public_key.end());
  p.expires_at = clock_.now_unix() + opts_.pairing_ttl_s;
  p.challenge = base64url_encode(random(32));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO shield_pairings (id, account_id, device_id, device_name, public_key, status, "
                   "challenge, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'waiting', ?, ?, ?)",
                   {p.id, account_id, device_id, device_name, p.public_key, p.challenge,
                    format_rfc3339_ms(clock_.now()), p.expires_at}));
    return {};
  }));
  return p;
}

Result<PairingView> ShieldService::create_grant_pairing(const std::string& account_id, const std::string& grant_id,
                                                        const std::string& device_id, const std::string& device_name,
                                                        BytesView public_key) {
  if (grants_ == nullptr) return unavailable("grants_unavailable", "grants are not available");
  CS_TRY(db_.read([&](store::Tx& tx) -> Status {
    auto target = grants_->pairing_target(tx, grant_id);
    if (!target) return std::move(target).error();
    if (target->employee_account_id != account_id) return not_found("grant_not_found", "no such grant");
    return {};
  }));
  CS_ASSIGN(auto p, create_pairing(account_id, device_id, device_name, public_key));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("UPDATE shield_pairings SET grant_id = ? WHERE id = ?", {grant_id, p.id}));
    return {};
  }));
  return p;
}

Result<PairingView> ShieldService::pairing(const std::string& account_id, const std::string& pairing_id) {
  return db_.read_value<PairingView>([&](store::Tx& tx) -> Result<PairingView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM shield_pairings WHERE id = ?", {pairing_id}));
    if (!r) return not_found("pairing_not_found", "no such pairing");
    if (r->text("account_id") != account_id) {
      // The holder of a granted key reads the employee's pairing to deliver the share.
      if (r->text("grant_id").empty() || grants_ == nullptr) return not_found("pairing_not_found", "no such pairing");
      auto target = grants_->pairing_target(tx, r->text("grant_id"));
      if (!target || target->holder_account_id != account_id) return not_found("pairing_not_found", "no such pairing");
    }
    PairingView p;
    p.id = r->text("id");
    p.device_id = r->text("device_id");
    p.device_name = r->text("device_name");
    p.status = r->text("status");
    p.key_id = r->text("key_id");
    p.public_key = r->blob("public_key");
    p.envelope = r->blob("envelope");
    p.challenge = r->text("challenge");
    p.expires_at = r->integer("expires_at");
    return p;
  });
}

Result<PairedDevice> ShieldService::complete_pairing(const std::string& account_id, const std::string& pairing_id,
                                                     const PairingCompletion& c) {
  if (c.auth_key.size() != kAuthKeySize) return field_error("auth_key", "32 bytes");
  if (c.salt.size() != kSaltSize) return field_error("salt", "16 bytes");
  CS_ASSIGN(auto join, cosign::JoinRequest::decode(c.join_request));
  PendingSecuritySms sms;
  CS_ASSIGN(auto out, db_.write_value<PairedDevice>([&](store::Tx& tx) -> Result<PairedDevice> {
    CS_ASSIGN(auto p, tx.query_one("SELECT * FROM shield_pairings WHERE id = ?", {pairing_id}));
    if (!p || p->text("account_id") != account_id) return not_found("pairing_not_found", "no such pairing");
    if (p->text("status") != "delivered") return failed_precondition("pairing_not_delivered", "no share was delivered yet");
    if (p->integer("expires_at") < clock_.now_unix()) {
      return failed_precondition("pairing_expired", "this pairing has expired; start again on the new device");
    }
    // Proof of possession: the new device signs the server's challenge with the pairing key the
    // old device checked against the code the user carried.
    CS_ASSIGN(auto pub, crypto::PublicKey::sm2_from_point(p->blob("public_key")));
    const Bytes msg = crypto::pairing::completion_message(pairing_id, p->text("challenge"), c.join_request,
                                                          c.auth_key, c.salt);
    if (c.signature.empty() || !crypto::verify(pub, crypto::SignScheme::kSm2Sm3, msg, c.signature).ok()) {
      return permission_denied("pairing_proof_invalid",
                               "the completion is not signed with the key of the device that started this pairing");
    }
    const std::string key_id = p->text("key_id"), device_id = p->text("device_id");
    CS_ASSIGN(auto d, tx.query_one("SELECT server_share_enc FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                   "status = 'pending'",
                                   {key_id, device_id}));
    if (!d) return failed_precondition("pairing_not_delivered", "the device is not waiting for activation");
    CS_ASSIGN(auto z_bytes, unseal(d->blob("server_share_enc"), aad(key_id, device_id, "pending")));
    CS_ASSIGN(auto z, cosign::ServerShare::import_bytes(z_bytes));
    CS_ASSIGN(auto share, cosign::server_join(z, join));  // d2' = z·y
    CS_ASSIGN(auto sealed_share, seal(share.export_bytes(), aad(key_id, device_id, "share")));
    CS_ASSIGN(auto sealed_auth, seal(c.auth_key, aad(key_id, device_id, "auth")));
    CS_ASSIGN(auto n, tx.exec("UPDATE shield_devices SET status = 'active', server_share_enc = ?, auth_key_enc = ?, "
                              "salt = ? WHERE key_id = ? AND device_id = ? AND status = 'pending'",
                              {sealed_share, sealed_auth, c.salt, key_id, device_id}));
    if (n == 0) return failed_precondition("pairing_not_delivered", "the device is not waiting for activation");
    CS_TRY(tx.exec("UPDATE shield_pairings SET status = 'completed', envelope = NULL WHERE id = ?", {pairing_id}));
    PairedDevice out;
    out.key_id = key_id;
    if (!p->text("grant_id").empty()) {
      CS_ASSIGN(auto g, tx.query_one("SELECT certificate_id FROM grants WHERE id = ?", {p->text("grant_id")}));
      if (g) out.certificate_id = g->text("certificate_id");
      if (!g && grants_ != nullptr) {
        // A grant of another area behind the gate (a cloud key delegation, docs/CLOUDKEY.md).
        if (auto t = grants_->pairing_target(tx, p->text("grant_id"))) out.certificate_id = t->certificate_id;
      }
    }
    CS_ASSIGN(out.recovery_key, rotate_recovery_key(tx, key_id, device_id));
    CS_TRY(add_event(tx, key_id, account_id, device_id, "add_device", "paired", "ok"));
    CS_ASSIGN(sms, notices_.record(tx, account_id, SecurityEvent::kDeviceAdded, "设备：" + p->text("device_name"),
                                   key_id));
    return out;
  }));
  notices_.send(sms);
  return out;
}

}  // namespace certseal::service
