// Uploaded pictures (ID cards, licences, seal photos, handwritten signatures): the header probe
// and size limits every upload passes before any image library decodes a pixel
// (docsign/image_probe.h). A declared size within the limits must really be within them.
#include <cstdlib>

#include "docsign/image_probe.h"
#include "fuzz/fuzz_input.h"

using namespace certseal;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const docsign::ImageLimits limits;
  auto s = docsign::check_image(BytesView(data, size), limits);
  if (s) {
    if (s->width == 0 || s->height == 0 || s->width > limits.max_side || s->height > limits.max_side ||
        std::uint64_t{s->width} * s->height > limits.max_pixels) {
      std::abort();
    }
  }
  return 0;
}
