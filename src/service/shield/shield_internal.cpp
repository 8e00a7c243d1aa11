#include "service/shield/shield_internal.h"

#include <algorithm>

#include "base/encoding.h"
#include "crypto/hash.h"

namespace certseal::service::shield_internal {

Error field_error(const std::string& field, const std::string& msg) {
  return invalid_argument("invalid_field", field + ": " + msg).with_field(field, "invalid", msg);
}
Error key_not_found() { return not_found("key_not_found", "no such key"); }
Error certificate_not_found() { return not_found("certificate_not_found", "no such certificate"); }

bool valid_device_id(std::string_view id) {
  if (id.size() < 8 || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

std::string aad(const std::string& key_id, const std::string& device_id, std::string_view what) {
  return "certseal-shield|" + key_id + "|" + device_id + "|" + std::string(what);
}

// What identifies a device's enrolment request: a retry sends the same device id and p1.
std::string request_hash(const DeviceEnrolment& d) {
  Bytes in = to_bytes(d.device_id + "\n");
  in.insert(in.end(), d.p1.begin(), d.p1.end());
  return hex_encode(crypto::sm3(in));
}

Status check_enrolment(const DeviceEnrolment& d) {
  if (!valid_device_id(d.device_id)) return field_error("device_id", "8 to 64 letters, digits, '-', '_' or '.'");
  if (d.device_name.empty() || d.device_name.size() > 64) return field_error("device_name", "1 to 64 bytes");
  if (d.auth_key.size() != kAuthKeySize) return field_error("auth_key", "32 bytes");
  if (d.salt.size() != kSaltSize) return field_error("salt", "16 bytes");
  return {};
}


Result<pki::SubjectInfo> subject_for(store::Tx& tx, const std::string& account_id, const OrderView& o) {
  pki::SubjectInfo s;
  if (o.cert_type == "organisation") {
    CS_ASSIGN(auto org, tx.query_one("SELECT name, credit_code, status FROM organisations WHERE id = ?", {o.org_id}));
    if (!org || org->text("status") != "verified") {
      return failed_precondition("organisation_not_verified", "the organisation of this certificate is not verified");
    }
    s.common_name = org->text("name");
    s.organization = org->text("name");
    s.uscc = org->text("credit_code");
    return s;
  }
  CS_ASSIGN(auto p, tx.query_one("SELECT name, id_number FROM person_verifications WHERE account_id = ? AND "
                                 "status = 'verified' ORDER BY created_at DESC LIMIT 1",
                                 {account_id}));
  if (!p) return failed_precondition("person_not_verified", "real-name verification is needed first");
  s.common_name = p->text("name");
  s.identity_code = p->text("id_number");
  return s;
}

std::string profile_for(const OrderView& o) { return o.cert_type == "organisation" ? "org_sign" : "personal_sign"; }

int validity_days(const ProductView& p) { return static_cast<int>(std::max<std::int64_t>(1, p.validity_years) * 365); }

HeldCertificate held_from_row(const store::Row& r) {
  HeldCertificate h;
  h.certificate_id = r.text("certificate_id");
  h.key_id = r.text("key_id");
  h.order_id = r.text("order_id");
  h.org_id = r.text("org_id");
  h.platform_id = r.text("platform_id");
  h.reissue_notice = r.text("reissue_notice");
  h.created_at = r.text("created_at");
  h.current = r.integer("current") != 0;
  h.reissue_identity_checked = r.integer("reissue_identity_checked") != 0;
  return h;
}

Result<std::int64_t> retire_key(store::Tx& tx, const std::string& key_id, const std::string& now) {
  CS_ASSIGN(auto n, tx.exec("UPDATE shield_keys SET status = 'retired', updated_at = ? WHERE id = ? AND "
                            "status <> 'retired'",
                            {now, key_id}));
  CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                 "removed_at = ? WHERE key_id = ? AND status <> 'removed'",
                 {now, key_id}));
  CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ?", {key_id}));
  return static_cast<std::int64_t>(n);
}

}  // namespace certseal::service::shield_internal
