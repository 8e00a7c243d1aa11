#include "service/org/licence_ocr.h"

#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>

#include <memory>
#include <sstream>

#include "service/account/validation.h"

namespace certseal::service {
namespace {

struct PixDeleter {
  void operator()(Pix* p) const { pixDestroy(&p); }
};
struct TessDeleter {
  void operator()(tesseract::TessBaseAPI* t) const {
    t->End();
    delete t;
  }
};

// OCR of Chinese puts spaces between characters; labels and values are easier to find without
// them. Full-width colons become nothing as well.
std::string squeeze(std::string_view line) {
  std::string out;
  for (std::size_t i = 0; i < line.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == ' ' || c == '\t' || c == '\r' || c == ':') continue;
    if (line.substr(i, 3) == "\xEF\xBC\x9A") {  // "："
      i += 2;
      continue;
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string after_label(const std::string& line, std::string_view label) {
  auto pos = line.find(label);
  if (pos == std::string::npos) return {};
  return line.substr(pos + label.size());
}

// Letters OCR confuses with digits, for characters a credit code may not contain.
char repair(char c) {
  switch (c) {
    case 'O': return '0';
    case 'I': return '1';
    case 'S': return '5';
    case 'Z': return '2';
    case 'V': return 'U';
    default: return c;
  }
}

std::string find_credit_code(const std::string& line) {
  for (std::size_t i = 0; i + 18 <= line.size(); ++i) {
    std::string cand = line.substr(i, 18);
    bool plausible = true;
    for (auto& c : cand) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (!std::isalnum(static_cast<unsigned char>(c))) plausible = false;
      c = repair(c);
    }
    if (plausible && validate_credit_code(cand).ok()) return cand;
  }
  return {};
}

}  // namespace

LicenceFields parse_licence_text(std::string_view text) {
  LicenceFields f;
  f.text = std::string(text);
  std::istringstream in{std::string(text)};
  std::string raw;
  while (std::getline(in, raw)) {
    std::string line = squeeze(raw);
    if (line.empty()) continue;
    if (f.credit_code.empty()) f.credit_code = find_credit_code(line);
    if (f.name.empty()) {
      std::string v = after_label(line, "名称");
      if (!v.empty()) f.name = v;
    }
    if (f.legal_representative.empty()) {
      std::string v = after_label(line, "法定代表人");
      if (v.empty()) v = after_label(line, "负责人");
      if (!v.empty()) f.legal_representative = v;
    }
  }
  return f;
}

Result<LicenceFields> TesseractLicenceReader::read(BytesView image) {
  std::unique_ptr<Pix, PixDeleter> pix(pixReadMem(image.data(), image.size()));
  if (!pix) return invalid_argument("unreadable_image", "the image cannot be read");
  std::unique_ptr<tesseract::TessBaseAPI, TessDeleter> api(new tesseract::TessBaseAPI());
  if (api->Init(tessdata_dir_.empty() ? nullptr : tessdata_dir_.c_str(), languages_.c_str()) != 0) {
    return unavailable("ocr_unavailable", "text recognition is not available",
                       "tesseract init failed for " + languages_);
  }
  api->SetPageSegMode(tesseract::PSM_AUTO);
  api->SetImage(pix.get());
  std::unique_ptr<char[]> text(api->GetUTF8Text());
  if (!text) return internal_error("tesseract returned no text");
  return parse_licence_text(text.get());
}

}  // namespace certseal::service
