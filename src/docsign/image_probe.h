// Image dimensions read from the header bytes alone, before any decoder sees the image.
//
// A PNG or JPEG of a few KiB can declare 30000×30000 pixels; Cairo, Leptonica and Tesseract
// allocate width × height × 4 bytes (and more) as soon as they decode it. Every place that
// decodes an uploaded image first calls check_image(): the blob store at upload time (so a stored
// image is known to fit), and again the renderer and the OCR reader (defence in depth).
//
//   PNG   the IHDR chunk, which must be the first chunk (PNG spec, ISO/IEC 15948 §11.2.2).
//   JPEG  the first SOFn frame header (ITU-T T.81 §B.2.2), reached by walking the marker segments;
//         a scan (SOS) before any frame header, a height of 0 (defined later by DNL) and a
//         truncated header are refused.
//
// Usage:
//   CS_ASSIGN(ImageSize size, check_image(bytes, ImageLimits{}));  // or ImageLimits{4000, 16'000'000}
//
// Contract: pure functions, thread-safe; they read at most the header bytes (a JPEG's marker walk
// stops at the first frame header) and never allocate in proportion to the declared size.
// Errors (ErrorKind::kInvalidArgument): unreadable_image (neither PNG nor JPEG, or a damaged
// header), image_too_large (a side above max_side or width × height above max_pixels).
#pragma once

#include <cstdint>
#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::docsign {

struct ImageSize {
  std::string media_type;  // "image/png" or "image/jpeg"
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

struct ImageLimits {
  std::uint32_t max_side = 8000;            // pixels, either side
  std::uint64_t max_pixels = 24'000'000;    // width × height (a 6000×4000 phone photo)
};

// The declared size of a PNG or JPEG; unreadable_image for anything else.
Result<ImageSize> probe_image(BytesView data);
// probe_image, then the limits: image_too_large names the declared and the allowed size.
Result<ImageSize> check_image(BytesView data, const ImageLimits& limits);

}  // namespace certseal::docsign
