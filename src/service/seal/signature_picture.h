// The handwritten-signature picture placed on a document the signer signs digitally (the admin
// letter, the application form): the seal the signer names, else an upload of theirs, else their
// active handwritten seal (the one bound to the signing certificate first).
//
// Two steps, because the seal is read inside the caller's read transaction and the upload outside
// any (BlobStore opens its own):
//   1. chosen_signature_seal(tx, ...) inside the transaction;
//   2. when it found no seal, uploaded_signature(blobs, ...) after it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "service/blob/blob_store.h"
#include "store/db.h"

namespace certseal::service {

struct SignerPicture {
  std::string seal_id;  // the seal used ("" for an upload)
  std::string blob_id;  // the upload used ("" for a seal)
  Bytes png;
  Bytes seseal;  // the seal's GB/T 38540 data, only when the seal is bound to the signing certificate
};

// Step 1. `seal_id` given: that seal, the signer's own, active, a handwritten signature or a
// personal square seal (else seal_not_found 404, seal_not_yours 403, seal_not_active 409,
// seal_kind_not_accepted 403 saying "the <what> is signed with ..."). No seal and no upload given:
// the signer's active handwritten seal, if any. Returns nullopt when step 2 must answer.
Result<std::optional<SignerPicture>> chosen_signature_seal(store::Tx& tx, const std::string& account_id,
                                                              const std::string& seal_id,
                                                              const std::string& signature_blob_id,
                                                              const std::string& certificate_id,
                                                              std::string_view what);

// Step 2: the signer's own upload with purpose handwritten_signature (PNG). Errors:
// signature_picture_required (nothing given and no seal kept), invalid_blob_id.
Result<SignerPicture> uploaded_signature(BlobStore& blobs, const std::string& account_id,
                                            const std::string& signature_blob_id);

}  // namespace certseal::service
