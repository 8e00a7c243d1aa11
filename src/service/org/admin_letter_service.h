// The admin-transfer letter (授权委托书, SPEC §4 "Transfer admin"; docs/ORGS.md "Admin transfer"):
// the admin role moves only after the current admin has signed a letter that says so.
//
// Life of a letter:
//   create (the admin or the legal representative acting as such)
//       -> pending: the platform draws the letter as a PDF (organisation name and unified social
//          credit code, the authorising person, the former and the new admin with masked ID
//          numbers, the date, the statement), places the signer's handwritten signature picture
//          on it and prepares it for signing exactly as scene 13 does (docsign/pdf_held.h: an
//          incremental update with a /Contents placeholder); the signed attributes go back to
//          the device, which signs them through the two-party shield (SM2 or RSA).
//   sign (the same person, the signature)
//       -> signed, once: the signature is checked under the named certificate, written into the
//          PDF (PAdES B-T with the platform's TSA, else B-B), and the whole file is checked by our
//          verifier (bytes intact, signature valid, certificate trusted and valid then, the
//          signer's certificate is the named one). In the same transaction the letter is marked
//          used, the roles change and the ledger records org.admin_transfer naming the letter.
//   past expires_at unsigned -> expired (nothing is accepted; draw a new one).
// Any refusal at sign changes nothing: the letter stays pending (until it expires) and the
// roles stay as they were.
//
// Who: the signer is the caller, who must be the organisation's admin or legal representative
// at create and again at sign; the certificate must be the caller's own (account_certificates),
// current, valid now and at sign. The signature picture: the seal given (the caller's own active
// handwritten signature or personal square seal), else an upload of the caller's with purpose
// handwritten_signature, else the caller's active handwritten seal (the one bound to the chosen
// certificate first). The signed PDF is downloadable by the signer, the former and the new
// admin, whoever is the organisation's admin or legal representative now, and operators.
//
// Contract: thread-safe; state lives in the database; each method opens its own transactions.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "base/rng.h"
#include "service/blob/blob_store.h"
#include "service/org/org_service.h"
#include "store/db.h"

namespace certseal::service {

struct AdminLetterOptions {
  std::int64_t ttl_s = 1800;  // an unsigned letter expires after this
};

struct AdminLetterView {
  std::string id, org_id, member_id, certificate_id, seal_id, status, signer_role, created_at, signed_at, level;
  std::string signer_account_id, former_admin_account_id, new_admin_account_id, signed_sha256;
  std::int64_t signing_time = 0, expires_at = 0;
  Bytes signed_attributes;  // pending only: what the device signs
  std::string algorithm;    // sm2-sm3 | rsa-sha256 | ecdsa-sha256
};

struct AdminLetterCreate {
  std::string member_id, certificate_id;
  std::string seal_id;            // optional
  std::string signature_blob_id;  // optional: an upload with purpose handwritten_signature
};

class AdminLetterService {
 public:
  AdminLetterService(store::Database& db, const Clock& clock, Rng& rng, Logger& log, OrgService& orgs,
                     BlobStore& blobs, AdminLetterOptions opts = {})
      : db_(db), clock_(clock), rng_(rng), log_(log), orgs_(orgs), blobs_(blobs), opts_(opts) {}

  // Wiring (src/app): the platform's RFC 3161 TSA (a TimeStampReq in, a TimeStampResp out); with
  // one, letters are PAdES B-T. Call before serving.
  void set_tsa(std::function<Bytes(BytesView)> tsa) { tsa_ = std::move(tsa); }

  // Errors: as OrgService::plan_admin_transfer; certificate_not_found (404: not the caller's, or
  // not current), certificate_not_valid (409: revoked or outside its validity); seal_not_found,
  // seal_not_yours (403), seal_not_active, seal_kind_not_accepted (403: not a personal
  // signature or seal); invalid_blob_id; signature_picture_required (no picture given or kept).
  Result<AdminLetterView> create(const std::string& account_id, const std::string& org_id, const AdminLetterCreate& in);

  // Errors: letter_not_found (404, also another person's letter), letter_used (409),
  // letter_expired (409), certificate_not_found / certificate_not_valid (409),
  // letter_signature_invalid (403: does not verify over the signed attributes under the named
  // certificate), letter_verification_failed (403: the finished PDF does not pass our verifier),
  // and the organisation's errors when the caller is no longer its admin. Returns the letter
  // (signed) and the new admin's membership.
  struct Signed {
    AdminLetterView letter;
    MemberView new_admin;
  };
  Result<Signed> sign(const std::string& account_id, const std::string& org_id, const std::string& letter_id,
                      BytesView signature);

  Result<AdminLetterView> get(const std::string& account_id, const std::string& org_id, const std::string& letter_id);
  // The signed letter (or, for its signer while pending, the prepared letter to read before
  // signing). Errors: letter_not_found (404) for anyone without the right to see it.
  Result<Bytes> pdf(const std::string& account_id, const std::string& org_id, const std::string& letter_id);
  // The first page of what pdf() gives the same caller, rendered as a PNG (96 dpi) for a phone to
  // show before signing (the signature's appearance included). Errors: as pdf(); render_failed.
  Result<Bytes> page_png(const std::string& account_id, const std::string& org_id, const std::string& letter_id);
  // Operators: any signed letter of the organisation.
  Result<Bytes> pdf_for_operator(const std::string& org_id, const std::string& letter_id);

 private:
  Result<AdminLetterView> load(store::Tx& tx, const std::string& org_id, const std::string& letter_id);

  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::mutex rng_mu_;
  Logger& log_;
  OrgService& orgs_;
  BlobStore& blobs_;
  AdminLetterOptions opts_;
  std::function<Bytes(BytesView)> tsa_;
};

}  // namespace certseal::service
