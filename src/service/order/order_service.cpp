// OrderService: creating, authorising, cancelling and completing orders, and the buyer's notices
// (order_service.h). The catalogue, the application form, payments, the review queue and mutual
// recognition each have a file of their own in this folder.
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

std::int64_t add_months(std::int64_t unix_s, std::int64_t months) {
  using namespace std::chrono;
  const sys_seconds t{seconds(unix_s)};
  const sys_days day = floor<days>(t);
  const seconds time_of_day = t - day;
  year_month_day ymd{day};
  year_month target = year_month{ymd.year(), ymd.month()} + std::chrono::months(months);
  const auto last = year_month_day_last{target.year(), month_day_last{target.month()}}.day();
  const year_month_day out{target.year(), target.month(), std::min(ymd.day(), last)};
  return (sys_days{out} + time_of_day).time_since_epoch().count();
}

void OrderService::add_gateway(std::unique_ptr<PaymentGateway> g) {
  std::string n = g->name();
  gateways_[n] = std::move(g);
}

PaymentGateway* OrderService::gateway(const std::string& name) const {
  auto it = gateways_.find(name);
  return it == gateways_.end() ? nullptr : it->second.get();
}

// ---- Orders ----------------------------------------------------------------------------------

Result<bool> OrderService::transition(store::Tx& tx, const std::string& order_id, const std::string& from,
                                      const std::string& to, const std::string& actor, const std::string& reason) {
  CS_ASSIGN(auto n, tx.exec("UPDATE orders SET status = ? WHERE id = ? AND status = ?", {to, order_id, from}));
  if (n == 0) return false;
  // The UPDATE above holds the order's row, so numbering its events here cannot race.
  CS_TRY(tx.exec("INSERT INTO order_events (id, order_id, seq, from_status, to_status, actor, reason, at) "
                 "SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM order_events WHERE order_id = ?",
                 {new_uuid_v7(clock_, rng_), order_id, from, to, actor, reason, format_rfc3339_ms(clock_.now()),
                  order_id}));
  if (ledger_ != nullptr &&
      (to == "paid" || to == "in_review" || to == "approved" || to == "rejected" || to == "refunded" ||
       to == "cancelled" || to == "done")) {
    CS_ASSIGN(auto o, tx.query_one("SELECT account_id, product_id, kind, org_id, platform_id, amount_fen FROM orders "
                                   "WHERE id = ?",
                                   {order_id}));
    if (!o) return internal_error("order transition for a missing order");
    auto e = ledger::LedgerEvent("order." + to)
                 .by(actor == "system" ? "" : actor)
                 .of(o->text("account_id"))
                 .on(order_id)
                 .at_platform(o->text("platform_id"))
                 .with("from", from)
                 .with("product", o->text("product_id"))
                 .with("kind", o->text("kind"))
                 .with("amount_fen", o->integer("amount_fen"));
    if (!o->text("org_id").empty()) e.with("org", o->text("org_id"));
    if (!reason.empty()) e.with("reason", reason);
    CS_TRY(ledger::record(ledger_, tx, e));
  }
  return true;
}

Result<OrderView> OrderService::load(store::Tx& tx, const std::string& order_id, bool details) {
  CS_ASSIGN(auto r, tx.query_one(std::string(kOrderSelect) + "WHERE o.id = ?", {order_id}));
  if (!r) return not_found("order_not_found", "no such order");
  OrderView o = order_from_row(*r);
  if (details) {
    CS_ASSIGN(auto ev, tx.query("SELECT * FROM order_events WHERE order_id = ? ORDER BY seq", {order_id}));
    for (auto& e : ev) {
      o.events.push_back({e.text("id"), e.text("from_status"), e.text("to_status"), e.text("actor"),
                          e.text("reason"), e.text("at")});
    }
    CS_ASSIGN(auto ps, tx.query("SELECT * FROM payments WHERE order_id = ? ORDER BY id", {order_id}));
    for (auto& p : ps) o.payments.push_back(payment_from_row(p));
  }
  return o;
}

Result<OrderView> OrderService::load_own(store::Tx& tx, const std::string& account_id, const std::string& order_id) {
  CS_ASSIGN(auto o, load(tx, order_id, true));
  // Another account's order does not exist for this caller.
  if (o.account_id != account_id) return not_found("order_not_found", "no such order");
  return o;
}

Result<std::pair<OrderView, ProductView>> OrderService::order_with_product(store::Tx& tx,
                                                                          const std::string& account_id,
                                                                          const std::string& order_id) {
  CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
  CS_ASSIGN(auto r, tx.query_one("SELECT * FROM products WHERE id = ?", {o.product_id}));
  if (!r) return internal_error("order " + order_id + " refers to a missing product");
  return std::pair<OrderView, ProductView>{std::move(o), product_from_row(*r)};
}

Result<OrderView> OrderService::create(const std::string& account_id, const CreateOrderInput& in) {
  if (in.quantity < 1 || in.quantity > 100) return field_error("quantity", "1 to 100");
  if (in.idempotency_key.size() > 128) return field_error("idempotency_key", "at most 128 bytes");
  std::string id;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    if (!in.idempotency_key.empty()) {
      CS_ASSIGN(auto prev, tx.query_one("SELECT id FROM orders WHERE account_id = ? AND idempotency_key = ?",
                                        {account_id, in.idempotency_key}));
      if (prev) {
        id = prev->text("id");
        return {};
      }
    }
    // Certificates are issued in a verified real name only (SPEC §3): no order before that.
    CS_ASSIGN(auto verified, tx.query_one("SELECT id FROM person_verifications WHERE account_id = ? "
                                          "AND status = 'verified' LIMIT 1",
                                          {account_id}));
    if (!verified) {
      return failed_precondition("person_not_verified", "complete your real-name verification before ordering");
    }
    CS_ASSIGN(auto pr, tx.query_one("SELECT * FROM products WHERE id = ? AND active = 1", {in.product_id}));
    if (!pr) return field_error("product_id", "the id of a product on sale");
    ProductView p = product_from_row(*pr);
    if (!in.seal_maker_id.empty()) {
      CS_ASSIGN(auto sm, tx.query_one("SELECT id FROM seal_makers WHERE id = ?", {in.seal_maker_id}));
      if (!sm) return field_error("seal_maker_id", "the id of a seal maker");
    }
    std::string role = "self";
    if (p.cert_type == "organisation") {
      if (in.org_id.empty()) return field_error("org_id", "an organisation product needs the organisation");
      CS_ASSIGN(role, orgs_.member_role(tx, account_id, in.org_id));
    } else if (!in.org_id.empty()) {
      return field_error("org_id", "a personal product is not bought for an organisation");
    }
    std::string platform_id = in.platform_id;
    if (p.kind == "certificate") {
      if (!in.certificate_id.empty()) {
        return field_error("certificate_id", "only packages (mutual_recognition, renewal) name a certificate");
      }
    } else {
      if (in.certificate_id.empty()) return field_error("certificate_id", "a package names the certificate it is for");
      if (in.quantity != 1) return field_error("quantity", "a package is bought once for one certificate");
      CS_ASSIGN(auto cert, tx.query_one("SELECT * FROM account_certificates WHERE certificate_id = ? "
                                        "AND account_id = ? AND current = 1",
                                        {in.certificate_id, account_id}));
      // An organisation's admin (acting as such) renews the organisation's certificates, whoever holds them.
      const bool org_admin = (role == "admin" || role == "legal_representative") && in.acting_as_org_admin;
      if (!cert && p.kind == "renewal" && p.cert_type == "organisation" && org_admin) {
        CS_ASSIGN(cert, tx.query_one("SELECT * FROM account_certificates WHERE certificate_id = ? "
                                     "AND org_id = ? AND current = 1",
                                     {in.certificate_id, in.org_id}));
      }
      // Another account's certificate does not exist for this caller.
      if (!cert) return not_found("certificate_not_found", "no such certificate of yours");
      const std::string cert_org = opt_text(*cert, "org_id");
      if (cert_org != in.org_id) {
        return field_error("certificate_id", p.cert_type == "organisation"
                                                 ? "a certificate of the organisation named by org_id"
                                                 : "a personal certificate (this package is for personal ones)");
      }
      if (p.kind == "mutual_recognition") {
        if (!platform_id.empty() && platform_id != p.platform_id) {
          return field_error("platform_id", "a mutual-recognition package enables its own platform");
        }
        platform_id = p.platform_id;
        if (opt_text(*cert, "platform_id") == platform_id) {
          return conflict("platform_already_enabled", "the certificate was bought for this platform");
        }
      } else if (platform_id.empty()) {
        platform_id = opt_text(*cert, "platform_id");
      }
    }
    if (!in.application_link.empty()) {
      if (p.kind != "certificate") return field_error("application_link", "application links buy certificates");
      if (origin_ == nullptr) return not_found("application_link_not_found", "no such application link");
      CS_ASSIGN(platform_id, origin_->admit(tx, in.application_link, p, platform_id));
    }
    CS_ASSIGN(auto pl, tx.query_one("SELECT id FROM trading_platforms WHERE id = ?", {platform_id}));
    if (!pl) return field_error("platform_id", "the id of a trading platform");
    id = new_uuid_v7(clock_, rng_);
    std::int64_t amount = p.price_fen * in.quantity;
    CS_TRY(tx.exec("INSERT INTO orders (id, account_id, product_id, kind, cert_type, org_id, applicant_role, "
                   "platform_id, seal_maker_id, quantity, amount_fen, status, idempotency_key, created_at, expires_at, "
                   "certificate_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'created', ?, ?, ?, ?)",
                   {id, account_id, p.id, p.kind, p.cert_type,
                    in.org_id.empty() ? store::Value() : store::Value(in.org_id), role, platform_id,
                    in.seal_maker_id.empty() ? store::Value() : store::Value(in.seal_maker_id), in.quantity, amount,
                    in.idempotency_key.empty() ? store::Value() : store::Value(in.idempotency_key),
                    format_rfc3339(clock_.now()), clock_.now_unix() + opts_.timeout_s,
                    in.certificate_id.empty() ? store::Value() : store::Value(in.certificate_id)}));
    CS_TRY(tx.exec("INSERT INTO order_events (id, order_id, seq, from_status, to_status, actor, reason, at) "
                   "VALUES (?, ?, 1, '', 'created', ?, 'order placed', ?)",
                   {new_uuid_v7(clock_, rng_), id, account_id, format_rfc3339_ms(clock_.now())}));
    if (!in.application_link.empty()) CS_TRY(origin_->record(tx, in.application_link, id));
    return {};
  }));
  return db_.read_value<OrderView>([&](store::Tx& tx) { return load_own(tx, account_id, id); });
}

Result<OrderView> OrderService::authorise(const std::string& account_id, const std::string& order_id,
                                          const std::string& code) {
  CS_ASSIGN(auto phone, db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    if (o.status != "created") return failed_precondition("order_not_created", "this order is already authorised");
    if (o.cert_type == "organisation" && o.form_status != "signed") {
      return failed_precondition("application_form_unsigned",
                          "sign the application form first (upload it signed, or sign it online)");
    }
    if (org_approval_state(o) == "pending") {
      return failed_precondition("org_approval_pending",
                                 "an admin of the organisation must approve this application first");
    }
    CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {account_id}));
    if (!a) return not_found("account_not_found", "no such account");
    return a->text("phone");
  }));
  CS_TRY(sms_codes_.verify(phone, SmsPurpose::kAuthorise, code, "order_authorise:" + order_id));
  return db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto moved, transition(tx, order_id, "created", "awaiting_payment", account_id,
                                     "applicant authorised by SMS code"));
    if (!moved) return failed_precondition("order_not_created", "this order is already authorised or closed");
    CS_TRY(tx.exec("UPDATE orders SET authorised_at = ? WHERE id = ?", {format_rfc3339(clock_.now()), order_id}));
    return load_own(tx, account_id, order_id);
  });
}

Result<OrderView> OrderService::cancel(const std::string& account_id, const std::string& order_id) {
  return db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    if (o.status == "cancelled") return o;  // idempotent
    if (o.status != "created" && o.status != "awaiting_payment") {
      return failed_precondition("order_not_cancellable", "only an unpaid order can be cancelled");
    }
    CS_ASSIGN(auto moved, transition(tx, order_id, o.status, "cancelled", account_id, "cancelled by the buyer"));
    if (!moved) return failed_precondition("order_not_cancellable", "the order changed meanwhile; look again");
    CS_TRY(tx.exec("UPDATE payments SET status = 'closed' WHERE order_id = ? AND status IN ('pending', 'submitted')",
                   {order_id}));
    return load_own(tx, account_id, order_id);
  });
}

Result<std::vector<OrderView>> OrderService::list(const std::string& account_id, const std::string& tab,
                                                  const std::string& after, int limit) {
  std::string statuses;
  if (tab.empty() || tab == "all") {
    statuses = "";
  } else if (tab == "awaiting_payment") {
    statuses = "'created', 'awaiting_payment'";
  } else if (tab == "in_review") {
    statuses = "'paid', 'in_review'";
  } else if (tab == "done") {
    statuses = "'approved', 'done'";
  } else {
    return field_error("tab", "all, awaiting_payment, in_review or done");
  }
  return db_.read_value<std::vector<OrderView>>([&](store::Tx& tx) -> Result<std::vector<OrderView>> {
    CS_ASSIGN(auto rows, store::query_page(tx, {kOrderSelect, {{"o.account_id", account_id}},
                                                statuses.empty() ? "" : "o.status IN (" + statuses + ")", "o.id",
                                                after, /*descending=*/true, limit + 1}));
    std::vector<OrderView> out;
    for (auto& r : rows) out.push_back(order_from_row(r));
    return out;
  });
}

Result<OrderView> OrderService::get(const std::string& account_id, const std::string& order_id) {
  return db_.read_value<OrderView>([&](store::Tx& tx) { return load_own(tx, account_id, order_id); });
}

// ---- Completing approved orders --------------------------------------------------------------

Result<OrderView> OrderService::complete(const std::string& account_id, const std::string& order_id,
                                         const std::string& certificate_id, const std::string& expected_kind) {
  return db_.write_value<OrderView>([&](store::Tx& tx) {
    return complete(tx, account_id, order_id, certificate_id, expected_kind);
  });
}

Result<OrderView> OrderService::complete(store::Tx& tx, const std::string& account_id, const std::string& order_id,
                                         const std::string& certificate_id, const std::string& expected_kind) {
  if (expected_kind != "certificate" && expected_kind != "renewal") {
    return invalid_argument("invalid_kind", "certificate or renewal orders are completed this way");
  }
  if (certificate_id.empty()) return field_error("certificate_id", "the certificate the order was used for");
  CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
  if (o.kind != expected_kind) return failed_precondition("order_kind_mismatch", "this is not a " + expected_kind + " order");
  if (expected_kind == "renewal" && o.certificate_id != certificate_id) {
    return failed_precondition("order_not_for_certificate", "this renewal order is for another certificate");
  }
  if (o.status != "approved") return failed_precondition("order_not_approved", "only an approved order can be used");
  CS_ASSIGN(auto moved, transition(tx, order_id, "approved", "done", account_id,
                                   (expected_kind == "renewal" ? "certificate renewed: " : "certificate installed: ") +
                                       certificate_id));
  if (!moved) return failed_precondition("order_not_approved", "the order changed meanwhile; look again");
  return load_own(tx, account_id, order_id);
}

Result<std::vector<NotificationView>> OrderService::notifications(const std::string& account_id,
                                                                  const std::string& after, int limit) {
  return db_.read_value<std::vector<NotificationView>>([&](store::Tx& tx) -> Result<std::vector<NotificationView>> {
    CS_ASSIGN(auto rows, store::query_page(tx, {"SELECT * FROM notifications", {{"account_id", account_id}}, "",
                                                "id", after, /*descending=*/true, limit + 1}));
    std::vector<NotificationView> out;
    for (auto& r : rows) {
      out.push_back({r.text("id"), r.text("kind"), r.text("text"), r.text("ref_id"), r.text("created_at")});
    }
    return out;
  });
}

}  // namespace certseal::service
