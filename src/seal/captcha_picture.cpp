// Picture challenges (captcha_picture.h).
#include "seal/captcha_picture.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>
#include <vector>

#include "seal/canvas_internal.h"

namespace certseal::seal {
namespace {

struct Pt {
  double x, y;
};
using Stroke = std::vector<Pt>;

// Each digit as pen strokes in a unit box (x right, y down).
std::vector<Stroke> strokes_of(char d) {
  auto ring = [](double cx, double cy, double rx, double ry) {
    Stroke s;
    for (int i = 0; i <= 16; ++i) {
      const double a = 2 * std::numbers::pi * i / 16;
      s.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
    }
    return s;
  };
  switch (d) {
    case '0': return {ring(0.5, 0.5, 0.3, 0.42)};
    case '1': return {{{0.32, 0.26}, {0.52, 0.08}, {0.52, 0.92}}};
    case '2': return {{{0.2, 0.3}, {0.3, 0.12}, {0.5, 0.08}, {0.7, 0.13}, {0.78, 0.3}, {0.68, 0.5}, {0.2, 0.9}, {0.82, 0.9}}};
    case '3': return {{{0.2, 0.12}, {0.78, 0.12}, {0.45, 0.43}, {0.7, 0.5}, {0.8, 0.7}, {0.65, 0.9}, {0.35, 0.92}, {0.18, 0.82}}};
    case '4': return {{{0.66, 0.92}, {0.66, 0.08}, {0.14, 0.66}, {0.86, 0.66}}};
    case '5': return {{{0.8, 0.1}, {0.28, 0.1}, {0.24, 0.46}, {0.58, 0.4}, {0.8, 0.6}, {0.72, 0.86}, {0.45, 0.93}, {0.2, 0.84}}};
    case '6': return {{{0.74, 0.1}, {0.42, 0.2}, {0.22, 0.55}, {0.3, 0.86}, {0.58, 0.92}, {0.78, 0.72}, {0.62, 0.5}, {0.24, 0.6}}};
    case '7': return {{{0.18, 0.1}, {0.82, 0.1}, {0.4, 0.92}}};
    case '8': return {ring(0.5, 0.28, 0.22, 0.2), ring(0.5, 0.7, 0.27, 0.22)};
    default: return {{{0.76, 0.42}, {0.42, 0.52}, {0.22, 0.32}, {0.4, 0.1}, {0.7, 0.12}, {0.78, 0.36}, {0.7, 0.72}, {0.36, 0.92}}};
  }
}

Status png_of(cairo_surface_t* s, Bytes& out) {
  auto write = [](void* closure, const unsigned char* data, unsigned int len) {
    auto* v = static_cast<Bytes*>(closure);
    v->insert(v->end(), data, data + len);
    return CAIRO_STATUS_SUCCESS;
  };
  if (cairo_surface_write_to_png_stream(s, write, &out) != CAIRO_STATUS_SUCCESS) {
    return internal_error("captcha png");
  }
  return {};
}

}  // namespace

Result<Bytes> render_captcha(std::string_view digits, BytesView seed) {
  if (digits.size() < 4 || digits.size() > 8 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) || seed.size() < 8) {
    return invalid_argument("bad_captcha", "4 to 8 digits and a seed of 8 bytes or more");
  }
  std::seed_seq seq(seed.begin(), seed.end());
  std::mt19937 rng(seq);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  const int n = static_cast<int>(digits.size());
  const int W = 36 * n + 20, H = 64;

  internal::Surface flat(cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H));
  if (cairo_surface_status(flat.get()) != CAIRO_STATUS_SUCCESS) return internal_error("cairo image surface");
  {
    internal::Cairo cr(cairo_create(flat.get()));
    cairo_set_source_rgb(cr.get(), uni(0.85, 0.97), uni(0.85, 0.97), uni(0.85, 0.97));
    cairo_paint(cr.get());
    // Dots under the ink.
    for (int i = 0; i < 12 * n; ++i) {
      cairo_set_source_rgb(cr.get(), uni(0.3, 0.8), uni(0.3, 0.8), uni(0.3, 0.8));
      cairo_arc(cr.get(), uni(0, W), uni(0, H), uni(0.5, 1.6), 0, 2 * std::numbers::pi);
      cairo_fill(cr.get());
    }
    cairo_set_line_cap(cr.get(), CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr.get(), CAIRO_LINE_JOIN_ROUND);
    for (int i = 0; i < n; ++i) {
      cairo_save(cr.get());
      const double size = 40 * uni(0.8, 1.15);
      cairo_translate(cr.get(), 10 + 36 * i + 18 + uni(-3, 3), H / 2.0 + uni(-5, 5));
      cairo_rotate(cr.get(), uni(-25, 25) * std::numbers::pi / 180);
      cairo_scale(cr.get(), size * uni(0.7, 0.9), size);
      cairo_translate(cr.get(), -0.5, -0.5);
      cairo_set_source_rgb(cr.get(), uni(0.0, 0.35), uni(0.0, 0.35), uni(0.0, 0.45));
      for (const Stroke& s : strokes_of(digits[static_cast<std::size_t>(i)])) {
        for (std::size_t k = 0; k < s.size(); ++k) {
          const double x = s[k].x + uni(-0.03, 0.03), y = s[k].y + uni(-0.03, 0.03);
          if (k == 0) {
            cairo_move_to(cr.get(), x, y);
          } else {
            cairo_line_to(cr.get(), x, y);
          }
        }
      }
      cairo_restore(cr.get());
      cairo_set_line_width(cr.get(), uni(2.6, 3.6));
      cairo_stroke(cr.get());
    }
    // Crossing curves over the ink.
    for (int i = 0; i < 3; ++i) {
      cairo_set_source_rgb(cr.get(), uni(0.1, 0.6), uni(0.1, 0.6), uni(0.1, 0.6));
      cairo_set_line_width(cr.get(), uni(1.0, 1.8));
      cairo_move_to(cr.get(), 0, uni(5, H - 5));
      cairo_curve_to(cr.get(), W / 3.0, uni(0, H), 2 * W / 3.0, uni(0, H), W, uni(5, H - 5));
      cairo_stroke(cr.get());
    }
  }
  cairo_surface_flush(flat.get());
  // The wave: each column moves up or down by a sine of its position.
  internal::Surface bent(cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H));
  if (cairo_surface_status(bent.get()) != CAIRO_STATUS_SUCCESS) return internal_error("cairo image surface");
  const unsigned char* src = cairo_image_surface_get_data(flat.get());
  unsigned char* dst = cairo_image_surface_get_data(bent.get());
  const int stride = cairo_image_surface_get_stride(flat.get());
  const double amp = uni(2.5, 4.5), period = uni(40, 70), phase = uni(0, 2 * std::numbers::pi);
  std::uint32_t paper = 0;
  std::memcpy(&paper, src, 4);
  for (int x = 0; x < W; ++x) {
    const int dy = static_cast<int>(std::lround(amp * std::sin(2 * std::numbers::pi * x / period + phase)));
    for (int y = 0; y < H; ++y) {
      const int sy = y - dy;
      std::uint32_t px = paper;
      if (sy >= 0 && sy < H) std::memcpy(&px, src + static_cast<std::ptrdiff_t>(sy) * stride + 4 * x, 4);
      std::memcpy(dst + static_cast<std::ptrdiff_t>(y) * stride + 4 * x, &px, 4);
    }
  }
  cairo_surface_mark_dirty(bent.get());
  Bytes out;
  CS_TRY(png_of(bent.get(), out));
  return out;
}

}  // namespace certseal::seal
