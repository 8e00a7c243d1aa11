// The invoice seal (发票专用章): an oval 40 × 30 mm with a 1.0 mm border, the name on the upper
// arc, the taxpayer number across the middle and 发票专用章 below (docs/SEALS.md).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "seal/canvas_internal.h"
#include "seal/kinds_internal.h"

namespace certseal::seal::internal {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180;

// Length of the ellipse arc between parametric angles a and b (clockwise from the top).
double ellipse_arc(double rx, double ry, double a, double b) {
  constexpr int kSteps = 360;
  double len = 0, px = rx * std::sin(a), py = -ry * std::cos(a);
  for (int i = 1; i <= kSteps; ++i) {
    const double t = a + (b - a) * i / kSteps;
    const double x = rx * std::sin(t), y = -ry * std::cos(t);
    len += std::hypot(x - px, y - py);
    px = x;
    py = y;
  }
  return len;
}

void add_ellipse(cairo_t* cr, double cx, double cy, double rx, double ry) {
  cairo_save(cr);
  cairo_translate(cr, cx, cy);
  cairo_scale(cr, rx, ry);
  cairo_new_sub_path(cr);
  cairo_arc(cr, 0, 0, 1, 0, 2 * kPi);
  cairo_restore(cr);
}

}  // namespace

Status draw_oval(cairo_t* cr, const SealTemplate& t, double w, double hgt, const DrawParts& parts) {
  const double a = w / 2, b = hgt / 2, cx = a, cy = b;
  const double border = 1.0, gap = 0.5;
  set_seal_red(cr);
  if (parts.border) {
    cairo_new_path(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    add_ellipse(cr, cx, cy, a, b);
    add_ellipse(cr, cx, cy, a - border, b - border);
    cairo_fill(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  }

  GlyphPen pen(cr);
  const std::vector<std::string> chars = split_chars(t.name);
  const double n = static_cast<double>(chars.size());
  const double h = n <= 14 ? 4.2 : 4.2 - (n - 14) * (1.0 / 16);
  const double rx = a - border - gap - h / 2, ry = b - border - gap - h / 2;
  const double half_span = std::min(76.0, 30 + 4 * n) * kDeg;
  // Room per character along the inner edge of the band.
  const double inner_len = ellipse_arc(rx - h / 2, ry - h / 2, -half_span, half_span);
  const double cw = std::min(h * 0.86, inner_len / n * 0.88);
  if (parts.name) {
    cairo_new_path(cr);
    arc_text(pen, chars, cx, cy, a - border, b - border, gap + h / 2, -half_span, half_span, cw, h, true);
    cairo_fill(cr);
  }
  if (parts.middle) {
    // The ellipse the middle lines must stay inside: the inner edge of the border less a gap.
    const double ex = a - border - 1.2, ey = b - border - 1.2;
    auto half_width_at = [&](double dy) {
      const double f = 1 - (dy * dy) / (ey * ey);
      return f > 0 ? ex * std::sqrt(f) : 0.0;
    };
    // Taxpayer number: narrow digits just below the centre, clear of the ends of the name arc.
    const double th = 3.0, ty = cy + 1.0;
    cairo_new_path(cr);
    line_text(pen, t.tax_number, cx, ty, th, std::min(2 * half_width_at(ty + th / 2 - cy), 26.0));
    cairo_fill(cr);
    // 发票专用章 below.
    const double fh = 4.2, fy = cy + 7.0;
    cairo_new_path(cr);
    line_text(pen, "发票专用章", cx, fy, fh, 2 * half_width_at(fy + fh / 2 - cy) - 1.0);
    cairo_fill(cr);
  }
  return ok_status();
}

}  // namespace certseal::seal::internal
