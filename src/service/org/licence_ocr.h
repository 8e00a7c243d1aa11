// Reading a business licence (营业执照) photo to pre-fill the organisation form: name,
// unified social credit code, legal representative. The user can correct every field, so OCR
// only saves typing; it decides nothing.
//
// TesseractLicenceReader runs Tesseract (chi_sim + eng) on the image. Contract: thread-safe
// (one Tesseract engine per call; reading is rare and the engine is not thread-safe).
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

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
  virtual Result<LicenceFields> read(BytesView image) = 0;
};

class TesseractLicenceReader final : public LicenceReader {
 public:
  // tessdata_dir empty: Tesseract's default (Debian: /usr/share/tesseract-ocr/5/tessdata).
  explicit TesseractLicenceReader(std::string tessdata_dir = {}, std::string languages = "chi_sim+eng")
      : tessdata_dir_(std::move(tessdata_dir)), languages_(std::move(languages)) {}
  Result<LicenceFields> read(BytesView image) override;

 private:
  std::string tessdata_dir_;
  std::string languages_;
};

}  // namespace certseal::service
