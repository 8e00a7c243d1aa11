// Real-name verification of a person (个人实名认证): agreement, name, ID number (GB 11643 check),
// an SMS code to the account's phone, both sides of the ID card (JPEG/PNG, checked by content),
// then an identity/liveness check by a pluggable IdentityVerifier, and operator review.
//
// Verifiers:
// - DevIdentityVerifier: accepts well-formed input and records verified_by = "dev" and, as its
//   liveness note, that it compared no face and checked nothing (it is NOT a real check; for
//   development and demos only).
// - ManualIdentityVerifier: decides nothing; every submission waits for an operator.
// A real provider (face comparison against the ID photo) is a new class behind the interface.
//
// recheck() is the fresh identity check before a security-sensitive act of an already verified
// person (recovering a certificate password, docs/SHIELD.md "Recovery"): a face image taken now,
// compared with the verified name and ID number. The dev verifier accepts any well-formed image
// and says so (verified_by "dev"); the manual one answers kNeedsReview.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/account/agreements.h"
#include "service/account/sms_codes.h"
#include "service/blob/blob_store.h"
#include "store/db.h"

namespace certseal::service {

struct PersonSubmission {
  std::string name;
  std::string id_number;
  std::int64_t agreement_version = 0;
  std::string sms_code;
  std::string front_blob_id;
  std::string back_blob_id;
  // Liveness / face step: the upload id (purpose face_image) of the live face photo the client
  // took, which a real verifier compares with the ID card photo (and the authority's record).
  // Optional for now (clients that do not send one yet): a verdict without it says so.
  std::string face_image;
};

// The verified person a recheck is about.
struct VerifiedPerson {
  std::string account_id, name, id_number;
};

struct VerifierVerdict {
  enum class Outcome { kVerified, kRejected, kNeedsReview } outcome;
  std::string verified_by;  // provider name when verified
  std::string reason;       // when rejected; when verified, the provider's note on what it checked
};

class IdentityVerifier {
 public:
  virtual ~IdentityVerifier() = default;
  virtual std::string_view name() const = 0;
  virtual Result<VerifierVerdict> verify(const PersonSubmission& s, const BlobInfo& front,
                                         const BlobInfo& back) = 0;
  // face_image: JPEG or PNG bytes (media type checked by the caller).
  virtual Result<VerifierVerdict> recheck(const VerifiedPerson& who, BytesView face_image) = 0;
};

class DevIdentityVerifier final : public IdentityVerifier {
 public:
  std::string_view name() const override { return "dev"; }
  Result<VerifierVerdict> verify(const PersonSubmission& s, const BlobInfo&, const BlobInfo&) override {
    // Recorded with the verification (liveness_note): nothing was really checked.
    return VerifierVerdict{VerifierVerdict::Outcome::kVerified, "dev",
                           s.face_image.empty()
                               ? "development verifier: no face image given; nothing was checked"
                               : "development verifier: face image received but not compared; nothing was checked"};
  }
  // NOT a face comparison: records verified_by "dev" so that every record shows it.
  Result<VerifierVerdict> recheck(const VerifiedPerson&, BytesView face_image) override {
    if (face_image.empty()) return VerifierVerdict{VerifierVerdict::Outcome::kRejected, "", "no face image"};
    return VerifierVerdict{VerifierVerdict::Outcome::kVerified, "dev", ""};
  }
};

class ManualIdentityVerifier final : public IdentityVerifier {
 public:
  std::string_view name() const override { return "manual"; }
  Result<VerifierVerdict> verify(const PersonSubmission&, const BlobInfo&, const BlobInfo&) override {
    return VerifierVerdict{VerifierVerdict::Outcome::kNeedsReview, "", ""};
  }
  Result<VerifierVerdict> recheck(const VerifiedPerson&, BytesView) override {
    return VerifierVerdict{VerifierVerdict::Outcome::kNeedsReview, "", ""};
  }
};

struct PersonVerification {
  std::string id, account_id, name, id_number, front_blob_id, back_blob_id, status, verified_by,
      reviewer_id, reason, created_at, decided_at;
  std::string face_blob_id;   // the liveness step's face image ("" when none was given)
  std::string liveness_note;  // what the verifier says it checked
  std::int64_t agreement_version = 0;
};

class PersonVerificationService {
 public:
  PersonVerificationService(store::Database& db, const Clock& clock, Rng& rng, Logger& log,
                            SmsCodeService& sms, BlobStore& blobs, IdentityVerifier& verifier)
      : db_(db), clock_(clock), rng_(rng), log_(log), sms_(sms), blobs_(blobs), verifier_(verifier) {}

  // 409 already_verified when the account is verified; 409 verification_pending when one waits.
  Result<PersonVerification> submit(const std::string& account_id, const std::string& phone,
                                    const PersonSubmission& s, const std::string& remote_addr);
  // The newest submission of the account; 404 when there is none.
  Result<PersonVerification> current(const std::string& account_id);
  Result<PersonVerification> get(const std::string& id);
  Result<std::vector<PersonVerification>> list(const std::string& status, const std::string& after,
                                               int limit);
  // Operator decisions on a pending submission; 409 not_pending otherwise.
  Result<PersonVerification> approve(const std::string& id, const std::string& operator_id);
  Result<PersonVerification> reject(const std::string& id, const std::string& operator_id,
                                    const std::string& reason);

 private:
  Result<PersonVerification> decide(const std::string& id, const std::string& operator_id,
                                    bool approve, const std::string& reason);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  SmsCodeService& sms_;
  BlobStore& blobs_;
  IdentityVerifier& verifier_;
};

}  // namespace certseal::service
