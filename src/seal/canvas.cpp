// The drawing surface and glyph helpers shared by every seal kind (canvas_internal.h).
#include <cairo-svg.h>

#include <algorithm>
#include <cmath>
#include <numbers>

#include "seal/canvas_internal.h"

namespace certseal::seal::internal {
namespace {

constexpr const char* kSealFont = "Noto Serif CJK SC";
constexpr double kLayoutEm = 100.0;  // glyphs are laid out at 100 units and scaled down

cairo_status_t append_to_bytes(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<Bytes*>(closure);
  out->insert(out->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}

void prepare(cairo_t* cr) {
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_GRAY);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
}

}  // namespace

void set_seal_red(cairo_t* cr) {
  cairo_set_source_rgb(cr, kSealRed[0] / 255.0, kSealRed[1] / 255.0, kSealRed[2] / 255.0);
}

std::vector<std::string> split_chars(std::string_view s) {
  std::vector<std::string> out;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  while (p < end) {
    const char* next = g_utf8_find_next_char(p, end);
    if (next == nullptr) next = end;
    out.emplace_back(p, next);
    p = next;
  }
  return out;
}

Result<SealPicture> render_both(double width_mm, double height_mm, double dpi, const DrawFn& draw) {
  if (!(dpi >= 72 && dpi <= 1200)) return invalid_argument("bad_dpi", "分辨率须在 72 到 1200 dpi 之间");
  SealPicture pic;
  pic.width_mm = width_mm;
  pic.height_mm = height_mm;
  pic.width_px = static_cast<int>(std::lround(width_mm / 25.4 * dpi));
  pic.height_px = static_cast<int>(std::lround(height_mm / 25.4 * dpi));
  if (pic.width_px < 1 || pic.height_px < 1) return invalid_argument("bad_seal_size", "印章尺寸无效");

  // PNG: mm → pixels. The scale is per axis so that the edge of the drawing is the edge of the
  // image even though the pixel size is rounded.
  Surface image(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pic.width_px, pic.height_px));
  if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) return internal_error("cairo image surface");
  {
    Cairo cr(cairo_create(image.get()));
    prepare(cr.get());
    cairo_scale(cr.get(), pic.width_px / width_mm, pic.height_px / height_mm);
    CS_TRY(draw(cr.get()));
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      return internal_error(std::string("cairo: ") + cairo_status_to_string(cairo_status(cr.get())));
    }
  }
  cairo_surface_flush(image.get());
  if (cairo_surface_write_to_png_stream(image.get(), append_to_bytes, &pic.png) != CAIRO_STATUS_SUCCESS) {
    return internal_error("cairo png encoding failed");
  }

  // SVG: one user unit is one millimetre (width="40mm" viewBox="0 0 40 40").
  Bytes svg;
  {
    Surface surface(cairo_svg_surface_create_for_stream(append_to_bytes, &svg, width_mm, height_mm));
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return internal_error("cairo svg surface");
    cairo_svg_surface_set_document_unit(surface.get(), CAIRO_SVG_UNIT_MM);
    {
      Cairo cr(cairo_create(surface.get()));
      prepare(cr.get());
      CS_TRY(draw(cr.get()));
    }
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) return internal_error("cairo svg output");
  }
  pic.svg.assign(svg.begin(), svg.end());
  return pic;
}

GlyphPen::GlyphPen(cairo_t* cr, bool bold) : cr_(cr), layout_(pango_cairo_create_layout(cr)) {
  cairo_font_options_t* opts = cairo_font_options_create();
  cairo_font_options_set_hint_style(opts, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(opts, CAIRO_HINT_METRICS_OFF);
  PangoContext* ctx = pango_layout_get_context(layout_.get());
  pango_cairo_context_set_font_options(ctx, opts);
  cairo_font_options_destroy(opts);
  pango_context_set_round_glyph_positions(ctx, FALSE);
  pango_layout_context_changed(layout_.get());
  FontDesc font(pango_font_description_from_string(kSealFont));
  pango_font_description_set_absolute_size(font.get(), kLayoutEm * PANGO_SCALE);
  pango_font_description_set_weight(font.get(), bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(layout_.get(), font.get());
}

void GlyphPen::set_text(std::string_view text) {
  pango_layout_set_text(layout_.get(), text.data(), static_cast<int>(text.size()));
}

void GlyphPen::add(std::string_view text, double cx, double cy, double w, double h, double angle) {
  set_text(text);
  PangoRectangle ink{};
  pango_layout_get_extents(layout_.get(), &ink, nullptr);
  const double ix = (ink.x + ink.width / 2.0) / PANGO_SCALE;
  const double iy = (ink.y + ink.height / 2.0) / PANGO_SCALE;
  cairo_save(cr_);
  cairo_translate(cr_, cx, cy);
  cairo_rotate(cr_, angle);
  cairo_scale(cr_, w / kLayoutEm, h / kLayoutEm);
  cairo_translate(cr_, -ix, -iy);
  cairo_move_to(cr_, 0, 0);
  pango_cairo_update_layout(cr_, layout_.get());
  pango_cairo_layout_path(cr_, layout_.get());
  cairo_restore(cr_);
}

void arc_text(GlyphPen& pen, const std::vector<std::string>& chars, double cx, double cy, double rx, double ry,
              double inset, double from, double to, double w, double h, bool outward) {
  if (chars.empty()) return;
  // The point at parameter t on the parallel curve, and the angle of the outward normal there.
  auto at = [&](double t, double& x, double& y, double& angle) {
    double nx = std::sin(t) / rx, ny = -std::cos(t) / ry;  // outward normal (y down)
    const double nl = std::hypot(nx, ny);
    nx /= nl;
    ny /= nl;
    x = cx + rx * std::sin(t) - inset * nx;
    y = cy - ry * std::cos(t) - inset * ny;
    angle = std::atan2(nx, -ny);  // 0 when the normal points up; clockwise positive
  };
  // Arc length along the curve, sampled finely, so the characters are evenly spaced on the page
  // (on an ellipse equal parameter steps are not equal distances).
  constexpr int kSteps = 720;
  std::vector<double> len(kSteps + 1, 0.0);
  double px = 0, py = 0, ang = 0;
  at(from, px, py, ang);
  for (int i = 1; i <= kSteps; ++i) {
    double x = 0, y = 0;
    at(from + (to - from) * i / kSteps, x, y, ang);
    len[i] = len[i - 1] + std::hypot(x - px, y - py);
    px = x;
    py = y;
  }
  const std::size_t n = chars.size();
  for (std::size_t k = 0; k < n; ++k) {
    // Character centres at the middle of n equal slices of the arc.
    const double target = len[kSteps] * (static_cast<double>(k) + 0.5) / static_cast<double>(n);
    int i = 0;
    while (i < kSteps && len[i + 1] < target) ++i;
    const double seg = i < kSteps ? len[i + 1] - len[i] : 0;
    const double frac = seg > 0 ? (target - len[i]) / seg : 0;
    const double t = from + (to - from) * (i + frac) / kSteps;
    double x = 0, y = 0, angle = 0;
    at(t, x, y, angle);
    if (!outward) angle += std::numbers::pi;
    pen.add(chars[k], x, y, w, h, angle);
  }
}

void add_star(cairo_t* cr, double cx, double cy, double d) {
  const double r_out = d / 2;
  // Inner radius of a regular pentagram: R · sin 18° / sin 126°.
  const double r_in = r_out * std::sin(std::numbers::pi / 10) / std::sin(7 * std::numbers::pi / 10);
  for (int i = 0; i < 10; ++i) {
    const double a = i * std::numbers::pi / 5;
    const double r = (i % 2 == 0) ? r_out : r_in;
    const double x = cx + r * std::sin(a), y = cy - r * std::cos(a);
    if (i == 0) {
      cairo_move_to(cr, x, y);
    } else {
      cairo_line_to(cr, x, y);
    }
  }
  cairo_close_path(cr);
}

void line_text(GlyphPen& pen, std::string_view text, double cx, double cy, double h, double max_w) {
  const std::vector<std::string> chars = split_chars(text);
  if (chars.empty()) return;
  const double n = static_cast<double>(chars.size());
  const double pitch = std::min(h * 1.0, max_w / n);
  const double w = std::min(h * 0.9, pitch * 0.92);
  for (std::size_t i = 0; i < chars.size(); ++i) {
    pen.add(chars[i], cx + (static_cast<double>(i) - (n - 1) / 2) * pitch, cy, w, h);
  }
}

}  // namespace certseal::seal::internal
