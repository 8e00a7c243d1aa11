#include "seal/scan.h"

#include <cairo.h>
#include <gtest/gtest.h>
#include <leptonica/allheaders.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <numbers>
#include <random>

#include "seal/testing/raster.h"

namespace certseal::seal {
namespace {

using testing::Rgba;

struct Photo {
  Bytes jpeg;
};

// A phone photo of a paper seal: the rendered seal turned by `deg`, larger than life, on grey
// paper with grain, crossed by a black line of text, blurred, with a shadow across it, as JPEG.
Bytes synthetic_photo(const Rgba& seal, double deg, unsigned seed) {
  const int W = 900, H = 820;
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  cairo_t* cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0.78, 0.77, 0.74);  // grey paper
  cairo_paint(cr);
  // The seal, turned about its centre, placed off-centre.
  cairo_surface_t* ink = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, seal.width, seal.height);
  unsigned char* d = cairo_image_surface_get_data(ink);
  const int stride = cairo_image_surface_get_stride(ink);
  for (int y = 0; y < seal.height; ++y)
    for (int x = 0; x < seal.width; ++x) {
      const std::uint32_t a = seal.a(x, y);
      const std::uint32_t px = (a << 24) | ((seal.r(x, y) * a / 255) << 16) | ((seal.g(x, y) * a / 255) << 8) |
                               (seal.b(x, y) * a / 255);
      std::memcpy(d + y * stride + 4 * x, &px, 4);
    }
  cairo_surface_mark_dirty(ink);
  cairo_save(cr);
  cairo_translate(cr, 470, 400);
  cairo_rotate(cr, deg * std::numbers::pi / 180);
  cairo_scale(cr, 1.3, 1.3);
  cairo_translate(cr, -seal.width / 2.0, -seal.height / 2.0);
  cairo_set_source_surface(cr, ink, 0, 0);
  cairo_paint_with_alpha(cr, 0.93);  // paper shows through a little
  cairo_restore(cr);
  cairo_surface_destroy(ink);
  // A line of black text (a thick stroke) crossing the seal.
  cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
  cairo_set_line_width(cr, 5);
  cairo_move_to(cr, 60, 380);
  cairo_line_to(cr, 860, 450);
  cairo_stroke(cr);
  cairo_destroy(cr);
  cairo_surface_flush(s);
  // Grain, blur (3×3 box, twice), then a shadow darkening the left side down to 55%.
  unsigned char* p = cairo_image_surface_get_data(s);
  const int st = cairo_image_surface_get_stride(s);
  std::mt19937 rng(seed);
  std::normal_distribution<double> grain(0, 6);
  std::vector<double> ch[3];
  for (auto& c : ch) c.assign(static_cast<std::size_t>(W) * H, 0);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      std::uint32_t v = 0;
      std::memcpy(&v, p + y * st + 4 * x, 4);
      const double g = grain(rng);
      ch[0][static_cast<std::size_t>(y) * W + x] = ((v >> 16) & 0xff) + g;
      ch[1][static_cast<std::size_t>(y) * W + x] = ((v >> 8) & 0xff) + g;
      ch[2][static_cast<std::size_t>(y) * W + x] = (v & 0xff) + g;
    }
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& c : ch) {
      std::vector<double> out(c.size());
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
          double sum = 0;
          int n = 0;
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              const int xx = x + dx, yy = y + dy;
              if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
              sum += c[static_cast<std::size_t>(yy) * W + xx];
              ++n;
            }
          out[static_cast<std::size_t>(y) * W + x] = sum / n;
        }
      c.swap(out);
    }
  }
  Pix* pix = pixCreate(W, H, 32);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const double shade = 0.55 + 0.45 * x / W;
      auto v = [&](int k) {
        return static_cast<l_int32>(std::clamp(ch[k][static_cast<std::size_t>(y) * W + x] * shade, 0.0, 255.0));
      };
      l_uint32 px = 0;
      composeRGBPixel(v(0), v(1), v(2), &px);
      pixSetPixel(pix, x, y, px);
    }
  cairo_surface_destroy(s);
  l_uint8* data = nullptr;
  size_t size = 0;
  pixWriteMemJpeg(&data, &size, pix, 90, 0);
  pixDestroy(&pix);
  Bytes out(data, data + size);
  lept_free(data);
  return out;
}

double iou(const Rgba& a, const Rgba& b) {
  std::size_t inter = 0, uni = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) {
      const bool ia = a.a(x, y) > 128, ib = b.a(x, y) > 128;
      inter += ia && ib;
      uni += ia || ib;
    }
  return uni == 0 ? 0 : static_cast<double>(inter) / static_cast<double>(uni);
}

TEST(SealScan, PhotoOfARotatedSealIsCleanedToTheOriginal) {
  SealTemplate t;
  t.kind = SealKind::kOfficial;
  t.name = "北京某某科技有限公司";
  t.horizontal_text = "合同专用章";
  auto orig = render_seal(t, 300);
  ASSERT_TRUE(orig.ok());
  Rgba original = testing::decode_png(orig->png);
  for (double deg : {-23.0, 11.0, 37.0}) {
    SCOPED_TRACE(deg);
    Bytes photo = synthetic_photo(original, deg, 7);
    auto clean = clean_scan(photo, 300, {ScanShape::kRound, 40});
    ASSERT_TRUE(clean.ok()) << clean.error().code;
    Rgba cleaned = testing::decode_png(clean->picture.png);
    ASSERT_EQ(cleaned.width, original.width);
    ASSERT_EQ(cleaned.height, original.height);
    EXPECT_NEAR(clean->angle_deg, -deg, 1.5);
    const double overlap = iou(original, cleaned);
    EXPECT_GE(overlap, 0.90) << "IoU " << overlap;
    std::printf("turned %.1f°: found %.2f°, red-mask IoU %.3f\n", deg, clean->angle_deg, overlap);
    // Transparent outside the ink, and seal red inside.
    EXPECT_EQ(cleaned.a(0, 0), 0);
    for (int y = 0; y < cleaned.height; y += 3)
      for (int x = 0; x < cleaned.width; x += 3)
        if (cleaned.a(x, y) > 128) {
          ASSERT_GE(cleaned.r(x, y), 200);
          ASSERT_LE(cleaned.g(x, y), 40);
        }
    EXPECT_NE(clean->picture.svg.find("<svg"), std::string::npos);
  }
}

TEST(SealScan, AnOvalSealIsStraightenedByItsBox) {
  SealTemplate t;
  t.kind = SealKind::kInvoice;
  t.name = "北京某某科技有限公司";
  t.tax_number = "91110108MA01ABCD3X";
  auto orig = render_seal(t, 300);
  ASSERT_TRUE(orig.ok());
  Rgba original = testing::decode_png(orig->png);
  Bytes photo = synthetic_photo(original, 14, 3);
  auto clean = clean_scan(photo, 300, {ScanShape::kOval, 40});
  ASSERT_TRUE(clean.ok()) << clean.error().code;
  EXPECT_NEAR(clean->angle_deg, -14, 1.5);
  Rgba cleaned = testing::decode_png(clean->picture.png);
  EXPECT_NEAR(clean->picture.height_mm, 30, 1.0);
}

TEST(SealScan, RefusesWhatIsNotASealPhoto) {
  EXPECT_EQ(clean_scan(to_bytes("not an image"), 300).error().code, "unreadable_image");
  // A grey page without red ink.
  Pix* pix = pixCreate(200, 200, 32);
  pixSetAllArbitrary(pix, 0xb0b0b000);
  l_uint8* data = nullptr;
  size_t size = 0;
  pixWriteMemPng(&data, &size, pix, 0);
  pixDestroy(&pix);
  Bytes png(data, data + size);
  lept_free(data);
  EXPECT_EQ(clean_scan(png, 300).error().code, "no_seal_found");
  ScanOptions small;
  small.max_side = 100;
  EXPECT_EQ(clean_scan(png, 300, small).error().code, "image_too_large");
  EXPECT_EQ(clean_scan(png, 20).error().code, "bad_dpi");
}

// A handwritten signature as a canvas exports it: black strokes on a transparent background,
// as PNG (cairo writes the alpha channel).
Bytes canvas_signature_png(bool photo_like) {
  const int W = 600, H = 240;
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
  cairo_t* cr = cairo_create(s);
  if (photo_like) {
    cairo_set_source_rgb(cr, 0.80, 0.79, 0.76);  // grey paper, no alpha
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0.10, 0.12, 0.45);  // a blue pen
  } else {
    cairo_set_source_rgb(cr, 0, 0, 0);
  }
  cairo_set_line_width(cr, 7);
  cairo_move_to(cr, 100, 160);
  cairo_curve_to(cr, 160, 20, 240, 220, 300, 90);
  cairo_curve_to(cr, 360, 10, 420, 200, 500, 120);
  cairo_stroke(cr);
  cairo_destroy(cr);
  cairo_surface_flush(s);
  std::vector<unsigned char> out;
  cairo_surface_write_to_png_stream(
      s,
      [](void* closure, const unsigned char* data, unsigned int len) {
        auto* v = static_cast<std::vector<unsigned char>*>(closure);
        v->insert(v->end(), data, data + len);
        return CAIRO_STATUS_SUCCESS;
      },
      &out);
  cairo_surface_destroy(s);
  return Bytes(out.begin(), out.end());
}

TEST(SealScan, PenInkOfACanvasSignatureIsKeptBlackAndCropped) {
  for (bool photo_like : {false, true}) {
    ScanOptions o;
    o.shape = ScanShape::kNone;
    o.ink = ScanInk::kPen;
    o.size_mm = 50;
    const Bytes input = canvas_signature_png(photo_like);
    auto r = clean_scan(input, 200, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Rgba pic = testing::decode_png(r->picture.png);
    // Cropped to the ink: the result has the aspect of the strokes' box in the input (not the
    // canvas's 600:240).
    const Rgba in = testing::decode_png(input);
    int x0 = in.width, y0 = in.height, x1 = -1, y1 = -1;
    for (int y = 0; y < in.height; ++y)
      for (int x = 0; x < in.width; ++x) {
        const bool ink = photo_like ? in.r(x, y) < 128 : in.a(x, y) > 128;
        if (!ink) continue;
        x0 = std::min(x0, x);
        y0 = std::min(y0, y);
        x1 = std::max(x1, x);
        y1 = std::max(y1, y);
      }
    const double box = static_cast<double>(x1 - x0 + 1) / (y1 - y0 + 1);
    EXPECT_LT(std::abs(static_cast<double>(pic.width) / pic.height / box - 1), 0.08) << photo_like << " " << box;
    EXPECT_GT(box, 3.0);  // far from the canvas's 2.5
    std::size_t inked = 0, non_black = 0;
    for (int y = 0; y < pic.height; ++y)
      for (int x = 0; x < pic.width; ++x) {
        if (pic.a(x, y) < 128) continue;
        ++inked;
        non_black += pic.r(x, y) > 10 || pic.g(x, y) > 10 || pic.b(x, y) > 10;
      }
    EXPECT_GT(inked, 1000u) << photo_like;
    EXPECT_EQ(non_black, 0u) << photo_like;
    // The corners are paper: transparent.
    EXPECT_LT(pic.a(0, 0), 10);
    EXPECT_LT(pic.a(pic.width - 1, pic.height - 1), 10);
  }
  // The red-ink reading finds no seal in it; the pen reading finds nothing on blank paper.
  EXPECT_EQ(clean_scan(canvas_signature_png(false), 300).error().code, "no_seal_found");
  Pix* pix = pixCreate(200, 200, 32);
  pixSetAllArbitrary(pix, 0xf0f0f000);
  l_uint8* data = nullptr;
  size_t size = 0;
  pixWriteMemPng(&data, &size, pix, 0);
  pixDestroy(&pix);
  Bytes blank(data, data + size);
  lept_free(data);
  ScanOptions o;
  o.shape = ScanShape::kNone;
  o.ink = ScanInk::kPen;
  EXPECT_EQ(clean_scan(blank, 300, o).error().code, "no_signature_found");
}

}  // namespace
}  // namespace certseal::seal
