// A seal picture (a PNG with transparency, seal/seal_picture.h) as PDF image data: the colour
// samples (DeviceRGB, 8 bits) and the alpha channel as a soft mask (ISO 32000-1 §11.6.5.3), both
// Flate-compressed, so a red seal shows over the page text as a stamp does.
//
// Contract: pure function, thread-safe; the last 16 conversions are kept in memory (by the PNG's
// SHA-256), so a seal used again is not decoded and compressed again. The PNG's declared size is checked (image_probe.h) before
// Cairo decodes it. Errors: unreadable_image, image_too_large, bad_image (does not decode).
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "docsign/image_probe.h"

namespace certseal::docsign {

struct PdfImage {
  int width = 0, height = 0;  // pixels
  Bytes rgb_flate;            // width*height*3 bytes, zlib
  Bytes alpha_flate;          // width*height bytes, zlib
};

Result<PdfImage> pdf_image_from_png(BytesView png, const ImageLimits& limits = {});

}  // namespace certseal::docsign
