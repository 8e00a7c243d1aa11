#include "service/org/licence_ocr.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "docsign/text_render.h"
#include "support/image_bombs.h"
#include "support/sanitizers.h"

namespace certseal::service {
namespace {

TEST(LicenceText, FindsFieldsThroughSpacesColonsAndLookalikes) {
  auto f = parse_licence_text(
      "营 业 执 照\n统一社会信用代码 9135O1OOM0OO1OOY43\n名 称：北京示例科技有限公司\n"
      "类 型 有限责任公司\n法定代表人: 张 三\n");
  EXPECT_EQ(f.credit_code, "91350100M000100Y43");
  EXPECT_EQ(f.name, "北京示例科技有限公司");
  EXPECT_EQ(f.legal_representative, "张三");
  EXPECT_TRUE(parse_licence_text("统一社会信用代码 91350100M000100Y44").credit_code.empty());  // bad check
}

// The acceptance test: a licence-like image drawn with Pango in a CJK font, read by Tesseract.
TEST(LicenceOcr, ReadsARenderedLicence) {
  using docsign::TextBlock;
  auto png = docsign::render_png(
      {{"营业执照", 40, true, TextBlock::Align::kCenter, 30},
       {"统一社会信用代码  91350100M000100Y43", 26, false, TextBlock::Align::kLeft, 24},
       {"名称  北京示例科技有限公司", 26, false, TextBlock::Align::kLeft, 24},
       {"类型  有限责任公司", 26, false, TextBlock::Align::kLeft, 24},
       {"法定代表人  张三", 26, false, TextBlock::Align::kLeft, 24},
       {"住所  北京市海淀区中关村大街1号", 26, false, TextBlock::Align::kLeft, 24}},
      1400, 700, 60);
  ASSERT_TRUE(png.ok()) << png.error().message;
  // The deadline is not what this test checks (AHugeLicenceDoesNotPinTheCallerPastTheDeadline
  // does): under ASan on a loaded machine this recognition has taken more than the default 20 s.
  OcrLimits limits;
  limits.timeout = std::chrono::minutes(3);
  TesseractLicenceReader reader({}, "chi_sim+eng", limits);
  auto f = reader.read(*png);
  ASSERT_TRUE(f.ok()) << f.error().cause;
  EXPECT_EQ(f->credit_code, "91350100M000100Y43") << f->text;
  EXPECT_EQ(f->name, "北京示例科技有限公司") << f->text;
  EXPECT_EQ(f->legal_representative, "张三") << f->text;
}

TEST(LicenceOcr, RefusesWhatIsNotAnImage) {
  TesseractLicenceReader reader;
  EXPECT_EQ(reader.read(as_bytes("plain text")).error().code, "unreadable_image");
}

using Clock = std::chrono::steady_clock;

// Security review M8: bombs are refused from their header before Leptonica decodes them, fast,
// and no recognition starts.
TEST(LicenceOcr, RefusesImagesDeclaring30000SquareBeforeLeptonica) {
  TesseractLicenceReader reader;
  for (const Bytes& bomb : {certseal::testing::png_bomb(30000, 30000), certseal::testing::jpeg_declaring(30000, 30000)}) {
    const auto t0 = Clock::now();
    auto r = reader.read(bomb);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "image_too_large");
    EXPECT_LT(Clock::now() - t0, std::chrono::milliseconds(500));
    EXPECT_EQ(reader.running(), 0);
  }
}

// A large licence of many lines that takes Tesseract seconds (within the image limits).
Bytes slow_licence() {
  using docsign::TextBlock;
  std::vector<TextBlock> blocks;
  for (int i = 0; i < 60; ++i) {
    blocks.push_back({"经营范围 第" + std::to_string(i) + "项 技术开发、技术咨询、技术服务、软件销售 91350100M000100Y43", 22,
                      false, TextBlock::Align::kLeft, 4});
  }
  auto png = docsign::render_png(blocks, 3000, 4000, 60);
  EXPECT_TRUE(png.ok());
  return png.ok() ? *png : Bytes{};
}

void wait_until_idle(const TesseractLicenceReader& reader) {
  for (int i = 0; i < 600 && reader.running() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// A huge licence does not pin the caller past the deadline, and at most max_concurrent
// recognitions run: an abandoned one still holds its slot until it really ends.
TEST(LicenceOcr, AHugeLicenceDoesNotPinTheCallerPastTheDeadline) {
  if (certseal::testing::kUnderSanitizer) GTEST_SKIP() << "timing test: the debug run covers it";
  OcrLimits limits;
  limits.timeout = std::chrono::milliseconds(300);
  limits.max_concurrent = 1;
  TesseractLicenceReader reader({}, "chi_sim+eng", limits);
  Bytes image = slow_licence();
  ASSERT_FALSE(image.empty());
  const auto t0 = Clock::now();
  auto r = reader.read(image);
  const auto took = Clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ocr_timeout");
  EXPECT_EQ(r.error().kind, ErrorKind::kTimeout);
  EXPECT_LT(took, std::chrono::milliseconds(300 + 250 + 400));  // deadline + grace + scheduling slack
  if (reader.running() == 1) {
    // The first worker is still busy: a second caller is turned away at once, not queued.
    const auto t1 = Clock::now();
    auto busy = reader.read(image);
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.error().code, "ocr_busy");
    EXPECT_LT(Clock::now() - t1, std::chrono::milliseconds(100));
  }
  // The worker ends on its own (Tesseract's monitor stops recognition at the deadline).
  wait_until_idle(reader);
  EXPECT_EQ(reader.running(), 0);
}

TEST(LicenceOcr, AtMostMaxConcurrentRecognitionsRun) {
  if (certseal::testing::kUnderSanitizer) GTEST_SKIP() << "timing test: the debug run covers it";
  OcrLimits limits;
  limits.timeout = std::chrono::milliseconds(2000);
  limits.max_concurrent = 1;
  TesseractLicenceReader reader({}, "chi_sim+eng", limits);
  Bytes image = slow_licence();
  std::thread first([&] { (void)reader.read(image); });
  for (int i = 0; i < 200 && reader.running() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(reader.running(), 1);
  auto second = reader.read(image);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "ocr_busy");
  EXPECT_EQ(second.error().kind, ErrorKind::kUnavailable);
  first.join();
  wait_until_idle(reader);
}

}  // namespace
}  // namespace certseal::service
