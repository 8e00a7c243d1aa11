// CloudKeyService: the tenant's support certificate and the usage log exported encrypted to it
// (cloudkey_service.h).
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "pki/cms_enveloped.h"
#include "service/cloudkey/cloudkey_internal.h"

namespace certseal::service {
using namespace cloudkey_internal;

Status CloudKeyService::set_support_certificate(const std::string& operator_id, const std::string& tenant_id,
                                                const std::string& pem) {
  auto blocks = pem_decode_all(pem);
  if (!blocks || blocks->size() != 1 || blocks->front().label != "CERTIFICATE") {
    return field_error("certificate_pem", "one PEM certificate");
  }
  const Bytes der = blocks->front().der;
  {
    // The certificate must be one an envelope can be made to (an SM2 key).
    std::lock_guard lock(rng_mu_);
    if (!pki::cms::enveloped_data(pki::cms::Form::kRfc5652, der, as_bytes(std::string_view("check")), rng_)) {
      return field_error("certificate_pem", "an SM2 certificate");
    }
  }
  return db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto n, tx.exec("UPDATE cloudkey_tenants SET support_key = ?, updated_at = ? WHERE id = ?",
                              {der, format_rfc3339_ms(clock_.now()), tenant_id}));
    if (n == 0) return tenant_not_found();
    log_.info("cloud key support certificate set", {{"tenant_id", tenant_id}, {"operator_id", operator_id}});
    return {};
  });
}

Result<Bytes> CloudKeyService::export_log(const std::string& account_id, const std::string& key_id,
                                          const std::string& from_device, const std::string& from,
                                          const std::string& to) {
  CS_ASSIGN(auto entries, usage(account_id, key_id, from_device, from, to));
  CS_ASSIGN(auto cert, db_.read_value<Bytes>([&](store::Tx& tx) -> Result<Bytes> {
    CS_ASSIGN(auto r, tx.query_one("SELECT t.support_key FROM cloudkey_certificates c JOIN cloudkey_tenants t ON "
                                   "t.id = c.tenant_id WHERE c.key_id = ?",
                                   {key_id}));
    if (!r || r->is_null("support_key")) {
      return conflict("support_key_missing", "this tenant has no support key to encrypt logs to");
    }
    return r->blob("support_key");
  }));
  nlohmann::json items = nlohmann::json::array();
  for (const auto& e : entries) {
    items.push_back({{"id", e.id}, {"device_id", e.device_id}, {"operation", e.operation}, {"purpose", e.purpose},
                     {"result", e.result}, {"at", e.at}, {"delegation_id", e.delegation_id}});
  }
  const std::string text =
      nlohmann::json{{"key_id", key_id}, {"from", from}, {"to", to}, {"exported_at", format_rfc3339(clock_.now())},
                     {"items", items}}
          .dump();
  std::lock_guard lock(rng_mu_);
  return pki::cms::enveloped_data(pki::cms::Form::kRfc5652, cert, as_bytes(text), rng_);
}

}  // namespace certseal::service
