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

namespace certseal::service {
namespace cosign = crypto::cosign;

namespace {

constexpr std::size_t kAuthKeySize = 32;
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kRecoveryKeySize = 32;

Error field_error(const std::string& field, const std::string& msg) {
  return invalid_argument("invalid_field", field + ": " + msg).with_field(field, "invalid", msg);
}
Error key_not_found() { return not_found("key_not_found", "no such key"); }
Error certificate_not_found() { return not_found("certificate_not_found", "no such certificate"); }

bool valid_device_id(std::string_view id) {
  if (id.size() < 8 || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::string aad(const std::string& key_id, const std::string& device_id, std::string_view what) {
  return "certseal-shield|" + key_id + "|" + device_id + "|" + std::string(what);
}

// What identifies a device's enrolment request: a retry sends the same device id and p1.
std::string request_hash(const DeviceEnrolment& d) {
  Bytes in = to_bytes(d.device_id + "\n");
  in.insert(in.end(), d.p1.begin(), d.p1.end());
  return hex_encode(crypto::sm3(in));
}

Status check_enrolment(const DeviceEnrolment& d) {
  if (!valid_device_id(d.device_id)) return field_error("device_id", "8 to 64 letters, digits, '-', '_' or '.'");
  if (d.device_name.empty() || d.device_name.size() > 64) return field_error("device_name", "1 to 64 bytes");
  if (d.auth_key.size() != kAuthKeySize) return field_error("auth_key", "32 bytes");
  if (d.salt.size() != kSaltSize) return field_error("salt", "16 bytes");
  return {};
}

}  // namespace

SecretBytes shield_seal_key(BytesView master_key) {
  const Bytes k = crypto::hmac_sm3(master_key, as_bytes("CertSeal mobile shield sealing key v1"));
  return SecretBytes(k.begin(), k.end());
}

struct ShieldService::StepOutcome {
  std::optional<Error> refusal;
  Bytes answer;
  std::vector<PendingSecuritySms> notices;  // sent after the commit
};

std::int64_t UnlockBudget::failures_now(std::int64_t failures, std::int64_t failure_at, std::int64_t now) const {
  if (failures <= 0) return 0;
  if (decay_s <= 0 || now <= failure_at) return failures;
  const std::int64_t forgiven = (now - failure_at) / decay_s;
  return forgiven >= failures ? 0 : failures - forgiven;
}

ShieldService::ShieldService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, SecretBytes seal_key,
                             SmsCodeService& sms_codes, SecurityNotices& notices, OrderService& orders,
                             ca::CaService& ca, IdentityVerifier& identity, ShieldOptions opts)
    : db_(db), clock_(clock), rng_(rng), log_(log), seal_key_(std::move(seal_key)), sms_codes_(sms_codes), notices_(notices),
      orders_(orders), ca_(ca), identity_(identity), opts_(opts) {}

Bytes ShieldService::random(std::size_t n) {
  std::lock_guard lock(rng_mu_);
  return rng_.bytes(n);
}

Result<Bytes> ShieldService::seal(BytesView plain, const std::string& ad) {
  std::lock_guard lock(rng_mu_);
  return crypto::sm4_aead_seal(seal_key_, plain, as_bytes(ad), rng_);
}

Result<SecretBytes> ShieldService::unseal(BytesView sealed, const std::string& ad) {
  auto r = crypto::sm4_aead_open(seal_key_, sealed, as_bytes(ad));
  if (!r) return internal_error("a sealed shield secret does not open (" + ad + "): " + r.error().code);
  return r;
}

Status ShieldService::add_event(store::Tx& tx, const std::string& key_id, const std::string& account_id,
                                const std::string& device_id, const std::string& operation,
                                const std::string& purpose, const std::string& result, const std::string& document) {
  std::string id;
  {
    std::lock_guard lock(rng_mu_);
    id = new_uuid_v7(clock_, rng_);
  }
  CS_TRY(tx.exec("INSERT INTO shield_events (id, key_id, account_id, device_id, operation, purpose, result, at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 {id, key_id, account_id, device_id, operation, purpose, result, format_rfc3339_ms(clock_.now())}));
  if (!ledger_) return {};
  CS_ASSIGN(auto holder, tx.query_one("SELECT account_id FROM shield_keys WHERE id = ?", {key_id}));
  return ledger_->append(tx, ledger::LedgerEvent("shield." + operation).by(account_id).of(holder ? holder->text("account_id") : account_id)
                                 .on(key_id).outcome(result).doc(document).with("device", device_id).with("purpose", purpose));
}

Status ShieldService::check_code(const std::string& account_id, const std::string& code, const std::string& scope,
                                 bool scope_required) {
  CS_ASSIGN(auto phone, db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {account_id}));
    if (!a) return not_found("account_not_found", "no such account");
    return a->text("phone");
  }));
  return sms_codes_.verify(phone, SmsPurpose::kAuthorise, code, scope, scope_required);
}

// ---- subjects ------------------------------------------------------------------------------

namespace {

Result<pki::SubjectInfo> subject_for(store::Tx& tx, const std::string& account_id, const OrderView& o) {
  pki::SubjectInfo s;
  if (o.cert_type == "organisation") {
    CS_ASSIGN(auto org, tx.query_one("SELECT name, credit_code, status FROM organisations WHERE id = ?", {o.org_id}));
    if (!org || org->text("status") != "verified") {
      return failed_precondition("organisation_not_verified", "the organisation of this certificate is not verified");
    }
    s.common_name = org->text("name");
    s.organization = org->text("name");
    s.uscc = org->text("credit_code");
    return s;
  }
  CS_ASSIGN(auto p, tx.query_one("SELECT name, id_number FROM person_verifications WHERE account_id = ? AND "
                                 "status = 'verified' ORDER BY created_at DESC LIMIT 1",
                                 {account_id}));
  if (!p) return failed_precondition("person_not_verified", "real-name verification is needed first");
  s.common_name = p->text("name");
  s.identity_code = p->text("id_number");
  return s;
}

std::string profile_for(const OrderView& o) { return o.cert_type == "organisation" ? "org_sign" : "personal_sign"; }

int validity_days(const ProductView& p) { return static_cast<int>(std::max<std::int64_t>(1, p.validity_years) * 365); }

HeldCertificate held_from_row(const store::Row& r) {
  HeldCertificate h;
  h.certificate_id = r.text("certificate_id");
  h.key_id = r.text("key_id");
  h.order_id = r.text("order_id");
  h.org_id = r.text("org_id");
  h.platform_id = r.text("platform_id");
  h.reissue_notice = r.text("reissue_notice");
  h.created_at = r.text("created_at");
  h.current = r.integer("current") != 0;
  h.reissue_identity_checked = r.integer("reissue_identity_checked") != 0;
  return h;
}

}  // namespace

// ---- installation and reissue --------------------------------------------------------------

Result<InstallResult> ShieldService::replay(store::Tx& tx, const std::string& account_id,
                                            const std::string& request_id, const DeviceEnrolment& device) {
  CS_ASSIGN(auto row, tx.query_one("SELECT ac.certificate_id, ac.key_id, k.public_key "
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
  r.keygen_response = cosign::KeygenResponse{row->blob("public_key")}.encode();
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
  CS_ASSIGN(auto request, cosign::KeygenRequest::decode(device.p1));

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
    if (c.product.algorithm != "sm2") {
      return failed_precondition("algorithm_not_installable",
                          "only SM2 certificates are installed as a mobile shield (two-party keys)");
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

  // The server's half of key generation.
  Result<cosign::ServerKeygenResult> kg = [&] {
    std::lock_guard lock(rng_mu_);
    return cosign::server_keygen(request, rng_);
  }();
  if (!kg) return std::move(kg).error();
  const Bytes& point = kg->response.public_key;
  CS_ASSIGN(auto pub, crypto::PublicKey::sm2_from_point(point));
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
  CS_ASSIGN(auto sealed_share, seal(kg->share.export_bytes(), aad(key_id, device.device_id, "share")));
  CS_ASSIGN(auto sealed_auth, seal(device.auth_key, aad(key_id, device.device_id, "auth")));
  const std::string now = format_rfc3339_ms(clock_.now());
  const std::string operation = reissue_of ? "reissue" : "install";

  std::optional<PendingSecuritySms> reissued_note;
  Status stored = db_.write([&](store::Tx& tx) -> Status {
    if (!reissue_of) CS_TRY(count_installation(tx, account_id, ctx.order, cert->id));
    CS_TRY(tx.exec("INSERT INTO shield_keys (id, account_id, algorithm, public_key, status, failures, "
                   "recovery_key_enc, created_at, updated_at) VALUES (?, ?, 'sm2', ?, 'active', 0, ?, ?, ?)",
                   {key_id, account_id, point, sealed_no_key_recovery, now, now}));
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
      CS_TRY(tx.exec("UPDATE shield_keys SET status = 'retired', updated_at = ? WHERE id = ?", {now, ctx.old->key_id}));
      CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                     "removed_at = ? WHERE key_id = ? AND status <> 'removed'",
                     {now, ctx.old->key_id}));
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
  r.keygen_response = kg->response.encode();
  r.recovery_key = recovery;
  r.certificate = std::move(cert).value();
  return r;
}

// ---- certificates held ---------------------------------------------------------------------

Result<HeldCertificate> ShieldService::held(store::Tx& tx, const std::string& account_id, const std::string& cert_id) {
  CS_ASSIGN(auto r, tx.query_one("SELECT * FROM account_certificates WHERE certificate_id = ?", {cert_id}));
  if (!r || r->text("account_id") != account_id) return certificate_not_found();
  HeldCertificate h = held_from_row(*r);
  CS_ASSIGN(h.record, ca_.get(cert_id));
  return h;
}

Result<std::vector<HeldCertificate>> ShieldService::certificates(const std::string& account_id) {
  CS_ASSIGN(auto rows, db_.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query("SELECT * FROM account_certificates WHERE account_id = ? ORDER BY created_at DESC, "
                    "certificate_id DESC LIMIT 200",
                    {account_id});
  }));
  std::vector<HeldCertificate> out;
  for (const auto& r : rows) {
    HeldCertificate h = held_from_row(r);
    CS_ASSIGN(h.record, ca_.get(h.certificate_id));
    out.push_back(std::move(h));
  }
  return out;
}

Result<HeldCertificate> ShieldService::certificate(const std::string& account_id, const std::string& cert_id) {
  return db_.read_value<HeldCertificate>([&](store::Tx& tx) { return held(tx, account_id, cert_id); });
}

Result<KeyView> ShieldService::key(const std::string& account_id, const std::string& key_id) {
  return db_.read_value<KeyView>([&](store::Tx& tx) -> Result<KeyView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM shield_keys WHERE id = ?", {key_id}));
    if (!r || r->text("account_id") != account_id) return key_not_found();
    return KeyView{r->text("id"), r->text("status"), r->text("algorithm"), r->blob("public_key")};
  });
}

Status ShieldService::record_successor(const std::string& account_id, const HeldCertificate& old,
                                       const ca::CertificateRecord& next, const std::string& request_id) {
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto exists, tx.query_one("SELECT certificate_id FROM account_certificates WHERE certificate_id = ?",
                                        {next.id}));
    if (exists) return {};
    CS_TRY(tx.exec("UPDATE account_certificates SET current = 0 WHERE certificate_id = ?", {old.certificate_id}));
    CS_TRY(tx.exec("INSERT INTO account_certificates (certificate_id, account_id, key_id, order_id, request_id, org_id, "
                   "platform_id, current, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)",
                   {next.id, account_id, old.key_id, old.order_id, request_id,
                    old.org_id.empty() ? store::Value() : store::Value(old.org_id),
                    old.platform_id.empty() ? store::Value() : store::Value(old.platform_id),
                    format_rfc3339_ms(clock_.now())}));
    return add_event(tx, old.key_id, account_id, "", request_id.substr(0, request_id.find(':')),
                     old.certificate_id + " -> " + next.id, "ok");
  });
}

Result<std::optional<ca::CertificateRecord>> ShieldService::done_before(const std::string& account_id,
                                                                         const std::string& request_id) {
  CS_ASSIGN(auto row, db_.read_value<std::optional<store::Row>>([&](store::Tx& tx) {
    return tx.query_one("SELECT certificate_id FROM account_certificates WHERE request_id = ? AND account_id = ?",
                        {request_id, account_id});
  }));
  if (!row) return std::optional<ca::CertificateRecord>();
  CS_ASSIGN(auto rec, ca_.get(row->text("certificate_id")));
  return std::optional<ca::CertificateRecord>(std::move(rec));
}

Result<ca::CertificateRecord> ShieldService::renew(const std::string& account_id, const std::string& cert_id,
                                                   const std::string& request_id, const std::string& order_id) {
  return renew_paid_by(account_id, account_id, cert_id, request_id, order_id);
}

Result<ca::CertificateRecord> ShieldService::renew_paid_by(const std::string& account_id,
                                                           const std::string& payer_account_id,
                                                           const std::string& cert_id, const std::string& request_id,
                                                           const std::string& order_id) {
  if (request_id.empty() || request_id.size() > 100) return field_error("request_id", "1 to 100 bytes");
  CS_ASSIGN(auto before, done_before(account_id, "renew:" + request_id));
  if (before) return *before;  // a retry
  struct Ctx {
    HeldCertificate h;
    int days = 365;
  };
  CS_ASSIGN(auto c, db_.read_value<Ctx>([&](store::Tx& tx) -> Result<Ctx> {
    Ctx c;
    CS_ASSIGN(c.h, held(tx, account_id, cert_id));
    CS_ASSIGN(auto base, orders_.order_with_product(tx, account_id, c.h.order_id));
    CS_TRY(check_org_holder(tx, account_id, base.first));  // review H2
    c.days = validity_days(base.second);
    // A renewal is bought (review M3): an approved renewal order for this certificate, used once.
    if (order_id.empty()) {
      return failed_precondition("renewal_order_required", "renewal needs an approved renewal order for this certificate")
          .with_field("order_id", "required", "buy a renewal package for this certificate first");
    }
    {
      CS_ASSIGN(auto pkg, orders_.order_with_product(tx, payer_account_id, order_id));
      if (pkg.second.kind != "renewal") return failed_precondition("not_a_renewal_order", "this order is not a renewal package");
      // Another's order (the organisation's admin's) renews only a certificate of its organisation.
      const bool foreign = payer_account_id != account_id && (pkg.first.org_id.empty() || pkg.first.org_id != c.h.org_id);
      if (pkg.first.certificate_id != cert_id || foreign) {
        return failed_precondition("order_not_for_certificate", "this renewal order is for another certificate");
      }
      if (pkg.first.status != "approved") return failed_precondition("order_not_approved", "only an approved order can be used");
      if (pkg.second.validity_years > 0) c.days = validity_days(pkg.second);
    }
    return c;
  }));
  if (!c.h.current) return failed_precondition("certificate_not_current", "this certificate was replaced already");
  CS_ASSIGN(auto next, ca_.renew("renew:" + request_id, cert_id, c.days));
  // The renewed certificate replaces the old one: no parallel valid certificates pile up.
  if (c.h.record.status == "valid") {
    CS_TRY(ca_.revoke("renew:" + request_id + ":superseded", cert_id, pki::RevocationReason::kSuperseded));
  }
  CS_ASSIGN(const bool first_time, db_.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
    CS_ASSIGN(auto r, tx.query_one("SELECT 1 AS one FROM account_certificates WHERE certificate_id = ?", {next.id}));
    return !r.has_value();
  }));
  CS_TRY(record_successor(account_id, c.h, next, "renew:" + request_id));
  if (first_time) {
    CS_TRY(db_.write([&](store::Tx& tx) -> Status {
      CS_TRY(orders_.complete(tx, payer_account_id, order_id, cert_id, "renewal"));
      return {};
    }));
  }
  return next;
}

Result<ca::CertificateRecord> ShieldService::change(const std::string& account_id, const std::string& cert_id,
                                                    const std::string& request_id) {
  if (request_id.empty() || request_id.size() > 100) return field_error("request_id", "1 to 100 bytes");
  CS_ASSIGN(auto before, done_before(account_id, "change:" + request_id));
  if (before) return *before;  // a retry
  struct Ctx {
    HeldCertificate h;
    pki::SubjectInfo subject;
  };
  CS_ASSIGN(auto c, db_.read_value<Ctx>([&](store::Tx& tx) -> Result<Ctx> {
    Ctx c;
    CS_ASSIGN(c.h, held(tx, account_id, cert_id));
    CS_ASSIGN(auto base, orders_.order_with_product(tx, account_id, c.h.order_id));
    CS_TRY(check_org_holder(tx, account_id, base.first));  // review H2
    CS_ASSIGN(c.subject, subject_for(tx, account_id, base.first));
    return c;
  }));
  if (!c.h.current) return failed_precondition("certificate_not_current", "this certificate was replaced already");
  // The new certificate keeps the old one's end of validity.
  const std::int64_t left = c.h.record.not_after - clock_.now_unix();
  const int days = static_cast<int>(std::max<std::int64_t>(1, left / 86400));
  CS_ASSIGN(auto next, ca_.change("change:" + request_id, cert_id, c.subject, days));
  CS_TRY(record_successor(account_id, c.h, next, "change:" + request_id));
  return next;
}

Result<ca::CertificateRecord> ShieldService::revoke(const std::string& account_id, const std::string& cert_id,
                                                    const std::string& request_id, const std::string& code,
                                                    const std::string& reason_name) {
  if (request_id.empty() || request_id.size() > 100) return field_error("request_id", "1 to 100 bytes");
  CS_ASSIGN(auto reason, pki::reason_from_name(reason_name.empty() ? "unspecified" : reason_name));
  CS_ASSIGN(auto h, certificate(account_id, cert_id));
  if (h.record.status == "revoked") return h.record;  // a retry: nothing more to do
  CS_TRY(check_code(account_id, code, "certificate_revoke:" + cert_id));
  CS_ASSIGN(auto rec, ca_.revoke("revoke:" + request_id, cert_id, reason));
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    const std::string now = format_rfc3339_ms(clock_.now());
    if (h.current) {
      // The certificate in use is gone: its key signs no more, on any device.
      CS_TRY(tx.exec("UPDATE shield_keys SET status = 'retired', updated_at = ? WHERE id = ?", {now, h.key_id}));
      CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                     "removed_at = ? WHERE key_id = ? AND status <> 'removed'",
                     {now, h.key_id}));
    }
    return add_event(tx, h.key_id, account_id, "", "revoke", "certificate " + cert_id + " " + reason_name, "ok");
  }));
  return rec;
}

Status ShieldService::reissue_notice(const std::string& operator_id, const std::string& cert_id,
                                     const std::string& reason, bool identity_checked) {
  if (reason.empty() || reason.size() > 500) return field_error("reason", "1 to 500 bytes");
  std::string account_id;
  const std::string text = "【CertSeal】您的证书需要补发：" + reason + "。请在客户端完成补发。";
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto r, tx.query_one("SELECT account_id FROM account_certificates WHERE certificate_id = ? AND current = 1",
                                   {cert_id}));
    if (!r) return certificate_not_found();
    account_id = r->text("account_id");
    CS_TRY(tx.exec("UPDATE account_certificates SET reissue_notice = ?, reissue_identity_checked = ? WHERE "
                   "certificate_id = ?",
                   {reason, identity_checked ? 1 : 0, cert_id}));
    return orders_.notify_in(tx, account_id, "certificate_reissue", text, cert_id);
  }));
  log_.info("reissue notice",
            {{"certificate_id", cert_id}, {"operator", operator_id}, {"identity_checked", identity_checked}});
  orders_.send_sms(account_id, text, "certificate_reissue");
  return {};
}

// ---- two-party steps -----------------------------------------------------------------------

Result<ChallengeView> ShieldService::challenge(const std::string& account_id, const std::string& key_id,
                                               const std::string& device_id) {
  ChallengeView c;
  c.nonce = base64url_encode(random(32));
  c.expires_at = clock_.now_unix() + opts_.challenge_ttl_s;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id, status FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    if (k->text("status") == "locked") {
      return failed_precondition("key_locked", "this key is locked after too many wrong passwords; recover it first");
    }
    if (k->text("status") != "active") return failed_precondition("key_retired", "this key is no longer in use");
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, device_id}));
    if (!d || d->text("status") != "active") return permission_denied("device_not_active", "this device holds no share of the key");
    CS_TRY(tx.exec("DELETE FROM shield_challenges WHERE expires_at < ?", {clock_.now_unix()}));
    CS_TRY(tx.exec("INSERT INTO shield_challenges (nonce, key_id, device_id, expires_at) VALUES (?, ?, ?, ?)",
                   {c.nonce, key_id, device_id, c.expires_at}));
    return {};
  }));
  return c;
}

Result<Bytes> ShieldService::run_step(const std::string& account_id, const std::string& operation,
                                      const ShieldStep& step, const StepFn& fn) {
  if (step.purpose.size() > 200) return field_error("purpose", "at most 200 bytes");
  const std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto out, db_.write_value<StepOutcome>([&](store::Tx& tx) -> Result<StepOutcome> {
    StepOutcome o;
    auto refuse = [&](Error e) -> Result<StepOutcome> {
      CS_TRY(add_event(tx, step.key_id, account_id, step.device_id, operation, step.purpose, e.code));
      o.refusal = std::move(e);
      return o;
    };
    // The key's row is locked first (a no-op update takes the row lock on PostgreSQL; SQLite has
    // one writer anyway) and read again after the lock, so the status and the failure count seen
    // below are those every other step of this key sees: concurrent guesses are evaluated one at
    // a time and none can pass the budget (review M1).
    CS_ASSIGN(auto locked_rows, tx.exec("UPDATE shield_keys SET failures = failures WHERE id = ? AND account_id = ?",
                                        {step.key_id, account_id}));
    if (locked_rows == 0) return key_not_found();
    CS_ASSIGN(auto k, tx.query_one("SELECT status, failures, failure_at FROM shield_keys WHERE id = ?", {step.key_id}));
    if (!k) return key_not_found();
    // Without a fresh challenge a step is not even an unlock attempt.
    CS_ASSIGN(auto used, tx.exec("DELETE FROM shield_challenges WHERE nonce = ? AND key_id = ? AND device_id = ? "
                                 "AND expires_at >= ?",
                                 {step.nonce, step.key_id, step.device_id, now}));
    if (used == 0) return refuse(invalid_argument("bad_nonce", "the challenge is unknown, used or expired"));
    if (k->text("status") == "locked") {
      return refuse(failed_precondition("key_locked", "this key is locked after too many wrong passwords; recover it first"));
    }
    if (k->text("status") != "active") return refuse(failed_precondition("key_retired", "this key is no longer in use"));
    const UnlockBudget budget{opts_.max_failures, opts_.failure_decay_s};
    const std::int64_t failures = budget.failures_now(k->integer("failures"), k->integer("failure_at"), now);
    if (failures >= opts_.max_failures) {
      // Only reachable if max_failures was lowered since: treat as locked.
      CS_TRY(tx.exec("UPDATE shield_keys SET status = 'locked' WHERE id = ?", {step.key_id}));
      return refuse(failed_precondition("key_locked", "this key is locked after too many wrong passwords; recover it first"));
    }
    CS_ASSIGN(auto d, tx.query_one("SELECT * FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                   "status = 'active'",
                                   {step.key_id, step.device_id}));
    if (!d) return refuse(permission_denied("device_not_active", "this device holds no share of the key"));
    CS_ASSIGN(auto auth, unseal(d->blob("auth_key_enc"), aad(step.key_id, step.device_id, "auth")));
    if (!crypto::unlock::check_proof(auth, operation, step.key_id, step.device_id, step.nonce, step.payload,
                                     step.proof)) {
      // A success never gives the budget back; only time does (UnlockBudget, docs/SHIELD.md).
      const std::int64_t after = failures + 1;
      const bool lock = after >= opts_.max_failures;
      CS_TRY(tx.exec("UPDATE shield_keys SET failures = ?, failure_at = ?, status = ?, updated_at = ? WHERE id = ?",
                     {after, now, lock ? "locked" : "active", format_rfc3339_ms(clock_.now()), step.key_id}));
      const std::string detail = "设备 " + d->text("name");
      CS_ASSIGN(auto note, notices_.record(tx, account_id, SecurityEvent::kUnlockFailed, detail, step.key_id));
      o.notices.push_back(std::move(note));
      if (lock) {
        CS_ASSIGN(auto locked_note, notices_.record(tx, account_id, SecurityEvent::kKeyLocked, "", step.key_id));
        o.notices.push_back(std::move(locked_note));
        return refuse(permission_denied("bad_unlock_proof", "wrong certificate password; the key is now locked: recover it "
                                                  "with an identity check"));
      }
      return refuse(permission_denied("bad_unlock_proof", "wrong certificate password; " +
                                                    std::to_string(opts_.max_failures - after) +
                                                    " attempts left"));
    }
    CS_ASSIGN(auto share, unseal(d->blob("server_share_enc"), aad(step.key_id, step.device_id, "share")));
    auto r = fn(tx, step.device_id, share);
    if (!r) {
      if (r.error().kind == ErrorKind::kInternal) return std::move(r).error();
      return refuse(std::move(r).error());
    }
    // A signature's log entry names the digest signed, e = SM3(Z_A || M) (docs/LEDGER.md).
    auto signed_digest = operation == "sign" ? cosign::SignRequest::decode(step.payload) : Result<cosign::SignRequest>(Error());
    CS_TRY(add_event(tx, step.key_id, account_id, step.device_id, operation, step.purpose, "ok",
                     signed_digest ? hex_encode(signed_digest->e) : std::string()));
    o.answer = std::move(r).value();
    return o;
  }));
  for (const auto& n : out.notices) notices_.send(n);
  if (out.refusal) return *out.refusal;
  return out.answer;
}

Result<Bytes> ShieldService::sign(const std::string& account_id, const ShieldStep& step) {
  return run_step(account_id, "sign", step, [&](store::Tx&, const std::string&, const SecretBytes& s) -> Result<Bytes> {
    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
    CS_ASSIGN(auto req, cosign::SignRequest::decode(step.payload));
    std::lock_guard lock(rng_mu_);
    CS_ASSIGN(auto resp, cosign::server_sign(share, req, rng_));
    return resp.encode();
  });
}

Result<Bytes> ShieldService::decrypt(const std::string& account_id, const ShieldStep& step) {
  return run_step(account_id, "decrypt", step,
                  [&](store::Tx&, const std::string&, const SecretBytes& s) -> Result<Bytes> {
                    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
                    CS_ASSIGN(auto req, cosign::DecryptRequest::decode(step.payload));
                    CS_ASSIGN(auto resp, cosign::server_decrypt(share, req));
                    return resp.encode();
                  });
}

Status ShieldService::refresh(const std::string& account_id, const ShieldStep& step) {
  CS_TRY(run_step(account_id, "refresh", step,
                  [&](store::Tx& tx, const std::string& device_id, const SecretBytes& s) -> Result<Bytes> {
                    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
                    CS_ASSIGN(auto req, cosign::RefreshRequest::decode(step.payload));
                    CS_ASSIGN(auto next, cosign::server_refresh(share, req));
                    CS_ASSIGN(auto sealed, seal(next.export_bytes(), aad(step.key_id, device_id, "share")));
                    CS_TRY(tx.exec("UPDATE shield_devices SET server_share_enc = ? WHERE key_id = ? AND device_id = ?",
                                   {sealed, step.key_id, device_id}));
                    return Bytes{};
                  }));
  return {};
}

Status ShieldService::change_password(const std::string& account_id, const ShieldStep& step) {
  if (step.payload.size() != kAuthKeySize + kSaltSize) return field_error("auth_key", "32 bytes, and salt 16 bytes");
  // The owner hears of it (review L8): a password change needs only the old password, which a
  // thief may have guessed.
  std::optional<PendingSecuritySms> note;
  CS_TRY(run_step(account_id, "password", step,
                  [&](store::Tx& tx, const std::string& device_id, const SecretBytes&) -> Result<Bytes> {
                    const BytesView p(step.payload);
                    CS_ASSIGN(auto sealed, seal(p.first(kAuthKeySize), aad(step.key_id, device_id, "auth")));
                    CS_TRY(tx.exec("UPDATE shield_devices SET auth_key_enc = ?, salt = ? WHERE key_id = ? AND "
                                   "device_id = ?",
                                   {sealed, Bytes(p.begin() + kAuthKeySize, p.end()), step.key_id, device_id}));
                    CS_ASSIGN(auto pending, notices_.record(tx, account_id, SecurityEvent::kCertificatePasswordChanged,
                                                            "设备 " + device_id, step.key_id));
                    note = std::move(pending);
                    return Bytes{};
                  }));
  if (note) notices_.send(*note);
  return {};
}

Status ShieldService::add_device(const std::string& account_id, const ShieldStep& step, const std::string& pairing_id,
                                 BytesView u, BytesView envelope) {
  if (envelope.empty() || envelope.size() > 4096) return field_error("envelope", "1 to 4096 bytes");
  CS_TRY(run_step(account_id, "add_device", step,
                  [&](store::Tx& tx, const std::string&, const SecretBytes& s) -> Result<Bytes> {
                    CS_ASSIGN(auto p, tx.query_one("SELECT * FROM shield_pairings WHERE id = ?", {pairing_id}));
                    if (!p || p->text("account_id") != account_id) return not_found("pairing_not_found", "no such pairing");
                    if (p->text("status") != "waiting" || p->integer("expires_at") < clock_.now_unix()) {
                      return failed_precondition("pairing_not_waiting", "this pairing was used or has expired");
                    }
                    const std::string new_device = p->text("device_id");
                    CS_ASSIGN(auto existing, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND "
                                                          "device_id = ?",
                                                          {step.key_id, new_device}));
                    if (existing && existing->text("status") != "removed") {
                      return Error(ErrorKind::kConflict, "device_exists", "that device has this key already");
                    }
                    // z = d2·u^-1, kept apart from working shares (its own sealing purpose) until
                    // the new device completes with y (complete_pairing).
                    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
                    CS_ASSIGN(auto req, cosign::RefreshRequest::decode(u));
                    CS_ASSIGN(auto next, cosign::server_refresh(share, req));
                    CS_ASSIGN(auto sealed, seal(next.export_bytes(), aad(step.key_id, new_device, "pending")));
                    const std::string now = format_rfc3339_ms(clock_.now());
                    CS_TRY(tx.exec("DELETE FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {step.key_id, new_device}));
                    CS_TRY(tx.exec("INSERT INTO shield_devices (key_id, device_id, name, status, server_share_enc, "
                                   "request_hash, created_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
                                   {step.key_id, new_device, p->text("device_name"), sealed, "pairing:" + pairing_id,
                                    now}));
                    CS_TRY(tx.exec("UPDATE shield_pairings SET status = 'delivered', key_id = ?, envelope = ? WHERE "
                                   "id = ?",
                                   {step.key_id, Bytes(envelope.begin(), envelope.end()), pairing_id}));
                    return Bytes{};
                  }));
  return {};
}

// ---- devices -------------------------------------------------------------------------------

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

Result<PairingView> ShieldService::pairing(const std::string& account_id, const std::string& pairing_id) {
  return db_.read_value<PairingView>([&](store::Tx& tx) -> Result<PairingView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM shield_pairings WHERE id = ?", {pairing_id}));
    if (!r || r->text("account_id") != account_id) return not_found("pairing_not_found", "no such pairing");
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
    CS_ASSIGN(out.recovery_key, rotate_recovery_key(tx, key_id, device_id));
    CS_TRY(add_event(tx, key_id, account_id, device_id, "add_device", "paired", "ok"));
    CS_ASSIGN(sms, notices_.record(tx, account_id, SecurityEvent::kDeviceAdded, "设备：" + p->text("device_name"),
                                   key_id));
    return out;
  }));
  notices_.send(sms);
  return out;
}

// ---- recovery, records ---------------------------------------------------------------------

Result<Bytes> ShieldService::recovery_key_of(store::Tx& tx, const std::string& key_id, const std::string& device_id) {
  CS_ASSIGN(auto d, tx.query_one("SELECT recovery_key_enc FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                 {key_id, device_id}));
  if (d && !d->is_null("recovery_key_enc")) {
    CS_ASSIGN(auto rk, unseal(d->blob("recovery_key_enc"), aad(key_id, device_id, "recovery")));
    return Bytes(rk.begin(), rk.end());
  }
  // A key made before recovery keys were per device: the key's one.
  CS_ASSIGN(auto k, tx.query_one("SELECT recovery_key_enc FROM shield_keys WHERE id = ?", {key_id}));
  if (!k) return key_not_found();
  CS_ASSIGN(auto rk, unseal(k->blob("recovery_key_enc"), aad(key_id, "", "recovery")));
  if (rk.size() != kRecoveryKeySize) {
    return failed_precondition("no_recovery_key", "this device has no recovery copy of its share");
  }
  return Bytes(rk.begin(), rk.end());
}

Result<Bytes> ShieldService::rotate_recovery_key(store::Tx& tx, const std::string& key_id,
                                                 const std::string& device_id) {
  Bytes next = random(kRecoveryKeySize);
  CS_ASSIGN(auto sealed, seal(next, aad(key_id, device_id, "recovery")));
  CS_TRY(tx.exec("UPDATE shield_devices SET recovery_key_enc = ? WHERE key_id = ? AND device_id = ?",
                 {sealed, key_id, device_id}));
  return next;
}

Result<RecoveryResult> ShieldService::recover(const std::string& account_id, const std::string& key_id,
                                              const RecoveryRequest& r) {
  if (r.auth_key.size() != kAuthKeySize) return field_error("auth_key", "32 bytes");
  if (r.salt.size() != kSaltSize) return field_error("salt", "16 bytes");
  if (r.login_password.empty() || r.login_password.size() > 256) return field_error("password", "the login password");
  const auto media = sniff_media_type(r.face_image);
  if (!media || (*media != "image/jpeg" && *media != "image/png")) {
    return Error(ErrorKind::kUnsupportedMediaType, "unsupported_file_type", "the face image must be a JPEG or PNG")
        .with_field("face_image", "unsupported_file_type", "JPEG or PNG");
  }
  struct Who {
    VerifiedPerson person;
    std::string password_hash;
  };
  CS_ASSIGN(auto who, db_.read_value<Who>([&](store::Tx& tx) -> Result<Who> {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id, status FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    if (k->text("status") != "active" && k->text("status") != "locked") {
      return failed_precondition("key_retired", "this key is no longer in use");
    }
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, r.device_id}));
    if (!d || d->text("status") != "active") return permission_denied("device_not_active", "this device holds no share of the key");
    CS_ASSIGN(auto p, tx.query_one("SELECT name, id_number FROM person_verifications WHERE account_id = ? AND "
                                   "status = 'verified' ORDER BY created_at DESC LIMIT 1",
                                   {account_id}));
    if (!p) return failed_precondition("person_not_verified", "real-name verification is needed first");
    CS_ASSIGN(auto a, tx.query_one("SELECT password_hash FROM accounts WHERE id = ?", {account_id}));
    if (!a) return not_found("account_not_found", "no such account");
    return Who{VerifiedPerson{account_id, p->text("name"), p->text("id_number")},
               a->is_null("password_hash") ? std::string() : a->text("password_hash")};
  }));
  // Three factors, the cheapest to the attacker last: the SMS code (consumed, so each wrong
  // password costs a fresh code), the login password, then a fresh identity check.
  CS_TRY(check_code(account_id, r.code));
  auto refused = [&](Error e) -> Error {
    (void)db_.write([&](store::Tx& tx) -> Status {
      return add_event(tx, key_id, account_id, r.device_id, "recover", "", e.code);
    });
    return e;
  };
  if (who.password_hash.empty() || !crypto::password_verify(who.password_hash, r.login_password)) {
    return refused(permission_denied("wrong_password", "the login password is wrong")
                       .with_field("password", "wrong_password", "the login password is wrong"));
  }
  CS_ASSIGN(auto verdict, identity_.recheck(who.person, r.face_image));
  if (verdict.outcome == VerifierVerdict::Outcome::kRejected) {
    return refused(permission_denied("identity_check_failed", "the identity check did not confirm you: " + verdict.reason));
  }
  if (verdict.outcome == VerifierVerdict::Outcome::kNeedsReview) {
    return refused(failed_precondition("identity_check_needs_review",
                                       "this platform checks identities by hand; ask the operator to unlock the key"));
  }
  CS_ASSIGN(auto sealed, seal(r.auth_key, aad(key_id, r.device_id, "auth")));
  PendingSecuritySms sms;
  CS_ASSIGN(auto out, db_.write_value<RecoveryResult>([&](store::Tx& tx) -> Result<RecoveryResult> {
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, r.device_id}));
    if (!d || d->text("status") != "active") return permission_denied("device_not_active", "this device holds no share of the key");
    RecoveryResult out;
    out.verified_by = verdict.verified_by;
    CS_ASSIGN(out.recovery_key, recovery_key_of(tx, key_id, r.device_id));
    CS_ASSIGN(out.next_recovery_key, rotate_recovery_key(tx, key_id, r.device_id));
    CS_TRY(tx.exec("UPDATE shield_devices SET auth_key_enc = ?, salt = ? WHERE key_id = ? AND device_id = ?",
                   {sealed, r.salt, key_id, r.device_id}));
    CS_TRY(tx.exec("UPDATE shield_keys SET status = 'active', failures = 0, updated_at = ? WHERE id = ?",
                   {format_rfc3339_ms(clock_.now()), key_id}));
    CS_TRY(add_event(tx, key_id, account_id, r.device_id, "recover", "identity checked by " + verdict.verified_by, "ok"));
    CS_ASSIGN(sms, notices_.record(tx, account_id, SecurityEvent::kCertificatePasswordRecovered, "", key_id));
    return out;
  }));
  notices_.send(sms);
  log_.info("certificate password recovered",
            {{"key_id", key_id}, {"device_id", r.device_id}, {"identity_checked_by", out.verified_by}});
  return out;
}

Result<std::vector<ShieldEventView>> ShieldService::events(const std::string& account_id, const std::string& key_id,
                                                           const std::string& after, int limit) {
  return db_.read_value<std::vector<ShieldEventView>>([&](store::Tx& tx) -> Result<std::vector<ShieldEventView>> {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id FROM shield_keys WHERE id = ?", {key_id}));
    if (!k || k->text("account_id") != account_id) return key_not_found();
    CS_ASSIGN(auto rows, after.empty()
                             ? tx.query("SELECT * FROM shield_events WHERE key_id = ? ORDER BY id DESC LIMIT ?",
                                        {key_id, limit + 1})
                             : tx.query("SELECT * FROM shield_events WHERE key_id = ? AND id < ? ORDER BY id DESC "
                                        "LIMIT ?",
                                        {key_id, after, limit + 1}));
    std::vector<ShieldEventView> out;
    for (const auto& r : rows) {
      out.push_back({r.text("id"), r.text("device_id"), r.text("operation"), r.text("purpose"), r.text("result"),
                     r.text("at")});
    }
    return out;
  });
}

}  // namespace certseal::service
