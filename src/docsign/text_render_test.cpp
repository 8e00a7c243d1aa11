#include "docsign/text_render.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "support/test_env.h"

namespace certseal::docsign {
namespace {

TEST(TextRender, PdfPassesQpdfAndHoldsTheChineseText) {
  std::vector<TextBlock> blocks = {{"授权委托书", 20, true, TextBlock::Align::kCenter},
                                   {"兹授权 张三（身份证号 11010519491231002X）代表 北京示例科技有限公司 办理数字证书业务。"}};
  for (int i = 0; i < 80; ++i) blocks.push_back({"第" + std::to_string(i) + "行 line " + std::to_string(i)});
  auto pdf = render_pdf(blocks, {"授权委托书", "CertSeal"});
  ASSERT_TRUE(pdf.ok()) << pdf.error().cause;
  certseal::testing::TempDir dir;
  std::string path = dir.path() + "/letter.pdf";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(pdf->data()),
                                              static_cast<std::streamsize>(pdf->size()));
  EXPECT_NE(certseal::testing::run_command("qpdf --check " + path + " 2>&1").find("No syntax or stream encoding errors"), std::string::npos);
  std::string text = certseal::testing::run_command("pdftotext -enc UTF-8 " + path + " - 2>&1");
  EXPECT_NE(text.find("授权委托书"), std::string::npos) << text.substr(0, 300);
  EXPECT_NE(text.find("北京示例科技有限公司"), std::string::npos);
  EXPECT_NE(text.find("11010519491231002X"), std::string::npos);
  std::string info = certseal::testing::run_command("pdfinfo " + path);
  EXPECT_NE(info.find("Pages:"), std::string::npos) << info;
  EXPECT_EQ(info.find("Pages:           1\n"), std::string::npos) << info;  // flowed onto more pages
}

TEST(TextRender, PngIsAnImageAndRejectsOverflowAndBadText) {
  auto png = render_png({{"营业执照", 24, true}}, 400, 200);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ((*png)[1], 'P');
  EXPECT_EQ(render_png({{std::string(5000, 'x'), 30}}, 200, 100, 10).error().code, "text_overflow");
  EXPECT_EQ(render_pdf({{"\xff\xfe"}}, {}).error().code, "bad_text");
  EXPECT_FALSE(render_png({{"x"}}, 10, 10).ok());
}

}  // namespace
}  // namespace certseal::docsign
