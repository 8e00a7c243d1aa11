// Cleaning seal photos (scan.h).
#include "seal/scan.h"

#include <leptonica/allheaders.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <numbers>
#include <vector>

#include "seal/canvas_internal.h"

namespace certseal::seal {
namespace {

constexpr double kPi = std::numbers::pi;

struct PixDeleter {
  void operator()(Pix* p) const { pixDestroy(&p); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

// A float image: ink coverage per pixel, 0..1.
struct Plane {
  int w = 0, h = 0;
  std::vector<float> v;
  float at(int x, int y) const { return v[static_cast<std::size_t>(y) * w + x]; }
  float& at(int x, int y) { return v[static_cast<std::size_t>(y) * w + x]; }
  // Bilinear sample; outside is 0.
  float sample(double x, double y) const {
    const int x0 = static_cast<int>(std::floor(x)), y0 = static_cast<int>(std::floor(y));
    const double fx = x - x0, fy = y - y0;
    auto get = [&](int xx, int yy) -> double { return xx < 0 || yy < 0 || xx >= w || yy >= h ? 0.0 : at(xx, yy); };
    return static_cast<float>((get(x0, y0) * (1 - fx) + get(x0 + 1, y0) * fx) * (1 - fy) +
                              (get(x0, y0 + 1) * (1 - fx) + get(x0 + 1, y0 + 1) * fx) * fy);
  }
};

// Redness ratio per pixel from a 32 bpp Leptonica image; `dark` marks near-black pixels (print,
// pen) that may hide ink underneath.
Plane redness(Pix* pix, std::vector<bool>& dark) {
  Plane p;
  p.w = static_cast<int>(pixGetWidth(pix));
  p.h = static_cast<int>(pixGetHeight(pix));
  p.v.resize(static_cast<std::size_t>(p.w) * p.h);
  dark.assign(p.v.size(), false);
  for (int y = 0; y < p.h; ++y) {
    for (int x = 0; x < p.w; ++x) {
      l_int32 r = 0, g = 0, b = 0;
      l_uint32 val = 0;
      pixGetPixel(pix, x, y, &val);
      extractRGBValues(val, &r, &g, &b);
      const double ratio = (r - std::max(g, b)) / std::max(static_cast<double>(r), 80.0);
      p.at(x, y) = static_cast<float>(std::max(0.0, ratio));
      dark[static_cast<std::size_t>(y) * p.w + x] = std::max({r, g, b}) < 70;
    }
  }
  return p;
}

// Pen ink per pixel (scan.h "pen"): darkness against the paper in the darkest channel.
Plane pen_ink(Pix* pix) {
  Plane p;
  p.w = static_cast<int>(pixGetWidth(pix));
  p.h = static_cast<int>(pixGetHeight(pix));
  p.v.resize(static_cast<std::size_t>(p.w) * p.h);
  std::vector<float> low(p.v.size());
  for (int y = 0; y < p.h; ++y) {
    for (int x = 0; x < p.w; ++x) {
      l_int32 r = 0, g = 0, b = 0;
      l_uint32 val = 0;
      pixGetPixel(pix, x, y, &val);
      extractRGBValues(val, &r, &g, &b);
      low[static_cast<std::size_t>(y) * p.w + x] = static_cast<float>(std::min({r, g, b}));
    }
  }
  std::vector<float> sorted = low;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() * 9 / 10), sorted.end());
  const float paper = std::max(sorted[sorted.size() * 9 / 10], 60.0f);
  for (std::size_t i = 0; i < low.size(); ++i) p.v[i] = std::max(0.0f, (paper - low[i]) / paper);
  return p;
}

// The ink's centre of mass (coverage-weighted).
void centroid(const Plane& p, double& cx, double& cy, double& mass) {
  cx = cy = mass = 0;
  for (int y = 0; y < p.h; ++y) {
    for (int x = 0; x < p.w; ++x) {
      const double m = p.at(x, y) > 0.5f ? 1.0 : 0.0;
      cx += m * x;
      cy += m * y;
      mass += m;
    }
  }
  if (mass > 0) {
    cx /= mass;
    cy /= mass;
  }
}

// Round seals: the angle (clockwise, radians) that brings the widest gap of the name band to
// the bottom; where a star sits in the middle (official seals), refined by the star's own
// five-fold symmetry, which fixes the angle to a fraction of a degree. (cx, cy): the centre of
// the ring (the middle of the ink's box: the ring is the outermost ink).
double round_angle(const Plane& p, double cx, double cy, double R) {
  constexpr int kBins = 720;
  std::vector<double> hist(kBins, 0.0);
  double re5 = 0, im5 = 0, star_mass = 0;
  for (int y = 0; y < p.h; ++y) {
    for (int x = 0; x < p.w; ++x) {
      const double m = p.at(x, y);
      if (m <= 0.5f) continue;
      const double d = std::hypot(x - cx, y - cy);
      // Angle clockwise from 12 o'clock (y down).
      double a = std::atan2(x - cx, -(y - cy));
      if (a < 0) a += 2 * kPi;
      if (d >= 0.63 * R && d <= 0.78 * R) hist[static_cast<std::size_t>(a / (2 * kPi) * kBins) % kBins] += 1;
      if (d >= 0.15 * R && d <= 0.30 * R) {
        re5 += m * std::cos(5 * a);
        im5 += m * std::sin(5 * a);
        star_mass += m;
      }
    }
  }
  double total = 0;
  for (double v : hist) total += v;
  const double empty = total / kBins * 0.02;
  // The longest circular run of (nearly) empty bins.
  int best_len = 0, best_start = 0;
  for (int s = 0; s < kBins; ++s) {
    if (hist[static_cast<std::size_t>(s)] > empty || hist[static_cast<std::size_t>((s + kBins - 1) % kBins)] <= empty) continue;
    int len = 0;
    while (len < kBins && hist[static_cast<std::size_t>((s + len) % kBins)] <= empty) ++len;
    if (len > best_len) {
      best_len = len;
      best_start = s;
    }
  }
  if (best_len < kBins / 12) return 0;  // no clear gap: leave as is
  const double gap_centre = (best_start + best_len / 2.0) / kBins * 2 * kPi;
  double coarse = kPi - gap_centre;  // turn the gap to 180°
  if (star_mass > 0 && std::hypot(re5, im5) / star_mass > 0.15) {
    // Star points at θp + k·72°: turning by −θp (+ k·72°) puts one straight up; take the k
    // nearest the gap's answer.
    const double tp = std::atan2(im5, re5) / 5;
    double best = coarse, best_diff = 1e9;
    for (int k = -5; k <= 5; ++k) {
      const double cand = -tp + k * 2 * kPi / 5;
      double diff = std::remainder(cand - coarse, 2 * kPi);
      if (std::abs(diff) < best_diff) {
        best_diff = std::abs(diff);
        best = coarse + diff;
      }
    }
    if (best_diff < 2 * kPi / 10) coarse = best;
  }
  return std::remainder(coarse, 2 * kPi);
}

// Oval and square seals: the turn in [-45°, 45°] whose axis-aligned box of the ink is smallest.
double box_angle(const Plane& p, double cx, double cy) {
  std::vector<std::pair<double, double>> pts;
  for (int y = 0; y < p.h; y += 2)
    for (int x = 0; x < p.w; x += 2)
      if (p.at(x, y) > 0.5f) pts.emplace_back(x - cx, y - cy);
  if (pts.size() < 50) return 0;
  auto area = [&](double a) {
    const double c = std::cos(a), s = std::sin(a);
    double x0 = 1e18, x1 = -1e18, y0 = 1e18, y1 = -1e18;
    for (auto [x, y] : pts) {
      const double rx = c * x - s * y, ry = s * x + c * y;
      x0 = std::min(x0, rx);
      x1 = std::max(x1, rx);
      y0 = std::min(y0, ry);
      y1 = std::max(y1, ry);
    }
    return (x1 - x0) * (y1 - y0);
  };
  double best = 0, best_area = area(0);
  for (double deg = -45; deg <= 45; deg += 1) {
    const double a = deg * kPi / 180, v = area(a);
    if (v < best_area) {
      best_area = v;
      best = a;
    }
  }
  for (double d = -1; d <= 1; d += 0.1) {
    const double a = best + d * kPi / 180, v = area(a);
    if (v < best_area) {
      best_area = v;
      best = a;
    }
  }
  return best;
}

}  // namespace

Result<ScanResult> clean_scan(BytesView photo, double dpi, const ScanOptions& opts) {
  if (!(dpi >= 72 && dpi <= 1200)) return invalid_argument("bad_dpi", "分辨率须在 72 到 1200 dpi 之间");
  if (!(opts.size_mm >= 10 && opts.size_mm <= 60)) return invalid_argument("bad_seal_size", "印章宽度须在 10 到 60 毫米之间");
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
  if (photo.empty() || pixReadHeaderMem(photo.data(), photo.size(), &format, &w, &h, &bps, &spp, &cmap) != 0 ||
      (format != IFF_PNG && format != IFF_JFIF_JPEG)) {
    return invalid_argument("unreadable_image", "图片无法读取（须为 PNG 或 JPEG）");
  }
  if (w <= 0 || h <= 0 || static_cast<std::uint32_t>(std::max(w, h)) > opts.max_side ||
      static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h) > opts.max_pixels) {
    return invalid_argument("image_too_large", "图片太大");
  }
  PixPtr raw(pixReadMem(photo.data(), photo.size()));
  if (!raw) return invalid_argument("unreadable_image", "图片无法读取（须为 PNG 或 JPEG）");
  if (pixGetSpp(raw.get()) == 4) {
    // A transparent background (a canvas export) is white paper.
    raw.reset(pixAlphaBlendUniform(raw.get(), 0xffffff00));
    if (!raw) return invalid_argument("unreadable_image", "图片无法读取");
  }
  PixPtr rgb(pixConvertTo32(raw.get()));
  if (!rgb) return invalid_argument("unreadable_image", "图片无法读取");
  raw.reset();
  // Work at most 1600 pixels across (a seal needs no more; the output is resampled anyway).
  const int side = std::max(static_cast<int>(pixGetWidth(rgb.get())), static_cast<int>(pixGetHeight(rgb.get())));
  if (side > 1600) {
    const float f = 1600.0f / static_cast<float>(side);
    rgb.reset(pixScaleSmooth(rgb.get(), f, f));
    if (!rgb) return internal_error("pixScaleSmooth");
  }
  const bool pen = opts.ink == ScanInk::kPen;
  auto nothing_found = [&] {
    return pen ? invalid_argument("no_signature_found", "图片上没有找到签名笔迹")
               : invalid_argument("no_seal_found", "照片上没有找到红色印章");
  };
  std::vector<bool> dark;
  Plane red = pen ? pen_ink(rgb.get()) : redness(rgb.get(), dark);
  if (pen) dark.assign(red.v.size(), false);  // no print to look under
  rgb.reset();
  // Full ink: the 90th percentile of the clearly red pixels.
  std::vector<float> strong;
  for (float v : red.v)
    if (v > 0.3f) strong.push_back(v);
  if (strong.size() < 200) return nothing_found();
  std::nth_element(strong.begin(), strong.begin() + static_cast<std::ptrdiff_t>(strong.size() * 3 / 4), strong.end());
  const float full = strong[strong.size() * 3 / 4];
  // Paper, grain and shadow score a little above 0: below kFloor counts as no ink at all.
  // Pen: grey paper and shadows darken every channel a little, so the floor is higher.
  const float kFloor = pen ? 0.25f : 0.08f;
  for (float& v : red.v) v = std::clamp((v - kFloor) / std::max(full - kFloor, 0.05f), 0.0f, 1.0f);
  // Ink hidden under a thin dark line (text printed across the seal): a dark pixel takes the ink
  // found on both sides of it within kReach pixels, across or along.
  constexpr int kReach = 6;
  Plane filled = red;
  for (int y = 0; y < red.h; ++y) {
    for (int x = 0; x < red.w; ++x) {
      if (!dark[static_cast<std::size_t>(y) * red.w + x]) continue;
      float up = 0, down = 0, left = 0, right = 0;
      for (int k = 1; k <= kReach; ++k) {
        if (y - k >= 0) up = std::max(up, red.at(x, y - k));
        if (y + k < red.h) down = std::max(down, red.at(x, y + k));
        if (x - k >= 0) left = std::max(left, red.at(x - k, y));
        if (x + k < red.w) right = std::max(right, red.at(x + k, y));
      }
      filled.at(x, y) = std::max({red.at(x, y), std::min(up, down), std::min(left, right)});
    }
  }
  red = std::move(filled);

  double cx = 0, cy = 0, mass = 0;
  centroid(red, cx, cy, mass);
  double angle = 0;
  if (opts.shape == ScanShape::kRound) {
    int bx0 = red.w, by0 = red.h, bx1 = -1, by1 = -1;
    for (int y = 0; y < red.h; ++y)
      for (int x = 0; x < red.w; ++x)
        if (red.at(x, y) > 0.5f) {
          bx0 = std::min(bx0, x);
          by0 = std::min(by0, y);
          bx1 = std::max(bx1, x);
          by1 = std::max(by1, y);
        }
    cx = (bx0 + bx1) / 2.0;
    cy = (by0 + by1) / 2.0;
    angle = round_angle(red, cx, cy, ((bx1 - bx0) + (by1 - by0)) / 4.0 + 0.5);
  } else if (opts.shape != ScanShape::kNone) {
    angle = box_angle(red, cx, cy);
  }
  // Turn by `angle` (clockwise) about the centroid into a plane large enough for any turn.
  const int diag = static_cast<int>(std::ceil(std::hypot(red.w, red.h)));
  Plane turned;
  turned.w = turned.h = diag;
  turned.v.assign(static_cast<std::size_t>(diag) * diag, 0.0f);
  const double c = std::cos(angle), s = std::sin(angle);
  for (int y = 0; y < diag; ++y) {
    for (int x = 0; x < diag; ++x) {
      // Inverse map: output point → source point (rotate back by -angle).
      const double dx = x - diag / 2.0, dy = y - diag / 2.0;
      const double sx = c * dx + s * dy + cx, sy = -s * dx + c * dy + cy;
      turned.at(x, y) = red.sample(sx, sy);
    }
  }
  // Crop to the ink box.
  int x0 = diag, y0 = diag, x1 = -1, y1 = -1;
  for (int y = 0; y < diag; ++y)
    for (int x = 0; x < diag; ++x)
      if (turned.at(x, y) > 0.5f) {
        x0 = std::min(x0, x);
        y0 = std::min(y0, y);
        x1 = std::max(x1, x);
        y1 = std::max(y1, y);
      }
  if (x1 < x0 || y1 < y0) return nothing_found();
  // The ink box runs from the first to the last inked pixel: its edges are half a pixel out.
  const double bx0 = x0 - 0.5, by0 = y0 - 0.5, bw = x1 - x0 + 1.0, bh = y1 - y0 + 1.0;
  const double width_mm = opts.size_mm;
  const double height_mm = opts.shape == ScanShape::kRound ? width_mm : width_mm * bh / bw;
  const int out_w = static_cast<int>(std::lround(width_mm / 25.4 * dpi));
  const int out_h = static_cast<int>(std::lround(height_mm / 25.4 * dpi));
  const double sy_scale = opts.shape == ScanShape::kRound ? bw / out_h : bh / out_h;
  internal::Surface img(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, out_w, out_h));
  if (cairo_surface_status(img.get()) != CAIRO_STATUS_SUCCESS) return internal_error("cairo image surface");
  {
    unsigned char* data = cairo_image_surface_get_data(img.get());
    const int stride = cairo_image_surface_get_stride(img.get());
    // Round: a square box centred on the ink box (the ring is as tall as wide).
    const double oy0 = opts.shape == ScanShape::kRound ? by0 + (bh - bw) / 2 : by0;
    for (int y = 0; y < out_h; ++y) {
      for (int x = 0; x < out_w; ++x) {
        const double sx = bx0 + (x + 0.5) * bw / out_w, sy = oy0 + (y + 0.5) * sy_scale;
        const double a = std::clamp(static_cast<double>(turned.sample(sx, sy)), 0.0, 1.0);
        const auto A = static_cast<std::uint32_t>(std::lround(a * 255));
        auto pm = [&](int ch) { return pen ? 0u : static_cast<std::uint32_t>(std::lround(kSealRed[ch] * a)); };
        const std::uint32_t px = (A << 24) | (pm(0) << 16) | (pm(1) << 8) | pm(2);
        std::memcpy(data + static_cast<std::ptrdiff_t>(y) * stride + 4 * x, &px, 4);
      }
    }
    cairo_surface_mark_dirty(img.get());
  }
  CS_ASSIGN(SealPicture pic, internal::render_both(width_mm, height_mm, dpi, [&](cairo_t* cr) -> Status {
    cairo_save(cr);
    cairo_scale(cr, width_mm / out_w, height_mm / out_h);
    cairo_set_source_surface(cr, img.get(), 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
    cairo_paint(cr);
    cairo_restore(cr);
    return ok_status();
  }));
  return ScanResult{std::move(pic), angle * 180 / kPi};
}

}  // namespace certseal::seal
