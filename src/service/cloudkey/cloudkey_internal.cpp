#include "service/cloudkey/cloudkey_internal.h"

#include <cctype>

#include "service/account/validation.h"

namespace certseal::service::cloudkey_internal {

Error tenant_not_found() { return not_found("tenant_not_found", "no such cloud key tenant"); }
Error staff_not_found() { return not_found("staff_not_found", "no such staff record"); }
Error key_not_found() { return not_found("key_not_found", "no such cloud key"); }
Error field_error(const std::string& field, const std::string& msg) {
  return invalid_argument("invalid_field", field + ": " + msg).with_field(field, "invalid", msg);
}

TenantView tenant_from_row(const store::Row& r) {
  TenantView t;
  t.id = r.text("id");
  t.name = r.text("name");
  t.ca_id = r.text("ca_id");
  t.created_at = r.text("created_at");
  t.updated_at = r.text("updated_at");
  t.settings.secondary_devices = r.integer("secondary_devices") != 0;
  t.settings.auth_mode = r.text("auth_mode");
  t.validity_days = r.integer("validity_days");
  return t;
}

StaffView staff_from_row(const store::Row& r) {
  StaffView s;
  s.id = r.text("id");
  s.tenant_id = r.text("tenant_id");
  s.staff_no = r.text("staff_no");
  s.name = r.text("name");
  s.phone = r.text("phone");
  s.id_number = r.text("id_number");
  s.status = r.text("status");
  s.source = r.text("source");
  s.reason = r.text("reason");
  s.created_at = r.text("created_at");
  s.decided_at = r.text("decided_at");
  return s;
}

Status validate_settings(const TenantSettings& s) {
  if (s.auth_mode != "password" && s.auth_mode != "password_sms") {
    return field_error("auth_mode", "password or password_sms");
  }
  return {};
}

Status validate_staff(const StaffInput& in) {
  if (in.staff_no.empty() || in.staff_no.size() > 32) return field_error("staff_no", "1 to 32 characters");
  for (char c : in.staff_no) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return field_error("staff_no", "letters, digits, '-' or '_'");
    }
  }
  CS_TRY(validate_name(in.name));
  CS_TRY(validate_phone(in.phone));
  CS_TRY(validate_id_number(in.id_number));
  return {};
}

}  // namespace certseal::service::cloudkey_internal
