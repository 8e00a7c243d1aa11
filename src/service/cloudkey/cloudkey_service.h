// CloudKeyService: the cloud key (云密钥, SPEC §10; docs/CLOUDKEY.md). An operator creates a
// tenant (an institution such as a hospital) with its settings and names its admins; the admins
// keep the staff records (entered, imported from CSV, or applied for by the staff member and
// approved); a staff member sets up a device from the tenant's QR payload (server address and
// tenant id) and their staff number, and downloads a certificate whose key is a two-party SM2 key
// of the mobile shield (ShieldService::install_issued), issued by the tenant's CA.
//
// Devices: the device that downloaded is the key's main device. Secondary devices join through
// the shield's authenticated pairing (certseal device pair / device add) where the tenant allows
// them; they wait for activation by the holder, can be frozen and activated again, and each of
// their steps needs a fresh SMS unlock besides the password (so does every device of a tenant in
// mode password_sms). The rules are checked at the moment of use by the shield through
// KeyStepGate::check, inside the step's transaction: a frozen device's server share refuses at
// once, and the refusal is the step's recorded event (the usage log shows it with its reason).
//
//   CloudKeyService ck(db, clock, rng, log, shield, sms_codes, {public_url});
//   shield.set_key_step_gate(&ck);
//   auto t = ck.create_tenant(op, {"示例医院", {true, "password"}, "sm2o", 365});
//   ck.add_admin(op, t->id, "13900000000");
//
// Who: tenants are created and given admins by operators; a tenant's staff records and settings
// are kept by its admins (another tenant's admin gets tenant_not_found); a staff member acts only
// on their own records, keys and devices (key_not_found otherwise).
//
// Contract: thread-safe; state lives in the database. Public methods open their own
// transactions; check() runs inside the caller's.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/account/sms_codes.h"
#include "service/blob/blob_store.h"
#include "service/ledger/recorder.h"
#include "service/notify/sms.h"
#include "service/scene/scene_certificate_gate.h"
#include "service/shield/grant_gate.h"
#include "service/shield/key_step_gate.h"
#include "service/shield/shield_service.h"
#include "store/db.h"

namespace certseal::service {

struct CloudKeyOptions {
  std::string public_url;           // the server address the tenant QR payload carries
  std::int64_t sms_unlock_s = 300;  // an SMS unlock of a device is good for one step within this
  std::int64_t captcha_ttl_s = 120;      // a picture captcha is answered within this, once
  std::int64_t captcha_per_hour = 20;    // captchas one client address may ask for in any hour
};

// A picture challenge: its id, the PNG (distorted digits), and until when it may be answered.
struct CaptchaChallenge {
  std::string id;
  Bytes png;
  std::int64_t expires_at = 0;
};

struct TenantSettings {
  bool secondary_devices = false;    // 副设备: may staff bind secondary devices
  std::string auth_mode = "password";  // password | password_sms (every device needs an SMS unlock)
  // 协同签名: the relying-party applications (rp_apps ids) whose scene requests the staff
  // certificates answer. In an update, nullopt keeps the list as it is.
  std::optional<std::vector<std::string>> allowed_apps;
};

struct TenantInput {
  std::string name;
  TenantSettings settings;
  std::string ca_id;  // the SM2 CA issuing the staff certificates
  std::int64_t validity_days = 365;
};

struct TenantView {
  std::string id, name, ca_id, created_at, updated_at;
  TenantSettings settings;
  std::int64_t validity_days = 0;
};

struct StaffInput {
  std::string staff_no, name, phone, id_number;
};

struct StaffView {
  std::string id, tenant_id, staff_no, name, phone, id_number, status, source, reason, created_at, decided_at;
  std::string certificate_id;  // the current certificate downloaded for this record, if any
};

// One refused line of a CSV import (line numbers from 1, the header included).
struct ImportProblem {
  int line = 0;
  std::string field, detail;
};

struct CloudKeyDevice {
  std::string device_id, name, role, status, created_at;  // role main | secondary; status active |
                                                          // pending | frozen | removed
};

struct CloudKeyCertificate {
  std::string certificate_id, key_id, tenant_id, tenant_name, staff_id, staff_no, name, created_at;
  bool current = true;
};

struct UsageEntry {
  std::string id, device_id, operation, purpose, result, at;
  std::string delegation_id;  // the step of a delegate's device, under this delegation
  bool ok = false;
};

// 授权管理: a staff member (the delegate) may use a holder's staff key within a window and a
// number of uses. status: requested | approved | refused | deleted; frozen is separate.
struct DelegationView {
  std::string id, tenant_id, certificate_id, key_id, holder_account_id, holder_staff_no, holder_name;
  std::string delegate_account_id, delegate_staff_no, delegate_name, statement, status, created_at, decided_at;
  bool frozen = false, live = false;
  std::int64_t not_before = 0, not_after = 0, uses_made = 0;
  std::optional<std::int64_t> uses_total, uses_left;
};

struct DelegationTerms {
  std::int64_t not_after = 0;           // unix seconds, in the future
  std::optional<std::int64_t> uses;     // 1 .. 1,000,000; none: any number in the window
};

// 签名采集: the staff member's handwritten signature picture (cleaned: pen ink only, black on
// transparent, cropped), as PNG.
struct SignaturePicture {
  std::string staff_id, staff_no, tenant_id, sha256, updated_at;
  Bytes png;
  std::int64_t width_px = 0, height_px = 0;
};

// One logged-in session of the account: one application on one device (the client on a phone,
// the H5 app in a browser, a PC). id: the first 16 hex digits of its token's hash.
struct AppSession {
  std::string id, created_at, expires_at, remote_addr;
  bool current = false;
};

struct DelegationUse {
  std::string id, delegation_id, device_id, operation, digest, result, at;
};

// 删除证书: what deleting the staff certificate from a device did on the server.
struct DeviceDeletion {
  std::string key_id, device_id, role;  // role main | secondary
  bool key_retired = false;  // the holder's last device: the key is retired, its certificate revoked
};

// A staff key's current certificate (pull to refresh after a renewal; a renewal's answer).
struct StaffCertificate {
  CloudKeyCertificate info;
  ca::CertificateRecord record;
  std::string previous_certificate_id;  // a renewal: the certificate it replaced
};

class CloudKeyService final : public KeyStepGate, public GrantGate, public SceneCertificateGate {
 public:
  CloudKeyService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, ShieldService& shield,
                  SmsCodeService& sms_codes, CloudKeyOptions opts)
      : db_(db), clock_(clock), rng_(rng), log_(log), shield_(shield), sms_codes_(sms_codes), opts_(std::move(opts)) {}

  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }
  // SMS notices of delegations (to the holder when asked, to the delegate when approved).
  void set_sms_sender(SmsSender* sender) { sms_ = sender; }
  // The organisation grants (GrantService): the shield has one GrantGate; this one answers for
  // delegations and hands every other grant id to `fallback`.
  void set_grant_fallback(GrantGate* fallback) { fallback_ = fallback; }
  // Uploads (signature pictures are taken from the caller's upload). Unset: signature_unavailable.
  void set_blob_store(BlobStore* blobs) { blobs_ = blobs; }

  // ---- tenants (tenants.cpp) ----
  // Operators. Errors: tenant_exists (409, same name), invalid_field (also allowed_apps naming
  // an application that does not exist). Recorded (cloudkey.tenant.create).
  Result<TenantView> create_tenant(const std::string& operator_id, const TenantInput& in);
  // Anyone with a session: tenants whose name contains `query` (all when empty), by name, at most 50.
  Result<std::vector<TenantView>> search_tenants(const std::string& query);
  Result<TenantView> tenant(const std::string& tenant_id);
  // An admin of the tenant or an operator (as_operator). Errors: tenant_not_found, invalid_field.
  // Recorded (cloudkey.tenant.settings, with the new settings).
  Result<TenantView> update_settings(const std::string& account_id, bool as_operator, const std::string& tenant_id,
                                     const TenantSettings& s);
  // Operators: the account with this phone becomes an admin of the tenant. Errors:
  // tenant_not_found, account_not_found (404: nobody registered that phone), invalid_field.
  Status add_admin(const std::string& operator_id, const std::string& tenant_id, const std::string& phone);
  // The text of the tenant's QR code: {"type":"certseal-cloudkey","server":...,"tenant":...}.
  Result<std::string> qr_payload(const std::string& tenant_id);

  // ---- staff records (staff.cpp); admins of the tenant ----
  // Errors: tenant_not_found (also for non-admins), staff_exists (409), invalid_field.
  Result<StaffView> add_staff(const std::string& admin_id, const std::string& tenant_id, const StaffInput& in);
  // CSV with the columns staff_no,name,phone,id_number (a header line naming them is skipped).
  // All or nothing: any bad line (or a staff number taken) refuses the whole file with every
  // problem listed (invalid_csv, 400) and stores nothing. Returns the records added.
  Result<std::vector<StaffView>> import_staff(const std::string& admin_id, const std::string& tenant_id,
                                              const std::string& csv, std::vector<ImportProblem>* problems);
  // status: empty (all), pending, active or refused.
  Result<std::vector<StaffView>> staff(const std::string& admin_id, const std::string& tenant_id,
                                       const std::string& status);
  // 自助录入: a logged-in account applies with its own phone. Errors: tenant_not_found,
  // staff_exists (409: the number is taken), invalid_field.
  Result<StaffView> apply(const std::string& account_id, const std::string& tenant_id, const StaffInput& in);
  // 后台审核: approve or refuse (reason required) a pending application. Errors:
  // tenant_not_found, staff_not_found, staff_not_pending (409), reason_required.
  Result<StaffView> decide(const std::string& admin_id, const std::string& tenant_id, const std::string& staff_id,
                           bool approve, const std::string& reason);

  // ---- set-up on a device (setup.cpp) ----
  // Downloads the certificate of an active staff record whose phone is the account's: a
  // two-party key made now with `device` (its main device). Idempotent for the same device and
  // key request. Errors: tenant_not_found, staff_not_found (404: no active record of that number
  // with this account's phone), already_installed (409), the shield's and the CA's.
  Result<InstallResult> download(const std::string& account_id, const std::string& tenant_id,
                                 const std::string& staff_no, const DeviceEnrolment& device);
  // The caller's cloud-key certificates.
  Result<std::vector<CloudKeyCertificate>> certificates(const std::string& account_id);

  // ---- devices (devices.cpp); the key's holder ----
  Result<std::vector<CloudKeyDevice>> devices(const std::string& account_id, const std::string& key_id,
                                              const std::string& status);
  // freeze | activate a secondary device, asked from the key's main device (from_device).
  // Errors: key_not_found, main_device_only (403), device_not_found, not_a_secondary (409).
  Result<CloudKeyDevice> set_device_state(const std::string& account_id, const std::string& key_id,
                                          const std::string& from_device, const std::string& device_id,
                                          const std::string& action);
  // Removes a device (the main one too) with an SMS code of purpose authorise: its server share is
  // deleted (ShieldService::remove_device). Errors: those of remove_device. Recorded
  // (cloudkey.device.remove).
  Status remove_device(const std::string& account_id, const std::string& key_id, const std::string& device_id,
                       const std::string& code);
  // Removes every secondary device of the key at once (their server shares deleted in one
  // transaction, so their device shares are useless from then on; a delegate's device is not a
  // secondary and stays). The holder asks from the key's main device with an SMS code of
  // purpose authorise. Returns the devices removed (none: an empty list). Errors:
  // key_not_found, main_device_only (403), the SMS code's. Recorded
  // (cloudkey.device.remove_secondaries). Own transaction.
  Result<std::vector<std::string>> remove_secondaries(const std::string& account_id, const std::string& key_id,
                                                      const std::string& from_device, const std::string& code);
  // The same by an admin of the key's tenant, for a staff record (its current key), without an
  // SMS code. Errors: tenant_not_found, staff_not_found, key_not_found (no certificate).
  Result<std::vector<std::string>> admin_remove_secondaries(const std::string& admin_id, const std::string& tenant_id,
                                                            const std::string& staff_id);
  // A fresh SMS code (purpose authorise) lets this device take one step within sms_unlock_s.
  Status sms_unlock(const std::string& account_id, const std::string& key_id, const std::string& device_id,
                    const std::string& code);
  // The usage log of the key (every step, success or failure with its reason), newest first,
  // between from (inclusive) and to (exclusive), RFC 3339 dates or times; asked from the main
  // device. Errors: key_not_found, main_device_only, invalid_field.
  Result<std::vector<UsageEntry>> usage(const std::string& account_id, const std::string& key_id,
                                        const std::string& from_device, const std::string& from,
                                        const std::string& to);

  // ---- the certificate on a device: delete, refresh; renewal on the server (device_certificate.cpp) ----
  // 删除证书: the holder deletes the staff certificate from one of their devices (device_id, the
  // asking device as the client names it) with an SMS code of purpose authorise: that device's
  // server share goes (ShieldService::leave_issued), so its files are useless even restored from a
  // backup. The holder's last device may go too (unlike the shield's remove_device): then the key
  // is retired, its certificate revoked (cessationOfOperation) and the staff record has no
  // current certificate, so the staff member downloads a new one by staff number on a new
  // set-up. A device deleted already answers the same (a retry). Errors: key_not_found (also a
  // key of another account), device_not_found, invalid_field, the SMS code's. Recorded
  // (cloudkey.device.delete, with retired). Own transactions.
  Result<DeviceDeletion> delete_from_device(const std::string& account_id, const std::string& key_id,
                                            const std::string& device_id, const std::string& code);
  // 续期: a tenant admin (or an operator: as_operator) renews the current certificate of a staff
  // record on the same two-party key (ShieldService::renew_issued: same subject and key, the
  // tenant's validity from now, the old one revoked as superseded); the key's row names the
  // successor, delegations of the key follow it. request_id (1 to 40 bytes) makes it
  // idempotent per staff record. Errors: tenant_not_found (also another tenant's admin),
  // staff_not_found, key_not_found (no current certificate), invalid_field, the shield's and the
  // CA's. Recorded (cloudkey.staff.renew, also in the holder's records). Own transactions.
  Result<StaffCertificate> renew_staff(const std::string& actor_id, bool as_operator, const std::string& tenant_id,
                                       const std::string& staff_id, const std::string& request_id);
  // 下拉刷新: the current certificate of the holder's key, asked from one of the holder's live
  // devices of that key (the client then replaces its local copy). Errors: key_not_found (another
  // account's key), device_not_found (not a live device of this key), certificate_not_current
  // (409: the key has no current certificate; deleted or retired).
  Result<StaffCertificate> current_certificate(const std::string& account_id, const std::string& key_id,
                                               const std::string& device_id);

  // ---- support (log_export.cpp) ----
  // Operators: the tenant's support certificate (PEM; an SM2 key), to which exported logs are
  // encrypted. Errors: tenant_not_found, invalid_field (not one SM2 certificate).
  Status set_support_certificate(const std::string& operator_id, const std::string& tenant_id,
                                 const std::string& pem);
  // The usage log (as usage()) as JSON, in a CMS EnvelopedData (SM2 key transport, SM4-CBC) to
  // the tenant's support certificate: only the support key opens it (`certseal cloudkey
  // decrypt-log`). Errors: usage()'s, support_key_missing (409).
  Result<Bytes> export_log(const std::string& account_id, const std::string& key_id, const std::string& from_device,
                           const std::string& from, const std::string& to);

  // ---- password recovery with a picture captcha and an SMS code (recovery.cpp) ----
  // A new picture captcha for account_id asking from `address` (5 digits drawn by
  // seal::render_captcha; only SHA-256(id ":" answer) is kept). Errors: captcha_budget_spent
  // (429: captcha_per_hour from this address in the last hour). Own transaction.
  Result<CaptchaChallenge> new_captcha(const std::string& account_id, const std::string& address);
  // Step 1 of recovering the certificate password of the holder's staff key: the captcha's
  // answer; when right, an SMS code (purpose authorise, bound to this key's recovery, which no
  // other route issues) goes to the account's phone. The captcha is spent by the first answer,
  // right or wrong; nothing is sent on a refusal. Errors: key_not_found, captcha_not_found (404:
  // none of this account's), captcha_used (409), captcha_expired (409), captcha_wrong (403), the
  // SMS code service's limits.
  Status recovery_code(const std::string& account_id, const std::string& key_id, const std::string& captcha_id,
                       const std::string& answer);
  // Step 2: the SMS code and the device's new unlock material (from the new password): the
  // device's unlock key is set and its recovery keys returned, so the device re-masks its share
  // (ShieldService::reset_own_device). Errors: key_not_found, the SMS code's (a code not issued
  // by step 1 is sms_code_wrong_scope), the shield's. Recorded by the shield (shield.recover).
  Result<RecoveryResult> recover_password(const std::string& account_id, const std::string& key_id,
                                          const std::string& device_id, const std::string& code, BytesView auth_key,
                                          BytesView salt);

  // ---- logging out (sessions.cpp) ----
  // The account's live sessions, newest first (current: the one asking, current_session = its
  // token hash).
  Result<std::vector<AppSession>> sessions(const std::string& account_id, const std::string& current_session);
  // 退出登录: ends one of the account's sessions (session_id as listed) or, with all, every one
  // of them, the asking one too; a token of an ended session is refused from then on
  // (invalid_session, 401). Returns how many ended. Errors: session_not_found (404: no live
  // session of this account with that id). Recorded (cloudkey.logout). Own transaction.
  Result<std::int64_t> log_out(const std::string& account_id, const std::string& current_session,
                               const std::string& session_id, bool all);

  // ---- signature capture (signature.cpp) ----
  // The holder of a staff key sets (or replaces) the staff record's handwritten signature from an
  // upload of theirs (purpose handwritten_signature: a PNG from a canvas or a file), cleaned by
  // seal::clean_scan with pen ink (the image checks and limits of the seal photos). Errors:
  // key_not_found, signature_upload_not_found (404: no such upload of the caller's, of that
  // purpose), signature_unavailable (503), unreadable_image, image_too_large,
  // no_signature_found (400). Recorded (cloudkey.signature.set). Own transaction.
  Result<SignaturePicture> set_signature(const std::string& account_id, const std::string& key_id,
                                         const std::string& blob_id);
  // The picture of the staff record of the holder's key. Errors: key_not_found, signature_not_found.
  Result<SignaturePicture> signature(const std::string& account_id, const std::string& key_id);
  // The picture of a staff record, for an admin of its tenant. Errors: tenant_not_found,
  // staff_not_found, signature_not_found.
  Result<SignaturePicture> staff_signature(const std::string& admin_id, const std::string& tenant_id,
                                           const std::string& staff_id);

  // SceneCertificateGate (协同签名): a staff certificate answers the scene requests of the
  // applications its tenant allows, while current, valid and unexpired; other certificates are
  // not this gate's.
  Result<std::optional<bool>> allows_app(store::Tx& tx, const std::string& certificate_id,
                                         const std::string& app_id) override;
  // A delegate answers the tenant's allowed applications with the holder's certificate within a
  // live delegation; the use is the one the two-party step counted for the request.
  Result<std::vector<DelegatedSceneCertificate>> delegated_certificates(store::Tx& tx, const std::string& account_id,
                                                                       const std::string& app_id) override;
  Result<std::optional<DelegatedSceneCertificate>> delegated_use(store::Tx& tx, const std::string& account_id,
                                                                 const std::string& purpose,
                                                                 const std::string& certificate_id) override;

  // KeyStepGate: the device rules above for staff keys; other keys pass.
  Status check(store::Tx& tx, const KeyStep& step) override;

  // ---- delegation (delegation.cpp) ----
  // The delegate (an active staff member of the tenant) asks the holder of staff number
  // holder_staff_no for use of their current certificate. Errors: tenant_not_found,
  // staff_not_found (the caller has no active record, or the holder none with a certificate),
  // delegation_to_self (400), delegation_pending (409).
  Result<DelegationView> request_delegation(const std::string& account_id, const std::string& tenant_id,
                                            const std::string& holder_staff_no, const std::string& statement);
  // The caller's delegations, given and received.
  Result<std::vector<DelegationView>> delegations(const std::string& account_id);
  // The holder decides and manages (delegation_not_found for anyone else): approve (SMS notice
  // to the delegate), refuse, freeze/unfreeze, change the window and uses (also renews an
  // expired one), delete (the delegate's device shares are deleted at once).
  Result<DelegationView> approve_delegation(const std::string& holder_id, const std::string& id,
                                            const DelegationTerms& t);
  Result<DelegationView> refuse_delegation(const std::string& holder_id, const std::string& id);
  Result<DelegationView> freeze_delegation(const std::string& holder_id, const std::string& id, bool frozen);
  Result<DelegationView> change_delegation(const std::string& holder_id, const std::string& id,
                                           const DelegationTerms& t);
  Result<DelegationView> delete_delegation(const std::string& holder_id, const std::string& id);
  // 重置授权密码: the holder has a new password made for the delegate's device and sent to the
  // delegate by SMS (good for 30 minutes, one try). Errors: delegation_not_found,
  // delegation_deleted (409).
  Status reset_delegate_password(const std::string& holder_id, const std::string& id);
  // The delegate's device takes the reset: the password from the SMS, and the unlock material
  // derived from it; answers the device's recovery keys (ShieldService::reset_granted_device) so
  // the device re-wraps its share under that password. A wrong password voids the reset.
  // Errors: delegation_not_found, reset_password_wrong (403), reset_expired (409), the shield's.
  Result<RecoveryResult> apply_password_reset(const std::string& delegate_id, const std::string& id,
                                              const std::string& device_id, const std::string& password,
                                              BytesView auth_key, BytesView salt);
  // Each use and refused attempt under a delegation, for its holder or delegate, newest first.
  Result<std::vector<DelegationUse>> delegation_uses(const std::string& account_id, const std::string& id);

  // GrantGate: delegations (counted in one conditional UPDATE), else the fallback's grants.
  Status use(store::Tx& tx, const GrantedStep& step) override;
  Result<GrantPairingTarget> pairing_target(store::Tx& tx, const std::string& grant_id) override;
  Status drop_dead_shares(store::Tx& tx, const std::string& account_id) override;

 private:
  std::string new_id();
  Status require_admin(store::Tx& tx, const std::string& account_id, const std::string& tenant_id);
  Result<std::string> phone_of(store::Tx& tx, const std::string& account_id);
  // The key's cloud-key row, for its holder; key_not_found otherwise.
  Status require_holder(store::Tx& tx, const std::string& account_id, const std::string& key_id);
  Status require_main(store::Tx& tx, const std::string& key_id, const std::string& device_id);
  Result<TenantView> load_tenant(store::Tx& tx, const std::string& tenant_id);
  // The allowed applications of a tenant; set_tenant_apps replaces them (each must exist).
  Result<std::vector<std::string>> tenant_apps(store::Tx& tx, const std::string& tenant_id);
  Status set_tenant_apps(store::Tx& tx, const std::string& actor_id, const std::string& tenant_id,
                         const std::vector<std::string>& apps);
  // Deletes the server shares of the key's secondary devices (all but main_device and delegates'),
  // inside tx; returns their ids.
  Result<std::vector<std::string>> drop_secondaries(store::Tx& tx, const std::string& actor_id,
                                                    const std::string& key_id);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
  ShieldService& shield_;
  SmsCodeService& sms_codes_;
  CloudKeyOptions opts_;
  ledger::Recorder* ledger_ = nullptr;
  SmsSender* sms_ = nullptr;
  GrantGate* fallback_ = nullptr;
  BlobStore* blobs_ = nullptr;
};

}  // namespace certseal::service
