#include "service/order/order_internal.h"

#include <chrono>

namespace certseal::service::order_internal {

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
  o.expires_at = format_rfc3339(sys_time_from_unix(r.integer("expires_at")));
  o.quantity = r.integer("quantity");
  o.amount_fen = r.integer("amount_fen");
  o.form_method = opt_text(r, "form_method");
  o.form_status = opt_text(r, "form_status");
  o.form_email = opt_text(r, "form_email");
  o.form_signed_blob_id = opt_text(r, "form_signed_blob_id");
  o.form_signature_blob_id = opt_text(r, "form_signature_blob_id");
  o.form_certificate_id = opt_text(r, "form_certificate_id");
  o.form_level = opt_text(r, "form_level");
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

std::string unix_text(std::int64_t s) { return format_rfc3339(sys_time_from_unix(s)); }

Status check_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return field_error("name", "a name of 1 to 200 bytes");
  return {};
}

}  // namespace certseal::service::order_internal
