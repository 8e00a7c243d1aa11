// ShieldService: unlocking steps with a platform authenticator (指纹/面容替代手机盾密码; docs/SHIELD.md
// "Unlocking with a platform authenticator"): enrolment of a device's credential, and the check
// of a step's assertion in place of the unlock proof (run_step counts a refusal against the same
// budget as a wrong password).
#include "base/encoding.h"
#include "service/shield/shield_internal.h"
#include "service/shield/shield_service.h"
#include "service/shield/webauthn_assertion.h"

namespace certseal::service {
using namespace shield_internal;

void ShieldService::set_webauthn_origin(std::string origin) { webauthn_origin_ = std::move(origin); }

Status ShieldService::enrol_webauthn(const std::string& account_id, const ShieldStep& step, BytesView credential_id,
                                     BytesView public_key) {
  if (webauthn_rp_id(webauthn_origin_).empty()) {
    return failed_precondition("webauthn_unavailable", "fingerprint or face unlock is not configured on this server");
  }
  if (credential_id.empty() || credential_id.size() > 1023) return field_error("credential_id", "1 to 1023 bytes");
  CS_TRY(check_webauthn_public_key(public_key));
  std::optional<PendingSecuritySms> note;
  CS_TRY(run_step(account_id, "webauthn_enrol", step,
                  [&](store::Tx& tx, const std::string& device_id, const SecretBytes&) -> Result<Bytes> {
                    CS_ASSIGN(auto sealed, seal(public_key, aad(step.key_id, device_id, "webauthn")));
                    CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ? AND device_id = ?",
                                   {step.key_id, device_id}));
                    CS_TRY(tx.exec("INSERT INTO shield_webauthn (key_id, device_id, credential_id, public_key_enc, "
                                   "sign_count, created_at) VALUES (?, ?, ?, ?, 0, ?)",
                                   {step.key_id, device_id, base64url_encode(credential_id), sealed,
                                    format_rfc3339_ms(clock_.now())}));
                    // The owner hears of it like of a device added: from now on a finger or face
                    // on that phone unlocks the key.
                    CS_ASSIGN(auto pending, notices_.record(tx, account_id, SecurityEvent::kDeviceAdded,
                                                            "指纹/面容解锁 设备 " + device_id, step.key_id));
                    note = std::move(pending);
                    return Bytes{};
                  }));
  if (note) notices_.send(*note);
  return {};
}

Result<std::string> ShieldService::webauthn_refusal(store::Tx& tx, const ShieldStep& step, const std::string& operation) {
  const WebAuthnAssertion& a = *step.webauthn;
  CS_ASSIGN(auto row, tx.query_one("SELECT credential_id, public_key_enc, sign_count FROM shield_webauthn WHERE "
                                   "key_id = ? AND device_id = ?",
                                   {step.key_id, step.device_id}));
  if (!row) return std::string("webauthn_not_enrolled");
  // A credential of another device (or none enrolled here) never unlocks this device's share.
  if (row->text("credential_id") != base64url_encode(a.credential_id)) return std::string("webauthn_unknown_credential");
  CS_ASSIGN(auto spki, unseal(row->blob("public_key_enc"), aad(step.key_id, step.device_id, "webauthn")));
  const Bytes challenge = webauthn_step_challenge(operation, step.key_id, step.device_id, step.nonce, step.payload);
  auto count = check_webauthn_assertion(a, BytesView(spki.data(), spki.size()), challenge,
                                        {webauthn_origin_, row->integer("sign_count")});
  if (!count) return count.error().code;
  CS_TRY(tx.exec("UPDATE shield_webauthn SET sign_count = ? WHERE key_id = ? AND device_id = ?",
                 {*count, step.key_id, step.device_id}));
  return std::string();
}

}  // namespace certseal::service
