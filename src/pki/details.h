// Certificate details as the client and web app show them (SPEC §5 "Certificate details"):
// subject, issuer, serial, validity, public-key algorithm and size, key usage, extended key usage,
// every extension (OID, critical, OpenSSL's text), and thumbprints SHA-1, SHA-256, SM3 and MD5
// (upper-case hex of the DER).
#pragma once

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::pki {

// "bad_certificate" when der is not an X.509 certificate.
Result<nlohmann::json> certificate_details(BytesView der);

}  // namespace certseal::pki
