#include "docsign/keyword_locate.h"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <memory>
#include <optional>

namespace certseal::docsign {
namespace {

std::optional<KeywordHit> search_page(poppler::page& p, const poppler::ustring& kw, int page_no) {
  // Flatten the text boxes into (UTF-16 unit, box) pairs.
  std::vector<std::pair<unsigned short, poppler::rectf>> chars;
  for (auto& box : p.text_list()) {
    const poppler::ustring t = box.text();
    for (std::size_t i = 0; i < t.size(); ++i) chars.emplace_back(t[i], box.char_bbox(i));
  }
  if (kw.empty() || chars.size() < kw.size()) return std::nullopt;
  for (std::size_t i = 0; i + kw.size() <= chars.size(); ++i) {
    bool match = true;
    for (std::size_t k = 0; k < kw.size() && match; ++k) match = chars[i + k].first == kw[k];
    if (!match) continue;
    KeywordHit h;
    h.page = page_no;
    h.left = chars[i].second.left();
    h.top = chars[i].second.top();
    h.right = chars[i].second.right();
    h.bottom = chars[i].second.bottom();
    for (std::size_t k = 1; k < kw.size(); ++k) {
      const auto& r = chars[i + k].second;
      h.left = std::min(h.left, r.left());
      h.top = std::min(h.top, r.top());
      h.right = std::max(h.right, r.right());
      h.bottom = std::max(h.bottom, r.bottom());
    }
    return h;
  }
  return std::nullopt;
}

}  // namespace

Result<KeywordHit> locate_keyword(const std::string& pdf_path, const std::string& keyword, int page) {
  if (keyword.empty()) return invalid_argument("bad_placement", "关键字不能为空");
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_file(pdf_path));
  if (!doc || doc->is_locked()) return invalid_argument("pdf_unreadable", "PDF 文件无法读取");
  const int n = doc->pages();
  if (page < 0 || page > n) return invalid_argument("bad_page", "页码超出范围");
  const poppler::ustring kw = poppler::ustring::from_utf8(keyword.c_str(), static_cast<int>(keyword.size()));
  for (int i = page == 0 ? 0 : page - 1; i < (page == 0 ? n : page); ++i) {
    std::unique_ptr<poppler::page> p(doc->create_page(i));
    if (!p) continue;
    if (auto hit = search_page(*p, kw, i + 1)) return *hit;
  }
  return invalid_argument("keyword_not_found", "在文档中未找到关键字：" + keyword);
}

}  // namespace certseal::docsign
