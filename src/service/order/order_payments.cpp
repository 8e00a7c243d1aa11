// OrderService: payments (online gateways, bank transfer), expiry, and money that arrives after a
// cancellation (order_service.h).
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

}  // namespace certseal::service
