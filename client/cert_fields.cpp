#include "client/cert_fields.h"

#include "base/encoding.h"
#include "pki/details.h"

namespace certseal::client {

const std::vector<std::string>& copy_fields() {
  static const std::vector<std::string> f = {
      "sha1", "thumbprint", "sha256", "sm3", "md5", "serial", "subject", "issuer", "not_before", "not_after",
      "status", "id", "ca_id", "key_usage", "public_key_algorithm", "signature_algorithm", "pem"};
  return f;
}

std::string certificate_pem(const nlohmann::json& c) {
  for (const char* k : {"certificate_pem", "pem"}) {
    if (c.contains(k) && c[k].is_string()) return c[k];
  }
  return {};
}

nlohmann::json with_details(nlohmann::json c) {
  if (c.contains("details") && c["details"].is_object()) return c;
  std::string pem = certificate_pem(c);
  if (pem.empty()) return c;
  auto blocks = pem_decode_all(pem);
  if (!blocks || blocks->empty()) return c;
  if (auto d = pki::certificate_details(blocks->front().der)) c["details"] = *d;
  return c;
}

Result<std::string> copy_field(const nlohmann::json& certificate, std::string_view field_in) {
  std::string field(field_in == "thumbprint" ? "sha1" : field_in);
  bool known = false;
  for (const auto& f : copy_fields()) known = known || f == field;
  if (!known) return invalid_argument("usage", "unknown field '" + field + "'");
  nlohmann::json c = with_details(certificate);
  const nlohmann::json details = c.contains("details") && c["details"].is_object() ? c["details"] : nlohmann::json::object();
  auto missing = [&]() { return not_found("field_missing", "the certificate has no " + field); };
  auto text_of = [&](const nlohmann::json& v) -> Result<std::string> {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number()) return v.dump();
    return missing();
  };

  if (field == "sha1" || field == "sha256" || field == "sm3" || field == "md5") {
    if (!details.contains("thumbprints") || !details["thumbprints"].contains(field)) return missing();
    return text_of(details["thumbprints"][field]);
  }
  if (field == "pem") {
    std::string pem = certificate_pem(c);
    if (pem.empty()) return missing();
    while (!pem.empty() && pem.back() == '\n') pem.pop_back();
    return pem;
  }
  if (field == "key_usage") {
    if (!details.contains("key_usage") || !details["key_usage"].is_array()) return missing();
    std::string out;
    for (const auto& u : details["key_usage"]) out += (out.empty() ? "" : ",") + u.get<std::string>();
    return out;
  }
  if (field == "public_key_algorithm") {
    if (!details.contains("public_key") || !details["public_key"].contains("algorithm")) return missing();
    return text_of(details["public_key"]["algorithm"]);
  }
  // Fields the details carry in their canonical form win (serial in upper-case hex, subject as a
  // line); the record's own fields are the fallback.
  if (details.contains(field)) return text_of(details[field]);
  if (c.contains(field)) return text_of(c[field]);
  return missing();
}

}  // namespace certseal::client
