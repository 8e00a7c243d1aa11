#include "support/image_bombs.h"

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "support/test_env.h"

namespace certseal::testing {
namespace {

constexpr const char* kScript = R"py(
import struct, sys, zlib
kind, out, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
if kind == 'png':
    row = b'\0' * (1 + (w + 7) // 8)       # filter byte 0 + one bit per pixel
    z = zlib.compressobj(9)
    parts, left = [], h
    while left:
        n = min(left, 2000)
        parts.append(z.compress(row * n))
        left -= n
    parts.append(z.flush())
    data = (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 1, 0, 0, 0, 0)) +
            chunk(b'IDAT', b''.join(parts)) + chunk(b'IEND', b''))
else:
    seg = lambda m, d: b'\xff' + bytes([m]) + struct.pack('>H', len(d) + 2) + d
    data = (b'\xff\xd8' + seg(0xE0, b'JFIF\0\x01\x01\0\0\x01\0\x01\0\0') +
            seg(0xDB, b'\0' + bytes([1] * 64)) +
            seg(0xC0, struct.pack('>BHHB', 8, h, w, 1) + b'\x01\x11\0') +
            seg(0xC4, b'\0' + bytes([0, 1] + [0] * 14) + b'\0') +
            seg(0xC4, b'\x10' + bytes([0, 1] + [0] * 14) + b'\0') +
            seg(0xDA, b'\x01\x01\0\0\x3f\0') + b'\0' * 4096 + b'\xff\xd9')
open(out, 'wb').write(data)
)py";

Bytes make(const char* kind, std::uint32_t w, std::uint32_t h) {
  TempDir dir;
  const std::string out = dir.path() + "/image";
  run_command("python3 - " + std::string(kind) + " " + out + " " + std::to_string(w) + " " + std::to_string(h) +
              " <<'CERTSEAL_PY'\n" + kScript + "\nCERTSEAL_PY\n");
  std::ifstream in(out, std::ios::binary);
  if (!in) throw std::runtime_error("python3 did not write the test image");
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

Bytes png_bomb(std::uint32_t width, std::uint32_t height) { return make("png", width, height); }
Bytes jpeg_declaring(std::uint32_t width, std::uint32_t height) { return make("jpeg", width, height); }

}  // namespace certseal::testing
