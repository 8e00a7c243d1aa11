#include "docsign/page_preview.h"

#include <cairo.h>
#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <memory>

namespace certseal::docsign {
namespace {

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<Bytes*>(closure);
  out->insert(out->end(), data, data + length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<Bytes> render_page_png(const std::string& pdf_path, int page, double dpi) {
  if (!(dpi >= 20 && dpi <= 200)) return invalid_argument("bad_dpi", "分辨率须在 20 到 200 dpi 之间");
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(pdf_path));
  if (!doc || doc->is_locked()) return invalid_argument("pdf_unreadable", "PDF 文件无法读取");
  if (page < 1 || page > doc->pages()) return invalid_argument("bad_page", "页码超出范围");
  std::unique_ptr<poppler::page> p(doc->create_page(page - 1));
  if (!p) return invalid_argument("bad_page", "页码超出范围");
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_image_format(poppler::image::format_argb32);
  poppler::image img = renderer.render_page(p.get(), dpi, dpi);
  if (!img.is_valid() || img.format() != poppler::image::format_argb32) {
    return Error(ErrorKind::kInternal, "render_failed", "页面无法渲染");
  }
  // Cairo wants its own stride; copy row by row.
  const int w = img.width(), h = img.height();
  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> s(
      cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h), cairo_surface_destroy);
  if (cairo_surface_status(s.get()) != CAIRO_STATUS_SUCCESS) return Error(ErrorKind::kInternal, "render_failed", "页面无法渲染");
  cairo_surface_flush(s.get());
  unsigned char* dst = cairo_image_surface_get_data(s.get());
  const int dst_stride = cairo_image_surface_get_stride(s.get());
  const char* src = img.const_data();
  const int src_stride = img.bytes_per_row();
  for (int y = 0; y < h; ++y) {
    std::copy(src + static_cast<std::ptrdiff_t>(y) * src_stride, src + static_cast<std::ptrdiff_t>(y) * src_stride + w * 4,
              dst + static_cast<std::ptrdiff_t>(y) * dst_stride);
  }
  cairo_surface_mark_dirty(s.get());
  Bytes png;
  if (cairo_surface_write_to_png_stream(s.get(), append, &png) != CAIRO_STATUS_SUCCESS) {
    return Error(ErrorKind::kInternal, "render_failed", "页面无法渲染");
  }
  return png;
}

}  // namespace certseal::docsign
