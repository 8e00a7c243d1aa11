// A picture of one PDF page as a person will see it (the seal preview of scene 13): the page
// rendered by poppler-cpp (the library behind pdftoppm) and written as a PNG with Cairo.
//
// Contract: thread-safe (each call loads its own document). dpi 20..200. Errors: pdf_unreadable,
// bad_page, bad_dpi, render_failed (kInternal).
#pragma once

#include <string>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::docsign {

// page: 1-based.
Result<Bytes> render_page_png(const std::string& pdf_path, int page, double dpi);

}  // namespace certseal::docsign
