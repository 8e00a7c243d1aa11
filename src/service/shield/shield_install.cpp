// ShieldService: installing a certificate on a device (two-party key generation) and reissue (shield_service.h).
#include "service/shield/shield_service.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/cipher.h"
#include "crypto/cosign.h"
#include "crypto/ecdsa_split.h"
#include "crypto/hash.h"
#include "crypto/pairing.h"
#include "crypto/password.h"
#include "crypto/pkey.h"
#include "crypto/rsa_split.h"
#include "crypto/unlock.h"
#include "pki/crl.h"
#include "service/shield/shield_internal.h"

namespace certseal::service {
namespace cosign = crypto::cosign;
using namespace shield_internal;

Result<InstallResult> ShieldService::replay(store::Tx& tx, const std::string& account_id,
                                            const std::string& request_id, const DeviceEnrolment& device) {
  CS_ASSIGN(auto row, tx.query_one("SELECT ac.certificate_id, ac.key_id, k.public_key, k.algorithm "
                                   "FROM account_certificates ac JOIN shield_keys k ON k.id = ac.key_id "
                                   "WHERE ac.request_id = ? AND ac.account_id = ?",
                                   {request_id, account_id}));
  if (!row) return not_found("not_enrolled", "");
  const std::string key_id = row->text("key_id");
  CS_ASSIGN(auto d, tx.query_one("SELECT request_hash FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                 {key_id, device.device_id}));
  if (!d || d->text("request_hash") != request_hash(device)) {
    return Error(ErrorKind::kConflict, "already_installed", "this certificate was installed already");
  }
  InstallResult r;
  r.key_id = key_id;
  // Two-party RSA and P-256 keys answer with the key's SPKI; SM2 ones with P.
  r.keygen_response = keeps_spki(row->text("algorithm")) ? row->blob("public_key")
                                                                : cosign::KeygenResponse{row->blob("public_key")}.encode();
  // Never the recovery key the first answer carried (L4): a fresh one for this device, so a
  // replay cannot unmask the recovery copy the device already made.
  CS_ASSIGN(r.recovery_key, rotate_recovery_key(tx, key_id, device.device_id));
  r.certificate.id = row->text("certificate_id");
  return r;
}

Result<InstallResult> ShieldService::install(const std::string& account_id, const std::string& order_id,
                                             const DeviceEnrolment& device) {
  CS_TRY(check_enrolment(device));
  CS_ASSIGN(auto request_id, db_.read_value<std::string>([&](store::Tx& tx) {
    return install_request_id(tx, account_id, order_id, device);
  }));
  return enrol(account_id, order_id, request_id, device, std::nullopt, "");
}

// An order for `quantity` certificates installs that many, each with its own key: the first
// installation keeps the request id "install:<order>", the k-th (k >= 2) "install:<order>#k".
// The request ids are unique in account_certificates, so two installations racing for the same
// slot cannot both be stored (the loser's certificate is revoked as an orphan by enrol()).
Result<std::string> ShieldService::install_request_id(store::Tx& tx, const std::string& account_id,
                                                      const std::string& order_id, const DeviceEnrolment& device) {
  const std::string base = "install:" + order_id;
  CS_ASSIGN(auto order, tx.query_one("SELECT quantity FROM orders WHERE id = ? AND account_id = ?",
                                     {order_id, account_id}));
  if (!order) return base;  // enrol() answers order_not_found
  CS_ASSIGN(auto done, tx.query("SELECT ac.request_id, d.request_hash FROM account_certificates ac "
                                "LEFT JOIN shield_devices d ON d.key_id = ac.key_id AND d.device_id = ? "
                                "WHERE ac.order_id = ? AND ac.account_id = ? AND "
                                "(ac.request_id = ? OR ac.request_id LIKE ?)",
                                {device.device_id, order_id, account_id, base, base + "#%"}));
  for (const auto& r : done) {
    if (!r.is_null("request_hash") && r.text("request_hash") == request_hash(device)) {
      return r.text("request_id");  // a retry of an installation that succeeded
    }
  }
  const auto installed = static_cast<std::int64_t>(done.size());
  if (installed >= order->integer("quantity")) {
    return Error(ErrorKind::kConflict, "already_installed",
                 installed == 1 ? std::string("this certificate was installed already")
                                : "all " + std::to_string(installed) + " certificates of this order are installed");
  }
  return installed == 0 ? base : base + "#" + std::to_string(installed + 1);
}

Status ShieldService::count_installation(store::Tx& tx, const std::string& account_id, const OrderView& order,
                                         const std::string& certificate_id) {
  CS_ASSIGN(auto n, tx.query_one("SELECT COUNT(*) AS n FROM account_certificates WHERE order_id = ? AND "
                                 "(request_id = ? OR request_id LIKE ?)",
                                 {order.id, "install:" + order.id, "install:" + order.id + "#%"}));
  const std::int64_t before = n ? n->integer("n") : 0;
  if (before + 1 >= order.quantity) {
    CS_TRY(orders_.complete(tx, account_id, order.id, certificate_id, "certificate"));
    return {};
  }
  CS_ASSIGN(auto still, tx.query_one("SELECT status FROM orders WHERE id = ?", {order.id}));
  if (!still || still->text("status") != "approved") {
    return failed_precondition("order_not_approved", "only an approved order can be installed");
  }
  return {};
}

Result<InstallResult> ShieldService::reissue(const std::string& account_id, const std::string& cert_id,
                                             const std::string& request_id, const std::string& code,
                                             const DeviceEnrolment& device, const ReissueProof& proof) {
  if (request_id.empty() || request_id.size() > 100) return field_error("request_id", "1 to 100 bytes");
  return enrol(account_id, "", "reissue:" + request_id, device, cert_id, code, &proof);
}

Result<InstallResult> ShieldService::enrol(const std::string& account_id, const std::string& order_id_in,
                                           const std::string& request_id, const DeviceEnrolment& device,
                                           const std::optional<std::string>& reissue_of, const std::string& code,
                                           const ReissueProof* proof) {
  CS_TRY(check_enrolment(device));

  // A retry of a request that succeeded gets the same answer.
  auto prior = db_.write_value<InstallResult>(
      [&](store::Tx& tx) { return replay(tx, account_id, request_id, device); });
  if (prior) {
    CS_ASSIGN(prior->certificate, ca_.get(prior->certificate.id));
    return prior;
  }
  if (prior.error().code != "not_enrolled") return std::move(prior).error();

  struct Context {
    OrderView order;
    ProductView product;
    pki::SubjectInfo subject;
    std::optional<HeldCertificate> old;
  };
  CS_ASSIGN(auto ctx, db_.read_value<Context>([&](store::Tx& tx) -> Result<Context> {
    Context c;
    std::string order_id = order_id_in;
    if (reissue_of) {
      CS_ASSIGN(auto h, held(tx, account_id, *reissue_of));
      if (!h.current) return failed_precondition("certificate_not_current", "this certificate was replaced already");
      order_id = h.order_id;
      c.old = std::move(h);
    }
    CS_ASSIGN(auto op, orders_.order_with_product(tx, account_id, order_id));
    c.order = std::move(op.first);
    c.product = std::move(op.second);
    if (c.product.kind != "certificate") return failed_precondition("not_a_certificate_order", "this order is not for a certificate");
    if (!reissue_of && c.order.status != "approved") {
      return failed_precondition("order_not_approved", "only an approved order can be installed");
    }
    if (c.product.algorithm != "sm2" && !keeps_spki(c.product.algorithm)) {
      return failed_precondition("algorithm_not_installable",
                                 "only SM2, RSA and P-256 certificates are installed as a mobile shield (two-party keys)");
    }
    CS_ASSIGN(c.subject, subject_for(tx, account_id, c.order));
    CS_TRY(check_org_holder(tx, account_id, c.order));  // review H2
    return c;
  }));
  if (reissue_of) {
    if (ctx.old->record.status != "valid") return failed_precondition("certificate_not_valid", "this certificate is not valid");
    if (!proof) return internal_error("reissue without its proof");
    CS_TRY(check_reissue(account_id, *ctx.old, code, *proof));
  }

  // The server's half of key generation: SM2 computes P from the device's P1 (cosign.h); RSA
  // takes the key the device generated and the server's exponent share, once the check value
  // proves the two shares make that key (rsa_split.h); P-256 checks the device's Paillier
  // modulus and encrypted share (both proofs, ecdsa_split.h) and draws x2, Q = x2·Q1.
  Bytes point;             // what shield_keys.public_key keeps: the SM2 point, or the RSA SPKI DER
  SecretBytes share_bytes;  // the server share, sealed below
  Bytes keygen_response;
  if (is_rsa_algorithm(ctx.product.algorithm)) {
    CS_ASSIGN(auto request, crypto::rsa_split::EnrolRequest::decode(device.p1));
    const std::size_t bits = ctx.product.algorithm == "rsa-3072" ? 3072 : 2048;
    CS_ASSIGN(auto share, crypto::rsa_split::server_accept(request, bits, device.device_id));
    point = request.spki;
    share_bytes = share.export_bytes();
    keygen_response = request.spki;
  } else if (is_ecdsa_algorithm(ctx.product.algorithm)) {
    if (!crypto::ecdsa_split::EnrolRequest::is_ecdsa_enrolment(device.p1)) {
      // E.g. an SM2 keygen request from a client that does not know two-party ECDSA.
      return invalid_argument("algorithm_mismatch", "this is an ECDSA P-256 certificate: the device must send a "
                                                    "two-party ECDSA enrolment (certseal cert install does)")
          .with_field("p1", "algorithm_mismatch", "a two-party ECDSA P-256 enrolment");
    }
    CS_ASSIGN(auto request, crypto::ecdsa_split::EnrolRequest::decode(device.p1));
    Result<crypto::ecdsa_split::Accepted> accepted =
        crypto::ecdsa_split::server_accept(request, device.device_id, locked_rng_);
    if (!accepted) return std::move(accepted).error();
    CS_ASSIGN(auto q, crypto::PublicKey::ec_from_point(crypto::KeyType::kEcP256, accepted->public_point));
    point = q.spki_der();
    share_bytes = accepted->share.export_bytes();
    keygen_response = point;
  } else {
    CS_ASSIGN(auto request, cosign::KeygenRequest::decode(device.p1));
    Result<cosign::ServerKeygenResult> kg = [&] {
      std::lock_guard lock(rng_mu_);
      return cosign::server_keygen(request, rng_);
    }();
    if (!kg) return std::move(kg).error();
    point = kg->response.public_key;
    share_bytes = kg->share.export_bytes();
    keygen_response = kg->response.encode();
  }
  CS_ASSIGN(auto pub, keeps_spki(ctx.product.algorithm) ? crypto::PublicKey::from_spki_der(point)
                                                              : crypto::PublicKey::sm2_from_point(point));
  const std::string spki = base64_encode(pub.spki_der());
  // The CA's idempotency covers this one key only: a retry after a failure makes a new key.
  const std::string ca_request = request_id + ":" + hex_encode(crypto::sm3(point)).substr(0, 16);
  Result<ca::CertificateRecord> cert = [&]() -> Result<ca::CertificateRecord> {
    if (reissue_of) return ca_.reissue(ca_request, *reissue_of, spki, "", validity_days(ctx.product));
    ca::IssueInput in;
    in.request_id = ca_request;
    in.ca_id = ctx.product.ca_id;
    in.profile = profile_for(ctx.order);
    in.subject = ctx.subject;
    in.public_key = spki;
    in.validity_days = validity_days(ctx.product);
    return ca_.issue(in);
  }();
  if (!cert) return std::move(cert).error();

  const Bytes recovery = random(kRecoveryKeySize);
  std::string key_id;
  {
    std::lock_guard lock(rng_mu_);
    key_id = new_uuid_v7(clock_, rng_);
  }
  CS_ASSIGN(auto sealed_recovery, seal(recovery, aad(key_id, device.device_id, "recovery")));
  // shield_keys.recovery_key_enc (NOT NULL) held the one recovery key of keys made before
  // per-device recovery keys; newer keys seal an empty value there: they have none.
  CS_ASSIGN(auto sealed_no_key_recovery, seal(Bytes{}, aad(key_id, "", "recovery")));
  CS_ASSIGN(auto sealed_share, seal(share_bytes, aad(key_id, device.device_id, "share")));
  CS_ASSIGN(auto sealed_auth, seal(device.auth_key, aad(key_id, device.device_id, "auth")));
  const std::string now = format_rfc3339_ms(clock_.now());
  const std::string operation = reissue_of ? "reissue" : "install";

  std::optional<PendingSecuritySms> reissued_note;
  Status stored = db_.write([&](store::Tx& tx) -> Status {
    if (!reissue_of) CS_TRY(count_installation(tx, account_id, ctx.order, cert->id));
    CS_TRY(tx.exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, failures, "
                   "recovery_key_enc, created_at, updated_at) VALUES (?, ?, ?, ?, 'active', 0, ?, ?, ?)",
                   {key_id, account_id, ctx.product.algorithm, point, sealed_no_key_recovery, now, now}));
    CS_TRY(tx.exec("INSERT INTO shield_devices (key_id, device_id, name, status, server_share_enc, auth_key_enc, "
                   "salt, request_hash, recovery_key_enc, created_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?)",
                   {key_id, device.device_id, device.device_name, sealed_share, sealed_auth, device.salt,
                    request_hash(device), sealed_recovery, now}));
    CS_TRY(tx.exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, "
                   "org_id, platform_id, current, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
                   {cert->id, account_id, key_id, ctx.order.id, request_id,
                    ctx.order.org_id.empty() ? store::Value() : store::Value(ctx.order.org_id),
                    ctx.order.platform_id, now}));
    if (reissue_of) {
      // The old key is retired: its devices' server shares are deleted, so no old share works.
      CS_TRY(tx.exec("UPDATE account_certificates SET current = 0, reissue_notice = NULL, reissue_identity_checked = 0 "
                     "WHERE key_id = ?",
                     {ctx.old->key_id}));
      CS_TRY(retire_key(tx, ctx.old->key_id, now));
      CS_TRY(add_event(tx, ctx.old->key_id, account_id, device.device_id, "retire", "reissued as " + cert->id, "ok"));
      CS_ASSIGN(auto note, notices_.record(tx, account_id, SecurityEvent::kCertificateReissued,
                                           "新设备 " + device.device_name, cert->id));
      reissued_note = std::move(note);
    }
    return add_event(tx, key_id, account_id, device.device_id, operation, "certificate " + cert->id, "ok");
  });
  if (!stored) {
    // Nobody holds this certificate: take it back (a concurrent installation won, most likely).
    (void)ca_.revoke(ca_request + ":orphan", cert->id, pki::RevocationReason::kCessationOfOperation);
    return std::move(stored).error();
  }
  if (reissued_note) notices_.send(*reissued_note);
  log_.info("mobile shield key enrolled", {{"key_id", key_id}, {"certificate_id", cert->id}, {"operation", operation}});
  InstallResult r;
  r.key_id = key_id;
  r.keygen_response = std::move(keygen_response);
  r.recovery_key = recovery;
  r.certificate = std::move(cert).value();
  return r;
}

}  // namespace certseal::service
