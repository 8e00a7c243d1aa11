#include "service/org/licence_ocr.h"

#include <gtest/gtest.h>

#include "docsign/text_render.h"

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
  TesseractLicenceReader reader;
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

}  // namespace
}  // namespace certseal::service
