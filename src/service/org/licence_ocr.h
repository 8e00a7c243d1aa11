// Reading a business licence (营业执照) photo to pre-fill the organisation form: name,
// unified social credit code, legal representative. The user can correct every field, so OCR
// only saves typing; it decides nothing.
//
// TesseractLicenceReader runs Tesseract (chi_sim + eng) on the image, bounded (security review
// M8): the image's declared size is checked before Leptonica decodes it; at most
// `max_concurrent` recognitions run at once (more: 503 ocr_busy at once, nobody waits); each runs
// on its own worker thread with Tesseract's deadline monitor set, and the caller waits at most
// `timeout` (then 504 ocr_timeout). Tesseract's monitor does not cover layout analysis, so a
// worker may run on briefly after its caller gave up; it keeps its concurrency slot until it
// really ends, so abandoned workers still count against max_concurrent.
// Contract: thread-safe (one Tesseract engine per call; the engine is not thread-safe). Workers
// only share a reference-counted slot counter with the reader, so the reader may be destroyed
// while one still runs.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"
#include "docsign/image_probe.h"

namespace certseal::service {

struct LicenceFields {
  std::string name;
  std::string credit_code;           // only when its check character is right
  std::string legal_representative;
  std::string text;                  // everything OCR read, for the operator
};

// Finds the fields in OCR text. Pure; exposed for tests.
LicenceFields parse_licence_text(std::string_view text);

class LicenceReader {
 public:
  virtual ~LicenceReader() = default;
  // Errors: unreadable_image, image_too_large (400); ocr_busy, ocr_unavailable (503);
  // ocr_timeout (504).
  virtual Result<LicenceFields> read(BytesView image) = 0;
};

struct OcrLimits {
  docsign::ImageLimits image;
  std::chrono::milliseconds timeout{20'000};
  int max_concurrent = 2;
};

class TesseractLicenceReader final : public LicenceReader {
 public:
  // tessdata_dir empty: Tesseract's default (Debian: /usr/share/tesseract-ocr/5/tessdata).
  explicit TesseractLicenceReader(std::string tessdata_dir = {}, std::string languages = "chi_sim+eng",
                                  OcrLimits limits = {});
  Result<LicenceFields> read(BytesView image) override;
  // Recognitions running now, abandoned ones included (for tests and metrics).
  int running() const;

  struct Slots;  // shared with the workers

 private:
  std::string tessdata_dir_;
  std::string languages_;
  OcrLimits limits_;
  std::shared_ptr<Slots> slots_;
};

}  // namespace certseal::service
