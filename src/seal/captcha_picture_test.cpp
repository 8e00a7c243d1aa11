#include "seal/captcha_picture.h"

#include <gtest/gtest.h>

#include "seal/testing/raster.h"

namespace certseal::seal {
namespace {

Bytes seed(std::uint8_t v) { return Bytes(32, v); }

TEST(CaptchaPicture, DrawsTheDigitsInkedSizedAndSeeded) {
  auto a = render_captcha("40715", seed(1));
  ASSERT_TRUE(a.ok()) << a.error().message;
  const testing::Rgba pic = testing::decode_png(*a);
  EXPECT_EQ(pic.width, 36 * 5 + 20);
  EXPECT_EQ(pic.height, 64);
  // Dark ink covers a real part of the picture, spread over its width (every digit drawn).
  std::vector<int> dark_by_digit(5, 0);
  for (int y = 0; y < pic.height; ++y)
    for (int x = 10; x < pic.width - 10; ++x)
      if (pic.r(x, y) + pic.g(x, y) + pic.b(x, y) < 3 * 110) ++dark_by_digit[static_cast<std::size_t>((x - 10) / 36)];
  for (int n : dark_by_digit) EXPECT_GT(n, 60);
  // Same digits and seed: the same picture; another seed or other digits: another one.
  EXPECT_EQ(*render_captcha("40715", seed(1)), *a);
  EXPECT_NE(*render_captcha("40715", seed(2)), *a);
  EXPECT_NE(*render_captcha("40716", seed(1)), *a);
}

TEST(CaptchaPicture, RefusesWhatIsNotFourToEightDigits) {
  for (const char* bad : {"123", "123456789", "12a45", ""}) {
    auto r = render_captcha(bad, seed(1));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "bad_captcha");
  }
  EXPECT_EQ(render_captcha("1234", Bytes(4, 1)).error().code, "bad_captcha");
}

}  // namespace
}  // namespace certseal::seal
