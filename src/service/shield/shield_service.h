// ShieldService: the server half of the mobile shield (手机盾) and the certificates users hold
// (SPEC §5 "Issuance and installation", "Manage", "Reissue"; SPEC §7; docs/SHIELD.md).
//
// Keys: a two-party SM2 key per installed certificate. The server keeps, per device, its share
// d2 (a different one per device: see crypto/cosign.h "refresh / add a device") and the device's
// unlock auth key, both sealed with authenticated SM4 (crypto/cipher.h) under a key derived from
// the platform's master key, with the key id, device id and purpose as associated data. Nothing
// stored or returned lets the server sign or decrypt alone: d1 never reaches it.
//
// Every two-party step needs a single-use challenge (60 s) and a proof made with the device's
// auth key (crypto/unlock.h). A wrong proof is a failed unlock: the count is kept per key and
// the key locks after max_failures (5) for all its devices, until the owner passes recovery
// (SMS code + the account's login password + a fresh identity check by the IdentityVerifier on
// a face image; the ID number is no factor: every certificate prints it).
// The count is checked and changed with the key's row locked, so concurrent guesses cannot
// exceed it on either engine. A right proof does not reset it: one failure is forgiven per
// failure_decay_s (a day) after the last one (UnlockBudget). Every failed unlock, and the lock,
// notify the owner (SecurityNotices). The raw count is not shown (KeyView has none).
//
// Devices: a device is added by pairing (docs/SHIELD.md "Adding a device", crypto/pairing.h):
// the server relays the pairing key and the sealed envelope and learns only the ratio of the new
// server share to the old one; completion needs the new device's signature (its pairing key)
// over the pairing's challenge, before expires_at, by the same account. Recovery keys are one per
// device, rotated after each use (recovery, install replay), never shared between devices.
// Adding or removing a device and recovering a password raise SecurityNotices.
//
// Failed and successful steps alike are recorded in shield_events (device, time, operation,
// purpose, result); refusals are committed before they are returned.
//
// Certificates: installing an approved certificate order generates the key (two-party), has the
// order's CA issue the certificate with the subject of the verified person or organisation, and
// moves the order to done, all idempotent: a retry with the same device and first message gets
// the same answer. Renew, change, revoke and reissue go through CaService with the caller's
// request id; revoke and reissue need an SMS code (purpose authorise). Reissue (a new key for a
// verified identity) needs more than the SMS (review H1): an outstanding platform notice, the
// login password, no SMS password reset in the last reissue_reset_block_s, and a fresh identity
// check of newly taken ID card photos by the IdentityVerifier (ReissueProof); the owner is
// notified. account_certificates maps
// every certificate to its account and key; `current` marks the one in use.
//
// Who: every call acts for account_id and answers 404 for keys, certificates and pairings of
// other accounts. Thread-safe; state is in the database.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/shield/webauthn_assertion.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/locked_rng.h"
#include "base/rng.h"
#include "service/account/sms_codes.h"
#include "service/blob/blob_store.h"
#include "service/identity/person_verification.h"
#include "service/ca/ca_service.h"
#include "service/notify/security_notice.h"
#include "service/order/order_service.h"
#include "service/ledger/recorder.h"
#include "service/org/certificate_holders.h"
#include "service/shield/grant_gate.h"
#include "service/shield/key_step_gate.h"
#include "store/db.h"

namespace certseal::service {

struct ShieldOptions {
  int max_failures = 5;
  int challenge_ttl_s = 60;
  int pairing_ttl_s = 600;
  std::int64_t failure_decay_s = 86400;  // one failed unlock is forgiven per this long without another
  std::int64_t reissue_reset_block_s = 7 * 86400;  // no reissue this long after an SMS password reset
  std::int64_t identity_photo_max_age_s = 3600;    // reissue ID card photos are this fresh at most
};

// What a reissue proves besides the SMS code (review H1): the account's login password and new
// photos of both sides of the ID card (blob ids of this account's uploads, purposes id_card_front
// and id_card_back, uploaded within identity_photo_max_age_s) for the IdentityVerifier.
struct ReissueProof {
  std::string password;
  std::string id_card_front, id_card_back;
};

// The unlock budget of a key (review M2): `failures` wrong proofs, the last at `failure_at`
// (unix seconds). A success gives nothing back; each full decay_s since the last failure forgives
// one. So a thief with a copied device folder gets max_failures - 1 guesses and then about one a
// day, each one texted to the owner, however often the owner uses the key meanwhile.
struct UnlockBudget {
  std::int64_t max_failures = 5;
  std::int64_t decay_s = 86400;
  // The failures that still count at `now` (0 ... failures).
  std::int64_t failures_now(std::int64_t failures, std::int64_t failure_at, std::int64_t now) const;
};

// The device's half of installation (and reissue): its first key-generation message and the
// unlock material derived from the certificate password (crypto/unlock.h).
struct DeviceEnrolment {
  std::string device_id, device_name;
  Bytes p1;        // KeygenRequest encoding
  Bytes auth_key;  // 32 bytes
  Bytes salt;      // 16 bytes
};

struct InstallResult {
  std::string key_id;
  Bytes keygen_response;  // KeygenResponse encoding
  Bytes recovery_key;     // 32 bytes
  ca::CertificateRecord certificate;
};

// What install_issued issues: the caller decided who gets which certificate.
struct IssuedEnrolment {
  std::string request_id;  // unique per certificate, e.g. "cloudkey:<staff id>:<n>"
  std::string source;      // stored where an order id would be, e.g. "cloudkey:<tenant id>"
  std::string ca_id, profile = "personal_sign";
  pki::SubjectInfo subject;
  int validity_days = 365;
};

// One authenticated two-party step.
struct ShieldStep {
  std::string key_id, device_id, nonce, purpose;
  Bytes proof;
  Bytes payload;  // the step's request bytes (what the proof covers)
  // Instead of `proof`, for sign and decrypt: an assertion of the platform authenticator the
  // device enrolled (docs/SHIELD.md "Unlocking with a platform authenticator").
  std::optional<WebAuthnAssertion> webauthn;
};

struct ChallengeView {
  std::string nonce;
  std::int64_t expires_at = 0;
};

struct DeviceView {
  std::string device_id, name, status, created_at, removed_at;
};

struct ShieldEventView {
  std::string id, device_id, operation, purpose, result, at;
};

struct PairingView {
  std::string id, device_id, device_name, status, key_id, challenge;
  Bytes public_key, envelope;
  std::int64_t expires_at = 0;
};

// What the new device hands in to complete a pairing (crypto/pairing.h).
struct PairingCompletion {
  Bytes join_request;  // cosign::JoinRequest encoding (y)
  Bytes auth_key;      // 32 bytes
  Bytes salt;          // 16 bytes
  Bytes signature;     // DER SM2 signature by the pairing key over pairing::completion_message
};

struct PairedDevice {
  std::string key_id;
  std::string certificate_id;  // the granted certificate, for a device that joined through a grant
  Bytes recovery_key;  // this device's own, 32 bytes
};

// Recovery of a locked key or a forgotten certificate password on one device.
struct RecoveryRequest {
  std::string device_id, code, login_password;
  Bytes face_image;  // JPEG or PNG, for the IdentityVerifier
  Bytes auth_key;    // 32 bytes, of the new certificate password
  Bytes salt;        // 16 bytes
};
struct RecoveryResult {
  Bytes recovery_key;       // the one that unmasks this device's recovery copy; now retired
  Bytes next_recovery_key;  // the device's new one, for its new recovery copy
  std::string verified_by;  // the IdentityVerifier that vouched ("dev" is no real check)
};

struct HeldCertificate {
  std::string certificate_id, key_id, order_id, org_id, platform_id, reissue_notice, created_at;
  std::string holder_account_id;  // filled for an organisation's admin (org_certificates)
  bool current = true;
  bool reissue_identity_checked = false;  // the operator verified the holder for this notice
  ca::CertificateRecord record;
};

// No failure count on purpose: the owner learns of failures by notice, a thief nothing to time.
struct KeyView {
  std::string id, status, algorithm;
  Bytes public_key;
};

// Also the CertificateHolders of the platform (service/org/certificate_holders.h): organisation
// certificates follow membership (review H2); install, renew, change and reissue of an
// organisation certificate check the holder first (org_holder_allowed).
class ShieldService final : public CertificateHolders {
 public:
  // seal_key: at least 16 secret bytes (derived from the master key by the caller).
  ShieldService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, SecretBytes seal_key,
                SmsCodeService& sms_codes, SecurityNotices& notices, OrderService& orders, ca::CaService& ca,
                IdentityVerifier& identity, ShieldOptions opts = {});

  // Wiring (src/app): the blob store whose ID card photos a reissue's identity check reads (with
  // the constructor's IdentityVerifier). Without it every reissue is refused
  // (identity_checks_unavailable).
  void set_photo_store(BlobStore& blobs) { blobs_ = &blobs; }
  // Every shield event also goes into the transparency log (docs/LEDGER.md), in its transaction.
  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }
  // Organisation grants (docs/GRANTS.md): a device bound to a grant takes part in a step only
  // after the gate checked and counted the use in the step's transaction. Without a gate, grant
  // pairings are refused (grants_unavailable) and granted devices refused at every step.
  void set_grant_gate(GrantGate* gate) { grants_ = gate; }
  // Rules of another area for the holder's steps of keys it issued (key_step_gate.h; the cloud
  // key's device states). Unset: no extra rules.
  void set_key_step_gate(KeyStepGate* gate) { key_gate_ = gate; }

  // ---- certificates ----
  // A key made for a certificate that another area decided to issue without an order (the cloud
  // key's staff certificates, docs/CLOUDKEY.md; shield_issued.cpp): two-party key generation
  // with `device`, the certificate issued by ca_id under `profile` for `subject`, held by
  // account_id (account_certificates names `source` instead of an order). Idempotent on
  // request_id: a retry from the same device gets the same key and certificate. Errors:
  // already_installed (409: the request id was used by another device), invalid_field, the CA's.
  // Own transactions.
  Result<InstallResult> install_issued(const std::string& account_id, const IssuedEnrolment& what,
                                       const DeviceEnrolment& device);
  // A certificate of install_issued renewed on the same key for its holder, once the issuing area
  // decided so (the cloud key's tenant admin or operator; shield_issued.cpp): the CA issues the
  // successor with the old certificate's subject and public key for validity_days, the old one is
  // revoked as superseded, account_certificates makes the successor current and the key's events
  // record "renew". Idempotent on request_id (a retry returns the same certificate). Errors:
  // certificate_not_found, not_issued (409: an order's certificate renews with a renewal order),
  // certificate_not_current, certificate_revoked, invalid_field. Own transactions.
  Result<ca::CertificateRecord> renew_issued(const std::string& account_id, const std::string& cert_id,
                                             const std::string& request_id, int validity_days);
  // A device of the holder leaves a key of install_issued (the cloud key's 删除证书; the caller
  // checked the factor): its server share, unlock key and recovery key are deleted, so its device
  // share is useless from this commit even if its files come back from a backup. When it was the
  // holder's last active device, the key is retired (every device's share, a grant's too, is
  // deleted) and its current certificate revoked (cessationOfOperation): unlike remove_device,
  // which keeps an order's key its last device, the issuing area can issue a fresh one. A device
  // removed already is a no-op (a retry). Returns whether the key was retired. Errors:
  // key_not_found (also another account's key), device_not_found, not_issued (409). Own transactions.
  Result<bool> leave_issued(const std::string& account_id, const std::string& key_id, const std::string& device_id);
  Result<InstallResult> install(const std::string& account_id, const std::string& order_id,
                                const DeviceEnrolment& device);
  // Errors besides install's: reissue_not_requested (no outstanding notice), recent_password_reset,
  // wrong_password, bad_upload, identity_review_needed (the verifier wants an operator),
  // identity_rejected, identity_checks_unavailable (not wired), sms_code_*. Own transactions.
  Result<InstallResult> reissue(const std::string& account_id, const std::string& cert_id,
                                const std::string& request_id, const std::string& code,
                                const DeviceEnrolment& device, const ReissueProof& proof);
  // order_id (required, review M3): an approved renewal order of this account for this
  // certificate, which becomes done. The old certificate is revoked as superseded. Errors:
  // renewal_order_required, not_a_renewal_order, order_not_for_certificate, order_not_approved,
  // certificate_not_current, and the membership errors of organisation certificates.
  Result<ca::CertificateRecord> renew(const std::string& account_id, const std::string& cert_id,
                                      const std::string& request_id, const std::string& order_id);
  Result<ca::CertificateRecord> change(const std::string& account_id, const std::string& cert_id,
                                       const std::string& request_id);
  Result<ca::CertificateRecord> revoke(const std::string& account_id, const std::string& cert_id,
                                       const std::string& request_id, const std::string& code,
                                       const std::string& reason);
  Result<std::vector<HeldCertificate>> certificates(const std::string& account_id);
  Result<HeldCertificate> certificate(const std::string& account_id, const std::string& cert_id);
  Result<KeyView> key(const std::string& account_id, const std::string& key_id);
  // Operators: the holder must reissue (补发); notified in-app and by SMS. identity_checked: the
  // operator has verified the holder's identity (operator review, e.g. in person), so this
  // notice's reissue skips the IdentityVerifier step (the other checks stay).
  Status reissue_notice(const std::string& operator_id, const std::string& cert_id, const std::string& reason,
                        bool identity_checked = false);

  // ---- organisation certificates (单位证书管理; org_certificates.cpp) ----
  // An organisation's certificates, whoever installed them, are managed by whoever is an active
  // admin (or the legal representative) of the verified organisation now: list, details, usage
  // records, renew, revoke (with the admin's own SMS code, purpose authorise). A former admin,
  // an employee or a stranger gets permission_denied; a certificate of another organisation is
  // certificate_not_found. Each opens its own transactions; renew and revoke are idempotent on
  // the admin's request id. The holder is told in-app when an admin revoked their certificate.
  Result<std::vector<HeldCertificate>> org_certificates(const std::string& admin_account_id, const std::string& org_id);
  Result<HeldCertificate> org_certificate(const std::string& admin_account_id, const std::string& org_id,
                                          const std::string& cert_id);
  Result<std::vector<ShieldEventView>> org_certificate_events(const std::string& admin_account_id,
                                                              const std::string& org_id, const std::string& cert_id,
                                                              const std::string& after, int limit);
  // org_renew: order_id (required, review M3) is an approved renewal order of the admin (bought
  // for the organisation, naming this certificate), which becomes done; errors as renew's.
  Result<ca::CertificateRecord> org_renew(const std::string& admin_account_id, const std::string& org_id,
                                          const std::string& cert_id, const std::string& request_id,
                                          const std::string& order_id);
  Result<ca::CertificateRecord> org_revoke(const std::string& admin_account_id, const std::string& org_id,
                                           const std::string& cert_id, const std::string& request_id,
                                           const std::string& code, const std::string& reason);

  // ---- two-party steps ----
  Result<ChallengeView> challenge(const std::string& account_id, const std::string& key_id,
                                  const std::string& device_id);
  Result<Bytes> sign(const std::string& account_id, const ShieldStep& step);     // SignResponse encoding
  Result<Bytes> decrypt(const std::string& account_id, const ShieldStep& step);  // DecryptResponse encoding
  Status refresh(const std::string& account_id, const ShieldStep& step);          // payload: u
  // payload: new auth_key (32) ‖ new salt (16)
  Status change_password(const std::string& account_id, const ShieldStep& step);
  // The old device's half of adding a device: payload pairing_id ‖ u (RefreshRequest) ‖ envelope.
  // Keeps the pending server share d2·u^-1 for the pairing's device and the envelope for it.
  // Errors: pairing_not_found (404, also for other accounts), pairing_not_waiting (409, used or
  // expired), device_exists (409), and those of every step. Own transaction.
  Status add_device(const std::string& account_id, const ShieldStep& step, const std::string& pairing_id,
                    BytesView u, BytesView envelope);

  // ---- devices ----
  Result<std::vector<DeviceView>> devices(const std::string& account_id, const std::string& key_id);
  Status remove_device(const std::string& account_id, const std::string& key_id, const std::string& device_id,
                       const std::string& code);
  // The new device starts pairing with its ephemeral SM2 key (65-byte point); the answer carries
  // the id, expiry and the challenge it signs to complete. Own transaction.
  Result<PairingView> create_pairing(const std::string& account_id, const std::string& device_id,
                                     const std::string& device_name, BytesView public_key);
  // The employee's new device starts pairing to join the key of an approved grant of theirs
  // (docs/GRANTS.md): the holder's device delivers it through add_device, and the device's
  // server share is bound to the grant. Errors: grant_not_found (404, also another's grant),
  // grant_not_live (409), grants_unavailable (503), and create_pairing's. Own transaction.
  Result<PairingView> create_grant_pairing(const std::string& account_id, const std::string& grant_id,
                                           const std::string& device_id, const std::string& device_name,
                                           BytesView public_key);
  // Its own account's pairing, or a grant pairing of the key this account holds (to deliver).
  Result<PairingView> pairing(const std::string& account_id, const std::string& pairing_id);
  // The new device completes: checks its signature with the pairing key, sets d2' = z·y, its
  // unlock material and a recovery key of its own (returned); raises kDeviceAdded. Errors:
  // pairing_not_found (404, other accounts too), pairing_not_delivered (409), pairing_expired
  // (409), pairing_proof_invalid (403), invalid_field. Nothing changes on a refusal. Own transaction.
  Result<PairedDevice> complete_pairing(const std::string& account_id, const std::string& pairing_id,
                                        const PairingCompletion& c);

  // ---- certificates follow their holder (shield_guard.cpp) ----
  Status sync(const std::string& account_id) override;
  Status sweep() override;

  // ---- unlocking with a platform authenticator (shield_webauthn.cpp) ----
  // The origin the app is served from ("scheme://host[:port]"; its host is the WebAuthn RP id).
  // Empty or an IP address: enrolment is refused (webauthn_unavailable).
  void set_webauthn_origin(std::string origin);
  // Enrols a device's platform credential (credential id, P-256 public key as SPKI DER) in a
  // proof-carrying step of operation webauthn_enrol over credential_id ‖ public_key, replacing an
  // earlier one of that device; the owner is notified as of a device added. From then on a sign
  // or decrypt step of that device may carry an assertion instead of the proof. Own transaction.
  // Errors: webauthn_unavailable (412), webauthn_bad_public_key, invalid_field, and every refusal
  // of a step (bad_unlock_proof, key_locked, …).
  Status enrol_webauthn(const std::string& account_id, const ShieldStep& step, BytesView credential_id,
                        BytesView public_key);

  // ---- recovery, records ----
  // Unlocks a locked key / sets a new certificate password for one device after an SMS code
  // (authorise), the login password and a fresh identity check (IdentityVerifier::recheck on the
  // face image); rotates that device's recovery key and raises kCertificatePasswordRecovered.
  // Errors: key_not_found, key_retired, device_not_active, person_not_verified, the SMS code's,
  // wrong_password (403), identity_check_failed (403), identity_check_needs_review (409),
  // unsupported_file_type (415), invalid_field. Nothing but a refusal event changes on a refusal.
  Result<RecoveryResult> recover(const std::string& account_id, const std::string& key_id, const RecoveryRequest& r);
  // A new certificate password for a device that joined a key through a grant, after the grant's
  // area checked a reset the key's holder authorised (docs/CLOUDKEY.md: a delegate's password
  // reset); as recover() without its factors, for that granted device of account_id only. Sets
  // the device's unlock material and rotates its recovery key (returned with the one to use).
  // Errors: device_not_active (403: not account_id's active device under grant_id), key_retired.
  // Own transaction.
  Result<RecoveryResult> reset_granted_device(const std::string& account_id, const std::string& key_id,
                                              const std::string& device_id, const std::string& grant_id,
                                              BytesView auth_key, BytesView salt);
  // A new certificate password for the key holder's own device, after another area checked its
  // own recovery factors (docs/CLOUDKEY.md: a staff member's picture captcha and SMS code; the
  // tenant vouched for who holds the phone); as recover() without its factors: sets the device's
  // unlock material, unlocks a locked key, rotates the device's recovery key (returned with the
  // one to use) and raises kCertificatePasswordRecovered. `checked_by` names the factors in the
  // key's event. Errors: key_not_found (not account_id's key), key_retired, device_not_active
  // (403: not an active device of the holder's own, a granted device included). Own transaction.
  Result<RecoveryResult> reset_own_device(const std::string& account_id, const std::string& key_id,
                                          const std::string& device_id, BytesView auth_key, BytesView salt,
                                          const std::string& checked_by);
  Result<std::vector<ShieldEventView>> events(const std::string& account_id, const std::string& key_id,
                                              const std::string& after, int limit);

 private:
  struct StepOutcome;
  using StepFn = std::function<Result<Bytes>(store::Tx&, const std::string& device_id, const SecretBytes& share)>;
  Result<Bytes> run_step(const std::string& account_id, const std::string& operation, const ShieldStep& step,
                         const StepFn& fn);
  // Empty when the step's WebAuthn assertion unlocks it (and the credential's counter is moved
  // on); otherwise the failed check's code (webauthn_assertion.h, webauthn_not_enrolled,
  // webauthn_unknown_credential). Inside run_step's transaction.
  Result<std::string> webauthn_refusal(store::Tx& tx, const ShieldStep& step, const std::string& operation);
  Result<InstallResult> enrol(const std::string& account_id, const std::string& order_id, const std::string& request_id,
                              const DeviceEnrolment& device, const std::optional<std::string>& reissue_of,
                              const std::string& code, const ReissueProof* proof = nullptr);
  // shield_guard.cpp: the gates of reissue and of organisation certificates (reviews H1, H2).
  Status check_reissue(const std::string& account_id, const HeldCertificate& old, const std::string& code,
                       const ReissueProof& proof);
  Status check_identity_again(const std::string& account_id, const ReissueProof& proof);
  // Whether account_id may hold a certificate of order `o` now: personal ones always; an
  // organisation's only as an active member with role admin or legal_representative, or the role
  // it was ordered under. Errors: not_an_active_member, role_may_not_hold (403).
  Status check_org_holder(store::Tx& tx, const std::string& account_id, const OrderView& o);
  // A device's current recovery key (the key's legacy one for devices made before per-device keys).
  Result<Bytes> recovery_key_of(store::Tx& tx, const std::string& key_id, const std::string& device_id);
  // A fresh recovery key for the device, stored sealed; returns it.
  Result<Bytes> rotate_recovery_key(store::Tx& tx, const std::string& key_id, const std::string& device_id);
  Result<InstallResult> replay(store::Tx& tx, const std::string& account_id, const std::string& request_id,
                               const DeviceEnrolment& device);
  Result<HeldCertificate> held(store::Tx& tx, const std::string& account_id, const std::string& cert_id);
  // True when order_id names no order: the certificate came from install_issued.
  Result<bool> issued_certificate(store::Tx& tx, const std::string& order_id);
  // The certificate of org_id, for an active admin of it (org_certificates.cpp).
  Result<HeldCertificate> org_held(store::Tx& tx, const std::string& admin_account_id, const std::string& org_id,
                                   const std::string& cert_id);
  Status require_org_admin(store::Tx& tx, const std::string& account_id, const std::string& org_id);
  // renew, with the renewal order looked up (and completed) as payer_account_id's: the holder's
  // own, or the organisation's admin's (org_renew, which checked the admin first).
  Result<ca::CertificateRecord> renew_paid_by(const std::string& account_id, const std::string& payer_account_id,
                                              const std::string& cert_id, const std::string& request_id,
                                              const std::string& order_id);
  // Orders for several certificates: the request id of this installation —
  // the earlier one of this device request (a retry), or the next free one; already_installed
  // once all `quantity` certificates are installed.
  Result<std::string> install_request_id(store::Tx& tx, const std::string& account_id, const std::string& order_id,
                                         const DeviceEnrolment& device);
  // Counts one installation of the order: the last one (the order's quantity) completes it; an
  // earlier one needs the order still approved.
  Status count_installation(store::Tx& tx, const std::string& account_id, const OrderView& order,
                            const std::string& certificate_id);
  Status record_successor(const std::string& account_id, const HeldCertificate& old,
                          const ca::CertificateRecord& next, const std::string& request_id);
  // The certificate an earlier call with this (prefixed) request id produced, if any.
  Result<std::optional<ca::CertificateRecord>> done_before(const std::string& account_id,
                                                           const std::string& request_id);
  // The SMS code of purpose authorise; a code bound to another operation is refused (scope: see
  // sms_scope); scope_required refuses unbound codes too.
  Status check_code(const std::string& account_id, const std::string& code, const std::string& scope = "",
                    bool scope_required = false);
  Result<Bytes> seal(BytesView plain, const std::string& aad);
  Result<SecretBytes> unseal(BytesView sealed, const std::string& aad);
  Status add_event(store::Tx& tx, const std::string& key_id, const std::string& account_id,
                   const std::string& device_id, const std::string& operation, const std::string& purpose,
                   const std::string& result, const std::string& document = {});
  Bytes random(std::size_t n);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  // rng_ under rng_mu_ draw by draw, for the long two-party P-256 computations (enrolment check,
  // the server's signing half): they run side by side and do not hold up the others.
  LockedRng locked_rng_{rng_, rng_mu_};
  ledger::Recorder* ledger_ = nullptr;
  Logger& log_;
  SecretBytes seal_key_;
  SmsCodeService& sms_codes_;
  SecurityNotices& notices_;
  OrderService& orders_;
  ca::CaService& ca_;
  IdentityVerifier& identity_;
  ShieldOptions opts_;
  BlobStore* blobs_ = nullptr;
  GrantGate* grants_ = nullptr;
  std::string webauthn_origin_;
  KeyStepGate* key_gate_ = nullptr;
};

// The sealing key of shield secrets, derived from the platform's master key.
SecretBytes shield_seal_key(BytesView master_key);

}  // namespace certseal::service
