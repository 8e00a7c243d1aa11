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

}  // namespace certseal::service
