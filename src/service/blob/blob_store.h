// Uploaded files (ID-card photos, business licences, signed letters): content-addressed files
// under <data_dir>/blobs/<sha256[0:2]>/<sha256>, mode 0600, written atomically (temp + rename),
// with a row per upload in `blobs` (owner, purpose, media type, size, hash).
//
// Images are checked by content, not by the declared type: JPEG must start FF D8 FF, PNG with the
// 8-byte PNG signature, PDF with "%PDF-". An image's declared dimensions are checked against
// BlobLimits::image at upload (docsign/image_probe.h), so a stored image is known to fit the
// decoders; nothing is decoded here.
//
// Quotas (security review M8): per owner, at most daily_count uploads and daily_bytes bytes in any
// 24 hours, and total_bytes bytes stored in all. The check and the new row are one write
// transaction that first locks the owner's account row (PostgreSQL: SELECT ... FOR UPDATE; SQLite
// has one writer), so concurrent uploads of one account cannot overshoot; the file is written
// only after the quota admitted it (an upload over quota puts nothing on disk), and its row is
// removed again if the write fails.
// Contract: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/rng.h"
#include "docsign/image_probe.h"
#include "store/db.h"

namespace certseal::service {

struct BlobInfo {
  std::string id, sha256, media_type, owner_account_id, purpose, created_at;
  std::int64_t size = 0;
};

// "image/jpeg", "image/png", "application/pdf" from the bytes; nullopt if none of these.
std::optional<std::string> sniff_media_type(BytesView data);

struct BlobLimits {
  std::size_t max_bytes = 5u << 20;              // one file
  docsign::ImageLimits image;                     // declared image dimensions
  std::int64_t daily_count = 100;                 // uploads per owner in any 24 hours
  std::int64_t daily_bytes = 200LL << 20;         // bytes per owner in any 24 hours
  std::int64_t total_bytes = 1LL << 30;           // bytes stored per owner in all
};

class BlobStore {
 public:
  BlobStore(std::string dir, store::Database& db, const Clock& clock, Rng& rng, BlobLimits limits)
      : dir_(std::move(dir)), db_(db), clock_(clock), rng_(rng), limits_(limits) {}
  // The default quotas and image limits with this per-file limit.
  BlobStore(std::string dir, store::Database& db, const Clock& clock, Rng& rng, std::size_t max_bytes)
      : BlobStore(std::move(dir), db, clock, rng, with_max_bytes(max_bytes)) {}

  // Stores data for owner, in its own transactions (never inside the caller's). `allowed` lists
  // the media types accepted for this purpose; the declared type must match what the bytes are.
  // Errors: 413 blob_too_large, 400 empty_file, 415 unsupported_file_type, 400 image_too_large /
  // unreadable_image (an image whose header declares more than BlobLimits::image, or none),
  // 429 upload_quota_exceeded (nothing stored).
  Result<BlobInfo> put(const std::string& owner_account_id, const std::string& purpose,
                       std::string_view declared_type, BytesView data,
                       std::initializer_list<std::string_view> allowed);
  Result<BlobInfo> info(const std::string& id);
  Result<Bytes> read(const BlobInfo& b);
  std::size_t max_bytes() const { return limits_.max_bytes; }
  const BlobLimits& limits() const { return limits_; }

 private:
  static BlobLimits with_max_bytes(std::size_t n) {
    BlobLimits l;
    l.max_bytes = n;
    return l;
  }
  // In the upload's transaction: 429 upload_quota_exceeded when `size` more would pass a quota.
  Status check_quota(store::Tx& tx, const std::string& owner, std::int64_t size);
  Status write_file(const BlobInfo& b, BytesView data);

  std::string dir_;
  store::Database& db_;
  const Clock& clock_;
  Rng& rng_;
  BlobLimits limits_;
};

}  // namespace certseal::service
