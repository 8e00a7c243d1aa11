// The gates in front of the operations that hand a certificate identity to a new key or keep an
// organisation's certificate with a person (security review 1, H1 and H2). Kept apart from
// shield_service.cpp so that each gate is one small function.
#include "crypto/password.h"
#include "pki/crl.h"
#include "service/shield/shield_service.h"
#include "service/shield/shield_internal.h"

namespace certseal::service {

// Reissue (补发) makes a new key for the certificate's identity, so an SMS code alone must not
// be enough (review H1, attack A: SIM swap, password reset by SMS, reissue). In this order,
// cheapest and least revealing first:
//   1. the platform asked for it: an outstanding reissue notice on this certificate;
//   2. the login password was not reset by SMS within reissue_reset_block_s (a reset proves only
//      the SMS, which is what attack A has);
//   3. the SMS code (spent here);
//   4. the login password (re-authentication);
//   5. a fresh identity check of new ID card photos by the IdentityVerifier, unless the operator
//      who sent the notice verified the holder (operator review: identity_checked).
Status ShieldService::check_reissue(const std::string& account_id, const HeldCertificate& old,
                                    const std::string& code, const ReissueProof& proof) {
  if (old.reissue_notice.empty()) {
    return failed_precondition("reissue_not_requested",
                               "a certificate is reissued only after the platform asked for it; contact support");
  }
  CS_ASSIGN(auto account, db_.read_value<store::Row>([&](store::Tx& tx) -> Result<store::Row> {
    CS_ASSIGN(auto a, tx.query_one("SELECT password_hash, password_reset_at FROM accounts WHERE id = ?", {account_id}));
    if (!a) return not_found("account_not_found", "no such account");
    return *a;
  }));
  const std::int64_t reset_at = account.integer("password_reset_at");
  if (reset_at > 0 && clock_.now_unix() - reset_at < opts_.reissue_reset_block_s) {
    return failed_precondition("recent_password_reset",
                               "the login password was reset by SMS recently; reissue is possible again later");
  }
  // Only a code sent for reissuing this certificate (the SMS says so), never one sent "for an
  // order" (review L2).
  CS_TRY(check_code(account_id, code, "certificate_reissue:" + old.certificate_id, true));
  if (account.is_null("password_hash") || !crypto::password_verify(account.text("password_hash"), proof.password)) {
    return permission_denied("wrong_password", "the login password is wrong")
        .with_field("password", "wrong_password", "the login password is wrong");
  }
  // Operator review instead of the verifier: the operator checked the holder for this notice.
  if (old.reissue_identity_checked) {
    log_.info("reissue identity checked by an operator", {{"account_id", account_id},
                                                         {"certificate_id", old.certificate_id}});
    return {};
  }
  return check_identity_again(account_id, proof);
}

// The identity check of a reissue: the name and ID number of the account's verified person,
// with ID card photos uploaded for this purpose just now, go through the IdentityVerifier.
// A verifier that wants an operator (manual) refuses for now: identity_review_needed.
Status ShieldService::check_identity_again(const std::string& account_id, const ReissueProof& proof) {
  if (!blobs_) {
    return failed_precondition("identity_checks_unavailable", "identity checks are not available on this server");
  }
  const std::string oldest = format_rfc3339(clock_.now() - std::chrono::seconds(opts_.identity_photo_max_age_s));
  auto photo = [&](const std::string& id, const std::string& purpose, const std::string& field) -> Result<BlobInfo> {
    auto b = blobs_->info(id);
    if (!b || b->owner_account_id != account_id || b->purpose != purpose || b->created_at < oldest) {
      return invalid_argument("bad_upload", field + " must be an " + purpose + " photo you uploaded within the hour")
          .with_field(field, "bad_upload", "upload a new photo with purpose=" + purpose);
    }
    return b;
  };
  CS_ASSIGN(auto front, photo(proof.id_card_front, "id_card_front", "id_card_front"));
  CS_ASSIGN(auto back, photo(proof.id_card_back, "id_card_back", "id_card_back"));
  CS_ASSIGN(auto person, db_.read_value<store::Row>([&](store::Tx& tx) -> Result<store::Row> {
    CS_ASSIGN(auto p, tx.query_one("SELECT name, id_number FROM person_verifications WHERE account_id = ? AND "
                                   "status = 'verified' ORDER BY created_at DESC LIMIT 1",
                                   {account_id}));
    if (!p) return failed_precondition("person_not_verified", "real-name verification is needed first");
    return *p;
  }));
  PersonSubmission s;
  s.name = person.text("name");
  s.id_number = person.text("id_number");
  s.front_blob_id = front.id;
  s.back_blob_id = back.id;
  CS_ASSIGN(auto verdict, identity_.verify(s, front, back));
  switch (verdict.outcome) {
    case VerifierVerdict::Outcome::kVerified:
      log_.info("reissue identity check passed", {{"account_id", account_id}, {"verified_by", verdict.verified_by}});
      return {};
    case VerifierVerdict::Outcome::kNeedsReview:
      return failed_precondition("identity_review_needed",
                                 "the identity check needs an operator; contact support to reissue");
    case VerifierVerdict::Outcome::kRejected:
      break;
  }
  return permission_denied("identity_rejected", "the identity check failed: " + verdict.reason);
}

// ---- organisation certificates follow membership (review H2) ------------------------------

namespace {

// The one rule, shared by the checks before issuing and by sync(): see certificate_holders.h.
Result<bool> holder_allowed(store::Tx& tx, const std::string& account_id, const std::string& org_id,
                            const std::string& applicant_role) {
  CS_ASSIGN(auto m, tx.query_one("SELECT m.role FROM memberships m JOIN organisations o ON o.id = m.org_id "
                                 "JOIN accounts a ON a.id = m.account_id WHERE m.org_id = ? AND m.account_id = ? AND "
                                 "m.status = 'active' AND o.status = 'verified' AND a.status <> 'closed'",
                                 {org_id, account_id}));
  if (!m) return false;
  const std::string role = m->text("role");
  return role == "admin" || role == "legal_representative" || role == applicant_role;
}

}  // namespace

Status ShieldService::check_org_holder(store::Tx& tx, const std::string& account_id, const OrderView& o) {
  if (o.cert_type != "organisation" || o.org_id.empty()) return {};
  CS_ASSIGN(bool ok, holder_allowed(tx, account_id, o.org_id, o.applicant_role));
  if (!ok) {
    return permission_denied("not_an_active_member",
                             "only an active member of the organisation, in a role allowed to, holds its certificates");
  }
  return {};
}

Status ShieldService::sync(const std::string& account_id) {
  // Devices that joined organisation keys through grants of this account (docs/GRANTS.md): an
  // ended grant (membership over, window past, uses spent) leaves no usable share behind.
  if (grants_ != nullptr) {
    CS_TRY(db_.write([&](store::Tx& tx) { return grants_->drop_dead_shares(tx, account_id); }));
  }
  struct Doomed {
    std::string cert_id, key_id, org_id;
    bool closed = false;
  };
  CS_ASSIGN(auto doomed, db_.read_value<std::vector<Doomed>>([&](store::Tx& tx) -> Result<std::vector<Doomed>> {
    std::vector<Doomed> out;
    CS_ASSIGN(auto a, tx.query_one("SELECT status FROM accounts WHERE id = ?", {account_id}));
    if (!a) return out;
    const bool closed = a->text("status") == "closed";
    CS_ASSIGN(auto rows, tx.query("SELECT ac.certificate_id, ac.key_id, ac.org_id, ac.order_id, k.status AS key_status "
                                  "FROM account_certificates ac JOIN shield_keys k ON k.id = ac.key_id "
                                  "WHERE ac.account_id = ? AND ac.current = 1",
                                  {account_id}));
    for (const auto& r : rows) {
      if (r.text("key_status") == "retired") continue;
      Doomed d{r.text("certificate_id"), r.text("key_id"), r.text("org_id"), closed};
      if (!closed) {
        if (d.org_id.empty()) continue;
        CS_ASSIGN(auto o, tx.query_one("SELECT applicant_role FROM orders WHERE id = ?", {r.text("order_id")}));
        CS_ASSIGN(bool ok, holder_allowed(tx, account_id, d.org_id, o ? o->text("applicant_role") : ""));
        if (ok) continue;
      }
      out.push_back(std::move(d));
    }
    return out;
  }));
  for (const auto& d : doomed) {
    const auto reason = d.closed ? pki::RevocationReason::kCessationOfOperation : pki::RevocationReason::kAffiliationChanged;
    CS_ASSIGN(auto rec, ca_.get(d.cert_id));
    if (rec.status == "valid") CS_TRY(ca_.revoke("holder:" + d.cert_id, d.cert_id, reason));
    std::optional<PendingSecuritySms> note;
    CS_TRY(db_.write([&](store::Tx& tx) -> Status {
      const std::string now = format_rfc3339_ms(clock_.now());
      CS_ASSIGN(auto n, shield_internal::retire_key(tx, d.key_id, now));
      if (n == 0) return {};  // a concurrent sync did it
      CS_TRY(add_event(tx, d.key_id, account_id, "", "revoke",
                       "certificate " + d.cert_id + (d.closed ? " account closed" : " membership ended"), "ok"));
      if (!d.closed) {
        CS_ASSIGN(auto pending,
                  notices_.record(tx, account_id, SecurityEvent::kCertificateRevokedMembership, "", d.cert_id));
        note = std::move(pending);
      }
      return {};
    }));
    if (note) notices_.send(*note);
    log_.info("certificate revoked: holder no longer allowed",
              {{"certificate_id", d.cert_id}, {"account_id", account_id}, {"closed", d.closed}});
  }
  return {};
}

Status ShieldService::sweep() {
  if (grants_ != nullptr) {
    CS_TRY(db_.write([&](store::Tx& tx) { return grants_->drop_dead_shares(tx, ""); }));
  }
  CS_ASSIGN(auto rows, db_.read_value<store::Rows>([&](store::Tx& tx) {
    return tx.query("SELECT DISTINCT ac.account_id FROM account_certificates ac "
                    "JOIN shield_keys k ON k.id = ac.key_id JOIN accounts a ON a.id = ac.account_id "
                    "WHERE ac.current = 1 AND k.status <> 'retired' AND (ac.org_id IS NOT NULL OR a.status = 'closed')");
  }));
  Status first;
  for (const auto& r : rows) {
    if (Status s = sync(r.text("account_id")); !s && first.ok()) first = std::move(s);
  }
  return first;
}

}  // namespace certseal::service
