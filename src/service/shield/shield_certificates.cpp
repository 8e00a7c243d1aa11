// ShieldService: the certificates a person holds: list, renew, change, revoke, reissue notices (shield_service.h).
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
      CS_TRY(shield_internal::retire_key(tx, h.key_id, now));
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

}  // namespace certseal::service
