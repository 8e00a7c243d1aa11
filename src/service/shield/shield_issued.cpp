// ShieldService: a two-party key for a certificate another area decided to issue without an
// order (install_issued; the cloud key's staff certificates, docs/CLOUDKEY.md). Key generation,
// sealing and the rows are those of an installation (shield_install.cpp); only where the
// certificate's subject and CA come from differs.
#include "service/shield/shield_service.h"

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/cosign.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "pki/crl.h"
#include "service/shield/shield_internal.h"

namespace certseal::service {
namespace cosign = crypto::cosign;
using namespace shield_internal;

Result<InstallResult> ShieldService::install_issued(const std::string& account_id, const IssuedEnrolment& what,
                                                    const DeviceEnrolment& device) {
  if (what.request_id.empty() || what.request_id.size() > 100) return field_error("request_id", "1 to 100 bytes");
  if (what.source.empty() || what.ca_id.empty()) return field_error("source", "the issuing area and CA are required");
  CS_TRY(check_enrolment(device));
  CS_ASSIGN(auto request, cosign::KeygenRequest::decode(device.p1));
  auto prior = db_.write_value<InstallResult>(
      [&](store::Tx& tx) { return replay(tx, account_id, what.request_id, device); });
  if (prior) {
    CS_ASSIGN(prior->certificate, ca_.get(prior->certificate.id));
    return prior;
  }
  if (prior.error().code != "not_enrolled") return std::move(prior).error();

  Result<cosign::ServerKeygenResult> kg = [&] {
    std::lock_guard lock(rng_mu_);
    return cosign::server_keygen(request, rng_);
  }();
  if (!kg) return std::move(kg).error();
  const Bytes& point = kg->response.public_key;
  CS_ASSIGN(auto pub, crypto::PublicKey::sm2_from_point(point));
  const std::string ca_request = what.request_id + ":" + hex_encode(crypto::sm3(point)).substr(0, 16);
  ca::IssueInput in;
  in.request_id = ca_request;
  in.ca_id = what.ca_id;
  in.profile = what.profile;
  in.subject = what.subject;
  in.public_key = base64_encode(pub.spki_der());
  in.validity_days = what.validity_days;
  CS_ASSIGN(auto cert, ca_.issue(in));

  const Bytes recovery = random(kRecoveryKeySize);
  std::string key_id;
  {
    std::lock_guard lock(rng_mu_);
    key_id = new_uuid_v7(clock_, rng_);
  }
  CS_ASSIGN(auto sealed_recovery, seal(recovery, aad(key_id, device.device_id, "recovery")));
  CS_ASSIGN(auto sealed_no_key_recovery, seal(Bytes{}, aad(key_id, "", "recovery")));
  CS_ASSIGN(auto sealed_share, seal(kg->share.export_bytes(), aad(key_id, device.device_id, "share")));
  CS_ASSIGN(auto sealed_auth, seal(device.auth_key, aad(key_id, device.device_id, "auth")));
  const std::string now = format_rfc3339_ms(clock_.now());
  Status stored = db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, failures, "
                   "recovery_key_enc, created_at, updated_at) VALUES (?, ?, 'sm2', ?, 'active', 0, ?, ?, ?)",
                   {key_id, account_id, point, sealed_no_key_recovery, now, now}));
    CS_TRY(tx.exec("INSERT INTO shield_devices (key_id, device_id, name, status, server_share_enc, auth_key_enc, "
                   "salt, request_hash, recovery_key_enc, created_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)",
                   {key_id, device.device_id, device.device_name, sealed_share, sealed_auth, device.salt,
                    request_hash(device), sealed_recovery, now}));
    CS_TRY(tx.exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, "
                   "current, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                   {cert.id, account_id, key_id, what.source, what.request_id, now}));
    return add_event(tx, key_id, account_id, device.device_id, "install", "certificate " + cert.id, "ok");
  });
  if (!stored) {
    (void)ca_.revoke(ca_request + ":orphan", cert.id, pki::RevocationReason::kCessationOfOperation);
    return std::move(stored).error();
  }
  log_.info("mobile shield key enrolled", {{"key_id", key_id}, {"certificate_id", cert.id}, {"operation", "install"},
                                           {"source", what.source}});
  InstallResult r;
  r.key_id = key_id;
  r.keygen_response = kg->response.encode();
  r.recovery_key = recovery;
  r.certificate = std::move(cert);
  return r;
}

// A certificate of install_issued names its source where an order id would be: no order has it.
Result<bool> ShieldService::issued_certificate(store::Tx& tx, const std::string& order_id) {
  CS_ASSIGN(auto o, tx.query_one("SELECT 1 AS one FROM orders WHERE id = ?", {order_id}));
  return !o.has_value();
}

Result<ca::CertificateRecord> ShieldService::renew_issued(const std::string& account_id, const std::string& cert_id,
                                                          const std::string& request_id, int validity_days) {
  if (request_id.empty() || request_id.size() > 100) return field_error("request_id", "1 to 100 bytes");
  if (validity_days < 1) return field_error("validity_days", "at least 1");
  CS_ASSIGN(auto before, done_before(account_id, "renew:" + request_id));
  if (before) return *before;  // a retry
  CS_ASSIGN(auto h, db_.read_value<HeldCertificate>([&](store::Tx& tx) -> Result<HeldCertificate> {
    CS_ASSIGN(auto held_cert, held(tx, account_id, cert_id));
    CS_ASSIGN(bool issued, issued_certificate(tx, held_cert.order_id));
    if (!issued) {
      return conflict("not_issued", "this certificate came with an order; it is renewed with a renewal order");
    }
    return held_cert;
  }));
  if (!h.current) return failed_precondition("certificate_not_current", "this certificate was replaced already");
  // The same key: the CA takes the public key from the old certificate.
  CS_ASSIGN(auto next, ca_.renew("renew:" + request_id, cert_id, validity_days));
  if (h.record.status == "valid") {
    CS_TRY(ca_.revoke("renew:" + request_id + ":superseded", cert_id, pki::RevocationReason::kSuperseded));
  }
  CS_TRY(record_successor(account_id, h, next, "renew:" + request_id));
  log_.info("issued certificate renewed", {{"key_id", h.key_id}, {"certificate_id", next.id}, {"previous", cert_id}});
  return next;
}

Result<bool> ShieldService::leave_issued(const std::string& account_id, const std::string& key_id,
                                         const std::string& device_id) {
  struct Plan {
    bool retire = false, already = false;
    std::string certificate_id;
  };
  CS_ASSIGN(auto plan, db_.write_value<Plan>([&](store::Tx& tx) -> Result<Plan> {
    Plan p;
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id, status FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    CS_ASSIGN(auto c, tx.query_one("SELECT certificate_id, order_id FROM account_certificates WHERE key_id = ? AND "
                                   "account_id = ? ORDER BY current DESC, created_at DESC LIMIT 1",
                                   {key_id, account_id}));
    if (!c) return key_not_found();
    CS_ASSIGN(bool issued, issued_certificate(tx, c->text("order_id")));
    if (!issued) return conflict("not_issued", "an order's certificate keeps its last device; revoke it instead");
    p.certificate_id = c->text("certificate_id");
    // The holder's own devices (a grant's device is the employee's or delegate's, not the holder's).
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                   "grant_id IS NULL",
                                   {key_id, device_id}));
    if (!d) return not_found("device_not_found", "no such device of this key");
    const std::string now = format_rfc3339_ms(clock_.now());
    if (d->text("status") == "removed") {
      p.already = true;  // a retry: the share is gone already
      p.retire = k->text("status") == "retired";
      return p;
    }
    CS_ASSIGN(auto others, tx.query_one("SELECT COUNT(*) AS n FROM shield_devices WHERE key_id = ? AND device_id <> ? "
                                        "AND status = 'active' AND grant_id IS NULL",
                                        {key_id, device_id}));
    CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                   "recovery_key_enc = NULL, removed_at = ? WHERE key_id = ? AND device_id = ?",
                   {now, key_id, device_id}));
    CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ? AND device_id = ?", {key_id, device_id}));
    CS_TRY(add_event(tx, key_id, account_id, device_id, "remove_device", "deleted on the device", "ok"));
    // The holder's last device: nobody can take a step with this key again (a grant's device
    // neither), so the key is retired and its certificate will be revoked below.
    p.retire = !others || others->integer("n") == 0;
    if (p.retire) {
      CS_TRY(retire_key(tx, key_id, now));
      CS_TRY(add_event(tx, key_id, account_id, device_id, "retire", "last device deleted", "ok"));
    }
    return p;
  }));
  if (plan.retire) {
    // A key without a device cannot sign: its certificate says so too (idempotent on the request id).
    auto rec = ca_.get(plan.certificate_id);
    if (rec && rec->status == "valid") {
      CS_TRY(ca_.revoke("leave:" + key_id, plan.certificate_id, pki::RevocationReason::kCessationOfOperation));
    }
  }
  if (!plan.already) {
    log_.info("device left an issued key", {{"key_id", key_id}, {"device_id", device_id},
                                            {"retired", plan.retire ? "yes" : "no"}});
  }
  return plan.retire;
}

}  // namespace certseal::service
