#include "service/identity/person_verification.h"

#include "base/id.h"
#include "store/page_query.h"
#include "service/account/validation.h"
#include "service/notify/inbox.h"

namespace certseal::service {
namespace {

PersonVerification from_row(const store::Row& r) {
  PersonVerification v;
  v.id = r.text("id");
  v.account_id = r.text("account_id");
  v.name = r.text("name");
  v.id_number = r.text("id_number");
  v.front_blob_id = r.text("front_blob_id");
  v.back_blob_id = r.text("back_blob_id");
  v.status = r.text("status");
  v.verified_by = r.text("verified_by");
  v.reviewer_id = r.text("reviewer_id");
  v.reason = r.text("reason");
  v.created_at = r.text("created_at");
  v.decided_at = r.text("decided_at");
  v.agreement_version = r.integer("agreement_version");
  v.face_blob_id = r.is_null("face_blob_id") ? "" : r.text("face_blob_id");
  v.liveness_note = r.is_null("liveness_note") ? "" : r.text("liveness_note");
  return v;
}

Error field(std::string f, std::string code, std::string msg) {
  Error e = invalid_argument(code, msg);
  e.fields.push_back({std::move(f), std::move(code), std::move(msg)});
  return e;
}

}  // namespace

Result<PersonVerification> PersonVerificationService::submit(const std::string& account_id,
                                                             const std::string& phone,
                                                             const PersonSubmission& s,
                                                             const std::string& remote_addr) {
  CS_TRY(validate_name(s.name, "name", 50));
  CS_TRY(validate_id_number(s.id_number));
  // The photos must be the caller's own uploads, made for these purposes.
  CS_ASSIGN(auto front, blobs_.info(s.front_blob_id));
  CS_ASSIGN(auto back, blobs_.info(s.back_blob_id));
  if (front.owner_account_id != account_id || front.purpose != "id_card_front") {
    return field("id_card_front", "bad_upload", "id_card_front must be your own id_card_front upload");
  }
  if (back.owner_account_id != account_id || back.purpose != "id_card_back") {
    return field("id_card_back", "bad_upload", "id_card_back must be your own id_card_back upload");
  }
  if (!s.face_image.empty()) {
    CS_ASSIGN(auto face, blobs_.info(s.face_image));
    if (face.owner_account_id != account_id || face.purpose != "face_image") {
      return field("face_image", "bad_upload", "face_image must be your own face_image upload");
    }
  }
  CS_ASSIGN(bool has_earlier, db_.read_value<bool>([&](store::Tx& tx) -> Result<bool> {
    CS_ASSIGN(auto r, tx.query_one("SELECT status FROM person_verifications WHERE account_id = ? AND "
                                   "status IN ('verified', 'pending') LIMIT 1",
                                   {account_id}));
    if (r && r->text("status") == "verified") {
      return conflict("already_verified", "your identity is already verified");
    }
    return r.has_value();
  }));
  if (has_earlier) return conflict("verification_pending", "a verification is already waiting for review");
  // The agreement version must be the current one: accepting it is part of the submission.
  AgreementService agreements(db_, clock_, rng_);
  CS_TRY(agreements.accept(account_id, "person_verification", s.agreement_version, remote_addr));
  CS_TRY(sms_.verify(phone, SmsPurpose::kVerifyPerson, s.sms_code));

  CS_ASSIGN(auto verdict, verifier_.verify(s, front, back));
  PersonVerification v;
  v.id = new_uuid_v7(clock_, rng_);
  v.account_id = account_id;
  v.name = s.name;
  v.id_number = s.id_number;
  if (v.id_number.back() == 'x') v.id_number.back() = 'X';
  v.front_blob_id = s.front_blob_id;
  v.back_blob_id = s.back_blob_id;
  v.face_blob_id = s.face_image;
  v.agreement_version = s.agreement_version;
  v.created_at = format_rfc3339(clock_.now());
  switch (verdict.outcome) {
    case VerifierVerdict::Outcome::kVerified:
      v.status = "verified";
      v.verified_by = verdict.verified_by;
      v.liveness_note = verdict.reason;
      v.decided_at = v.created_at;
      break;
    case VerifierVerdict::Outcome::kRejected:
      v.status = "rejected";
      v.reason = verdict.reason;
      v.decided_at = v.created_at;
      break;
    case VerifierVerdict::Outcome::kNeedsReview: v.status = "pending"; break;
  }
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_TRY(tx.exec("INSERT INTO person_verifications (id, account_id, name, id_number, front_blob_id, "
                   "back_blob_id, agreement_version, status, verified_by, reason, created_at, decided_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   {v.id, v.account_id, v.name, v.id_number, v.front_blob_id, v.back_blob_id,
                    v.agreement_version, v.status,
                    v.verified_by.empty() ? store::Value() : store::Value(v.verified_by),
                    v.reason.empty() ? store::Value() : store::Value(v.reason), v.created_at,
                    v.decided_at.empty() ? store::Value() : store::Value(v.decided_at)}));
    CS_TRY(tx.exec("UPDATE person_verifications SET face_blob_id = ?, liveness_note = ? WHERE id = ?",
                   {v.face_blob_id.empty() ? store::Value() : store::Value(v.face_blob_id),
                    v.liveness_note.empty() ? store::Value() : store::Value(v.liveness_note), v.id}));
    return {};
  }));
  log_.info("person verification submitted", {{"verification_id", v.id}, {"status", v.status},
                                               {"verifier", verifier_.name()}});
  return v;
}

Result<PersonVerification> PersonVerificationService::current(const std::string& account_id) {
  return db_.read_value<PersonVerification>([&](store::Tx& tx) -> Result<PersonVerification> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM person_verifications WHERE account_id = ? "
                                   "ORDER BY created_at DESC, id DESC LIMIT 1",
                                   {account_id}));
    if (!r) return not_found("not_verified", "you have not submitted a real-name verification");
    return from_row(*r);
  });
}

Result<PersonVerification> PersonVerificationService::get(const std::string& id) {
  return db_.read_value<PersonVerification>([&](store::Tx& tx) -> Result<PersonVerification> {
    CS_ASSIGN(auto r, tx.query_one("SELECT * FROM person_verifications WHERE id = ?", {id}));
    if (!r) return not_found("verification_not_found", "no such verification");
    return from_row(*r);
  });
}

Result<std::vector<PersonVerification>> PersonVerificationService::list(const std::string& status,
                                                                        const std::string& after,
                                                                        int limit) {
  return db_.read_value<std::vector<PersonVerification>>(
      [&](store::Tx& tx) -> Result<std::vector<PersonVerification>> {
        CS_ASSIGN(auto rows, store::query_page(tx, {"SELECT * FROM person_verifications",
                                                    {{"status", status}}, "", "id", after, false, limit}));
        std::vector<PersonVerification> out;
        for (auto& r : rows) out.push_back(from_row(r));
        return out;
      });
}

Result<PersonVerification> PersonVerificationService::decide(const std::string& id,
                                                             const std::string& operator_id,
                                                             bool approve, const std::string& reason) {
  if (!approve && reason.empty()) {
    return field("reason", "required", "a rejection needs a reason the user will see");
  }
  CS_TRY(db_.write([&](store::Tx& tx) -> Status {
    CS_ASSIGN(auto n, tx.exec("UPDATE person_verifications SET status = ?, verified_by = ?, reviewer_id = ?, "
                              "reason = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
                              {approve ? "verified" : "rejected",
                               approve ? store::Value("operator") : store::Value(), operator_id,
                               reason.empty() ? store::Value() : store::Value(reason),
                               format_rfc3339(clock_.now()), id}));
    if (n != 1) {
      CS_ASSIGN(auto exists, tx.query_one("SELECT id FROM person_verifications WHERE id = ?", {id}));
      if (!exists) return not_found("verification_not_found", "no such verification");
      return Error(ErrorKind::kFailedPrecondition, "not_pending", "this verification has already been decided");
    }
    CS_ASSIGN(auto who, tx.query_one("SELECT account_id FROM person_verifications WHERE id = ?", {id}));
    CS_TRY(add_notification(tx, clock_, rng_, who->text("account_id"),
                            approve ? "person_verified" : "person_rejected",
                            approve ? std::string("您的实名认证已通过审核。") : "您的实名认证未通过审核：" + reason, id));
    return {};
  }));
  log_.info("person verification decided", {{"verification_id", id}, {"approved", approve},
                                             {"operator_id", operator_id}});
  return get(id);
}

Result<PersonVerification> PersonVerificationService::approve(const std::string& id,
                                                              const std::string& operator_id) {
  return decide(id, operator_id, true, "");
}

Result<PersonVerification> PersonVerificationService::reject(const std::string& id,
                                                             const std::string& operator_id,
                                                             const std::string& reason) {
  return decide(id, operator_id, false, reason);
}

}  // namespace certseal::service
