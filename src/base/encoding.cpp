#include "base/encoding.h"

#include <array>

namespace certseal {
namespace {

constexpr char kHexLower[] = "0123456789abcdef";
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string b64(BytesView b, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((b.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= b.size(); i += 3) {
    unsigned v = (unsigned{b[i]} << 16) | (unsigned{b[i + 1]} << 8) | b[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  std::size_t rest = b.size() - i;
  if (rest == 1) {
    unsigned v = unsigned{b[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) out += "==";
  } else if (rest == 2) {
    unsigned v = (unsigned{b[i]} << 16) | (unsigned{b[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) out += '=';
  }
  return out;
}

std::array<int, 256> b64_table() {
  std::array<int, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i) {
    t[static_cast<unsigned char>(kB64[i])] = i;
    t[static_cast<unsigned char>(kB64Url[i])] = i;
  }
  return t;
}

}  // namespace

std::string hex_encode(BytesView b, bool upper) {
  const char* digits = upper ? kHexUpper : kHexLower;
  std::string out;
  out.reserve(b.size() * 2);
  for (auto c : b) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

Result<Bytes> hex_decode(std::string_view s) {
  if (s.size() % 2 != 0) return invalid_argument("bad_hex", "hex text has an odd length");
  Bytes out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return invalid_argument("bad_hex", "hex text has a non-hex character");
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

std::string base64_encode(BytesView b) { return b64(b, kB64, true); }
std::string base64url_encode(BytesView b) { return b64(b, kB64Url, false); }

Result<Bytes> base64_decode(std::string_view s) {
  static const std::array<int, 256> table = b64_table();
  Bytes out;
  out.reserve(s.size() * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  std::size_t pad = 0;
  for (char c : s) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0) return invalid_argument("bad_base64", "base64 text continues after padding");
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return invalid_argument("bad_base64", "base64 text has an invalid character");
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  if (pad > 2 || bits >= 6) return invalid_argument("bad_base64", "base64 text has a bad length");
  if ((acc & ((1u << bits) - 1)) != 0) {
    return invalid_argument("bad_base64", "base64 text has non-zero trailing bits");
  }
  return out;
}

std::string pem_encode(std::string_view label, BytesView der) {
  std::string body = base64_encode(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  for (std::size_t i = 0; i < body.size(); i += 64) {
    out.append(body, i, 64);
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  return out;
}

Result<std::vector<PemBlock>> pem_decode_all(std::string_view text) {
  std::vector<PemBlock> blocks;
  constexpr std::string_view kBegin = "-----BEGIN ";
  std::size_t pos = 0;
  while ((pos = text.find(kBegin, pos)) != std::string_view::npos) {
    std::size_t label_start = pos + kBegin.size();
    std::size_t label_end = text.find("-----", label_start);
    if (label_end == std::string_view::npos) {
      return invalid_argument("bad_pem", "PEM header is not terminated");
    }
    std::string label(text.substr(label_start, label_end - label_start));
    std::string end_marker = "-----END " + label + "-----";
    std::size_t body_start = label_end + 5;
    std::size_t end = text.find(end_marker, body_start);
    if (end == std::string_view::npos) {
      return invalid_argument("bad_pem", "PEM block '" + label + "' has no END line");
    }
    auto der = base64_decode(text.substr(body_start, end - body_start));
    if (!der) return invalid_argument("bad_pem", "PEM block '" + label + "' is not valid base64");
    blocks.push_back({label, std::move(der).value()});
    pos = end + end_marker.size();
  }
  return blocks;
}

}  // namespace certseal
