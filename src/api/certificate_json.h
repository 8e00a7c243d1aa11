// JSON views of a held certificate and of its key's usage events, shared by the holder's routes
// (/api/v1/shield/certificates) and the organisation admin's (/api/v1/organisations/{id}/certificates):
// the same object in both, so clients read one shape.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "service/shield/shield_service.h"

namespace certseal::api {

// null for "", the string otherwise (optional fields of the API are null when absent).
nlohmann::json string_or_null(const std::string& s);

// Seconds since the epoch as RFC 3339 UTC.
std::string rfc3339_of_unix(std::int64_t seconds);

// The list view: no PEM and no parsed details (CertificateRecord::to_json would parse the DER).
// holder_account_id is null outside the organisation admin's view.
nlohmann::json held_certificate_json(const service::HeldCertificate& h);

nlohmann::json shield_event_json(const service::ShieldEventView& e);

}  // namespace certseal::api
