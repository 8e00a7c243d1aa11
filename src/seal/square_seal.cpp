// Square seals: the name seals (法定代表人章, 个人方章: 2..4 characters in a grid, read top to
// bottom and right to left, 阳文 or 阴文) and the square finance seal (docs/SEALS.md).
#include <algorithm>
#include <cmath>

#include "seal/canvas_internal.h"
#include "seal/kinds_internal.h"

namespace certseal::seal::internal {
namespace {

struct Cell {
  double x, y, w, h;  // top left and size, mm
};

// The grid cells for 2, 3 or 4 characters inside the square (x0, y0, side). Columns run right
// to left, characters top to bottom; with 3, the first (the surname) fills the right column.
std::vector<Cell> grid(std::size_t count, double x0, double y0, double side) {
  const double half = side / 2;
  const double right = x0 + half, left = x0;
  switch (count) {
    case 2:
      return {{right, y0, half, side}, {left, y0, half, side}};
    case 3:
      return {{right, y0, half, side}, {left, y0, half, half}, {left, y0 + half, half, half}};
    default:
      return {{right, y0, half, half}, {right, y0 + half, half, half}, {left, y0, half, half}, {left, y0 + half, half, half}};
  }
}

void add_square_ring(cairo_t* cr, double s, double border) {
  cairo_rectangle(cr, 0, 0, s, s);
  cairo_rectangle(cr, border, border, s - 2 * border, s - 2 * border);
}

}  // namespace

Status draw_name_square(cairo_t* cr, const SealTemplate& t, double s, const DrawParts& parts) {
  const double k = s / 20.0;
  const double border = 1.2 * k, gap = 0.7 * k;
  const std::vector<std::string> chars = split_chars(square_text(t));
  const double inset = border + gap;
  const std::vector<Cell> cells = grid(chars.size(), inset, inset, s - 2 * inset);
  set_seal_red(cr);
  GlyphPen pen(cr);
  cairo_new_path(cr);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
  if (t.carving == Carving::kYin) {
    // 阴文: a red square with the characters cut out (even-odd: glyph outlines become holes and
    // their counters red again).
    if (parts.border) cairo_rectangle(cr, 0, 0, s, s);
  } else if (parts.border) {
    add_square_ring(cr, s, border);
  }
  if (parts.name) {
    for (std::size_t i = 0; i < chars.size(); ++i) {
      const Cell& c = cells[i];
      pen.add(chars[i], c.x + c.w / 2, c.y + c.h / 2, c.w * 0.94, c.h * 0.94);
    }
  }
  cairo_fill(cr);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  return ok_status();
}

Status draw_finance_square(cairo_t* cr, const SealTemplate& t, double s, const DrawParts& parts) {
  const double k = s / 22.0;
  const double border = 1.2 * k, gap = 0.8 * k;
  const double x0 = border + gap, inner = s - 2 * (border + gap);
  set_seal_red(cr);
  if (parts.border) {
    cairo_new_path(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
    add_square_ring(cr, s, border);
    cairo_fill(cr);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  }
  GlyphPen pen(cr);
  // The purpose on the bottom row; the name above it in one or two centred lines.
  const double ph = inner * 0.26;
  const std::vector<std::string> chars = split_chars(t.name);
  const std::size_t lines = chars.size() > 8 ? 2 : 1;
  const double name_room = inner - ph - gap;
  const double lh = std::min(name_room / static_cast<double>(lines), inner * 0.3);
  const double name_top = x0 + (name_room - lh * static_cast<double>(lines)) / 2;
  if (parts.name) {
    cairo_new_path(cr);
    const std::size_t per = (chars.size() + lines - 1) / lines;
    for (std::size_t l = 0; l < lines; ++l) {
      std::string line;
      for (std::size_t i = l * per; i < std::min(chars.size(), (l + 1) * per); ++i) line += chars[i];
      line_text(pen, line, s / 2, name_top + lh * (static_cast<double>(l) + 0.5), lh * 0.92, inner);
    }
    cairo_fill(cr);
  }
  if (parts.middle) {
    cairo_new_path(cr);
    line_text(pen, purpose_text(t), s / 2, x0 + inner - ph / 2, ph * 0.92, inner);
    cairo_fill(cr);
  }
  return ok_status();
}

}  // namespace certseal::seal::internal
