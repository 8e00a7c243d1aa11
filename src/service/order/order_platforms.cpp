// OrderService: mutual recognition: on which trading platforms a certificate may be used (order_service.h).
#include "service/order/order_service.h"

#include <algorithm>
#include <chrono>
#include <regex>

#include "base/id.h"
#include "store/page_query.h"
#include "docsign/text_render.h"
#include "service/notify/inbox.h"
#include "service/ca/ca_service.h"
#include "service/order/order_internal.h"

namespace certseal::service {
using namespace order_internal;

// ---- Mutual recognition ----------------------------------------------------------------------

Result<std::pair<std::string, std::int64_t>> OrderService::enable_platform(store::Tx& tx, const OrderView& o) {
  CS_ASSIGN(auto pr, tx.query_one("SELECT p.platform_id, p.period_months, t.name FROM products p "
                                  "JOIN trading_platforms t ON t.id = p.platform_id WHERE p.id = ?",
                                  {o.product_id}));
  if (!pr) return internal_error("mutual-recognition product " + o.product_id + " has no platform");
  CS_ASSIGN(auto cert, tx.query_one("SELECT current FROM account_certificates WHERE certificate_id = ? "
                                    "AND account_id = ?",
                                    {o.certificate_id, o.account_id}));
  if (!cert || cert->integer("current") != 1) {
    return failed_precondition("certificate_not_current",
                        "the package's certificate is no longer current; reject the order and refund it");
  }
  const std::string platform_id = pr->text("platform_id");
  const std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto row, tx.query_one("SELECT enabled_until, cancelled_at FROM certificate_platforms "
                                   "WHERE certificate_id = ? AND platform_id = ?",
                                   {o.certificate_id, platform_id}));
  // A running enablement is extended from its end; a lapsed or cancelled one starts again now.
  std::int64_t from = now;
  if (row && row->is_null("cancelled_at")) from = std::max(now, row->integer("enabled_until"));
  const std::int64_t until = add_months(from, pr->integer("period_months"));
  if (row) {
    CS_TRY(tx.exec("UPDATE certificate_platforms SET order_id = ?, enabled_until = ?, cancelled_at = NULL "
                   "WHERE certificate_id = ? AND platform_id = ?",
                   {o.id, until, o.certificate_id, platform_id}));
  } else {
    CS_TRY(tx.exec("INSERT INTO certificate_platforms (certificate_id, platform_id, order_id, enabled_until) "
                   "VALUES (?, ?, ?, ?)",
                   {o.certificate_id, platform_id, o.id, until}));
  }
  return std::pair(pr->text("name"), until);
}

namespace {
// The certificate of an account_certificates row is alive: current, valid, not expired.
constexpr const char* kHeldCertificate =
    "SELECT ac.account_id, ac.platform_id, ac.order_id, ac.current, c.status, c.not_after, t.name AS platform_name "
    "FROM account_certificates ac JOIN pki_certificate c ON c.id = ac.certificate_id "
    "LEFT JOIN trading_platforms t ON t.id = ac.platform_id WHERE ac.certificate_id = ?";

bool alive(const store::Row& r, std::int64_t now) {
  return r.integer("current") == 1 && r.text("status") == "valid" && r.integer("not_after") > now;
}
}  // namespace

Result<std::vector<CertificatePlatformView>> OrderService::certificate_platforms(const std::string& account_id,
                                                                                 const std::string& certificate_id) {
  return db_.read_value<std::vector<CertificatePlatformView>>(
      [&](store::Tx& tx) -> Result<std::vector<CertificatePlatformView>> {
        CS_ASSIGN(auto c, tx.query_one(kHeldCertificate, {certificate_id}));
        if (!c || c->text("account_id") != account_id) {
          return not_found("certificate_not_found", "no such certificate of yours");
        }
        const std::int64_t now = clock_.now_unix();
        const bool live = alive(*c, now);
        std::vector<CertificatePlatformView> out;
        if (!c->is_null("platform_id")) {
          out.push_back({c->text("platform_id"), opt_text(*c, "platform_name"), "purchase", c->text("order_id"),
                         unix_text(c->integer("not_after")), "", live});
        }
        CS_ASSIGN(auto rows, tx.query("SELECT cp.*, t.name AS platform_name FROM certificate_platforms cp "
                                      "JOIN trading_platforms t ON t.id = cp.platform_id "
                                      "WHERE cp.certificate_id = ? ORDER BY t.name, cp.platform_id",
                                      {certificate_id}));
        for (auto& r : rows) {
          const bool cancelled = !r.is_null("cancelled_at");
          out.push_back({r.text("platform_id"), r.text("platform_name"), "package", r.text("order_id"),
                         unix_text(r.integer("enabled_until")), opt_text(r, "cancelled_at"),
                         live && !cancelled && r.integer("enabled_until") > now});
        }
        return out;
      });
}

Result<CertificatePlatformView> OrderService::cancel_certificate_platform(const std::string& account_id,
                                                                         const std::string& certificate_id,
                                                                         const std::string& platform_id) {
  return cancel_platform(account_id, account_id, "", certificate_id, platform_id);
}

Result<CertificatePlatformView> OrderService::cancel_platform(const std::string& actor, const std::string& account_id,
                                                             const std::string& org_id,
                                                             const std::string& certificate_id,
                                                             const std::string& platform_id) {
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto c, tx.query_one("SELECT account_id, platform_id FROM account_certificates WHERE certificate_id = ?",
                                   {certificate_id}));
    if (!c || c->text("account_id") != account_id) {
      return not_found("certificate_not_found", "no such certificate of yours");
    }
    if (opt_text(*c, "platform_id") == platform_id) {
      return failed_precondition("platform_is_original",
                          "the certificate was bought for this platform; revoke the certificate instead");
    }
    CS_ASSIGN(auto row, tx.query_one("SELECT cancelled_at, order_id, enabled_until FROM certificate_platforms "
                                     "WHERE certificate_id = ? AND platform_id = ?",
                                     {certificate_id, platform_id}));
    if (!row) return not_found("platform_not_enabled", "this certificate has no package for that platform");
    CS_ASSIGN(auto n, tx.exec("UPDATE certificate_platforms SET cancelled_at = ? WHERE certificate_id = ? AND "
                              "platform_id = ? AND cancelled_at IS NULL",
                              {format_rfc3339(clock_.now()), certificate_id, platform_id}));
    if (n == 0) return {};  // cancelled before: nothing changed, nothing to record
    auto e = ledger::LedgerEvent("mutual_recognition.cancel")
                 .by(actor)
                 .of(account_id)
                 .on(certificate_id)
                 .cert(certificate_id)
                 .at_platform(platform_id)
                 .with("order", row->text("order_id"))
                 .with("enabled_until", row->integer("enabled_until"));
    if (!org_id.empty()) e.with("org", org_id);
    return ledger::record(ledger_, tx, e);
  }));
  CS_ASSIGN(auto all, certificate_platforms(account_id, certificate_id));
  for (auto& v : all) {
    if (v.source == "package" && v.platform_id == platform_id) return v;
  }
  return not_found("platform_not_enabled", "this certificate has no package for that platform");
}

Result<bool> OrderService::enabled_for(const std::string& certificate_id, const std::string& platform_id) {
  return db_.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
    CS_ASSIGN(auto c, tx.query_one(kHeldCertificate, {certificate_id}));
    const std::int64_t now = clock_.now_unix();
    if (!c || !alive(*c, now)) return false;
    if (opt_text(*c, "platform_id") == platform_id) return true;
    CS_ASSIGN(auto row, tx.query_one("SELECT enabled_until FROM certificate_platforms WHERE certificate_id = ? "
                                     "AND platform_id = ? AND cancelled_at IS NULL",
                                     {certificate_id, platform_id}));
    return row && row->integer("enabled_until") > now;
  });
}

}  // namespace certseal::service
