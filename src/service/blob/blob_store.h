// Uploaded files (ID-card photos, business licences, signed letters): content-addressed files
// under <data_dir>/blobs/<sha256[0:2]>/<sha256>, mode 0600, written atomically (temp + rename),
// with a row per upload in `blobs` (owner, purpose, media type, size, hash).
//
// Images are checked by content, not by the declared type: JPEG must start FF D8 FF, PNG with the
// 8-byte PNG signature, PDF with "%PDF-". Contract: thread-safe.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rng.h"
#include "store/db.h"

namespace certseal::service {

struct BlobInfo {
  std::string id, sha256, media_type, owner_account_id, purpose, created_at;
  std::int64_t size = 0;
};

// "image/jpeg", "image/png", "application/pdf" from the bytes; nullopt if none of these.
std::optional<std::string> sniff_media_type(BytesView data);

class BlobStore {
 public:
  BlobStore(std::string dir, store::Database& db, const Clock& clock, Rng& rng,
            std::size_t max_bytes)
      : dir_(std::move(dir)), db_(db), clock_(clock), rng_(rng), max_bytes_(max_bytes) {}

  // Stores data for owner. `allowed` lists the media types accepted for this purpose; the
  // declared type must match what the bytes are. 413 blob_too_large, 415 unsupported_file_type.
  Result<BlobInfo> put(const std::string& owner_account_id, const std::string& purpose,
                       std::string_view declared_type, BytesView data,
                       std::initializer_list<std::string_view> allowed);
  Result<BlobInfo> info(const std::string& id);
  Result<Bytes> read(const BlobInfo& b);
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  std::string dir_;
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  std::size_t max_bytes_;
};

}  // namespace certseal::service
