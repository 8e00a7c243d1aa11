// Round seals: the official seal (公章) and the round contract and finance seals. Sizes follow the
// usual rule for a 40 mm seal and scale with the diameter (42 mm): border 1.2, a 0.6 gap, the
// name on the upper arc, a star 14 across, the code on the lower arc (docs/SEALS.md).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "seal/canvas_internal.h"
#include "seal/kinds_internal.h"

namespace certseal::seal::internal {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kDeg = kPi / 180;

}  // namespace

Status draw_round(cairo_t* cr, const SealTemplate& t, double d, const DrawParts& parts) {
  const double k = d / 40.0;  // every length below is for a 40 mm seal
  const double R = d / 2, cx = R, cy = R;
  const double border = 1.2 * k, gap = 0.6 * k;
  set_seal_red(cr);

  if (parts.border) {
    cairo_new_path(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    cairo_arc(cr, cx, cy, R, 0, 2 * kPi);
    cairo_new_sub_path(cr);
    cairo_arc(cr, cx, cy, R - border, 0, 2 * kPi);
    cairo_fill(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  }

  GlyphPen pen(cr);
  GlyphPen plain(cr, false);  // horizontal lines: regular weight, as the usual seals cut them
  const bool has_code = !t.code.empty();
  // The name: 3..30 characters; the characters get lower and narrower as the name grows.
  const std::vector<std::string> chars = split_chars(t.name);
  const double n = static_cast<double>(chars.size());
  const double h = (n <= 14 ? 6.0 : 6.0 - (n - 14) * (1.4 / 16)) * k;
  const double rc = R - border - gap - h / 2;  // radius through the middle of the glyph boxes
  const double max_span = (has_code ? 236 : 250) * kDeg;
  const double span = std::min(max_span, (56 + 17 * n) * kDeg);
  const double slice = span / n;
  // The width a character may take at the inner edge of the band, so neighbours never touch.
  const double room = 2 * (rc - h / 2) * std::sin(slice / 2) * 0.9;
  const double w = std::min(h * 0.86, room);
  if (parts.name) {
    cairo_new_path(cr);
    arc_text(pen, chars, cx, cy, R - border, R - border, gap + h / 2, -span / 2, span / 2, w, h, true);
    cairo_fill(cr);
  }

  const double inner = rc - h / 2 - gap;  // the free disc inside the name band
  if (t.kind == SealKind::kOfficial) {
    const double star_d = 14 * k;
    if (parts.star) {
      cairo_new_path(cr);
      add_star(cr, cx, cy, star_d);
      cairo_fill(cr);
    }
    if (parts.middle && !t.horizontal_text.empty()) {
      // Under the star: the lower points of a star of radius r sit at r · cos 36° below the centre.
      const double th = 3.6 * k;
      const double top = cy + star_d / 2 * std::cos(36 * kDeg) + 0.8 * k;
      const double bottom = top + th;
      // How far the line may reach sideways: inside the code band (or the border), and either
      // inside the name band's inner circle or below where the name ends (its top corners seen
      // from the centre lie beyond the last character, with 6° to spare).
      const double limit_r = has_code ? R - border - 0.5 * k - 2.4 * k - gap : R - border - gap;
      const double by_limit = std::sqrt(std::max(0.0, limit_r * limit_r - (bottom - cy) * (bottom - cy)));
      const double by_inner = std::sqrt(std::max(0.0, inner * inner - (bottom - cy) * (bottom - cy)));
      const double free_angle = kPi - span / 2 - 6 * kDeg;  // measured from straight down
      const double by_name = free_angle > 0 ? (top - cy) * std::tan(std::min(free_angle, 80 * kDeg)) : 0.0;
      const double half = std::min(by_limit, std::max(by_inner, by_name));
      cairo_new_path(cr);
      line_text(plain, t.horizontal_text, cx, top + th / 2, th, 2 * half - 1.0 * k);
      cairo_fill(cr);
    }
  } else if (parts.middle) {
    // Contract and finance: the purpose across the middle.
    const double th = 5.4 * k;
    const double half = std::sqrt(std::max(0.0, inner * inner - th * th / 4));
    cairo_new_path(cr);
    line_text(plain, purpose_text(t), cx, cy, th, 2 * half - 1.2 * k);
    cairo_fill(cr);
  }

  if (parts.code && has_code) {
    // 13 digits along the bottom, tops towards the centre, read left to right.
    const double ch = 2.4 * k, cw = 1.5 * k;
    const double rcode = R - border - 0.5 * k - ch / 2;
    const double per = 1.75 * k / rcode;  // radians per digit
    const double half = per * 13 / 2;
    cairo_new_path(cr);
    arc_text(pen, split_chars(t.code), cx, cy, R - border, R - border, R - border - rcode, kPi + half, kPi - half, cw,
             ch, false);
    cairo_fill(cr);
  }
  return ok_status();
}

}  // namespace certseal::seal::internal
