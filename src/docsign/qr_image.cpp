#include "docsign/qr_image.h"

#include <cairo.h>
#include <qrencode.h>

#include <memory>
#include <string>

namespace certseal::docsign {
namespace {

struct QrFree {
  void operator()(QRcode* q) const { QRcode_free(q); }
};
struct SurfaceFree {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoFree {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<Bytes*>(closure);
  out->insert(out->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<Bytes> qr_png(std::string_view text, int module_px) {
  constexpr int kQuiet = 4;
  if (module_px < 1 || module_px > 32) return invalid_argument("invalid_module_size", "module size 1..32 pixels");
  const std::string s(text);
  std::unique_ptr<QRcode, QrFree> q(QRcode_encodeString8bit(s.c_str(), 0, QR_ECLEVEL_M));
  if (!q) return invalid_argument("qr_encode_failed", "the text does not fit in a QR code");
  const int side = (q->width + 2 * kQuiet) * module_px;
  std::unique_ptr<cairo_surface_t, SurfaceFree> surface(cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side));
  if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return internal_error("cairo surface");
  std::unique_ptr<cairo_t, CairoFree> cr(cairo_create(surface.get()));
  cairo_set_source_rgb(cr.get(), 1, 1, 1);
  cairo_paint(cr.get());
  cairo_set_source_rgb(cr.get(), 0, 0, 0);
  for (int y = 0; y < q->width; ++y) {
    for (int x = 0; x < q->width; ++x) {
      if (q->data[y * q->width + x] & 1) {
        cairo_rectangle(cr.get(), (x + kQuiet) * module_px, (y + kQuiet) * module_px, module_px, module_px);
      }
    }
  }
  cairo_fill(cr.get());
  cairo_surface_flush(surface.get());
  Bytes png;
  if (cairo_surface_write_to_png_stream(surface.get(), append, &png) != CAIRO_STATUS_SUCCESS) {
    return internal_error("cairo png");
  }
  return png;
}

}  // namespace certseal::docsign
