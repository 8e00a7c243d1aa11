#include "api/certificate_json.h"

#include <chrono>

#include "base/clock.h"

namespace certseal::api {

nlohmann::json string_or_null(const std::string& s) { return s.empty() ? nlohmann::json() : nlohmann::json(s); }

std::string rfc3339_of_unix(std::int64_t seconds) { return format_rfc3339(sys_time_from_unix(seconds)); }

nlohmann::json held_certificate_json(const service::HeldCertificate& h) {
  const auto& c = h.record;
  return {{"id", h.certificate_id},
          {"key_id", h.key_id},
          {"ca_id", c.ca_id},
          {"serial", c.serial},
          {"subject", c.subject},
          {"status", c.status},
          {"not_before", rfc3339_of_unix(c.not_before)},
          {"not_after", rfc3339_of_unix(c.not_after)},
          {"order_id", h.order_id},
          {"org_id", string_or_null(h.org_id)},
          {"platform_id", string_or_null(h.platform_id)},
          {"holder_account_id", string_or_null(h.holder_account_id)},
          {"current", h.current},
          {"reissue_notice", string_or_null(h.reissue_notice)}};
}

nlohmann::json shield_event_json(const service::ShieldEventView& e) {
  return {{"id", e.id},           {"device_id", string_or_null(e.device_id)}, {"operation", e.operation},
          {"purpose", e.purpose}, {"result", e.result},                       {"at", e.at}};
}

}  // namespace certseal::api
