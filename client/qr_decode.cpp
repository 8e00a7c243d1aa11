#include "client/qr_decode.h"

#include <cairo.h>
#include <zbar.h>

#include <memory>
#include <vector>

namespace certseal::client {
namespace {

struct SurfaceFree {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ScannerFree {
  void operator()(zbar::zbar_image_scanner_t* s) const { zbar::zbar_image_scanner_destroy(s); }
};
struct ImageFree {
  void operator()(zbar::zbar_image_t* i) const { zbar::zbar_image_destroy(i); }
};

}  // namespace

Result<std::string> decode_qr_png(const std::string& path) {
  std::unique_ptr<cairo_surface_t, SurfaceFree> png(cairo_image_surface_create_from_png(path.c_str()));
  if (cairo_surface_status(png.get()) != CAIRO_STATUS_SUCCESS) {
    return invalid_argument("qr_image_unreadable", "cannot read the picture (a PNG file is expected): " + path);
  }
  // Grey values (Y800) from whatever cairo loaded, drawn on white first (transparent PNGs).
  const int w = cairo_image_surface_get_width(png.get()), h = cairo_image_surface_get_height(png.get());
  std::unique_ptr<cairo_surface_t, SurfaceFree> rgb(cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h));
  cairo_t* cr = cairo_create(rgb.get());
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_surface(cr, png.get(), 0, 0);
  cairo_paint(cr);
  cairo_destroy(cr);
  cairo_surface_flush(rgb.get());
  const unsigned char* data = cairo_image_surface_get_data(rgb.get());
  const int stride = cairo_image_surface_get_stride(rgb.get());
  std::vector<unsigned char> grey(static_cast<std::size_t>(w) * static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    for (int x = 0; x < w; ++x) {
      std::uint32_t p = row[x];
      unsigned r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
      grey[static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + static_cast<std::size_t>(x)] =
          static_cast<unsigned char>((r * 299 + g * 587 + b * 114) / 1000);
    }
  }
  std::unique_ptr<zbar::zbar_image_scanner_t, ScannerFree> scanner(zbar::zbar_image_scanner_create());
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_NONE, zbar::ZBAR_CFG_ENABLE, 0);
  zbar::zbar_image_scanner_set_config(scanner.get(), zbar::ZBAR_QRCODE, zbar::ZBAR_CFG_ENABLE, 1);
  std::unique_ptr<zbar::zbar_image_t, ImageFree> image(zbar::zbar_image_create());
  zbar::zbar_image_set_format(image.get(), zbar_fourcc('Y', '8', '0', '0'));
  zbar::zbar_image_set_size(image.get(), static_cast<unsigned>(w), static_cast<unsigned>(h));
  zbar::zbar_image_set_data(image.get(), grey.data(), grey.size(), nullptr);
  if (zbar::zbar_scan_image(scanner.get(), image.get()) <= 0) {
    return invalid_argument("qr_not_found", "no QR code was found in the picture");
  }
  const zbar::zbar_symbol_t* sym = zbar::zbar_image_first_symbol(image.get());
  if (!sym) return invalid_argument("qr_not_found", "no QR code was found in the picture");
  return std::string(zbar::zbar_symbol_get_data(sym), zbar::zbar_symbol_get_data_length(sym));
}

}  // namespace certseal::client
