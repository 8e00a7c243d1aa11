// Catalogue, orders, payments (online gateways and bank transfer), the operator's order review
// queue, in-app notifications, and the sandbox payment gateway's pages (docs/ORDERS.md).
#pragma once

#include "api/router.h"

namespace certseal::api {

// Catalogue
Result<Reply> get_catalogue(RequestContext& ctx);
Result<Reply> op_post_platform(RequestContext& ctx);
Result<Reply> op_post_seal_maker(RequestContext& ctx);
Result<Reply> op_post_product(RequestContext& ctx);
Result<Reply> op_patch_product(RequestContext& ctx);
Result<Reply> op_get_catalogue(RequestContext& ctx);

// Orders of the caller
Result<Reply> post_order(RequestContext& ctx);
Result<Reply> get_orders(RequestContext& ctx);
// An organisation's orders for its admin identity; employees' applications approved or refused
Result<Reply> get_org_orders(RequestContext& ctx);
Result<Reply> post_org_order_approval(RequestContext& ctx);
Result<Reply> post_org_order_refusal(RequestContext& ctx);
Result<Reply> get_order(RequestContext& ctx);
Result<Reply> post_order_authorisation(RequestContext& ctx);
Result<Reply> post_order_cancellation(RequestContext& ctx);
Result<Reply> post_order_online_payment(RequestContext& ctx);
Result<Reply> post_order_bank_transfer(RequestContext& ctx);
Result<Reply> get_notifications(RequestContext& ctx);

// Gateways
Result<Reply> post_payment_notification(RequestContext& ctx);
Result<Reply> get_sandbox_pay(RequestContext& ctx);
Result<Reply> post_sandbox_pay(RequestContext& ctx);

// Operators: review queue and bank transfer confirmation
Result<Reply> op_list_orders(RequestContext& ctx);
Result<Reply> op_get_order(RequestContext& ctx);
Result<Reply> op_approve_order(RequestContext& ctx);
Result<Reply> op_reject_order(RequestContext& ctx);
Result<Reply> op_refund_order(RequestContext& ctx);
Result<Reply> op_confirm_payment(RequestContext& ctx);
// Operators: money that arrived after cancellation (refund_due), the application form of an order
Result<Reply> op_list_payments(RequestContext& ctx);
Result<Reply> op_refund_payment(RequestContext& ctx);
Result<Reply> op_get_form_pdf(RequestContext& ctx);

// Mutual recognition: the platforms a certificate of the caller is enabled on
Result<Reply> get_certificate_platforms(RequestContext& ctx);
Result<Reply> post_certificate_platform_cancellation(RequestContext& ctx);
// The same for an organisation's certificate, by its admin identity (whoever holds it).
Result<Reply> get_org_certificate_platforms(RequestContext& ctx);
Result<Reply> post_org_certificate_platform_cancellation(RequestContext& ctx);

// Application form
Result<Reply> post_form_email(RequestContext& ctx);
Result<Reply> post_form_signed_upload(RequestContext& ctx);
Result<Reply> post_form_online_signature(RequestContext& ctx);
Result<Reply> post_form_digital_signature(RequestContext& ctx);
Result<Reply> post_form_digital_signature_completion(RequestContext& ctx);
Result<Reply> get_form_pdf(RequestContext& ctx);
Result<Reply> op_get_email_outbox(RequestContext& ctx);
Result<Reply> op_get_email_attachment(RequestContext& ctx);

// Invoices
Result<Reply> post_order_invoice(RequestContext& ctx);
Result<Reply> get_invoices(RequestContext& ctx);
Result<Reply> get_invoice(RequestContext& ctx);
Result<Reply> get_invoice_pdf(RequestContext& ctx);
Result<Reply> op_list_invoices(RequestContext& ctx);
Result<Reply> op_issue_invoice(RequestContext& ctx);
Result<Reply> op_fail_invoice(RequestContext& ctx);

}  // namespace certseal::api
