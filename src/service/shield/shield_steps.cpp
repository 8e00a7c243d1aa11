// ShieldService: the two-party steps (challenge, sign, decrypt, refresh, password change) behind
// the unlock proof and the failure budget (shield_service.h).
#include "service/shield/shield_service.h"

#include <algorithm>

#include "base/encoding.h"
#include "base/id.h"
#include "crypto/cipher.h"
#include "crypto/cosign.h"
#include "crypto/ecdsa_split.h"
#include "crypto/hash.h"
#include "crypto/pairing.h"
#include "crypto/password.h"
#include "crypto/pkey.h"
#include "crypto/rsa_split.h"
#include "crypto/unlock.h"
#include "pki/crl.h"
#include "service/shield/shield_internal.h"

namespace certseal::service {
namespace cosign = crypto::cosign;
using namespace shield_internal;

namespace {

// The digest a sign step's request names: e = SM3(Z_A ‖ M) for SM2, the SHA-256 digest inside
// the PKCS#1 v1.5 encoding for RSA, the SHA-256 digest of a P-256 request; empty when the
// request is none of them.
Bytes signed_digest_of(BytesView payload) {
  if (auto sm2 = cosign::SignRequest::decode(payload)) return sm2->e;
  if (auto ec = crypto::ecdsa_split::SignRequest::decode(payload)) return ec->digest;
  if (auto rsa = crypto::rsa_split::StepRequest::decode(payload)) {
    if (auto d = crypto::rsa_split::pkcs1_sha256_digest(rsa->x)) return *d;
  }
  return {};
}

Error sm2_only(std::string_view what) {
  return failed_precondition("algorithm_not_supported",
                             std::string(what) + " is not available for two-party RSA and P-256 keys (one device per key)");
}
bool split_share(BytesView s) {
  return crypto::rsa_split::ServerShare::is_rsa_share(s) || crypto::ecdsa_split::ServerShare::is_ecdsa_share(s);
}

}  // namespace

struct ShieldService::StepOutcome {
  std::optional<Error> refusal;
  Bytes answer;
  std::vector<PendingSecuritySms> notices;  // sent after the commit
};



Result<ChallengeView> ShieldService::challenge(const std::string& account_id, const std::string& key_id,
                                               const std::string& device_id) {
  ChallengeView c;
  c.nonce = base64url_encode(random(32));
  c.expires_at = clock_.now_unix() + opts_.challenge_ttl_s;
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id, status FROM shield_keys WHERE id = ?", {key_id}));
    if (!k) return key_not_found();
    if (k->text("account_id") != account_id) {
      // An employee's device that joined this key through a grant (docs/GRANTS.md).
      CS_ASSIGN(auto g, tx.query_one("SELECT 1 AS ok FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                     "account_id = ? AND grant_id IS NOT NULL",
                                     {key_id, device_id, account_id}));
      if (!g) return key_not_found();
    }
    if (k->text("status") == "locked") {
      return failed_precondition("key_locked", "this key is locked after too many wrong passwords; recover it first");
    }
    if (k->text("status") != "active") return failed_precondition("key_retired", "this key is no longer in use");
    CS_ASSIGN(auto d, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {key_id, device_id}));
    if (!d || d->text("status") != "active") return permission_denied("device_not_active", "this device holds no share of the key");
    CS_TRY(tx.exec("DELETE FROM shield_challenges WHERE expires_at < ?", {clock_.now_unix()}));
    CS_TRY(tx.exec("INSERT INTO shield_challenges (nonce, key_id, device_id, expires_at) VALUES (?, ?, ?, ?)",
                   {c.nonce, key_id, device_id, c.expires_at}));
    return {};
  }));
  return c;
}

Result<Bytes> ShieldService::run_step(const std::string& account_id, const std::string& operation,
                                      const ShieldStep& step, const StepFn& fn) {
  if (step.purpose.size() > 200) return field_error("purpose", "at most 200 bytes");
  // The platform authenticator unlocks the steps that use the key, nothing that changes it
  // (enrolment, password, refresh, adding a device need the password's proof).
  if (step.webauthn && operation != "sign" && operation != "decrypt") {
    return invalid_argument("webauthn_not_allowed", "this step needs the certificate password")
        .with_field("webauthn", "not_allowed", "give the proof of the certificate password");
  }
  const std::int64_t now = clock_.now_unix();
  CS_ASSIGN(auto out, db_.write_value<StepOutcome>([&](store::Tx& tx) -> Result<StepOutcome> {
    StepOutcome o;
    auto refuse = [&](Error e) -> Result<StepOutcome> {
      CS_TRY(add_event(tx, step.key_id, account_id, step.device_id, operation, step.purpose, e.code));
      o.refusal = std::move(e);
      return o;
    };
    // The key's row is locked first (a no-op update takes the row lock on PostgreSQL; SQLite has
    // one writer anyway) and read again after the lock, so the status and the failure count seen
    // below are those every other step of this key sees: concurrent guesses are evaluated one at
    // a time and none can pass the budget (review M1).
    CS_ASSIGN(auto locked_rows, tx.exec("UPDATE shield_keys SET failures = failures WHERE id = ?", {step.key_id}));
    if (locked_rows == 0) return key_not_found();
    CS_ASSIGN(auto k, tx.query_one("SELECT account_id, status, failures, failure_at FROM shield_keys WHERE id = ?",
                                   {step.key_id}));
    if (!k) return key_not_found();
    // The key's holder steps with any of its devices; anyone else only with their own device that
    // joined the key through an organisation grant (docs/GRANTS.md), checked by the gate below.
    std::string grant_id;
    if (k->text("account_id") != account_id) {
      CS_ASSIGN(auto gd, tx.query_one("SELECT grant_id FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                      "account_id = ? AND grant_id IS NOT NULL",
                                      {step.key_id, step.device_id, account_id}));
      if (!gd) return key_not_found();
      grant_id = gd->text("grant_id");
    }
    // Without a fresh challenge a step is not even an unlock attempt.
    CS_ASSIGN(auto used, tx.exec("DELETE FROM shield_challenges WHERE nonce = ? AND key_id = ? AND device_id = ? "
                                 "AND expires_at >= ?",
                                 {step.nonce, step.key_id, step.device_id, now}));
    if (used == 0) return refuse(invalid_argument("bad_nonce", "the challenge is unknown, used or expired"));
    if (k->text("status") == "locked") {
      return refuse(failed_precondition("key_locked", "this key is locked after too many wrong passwords; recover it first"));
    }
    if (k->text("status") != "active") return refuse(failed_precondition("key_retired", "this key is no longer in use"));
    const UnlockBudget budget{opts_.max_failures, opts_.failure_decay_s};
    const std::int64_t failures = budget.failures_now(k->integer("failures"), k->integer("failure_at"), now);
    if (failures >= opts_.max_failures) {
      // Only reachable if max_failures was lowered since: treat as locked.
      CS_TRY(tx.exec("UPDATE shield_keys SET status = 'locked' WHERE id = ?", {step.key_id}));
      return refuse(failed_precondition("key_locked", "this key is locked after too many wrong passwords; recover it first"));
    }
    CS_ASSIGN(auto d, tx.query_one("SELECT * FROM shield_devices WHERE key_id = ? AND device_id = ? AND "
                                   "status = 'active'",
                                   {step.key_id, step.device_id}));
    if (!d && !grant_id.empty()) {
      return refuse(permission_denied("device_not_active", "this device's grant share is deleted: the grant was taken "
                                                           "back, ran out or ended"));
    }
    if (!d) return refuse(permission_denied("device_not_active", "this device holds no share of the key"));
    CS_ASSIGN(auto auth, unseal(d->blob("auth_key_enc"), aad(step.key_id, step.device_id, "auth")));
    // The unlock: the password's proof, or the authenticator's assertion (webauthn_refusal);
    // either failing counts the same (docs/SHIELD.md).
    std::string unlock_refused;
    if (step.webauthn) {
      CS_ASSIGN(unlock_refused, webauthn_refusal(tx, step, operation));
    } else if (!crypto::unlock::check_proof(auth, operation, step.key_id, step.device_id, step.nonce, step.payload,
                                            step.proof)) {
      unlock_refused = "bad_unlock_proof";
    }
    const std::string what = step.webauthn ? "fingerprint or face check refused (" + unlock_refused + ")"
                                           : std::string("wrong certificate password");
    if (!grant_id.empty() && !unlock_refused.empty()) {
      // A granted device's wrong passwords do not spend the organisation key's budget (an
      // employee could lock the key for everyone): after max_failures of them that device's
      // server share is deleted instead.
      CS_ASSIGN(auto wrong, tx.query_one("SELECT COUNT(*) AS n FROM shield_events WHERE key_id = ? AND device_id = ? "
                                         "AND account_id = ? AND result = 'bad_unlock_proof'",
                                         {step.key_id, step.device_id, account_id}));
      const std::int64_t after = (wrong ? wrong->integer("n") : 0) + 1;
      if (after >= opts_.max_failures) {
        CS_TRY(tx.exec("UPDATE shield_devices SET status = 'removed', server_share_enc = NULL, auth_key_enc = NULL, "
                       "recovery_key_enc = NULL, removed_at = ? WHERE key_id = ? AND device_id = ?",
                       {format_rfc3339_ms(clock_.now()), step.key_id, step.device_id}));
        return refuse(permission_denied("bad_unlock_proof", what + "; this device's grant share is "
                                                                   "deleted: ask the admin to add the device again"));
      }
      return refuse(permission_denied("bad_unlock_proof", what + "; " + std::to_string(opts_.max_failures - after) +
                                                              " attempts left"));
    }
    if (!grant_id.empty()) {
      // The moment of use: the grant is checked and counted in this transaction, before the
      // server share is touched; a refusal commits with its record (and, for an ended grant,
      // with the deletion of the share).
      if (grants_ == nullptr) return refuse(permission_denied("grant_not_live", "grants are not available"));
      GrantedStep gs{grant_id, account_id, step.key_id, step.device_id, operation, step.purpose, {}};
      if (operation == "sign") gs.digest = signed_digest_of(step.payload);
      if (Status counted = grants_->use(tx, gs); !counted) {
        if (counted.error().kind == ErrorKind::kInternal) return std::move(counted).error();
        return refuse(std::move(counted).error());
      }
    } else if (!unlock_refused.empty()) {
      // A success never gives the budget back; only time does (UnlockBudget, docs/SHIELD.md).
      const std::int64_t after = failures + 1;
      const bool lock = after >= opts_.max_failures;
      CS_TRY(tx.exec("UPDATE shield_keys SET failures = ?, failure_at = ?, status = ?, updated_at = ? WHERE id = ?",
                     {after, now, lock ? "locked" : "active", format_rfc3339_ms(clock_.now()), step.key_id}));
      const std::string detail = "设备 " + d->text("name");
      CS_ASSIGN(auto note, notices_.record(tx, account_id, SecurityEvent::kUnlockFailed, detail, step.key_id));
      o.notices.push_back(std::move(note));
      if (lock) {
        CS_ASSIGN(auto locked_note, notices_.record(tx, account_id, SecurityEvent::kKeyLocked, "", step.key_id));
        o.notices.push_back(std::move(locked_note));
        return refuse(permission_denied("bad_unlock_proof", what + "; the key is now locked: recover it "
                                                                   "with an identity check"));
      }
      return refuse(permission_denied("bad_unlock_proof", what + "; " + std::to_string(opts_.max_failures - after) +
                                                              " attempts left"));
    }
    if (grant_id.empty() && key_gate_ != nullptr) {
      // The issuing area's rules for this key's devices (key_step_gate.h), after the proof.
      if (Status allowed = key_gate_->check(tx, {account_id, step.key_id, step.device_id, operation, step.purpose});
          !allowed) {
        if (allowed.error().kind == ErrorKind::kInternal) return std::move(allowed).error();
        return refuse(std::move(allowed).error());
      }
    }
    CS_ASSIGN(auto share, unseal(d->blob("server_share_enc"), aad(step.key_id, step.device_id, "share")));
    auto r = fn(tx, step.device_id, share);
    if (!r) {
      if (r.error().kind == ErrorKind::kInternal) return std::move(r).error();
      return refuse(std::move(r).error());
    }
    // A signature's log entry names the digest signed, e = SM3(Z_A || M) or the SHA-256 digest
    // of an RSA signature (docs/LEDGER.md).
    const Bytes signed_digest = operation == "sign" ? signed_digest_of(step.payload) : Bytes{};
    CS_TRY(add_event(tx, step.key_id, account_id, step.device_id, operation, step.purpose, "ok",
                     signed_digest.empty() ? std::string() : hex_encode(signed_digest)));
    o.answer = std::move(r).value();
    return o;
  }));
  for (const auto& n : out.notices) notices_.send(n);
  if (out.refusal) return *out.refusal;
  return out.answer;
}

Result<Bytes> ShieldService::sign(const std::string& account_id, const ShieldStep& step) {
  return run_step(account_id, "sign", step, [&](store::Tx&, const std::string&, const SecretBytes& s) -> Result<Bytes> {
    if (crypto::rsa_split::ServerShare::is_rsa_share(s)) {
      // Two-party RSA: the server exponentiates only a PKCS#1 v1.5 SHA-256 encoding.
      CS_ASSIGN(auto share, crypto::rsa_split::ServerShare::import_bytes(s));
      CS_ASSIGN(auto req, crypto::rsa_split::StepRequest::decode(step.payload));
      CS_ASSIGN(auto resp, crypto::rsa_split::server_sign(share, req));
      return resp.encode();
    }
    if (crypto::ecdsa_split::ServerShare::is_ecdsa_share(s)) {
      // Two-party ECDSA: R2 and c3 for the device's R1 and digest (Lindell 2017).
      CS_ASSIGN(auto share, crypto::ecdsa_split::ServerShare::import_bytes(s));
      CS_ASSIGN(auto req, crypto::ecdsa_split::SignRequest::decode(step.payload));
      CS_ASSIGN(auto resp, crypto::ecdsa_split::server_sign(share, req, locked_rng_));
      return resp.encode();
    }
    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
    CS_ASSIGN(auto req, cosign::SignRequest::decode(step.payload));
    std::lock_guard lock(rng_mu_);
    CS_ASSIGN(auto resp, cosign::server_sign(share, req, rng_));
    return resp.encode();
  });
}

Result<Bytes> ShieldService::decrypt(const std::string& account_id, const ShieldStep& step) {
  return run_step(account_id, "decrypt", step,
                  [&](store::Tx&, const std::string&, const SecretBytes& s) -> Result<Bytes> {
                    if (crypto::rsa_split::ServerShare::is_rsa_share(s)) {
                      // Two-party RSA: the device sent a blinded ciphertext c·r^e.
                      CS_ASSIGN(auto share, crypto::rsa_split::ServerShare::import_bytes(s));
                      CS_ASSIGN(auto req, crypto::rsa_split::StepRequest::decode(step.payload));
                      CS_ASSIGN(auto resp, crypto::rsa_split::server_decrypt(share, req));
                      return resp.encode();
                    }
                    if (crypto::ecdsa_split::ServerShare::is_ecdsa_share(s)) {
                      // Two-party ECDH: the device sent T1 = b·x1·R (blinded); T2 = x2·T1.
                      CS_ASSIGN(auto share, crypto::ecdsa_split::ServerShare::import_bytes(s));
                      CS_ASSIGN(auto req, crypto::ecdsa_split::EcdhRequest::decode(step.payload));
                      CS_ASSIGN(auto resp, crypto::ecdsa_split::server_ecdh(share, req));
                      return resp.encode();
                    }
                    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
                    CS_ASSIGN(auto req, cosign::DecryptRequest::decode(step.payload));
                    CS_ASSIGN(auto resp, cosign::server_decrypt(share, req));
                    return resp.encode();
                  });
}

Status ShieldService::refresh(const std::string& account_id, const ShieldStep& step) {
  CS_TRY(run_step(account_id, "refresh", step,
                  [&](store::Tx& tx, const std::string& device_id, const SecretBytes& s) -> Result<Bytes> {
                    if (split_share(s)) return sm2_only("share refresh");
                    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
                    CS_ASSIGN(auto req, cosign::RefreshRequest::decode(step.payload));
                    CS_ASSIGN(auto next, cosign::server_refresh(share, req));
                    CS_ASSIGN(auto sealed, seal(next.export_bytes(), aad(step.key_id, device_id, "share")));
                    CS_TRY(tx.exec("UPDATE shield_devices SET server_share_enc = ? WHERE key_id = ? AND device_id = ?",
                                   {sealed, step.key_id, device_id}));
                    return Bytes{};
                  }));
  return {};
}

Status ShieldService::change_password(const std::string& account_id, const ShieldStep& step) {
  if (step.payload.size() != kAuthKeySize + kSaltSize) return field_error("auth_key", "32 bytes, and salt 16 bytes");
  // The owner hears of it (review L8): a password change needs only the old password, which a
  // thief may have guessed.
  std::optional<PendingSecuritySms> note;
  CS_TRY(run_step(account_id, "password", step,
                  [&](store::Tx& tx, const std::string& device_id, const SecretBytes&) -> Result<Bytes> {
                    const BytesView p(step.payload);
                    CS_ASSIGN(auto sealed, seal(p.first(kAuthKeySize), aad(step.key_id, device_id, "auth")));
                    CS_TRY(tx.exec("UPDATE shield_devices SET auth_key_enc = ?, salt = ? WHERE key_id = ? AND "
                                   "device_id = ?",
                                   {sealed, Bytes(p.begin() + kAuthKeySize, p.end()), step.key_id, device_id}));
                    // The authenticator's copy was masked beside the old password's: it ends here.
                    CS_TRY(tx.exec("DELETE FROM shield_webauthn WHERE key_id = ? AND device_id = ?",
                                   {step.key_id, device_id}));
                    CS_ASSIGN(auto pending, notices_.record(tx, account_id, SecurityEvent::kCertificatePasswordChanged,
                                                            "设备 " + device_id, step.key_id));
                    note = std::move(pending);
                    return Bytes{};
                  }));
  if (note) notices_.send(*note);
  return {};
}

Status ShieldService::add_device(const std::string& account_id, const ShieldStep& step, const std::string& pairing_id,
                                 BytesView u, BytesView envelope) {
  if (envelope.empty() || envelope.size() > 4096) return field_error("envelope", "1 to 4096 bytes");
  CS_TRY(run_step(account_id, "add_device", step,
                  [&](store::Tx& tx, const std::string&, const SecretBytes& s) -> Result<Bytes> {
                    CS_ASSIGN(auto p, tx.query_one("SELECT * FROM shield_pairings WHERE id = ?", {pairing_id}));
                    if (!p) return not_found("pairing_not_found", "no such pairing");
                    // Another account's pairing only when it was made for a live grant of this
                    // key, and this account holds the key (docs/GRANTS.md).
                    const std::string pairing_grant = p->text("grant_id");
                    if (pairing_grant.empty() && p->text("account_id") != account_id) {
                      return not_found("pairing_not_found", "no such pairing");
                    }
                    if (!pairing_grant.empty()) {
                      if (grants_ == nullptr) return not_found("pairing_not_found", "no such pairing");
                      auto target = grants_->pairing_target(tx, pairing_grant);
                      if (!target || target->key_id != step.key_id || target->holder_account_id != account_id ||
                          target->employee_account_id != p->text("account_id")) {
                        if (target || target.error().code == "grant_not_found") {
                          return not_found("pairing_not_found", "no such pairing");
                        }
                        return std::move(target).error();
                      }
                    }
                    if (p->text("status") != "waiting" || p->integer("expires_at") < clock_.now_unix()) {
                      return failed_precondition("pairing_not_waiting", "this pairing was used or has expired");
                    }
                    const std::string new_device = p->text("device_id");
                    CS_ASSIGN(auto existing, tx.query_one("SELECT status FROM shield_devices WHERE key_id = ? AND "
                                                          "device_id = ?",
                                                          {step.key_id, new_device}));
                    if (existing && existing->text("status") != "removed") {
                      return Error(ErrorKind::kConflict, "device_exists", "that device has this key already");
                    }
                    if (split_share(s)) return sm2_only("adding a device");
                    // z = d2·u^-1, kept apart from working shares (its own sealing purpose) until
                    // the new device completes with y (complete_pairing).
                    CS_ASSIGN(auto share, cosign::ServerShare::import_bytes(s));
                    CS_ASSIGN(auto req, cosign::RefreshRequest::decode(u));
                    CS_ASSIGN(auto next, cosign::server_refresh(share, req));
                    CS_ASSIGN(auto sealed, seal(next.export_bytes(), aad(step.key_id, new_device, "pending")));
                    const std::string now = format_rfc3339_ms(clock_.now());
                    CS_TRY(tx.exec("DELETE FROM shield_devices WHERE key_id = ? AND device_id = ?",
                                   {step.key_id, new_device}));
                    CS_TRY(tx.exec("INSERT INTO shield_devices (key_id, device_id, name, status, server_share_enc, "
                                   "request_hash, created_at, grant_id, account_id) VALUES (?, ?, ?, 'pending', ?, ?, ?, "
                                   "?, ?)",
                                   {step.key_id, new_device, p->text("device_name"), sealed, "pairing:" + pairing_id,
                                    now, pairing_grant.empty() ? store::Value() : store::Value(pairing_grant),
                                    pairing_grant.empty() ? store::Value() : store::Value(p->text("account_id"))}));
                    CS_TRY(tx.exec("UPDATE shield_pairings SET status = 'delivered', key_id = ?, envelope = ? WHERE "
                                   "id = ?",
                                   {step.key_id, Bytes(envelope.begin(), envelope.end()), pairing_id}));
                    return Bytes{};
                  }));
  return {};
}

}  // namespace certseal::service
