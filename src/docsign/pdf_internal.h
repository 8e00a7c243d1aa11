// Helpers shared by the PDF signer and verifier (this folder only).
#pragma once

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

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

// --- Writing an incremental update (ISO 32000-1 §7.5.6) ----------------------------------------

// One appended object: its number, generation and full "N G obj ... endobj" text.
struct NewObject {
  int num = 0, gen = 0;
  std::string text;
};
std::string ref(int n, int g = 0);  // "n g R"
// "n 0 obj << dict_entries /Length … >> stream … endstream endobj" (data unfiltered, as given).
std::string stream_obj(int n, const std::string& dict_entries, BytesView data);
// A dictionary's entries except `skip`, in PDF syntax (indirect values stay references).
std::string entries_except(QPDFObjectHandle d, const std::set<std::string>& skip);
// An array's items in PDF syntax, each followed by a space ("" for a non-array).
std::string array_items(QPDFObjectHandle a);
// The text appended after a file (whose tail is `tail`, opened as `q`): the objects, then a
// cross-reference section of the same kind as the file's last one (a table, or a stream taking
// object number `next`) and a trailer with /Size, /Root, /Prev, /Info and /ID, then startxref and
// %%EOF. `next` is the first object number not in use. offsets[i] is the file offset objs[i] will
// have. The text starts with an end of line when the file does not end with one.
std::string update_section(const std::vector<NewObject>& objs, const XrefTail& tail, QPDF& q, int next,
                           std::vector<std::uint64_t>* offsets);

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
