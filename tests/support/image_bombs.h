// Decompression bombs for the image-limit tests (security review M8), made by Python's zlib and
// struct (an independent tool), never by our own code:
//   png_bomb       a complete, valid PNG of w×h black pixels, 1-bit greyscale, whose IDAT is
//                  deflated zeros: 30000×30000 is ~110 KiB on disk, 3.6 GB once Cairo decodes it.
//   jpeg_declaring a baseline JPEG header (SOI, APP0 JFIF, DQT, SOF0 declaring w×h, DHT, SOS)
//                  followed by a little entropy-coded data and EOI.
#pragma once

#include <cstdint>

#include "base/bytes.h"

namespace certseal::testing {

Bytes png_bomb(std::uint32_t width, std::uint32_t height);
Bytes jpeg_declaring(std::uint32_t width, std::uint32_t height);

}  // namespace certseal::testing
