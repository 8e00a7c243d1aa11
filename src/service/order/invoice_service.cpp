#include "service/order/invoice_service.h"

#include <cstdio>

#include "base/id.h"
#include "store/page_query.h"
#include "docsign/text_render.h"
#include "service/account/validation.h"
#include "service/notify/inbox.h"

namespace certseal::service {
namespace {


std::string opt_text(const store::Row& r, std::string_view col) { return r.is_null(col) ? "" : r.text(col); }

InvoiceView from_row(const store::Row& r) {
  return {r.text("id"), r.text("order_id"), r.text("account_id"), r.text("title_type"), r.text("title_name"),
          opt_text(r, "tax_number"), r.text("status"), opt_text(r, "invoice_number"), opt_text(r, "failure_reason"),
          r.text("requested_at"), opt_text(r, "issued_at"), r.integer("amount_fen"), r.integer("attempts"),
          opt_text(r, "email"), opt_text(r, "emailed_at")};
}

constexpr const char* kColumns =
    "SELECT id, order_id, account_id, title_type, title_name, tax_number, status, invoice_number, failure_reason, "
    "requested_at, issued_at, amount_fen, attempts, email, emailed_at FROM invoices ";

std::string yuan(std::int64_t fen) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(fen / 100), static_cast<long long>(fen % 100));
  return buf;
}

Status validate_title(const InvoiceTitle& t) {
  if (t.type != "company" && t.type != "personal") {
    return invalid_argument("invalid_title_type", "company or personal")
        .with_field("title_type", "invalid", "company or personal");
  }
  CS_TRY(validate_name(t.name, "title_name", 100));
  if (t.type == "company") {
    CS_TRY(validate_credit_code(t.tax_number, "tax_number"));
  } else if (!t.tax_number.empty()) {
    return invalid_argument("invalid_tax_number", "a personal invoice has no tax number")
        .with_field("tax_number", "invalid", "empty for a personal invoice");
  }
  if (!t.email.empty()) CS_TRY(validate_email(t.email, "email"));
  return {};
}

}  // namespace

Result<InvoiceView> InvoiceService::request(const std::string& account_id, const std::string& order_id,
                                            const InvoiceTitle& title) {
  CS_TRY(validate_title(title));
  return db_.write_value<InvoiceView>([&](store::Tx& tx) -> Result<InvoiceView> {
    CS_ASSIGN(auto o, tx.query_one("SELECT account_id, amount_fen, paid_at, status FROM orders WHERE id = ?", {order_id}));
    if (!o || o->text("account_id") != account_id) return not_found("order_not_found", "no such order");
    // The details are given before payment (or after it); an unpaid order must still be payable.
    const bool unpaid = o->is_null("paid_at");
    if (unpaid && o->text("status") != "created" && o->text("status") != "awaiting_payment") {
      return failed_precondition("order_closed", "this order was closed without payment");
    }
    // Money given back is no sale (review L7).
    if (o->text("status") == "refunded") return failed_precondition("order_refunded", "a refunded order has no invoice");
    std::string now = format_rfc3339(clock_.now());
    store::Value tax = title.type == "company" ? store::Value(title.tax_number) : store::Value();
    store::Value email = title.email.empty() ? store::Value() : store::Value(title.email);
    CS_ASSIGN(auto prev, tx.query_one("SELECT id, status FROM invoices WHERE order_id = ?", {order_id}));
    std::string id;
    if (prev) {
      id = prev->text("id");
      // Asking again is possible after a failure (conditional: one re-request wins); before
      // payment the details may still be corrected.
      CS_ASSIGN(auto n, unpaid ? tx.exec("UPDATE invoices SET title_type = ?, title_name = ?, tax_number = ?, "
                                         "email = ?, requested_at = ? WHERE id = ? AND status = 'requested'",
                                         {title.type, title.name, tax, email, now, id})
                               : tx.exec("UPDATE invoices SET status = 'requested', title_type = ?, title_name = ?, "
                                         "tax_number = ?, email = ?, failure_reason = NULL, attempts = attempts + 1, "
                                         "requested_at = ? WHERE id = ? AND status = 'failed'",
                                         {title.type, title.name, tax, email, now, id}));
      if (n == 0) return Error(ErrorKind::kConflict, "invoice_exists", "this order's invoice is already " + prev->text("status"));
    } else {
      id = new_uuid_v7(clock_, rng_);
      CS_TRY(tx.exec("INSERT INTO invoices (id, order_id, account_id, title_type, title_name, tax_number, email, "
                     "amount_fen, status, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'requested', ?)",
                     {id, order_id, account_id, title.type, title.name, tax, email, o->integer("amount_fen"), now}));
    }
    CS_ASSIGN(auto r, tx.query_one(std::string(kColumns) + "WHERE id = ?", {id}));
    return from_row(*r);
  });
}

Result<std::vector<InvoiceView>> InvoiceService::list(const std::string& account_id, const std::string& tab,
                                                      const std::string& after, int limit) {
  std::string filter;
  if (tab == "not_invoiced") {
    filter = "status IN ('requested', 'failed')";
  } else if (tab == "invoiced") {
    filter = "status = 'issued'";
  } else if (tab == "requested") {
    filter = "status = 'requested'";
  } else if (tab == "failed") {
    filter = "status = 'failed'";
  } else if (!tab.empty() && tab != "all") {
    return invalid_argument("invalid_tab", "not_invoiced, invoiced, requested, failed or all")
        .with_field("tab", "invalid", "not_invoiced, invoiced, requested, failed or all");
  }
  return db_.read_value<std::vector<InvoiceView>>([&](store::Tx& tx) -> Result<std::vector<InvoiceView>> {
    CS_ASSIGN(auto rows, store::query_page(tx, {kColumns, {{"account_id", account_id}}, filter, "id", after,
                                                /*descending=*/true, limit + 1}));
    std::vector<InvoiceView> out;
    for (auto& r : rows) out.push_back(from_row(r));
    return out;
  });
}

Result<InvoiceView> InvoiceService::get(const std::string& account_id, const std::string& invoice_id) {
  return db_.read_value<InvoiceView>([&](store::Tx& tx) -> Result<InvoiceView> {
    CS_ASSIGN(auto r, tx.query_one(std::string(kColumns) + "WHERE id = ? AND account_id = ?", {invoice_id, account_id}));
    if (!r) return not_found("invoice_not_found", "no such invoice");
    return from_row(*r);
  });
}

Result<Bytes> InvoiceService::pdf(const std::string& account_id, const std::string& invoice_id) {
  return db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto r, tx.query_one("SELECT status, pdf FROM invoices WHERE id = ? AND account_id = ?",
                                   {invoice_id, account_id}));
    if (!r) return not_found("invoice_not_found", "no such invoice");
    if (r->text("status") != "issued") return failed_precondition("invoice_not_issued", "this invoice is not issued yet");
    return r->blob("pdf");
  });
}

Result<std::vector<InvoiceView>> InvoiceService::list_any(const std::string& status, const std::string& after,
                                                          int limit) {
  return db_.read_value<std::vector<InvoiceView>>([&](store::Tx& tx) -> Result<std::vector<InvoiceView>> {
    // Invoices of unpaid orders (details given before payment) wait until the money arrived.
    CS_ASSIGN(auto rows, store::query_page(tx, {kColumns, {{"status", status}},
                                                "order_id IN (SELECT id FROM orders WHERE paid_at IS NOT NULL)", "id",
                                                after, false, limit + 1}));
    std::vector<InvoiceView> out;
    for (auto& r : rows) out.push_back(from_row(r));
    return out;
  });
}

Result<InvoiceView> InvoiceService::issue(const std::string& operator_id, const std::string& invoice_id) {
  (void)operator_id;
  Bytes pdf_sent;
  CS_ASSIGN(auto issued, db_.write_value<InvoiceView>([&](store::Tx& tx) -> Result<InvoiceView> {
    CS_ASSIGN(auto r, tx.query_one(std::string(kColumns) + "WHERE id = ?", {invoice_id}));
    if (!r) return not_found("invoice_not_found", "no such invoice");
    InvoiceView v = from_row(*r);
    if (v.status != "requested") return failed_precondition("invoice_not_requested", "this invoice is not waiting to be issued");
    CS_ASSIGN(auto paid, tx.query_one("SELECT paid_at FROM orders WHERE id = ?", {v.order_id}));
    if (!paid || paid->is_null("paid_at")) return failed_precondition("order_not_paid", "an invoice is issued after payment");
    CS_ASSIGN(auto o, tx.query_one("SELECT o.quantity, p.name FROM orders o JOIN products p ON p.id = o.product_id "
                                   "WHERE o.id = ?",
                                   {v.order_id}));
    std::string date = format_rfc3339(clock_.now()).substr(0, 10);
    std::string number = date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2) +
                         std::to_string(10000000 + rng_.uniform(90000000));
    using docsign::TextBlock;
    std::vector<TextBlock> blocks = {
        {"电子发票（普通发票）", 20, true, TextBlock::Align::kCenter, 6},
        {"Electronic invoice", 11, false, TextBlock::Align::kCenter, 18},
        {"发票号码 Invoice number: " + number, 11, false, TextBlock::Align::kLeft, 4},
        {"开票日期 Date: " + date, 11, false, TextBlock::Align::kLeft, 14},
        {"购买方 Buyer: " + v.title_name, 12, true, TextBlock::Align::kLeft, 4},
        {v.title_type == "company" ? "纳税人识别号 Tax number: " + v.tax_number : "个人 Personal invoice", 11, false,
         TextBlock::Align::kLeft, 14},
        {"销售方 Seller: " + seller_.name, 12, true, TextBlock::Align::kLeft, 4},
        {seller_.tax_number.empty() ? std::string() : "纳税人识别号 Tax number: " + seller_.tax_number, 11, false,
         TextBlock::Align::kLeft, 14},
        {"项目 Item: " + (o ? o->text("name") : std::string()) + " × " +
             std::to_string(o ? o->integer("quantity") : 0),
         11, false, TextBlock::Align::kLeft, 4},
        {"订单 Order: " + v.order_id, 10, false, TextBlock::Align::kLeft, 14},
        {"价税合计 Total: ¥" + yuan(v.amount_fen) + " (CNY " + yuan(v.amount_fen) + ")", 13, true,
         TextBlock::Align::kLeft, 6},
    };
    std::erase_if(blocks, [](const TextBlock& b) { return b.text.empty(); });
    CS_ASSIGN(auto pdf, docsign::render_pdf(blocks, {"Invoice " + number, seller_.name}));
    CS_ASSIGN(auto n, tx.exec("UPDATE invoices SET status = 'issued', invoice_number = ?, pdf = ?, issued_at = ? "
                              "WHERE id = ? AND status = 'requested'",
                              {number, pdf, format_rfc3339(clock_.now()), invoice_id}));
    if (n == 0) return failed_precondition("invoice_not_requested", "this invoice is not waiting to be issued");
    CS_TRY(add_notification(tx, clock_, rng_, v.account_id, "invoice_issued", "您的电子发票 " + number + " 已开具。",
                            invoice_id));
    pdf_sent = pdf;
    CS_ASSIGN(auto out, tx.query_one(std::string(kColumns) + "WHERE id = ?", {invoice_id}));
    return from_row(*out);
  }));
  if (issued.email.empty()) return issued;
  // Committed: now the e-mail (a refusing mail server leaves the invoice issued, not emailed).
  const std::string text = "您好，附件是您的电子发票（发票号码 " + issued.invoice_number + "，价税合计 ¥" +
                           yuan(issued.amount_fen) + "）。\n销售方：" + seller_.name + "\n";
  EmailMessage m{issued.email, "电子发票 " + issued.invoice_number, text,
                 "invoice-" + issued.invoice_number + ".pdf", "application/pdf", std::move(pdf_sent)};
  if (!email_.send(m).ok()) return issued;
  issued.emailed_at = format_rfc3339(clock_.now());
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("UPDATE invoices SET emailed_at = ? WHERE id = ?", {issued.emailed_at, invoice_id}));
    return {};
  }));
  return issued;
}

Result<InvoiceView> InvoiceService::fail(const std::string& operator_id, const std::string& invoice_id,
                                         const std::string& reason) {
  (void)operator_id;
  if (reason.empty() || reason.size() > 500) {
    return invalid_argument("invalid_reason", "why, 1 to 500 bytes").with_field("reason", "invalid", "1 to 500 bytes");
  }
  return db_.write_value<InvoiceView>([&](store::Tx& tx) -> Result<InvoiceView> {
    CS_ASSIGN(auto n, tx.exec("UPDATE invoices SET status = 'failed', failure_reason = ? WHERE id = ? AND status = 'requested'",
                              {reason, invoice_id}));
    CS_ASSIGN(auto r, tx.query_one(std::string(kColumns) + "WHERE id = ?", {invoice_id}));
    if (!r) return not_found("invoice_not_found", "no such invoice");
    if (n == 0) return failed_precondition("invoice_not_requested", "this invoice is not waiting to be issued");
    InvoiceView v = from_row(*r);
    CS_TRY(add_notification(tx, clock_, rng_, v.account_id, "invoice_failed", "您的电子发票未能开具：" + reason,
                            invoice_id));
    return v;
  });
}

}  // namespace certseal::service
