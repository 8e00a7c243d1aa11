// OrderService: the operators' review queue: approve, reject, refund (order_service.h).
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

}  // namespace certseal::service
