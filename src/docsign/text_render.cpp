#include "docsign/text_render.h"

#include <algorithm>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <functional>
#include <memory>

namespace certseal::docsign {
namespace {

constexpr const char* kFontFamily = "Noto Sans CJK SC";
constexpr double kMmToPt = 72.0 / 25.4;

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct LayoutDeleter {
  void operator()(PangoLayout* l) const { g_object_unref(l); }
};
struct FontDescDeleter {
  void operator()(PangoFontDescription* d) const { pango_font_description_free(d); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Cairo = std::unique_ptr<cairo_t, CairoDeleter>;
using Layout = std::unique_ptr<PangoLayout, LayoutDeleter>;
using FontDesc = std::unique_ptr<PangoFontDescription, FontDescDeleter>;

cairo_status_t append_to_bytes(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<Bytes*>(closure);
  out->insert(out->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}

Layout make_layout(cairo_t* cr, const TextBlock& b, double width_units, double scale) {
  Layout layout(pango_cairo_create_layout(cr));
  FontDesc font(pango_font_description_from_string(kFontFamily));
  pango_font_description_set_absolute_size(font.get(), b.size_pt * scale * PANGO_SCALE);
  pango_font_description_set_weight(font.get(), b.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(layout.get(), font.get());
  pango_layout_set_width(layout.get(), static_cast<int>(width_units * PANGO_SCALE));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout.get(), b.align == TextBlock::Align::kCenter  ? PANGO_ALIGN_CENTER
                                           : b.align == TextBlock::Align::kRight ? PANGO_ALIGN_RIGHT
                                                                                 : PANGO_ALIGN_LEFT);
  pango_layout_set_text(layout.get(), b.text.c_str(), static_cast<int>(b.text.size()));
  return layout;
}

// Lays the blocks out from top to bottom; calls new_page() when one does not fit. Returns where
// the last block ended.
Result<double> flow(cairo_t* cr, const std::vector<TextBlock>& blocks, double left, double top,
                    double width, double bottom, double scale, const std::function<void()>& new_page) {
  double y = top;
  for (const auto& b : blocks) {
    if (!g_utf8_validate(b.text.c_str(), static_cast<gssize>(b.text.size()), nullptr)) {
      return invalid_argument("bad_text", "document text is not valid UTF-8");
    }
    Layout layout = make_layout(cr, b, width, scale);
    int w = 0, h = 0;
    pango_layout_get_size(layout.get(), &w, &h);
    double height = static_cast<double>(h) / PANGO_SCALE;
    if (y + height > bottom && y > top) {
      new_page();
      y = top;
    }
    cairo_move_to(cr, left, y);
    pango_cairo_show_layout(cr, layout.get());
    y += height;
    if (&b != &blocks.back()) y += b.space_after_pt * scale;
  }
  return y;
}

}  // namespace

namespace {
struct PngReader {
  BytesView data;
  std::size_t pos = 0;
};
cairo_status_t read_png(void* closure, unsigned char* out, unsigned int length) {
  auto* r = static_cast<PngReader*>(closure);
  if (r->data.size() - r->pos < length) return CAIRO_STATUS_READ_ERROR;
  std::copy_n(r->data.begin() + static_cast<std::ptrdiff_t>(r->pos), length, out);
  r->pos += length;
  return CAIRO_STATUS_SUCCESS;
}
}  // namespace

Result<Bytes> render_pdf(const std::vector<TextBlock>& blocks, const PdfInfo& info) {
  return render_pdf_with_image(blocks, info, {}, 0);
}

Result<Bytes> render_pdf_with_image(const std::vector<TextBlock>& blocks, const PdfInfo& info, BytesView png,
                                    double width_mm, const ImageLimits& limits) {
  Surface image;
  if (!png.empty()) {
    // Cairo allocates width × height × 4 bytes from IHDR before reading any pixel.
    CS_ASSIGN(ImageSize size, check_image(png, limits));
    if (size.media_type != "image/png") return invalid_argument("bad_image", "the image is not a PNG");
    PngReader reader{png};
    image.reset(cairo_image_surface_create_from_png_stream(read_png, &reader));
    if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS || cairo_image_surface_get_width(image.get()) <= 0) {
      return invalid_argument("bad_image", "the image is not a PNG that can be read");
    }
  }
  const double page_w = 210 * kMmToPt, page_h = 297 * kMmToPt, margin = 20 * kMmToPt;
  Bytes out;
  Surface surface(cairo_pdf_surface_create_for_stream(append_to_bytes, &out, page_w, page_h));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return internal_error("cairo pdf surface failed");
  }
  if (!info.title.empty()) cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, info.title.c_str());
  if (!info.author.empty()) cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_AUTHOR, info.author.c_str());
  cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "CertSeal");
  Cairo cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 0, 0, 0);
  CS_ASSIGN(double end, flow(cr.get(), blocks, margin, margin, page_w - 2 * margin, page_h - margin, 1.0,
                             [&] { cairo_show_page(cr.get()); }));
  if (image) {
    const double w = std::min(width_mm * kMmToPt, page_w - 2 * margin);
    const double scale = w / cairo_image_surface_get_width(image.get());
    const double h = cairo_image_surface_get_height(image.get()) * scale;
    if (end + h > page_h - margin) {
      cairo_show_page(cr.get());
      end = margin;
    }
    cairo_save(cr.get());
    cairo_translate(cr.get(), margin, end);
    cairo_scale(cr.get(), scale, scale);
    cairo_set_source_surface(cr.get(), image.get(), 0, 0);
    cairo_paint(cr.get());
    cairo_restore(cr.get());
  }
  cr.reset();
  cairo_surface_finish(surface.get());
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
    return internal_error(std::string("cairo pdf: ") + cairo_status_to_string(cairo_surface_status(surface.get())));
  }
  surface.reset();
  return out;
}

Result<Bytes> render_png(const std::vector<TextBlock>& blocks, int width_px, int height_px, int margin_px) {
  if (width_px < 2 * margin_px + 10 || height_px < 2 * margin_px + 10 || width_px > 8000 || height_px > 8000) {
    return invalid_argument("bad_size", "image size out of range");
  }
  Surface surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width_px, height_px));
  Cairo cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  cairo_set_source_rgb(cr.get(), 0, 0, 0);
  // 1 pt of text = 96/72 px, like a screen.
  const double scale = 96.0 / 72.0;
  bool overflow = false;
  CS_ASSIGN(double end, flow(cr.get(), blocks, margin_px, margin_px, width_px - 2.0 * margin_px,
                             height_px - margin_px, scale, [&] { overflow = true; }));
  if (overflow || end > height_px - margin_px) {
    return invalid_argument("text_overflow", "the text does not fit on the image");
  }
  Bytes out;
  if (cairo_surface_write_to_png_stream(surface.get(), append_to_bytes, &out) != CAIRO_STATUS_SUCCESS) {
    return internal_error("cairo png encoding failed");
  }
  return out;
}

}  // namespace certseal::docsign
