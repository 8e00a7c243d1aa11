// SealService: electronic seals (电子印章, SPEC §6) — one per certificate (一证一章), made by
// template or drawing, reviewed by an operator, signed as GB/T 38540 seal data by a seal maker
// (印章机构) whose SM2 key sits in the key manager and whose seal-maker certificate comes from
// the platform's SM2 CA; replaced, deleted, used (every use recorded), and following its
// certificate through renewal, change, reissue and revocation.
//
// Lifecycle (seals.status):
//   make / replace ──► pending_review ──approve──► active ──(certificate revoked)──► revoked
//                            └──reject──► rejected ──replace──► pending_review
//   any but deleted ──delete──► deleted   (the certificate may then carry a new seal)
// One certificate carries at most one seal that is not deleted: a unique index on the database
// decides it (two concurrent makes: one gets seal_exists), on both engines.
//
// Made while buying: a seal may be made for the caller's certificate order before its
// certificate exists (the purchase step "choose how the seal is made"); it waits unbound and is
// bound, on the next read, use or review, to the first installed certificate of that order that
// has no seal, and checked against it then (a name that does not fit: rejected with the reason).
// It cannot be approved or used while unbound.
//
// Following the certificate: a renewal, change or reissue gives the certificate a successor
// (pki_certificate.predecessor_id). Whenever a seal is read or used, and in sweep(), a seal whose
// certificate has a successor held by the same account moves to it and, if active, its seal data
// is re-signed for the new certificate (event "rebound"); a seal whose certificate is revoked
// without a successor becomes revoked and can never be used again.
//
// Who: every account call acts for account_id and answers seal_not_found (404) for seals of other
// accounts and certificate_not_found for certificates it does not hold; the review calls are for
// operators (the route decides). Errors (stable codes): certificate_not_found,
// certificate_revoked, seal_exists (409), seal_kind_not_allowed (the kind does not fit the
// certificate: personal → handwritten / personal_square; organisation → official, contract,
// finance, invoice, legal_representative), seal_name_mismatch (a template's name is not the
// certificate's organisation or person), seal_maker_not_found, seal_maker_not_certified,
// order_not_found, certificate_not_installed (approving an unbound seal), seal_not_found,
// seal_not_active (not reviewed, rejected, revoked, unbound), bad_seal_status (e.g.
// approving a seal that is not pending), the picture errors of seal/seal_picture.h and
// seal/signature.h. Each method opens its own transaction(s).
// Thread-safety: all methods may be called concurrently; state is in the database.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "keystore/key_manager.h"
#include "seal/seal_picture.h"
#include "seal/signature.h"
#include "service/blob/blob_store.h"
#include "service/ca/ca_service.h"
#include "service/ledger/recorder.h"
#include "service/seal/seal_grant_gate.h"
#include "store/db.h"

namespace certseal::service {

// How a seal's picture is made.
struct SealDesign {
  std::string method;          // "template", "drawing" or "photo"
  seal::SealTemplate tmpl;     // template: kind comes from the seal's kind
  seal::Signature signature;   // drawing: handwritten signatures
  std::string photo_blob_id;   // photo: an upload of the caller, purpose seal_photo (JPEG or PNG)
  double photo_size_mm = 0;    // photo: width of the cleaned seal (0: the kind's usual size)
  Bytes photo;                 // photo: the bytes, filled by SealService from the upload
};

struct MakeSealInput {
  // Exactly one: a certificate the caller holds, or (while buying) the caller's certificate order
  // whose certificate is not installed yet; the seal is bound to it once it is.
  std::string certificate_id;
  std::string order_id;
  std::string kind;      // official | contract | finance | invoice | legal_representative | personal_square | handwritten
  std::string maker_id;  // empty: the seal maker of the certificate's order, else the first certified maker
  SealDesign design;
};

struct SealView {
  std::string id, account_id, certificate_id, order_id, maker_id, kind, method, name, status, reason, reviewed_by, reviewed_at,
      created_at, updated_at;
  double width_mm = 0, height_mm = 0;
  bool has_seal_data = false;
};

struct SealEventView {
  std::string id, action, actor, detail, at;
};

// What a use hands back: the picture to place and the signed seal data.
struct SealUse {
  SealView seal;
  Bytes picture_png;
  Bytes seseal;  // GB/T 38540 v4 DER
};

struct SealMakerCredential {
  std::string maker_id, ca_id, key_id, certificate_id, uscc, created_at;
};

struct SealServiceOptions {
  std::string maker_ca_id;  // the SM2 CA that certifies seal makers
  int maker_validity_days = 3650;
  double stored_dpi = 300;  // resolution of the stored PNG
};

// Picture of a design, without storing anything (the live preview). kind as in MakeSealInput.
Result<seal::SealPicture> render_design(const std::string& kind, const SealDesign& design, double dpi);

struct SealRow;  // a stored seal (seal_internal.h)

class SealService {
 public:
  SealService(store::Database& db, ca::CaService& ca, keystore::KeyManager& km, const Clock& clock, Rng& rng,
              Logger& log, SealServiceOptions opts);

  // Wiring (src/app): where photo designs come from. Without it the photo method answers
  // photo_unavailable.
  void set_blob_store(BlobStore* blobs) { blobs_ = blobs; }
  // Organisation seal grants (docs/GRANTS.md): another account uses a seal only through a live
  // grant, checked and counted by the gate in the use's transaction. Unset: only the holder.
  void set_grant_gate(SealGrantGate* gate) { grants_ = gate; }
  // The transparency log (docs/LEDGER.md "Seals"): every seal event (made, replaced, deleted,
  // approved, rejected, bound, rebound, revoked, used, use refused) also appends one entry in the
  // same transaction. Unset (unit tests of other areas): seal_events only.
  void set_ledger(ledger::Recorder* recorder) { ledger_ = recorder; }
  // Fills design.photo from the caller's upload (purpose seal_photo). Errors: photo_not_found
  // (no such upload of this account), photo_unavailable.
  Status load_photo(const std::string& account_id, SealDesign& design);

  // ---- seal makers (operators; also the demo catalogue) ----
  // Gives a catalogue seal maker its SM2 key (key manager) and seal-maker certificate from the
  // maker CA (profile seal_maker: organisation = the maker's name, uscc). Idempotent: a maker
  // that has one keeps it. Errors: seal_maker_not_found, bad_uscc, the CA's errors.
  Result<SealMakerCredential> certify_maker(const std::string& maker_id, const std::string& uscc);
  Result<std::vector<SealMakerCredential>> maker_credentials();

  // ---- the holder's seals ----
  Result<SealView> make(const std::string& account_id, const MakeSealInput& in);
  // New picture (new review); the seal's kind stays.
  Result<SealView> replace(const std::string& account_id, const std::string& seal_id, const SealDesign& design);
  Status remove(const std::string& account_id, const std::string& seal_id);
  Result<std::vector<SealView>> list(const std::string& account_id);
  Result<SealView> get(const std::string& account_id, const std::string& seal_id);
  Result<Bytes> picture(const std::string& account_id, const std::string& seal_id, bool svg);
  Result<Bytes> seal_data(const std::string& account_id, const std::string& seal_id);  // seal_not_active before review
  // Uses the seal (purpose: what for, e.g. "sign:contract.pdf"): active seal, certificate not
  // revoked; the use is recorded. Errors: seal_not_found, seal_not_active, certificate_revoked.
  Result<SealUse> use(const std::string& account_id, const std::string& seal_id, const std::string& purpose);
  Result<std::vector<SealEventView>> events(const std::string& account_id, const std::string& seal_id);

  // ---- operator review (审核) ----
  Result<std::vector<SealView>> review_queue();
  Result<SealView> review_get(const std::string& seal_id);
  Result<Bytes> review_picture(const std::string& seal_id);
  // Signs the seal data (maker key) for the seal's current certificate and activates the seal.
  Result<SealView> approve(const std::string& operator_id, const std::string& seal_id);
  Result<SealView> reject(const std::string& operator_id, const std::string& seal_id, const std::string& reason);

  // Applies certificate changes to every seal (for the scheduled jobs); returns how many changed.
  Result<int> sweep();

 private:
  using Row = SealRow;
  Result<Row> load_owned(store::Tx& tx, const std::string& account_id, const std::string& seal_id);
  Result<Row> load(store::Tx& tx, const std::string& seal_id);
  Status follow(store::Tx& tx, Row& row);
  Result<Bytes> sign_seal(store::Tx& tx, const Row& row);
  // One seal event: a row of seal_events and, with a recorder, an entry of the transparency log.
  // result: "ok", or the refusal's code (use_refused).
  Status record(store::Tx& tx, const std::string& seal_id, const std::string& action, const std::string& actor,
                const std::string& detail, const std::string& result = "ok");
  std::string now_text() const;

  store::Database& db_;
  ca::CaService& ca_;
  keystore::KeyManager& km_;
  const Clock& clock_;
  Rng& rng_;
  Logger& log_;
  SealServiceOptions opts_;
  SealGrantGate* grants_ = nullptr;
  BlobStore* blobs_ = nullptr;
  ledger::Recorder* ledger_ = nullptr;
};

}  // namespace certseal::service
