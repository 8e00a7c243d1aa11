#include "service/org/licence_ocr.h"

#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>

#include <algorithm>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>

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

struct TesseractLicenceReader::Slots {
  std::mutex mu;
  int running = 0;
};

namespace {

// Gives its slot back when the worker ends, however it ends.
class SlotGuard {
 public:
  explicit SlotGuard(std::shared_ptr<TesseractLicenceReader::Slots> s) : s_(std::move(s)) {}
  ~SlotGuard() {
    std::lock_guard lock(s_->mu);
    --s_->running;
  }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  std::shared_ptr<TesseractLicenceReader::Slots> s_;
};

// One recognition on the calling (worker) thread; Tesseract stops recognising words at the
// deadline (layout analysis before it is not covered by the monitor).
Result<std::string> recognise(const Bytes& image, const std::string& tessdata_dir, const std::string& languages,
                              std::chrono::milliseconds deadline) {
  std::unique_ptr<Pix, PixDeleter> pix(pixReadMem(image.data(), image.size()));
  if (!pix) return invalid_argument("unreadable_image", "the image cannot be read");
  std::unique_ptr<tesseract::TessBaseAPI, TessDeleter> api(new tesseract::TessBaseAPI());
  if (api->Init(tessdata_dir.empty() ? nullptr : tessdata_dir.c_str(), languages.c_str()) != 0) {
    return unavailable("ocr_unavailable", "text recognition is not available", "tesseract init failed for " + languages);
  }
  api->SetPageSegMode(tesseract::PSM_AUTO);
  api->SetImage(pix.get());
  tesseract::ETEXT_DESC monitor;
  monitor.set_deadline_msecs(static_cast<std::int32_t>(std::max<std::int64_t>(1, deadline.count())));
  int rc = api->Recognize(&monitor);
  if (monitor.deadline_exceeded()) {
    return Error(ErrorKind::kTimeout, "ocr_timeout", "text recognition took too long; please fill in the form");
  }
  if (rc != 0) return internal_error("tesseract recognition failed");
  std::unique_ptr<char[]> text(api->GetUTF8Text());
  if (!text) return internal_error("tesseract returned no text");
  return std::string(text.get());
}

}  // namespace

TesseractLicenceReader::TesseractLicenceReader(std::string tessdata_dir, std::string languages, OcrLimits limits)
    : tessdata_dir_(std::move(tessdata_dir)),
      languages_(std::move(languages)),
      limits_(limits),
      slots_(std::make_shared<Slots>()) {}

int TesseractLicenceReader::running() const {
  std::lock_guard lock(slots_->mu);
  return slots_->running;
}

Result<LicenceFields> TesseractLicenceReader::read(BytesView image) {
  // Before Leptonica allocates width × height from the header.
  CS_TRY(docsign::check_image(image, limits_.image));
  {
    std::lock_guard lock(slots_->mu);
    if (slots_->running >= limits_.max_concurrent) {
      return unavailable("ocr_busy", "text recognition is busy; please try again shortly");
    }
    ++slots_->running;
  }
  auto done = std::make_shared<std::promise<Result<std::string>>>();
  auto answer = done->get_future();
  try {
    std::thread([slots = slots_, done, copy = Bytes(image.begin(), image.end()), dir = tessdata_dir_,
                 langs = languages_, deadline = limits_.timeout] {
      auto result = [&] {
        SlotGuard slot(slots);  // free again before the caller can see the answer
        return recognise(copy, dir, langs, deadline);
      }();
      done->set_value(std::move(result));
    }).detach();
  } catch (const std::system_error& e) {
    std::lock_guard lock(slots_->mu);
    --slots_->running;
    return unavailable("ocr_busy", "text recognition is busy; please try again shortly", e.what());
  }
  // The worker's own deadline stops word recognition; this one bounds the caller whatever
  // Tesseract does (a little grace so that a worker finishing on time is not cut off).
  if (answer.wait_for(limits_.timeout + std::chrono::milliseconds(250)) != std::future_status::ready) {
    return Error(ErrorKind::kTimeout, "ocr_timeout", "text recognition took too long; please fill in the form");
  }
  CS_ASSIGN(auto text, answer.get());
  return parse_licence_text(text);
}

}  // namespace certseal::service
