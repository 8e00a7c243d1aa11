// The seal picture as PDF image data: the conversion's result, and its in-memory reuse — a picture
// converted once comes back identical, and the size limits still apply to a picture already seen.
#include "docsign/seal_image.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "support/test_env.h"

namespace certseal::docsign {
namespace {

Bytes gallery_png() {
  std::ifstream in(std::string(CERTSEAL_SOURCE_DIR) + "/docs/seal-gallery/contract.png", std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(SealImage, ConvertsOnceAndGivesTheSameImageAgain) {
  const Bytes png = gallery_png();
  ASSERT_GT(png.size(), 1000u);
  auto first = pdf_image_from_png(png);
  ASSERT_TRUE(first.ok()) << first.error().code;
  EXPECT_EQ(first->width, 236);
  EXPECT_EQ(first->height, 236);
  EXPECT_FALSE(first->rgb_flate.empty());
  EXPECT_FALSE(first->alpha_flate.empty());
  auto again = pdf_image_from_png(png);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rgb_flate, first->rgb_flate);
  EXPECT_EQ(again->alpha_flate, first->alpha_flate);
}

TEST(SealImage, LimitsApplyToAPictureAlreadyConverted) {
  const Bytes png = gallery_png();
  ASSERT_TRUE(pdf_image_from_png(png).ok());
  ImageLimits tight;
  tight.max_side = 100;
  auto r = pdf_image_from_png(png, tight);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "image_too_large");
}

TEST(SealImage, APictureThatDoesNotDecodeIsRefusedEachTime) {
  Bytes png = gallery_png();
  png.resize(png.size() / 2);  // the header is intact, the pixels are cut off
  for (int i = 0; i < 2; ++i) {
    auto r = pdf_image_from_png(png);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "bad_image");
  }
}

}  // namespace
}  // namespace certseal::docsign
