// Private to src/seal: the drawing surface every seal kind draws on, and the glyph helpers.
// Drawing happens in millimetres (user units); the same draw function runs once on an image
// surface (PNG) and once on an SVG surface, so both outputs are one drawing.
#pragma once

#include <cairo.h>
#include <pango/pangocairo.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "seal/seal_picture.h"

namespace certseal::seal::internal {

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct GObjectDeleter {
  void operator()(void* o) const { g_object_unref(o); }
};
struct FontDescDeleter {
  void operator()(PangoFontDescription* d) const { pango_font_description_free(d); }
};
struct PathDeleter {
  void operator()(cairo_path_t* p) const { cairo_path_destroy(p); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Cairo = std::unique_ptr<cairo_t, CairoDeleter>;
using Layout = std::unique_ptr<PangoLayout, GObjectDeleter>;
using FontDesc = std::unique_ptr<PangoFontDescription, FontDescDeleter>;
using Path = std::unique_ptr<cairo_path_t, PathDeleter>;

using DrawFn = std::function<Status(cairo_t*)>;

// Runs `draw` (in mm, origin top left) on a transparent width_mm × height_mm canvas at `dpi` and
// returns the PNG and the SVG. Errors: bad_dpi, internal (Cairo failures).
Result<SealPicture> render_both(double width_mm, double height_mm, double dpi, const DrawFn& draw);

void set_seal_red(cairo_t* cr);

// The UTF-8 characters of `s` (one std::string per code point).
std::vector<std::string> split_chars(std::string_view s);

// Places single characters (or short strings) in boxes: the glyph's ink is centred on the box
// centre and scaled so that the font's em square becomes w × h. One per drawing; not shared.
class GlyphPen {
 public:
  explicit GlyphPen(cairo_t* cr, bool bold = true);
  // Appends the outline of `text` to the current path: centred at (cx, cy), em box w × h, turned
  // by `angle` (radians, clockwise, 0 = upright). Adds to the path only; the caller fills.
  void add(std::string_view text, double cx, double cy, double w, double h, double angle = 0);

 private:
  void set_text(std::string_view text);
  cairo_t* cr_;
  Layout layout_;
};

// Text inside an ellipse (a circle when rx == ry) centred at (cx, cy): the glyph boxes' centres
// lie on the curve parallel to the ellipse, `inset` mm inside it (so a box of height h with
// inset = gap + h/2 keeps `gap` from the ellipse all along, even where an oval bends hardest).
// Characters are spaced evenly by arc length between parameters `from` and `to` (radians,
// clockwise from 12 o'clock), each upright along the normal (outward = true: tops point away from
// the centre, as in the name arc; false: tops point to the centre, reading left to right along
// the bottom). w, h is the em box.
void arc_text(GlyphPen& pen, const std::vector<std::string>& chars, double cx, double cy, double rx, double ry,
              double inset, double from, double to, double w, double h, bool outward);

// A regular five-pointed star of circumscribed diameter d centred at (cx, cy), point up; adds a
// closed path.
void add_star(cairo_t* cr, double cx, double cy, double d);

// A horizontal line of characters centred at (cx, cy), each in an em box of height h, evenly
// spaced; when the line would be wider than max_w the pitch and the glyphs narrow to fit.
void line_text(GlyphPen& pen, std::string_view text, double cx, double cy, double h, double max_w);

}  // namespace certseal::seal::internal
