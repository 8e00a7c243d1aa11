#include "pki/login_assertion.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/encoding.h"
#include "pki/certificate.h"

namespace certseal::pki {

Result<Bytes> login_assertion(const LoginAssertionInput& in) {
  auto facts = read_certificate(in.certificate);
  if (!facts) return invalid_argument("bad_certificate", "the certificate does not parse");
  auto at = [](std::int64_t s) { return format_rfc3339(sys_time_from_unix(s)); };
  nlohmann::json j = {{"type", kLoginAssertionType},
                      {"request_id", in.request_id},
                      {"app_id", in.app_id},
                      {"platform_id", in.platform_id},
                      {"nonce", in.nonce},
                      {"certificate_id", in.certificate_id},
                      {"certificate_serial", hex_encode(facts->serial)},
                      {"issuer", name_text(facts->issuer)},
                      {"subject", name_text(facts->subject)},
                      {"org_id", in.org_id ? nlohmann::json(*in.org_id) : nlohmann::json(nullptr)},
                      {"issued_at", at(in.issued_at)},
                      {"expires_at", at(in.issued_at + kLoginAssertionValidityS)}};
  return to_bytes(j.dump());
}

}  // namespace certseal::pki
