// Helpers shared by the PDF signer and verifier (this folder only).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include <qpdf/QPDF.hh>

#include "base/bytes.h"
#include "base/clock.h"
#include "base/result.h"

namespace certseal::docsign::internal {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

inline Error io_error(const std::string& what) {
  return Error(ErrorKind::kInternal, "io_error", "文件读写失败", what);
}

// Opens a PDF with qpdf (warnings kept, not printed). Errors: pdf_unreadable, pdf_encrypted.
Result<std::unique_ptr<QPDF>> open_pdf(const std::string& path);
// The same over bytes already in memory (a signed revision); `description` names it in errors.
Result<std::unique_ptr<QPDF>> open_pdf_bytes(const Bytes& data, const std::string& description);

// The number after the last "startxref" in the file's last KiB, and whether the section there is
// a cross-reference stream (not a table). Errors: pdf_unreadable.
struct XrefTail {
  std::uint64_t file_size = 0;
  std::uint64_t startxref = 0;
  bool is_stream = false;
  bool ends_with_eol = true;
};
Result<XrefTail> read_xref_tail(const std::string& path);

// A PDF text string (ISO 32000-1 §7.9.2.2): UTF-16BE with BOM, hex-encoded: <FEFF...>.
std::string pdf_text(const std::string& utf8);
// D:YYYYMMDDHHmmSSZ (§7.9.4).
std::string pdf_date(SysTime t);

// Runs f, mapping qpdf's exceptions to pdf_unreadable.
template <class F>
auto guarded(const std::string& what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return Error(ErrorKind::kInvalidArgument, "pdf_unreadable", "PDF 文件无法读取", what + ": " + e.what());
  }
}

}  // namespace certseal::docsign::internal
