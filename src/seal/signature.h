// Handwritten signatures (手写签名) from the strokes a drawing pad records: each point has a
// position, a pen pressure and a time. The strokes are smoothed (a centripetal-free, uniform
// Catmull-Rom spline through the points), drawn with a width that follows the pressure and
// thins when the pen moves fast, and cropped tightly to the ink, as a transparent PNG and SVG.
//
// Usage:
//   Signature sig;
//   sig.strokes.push_back({{{10, 20, 0.5, 0}, {30, 25, 0.7, 16}, ...}});
//   CS_ASSIGN(SealPicture pic, render_signature(sig, 300));
//
// Units: points are in pad pixels; `px_per_mm` says how many pad pixels make a millimetre on
// paper (a phone pad at ~160 dpi is about 6). Pressure is 0..1 (0 when the pad does not report
// it: the middle width is used); time is in milliseconds from any origin, non-decreasing.
// Contract: pure, thread-safe. Errors (kInvalidArgument): bad_signature (no stroke with a point,
// more than 200 strokes or 20000 points, coordinates outside ±100000, pressure outside 0..1, time
// going back, px_per_mm outside 1..50, or a drawing larger than 300 × 300 mm), bad_dpi.
#pragma once

#include <vector>

#include "base/result.h"
#include "seal/seal_picture.h"

namespace certseal::seal {

struct StrokePoint {
  double x = 0, y = 0;
  double pressure = 0;
  double t_ms = 0;
};
struct Stroke {
  std::vector<StrokePoint> points;
};

struct Signature {
  std::vector<Stroke> strokes;
  double px_per_mm = 6;
  double pen_mm = 0.9;    // the width at middle pressure and slow speed
  bool black = true;      // false: drawn in the seal red
};

Status check_signature(const Signature& s);
Result<SealPicture> render_signature(const Signature& s, double dpi);

}  // namespace certseal::seal
