#include "docsign/ofd_zip.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace certseal::docsign {
namespace {

constexpr std::uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr std::size_t kLocalLen = 30, kCentralLen = 46, kEndLen = 22;
constexpr std::uint64_t kRatioFloor = 64 * 1024;

Error malformed(const std::string& what) { return invalid_argument("zip_malformed", "文件包（ZIP）已损坏：" + what); }

std::uint16_t u16(BytesView b, std::size_t at) { return static_cast<std::uint16_t>(b[at] | (b[at + 1] << 8)); }
std::uint32_t u32(BytesView b, std::size_t at) {
  return static_cast<std::uint32_t>(b[at]) | (static_cast<std::uint32_t>(b[at + 1]) << 8) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16) | (static_cast<std::uint32_t>(b[at + 3]) << 24);
}
void put16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v & 0xffff);
  put16(out, v >> 16);
}

std::string lower_ascii(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::uint32_t crc_of(BytesView data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  std::size_t at = 0;
  while (at < data.size()) {
    const auto n = static_cast<uInt>(std::min<std::size_t>(data.size() - at, 1u << 30));
    crc = crc32(crc, data.data() + at, n);
    at += n;
  }
  return static_cast<std::uint32_t>(crc);
}

// Raw inflate of `in` into exactly `size` bytes; anything else is refused.
Result<Bytes> inflate_exact(BytesView in, std::uint64_t size) {
  Bytes out(static_cast<std::size_t>(size));
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) return internal_error("inflateInit2 failed");
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  if (rc == Z_BUF_ERROR && zs.avail_out == 0) {
    // The output is full but the stream has not ended: it would inflate to more than declared.
    unsigned char probe = 0;
    zs.next_out = &probe;
    zs.avail_out = 1;
    rc = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if (rc == Z_STREAM_END && zs.avail_out == 1) return out;
    return malformed("条目解压后的大小与声明不符");
  }
  const bool ended = rc == Z_STREAM_END;
  const std::size_t produced = out.size() - zs.avail_out;
  inflateEnd(&zs);
  if (!ended || produced != size) return malformed("条目无法解压或解压后的大小与声明不符");
  return out;
}

}  // namespace

Status check_zip_name(std::string_view name, std::size_t max_name_bytes) {
  auto bad = [&](const std::string& why) {
    return invalid_argument("zip_bad_name", "文件包中的文件名不可接受（" + why + "）");
  };
  if (name.empty()) return bad("空文件名");
  if (name.size() > max_name_bytes) return bad("文件名过长");
  if (name.find('\0') != std::string_view::npos) return bad("含 NUL");
  if (name.find('\\') != std::string_view::npos) return bad("含反斜杠");
  if (name.front() == '/') return bad("绝对路径");
  if (name.size() >= 2 && name[1] == ':') return bad("盘符");
  std::string_view rest = name;
  if (rest.back() == '/') rest.remove_suffix(1);
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = rest.find('/', start);
    const std::string_view seg = rest.substr(start, slash == std::string_view::npos ? rest.npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") return bad("路径含空段、. 或 ..");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return ok_status();
}

Result<std::vector<ZipEntry>> read_zip(BytesView zip, const ZipLimits& limits) {
  if (zip.size() < kEndLen) return malformed("太短");
  // The end record: the last one whose comment runs exactly to the end of the file.
  std::size_t end_at = zip.size();
  const std::size_t lowest = zip.size() > kEndLen + 0xffff ? zip.size() - kEndLen - 0xffff : 0;
  for (std::size_t at = zip.size() - kEndLen + 1; at-- > lowest;) {
    if (u32(zip, at) == kEndSig && at + kEndLen + u16(zip, at + 20) == zip.size()) {
      end_at = at;
      break;
    }
  }
  if (end_at == zip.size()) return malformed("找不到中央目录结尾");
  const std::uint16_t disk = u16(zip, end_at + 4), cd_disk = u16(zip, end_at + 6);
  const std::uint16_t on_disk = u16(zip, end_at + 8), total = u16(zip, end_at + 10);
  const std::uint32_t cd_size = u32(zip, end_at + 12), cd_offset = u32(zip, end_at + 16);
  if (total == 0xffff || cd_size == 0xffffffffu || cd_offset == 0xffffffffu) {
    return invalid_argument("zip_unsupported", "不支持 ZIP64 文件包");
  }
  if (disk != 0 || cd_disk != 0 || on_disk != total) return invalid_argument("zip_unsupported", "不支持分卷文件包");
  if (total > limits.max_entries) return invalid_argument("zip_too_large", "文件包中的文件过多");
  if (static_cast<std::uint64_t>(cd_offset) + cd_size > end_at) return malformed("中央目录越界");

  struct Span {
    std::uint64_t begin, end;
  };
  std::vector<Span> spans;
  std::vector<ZipEntry> entries;
  std::set<std::string> seen;
  std::uint64_t total_bytes = 0;
  std::size_t at = cd_offset;
  const std::size_t cd_end = static_cast<std::size_t>(cd_offset) + cd_size;
  for (std::size_t i = 0; i < total; ++i) {
    if (at + kCentralLen > cd_end || u32(zip, at) != kCentralSig) return malformed("中央目录条目损坏");
    const std::uint16_t flags = u16(zip, at + 8), method = u16(zip, at + 10);
    const std::uint32_t crc = u32(zip, at + 16), csize = u32(zip, at + 20), usize = u32(zip, at + 24);
    const std::uint16_t name_len = u16(zip, at + 28), extra_len = u16(zip, at + 30), comment_len = u16(zip, at + 32);
    const std::uint16_t start_disk = u16(zip, at + 34);
    const std::uint32_t local_at = u32(zip, at + 42);
    const std::size_t next = at + kCentralLen + name_len + extra_len + comment_len;
    if (next > cd_end) return malformed("中央目录条目越界");
    const std::string name(reinterpret_cast<const char*>(zip.data() + at + kCentralLen), name_len);
    at = next;
    if ((flags & 0x0001) != 0 || (flags & 0x0040) != 0) return invalid_argument("zip_unsupported", "不支持加密的文件包");
    if (csize == 0xffffffffu || usize == 0xffffffffu || local_at == 0xffffffffu) {
      return invalid_argument("zip_unsupported", "不支持 ZIP64 文件包");
    }
    if (start_disk != 0) return invalid_argument("zip_unsupported", "不支持分卷文件包");
    CS_TRY(check_zip_name(name, limits.max_name_bytes));
    if (!seen.insert(lower_ascii(name)).second) {
      return invalid_argument("zip_duplicate", "文件包中有重名文件：" + name);
    }
    if (method != 0 && method != 8) return invalid_argument("zip_unsupported", "不支持的压缩方法");
    if (usize > limits.max_entry_bytes) return invalid_argument("zip_too_large", "文件包中的文件过大：" + name);
    total_bytes += usize;
    if (total_bytes > limits.max_total_bytes) return invalid_argument("zip_too_large", "文件包解压后过大");
    if (method == 0 && csize != usize) return malformed("未压缩条目的大小不一致");
    if (usize > kRatioFloor && usize > static_cast<std::uint64_t>(csize) * limits.max_ratio) {
      return invalid_argument("zip_too_large", "文件包中的文件压缩比异常（疑似压缩炸弹）：" + name);
    }
    // The local header must agree with the central entry.
    if (static_cast<std::uint64_t>(local_at) + kLocalLen > cd_offset || u32(zip, local_at) != kLocalSig) {
      return malformed("本地文件头损坏");
    }
    const std::uint16_t l_name = u16(zip, local_at + 26), l_extra = u16(zip, local_at + 28);
    const std::uint64_t data_at = static_cast<std::uint64_t>(local_at) + kLocalLen + l_name + l_extra;
    if (data_at + csize > cd_offset) return malformed("条目数据越界");
    if (u16(zip, local_at + 8) != method ||
        std::string_view(reinterpret_cast<const char*>(zip.data() + local_at + kLocalLen), l_name) != name) {
      return malformed("本地文件头与中央目录不一致");
    }
    spans.push_back({local_at, data_at + csize});
    if (name.back() == '/') {
      if (usize != 0) return malformed("目录条目带有数据");
      continue;
    }
    const BytesView raw = zip.subspan(static_cast<std::size_t>(data_at), csize);
    Bytes data;
    if (method == 0) {
      data.assign(raw.begin(), raw.end());
    } else {
      CS_ASSIGN(data, inflate_exact(raw, usize));
    }
    if (crc_of(data) != crc) return malformed("条目校验（CRC-32）不符：" + name);
    entries.push_back({name, std::move(data)});
  }
  if (at != cd_end) return malformed("中央目录长度不符");
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].begin < spans[i - 1].end) return malformed("条目数据相互重叠");
  }
  return entries;
}

Result<Bytes> write_zip(const std::vector<ZipEntry>& entries) {
  if (entries.size() >= 0xffff) return invalid_argument("zip_too_large", "文件包中的文件过多");
  std::set<std::string> seen;
  Bytes out, central;
  constexpr std::uint32_t kDosTime = 0, kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01 00:00
  for (const ZipEntry& e : entries) {
    CS_TRY(check_zip_name(e.name));
    if (!seen.insert(lower_ascii(e.name)).second) return invalid_argument("zip_duplicate", "重名文件：" + e.name);
    if (e.data.size() >= 0xffffffffu || out.size() >= 0xffffffffu) {
      return invalid_argument("zip_too_large", "文件过大");
    }
    Bytes packed(compressBound(static_cast<uLong>(e.data.size())) + 16);
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      return internal_error("deflateInit2 failed");
    }
    zs.next_in = const_cast<Bytef*>(e.data.data());
    zs.avail_in = static_cast<uInt>(e.data.size());
    zs.next_out = packed.data();
    zs.avail_out = static_cast<uInt>(packed.size());
    const int rc = deflate(&zs, Z_FINISH);
    const std::size_t packed_len = packed.size() - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) return internal_error("deflate failed");
    const bool store = packed_len >= e.data.size();
    const BytesView body = store ? BytesView(e.data) : BytesView(packed.data(), packed_len);
    const std::uint16_t method = store ? 0 : 8;
    const std::uint32_t crc = crc_of(e.data);
    const auto local_at = static_cast<std::uint32_t>(out.size());
    put32(out, kLocalSig);
    put16(out, 20);
    put16(out, 0x0800);  // names are UTF-8
    put16(out, method);
    put16(out, kDosTime);
    put16(out, kDosDate);
    put32(out, crc);
    put32(out, static_cast<std::uint32_t>(body.size()));
    put32(out, static_cast<std::uint32_t>(e.data.size()));
    put16(out, static_cast<std::uint32_t>(e.name.size()));
    put16(out, 0);
    out.insert(out.end(), e.name.begin(), e.name.end());
    out.insert(out.end(), body.begin(), body.end());

    put32(central, kCentralSig);
    put16(central, 20);
    put16(central, 20);
    put16(central, 0x0800);
    put16(central, method);
    put16(central, kDosTime);
    put16(central, kDosDate);
    put32(central, crc);
    put32(central, static_cast<std::uint32_t>(body.size()));
    put32(central, static_cast<std::uint32_t>(e.data.size()));
    put16(central, static_cast<std::uint32_t>(e.name.size()));
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put16(central, 0);
    put32(central, 0);
    put32(central, local_at);
    central.insert(central.end(), e.name.begin(), e.name.end());
  }
  if (out.size() + central.size() >= 0xffffffffu) return invalid_argument("zip_too_large", "文件包过大");
  const auto cd_at = static_cast<std::uint32_t>(out.size());
  out.insert(out.end(), central.begin(), central.end());
  put32(out, kEndSig);
  put16(out, 0);
  put16(out, 0);
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put16(out, static_cast<std::uint32_t>(entries.size()));
  put32(out, static_cast<std::uint32_t>(central.size()));
  put32(out, cd_at);
  put16(out, 0);
  return out;
}

}  // namespace certseal::docsign
