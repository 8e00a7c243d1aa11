// Handwritten signatures: smoothing, pressure/speed width and the tight crop (signature.h).
#include "seal/signature.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "seal/canvas_internal.h"

namespace certseal::seal {
namespace {

constexpr std::size_t kMaxStrokes = 200;
constexpr std::size_t kMaxPoints = 20000;
constexpr int kSubdiv = 8;  // spline samples between two recorded points

struct Sample {
  double x, y, w;  // mm, mm, pen width mm
};

Error bad(const char* why) { return invalid_argument("bad_signature", why); }

// Catmull-Rom (uniform) through the stroke, in mm, with the width at each sample.
std::vector<Sample> smooth(const Stroke& s, const Signature& sig) {
  const auto& p = s.points;
  const std::size_t n = p.size();
  // Width per recorded point: pressure (or middle), thinner when fast (mm per ms).
  std::vector<double> w(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double pressure = p[i].pressure > 0 ? p[i].pressure : 0.5;
    double speed = 0;
    if (i > 0 && p[i].t_ms > p[i - 1].t_ms) {
      speed = std::hypot(p[i].x - p[i - 1].x, p[i].y - p[i - 1].y) / sig.px_per_mm / (p[i].t_ms - p[i - 1].t_ms);
    }
    const double speed_factor = 1.0 / (1.0 + 1.5 * std::min(speed, 2.0));
    w[i] = sig.pen_mm * (0.45 + 1.1 * pressure) * (0.55 + 0.45 * speed_factor);
  }
  // Light smoothing of the width so it does not jump between samples.
  for (std::size_t i = 1; i + 1 < n; ++i) w[i] = (w[i - 1] + 2 * w[i] + w[i + 1]) / 4;
  std::vector<Sample> out;
  auto at = [&](std::ptrdiff_t i) -> const StrokePoint& {
    return p[static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(i, 0, static_cast<std::ptrdiff_t>(n) - 1))];
  };
  if (n == 1) {
    out.push_back({p[0].x / sig.px_per_mm, p[0].y / sig.px_per_mm, w[0]});
    return out;
  }
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const auto si = static_cast<std::ptrdiff_t>(i);
    const StrokePoint &p0 = at(si - 1), &p1 = at(si), &p2 = at(si + 1), &p3 = at(si + 2);
    for (int j = 0; j < kSubdiv; ++j) {
      const double t = static_cast<double>(j) / kSubdiv, t2 = t * t, t3 = t2 * t;
      auto cr = [&](double a, double b, double c, double d) {
        return 0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (-a + 3 * b - 3 * c + d) * t3);
      };
      out.push_back({cr(p0.x, p1.x, p2.x, p3.x) / sig.px_per_mm, cr(p0.y, p1.y, p2.y, p3.y) / sig.px_per_mm,
                     w[i] + (w[i + 1] - w[i]) * t});
    }
  }
  out.push_back({p[n - 1].x / sig.px_per_mm, p[n - 1].y / sig.px_per_mm, w[n - 1]});
  return out;
}

// The ink of one smoothed stroke: a disc at every recorded point (round caps, sharp turns stay filled),
// filled as one path, then the outline (the left edge forward, the right edge back) as another,
// so opposite windings of the two never cancel.
void fill_stroke(cairo_t* cr, const std::vector<Sample>& s, double dx, double dy) {
  constexpr double kPi = std::numbers::pi;
  cairo_new_path(cr);
  for (std::size_t i = 0; i < s.size(); i += (i + kSubdiv < s.size() ? kSubdiv : 1)) {
    // At the recorded points and at both ends (between them the outline is smooth).
    const Sample& q = s[i];
    cairo_new_sub_path(cr);
    cairo_arc(cr, q.x + dx, q.y + dy, q.w / 2, 0, 2 * kPi);
  }
  cairo_fill(cr);
  if (s.size() < 2) return;
  std::vector<double> nx(s.size()), ny(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const Sample& a = s[i == 0 ? 0 : i - 1];
    const Sample& b = s[i + 1 < s.size() ? i + 1 : i];
    double tx = b.x - a.x, ty = b.y - a.y;
    const double len = std::hypot(tx, ty);
    if (len > 1e-9) {
      tx /= len;
      ty /= len;
    } else {
      tx = 1;
      ty = 0;
    }
    nx[i] = -ty;
    ny[i] = tx;
  }
  cairo_new_sub_path(cr);
  for (std::size_t i = 0; i < s.size(); ++i) {
    cairo_line_to(cr, s[i].x + dx + nx[i] * s[i].w / 2, s[i].y + dy + ny[i] * s[i].w / 2);
  }
  for (std::size_t i = s.size(); i-- > 0;) {
    cairo_line_to(cr, s[i].x + dx - nx[i] * s[i].w / 2, s[i].y + dy - ny[i] * s[i].w / 2);
  }
  cairo_close_path(cr);
  cairo_fill(cr);
}

}  // namespace

Status check_signature(const Signature& s) {
  if (!(s.px_per_mm >= 1 && s.px_per_mm <= 50)) return bad("px_per_mm 须在 1 到 50 之间");
  if (!(s.pen_mm >= 0.2 && s.pen_mm <= 5)) return bad("笔宽须在 0.2 到 5 毫米之间");
  if (s.strokes.empty() || s.strokes.size() > kMaxStrokes) return bad("签名须有 1 到 200 笔");
  std::size_t total = 0;
  for (const Stroke& st : s.strokes) {
    if (st.points.empty()) return bad("每一笔至少要有一个点");
    total += st.points.size();
    if (total > kMaxPoints) return bad("签名的点太多（最多 20000 个）");
    double last_t = -std::numeric_limits<double>::infinity();
    for (const StrokePoint& p : st.points) {
      if (!(std::abs(p.x) <= 100000 && std::abs(p.y) <= 100000)) return bad("签名坐标超出范围");
      if (!(p.pressure >= 0 && p.pressure <= 1)) return bad("压力须在 0 到 1 之间");
      if (!std::isfinite(p.t_ms) || p.t_ms < last_t) return bad("时间不能倒退");
      last_t = p.t_ms;
    }
  }
  return ok_status();
}

Result<SealPicture> render_signature(const Signature& s, double dpi) {
  CS_TRY(check_signature(s));
  std::vector<std::vector<Sample>> strokes;
  double x0 = std::numeric_limits<double>::infinity(), y0 = x0, x1 = -x0, y1 = -x0;
  for (const Stroke& st : s.strokes) {
    strokes.push_back(smooth(st, s));
    for (const Sample& q : strokes.back()) {
      x0 = std::min(x0, q.x - q.w / 2);
      y0 = std::min(y0, q.y - q.w / 2);
      x1 = std::max(x1, q.x + q.w / 2);
      y1 = std::max(y1, q.y + q.w / 2);
    }
  }
  // Tight crop: the ink's box plus a hair so antialiased edges are not cut.
  const double margin = 0.2;
  const double w = x1 - x0 + 2 * margin, h = y1 - y0 + 2 * margin;
  if (w > 300 || h > 300) return bad("签名太大（最大 300×300 毫米）");
  const double dx = margin - x0, dy = margin - y0;
  return internal::render_both(w, h, dpi, [&](cairo_t* cr) -> Status {
    if (s.black) {
      cairo_set_source_rgb(cr, 0.05, 0.05, 0.08);
    } else {
      internal::set_seal_red(cr);
    }
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    for (const auto& st : strokes) fill_stroke(cr, st, dx, dy);
    return ok_status();
  });
}

}  // namespace certseal::seal
