// Where a word is written in a PDF: the box around the first occurrence of `keyword` on a page,
// found in the text poppler extracts (poppler-cpp, the library behind pdftotext), character by
// character, so a keyword inside a longer run of Chinese text is found too.
//
// Contract: thread-safe (each call loads its own poppler document). Coordinates are points from
// the page's top-left corner, y downwards. Errors: pdf_unreadable, bad_page, keyword_not_found.
#pragma once

#include <string>

#include "base/result.h"

namespace certseal::docsign {

struct KeywordHit {
  int page = 0;  // 1-based
  double left = 0, top = 0, right = 0, bottom = 0;  // points, top-left origin
};

// page: 1-based, or 0 for the first page that has it.
Result<KeywordHit> locate_keyword(const std::string& pdf_path, const std::string& keyword, int page);

}  // namespace certseal::docsign
