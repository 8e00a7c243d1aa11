// Image dimensions from headers: real files written by poppler's pdftoppm (an independent
// encoder) are measured right; bombs made by Python's zlib are refused from their header alone,
// fast and without the memory their pixels would take (security review M8).
#include "docsign/image_probe.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>

#include "docsign/text_render.h"
#include "support/image_bombs.h"
#include "support/test_env.h"

namespace certseal::docsign {
namespace {

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

long max_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(ImageProbe, MeasuresPngAndJpegWrittenByPdftoppm) {
  certseal::testing::TempDir dir;
  auto pdf = render_pdf({{"尺寸 size"}}, {});
  ASSERT_TRUE(pdf.ok());
  std::ofstream(dir.path() + "/a.pdf", std::ios::binary)
      .write(reinterpret_cast<const char*>(pdf->data()), static_cast<std::streamsize>(pdf->size()));
  // A4 at 20 dpi: 165 x 234 pixels (pdftoppm rounds up).
  certseal::testing::run_command("cd " + dir.path() + " && pdftoppm -r 20 -singlefile -png a.pdf p && " +
                                 "pdftoppm -r 20 -singlefile -jpeg a.pdf j");
  auto png = probe_image(read_file(dir.path() + "/p.png"));
  ASSERT_TRUE(png.ok()) << png.error().message;
  EXPECT_EQ(png->media_type, "image/png");
  auto jpg = probe_image(read_file(dir.path() + "/j.jpg"));
  ASSERT_TRUE(jpg.ok()) << jpg.error().message;
  EXPECT_EQ(jpg->media_type, "image/jpeg");
  EXPECT_EQ(png->width, jpg->width);
  EXPECT_EQ(png->height, jpg->height);
  EXPECT_NEAR(png->width, 165, 1);
  EXPECT_NEAR(png->height, 234, 1);
  // Inside and just outside the limits.
  const std::uint32_t side = std::max(png->width, png->height);  // the height, on A4
  EXPECT_TRUE(check_image(read_file(dir.path() + "/j.jpg"), {side, std::uint64_t{png->width} * png->height}).ok());
  EXPECT_EQ(check_image(read_file(dir.path() + "/j.jpg"), {side - 1, 1'000'000}).error().code, "image_too_large");
  EXPECT_EQ(check_image(read_file(dir.path() + "/p.png"), {10'000, std::uint64_t{png->width} * png->height - 1})
                .error()
                .code,
            "image_too_large");
}

TEST(ImageProbe, RefusesA30000SquarePngBombFromItsHeaderAlone) {
  Bytes bomb = certseal::testing::png_bomb(30000, 30000);
  ASSERT_GT(bomb.size(), 1000u);
  ASSERT_LT(bomb.size(), 1u << 20);  // small on the wire, 3.6 GB decoded as ARGB
  auto size = probe_image(bomb);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->width, 30000u);
  EXPECT_EQ(size->height, 30000u);
  EXPECT_EQ(check_image(bomb, {}).error().code, "image_too_large");
}

TEST(ImageProbe, RefusesAJpegDeclaring30000Square) {
  Bytes jpeg = certseal::testing::jpeg_declaring(30000, 30000);
  auto size = probe_image(jpeg);
  ASSERT_TRUE(size.ok()) << size.error().message;
  EXPECT_EQ(size->media_type, "image/jpeg");
  EXPECT_EQ(size->width, 30000u);
  EXPECT_EQ(check_image(jpeg, {}).error().code, "image_too_large");
  EXPECT_TRUE(check_image(certseal::testing::jpeg_declaring(640, 480), {}).ok());
}

TEST(ImageProbe, DamagedOrForeignHeadersAreUnreadable) {
  Bytes png = certseal::testing::png_bomb(64, 32);
  EXPECT_TRUE(probe_image(png).ok());
  for (std::size_t cut : {std::size_t{9}, std::size_t{20}}) {
    EXPECT_EQ(probe_image(BytesView(png.data(), cut)).error().code, "unreadable_image") << cut;
  }
  Bytes wrong_first = png;
  wrong_first[12] = 'X';  // the first chunk is not IHDR
  EXPECT_EQ(probe_image(wrong_first).error().code, "unreadable_image");
  Bytes zero_width = png;
  zero_width[16] = zero_width[17] = zero_width[18] = zero_width[19] = 0;
  EXPECT_EQ(probe_image(zero_width).error().code, "unreadable_image");

  Bytes jpeg = certseal::testing::jpeg_declaring(640, 480);
  EXPECT_EQ(probe_image(BytesView(jpeg.data(), 30)).error().code, "unreadable_image");  // ends in the tables
  Bytes dnl = certseal::testing::jpeg_declaring(640, 0);  // height left to a DNL segment
  EXPECT_EQ(probe_image(dnl).error().code, "unreadable_image");
  const std::uint8_t scan_first[] = {0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 0x3F, 0};
  EXPECT_EQ(probe_image(scan_first).error().code, "unreadable_image");
  EXPECT_EQ(probe_image(as_bytes("%PDF-1.7")).error().code, "unreadable_image");
  EXPECT_EQ(probe_image({}).error().code, "unreadable_image");
}

// The attack of the review: the bomb as a handwritten signature embedded into a form. Refused
// before Cairo allocates anything: fast, and the process does not grow.
TEST(TextRender, RefusesAPngDeclaring30000SquareBeforeCairoDecodesIt) {
  Bytes bomb = certseal::testing::png_bomb(30000, 30000);
  const long rss_before = max_rss_kib();
  const auto t0 = std::chrono::steady_clock::now();
  auto pdf = render_pdf_with_image({{"申请人签字"}}, {}, bomb, 60);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.error().code, "image_too_large");
  EXPECT_LT(took, std::chrono::milliseconds(500));
  EXPECT_LT(max_rss_kib() - rss_before, 64 * 1024);  // KiB: far below the 3.6 GB of pixels
  // A signature of a sensible size is still drawn.
  EXPECT_TRUE(render_pdf_with_image({{"申请人签字"}}, {}, certseal::testing::png_bomb(600, 200), 60).ok());
}

}  // namespace
}  // namespace certseal::docsign
