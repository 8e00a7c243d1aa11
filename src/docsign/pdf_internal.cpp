#include "docsign/pdf_internal.h"

#include <qpdf/BufferInputSource.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QUtil.hh>

#include <cstring>
#include <ctime>

namespace certseal::docsign::internal {
namespace {

Result<std::unique_ptr<QPDF>> checked(std::unique_ptr<QPDF> q) {
  if (q->isEncrypted()) {
    return invalid_argument("pdf_encrypted", "PDF 文件已加密，无法签章");
  }
  return q;
}

}  // namespace

Result<std::unique_ptr<QPDF>> open_pdf(const std::string& path) {
  return guarded("open " + path, [&]() -> Result<std::unique_ptr<QPDF>> {
    auto q = std::make_unique<QPDF>();
    q->setSuppressWarnings(true);
    try {
      q->processFile(path.c_str());
    } catch (const QPDFExc& e) {
      // A user password we do not have: encrypted all the same.
      if (e.getErrorCode() == qpdf_e_password) return invalid_argument("pdf_encrypted", "PDF 文件已加密，无法签章");
      throw;
    }
    return checked(std::move(q));
  });
}

Result<std::unique_ptr<QPDF>> open_pdf_bytes(const Bytes& data, const std::string& description) {
  return guarded("open " + description, [&]() -> Result<std::unique_ptr<QPDF>> {
    auto q = std::make_unique<QPDF>();
    q->setSuppressWarnings(true);
    q->processMemoryFile(description.c_str(), reinterpret_cast<const char*>(data.data()), data.size());
    return checked(std::move(q));
  });
}

Result<XrefTail> read_xref_tail(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) return Error(ErrorKind::kInvalidArgument, "pdf_unreadable", "PDF 文件无法读取", "open " + path);
  if (std::fseek(f.get(), 0, SEEK_END) != 0) return io_error("seek " + path);
  const long size = std::ftell(f.get());
  if (size < 32) return Error(ErrorKind::kInvalidArgument, "pdf_unreadable", "PDF 文件无法读取", "too short");
  const long tail = std::min<long>(size, 1024);
  std::string buf(static_cast<std::size_t>(tail), '\0');
  std::fseek(f.get(), size - tail, SEEK_SET);
  if (std::fread(buf.data(), 1, buf.size(), f.get()) != buf.size()) return io_error("read " + path);
  XrefTail t;
  t.file_size = static_cast<std::uint64_t>(size);
  t.ends_with_eol = buf.back() == '\n' || buf.back() == '\r';
  const auto at = buf.rfind("startxref");
  auto bad = [&](const char* why) {
    return Error(ErrorKind::kInvalidArgument, "pdf_unreadable", "PDF 文件无法读取", why);
  };
  if (at == std::string::npos) return bad("no startxref");
  std::size_t i = at + 9;
  while (i < buf.size() && std::isspace(static_cast<unsigned char>(buf[i]))) ++i;
  std::uint64_t n = 0;
  std::size_t digits = 0;
  while (i < buf.size() && std::isdigit(static_cast<unsigned char>(buf[i])) && digits < 15) {
    n = n * 10 + static_cast<std::uint64_t>(buf[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0 || n >= t.file_size) return bad("bad startxref");
  t.startxref = n;
  char head[8] = {};
  std::fseek(f.get(), static_cast<long>(n), SEEK_SET);
  const std::size_t got = std::fread(head, 1, 4, f.get());
  t.is_stream = !(got == 4 && std::memcmp(head, "xref", 4) == 0);
  return t;
}

std::string pdf_text(const std::string& utf8) {
  // Appended piece by piece: GCC 12's -O3 -Wrestrict misfires on "<" + std::string&&.
  std::string out(1, '<');
  out.append(QUtil::hex_encode(QUtil::utf8_to_utf16(utf8)));
  out.push_back('>');
  return out;
}

std::string pdf_date(SysTime t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "D:%Y%m%d%H%M%SZ", &tm);
  return buf;
}

}  // namespace certseal::docsign::internal
