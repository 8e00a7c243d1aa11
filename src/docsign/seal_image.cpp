#include "docsign/seal_image.h"

#include <cairo.h>
#include <zlib.h>

#include <cstring>
#include <list>
#include <optional>
#include <memory>
#include <mutex>
#include <utility>

#include "crypto/hash.h"

namespace certseal::docsign {
namespace {

struct Reader {
  BytesView data;
  std::size_t at = 0;
};

cairo_status_t read_png(void* closure, unsigned char* out, unsigned int length) {
  auto* r = static_cast<Reader*>(closure);
  if (r->data.size() - r->at < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(out, r->data.data() + r->at, length);
  r->at += length;
  return CAIRO_STATUS_SUCCESS;
}

// A zlib stream (what /FlateDecode reads) at the fastest level: a seal picture is mostly flat
// colour and empty space, so level 1 costs a few percent in size and saves most of the time
// (measured: docs/PERFORMANCE.md "PDF signing").
Result<Bytes> deflate(const Bytes& raw) {
  uLongf len = compressBound(static_cast<uLong>(raw.size()));
  Bytes out(len);
  if (compress2(out.data(), &len, raw.data(), static_cast<uLong>(raw.size()), Z_BEST_SPEED) != Z_OK) {
    return internal_error("zlib compress2 failed");
  }
  out.resize(len);
  return out;
}

// The last few conversions, keyed by the PNG's SHA-256: a platform signs many documents with the
// same few seal pictures, and decoding plus compressing one costs more than the rest of a
// signature (docs/PERFORMANCE.md "PDF signing"). Bounded: kCached entries of one picture each.
class RecentImages {
 public:
  std::optional<PdfImage> find(const Bytes& key) {
    std::lock_guard lock(mu_);
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->first == key) {
        entries_.splice(entries_.begin(), entries_, it);  // most recent first
        return entries_.front().second;
      }
    }
    return std::nullopt;
  }
  void put(Bytes key, const PdfImage& img) {
    std::lock_guard lock(mu_);
    entries_.emplace_front(std::move(key), img);
    if (entries_.size() > kCached) entries_.pop_back();
  }

 private:
  static constexpr std::size_t kCached = 16;
  std::mutex mu_;
  std::list<std::pair<Bytes, PdfImage>> entries_;
};

RecentImages& recent_images() {
  static RecentImages cache;
  return cache;
}

Result<PdfImage> convert(BytesView png) {
  Reader reader{png};
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> s(
      cairo_image_surface_create_from_png_stream(read_png, &reader), cairo_surface_destroy);
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS) return invalid_argument("bad_image", "印章图片无法解码");
  cairo_surface_flush(s.get());
  const int w = cairo_image_surface_get_width(s.get()), h = cairo_image_surface_get_height(s.get());
  const int stride = cairo_image_surface_get_stride(s.get());
  const cairo_format_t fmt = cairo_image_surface_get_format(s.get());
  const unsigned char* data = cairo_image_surface_get_data(s.get());
  if (w <= 0 || h <= 0 || data == nullptr) return invalid_argument("bad_image", "印章图片无法解码");
  Bytes rgb(static_cast<std::size_t>(w) * h * 3), alpha(static_cast<std::size_t>(w) * h);
  for (int y = 0; y < h; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::size_t>(y) * stride);
    for (int x = 0; x < w; ++x) {
      // CAIRO_FORMAT_ARGB32: premultiplied, native-endian 32-bit words.
      const std::uint32_t px = row[x];
      const unsigned a = fmt == CAIRO_FORMAT_ARGB32 ? (px >> 24) & 0xff : 0xff;
      unsigned r = (px >> 16) & 0xff, g = (px >> 8) & 0xff, b = px & 0xff;
      if (a != 0 && a != 0xff) {
        r = std::min(255u, (r * 255 + a / 2) / a);
        g = std::min(255u, (g * 255 + a / 2) / a);
        b = std::min(255u, (b * 255 + a / 2) / a);
      }
      const std::size_t i = static_cast<std::size_t>(y) * w + x;
      rgb[i * 3] = static_cast<std::uint8_t>(r);
      rgb[i * 3 + 1] = static_cast<std::uint8_t>(g);
      rgb[i * 3 + 2] = static_cast<std::uint8_t>(b);
      alpha[i] = static_cast<std::uint8_t>(a);
    }
  }
  CS_ASSIGN(Bytes rgb_flate, deflate(rgb));
  CS_ASSIGN(Bytes alpha_flate, deflate(alpha));
  return PdfImage{w, h, std::move(rgb_flate), std::move(alpha_flate)};
}

}  // namespace

Result<PdfImage> pdf_image_from_png(BytesView png, const ImageLimits& limits) {
  CS_ASSIGN(auto size, check_image(png, limits));  // the limits apply on every call, cached or not
  if (size.media_type != "image/png") return invalid_argument("bad_image", "印章图片须为 PNG");
  Bytes key = crypto::sha256(png);
  if (auto hit = recent_images().find(key)) return std::move(*hit);
  CS_ASSIGN(auto img, convert(png));
  recent_images().put(std::move(key), img);
  return img;
}

}  // namespace certseal::docsign
