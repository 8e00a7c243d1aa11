// `certseal cert show --copy FIELD`: one value of a certificate alone, to paste elsewhere
// (SPEC §5 "any field can be copied").
//
// Fields: sha1 (also "thumbprint"), sha256, sm3, md5 (upper-case hex of the DER), serial,
// subject, issuer, not_before, not_after, status, id, ca_id, key_usage (comma-separated),
// public_key_algorithm, signature_algorithm, pem. Values come from the certificate record's
// "details" (docs/PKI.md); when the record has no details they are computed from its PEM
// ("certificate_pem" or "pem") with pki::certificate_details.
// Contract: pure; "unknown_field" (usage) for a field not in the list, "field_missing" when the
// record lacks it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace certseal::client {

const std::vector<std::string>& copy_fields();
Result<std::string> copy_field(const nlohmann::json& certificate, std::string_view field);
// The certificate record with "details" filled in from its PEM when missing.
nlohmann::json with_details(nlohmann::json certificate);
// The PEM text of a certificate record ("certificate_pem" or "pem"), empty if none.
std::string certificate_pem(const nlohmann::json& certificate);

}  // namespace certseal::client
