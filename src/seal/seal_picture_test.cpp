#include "seal/seal_picture.h"

#include <gtest/gtest.h>
#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "crypto/testing/interop.h"
#include "seal/signature.h"
#include "seal/testing/raster.h"

namespace certseal::seal {
namespace {

using testing::Rgba;

const char* kName30 = "北京市海淀区中关村科技园区某某信息技术发展股份有限公司分公司";  // 30 characters
const char* kName3 = "某公司";

SealTemplate official(std::string name) {
  SealTemplate t;
  t.kind = SealKind::kOfficial;
  t.name = std::move(name);
  return t;
}

std::vector<SealTemplate> every_kind() {
  std::vector<SealTemplate> out;
  SealTemplate o = official("北京某某科技有限公司");
  o.horizontal_text = "合同专用章";
  o.code = "1101080123456";
  out.push_back(o);
  SealTemplate c = official("北京某某科技有限公司");
  c.kind = SealKind::kContract;
  out.push_back(c);
  c.kind = SealKind::kFinance;
  out.push_back(c);
  c.shape = SealShape::kSquare;
  out.push_back(c);
  SealTemplate inv = official("北京某某科技有限公司");
  inv.kind = SealKind::kInvoice;
  inv.tax_number = "91110108MA01ABCD3X";
  out.push_back(inv);
  SealTemplate lr;
  lr.kind = SealKind::kLegalRepresentative;
  lr.name = "张三";
  lr.suffix = NameSuffix::kZhiYin;
  out.push_back(lr);
  SealTemplate ps;
  ps.kind = SealKind::kPersonalSquare;
  ps.name = "欧阳明";
  ps.carving = Carving::kYin;
  out.push_back(ps);
  return out;
}

Rgba render(const SealTemplate& t, double dpi, const DrawParts& parts = {}) {
  auto pic = render_seal(t, dpi, parts);
  EXPECT_TRUE(pic.ok()) << (pic.ok() ? "" : pic.error().code);
  if (!pic.ok()) return {};
  return testing::decode_png(pic->png);
}

std::size_t ink_count(const Rgba& img, int min_alpha = 1) {
  std::size_t n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) n += img.a(x, y) >= min_alpha ? 1 : 0;
  return n;
}

TEST(SealPicture, EveryKindIsTransparentRedAndSizedInMm) {
  for (double dpi : {150.0, 300.0}) {
    for (const SealTemplate& t : every_kind()) {
      SCOPED_TRACE(std::string(seal_kind_name(t.kind)) + " at " + std::to_string(dpi));
      auto pic = render_seal(t, dpi);
      ASSERT_TRUE(pic.ok()) << pic.error().code;
      Rgba img = testing::decode_png(pic->png);
      ASSERT_GT(img.width, 0);
      EXPECT_EQ(img.width, std::lround(pic->width_mm / 25.4 * dpi));
      EXPECT_EQ(img.height, std::lround(pic->height_mm / 25.4 * dpi));
      EXPECT_EQ(pic->width_mm, t.kind == SealKind::kInvoice ? 40 : pic->width_mm);
      // Transparent corners (the round and oval seals) and transparent paper around the ink.
      if (t.kind != SealKind::kLegalRepresentative && t.kind != SealKind::kPersonalSquare &&
          !(t.kind == SealKind::kFinance && t.shape == SealShape::kSquare)) {
        EXPECT_EQ(img.a(0, 0), 0);
        EXPECT_EQ(img.a(img.width - 1, img.height - 1), 0);
      }
      const std::size_t total = static_cast<std::size_t>(img.width) * img.height;
      const std::size_t opaque = ink_count(img, 128);
      EXPECT_GT(opaque, total / 50) << "too little ink";
      if (t.carving != Carving::kYin) {
        EXPECT_LT(ink_count(img, 1), total * 7 / 10) << "background not transparent";
      }
      // Every clearly inked pixel is seal red.
      for (int y = 0; y < img.height; ++y) {
        for (int x = 0; x < img.width; ++x) {
          if (img.a(x, y) < 128) continue;
          ASSERT_GE(img.r(x, y), 200) << x << "," << y;
          ASSERT_LE(img.g(x, y), 40) << x << "," << y;
          ASSERT_LE(img.b(x, y), 50) << x << "," << y;
        }
      }
    }
  }
}

// The name arc of 3 and of 30 characters stays inside the ring: drawn alone, no inked pixel lies
// on or beyond the inner edge of the 1.2 mm border.
TEST(SealPicture, NameOf3And30CharactersStaysInsideTheRing) {
  const double dpi = 300;
  for (const char* name : {kName3, kName30}) {
    for (double size : {40.0, 42.0}) {
      SealTemplate t = official(name);
      t.size_mm = size;
      t.code = "1101080123456";
      DrawParts only_name;
      only_name.border = only_name.star = only_name.middle = only_name.code = false;
      Rgba img = render(t, dpi, only_name);
      ASSERT_GT(img.width, 0);
      const double px_per_mm = dpi / 25.4;
      const double c = img.width / 2.0;
      const double inner = (size / 2 - 1.2 * size / 40) * px_per_mm;
      double max_r = 0;
      std::size_t inked = 0;
      for (int y = 0; y < img.height; ++y) {
        for (int x = 0; x < img.width; ++x) {
          if (img.a(x, y) == 0) continue;
          ++inked;
          max_r = std::max(max_r, std::hypot(x + 0.5 - c, y + 0.5 - c));
        }
      }
      EXPECT_GT(inked, 500u) << name;
      EXPECT_LT(max_r, inner) << name << " " << size << " mm: a glyph reaches " << max_r / px_per_mm << " mm";
    }
  }
}

TEST(SealPicture, InvoiceNameOf3And30StaysInsideTheOval) {
  const double dpi = 300;
  for (const char* name : {kName3, kName30}) {
    SealTemplate t = official(name);
    t.kind = SealKind::kInvoice;
    t.tax_number = "91110108MA01ABCD3X";
    DrawParts only_text;
    only_text.border = false;
    Rgba img = render(t, dpi, only_text);
    ASSERT_GT(img.width, 0);
    const double px_per_mm = dpi / 25.4;
    const double ax = (20 - 1.0) * px_per_mm, by = (15 - 1.0) * px_per_mm;
    for (int y = 0; y < img.height; ++y) {
      for (int x = 0; x < img.width; ++x) {
        if (img.a(x, y) == 0) continue;
        const double dx = (x + 0.5 - img.width / 2.0) / ax, dy = (y + 0.5 - img.height / 2.0) / by;
        ASSERT_LT(dx * dx + dy * dy, 1.0) << name << ": ink at " << x << "," << y << " crosses the border";
      }
    }
  }
}

// Neighbouring characters of a 30-character name do not touch: walking along the arc at the
// inner edge of the band (where characters are closest), ink and gap alternate exactly 30 times.
// The name is 30 × 国, a closed box, so a gap can only be a gap between two characters.
TEST(SealPicture, ThirtyCharactersAreSeparated) {
  const double dpi = 600;
  std::string boxes;
  for (int i = 0; i < 30; ++i) boxes += "国";
  SealTemplate t = official(boxes);
  DrawParts only_name;
  only_name.border = only_name.star = only_name.middle = only_name.code = false;
  Rgba img = render(t, dpi, only_name);
  ASSERT_GT(img.width, 0);
  const double px_per_mm = dpi / 25.4, c = img.width / 2.0;
  const double r = (20 - 1.2 - 0.6 - 4.5) * px_per_mm;  // inner edge of the band for 30 characters
  int runs = 0;
  bool in_gap = true;
  for (int i = 0; i < 20000; ++i) {
    const double a = -2.4 + 4.8 * i / 20000.0;
    // Ink anywhere across the band at this angle.
    bool ink = false;
    for (double rr = r; rr < r + 4.6 * px_per_mm && !ink; rr += 1) {
      ink = img.a(static_cast<int>(c + rr * std::sin(a)), static_cast<int>(c - rr * std::cos(a))) > 0;
    }
    if (ink && in_gap) ++runs;
    in_gap = !ink;
  }
  EXPECT_EQ(runs, 30);
}

std::string ocr_line(const Rgba& img, int x0, int y0, int x1, int y1) {
  // Red ink on transparent → black on white, the crop only, for Tesseract.
  const int w = x1 - x0, h = y1 - y0;
  std::unique_ptr<Pix, void (*)(Pix*)> pix(pixCreate(w + 120, h + 120, 8), [](Pix* p) { pixDestroy(&p); });
  pixSetAllArbitrary(pix.get(), 255);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) pixSetPixel(pix.get(), x + 60, y + 60, 255 - img.a(x0 + x, y0 + y));
  tesseract::TessBaseAPI api;
  EXPECT_EQ(api.Init(nullptr, "chi_sim"), 0);
  api.SetPageSegMode(tesseract::PSM_SINGLE_LINE);
  api.SetImage(pix.get());
  std::unique_ptr<char[]> text(api.GetUTF8Text());
  std::string s = text ? text.get() : "";
  api.End();
  std::string out;
  for (char ch : s)
    if (ch != ' ' && ch != '\n') out += ch;
  return out;
}

TEST(SealPicture, TesseractReadsTheHorizontalText) {
  // 240 dpi: the characters come out 30..50 pixels tall, the size Tesseract's chi_sim model reads
  // best (at 300 dpi and more it takes the bold serif 章 for 草 or 音).
  const double dpi = 240, px_per_mm = dpi / 25.4;
  {
    // Official seal: the line under the star (its band: 6.5 .. 10.5 mm below the centre).
    SealTemplate t = official("北京某某科技有限公司");
    t.horizontal_text = "合同专用章";
    Rgba img = render(t, dpi);
    ASSERT_GT(img.width, 0);
    const int c = img.width / 2;
    EXPECT_EQ(ocr_line(img, c - static_cast<int>(9 * px_per_mm), c + static_cast<int>(6.3 * px_per_mm),
                       c + static_cast<int>(9 * px_per_mm), c + static_cast<int>(10.6 * px_per_mm)),
              "合同专用章");
  }
  {
    // Finance seal: the purpose across the middle.
    SealTemplate t = official("北京某某科技有限公司");
    t.kind = SealKind::kFinance;
    Rgba img = render(t, dpi);
    ASSERT_GT(img.width, 0);
    const int c = img.width / 2;
    EXPECT_EQ(ocr_line(img, c - static_cast<int>(12 * px_per_mm), c - static_cast<int>(3 * px_per_mm),
                       c + static_cast<int>(12 * px_per_mm), c + static_cast<int>(3 * px_per_mm)),
              "财务专用章");
  }
}

// The SVG is well-formed XML (xmllint), sized in mm, and an independent renderer (librsvg) draws
// it within a small difference of the PNG.
void expect_svg_matches_png(const SealPicture& pic, const std::string& what) {
  SCOPED_TRACE(what);
  const std::string path = std::string(CERTSEAL_BINARY_DIR) + "/seal_test_" + what + ".svg";
  crypto::testing::write_file(path, as_bytes(pic.svg));
  auto lint = crypto::testing::run_command("xmllint --noout " + path + " 2>&1");
  EXPECT_EQ(lint.exit_code, 0) << lint.out;
  std::filesystem::remove(path);
  EXPECT_NE(pic.svg.find("mm\""), std::string::npos) << "width/height in mm";
  Rgba png = testing::decode_png(pic.png);
  Rgba svg = testing::rasterise_svg(pic.svg, png.width, png.height);
  ASSERT_EQ(svg.width, png.width);
  std::size_t differ = 0, inked = 0;
  for (int y = 0; y < png.height; ++y) {
    for (int x = 0; x < png.width; ++x) {
      inked += png.a(x, y) > 0 ? 1 : 0;
      differ += std::abs(int(png.a(x, y)) - int(svg.a(x, y))) > 96 ? 1 : 0;
    }
  }
  ASSERT_GT(inked, 0u);
  // Only antialiased edge pixels may differ.
  EXPECT_LT(static_cast<double>(differ) / static_cast<double>(inked), 0.01) << differ << " of " << inked;
}

TEST(SealPicture, SvgParsesAndRasterisesLikeThePng) {
  int i = 0;
  for (const SealTemplate& t : every_kind()) {
    auto pic = render_seal(t, 200);
    ASSERT_TRUE(pic.ok());
    expect_svg_matches_png(*pic, std::string(seal_kind_name(t.kind)) + std::to_string(i++));
  }
}

TEST(SealPicture, YinCarvingCutsCharactersOutOfRed) {
  SealTemplate t;
  t.kind = SealKind::kPersonalSquare;
  t.name = "王五";
  t.suffix = NameSuffix::kYin;
  Rgba yang = render(t, 300);
  t.carving = Carving::kYin;
  Rgba yin = render(t, 300);
  ASSERT_GT(yang.width, 0);
  ASSERT_GT(yin.width, 0);
  const std::size_t total = static_cast<std::size_t>(yin.width) * yin.height;
  EXPECT_LT(ink_count(yang, 128), total / 2);
  EXPECT_GT(ink_count(yin, 128), total / 2);
  // Where 阳文 has character ink (inside the border), 阴文 has none.
  std::size_t both = 0, yang_chars = 0;
  const int border = static_cast<int>(2.0 * 300 / 25.4);
  for (int y = border; y < yin.height - border; ++y)
    for (int x = border; x < yin.width - border; ++x) {
      if (yang.a(x, y) < 250) continue;
      ++yang_chars;
      both += yin.a(x, y) > 5 ? 1 : 0;
    }
  EXPECT_GT(yang_chars, 1000u);
  EXPECT_LT(static_cast<double>(both) / static_cast<double>(yang_chars), 0.02);
}

TEST(SealPicture, RefusesWhatTheRulesDoNotAllow) {
  auto code = [](const SealTemplate& t) { return check_template(t).ok() ? std::string("ok") : check_template(t).error().code; };
  EXPECT_EQ(code(official("北京某某科技有限公司")), "ok");
  EXPECT_EQ(code(official("某公")), "bad_seal_name");
  EXPECT_EQ(code(official(std::string(kName30) + "甲")), "bad_seal_name");
  EXPECT_EQ(code(official("某某\n公司")), "bad_seal_name");
  EXPECT_EQ(code(official("\xff\xfe公司")), "bad_seal_name");
  SealTemplate t = official("某某公司");
  t.code = "110108012345";
  EXPECT_EQ(code(t), "bad_seal_code");
  t.code = "110108012345X";
  EXPECT_EQ(code(t), "bad_seal_code");
  t.code.clear();
  t.size_mm = 45;
  EXPECT_EQ(code(t), "bad_seal_size");
  t.size_mm = 42;
  EXPECT_EQ(code(t), "ok");
  t.shape = SealShape::kSquare;
  EXPECT_EQ(code(t), "bad_seal_size");
  SealTemplate inv = official("某某公司");
  inv.kind = SealKind::kInvoice;
  EXPECT_EQ(code(inv), "bad_tax_number");
  inv.tax_number = "91110108ma01abcd3x";
  EXPECT_EQ(code(inv), "bad_tax_number");
  SealTemplate sq;
  sq.kind = SealKind::kPersonalSquare;
  sq.name = "张";
  EXPECT_EQ(code(sq), "bad_seal_name");
  sq.suffix = NameSuffix::kYin;
  EXPECT_EQ(code(sq), "ok");
  sq.name = "欧阳明";
  sq.suffix = NameSuffix::kZhiYin;
  EXPECT_EQ(code(sq), "bad_seal_name");
  EXPECT_EQ(render_seal(official("某某公司"), 50).error().code, "bad_dpi");
  EXPECT_FALSE(parse_seal_kind("stamp").ok());
  EXPECT_EQ(*parse_seal_kind("invoice"), SealKind::kInvoice);
}

Signature zigzag() {
  Signature s;
  Stroke a;
  for (int i = 0; i <= 40; ++i) {
    a.points.push_back({100.0 + i * 6, 100.0 + 30 * std::sin(i / 3.0), 0.3 + 0.6 * (i % 10) / 10.0, i * 12.0});
  }
  s.strokes.push_back(a);
  Stroke b;
  for (int i = 0; i <= 20; ++i) b.points.push_back({180.0 + i * 2, 60.0 + i * 8, 0.7, 600 + i * 20.0});
  s.strokes.push_back(b);
  return s;
}

TEST(SealPicture, SignatureIsSmoothTightAndTransparent) {
  Signature s = zigzag();
  const double dpi = 300;
  auto pic = render_signature(s, dpi);
  ASSERT_TRUE(pic.ok()) << pic.error().code;
  Rgba img = testing::decode_png(pic->png);
  ASSERT_GT(img.width, 0);
  EXPECT_EQ(img.width, std::lround(pic->width_mm / 25.4 * dpi));
  // The drawing is 240 pad pixels wide at 6 px/mm: 40 mm plus the pen.
  EXPECT_NEAR(pic->width_mm, 40 + 1.5, 1.5);
  // Tightly cropped: ink within 0.5 mm of every edge.
  const int edge = static_cast<int>(0.5 * dpi / 25.4);
  auto ink_in = [&](int x0, int y0, int x1, int y1) {
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x)
        if (img.a(x, y) > 128) return true;
    return false;
  };
  EXPECT_TRUE(ink_in(0, 0, edge, img.height));
  EXPECT_TRUE(ink_in(img.width - edge, 0, img.width, img.height));
  EXPECT_TRUE(ink_in(0, 0, img.width, edge));
  EXPECT_TRUE(ink_in(0, img.height - edge, img.width, img.height));
  EXPECT_EQ(img.a(0, 0), 0);
  EXPECT_LT(ink_count(img), static_cast<std::size_t>(img.width) * img.height / 2);
  // Dark ink.
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x)
      if (img.a(x, y) >= 128) {
        ASSERT_LT(img.r(x, y) + img.g(x, y) + img.b(x, y), 120);
      }
  expect_svg_matches_png(*pic, "signature");
}

TEST(SealPicture, SignatureWidthFollowsPressure) {
  auto line = [](double pressure) {
    Signature s;
    Stroke st;
    for (int i = 0; i <= 20; ++i) st.points.push_back({i * 10.0, 50, pressure, i * 40.0});
    s.strokes.push_back(st);
    return s;
  };
  auto light = render_signature(line(0.1), 300);
  auto heavy = render_signature(line(1.0), 300);
  ASSERT_TRUE(light.ok());
  ASSERT_TRUE(heavy.ok());
  EXPECT_GT(heavy->height_mm, light->height_mm * 1.8);
}

TEST(SealPicture, SignatureRefusesBadStrokes) {
  Signature s;
  EXPECT_EQ(render_signature(s, 300).error().code, "bad_signature");
  s = zigzag();
  s.strokes[0].points[3].t_ms = 1;  // time goes back
  EXPECT_EQ(render_signature(s, 300).error().code, "bad_signature");
  s = zigzag();
  s.strokes[1].points[0].pressure = 1.5;
  EXPECT_EQ(render_signature(s, 300).error().code, "bad_signature");
  s = zigzag();
  s.strokes[1].points[0].x = std::nan("");
  EXPECT_EQ(render_signature(s, 300).error().code, "bad_signature");
  s = zigzag();
  s.strokes[1].points[0].x = 90000;  // 15 m wide
  EXPECT_EQ(render_signature(s, 300).error().code, "bad_signature");
}

}  // namespace
}  // namespace certseal::seal
