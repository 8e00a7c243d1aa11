#include "docsign/pdf_internal.h"

#include <qpdf/BufferInputSource.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QUtil.hh>

#include <algorithm>
#include <cinttypes>
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

using XrefEntries = std::vector<std::pair<int, std::pair<int, std::uint64_t>>>;  // (num, (gen, offset)), sorted

std::string xref_table(const XrefEntries& entries) {
  // Contiguous runs of object numbers become subsections.
  std::string s = "xref\n";
  std::size_t i = 0;
  while (i < entries.size()) {
    std::size_t j = i;
    while (j + 1 < entries.size() && entries[j + 1].first == entries[j].first + 1) ++j;
    s += std::to_string(entries[i].first) + " " + std::to_string(j - i + 1) + "\n";
    for (std::size_t k = i; k <= j; ++k) {
      char line[32];
      std::snprintf(line, sizeof line, "%010" PRIu64 " %05d n \n", entries[k].second.second, entries[k].second.first);
      s += line;
    }
    i = j + 1;
  }
  return s;
}

std::string xref_stream(int self, const XrefEntries& entries, const std::string& trailer_entries) {
  std::string index, data;
  std::size_t i = 0;
  while (i < entries.size()) {
    std::size_t j = i;
    while (j + 1 < entries.size() && entries[j + 1].first == entries[j].first + 1) ++j;
    index += std::to_string(entries[i].first) + " " + std::to_string(j - i + 1) + " ";
    for (std::size_t k = i; k <= j; ++k) {
      const std::uint64_t off = entries[k].second.second;
      const int gen = entries[k].second.first;
      data.push_back(1);
      for (int b = 4; b >= 0; --b) data.push_back(static_cast<char>((off >> (8 * b)) & 0xff));
      data.push_back(static_cast<char>((gen >> 8) & 0xff));
      data.push_back(static_cast<char>(gen & 0xff));
    }
    i = j + 1;
  }
  return stream_obj(self, " /Type /XRef " + trailer_entries + " /Index [" + index + "] /W [1 5 2]", as_bytes(data));
}

}  // namespace

std::string ref(int n, int g) { return std::to_string(n) + " " + std::to_string(g) + " R"; }

std::string stream_obj(int n, const std::string& dict_entries, BytesView data) {
  std::string s = std::to_string(n) + " 0 obj\n<<" + dict_entries + " /Length " + std::to_string(data.size()) +
                  " >>\nstream\n";
  s.append(reinterpret_cast<const char*>(data.data()), data.size());
  s += "\nendstream\nendobj\n";
  return s;
}

std::string entries_except(QPDFObjectHandle d, const std::set<std::string>& skip) {
  std::string s;
  for (const auto& k : d.getKeys()) {
    if (skip.count(k)) continue;
    s += QPDFObjectHandle::newName(k).unparse() + " " + d.getKey(k).unparse() + "\n";
  }
  return s;
}

std::string array_items(QPDFObjectHandle a) {
  std::string s;
  if (!a.isArray()) return s;
  for (int i = 0; i < a.getArrayNItems(); ++i) s += a.getArrayItem(i).unparse() + " ";
  return s;
}

std::string update_section(const std::vector<NewObject>& objs, const XrefTail& tail, QPDF& q, int next,
                           std::vector<std::uint64_t>* offsets) {
  const std::uint64_t base = tail.file_size;
  std::string text = tail.ends_with_eol ? "" : "\n";
  XrefEntries entries;
  if (offsets) offsets->clear();
  for (const auto& o : objs) {
    const std::uint64_t off = base + text.size();
    if (offsets) offsets->push_back(off);
    entries.push_back({o.num, {o.gen, off}});
    text += o.text;
  }
  QPDFObjectHandle trailer = q.getTrailer();
  const QPDFObjGen root_og = q.getRoot().getObjGen();
  std::string trailer_entries = "/Size " + std::to_string(next + (tail.is_stream ? 1 : 0)) + " /Root " +
                                ref(root_og.getObj(), root_og.getGen()) + " /Prev " + std::to_string(tail.startxref);
  if (trailer.getKey("/Info").isIndirect()) trailer_entries += " /Info " + trailer.getKey("/Info").unparse();
  if (trailer.getKey("/ID").isArray()) trailer_entries += " /ID " + trailer.getKey("/ID").unparse();
  const std::uint64_t xref_at = base + text.size();
  if (tail.is_stream) {
    entries.push_back({next, {0, xref_at}});
    std::sort(entries.begin(), entries.end());
    text += xref_stream(next, entries, trailer_entries);
  } else {
    std::sort(entries.begin(), entries.end());
    text += xref_table(entries) + "trailer\n<< " + trailer_entries + " >>\n";
  }
  text += "startxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
  return text;
}

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
