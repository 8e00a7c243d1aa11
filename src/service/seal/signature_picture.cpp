#include "service/seal/signature_picture.h"

namespace certseal::service {

Result<std::optional<SignerPicture>> chosen_signature_seal(store::Tx& tx, const std::string& account_id,
                                                              const std::string& seal_id,
                                                              const std::string& signature_blob_id,
                                                              const std::string& certificate_id,
                                                              std::string_view what) {
  std::optional<store::Row> seal;
  if (!seal_id.empty()) {
    CS_ASSIGN(seal, tx.query_one("SELECT * FROM seals WHERE id = ? AND status <> 'deleted'", {seal_id}));
    if (!seal) return not_found("seal_not_found", "no such seal");
    if (seal->text("account_id") != account_id) return permission_denied("seal_not_yours", "this seal is not yours");
    if (seal->text("status") != "active") return conflict("seal_not_active", "this seal is not active");
    const std::string kind = seal->text("kind");
    if (kind != "handwritten" && kind != "personal_square") {
      return permission_denied("seal_kind_not_accepted",
                               "the " + std::string(what) + " is signed with a personal signature or seal");
    }
  } else if (signature_blob_id.empty()) {
    CS_ASSIGN(seal, tx.query_one("SELECT * FROM seals WHERE account_id = ? AND status = 'active' AND "
                                 "kind = 'handwritten' ORDER BY CASE WHEN certificate_id = ? THEN 0 ELSE 1 END, "
                                 "created_at DESC LIMIT 1",
                                 {account_id, certificate_id}));
  }
  if (!seal) return std::optional<SignerPicture>();
  SignerPicture p;
  p.seal_id = seal->text("id");
  p.png = seal->blob("picture_png");
  // The seal's GB/T 38540 data travels with the signature only when the seal is bound to the
  // certificate that signs.
  if (!seal->is_null("seseal") && seal->text("certificate_id") == certificate_id) p.seseal = seal->blob("seseal");
  return std::optional<SignerPicture>(std::move(p));
}

Result<SignerPicture> uploaded_signature(BlobStore& blobs, const std::string& account_id,
                                            const std::string& signature_blob_id) {
  if (signature_blob_id.empty()) {
    return invalid_argument("signature_picture_required",
                            "draw your handwritten signature (upload it with purpose handwritten_signature) or "
                            "make a handwritten seal first")
        .with_field("signature_blob_id", "required", "an upload with purpose handwritten_signature");
  }
  auto b = blobs.info(signature_blob_id);
  if (!b || b->owner_account_id != account_id || b->purpose != "handwritten_signature" || b->media_type != "image/png") {
    return invalid_argument("invalid_blob_id", "signature_blob_id must be your own handwritten_signature upload")
        .with_field("signature_blob_id", "invalid", "an upload of yours with purpose handwritten_signature (PNG)");
  }
  SignerPicture p;
  CS_ASSIGN(p.png, blobs.read(*b));
  p.blob_id = b->id;
  return p;
}

}  // namespace certseal::service
