// Row mapping and small helpers shared by the files that implement OrderService
// (order_service.cpp, order_catalogue.cpp, order_form.cpp, order_payments.cpp, order_review.cpp,
// order_platforms.cpp). Internal to src/service/order: nothing outside this folder includes it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "service/order/order_service.h"

namespace certseal::service::order_internal {

// invalid_argument "invalid_<field>" with the field named in the problem's errors.
Error field_error(const std::string& field, const std::string& msg);
// "" for NULL.
std::string opt_text(const store::Row& r, std::string_view col);
// A catalogue name of 1 to 200 bytes.
Status check_name(const std::string& name);
// Seconds since the epoch as RFC 3339 UTC.
std::string unix_text(std::int64_t s);

ProductView product_from_row(const store::Row& r);
OrderView order_from_row(const store::Row& r);
PaymentView payment_from_row(const store::Row& r);

// Orders with their product's name, the application form's state and the count of sandbox payments.
inline constexpr const char* kOrderSelect =
    "SELECT o.*, p.name AS product_name, f.method AS form_method, f.status AS form_status, f.email AS form_email, "
    "f.signed_blob_id AS form_signed_blob_id, f.signature_blob_id AS form_signature_blob_id, "
    "f.certificate_id AS form_certificate_id, f.level AS form_level, "
    "(SELECT COUNT(*) FROM payments sp WHERE sp.order_id = o.id AND sp.method = 'sandbox' "
    "AND sp.paid_at IS NOT NULL) AS sandbox_payments FROM orders o "
    "JOIN products p ON p.id = o.product_id LEFT JOIN application_forms f ON f.order_id = o.id ";

}  // namespace certseal::service::order_internal
