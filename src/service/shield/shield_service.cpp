// ShieldService: construction, sealing of the server's secrets, usage events and SMS checks
// (shield_service.h). Each family of operations has a file of its own in this folder:
// installation and reissue (shield_install.cpp), certificates held (shield_certificates.cpp),
// two-party steps (shield_steps.cpp), devices and pairing (shield_devices.cpp), recovery and
// records (shield_recovery.cpp), guards (shield_guard.cpp), organisation certificates
// (org_certificates.cpp).
#include "service/shield/shield_service.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/cipher.h"
#include "crypto/cosign.h"
#include "crypto/hash.h"
#include "crypto/pairing.h"
#include "crypto/password.h"
#include "crypto/pkey.h"
#include "crypto/unlock.h"
#include "pki/crl.h"
#include "service/shield/shield_internal.h"

namespace certseal::service {
namespace cosign = crypto::cosign;
using namespace shield_internal;

SecretBytes shield_seal_key(BytesView master_key) {
  const Bytes k = crypto::hmac_sm3(master_key, as_bytes("CertSeal mobile shield sealing key v1"));
  return SecretBytes(k.begin(), k.end());
}


std::int64_t UnlockBudget::failures_now(std::int64_t failures, std::int64_t failure_at, std::int64_t now) const {
  if (failures <= 0) return 0;
  if (decay_s <= 0 || now <= failure_at) return failures;
  const std::int64_t forgiven = (now - failure_at) / decay_s;
  return forgiven >= failures ? 0 : failures - forgiven;
}

ShieldService::ShieldService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, SecretBytes seal_key,
                             SmsCodeService& sms_codes, SecurityNotices& notices, OrderService& orders,
                             ca::CaService& ca, IdentityVerifier& identity, ShieldOptions opts)
    : db_(db), clock_(clock), rng_(rng), log_(log), seal_key_(std::move(seal_key)), sms_codes_(sms_codes), notices_(notices),
      orders_(orders), ca_(ca), identity_(identity), opts_(opts) {}

Bytes ShieldService::random(std::size_t n) {
  std::lock_guard lock(rng_mu_);
  return rng_.bytes(n);
}

Result<Bytes> ShieldService::seal(BytesView plain, const std::string& ad) {
  std::lock_guard lock(rng_mu_);
  return crypto::sm4_aead_seal(seal_key_, plain, as_bytes(ad), rng_);
}

Result<SecretBytes> ShieldService::unseal(BytesView sealed, const std::string& ad) {
  auto r = crypto::sm4_aead_open(seal_key_, sealed, as_bytes(ad));
  if (!r) return internal_error("a sealed shield secret does not open (" + ad + "): " + r.error().code);
  return r;
}

Status ShieldService::add_event(store::Tx& tx, const std::string& key_id, const std::string& account_id,
                                const std::string& device_id, const std::string& operation,
                                const std::string& purpose, const std::string& result, const std::string& document) {
  std::string id;
  {
    std::lock_guard lock(rng_mu_);
    id = new_uuid_v7(clock_, rng_);
  }
  CS_TRY(tx.exec("INSERT INTO shield_events (id, key_id, account_id, device_id, operation, purpose, result, at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 {id, key_id, account_id, device_id, operation, purpose, result, format_rfc3339_ms(clock_.now())}));
  if (!ledger_) return {};
  CS_ASSIGN(auto holder, tx.query_one("SELECT account_id FROM shield_keys WHERE id = ?", {key_id}));
  return ledger_->append(tx, ledger::LedgerEvent("shield." + operation)
                                 .by(account_id)
                                 .of(holder ? holder->text("account_id") : account_id)
                                 .on(key_id)
                                 .outcome(result)
                                 .doc(document)
                                 .with("device", device_id)
                                 .with("purpose", purpose));
}

Status ShieldService::check_code(const std::string& account_id, const std::string& code, const std::string& scope,
                                 bool scope_required) {
  CS_ASSIGN(auto phone, db_.read_value<std::string>([&](store::Tx& tx) -> Result<std::string> {
    CS_ASSIGN(auto a, tx.query_one("SELECT phone FROM accounts WHERE id = ?", {account_id}));
    if (!a) return not_found("account_not_found", "no such account");
    return a->text("phone");
  }));
  return sms_codes_.verify(phone, SmsPurpose::kAuthorise, code, scope, scope_required);
}

}  // namespace certseal::service
