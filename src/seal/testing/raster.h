// Test-only helpers (included by *_test.cpp only): decode a PNG into straight (not premultiplied)
// RGBA pixels with Cairo, and rasterise an SVG with librsvg (an independent SVG renderer), so
// tests look at pixels the way a viewer would.
#pragma once

#include <cairo.h>
#include <librsvg/rsvg.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace certseal::seal::testing {

struct Rgba {
  int width = 0, height = 0;
  std::vector<std::uint8_t> px;  // width * height * 4: r, g, b, a (straight alpha)
  std::uint8_t r(int x, int y) const { return px[4 * (static_cast<std::size_t>(y) * width + x) + 0]; }
  std::uint8_t g(int x, int y) const { return px[4 * (static_cast<std::size_t>(y) * width + x) + 1]; }
  std::uint8_t b(int x, int y) const { return px[4 * (static_cast<std::size_t>(y) * width + x) + 2]; }
  std::uint8_t a(int x, int y) const { return px[4 * (static_cast<std::size_t>(y) * width + x) + 3]; }
};

inline Rgba from_surface(cairo_surface_t* s) {
  Rgba out;
  cairo_surface_flush(s);
  out.width = cairo_image_surface_get_width(s);
  out.height = cairo_image_surface_get_height(s);
  const int stride = cairo_image_surface_get_stride(s);
  const unsigned char* data = cairo_image_surface_get_data(s);
  out.px.resize(static_cast<std::size_t>(out.width) * out.height * 4);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      std::uint32_t v = 0;
      std::memcpy(&v, data + static_cast<std::ptrdiff_t>(y) * stride + 4 * x, 4);
      const std::uint32_t a = v >> 24;
      auto un = [&](std::uint32_t c) { return static_cast<std::uint8_t>(a == 0 ? 0 : (c * 255 + a / 2) / a); };
      std::uint8_t* o = &out.px[4 * (static_cast<std::size_t>(y) * out.width + x)];
      o[0] = un((v >> 16) & 0xff);
      o[1] = un((v >> 8) & 0xff);
      o[2] = un(v & 0xff);
      o[3] = static_cast<std::uint8_t>(a);
    }
  }
  return out;
}

struct PngStream {
  BytesView data;
  std::size_t pos = 0;
};
inline cairo_status_t read_png_stream(void* closure, unsigned char* out, unsigned int length) {
  auto* r = static_cast<PngStream*>(closure);
  if (r->data.size() - r->pos < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(out, r->data.data() + r->pos, length);
  r->pos += length;
  return CAIRO_STATUS_SUCCESS;
}

inline Rgba decode_png(BytesView png) {
  PngStream st{png};
  cairo_surface_t* s = cairo_image_surface_create_from_png_stream(read_png_stream, &st);
  Rgba out;
  if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) out = from_surface(s);
  cairo_surface_destroy(s);
  return out;
}

// The SVG drawn by librsvg onto a transparent width × height canvas (the SVG's viewport scaled to
// fill it). Empty on any librsvg error.
inline Rgba rasterise_svg(const std::string& svg, int width, int height) {
  GError* err = nullptr;
  RsvgHandle* h = rsvg_handle_new_from_data(reinterpret_cast<const guint8*>(svg.data()), svg.size(), &err);
  if (h == nullptr) {
    if (err != nullptr) g_error_free(err);
    return {};
  }
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
  cairo_t* cr = cairo_create(s);
  RsvgRectangle viewport{0, 0, static_cast<double>(width), static_cast<double>(height)};
  Rgba out;
  if (rsvg_handle_render_document(h, cr, &viewport, &err)) out = from_surface(s);
  if (err != nullptr) g_error_free(err);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  g_object_unref(h);
  return out;
}

}  // namespace certseal::seal::testing
