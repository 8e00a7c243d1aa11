// Helpers shared by the device side of the two-party RSA and P-256 keys (shield_rsa.cpp,
// shield_ecdsa.cpp); only client/shield_*.cpp include this.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::client::shield_detail {

// The base64 field `name` of a server answer, decoded (bad_answer when missing or malformed).
Result<Bytes> answer_bytes(const nlohmann::json& j, const char* name);
// A field of a server answer as text ("" when missing).
std::string answer_text(const nlohmann::json& j, const char* k);
// The SPKI DER of a certificate PEM, in OpenSSL's canonical encoding.
Result<Bytes> certificate_spki(const std::string& pem);

}  // namespace certseal::client::shield_detail
