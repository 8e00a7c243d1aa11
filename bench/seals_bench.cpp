// Seal preview renders (POST /api/v1/seal-previews draws one of these per keystroke): each kind at
// 150 dpi, PNG + SVG of one drawing, and the photo clean-up (印章优化) of a 900 × 820 photo.
// Every iteration is timed on its own so that bench/seals.sh can report the p99 (goal < 20 ms).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include <cairo.h>

#include "seal/scan.h"
#include "seal/seal_picture.h"
#include "seal/signature.h"

namespace {

using namespace certseal::seal;

constexpr double kDpi = 150;

template <class F>
void timed(benchmark::State& state, F&& render) {
  std::vector<double> ms;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    bool ok = render();
    const double took = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!ok) {
      state.SkipWithError("render failed");
      return;
    }
    ms.push_back(took);
    state.SetIterationTime(took / 1000);
  }
  std::sort(ms.begin(), ms.end());
  if (!ms.empty()) {
    state.counters["p50_ms"] = ms[ms.size() / 2];
    state.counters["p99_ms"] = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  }
}

void seal_kind(benchmark::State& state, SealTemplate t) {
  timed(state, [&] { return render_seal(t, kDpi).ok(); });
}

SealTemplate tmpl(SealKind k) {
  SealTemplate t;
  t.kind = k;
  t.name = "北京某某信息技术发展股份有限公司";
  return t;
}

void BM_Official(benchmark::State& s) {
  SealTemplate t = tmpl(SealKind::kOfficial);
  t.horizontal_text = "合同专用章";
  t.code = "1101080123456";
  seal_kind(s, t);
}
void BM_Official30(benchmark::State& s) {
  SealTemplate t = tmpl(SealKind::kOfficial);
  t.name = "北京市海淀区中关村科技园区某某信息技术发展股份有限公司分公司";
  seal_kind(s, t);
}
void BM_Contract(benchmark::State& s) { seal_kind(s, tmpl(SealKind::kContract)); }
void BM_FinanceSquare(benchmark::State& s) {
  SealTemplate t = tmpl(SealKind::kFinance);
  t.shape = SealShape::kSquare;
  seal_kind(s, t);
}
void BM_Invoice(benchmark::State& s) {
  SealTemplate t = tmpl(SealKind::kInvoice);
  t.tax_number = "91110108MA01ABCD3X";
  seal_kind(s, t);
}
void BM_LegalRepresentative(benchmark::State& s) {
  SealTemplate t;
  t.kind = SealKind::kLegalRepresentative;
  t.name = "张三";
  t.suffix = NameSuffix::kZhiYin;
  seal_kind(s, t);
}
void BM_PersonalSquareYin(benchmark::State& s) {
  SealTemplate t;
  t.kind = SealKind::kPersonalSquare;
  t.name = "欧阳明";
  t.carving = Carving::kYin;
  seal_kind(s, t);
}
void BM_Signature(benchmark::State& s) {
  Signature sig;
  for (int k = 0; k < 4; ++k) {
    Stroke st;
    for (int i = 0; i < 60; ++i) {
      st.points.push_back({40.0 + k * 60 + i * 1.5, 80 + 30 * std::sin(i / 6.0 + k), 0.3 + 0.5 * (i % 7) / 7.0,
                           k * 1000 + i * 12.0});
    }
    sig.strokes.push_back(st);
  }
  timed(s, [&] { return render_signature(sig, kDpi).ok(); });
}
void BM_ScanPhoto(benchmark::State& s) {
  // A 900 × 820 "photo": the official seal at 1.3× on grey paper, as PNG.
  auto pic = render_seal(tmpl(SealKind::kOfficial), 390);
  cairo_surface_t* photo = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 900, 820);
  cairo_t* cr = cairo_create(photo);
  cairo_set_source_rgb(cr, 0.78, 0.77, 0.74);
  cairo_paint(cr);
  struct Reader {
    const certseal::Bytes* b;
    std::size_t pos = 0;
  } reader{&pic->png};
  cairo_surface_t* seal = cairo_image_surface_create_from_png_stream(
      [](void* c, unsigned char* out, unsigned int n) {
        auto* r = static_cast<Reader*>(c);
        if (r->b->size() - r->pos < n) return CAIRO_STATUS_READ_ERROR;
        std::copy_n(r->b->begin() + static_cast<std::ptrdiff_t>(r->pos), n, out);
        r->pos += n;
        return CAIRO_STATUS_SUCCESS;
      },
      &reader);
  cairo_translate(cr, 450, 410);
  cairo_rotate(cr, 0.3);
  cairo_translate(cr, -cairo_image_surface_get_width(seal) / 2.0, -cairo_image_surface_get_height(seal) / 2.0);
  cairo_set_source_surface(cr, seal, 0, 0);
  cairo_paint(cr);
  cairo_destroy(cr);
  certseal::Bytes png;
  cairo_surface_write_to_png_stream(
      photo,
      [](void* c, const unsigned char* d, unsigned int n) {
        static_cast<certseal::Bytes*>(c)->insert(static_cast<certseal::Bytes*>(c)->end(), d, d + n);
        return CAIRO_STATUS_SUCCESS;
      },
      &png);
  cairo_surface_destroy(seal);
  cairo_surface_destroy(photo);
  timed(s, [&] { return clean_scan(png, kDpi).ok(); });
}

}  // namespace

BENCHMARK(BM_Official)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Official30)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Contract)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FinanceSquare)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Invoice)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LegalRepresentative)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PersonalSquareYin)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Signature)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanPhoto)->UseManualTime()->Unit(benchmark::kMillisecond);
