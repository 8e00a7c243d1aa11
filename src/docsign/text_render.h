// Renders simple text documents (letters, forms, invoices, test images) with Pango and Cairo,
// using a CJK font (Noto Sans CJK SC from fonts-noto-cjk), to PDF (A4) or to PNG.
//
// Contract: thread-safe (every call has its own Cairo surface and Pango layout). Text is UTF-8;
// Pango markup is NOT interpreted (text is shown as given). Long documents flow onto new pages.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "docsign/image_probe.h"

namespace certseal::docsign {

struct TextBlock {
  std::string text;
  double size_pt = 11;
  bool bold = false;
  enum class Align { kLeft, kCenter, kRight } align = Align::kLeft;
  double space_after_pt = 6;
};

struct PdfInfo {
  std::string title;
  std::string author;  // e.g. "CertSeal"
};

// An A4 PDF with 20 mm margins.
Result<Bytes> render_pdf(const std::vector<TextBlock>& blocks, const PdfInfo& info);

// The same, with a PNG image (e.g. a handwritten signature) placed below the text, left-aligned,
// scaled to width_mm (aspect kept); on a new page when it does not fit. The PNG's declared size
// is checked against `limits` before Cairo decodes it (image_probe.h: image_too_large,
// unreadable_image); a PNG that then does not decode: invalid_argument bad_image.
Result<Bytes> render_pdf_with_image(const std::vector<TextBlock>& blocks, const PdfInfo& info, BytesView png,
                                    double width_mm, const ImageLimits& limits = {});

// A PNG of width x height pixels, white background, black text, `margin_px` around.
Result<Bytes> render_png(const std::vector<TextBlock>& blocks, int width_px, int height_px,
                         int margin_px = 40);

}  // namespace certseal::docsign
