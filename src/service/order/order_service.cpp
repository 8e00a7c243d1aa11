#include "service/order/order_service.h"

#include <algorithm>
#include <chrono>
#include <regex>

#include "base/id.h"
#include "store/page_query.h"
#include "docsign/text_render.h"
#include "service/notify/inbox.h"
#include "service/ca/ca_service.h"

namespace certseal::service {
namespace {


Error field_error(const std::string& field, const std::string& msg) {
  return invalid_argument("invalid_" + field, msg).with_field(field, "invalid", msg);
}

std::string opt_text(const store::Row& r, std::string_view col) { return r.is_null(col) ? "" : r.text(col); }

ProductView product_from_row(const store::Row& r) {
  ProductView p;
  p.id = r.text("id");
  p.kind = r.text("kind");
  p.name = r.text("name");
  p.cert_type = r.text("cert_type");
  p.algorithm = r.text("algorithm");
  p.validity_years = r.integer("validity_years");
  p.price_fen = r.integer("price_fen");
  p.ca_id = r.text("ca_id");
  p.seal_type = r.text("seal_type");
  p.platform_id = opt_text(r, "platform_id");
  p.period_months = r.integer("period_months");
  p.active = r.integer("active") != 0;
  p.created_at = r.text("created_at");
  return p;
}

constexpr const char* kOrderSelect =
    "SELECT o.*, p.name AS product_name, f.method AS form_method, f.status AS form_status, f.email AS form_email, "
    "f.signed_blob_id AS form_signed_blob_id, f.signature_blob_id AS form_signature_blob_id, "
    "(SELECT COUNT(*) FROM payments sp WHERE sp.order_id = o.id AND sp.method = 'sandbox' "
    "AND sp.paid_at IS NOT NULL) AS sandbox_payments FROM orders o "
    "JOIN products p ON p.id = o.product_id LEFT JOIN application_forms f ON f.order_id = o.id ";

OrderView order_from_row(const store::Row& r) {
  OrderView o;
  o.id = r.text("id");
  o.account_id = r.text("account_id");
  o.product_id = r.text("product_id");
  o.product_name = r.text("product_name");
  o.kind = r.text("kind");
  o.cert_type = r.text("cert_type");
  o.org_id = opt_text(r, "org_id");
  o.applicant_role = r.text("applicant_role");
  o.platform_id = r.text("platform_id");
  o.seal_maker_id = opt_text(r, "seal_maker_id");
  o.status = r.text("status");
  o.reason = opt_text(r, "reason");
  o.created_at = r.text("created_at");
  o.authorised_at = opt_text(r, "authorised_at");
  o.paid_at = opt_text(r, "paid_at");
  o.expires_at = format_rfc3339(SysTime(std::chrono::seconds(r.integer("expires_at"))));
  o.quantity = r.integer("quantity");
  o.amount_fen = r.integer("amount_fen");
  o.form_method = opt_text(r, "form_method");
  o.form_status = opt_text(r, "form_status");
  o.form_email = opt_text(r, "form_email");
  o.form_signed_blob_id = opt_text(r, "form_signed_blob_id");
  o.form_signature_blob_id = opt_text(r, "form_signature_blob_id");
  o.certificate_id = opt_text(r, "certificate_id");
  o.org_approved_by = opt_text(r, "org_approved_by");
  o.org_approved_at = opt_text(r, "org_approved_at");
  o.sandbox_paid = r.integer("sandbox_payments") > 0;
  return o;
}

PaymentView payment_from_row(const store::Row& r) {
  PaymentView p;
  p.id = r.text("id");
  p.order_id = r.text("order_id");
  p.method = r.text("method");
  p.status = r.text("status");
  p.trade_no = opt_text(r, "trade_no");
  p.payer_name = opt_text(r, "payer_name");
  p.payer_account = opt_text(r, "payer_account");
  p.reference = opt_text(r, "transfer_reference");
  p.confirmed_by = opt_text(r, "confirmed_by");
  p.created_at = r.text("created_at");
  p.paid_at = opt_text(r, "paid_at");
  p.refund_no = opt_text(r, "refund_no");
  p.refunded_at = opt_text(r, "refunded_at");
  p.refunded_by = opt_text(r, "refunded_by");
  p.refund_reason = opt_text(r, "refund_reason");
  p.amount_fen = r.integer("amount_fen");
  return p;
}

std::string unix_text(std::int64_t s) { return format_rfc3339(SysTime(std::chrono::seconds(s))); }

Status check_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return field_error("name", "a name of 1 to 200 bytes");
  return {};
}

}  // namespace

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

// ---- Catalogue -------------------------------------------------------------------------------

Result<PlatformView> OrderService::add_platform(const std::string& name, const std::string& id) {
  CS_TRY(check_name(name));
  PlatformView v{id.empty() ? new_uuid_v7(clock_, rng_) : id, name, format_rfc3339(clock_.now())};
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto dup, tx.query_one("SELECT id FROM trading_platforms WHERE name = ?", {name}));
    if (dup) return conflict("platform_exists", "a trading platform with this name exists");
    CS_TRY(tx.exec("INSERT INTO trading_platforms (id, name, created_at) VALUES (?, ?, ?)", {v.id, v.name, v.created_at}));
    return {};
  }));
  return v;
}

Result<SealMakerView> OrderService::add_seal_maker(const std::string& name, const std::string& id) {
  CS_TRY(check_name(name));
  SealMakerView v{id.empty() ? new_uuid_v7(clock_, rng_) : id, name, format_rfc3339(clock_.now())};
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto dup, tx.query_one("SELECT id FROM seal_makers WHERE name = ?", {name}));
    if (dup) return conflict("seal_maker_exists", "a seal maker with this name exists");
    CS_TRY(tx.exec("INSERT INTO seal_makers (id, name, created_at) VALUES (?, ?, ?)", {v.id, v.name, v.created_at}));
    return {};
  }));
  return v;
}

Result<ProductView> OrderService::add_product(const ProductInput& in, const std::string& id) {
  CS_TRY(check_name(in.name));
  if (in.kind != "certificate" && in.kind != "mutual_recognition" && in.kind != "renewal") {
    return field_error("kind", "certificate, mutual_recognition or renewal");
  }
  if (in.cert_type != "personal" && in.cert_type != "organisation") {
    return field_error("cert_type", "personal or organisation");
  }
  if (in.algorithm != "sm2" && in.algorithm != "ec-p256" && in.algorithm != "rsa-2048" && in.algorithm != "rsa-3072") {
    return field_error("algorithm", "sm2, ec-p256, rsa-2048 or rsa-3072");
  }
  if (in.validity_years < 1 || in.validity_years > 10) return field_error("validity_years", "1 to 10 years");
  if (in.price_fen < 0 || in.price_fen > 100000000) return field_error("price_fen", "0 to 100000000 fen");
  if (in.seal_type.empty() || in.seal_type.size() > 64) return field_error("seal_type", "a seal type");
  if (in.kind == "mutual_recognition" && (in.platform_id.empty() || in.period_months < 1)) {
    return field_error("platform_id", "a mutual-recognition package names a platform and a period in months");
  }
  if (ca_ == nullptr) return unavailable("ca_unavailable", "the certificate authorities are not available");
  if (!ca_->chain_pem(in.ca_id)) return field_error("ca_id", "the id of a CA of this platform");
  ProductView v;
  static_cast<ProductInput&>(v) = in;
  v.id = id.empty() ? new_uuid_v7(clock_, rng_) : id;
  v.created_at = format_rfc3339(clock_.now());
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    if (!in.platform_id.empty()) {
      CS_ASSIGN(auto p, tx.query_one("SELECT id FROM trading_platforms WHERE id = ?", {in.platform_id}));
      if (!p) return field_error("platform_id", "the id of a trading platform");
    }
    CS_TRY(tx.exec("INSERT INTO products (id, kind, name, cert_type, algorithm, validity_years, price_fen, ca_id, "
                   "seal_type, platform_id, period_months, active, created_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                   {v.id, v.kind, v.name, v.cert_type, v.algorithm, v.validity_years, v.price_fen, v.ca_id,
                    v.seal_type, in.platform_id.empty() ? store::Value() : store::Value(in.platform_id),
                    v.period_months, v.created_at}));
    return {};
  }));
  return v;
}

Result<ProductView> OrderService::set_product_active(const std::string& id, bool active) {
  return db_.write_value<ProductView>([&](store::Tx& tx) -> Result<ProductView> {
    CS_ASSIGN(auto n, tx.exec("UPDATE products SET active = ? WHERE id = ?", {active, id}));
    if (n == 0) return not_found("product_not_found", "no such product");
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM products WHERE id = ?", {id}));
    return product_from_row(*r);
  });
}

Result<std::vector<PlatformView>> OrderService::platforms() {
  return db_.read_value<std::vector<PlatformView>>([&](store::Tx& tx) -> Result<std::vector<PlatformView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM trading_platforms ORDER BY name"));
    std::vector<PlatformView> out;
    for (auto& r : rows) out.push_back({r.text("id"), r.text("name"), r.text("created_at")});
    return out;
  });
}

Result<std::vector<SealMakerView>> OrderService::seal_makers() {
  return db_.read_value<std::vector<SealMakerView>>([&](store::Tx& tx) -> Result<std::vector<SealMakerView>> {
    CS_ASSIGN(auto rows, tx.query("SELECT * FROM seal_makers ORDER BY name"));
    std::vector<SealMakerView> out;
    for (auto& r : rows) out.push_back({r.text("id"), r.text("name"), r.text("created_at")});
    return out;
  });
}

Result<std::vector<ProductView>> OrderService::products(bool include_inactive) {
  return db_.read_value<std::vector<ProductView>>([&](store::Tx& tx) -> Result<std::vector<ProductView>> {
    CS_ASSIGN(auto rows, tx.query(include_inactive ? "SELECT * FROM products ORDER BY kind, name, id"
                                                   : "SELECT * FROM products WHERE active = 1 ORDER BY kind, name, id"));
    std::vector<ProductView> out;
    for (auto& r : rows) out.push_back(product_from_row(r));
    return out;
  });
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

// ---- Application form ------------------------------------------------------------------------

Result<std::vector<docsign::TextBlock>> OrderService::form_blocks(store::Tx& tx, const OrderView& o) {
  CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {o.account_id}));
  CS_ASSIGN(auto pl, tx.query_one("SELECT name FROM trading_platforms WHERE id = ?", {o.platform_id}));
  CS_ASSIGN(auto pr, tx.query_one("SELECT algorithm, validity_years, ca_id, seal_type FROM products WHERE id = ?",
                                  {o.product_id}));
  std::string org_line;
  if (!o.org_id.empty()) {
    CS_ASSIGN(auto org, tx.query_one("SELECT name, credit_code FROM organisations WHERE id = ?", {o.org_id}));
    if (org) org_line = "申请单位 Organisation: " + org->text("name") + "（" + org->text("credit_code") + "）";
  }
  using docsign::TextBlock;
  std::vector<TextBlock> blocks = {
      {"数字证书申请表", 20, true, TextBlock::Align::kCenter, 6},
      {"Digital certificate application form", 11, false, TextBlock::Align::kCenter, 18},
      {"订单 Order: " + o.id, 10, false, TextBlock::Align::kLeft, 6},
      {"产品 Product: " + o.product_name + " × " + std::to_string(o.quantity), 11, false, TextBlock::Align::kLeft, 4},
      {"证书类型 Type: " + std::string(o.cert_type == "organisation" ? "机构证书 organisation" : "个人证书 personal"),
       11, false, TextBlock::Align::kLeft, 4},
      {"算法 Algorithm: " + (pr ? pr->text("algorithm") : std::string()) + "    有效期 Validity: " +
           std::to_string(pr ? pr->integer("validity_years") : 0) + " 年 years    CA: " +
           (pr ? pr->text("ca_id") : std::string()),
       11, false, TextBlock::Align::kLeft, 4},
      {"交易平台 Trading platform: " + (pl ? pl->text("name") : std::string()), 11, false, TextBlock::Align::kLeft, 4},
      {org_line, 11, false, TextBlock::Align::kLeft, 4},
      {"申请人手机 Applicant phone: " + (a ? a->text("phone") : std::string()) + "    身份 Role: " + o.applicant_role,
       11, false, TextBlock::Align::kLeft, 4},
      {"本人确认以上信息真实有效，并同意数字证书服务协议。 I confirm the above and accept the certificate agreement.", 10,
       false, TextBlock::Align::kLeft, 24},
      {"申请人签字 Applicant's signature:", 11, true, TextBlock::Align::kLeft, 8},
  };
  std::erase_if(blocks, [](const TextBlock& b) { return b.text.empty(); });
  return blocks;
}

Result<Bytes> OrderService::render_form(const std::string& order_id, const std::vector<docsign::TextBlock>& blocks,
                                        BytesView signature_png) {
  const docsign::PdfInfo info{"Application form " + order_id, "CertSeal"};
  if (opts_.form_renderer) return opts_.form_renderer(blocks, info, signature_png);
  return docsign::render_pdf_with_image(blocks, info, signature_png, 60, opts_.image_limits);
}

namespace {
bool same_text(const std::vector<docsign::TextBlock>& a, const std::vector<docsign::TextBlock>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const docsign::TextBlock& x, const docsign::TextBlock& y) { return x.text == y.text; });
}
Status form_open(const OrderView& o) {
  if (o.status != "created") return failed_precondition("order_not_created", "the form is signed before authorisation");
  if (o.form_status == "signed") return failed_precondition("form_already_signed", "the application form is signed");
  return {};
}
Error form_moved() {
  return conflict("order_changed", "the order changed while its form was being drawn; please try again");
}
}  // namespace

Result<BlobInfo> OrderService::own_blob(const std::string& account_id, const std::string& blob_id,
                                        const std::string& purpose, const std::string& media_type) {
  auto b = blobs_.info(blob_id);
  if (!b || b->owner_account_id != account_id || b->purpose != purpose || b->media_type != media_type) {
    return invalid_argument("invalid_blob_id", "an upload of yours with purpose " + purpose + " (" + media_type + ")")
        .with_field("blob_id", "invalid", "an upload with purpose " + purpose);
  }
  return std::move(b).value();
}

Result<OrderView> OrderService::email_form(const std::string& account_id, const std::string& order_id,
                                           const std::string& email) {
  CS_TRY(validate_email(email));
  // Read, draw with no transaction open, then write what was drawn if nothing moved meanwhile.
  CS_ASSIGN(auto blocks, db_.read_value<std::vector<docsign::TextBlock>>(
                             [&](store::Tx& tx) -> Result<std::vector<docsign::TextBlock>> {
                               CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
                               CS_TRY(form_open(o));
                               return form_blocks(tx, o);
                             }));
  CS_ASSIGN(Bytes pdf, render_form(order_id, blocks, {}));
  OrderView out;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_TRY(form_open(o));
    CS_ASSIGN(auto now_blocks, form_blocks(tx, o));
    if (!same_text(now_blocks, blocks)) return form_moved();
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("DELETE FROM application_forms WHERE order_id = ? AND status = 'sent'", {order_id}));
    CS_TRY(tx.exec("INSERT INTO application_forms (order_id, method, email, status, pdf, created_at) "
                   "VALUES (?, 'email', ?, 'sent', ?, ?)",
                   {order_id, email, pdf, now}));
    CS_ASSIGN(out, load_own(tx, account_id, order_id));
    return {};
  }));
  CS_TRY(email_.send({email, "CertSeal 数字证书申请表 / application form",
                      "请打印附件中的申请表，签字后拍照或扫描上传。 Print the attached form, sign it and upload it back.",
                      "application-form-" + order_id + ".pdf", "application/pdf", pdf}));
  return out;
}

Result<OrderView> OrderService::upload_signed_form(const std::string& account_id, const std::string& order_id,
                                                   const std::string& blob_id) {
  CS_ASSIGN(auto b, own_blob(account_id, blob_id, "application_form", "application/pdf"));
  return db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    if (o.status != "created") return failed_precondition("order_not_created", "the form is signed before authorisation");
    CS_ASSIGN(auto n, tx.exec("UPDATE application_forms SET status = 'signed', signed_blob_id = ?, signed_at = ? "
                              "WHERE order_id = ? AND method = 'email' AND status = 'sent'",
                              {b.id, format_rfc3339(clock_.now()), order_id}));
    if (n == 0) return failed_precondition("form_not_sent", "ask for the form by e-mail first");
    return load_own(tx, account_id, order_id);
  });
}

Result<OrderView> OrderService::sign_form_online(const std::string& account_id, const std::string& order_id,
                                                 const std::string& signature_blob_id) {
  CS_ASSIGN(auto b, own_blob(account_id, signature_blob_id, "handwritten_signature", "image/png"));
  CS_ASSIGN(auto png, blobs_.read(b));
  // Read, draw with no transaction open (Cairo decodes the PNG), then write what was drawn if
  // nothing moved meanwhile.
  CS_ASSIGN(auto blocks, db_.read_value<std::vector<docsign::TextBlock>>(
                             [&](store::Tx& tx) -> Result<std::vector<docsign::TextBlock>> {
                               CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
                               CS_TRY(form_open(o));
                               return form_blocks(tx, o);
                             }));
  CS_ASSIGN(Bytes pdf, render_form(order_id, blocks, png));
  return db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    CS_TRY(form_open(o));
    CS_ASSIGN(auto now_blocks, form_blocks(tx, o));
    if (!same_text(now_blocks, blocks)) return form_moved();
    std::string now = format_rfc3339(clock_.now());
    CS_TRY(tx.exec("DELETE FROM application_forms WHERE order_id = ? AND status = 'sent'", {order_id}));
    CS_TRY(tx.exec("INSERT INTO application_forms (order_id, method, status, signature_blob_id, pdf, created_at, "
                   "signed_at) VALUES (?, 'online', 'signed', ?, ?, ?, ?)",
                   {order_id, b.id, pdf, now, now}));
    return load_own(tx, account_id, order_id);
  });
}

Result<Bytes> OrderService::form_pdf(const std::string& account_id, const std::string& order_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_TRY(load_own(tx, account_id, order_id));
    CS_ASSIGN(auto r, tx.query_one("SELECT pdf FROM application_forms WHERE order_id = ?", {order_id}));
    if (!r) return not_found("form_not_found", "this order has no application form yet");
    return r->blob("pdf");
  });
}

// ---- Payments --------------------------------------------------------------------------------

Status OrderService::mark_paid(store::Tx& tx, const std::string& order_id, const std::string& actor,
                               const std::string& why) {
  CS_ASSIGN(auto paid, transition(tx, order_id, "awaiting_payment", "paid", actor, why));
  if (!paid) return failed_precondition("order_not_payable", "this order is not awaiting payment");
  CS_TRY(tx.exec("UPDATE orders SET paid_at = ? WHERE id = ?", {format_rfc3339(clock_.now()), order_id}));
  CS_ASSIGN(auto queued, transition(tx, order_id, "paid", "in_review", "system", "queued for operator review"));
  (void)queued;
  return {};
}

Result<OnlinePayment> OrderService::start_online_payment(const std::string& account_id, const std::string& order_id,
                                                         const std::string& gateway_name) {
  PaymentGateway* g = gateway(gateway_name);
  if (g == nullptr) return field_error("gateway", "a configured payment gateway (sandbox, ...)");
  OnlinePayment out;
  out.gateway = gateway_name;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    if (o.status != "awaiting_payment") {
      return failed_precondition("order_not_payable", "this order is not awaiting payment (authorise it first)");
    }
    out.amount_fen = o.amount_fen;
    // One pending online payment per order and gateway: asking again continues it.
    CS_ASSIGN(auto prev, tx.query_one("SELECT id FROM payments WHERE order_id = ? AND method = ? AND status = 'pending'",
                                      {order_id, gateway_name}));
    if (prev) {
      out.payment_id = prev->text("id");
      return {};
    }
    out.payment_id = new_uuid_v7(clock_, rng_);
    CS_TRY(tx.exec("INSERT INTO payments (id, order_id, method, amount_fen, status, created_at) "
                   "VALUES (?, ?, ?, ?, 'pending', ?)",
                   {out.payment_id, order_id, gateway_name, o.amount_fen, format_rfc3339(clock_.now())}));
    return {};
  }));
  CS_ASSIGN(auto start, g->start({out.payment_id, order_id, out.amount_fen, "CertSeal order " + order_id}));
  out.pay_url = start.pay_url;
  return out;
}

Result<NoticeOutcome> OrderService::handle_notification(const std::string& gateway_name, std::string_view body,
                                                        const net::Headers& headers) {
  PaymentGateway* g = gateway(gateway_name);
  if (g == nullptr) return not_found("gateway_not_found", "no such payment gateway");
  auto notice = g->verify_notification(body, headers);
  if (!notice) {
    log_.warn("payment notification refused", {{"gateway", gateway_name}, {"why", notice.error().code}});
    return std::move(notice).error();
  }
  const PaymentNotice& n = *notice;
  return db_.write_value<NoticeOutcome>([&](store::Tx& tx) -> Result<NoticeOutcome> {
    CS_ASSIGN(auto p, tx.query_one("SELECT * FROM payments WHERE id = ? AND method = ?", {n.payment_id, gateway_name}));
    if (!p || p->text("order_id") != n.order_id) {
      return not_found("payment_not_found", "the notification names no payment of ours");
    }
    if (p->integer("amount_fen") != n.amount_fen) {
      return invalid_argument("amount_mismatch", "the notified amount differs from the payment's");
    }
    if (p->text("status") == "closed" && n.success) {
      // The payment was closed with its order (cancelled by the buyer or timed out), but the
      // payer paid anyway: the money is ours to give back. Kept as refund_due (with the gateway's
      // trade number, needed for the refund) for an operator; the order stays closed. Once.
      CS_ASSIGN(auto kept, tx.exec("UPDATE payments SET status = 'refund_due', trade_no = ?, paid_at = ? "
                                   "WHERE id = ? AND status = 'closed'",
                                   {n.trade_no, format_rfc3339(clock_.now()), n.payment_id}));
      (void)kept;  // 0: a concurrent notification recorded it
      return NoticeOutcome::kLate;
    }
    if (p->text("status") != "pending") {
      // Already handled (duplicate or replay), or closed: nothing changes.
      return p->text("trade_no") == n.trade_no ? NoticeOutcome::kDuplicate : NoticeOutcome::kLate;
    }
    if (!n.success) {
      CS_TRY(tx.exec("UPDATE payments SET status = 'failed' WHERE id = ? AND status = 'pending'", {n.payment_id}));
      return NoticeOutcome::kFailedPayment;
    }
    CS_ASSIGN(auto changed, tx.exec("UPDATE payments SET status = 'paid', trade_no = ?, paid_at = ? "
                                    "WHERE id = ? AND status = 'pending'",
                                    {n.trade_no, format_rfc3339(clock_.now()), n.payment_id}));
    if (changed == 0) return NoticeOutcome::kDuplicate;  // a concurrent notification won
    auto paid = mark_paid(tx, n.order_id, "gateway:" + gateway_name, "online payment " + n.trade_no);
    if (!paid) {
      // The money arrived for an order that is no longer payable (cancelled or timed out): the
      // payment stays recorded as needing a refund; the order does not change.
      CS_TRY(tx.exec("UPDATE payments SET status = 'refund_due' WHERE id = ?", {n.payment_id}));
      return NoticeOutcome::kLate;
    }
    return NoticeOutcome::kPaid;
  });
}

Result<PaymentView> OrderService::submit_bank_transfer(const std::string& account_id, const std::string& order_id,
                                                       const std::string& payer_name, const std::string& payer_account,
                                                       std::int64_t amount_fen, const std::string& reference) {
  if (payer_name.empty() || payer_name.size() > 200) return field_error("payer_name", "the paying company's name");
  static const std::regex kAccount("[0-9]{8,30}");
  if (!std::regex_match(payer_account, kAccount)) return field_error("payer_account", "8 to 30 digits");
  if (reference.size() > 200) return field_error("reference", "at most 200 bytes");
  return db_.write_value<PaymentView>([&](store::Tx& tx) -> Result<PaymentView> {
    CS_ASSIGN(auto o, load_own(tx, account_id, order_id));
    if (o.status != "awaiting_payment") {
      return failed_precondition("order_not_payable", "this order is not awaiting payment (authorise it first)");
    }
    if (amount_fen != o.amount_fen) {
      return field_error("amount_fen", "the transfer must be the order amount, " + std::to_string(o.amount_fen) + " fen");
    }
    // One declared transfer per order waits for the operator: declaring again returns it.
    CS_ASSIGN(auto prev, tx.query_one("SELECT * FROM payments WHERE order_id = ? AND method = 'bank_transfer' "
                                      "AND status = 'submitted'",
                                      {order_id}));
    if (prev) return payment_from_row(*prev);
    std::string id = new_uuid_v7(clock_, rng_);
    CS_TRY(tx.exec("INSERT INTO payments (id, order_id, method, amount_fen, status, payer_name, payer_account, "
                   "transfer_reference, created_at) VALUES (?, ?, 'bank_transfer', ?, 'submitted', ?, ?, ?, ?)",
                   {id, order_id, amount_fen, payer_name, payer_account, reference, format_rfc3339(clock_.now())}));
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM payments WHERE id = ?", {id}));
    return payment_from_row(*r);
  });
}

Result<OrderView> OrderService::confirm_bank_transfer(const std::string& operator_id, const std::string& payment_id,
                                                      std::int64_t received_fen) {
  return db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto p, tx.query_one("SELECT * FROM payments WHERE id = ? AND method = 'bank_transfer'", {payment_id}));
    if (!p) return not_found("payment_not_found", "no such bank transfer");
    if (received_fen != p->integer("amount_fen")) {
      return field_error("received_fen", "the received amount differs from the order amount");
    }
    CS_ASSIGN(auto changed, tx.exec("UPDATE payments SET status = 'paid', confirmed_by = ?, paid_at = ? "
                                    "WHERE id = ? AND status = 'submitted'",
                                    {operator_id, format_rfc3339(clock_.now()), payment_id}));
    if (changed == 0) {
      // The transfer was closed with its order (cancelled by the buyer or timed out) but the money
      // arrived anyway: it is kept as refund_due for an operator to send back; the order stays closed.
      CS_ASSIGN(auto late, tx.exec("UPDATE payments SET status = 'refund_due', confirmed_by = ?, paid_at = ? "
                                   "WHERE id = ? AND status = 'closed'",
                                   {operator_id, format_rfc3339(clock_.now()), payment_id}));
      if (late == 0) return failed_precondition("transfer_not_submitted", "this transfer was already handled");
      return load(tx, p->text("order_id"), true);
    }
    CS_TRY(mark_paid(tx, p->text("order_id"), operator_id, "bank transfer received and confirmed"));
    return load(tx, p->text("order_id"), true);
  });
}

Result<int> OrderService::expire_due() {
  return db_.write_value<int>([&](store::Tx& tx) -> Result<int> {
    CS_ASSIGN(auto rows, tx.query("SELECT id, status FROM orders WHERE status IN ('created', 'awaiting_payment') "
                                  "AND expires_at <= ? ORDER BY id LIMIT 500",
                                  {clock_.now_unix()}));
    int n = 0;
    for (auto& r : rows) {
      CS_ASSIGN(auto moved, transition(tx, r.text("id"), r.text("status"), "cancelled", "system",
                                       "not paid in time"));
      if (!moved) continue;
      CS_TRY(tx.exec("UPDATE payments SET status = 'closed' WHERE order_id = ? AND status IN ('pending', 'submitted')",
                     {r.text("id")}));
      ++n;
    }
    return n;
  });
}

// ---- Review queue ----------------------------------------------------------------------------

Result<std::vector<OrderView>> OrderService::list_any(const std::string& status, const std::string& after, int limit) {
  return db_.read_value<std::vector<OrderView>>([&](store::Tx& tx) -> Result<std::vector<OrderView>> {
    // Oldest first: the queue is worked in order.
    CS_ASSIGN(auto rows, store::query_page(tx, {kOrderSelect, {{"o.status", status}}, "", "o.id", after, false,
                                                limit + 1}));
    std::vector<OrderView> out;
    for (auto& r : rows) out.push_back(order_from_row(r));
    return out;
  });
}

Result<OrderView> OrderService::get_any(const std::string& order_id) {
  return db_.read_value<OrderView>([&](store::Tx& tx) { return load(tx, order_id, true); });
}

Status OrderService::notify(store::Tx& tx, const std::string& account_id, const std::string& kind,
                            const std::string& text, const std::string& ref_id) {
  return add_notification(tx, clock_, rng_, account_id, kind, text, ref_id);
}

void OrderService::send_sms(const std::string& account_id, const std::string& text, const std::string& template_id) {
  auto phone = db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {account_id}));
    if (!a) return not_found("account_not_found", "no such account");
    return a->text("phone");
  });
  if (!phone) return;
  // The decision is committed; an SMS that cannot be sent is logged, the in-app notice remains.
  if (auto s = sms_.send({*phone, template_id, {}, text}); !s) {
    log_.warn("order notification SMS not sent", {{"account", account_id}, {"why", s.error().code}});
  }
}

Result<OrderView> OrderService::approve(const std::string& operator_id, const std::string& order_id) {
  std::string text;
  CS_ASSIGN(auto o, db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto moved, transition(tx, order_id, "in_review", "approved", operator_id, "approved by review"));
    if (!moved) {
      CS_TRY(load(tx, order_id, false));
      return failed_precondition("order_not_in_review", "this order is not waiting for review");
    }
    CS_ASSIGN(auto v, load(tx, order_id, true));
    if (v.kind == "mutual_recognition") {
      CS_ASSIGN(auto en, enable_platform(tx, v));
      const std::string until = unix_text(en.second);
      CS_ASSIGN(auto done, transition(tx, order_id, "approved", "done", operator_id,
                                      "certificate " + v.certificate_id + " enabled on " + en.first + " until " + until));
      (void)done;  // the row is held by this transaction since the approval above
      CS_ASSIGN(v, load(tx, order_id, true));
      text = "【CertSeal】您的互认共享套餐" + v.product_name + "已开通：证书在" + en.first + "可用至" + until + "。";
    } else if (v.kind == "renewal") {
      text = "【CertSeal】您的订单" + v.product_name + "已审核通过，可以延期证书。";
    } else {
      text = "【CertSeal】您的订单" + v.product_name + "已审核通过，可以安装证书。";
    }
    CS_TRY(notify(tx, v.account_id, "order_approved", text, order_id));
    return v;
  }));
  send_sms(o.account_id, text, "order_approved");
  return o;
}

Result<OrderView> OrderService::reject(const std::string& operator_id, const std::string& order_id,
                                       const std::string& reason) {
  if (reason.empty() || reason.size() > 500) return field_error("reason", "why, 1 to 500 bytes");
  std::string text;
  CS_ASSIGN(auto o, db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto moved, transition(tx, order_id, "in_review", "rejected", operator_id, reason));
    if (!moved) {
      CS_TRY(load(tx, order_id, false));
      return failed_precondition("order_not_in_review", "this order is not waiting for review");
    }
    CS_TRY(tx.exec("UPDATE orders SET reason = ? WHERE id = ?", {reason, order_id}));
    CS_ASSIGN(auto v, load(tx, order_id, true));
    text = "【CertSeal】您的订单" + v.product_name + "未通过审核：" + reason;
    CS_TRY(notify(tx, v.account_id, "order_rejected", text, order_id));
    return v;
  }));
  send_sms(o.account_id, text, "order_rejected");
  return o;
}

Result<OrderView> OrderService::refund(const std::string& operator_id, const std::string& order_id,
                                       const std::string& reason) {
  if (reason.empty() || reason.size() > 500) return field_error("reason", "why, 1 to 500 bytes");
  CS_ASSIGN(auto before, db_.read_value<OrderView>([&](store::Tx& tx) { return load(tx, order_id, true); }));
  // The money moves only after the order's transition committed (review L7): a concurrent
  // approval either wins the transition (and nothing is refunded) or loses it. The payment waits
  // as refund_pending in between; a refund that failed at the gateway is finished by asking again.
  const PaymentView* paid = nullptr;
  const bool resume = before.status == "refunded";
  for (const auto& p : before.payments) {
    if (p.status == (resume ? "refund_pending" : "paid")) paid = &p;
  }
  if (resume && paid == nullptr) {
    return failed_precondition("order_not_refundable", "this order was refunded already");
  }
  if (!resume && before.status != "paid" && before.status != "in_review" && before.status != "rejected") {
    return failed_precondition("order_not_refundable", "only a paid order that is not approved can be refunded");
  }
  if (paid == nullptr) return failed_precondition("order_not_refundable", "this order has no paid payment");
  if (!resume) {
    CS_TRY(db_.write([&](store::Tx& tx) -> Status {
      CS_ASSIGN(auto moved, transition(tx, order_id, before.status, "refunded", operator_id, reason));
      if (!moved) return failed_precondition("order_changed", "the order changed meanwhile; look again");
      CS_TRY(tx.exec("UPDATE payments SET status = 'refund_pending', refunded_by = ?, refund_reason = ? WHERE id = ? "
                     "AND status = 'paid'",
                     {operator_id, reason, paid->id}));
      CS_TRY(tx.exec("UPDATE orders SET reason = ? WHERE id = ?", {reason, order_id}));
      return {};
    }));
  }
  std::string refund_no = "manual:" + operator_id;
  if (paid->method != "bank_transfer") {
    PaymentGateway* g = gateway(paid->method);
    if (g == nullptr) return unavailable("gateway_unavailable", "the payment's gateway is not configured");
    CS_ASSIGN(refund_no, g->refund(paid->id, paid->trade_no, paid->amount_fen));
  }
  std::string text;
  CS_ASSIGN(auto o, db_.write_value<OrderView>([&](store::Tx& tx) -> Result<OrderView> {
    CS_ASSIGN(auto n, tx.exec("UPDATE payments SET status = 'refunded', refund_no = ?, refunded_at = ? WHERE id = ? "
                              "AND status = 'refund_pending'",
                              {refund_no, format_rfc3339(clock_.now()), paid->id}));
    CS_ASSIGN(auto v, load(tx, order_id, true));
    if (n == 0) return v;  // a concurrent retry finished it
    text = "【CertSeal】您的订单" + v.product_name + "已退款：" + v.reason;
    CS_TRY(notify(tx, v.account_id, "order_refunded", text, order_id));
    return v;
  }));
  if (!text.empty()) send_sms(o.account_id, text, "order_refunded");
  return o;
}

Result<Bytes> OrderService::form_pdf_any(const std::string& order_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_TRY(load(tx, order_id, false));
    CS_ASSIGN(auto r, tx.query_one("SELECT pdf FROM application_forms WHERE order_id = ?", {order_id}));
    if (!r) return not_found("form_not_found", "this order has no application form");
    return r->blob("pdf");
  });
}

// ---- Money after cancellation ----------------------------------------------------------------

Result<std::vector<PaymentView>> OrderService::list_payments(const std::string& status, const std::string& after,
                                                             int limit) {
  return db_.read_value<std::vector<PaymentView>>([&](store::Tx& tx) -> Result<std::vector<PaymentView>> {
    CS_ASSIGN(auto rows, store::query_page(tx, {"SELECT * FROM payments", {{"status", status}}, "", "id", after,
                                                /*descending=*/false, limit + 1}));
    std::vector<PaymentView> out;
    for (auto& r : rows) out.push_back(payment_from_row(r));
    return out;
  });
}

Result<PaymentView> OrderService::refund_payment(const std::string& operator_id, const std::string& payment_id,
                                                 const std::string& reason) {
  if (reason.empty() || reason.size() > 500) return field_error("reason", "why, 1 to 500 bytes");
  auto read_payment = [&](store::Tx& tx) -> Result<PaymentView> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM payments WHERE id = ?", {payment_id}));
    if (!r) return not_found("payment_not_found", "no such payment");
    return payment_from_row(*r);
  };
  CS_ASSIGN(auto before, db_.read_value<PaymentView>(read_payment));
  if (before.status == "refunded") return before;  // already settled: answered as it is
  if (before.status != "refund_due") {
    return failed_precondition("payment_not_refund_due",
                        "only money that arrived after its order closed is refunded here (a paid order is refunded "
                        "at /api/v1/operator/orders/{id}/refund)");
  }
  std::string refund_no = "manual:" + operator_id;  // a bank transfer: the operator sent it back
  if (before.method != "bank_transfer") {
    PaymentGateway* g = gateway(before.method);
    if (g == nullptr) return unavailable("gateway_unavailable", "the payment's gateway is not configured");
    CS_ASSIGN(refund_no, g->refund(before.id, before.trade_no, before.amount_fen));
  }
  std::string text, account_id;
  CS_ASSIGN(auto after, db_.write_value<PaymentView>([&](store::Tx& tx) -> Result<PaymentView> {
    CS_ASSIGN(auto changed, tx.exec("UPDATE payments SET status = 'refunded', refund_no = ?, refunded_at = ?, "
                                    "refunded_by = ?, refund_reason = ? WHERE id = ? AND status = 'refund_due'",
                                    {refund_no, format_rfc3339(clock_.now()), operator_id, reason, payment_id}));
    if (changed == 1) {
      // Only the request that settled it tells the buyer.
      CS_ASSIGN(auto o, load(tx, before.order_id, false));
      account_id = o.account_id;
      text = "【CertSeal】订单" + o.product_name + "取消后到账的款项" + std::to_string(before.amount_fen / 100) + "." +
             (before.amount_fen % 100 < 10 ? "0" : "") + std::to_string(before.amount_fen % 100) +
             "元已退回：" + reason;
      CS_TRY(notify(tx, account_id, "payment_refunded", text, before.order_id));
    }
    return read_payment(tx);
  }));
  if (after.status != "refunded") return failed_precondition("payment_changed", "the payment changed meanwhile; look again");
  if (!text.empty()) send_sms(account_id, text, "payment_refunded");
  return after;
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
    CS_ASSIGN(auto row, tx.query_one("SELECT cancelled_at FROM certificate_platforms WHERE certificate_id = ? "
                                     "AND platform_id = ?",
                                     {certificate_id, platform_id}));
    if (!row) return not_found("platform_not_enabled", "this certificate has no package for that platform");
    CS_TRY(tx.exec("UPDATE certificate_platforms SET cancelled_at = ? WHERE certificate_id = ? AND platform_id = ? "
                   "AND cancelled_at IS NULL",
                   {format_rfc3339(clock_.now()), certificate_id, platform_id}));
    return {};
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
