// Cleaning a phone photo of a paper seal (印章优化): keep the red ink, drop paper, shadows and
// anything not red (black text crossing the seal), straighten, crop to the seal, and give a
// transparent picture in the seal red at a chosen size, as PNG and SVG (the SVG embeds the
// cleaned raster: a photo has no outlines to keep).
//
// How:
//   ink     per pixel (R − max(G, B)) / max(R, 80): a ratio, so a shadow that darkens paper and
//           ink alike changes nothing, and dark or grey pixels (text, paper, noise) score ~0.
//           Full ink is the 90th percentile of the clearly red pixels; coverage = ratio / full.
//   angle   round seals: the name runs along the upper arc and leaves the bottom open, so the
//           widest empty gap in the angular profile of the name band is turned to the bottom;
//           oval and square seals: the angle (±45°) whose axis-aligned box of the ink is
//           smallest. kNone keeps the photo's angle (signatures).
//   crop    the box of the ink after turning; the result is size_mm wide (height by aspect, equal
//           for round seals).
//   pen     ScanInk::kPen (handwritten signatures, 签名采集): the ink is whatever is darker than
//           the paper in any channel, (paper − min(R, G, B)) / paper with paper the 90th
//           percentile of min(R, G, B), so black, blue and red pens on white, grey or shadowed
//           paper all count; the result is drawn black. An image with an alpha channel (a
//           canvas export) is put on white first, for either ink.
//
// Contract: pure, thread-safe. The image's declared size is read from its header and checked
// against the limits before it is decoded. Errors (kInvalidArgument): unreadable_image (not a
// PNG or JPEG Leptonica can read), image_too_large, no_seal_found (too little red ink), bad_dpi,
// bad_seal_size (size_mm outside 10..60); with kPen, no_signature_found instead of no_seal_found.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "base/result.h"
#include "seal/seal_picture.h"

namespace certseal::seal {

enum class ScanShape { kRound, kOval, kSquare, kNone };
enum class ScanInk { kRed, kPen };

struct ScanOptions {
  ScanShape shape = ScanShape::kRound;
  double size_mm = 40;  // width of the result
  std::uint32_t max_side = 8000;
  std::uint64_t max_pixels = 24'000'000;
  ScanInk ink = ScanInk::kRed;
};

struct ScanResult {
  SealPicture picture;
  double angle_deg = 0;  // how far the photo was turned (clockwise)
};

Result<ScanResult> clean_scan(BytesView photo, double dpi, const ScanOptions& opts = {});

}  // namespace certseal::seal
