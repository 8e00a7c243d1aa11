#include "api/order_handlers.h"

#include "api/acting_for.h"
#include "api/request_limits.h"

#include "api/json_input.h"
#include "api/services.h"
#include "base/encoding.h"
#include "service/notify/email.h"
#include "service/order/invoice_service.h"
#include "service/order/order_service.h"
#include "service/order/sandbox_gateway.h"

namespace certseal::api {
namespace {

service::OrderService& orders(RequestContext& ctx) {
  return *ctx.services().orders;
}
const std::string& me(const RequestContext& ctx) { return ctx.principal()->account_id; }
nlohmann::json opt(const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); }

Status require_orders(RequestContext& ctx) {
  if (ctx.services().orders == nullptr) return unavailable("orders_unavailable", "orders are not available");
  return {};
}

Result<std::int64_t> required_int(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || !it->is_number_integer()) {
    return invalid_argument("required", std::string(field) + " must be an integer")
        .with_field(field, "required", "an integer");
  }
  return it->get<std::int64_t>();
}

std::int64_t optional_int(const nlohmann::json& body, const char* field, std::int64_t fallback) {
  auto it = body.find(field);
  return it != body.end() && it->is_number_integer() ? it->get<std::int64_t>() : fallback;
}

nlohmann::json product_json(const service::ProductView& p) {
  return {{"id", p.id}, {"kind", p.kind}, {"name", p.name}, {"cert_type", p.cert_type},
          {"algorithm", p.algorithm}, {"validity_years", p.validity_years}, {"price_fen", p.price_fen},
          {"ca_id", p.ca_id}, {"seal_type", p.seal_type}, {"platform_id", opt(p.platform_id)},
          {"period_months", p.period_months}, {"active", p.active}, {"created_at", p.created_at}};
}

nlohmann::json payment_json(const service::PaymentView& p) {
  return {{"id", p.id}, {"order_id", p.order_id}, {"method", p.method}, {"status", p.status},
          {"amount_fen", p.amount_fen}, {"trade_no", opt(p.trade_no)}, {"payer_name", opt(p.payer_name)},
          {"payer_account", opt(p.payer_account)}, {"reference", opt(p.reference)},
          {"confirmed_by", opt(p.confirmed_by)}, {"created_at", p.created_at}, {"paid_at", opt(p.paid_at)},
          {"refund_no", opt(p.refund_no)}, {"refunded_at", opt(p.refunded_at)}, {"refunded_by", opt(p.refunded_by)},
          {"refund_reason", opt(p.refund_reason)}};
}

nlohmann::json order_json(const service::OrderView& o, bool full) {
  nlohmann::json j = {{"id", o.id}, {"product_id", o.product_id}, {"product_name", o.product_name},
                      {"kind", o.kind}, {"cert_type", o.cert_type}, {"org_id", opt(o.org_id)},
                      {"applicant_role", o.applicant_role}, {"platform_id", o.platform_id},
                      {"seal_maker_id", opt(o.seal_maker_id)}, {"quantity", o.quantity},
                      {"amount_fen", o.amount_fen}, {"status", o.status}, {"reason", opt(o.reason)},
                      {"created_at", o.created_at}, {"authorised_at", opt(o.authorised_at)},
                      {"paid_at", opt(o.paid_at)}, {"pay_before", o.expires_at},
                      {"org_approval", service::OrderService::org_approval_state(o)},
                      {"certificate_id", opt(o.certificate_id)}, {"sandbox_paid", o.sandbox_paid},
                      {"application_form", o.form_status.empty() ? nlohmann::json()
                                                                 : nlohmann::json{{"method", o.form_method},
                                                                                  {"status", o.form_status}}}};
  if (!full) return j;
  j["account_id"] = o.account_id;
  if (!o.form_status.empty()) {
    // What the reviewer checks: where it was sent, the signed upload, the signature image
    // (both blobs readable by operators at /api/v1/operator/blobs/{id}).
    j["application_form"]["email"] = opt(o.form_email);
    j["application_form"]["signed_blob_id"] = opt(o.form_signed_blob_id);
    j["application_form"]["signature_blob_id"] = opt(o.form_signature_blob_id);
    j["application_form"]["certificate_id"] = opt(o.form_certificate_id);
    j["application_form"]["level"] = opt(o.form_level);
  }
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : o.events) {
    events.push_back({{"from", opt(e.from)}, {"to", e.to}, {"actor", e.actor}, {"reason", e.reason}, {"at", e.at}});
  }
  j["events"] = events;
  nlohmann::json payments = nlohmann::json::array();
  for (const auto& p : o.payments) payments.push_back(payment_json(p));
  j["payments"] = payments;
  return j;
}

}  // namespace

// ---- Catalogue -------------------------------------------------------------------------------

namespace {
Result<Reply> catalogue(RequestContext& ctx, bool include_inactive) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto platforms, orders(ctx).platforms());
  CS_ASSIGN(auto makers, orders(ctx).seal_makers());
  CS_ASSIGN(auto products, orders(ctx).products(include_inactive));
  nlohmann::json j = {{"platforms", nlohmann::json::array()}, {"seal_makers", nlohmann::json::array()},
                      {"products", nlohmann::json::array()}};
  for (const auto& p : platforms) j["platforms"].push_back({{"id", p.id}, {"name", p.name}});
  for (const auto& m : makers) j["seal_makers"].push_back({{"id", m.id}, {"name", m.name}});
  for (const auto& p : products) j["products"].push_back(product_json(p));
  return Reply::json(j);
}
}  // namespace

Result<Reply> get_catalogue(RequestContext& ctx) { return catalogue(ctx, false); }
Result<Reply> op_get_catalogue(RequestContext& ctx) { return catalogue(ctx, true); }

Result<Reply> op_post_platform(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto name, required_string(body, "name", 200));
  CS_ASSIGN(auto v, orders(ctx).add_platform(name));
  return Reply::json({{"id", v.id}, {"name", v.name}, {"created_at", v.created_at}}, 201);
}

Result<Reply> op_post_seal_maker(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto name, required_string(body, "name", 200));
  CS_ASSIGN(auto v, orders(ctx).add_seal_maker(name));
  return Reply::json({{"id", v.id}, {"name", v.name}, {"created_at", v.created_at}}, 201);
}

Result<Reply> op_post_product(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::ProductInput in;
  CS_ASSIGN(in.kind, required_string(body, "kind", 32));
  CS_ASSIGN(in.name, required_string(body, "name", 200));
  CS_ASSIGN(in.cert_type, required_string(body, "cert_type", 32));
  CS_ASSIGN(in.algorithm, required_string(body, "algorithm", 32));
  CS_ASSIGN(in.validity_years, required_int(body, "validity_years"));
  CS_ASSIGN(in.price_fen, required_int(body, "price_fen"));
  CS_ASSIGN(in.ca_id, required_string(body, "ca_id", 64));
  CS_ASSIGN(in.seal_type, required_string(body, "seal_type", 64));
  CS_ASSIGN(auto platform, optional_string(body, "platform_id", 64));
  in.platform_id = platform.value_or("");
  in.period_months = optional_int(body, "period_months", 0);
  CS_ASSIGN(auto v, orders(ctx).add_product(in));
  return Reply::json(product_json(v), 201);
}

Result<Reply> op_patch_product(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_TRY(require_object(body));
  // {"active"?: bool, "price_fen"?: integer}: at least one (the console sends yuan as fen).
  std::optional<bool> active;
  std::optional<std::int64_t> price;
  if (auto it = body.find("active"); it != body.end()) {
    if (!it->is_boolean()) {
      return invalid_argument("invalid_active", "active must be true or false")
          .with_field("active", "invalid", "true or false");
    }
    active = it->get<bool>();
  }
  if (auto it = body.find("price_fen"); it != body.end()) {
    if (!it->is_number_integer()) {
      return invalid_argument("invalid_price_fen", "price_fen must be a whole number of fen")
          .with_field("price_fen", "invalid", "a whole number of fen, 0 to 100000000");
    }
    price = it->get<std::int64_t>();
  }
  if (!active && !price) {
    return invalid_argument("required", "give active, price_fen or both")
        .with_field("active", "required", "true or false, or a price_fen");
  }
  CS_ASSIGN(auto v, orders(ctx).update_product(ctx.param("id"), active, price));
  return Reply::json(product_json(v));
}

// ---- Orders ----------------------------------------------------------------------------------

Result<Reply> post_order(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::CreateOrderInput in;
  CS_ASSIGN(in.product_id, required_string(body, "product_id", 64));
  CS_ASSIGN(auto platform, optional_string(body, "platform_id", 64));
  in.platform_id = platform.value_or("");  // packages take it from the product or the certificate
  CS_ASSIGN(auto certificate, optional_string(body, "certificate_id", 64));
  in.certificate_id = certificate.value_or("");
  CS_ASSIGN(auto maker, optional_string(body, "seal_maker_id", 64));
  in.seal_maker_id = maker.value_or("");
  CS_ASSIGN(auto org, optional_string(body, "org_id", 64));
  in.org_id = org.value_or("");
  CS_ASSIGN(auto link, optional_string(body, "application_link", 64));
  in.application_link = link.value_or("");
  // Buying for an organisation is done as one's identity in it (docs/ACCOUNTS.md, "Identities").
  if (!in.org_id.empty()) {
    CS_TRY(acting_for(ctx, in.org_id, /*as_admin=*/false));
    const Principal& p = *ctx.principal();
    CS_ASSIGN(auto who, service::acting_identity(ctx.services().db, p.account_id, p.identity_id));
    in.acting_as_org_admin = who.is_org_admin();
  }
  in.quantity = optional_int(body, "quantity", 1);
  in.idempotency_key = std::string(ctx.request().header("Idempotency-Key"));
  CS_ASSIGN(auto o, orders(ctx).create(me(ctx), in));
  return Reply::json(order_json(o, true), 201);
}

Result<Reply> get_orders(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orders(ctx).list(me(ctx), ctx.query("tab").value_or("all"), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, [](const service::OrderView& o) { return order_json(o, false); }));
}

Result<Reply> get_order(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto o, orders(ctx).get(me(ctx), ctx.param("id")));
  return Reply::json(order_json(o, true));
}

Result<Reply> post_order_authorisation(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto code, required_string(body, "code", 16));
  CS_ASSIGN(auto o, orders(ctx).authorise(me(ctx), ctx.param("id"), code));
  return Reply::json(order_json(o, true));
}

Result<Reply> post_order_cancellation(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto o, orders(ctx).cancel(me(ctx), ctx.param("id")));
  return Reply::json(order_json(o, true));
}

Result<Reply> post_order_online_payment(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto gateway, required_string(body, "gateway", 32));
  CS_ASSIGN(auto p, orders(ctx).start_online_payment(me(ctx), ctx.param("id"), gateway));
  return Reply::json({{"payment_id", p.payment_id}, {"gateway", p.gateway}, {"pay_url", p.pay_url},
                      {"amount_fen", p.amount_fen}},
                     201);
}

Result<Reply> post_order_bank_transfer(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto payer_name, required_string(body, "payer_name", 200));
  CS_ASSIGN(auto payer_account, required_string(body, "payer_account", 64));
  CS_ASSIGN(auto amount, required_int(body, "amount_fen"));
  CS_ASSIGN(auto reference, optional_string(body, "reference", 200));
  CS_ASSIGN(auto p, orders(ctx).submit_bank_transfer(me(ctx), ctx.param("id"), payer_name, payer_account, amount,
                                                      reference.value_or("")));
  return Reply::json(payment_json(p), 201);
}

Result<Reply> get_notifications(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orders(ctx).notifications(me(ctx), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, [](const service::NotificationView& n) {
    return nlohmann::json{{"id", n.id}, {"kind", n.kind}, {"text", n.text}, {"ref_id", n.ref_id},
                          {"created_at", n.created_at}};
  }));
}

// ---- Gateways --------------------------------------------------------------------------------

Result<Reply> post_payment_notification(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  const std::string& name = ctx.param("gateway");
  CS_ASSIGN(auto outcome, orders(ctx).handle_notification(name, ctx.request().body, ctx.request().headers));
  (void)outcome;  // paid, duplicate, late or failed: all acknowledged so the gateway stops sending
  return Reply::text(orders(ctx).gateway(name)->ack_body(), "text/plain");
}

Result<Reply> get_sandbox_pay(RequestContext& ctx) {
  if (ctx.services().sandbox == nullptr) return not_found("gateway_not_found", "the sandbox gateway is disabled");
  CS_ASSIGN(auto html, ctx.services().sandbox->payment_page(ctx.param("id")));
  return Reply::text(std::move(html), "text/html; charset=utf-8");
}

Result<Reply> post_sandbox_pay(RequestContext& ctx) {
  if (ctx.services().sandbox == nullptr) return not_found("gateway_not_found", "the sandbox gateway is disabled");
  CS_TRY(ctx.services().sandbox->confirm(ctx.param("id")));
  return Reply::text(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>Paid</title></head><body><h1>Payment done</h1>"
      "<p>The shop is notified; you can go back to CertSeal.</p></body></html>",
      "text/html; charset=utf-8", 202);
}

// ---- Operators -------------------------------------------------------------------------------

Result<Reply> op_list_orders(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orders(ctx).list_any(ctx.query("status").value_or(""), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, [](const service::OrderView& o) { return order_json(o, false); }));
}

Result<Reply> op_get_order(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto o, orders(ctx).get_any(ctx.param("id")));
  return Reply::json(order_json(o, true));
}

Result<Reply> op_approve_order(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto o, orders(ctx).approve(me(ctx), ctx.param("id")));
  return Reply::json(order_json(o, true));
}

Result<Reply> op_reject_order(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, required_string(body, "reason", 500));
  CS_ASSIGN(auto o, orders(ctx).reject(me(ctx), ctx.param("id"), reason));
  return Reply::json(order_json(o, true));
}

Result<Reply> op_refund_order(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, required_string(body, "reason", 500));
  CS_ASSIGN(auto o, orders(ctx).refund(me(ctx), ctx.param("id"), reason));
  return Reply::json(order_json(o, true));
}

Result<Reply> op_confirm_payment(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto received, required_int(body, "received_fen"));
  CS_ASSIGN(auto o, orders(ctx).confirm_bank_transfer(me(ctx), ctx.param("id"), received));
  return Reply::json(order_json(o, true));
}

Result<Reply> op_list_payments(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orders(ctx).list_payments(ctx.query("status").value_or(""), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, payment_json));
}

Result<Reply> op_refund_payment(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, required_string(body, "reason", 500));
  CS_ASSIGN(auto p, orders(ctx).refund_payment(me(ctx), ctx.param("id"), reason));
  return Reply::json(payment_json(p));
}

Result<Reply> op_get_form_pdf(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto pdf, orders(ctx).form_pdf_any(ctx.param("id")));
  return Reply::text(to_string(pdf), "application/pdf");
}

// ---- Mutual recognition (platforms of a certificate) -----------------------------------------

namespace {
nlohmann::json certificate_platform_json(const service::CertificatePlatformView& v) {
  return {{"platform_id", v.platform_id}, {"platform_name", v.platform_name}, {"source", v.source},
          {"order_id", v.order_id}, {"enabled_until", v.enabled_until}, {"cancelled_at", opt(v.cancelled_at)},
          {"enabled", v.enabled}};
}
}  // namespace

Result<Reply> get_certificate_platforms(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto list, orders(ctx).certificate_platforms(me(ctx), ctx.param("id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : list) items.push_back(certificate_platform_json(v));
  return Reply::json({{"items", items}});
}

Result<Reply> post_certificate_platform_cancellation(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto v, orders(ctx).cancel_certificate_platform(me(ctx), ctx.param("id"), ctx.param("platform_id")));
  return Reply::json(certificate_platform_json(v));
}

Result<Reply> get_org_certificate_platforms(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto list, orders(ctx).org_certificate_platforms(me(ctx), ctx.param("id"), ctx.param("cert_id")));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : list) items.push_back(certificate_platform_json(v));
  return Reply::json({{"items", items}});
}

Result<Reply> post_org_certificate_platform_cancellation(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto v, orders(ctx).org_cancel_certificate_platform(me(ctx), ctx.param("id"), ctx.param("cert_id"),
                                                                ctx.param("platform_id")));
  return Reply::json(certificate_platform_json(v));
}

// ---- Application form ------------------------------------------------------------------------

Result<Reply> post_form_email(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto email, required_string(body, "email", 254));
  // The platform's mail server sends to an address the caller chooses: a daily budget per account.
  if (auto* l = ctx.services().limits) CS_TRY(check_rate(l->form_email, me(ctx), "application-form e-mail"));
  CS_ASSIGN(auto o, orders(ctx).email_form(me(ctx), ctx.param("id"), email));
  return Reply::json(order_json(o, true), 202);
}

Result<Reply> post_form_signed_upload(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto blob, required_string(body, "blob_id", 64));
  CS_ASSIGN(auto o, orders(ctx).upload_signed_form(me(ctx), ctx.param("id"), blob));
  return Reply::json(order_json(o, true));
}

Result<Reply> post_form_online_signature(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto blob, required_string(body, "blob_id", 64));
  CS_ASSIGN(auto o, orders(ctx).sign_form_online(me(ctx), ctx.param("id"), blob));
  return Reply::json(order_json(o, true));
}

Result<Reply> post_form_digital_signature(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::OrderService::DigitalFormStart in;
  CS_ASSIGN(in.certificate_id, required_string(body, "certificate_id", 64));
  CS_ASSIGN(auto seal, optional_string(body, "seal_id", 64));
  CS_ASSIGN(auto blob, optional_string(body, "signature_blob_id", 64));
  in.seal_id = seal.value_or("");
  in.signature_blob_id = blob.value_or("");
  CS_ASSIGN(auto p, orders(ctx).start_digital_form(me(ctx), ctx.param("id"), in));
  return Reply::json({{"order_id", p.order_id},
                      {"certificate_id", p.certificate_id},
                      {"seal_id", opt(p.seal_id)},
                      {"algorithm", p.algorithm},
                      {"signing_time", format_rfc3339(sys_time_from_unix(p.signing_time))},
                      {"signed_attributes", base64_encode(p.signed_attributes)}},
                     201);
}

Result<Reply> post_form_digital_signature_completion(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto sig_b64, required_string(body, "signature", 1024));
  auto sig = base64_decode(sig_b64);
  if (!sig || sig->empty()) {
    return invalid_argument("invalid_field", "signature must be base64").with_field("signature", "invalid", "base64");
  }
  CS_ASSIGN(auto o, orders(ctx).complete_digital_form(me(ctx), ctx.param("id"), *sig));
  return Reply::json(order_json(o, true));
}

Result<Reply> get_form_pdf(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_ASSIGN(auto pdf, orders(ctx).form_pdf(me(ctx), ctx.param("id")));
  return Reply::text(to_string(pdf), "application/pdf");
}

Result<Reply> op_get_email_outbox(RequestContext& ctx) {
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, service::list_email_outbox(ctx.services().db, ctx.query("to").value_or(""), page.after,
                                                  page.limit));
  return Reply::json(paged(std::move(list), page.limit, [](const service::EmailOutboxEntry& e) {
    return nlohmann::json{{"id", e.id}, {"to", e.to}, {"subject", e.subject}, {"text", e.text},
                          {"attachment_name", opt(e.attachment_name)}, {"attachment_type", opt(e.attachment_type)},
                          {"attachment_size", e.attachment_size}, {"created_at", e.created_at}};
  }));
}

Result<Reply> op_get_email_attachment(RequestContext& ctx) {
  CS_ASSIGN(auto bytes, service::email_attachment(ctx.services().db, ctx.param("id")));
  return Reply::text(to_string(bytes), "application/octet-stream");
}

// ---- Invoices --------------------------------------------------------------------------------

namespace {
service::InvoiceService& invoices(RequestContext& ctx) { return *ctx.services().invoices; }
Status require_invoices(RequestContext& ctx) {
  if (ctx.services().invoices == nullptr) return unavailable("invoices_unavailable", "invoices are not available");
  return {};
}
nlohmann::json invoice_json(const service::InvoiceView& v) {
  return {{"id", v.id}, {"order_id", v.order_id}, {"title_type", v.title_type}, {"title_name", v.title_name},
          {"tax_number", opt(v.tax_number)}, {"amount_fen", v.amount_fen}, {"status", v.status},
          {"invoice_number", opt(v.invoice_number)}, {"failure_reason", opt(v.failure_reason)},
          {"attempts", v.attempts}, {"requested_at", v.requested_at}, {"issued_at", opt(v.issued_at)},
          {"email", opt(v.email)}, {"emailed_at", opt(v.emailed_at)}};
}
}  // namespace

Result<Reply> post_order_invoice(RequestContext& ctx) {
  CS_TRY(require_invoices(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  service::InvoiceTitle t;
  CS_ASSIGN(t.type, required_string(body, "title_type", 16));
  CS_ASSIGN(t.name, required_string(body, "title_name", 400));
  CS_ASSIGN(auto tax, optional_string(body, "tax_number", 32));
  t.tax_number = tax.value_or("");
  CS_ASSIGN(auto email, optional_string(body, "email", 254));
  t.email = email.value_or("");
  CS_ASSIGN(auto v, invoices(ctx).request(me(ctx), ctx.param("id"), t));
  return Reply::json(invoice_json(v), 201);
}

Result<Reply> get_invoices(RequestContext& ctx) {
  CS_TRY(require_invoices(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, invoices(ctx).list(me(ctx), ctx.query("tab").value_or("all"), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, invoice_json));
}

Result<Reply> get_invoice(RequestContext& ctx) {
  CS_TRY(require_invoices(ctx));
  CS_ASSIGN(auto v, invoices(ctx).get(me(ctx), ctx.param("id")));
  return Reply::json(invoice_json(v));
}

Result<Reply> get_invoice_pdf(RequestContext& ctx) {
  CS_TRY(require_invoices(ctx));
  CS_ASSIGN(auto pdf, invoices(ctx).pdf(me(ctx), ctx.param("id")));
  return Reply::text(to_string(pdf), "application/pdf");
}

Result<Reply> op_list_invoices(RequestContext& ctx) {
  CS_TRY(require_invoices(ctx));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, invoices(ctx).list_any(ctx.query("status").value_or(""), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, invoice_json));
}

Result<Reply> op_issue_invoice(RequestContext& ctx) {
  CS_TRY(require_invoices(ctx));
  CS_ASSIGN(auto v, invoices(ctx).issue(me(ctx), ctx.param("id")));
  return Reply::json(invoice_json(v));
}

Result<Reply> op_fail_invoice(RequestContext& ctx) {
  CS_TRY(require_invoices(ctx));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, required_string(body, "reason", 500));
  CS_ASSIGN(auto v, invoices(ctx).fail(me(ctx), ctx.param("id"), reason));
  return Reply::json(invoice_json(v));
}

// ---- An organisation's orders, for its admin identity (employees apply, admins approve) ----

Result<Reply> get_org_orders(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto page, page_request(ctx));
  CS_ASSIGN(auto list, orders(ctx).org_orders(me(ctx), ctx.param("id"), page.after, page.limit));
  return Reply::json(paged(std::move(list), page.limit, [](const service::OrderView& o) {
    nlohmann::json j = order_json(o, false);
    j["account_id"] = o.account_id;
    return j;
  }));
}

Result<Reply> post_org_order_approval(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto o, orders(ctx).approve_org_application(me(ctx), ctx.param("id"), ctx.param("order_id")));
  return Reply::json(order_json(o, true));
}

Result<Reply> post_org_order_refusal(RequestContext& ctx) {
  CS_TRY(require_orders(ctx));
  CS_TRY(acting_for(ctx, ctx.param("id"), /*as_admin=*/true));
  CS_ASSIGN(auto body, ctx.json_body());
  CS_ASSIGN(auto reason, required_string(body, "reason", 500));
  CS_ASSIGN(auto o, orders(ctx).refuse_org_application(me(ctx), ctx.param("id"), ctx.param("order_id"), reason));
  return Reply::json(order_json(o, true));
}

}  // namespace certseal::api
