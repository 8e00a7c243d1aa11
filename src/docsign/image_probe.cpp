#include "docsign/image_probe.h"

#include <algorithm>

namespace certseal::docsign {
namespace {

constexpr std::uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

Error unreadable(const std::string& why) {
  return invalid_argument("unreadable_image", "the image cannot be read (" + why + ")");
}

std::uint32_t be32(BytesView d, std::size_t at) {
  return (std::uint32_t{d[at]} << 24) | (std::uint32_t{d[at + 1]} << 16) | (std::uint32_t{d[at + 2]} << 8) |
         std::uint32_t{d[at + 3]};
}
std::uint32_t be16(BytesView d, std::size_t at) { return (std::uint32_t{d[at]} << 8) | std::uint32_t{d[at + 1]}; }

Result<ImageSize> probe_png(BytesView d) {
  // signature (8) | length (4) = 13 | "IHDR" | width (4) | height (4) | depth, colour, ...
  if (d.size() < 8 + 8 + 13) return unreadable("truncated PNG header");
  if (be32(d, 8) != 13 || !std::equal(d.begin() + 12, d.begin() + 16, "IHDR")) {
    return unreadable("the PNG does not start with IHDR");
  }
  ImageSize s{"image/png", be32(d, 16), be32(d, 20)};
  // §11.2.2: both in 1 .. 2^31 - 1.
  if (s.width == 0 || s.height == 0 || s.width > 0x7FFFFFFFu || s.height > 0x7FFFFFFFu) {
    return unreadable("the PNG declares an impossible size");
  }
  return s;
}

bool is_sof(std::uint8_t m) {
  // C0-CF are frame headers except C4 (DHT), C8 (JPG, reserved) and CC (DAC).
  return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

Result<ImageSize> probe_jpeg(BytesView d) {
  std::size_t i = 2;  // after SOI (FF D8)
  while (i < d.size()) {
    if (d[i] != 0xFF) return unreadable("a JPEG marker was expected");
    while (i < d.size() && d[i] == 0xFF) ++i;  // fill bytes (T.81 §B.1.1.2)
    if (i >= d.size()) break;
    const std::uint8_t m = d[i++];
    if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // TEM, RSTn: no length
    if (m == 0xD8 || m == 0xD9) return unreadable("the JPEG ends before its frame header");
    if (m == 0xDA) return unreadable("the JPEG has a scan before its frame header");
    if (i + 2 > d.size()) break;
    const std::size_t len = be16(d, i);
    if (len < 2) return unreadable("a JPEG segment has a bad length");
    if (is_sof(m)) {
      // Lf (2) | P (1) | Y (2) | X (2) | Nf (1) ...
      if (len < 8 || i + 7 > d.size()) break;
      ImageSize s{"image/jpeg", be16(d, i + 5), be16(d, i + 3)};
      if (s.height == 0) return unreadable("the JPEG leaves its height to a later DNL segment");
      if (s.width == 0) return unreadable("the JPEG declares a width of 0");
      return s;
    }
    i += len;
  }
  return unreadable("truncated JPEG header");
}

}  // namespace

Result<ImageSize> probe_image(BytesView d) {
  if (d.size() >= 8 && std::equal(std::begin(kPngSignature), std::end(kPngSignature), d.begin())) return probe_png(d);
  if (d.size() >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return probe_jpeg(d);
  return unreadable("not a PNG or JPEG");
}

Result<ImageSize> check_image(BytesView data, const ImageLimits& limits) {
  CS_ASSIGN(ImageSize s, probe_image(data));
  const std::uint64_t pixels = std::uint64_t{s.width} * s.height;
  if (s.width > limits.max_side || s.height > limits.max_side || pixels > limits.max_pixels) {
    return invalid_argument("image_too_large", "the image is " + std::to_string(s.width) + "×" +
                                                   std::to_string(s.height) + " pixels; at most " +
                                                   std::to_string(limits.max_side) + " pixels a side and " +
                                                   std::to_string(limits.max_pixels / 1'000'000) +
                                                   " million pixels are accepted");
  }
  return s;
}

}  // namespace certseal::docsign
