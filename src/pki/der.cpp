#include "pki/der.h"

#include <openssl/objects.h>

#include <algorithm>
#include <ctime>

#include "crypto/ossl.h"

namespace certseal::pki::der {
namespace {

void put_length(Bytes& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<std::uint8_t>(n));
    return;
  }
  std::uint8_t buf[8];
  int k = 0;
  while (n > 0) {
    buf[k++] = static_cast<std::uint8_t>(n & 0xff);
    n >>= 8;
  }
  out.push_back(static_cast<std::uint8_t>(0x80 | k));
  while (k > 0) out.push_back(buf[--k]);
}

Bytes time_string(std::uint8_t tag, SysTime t, bool generalized) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  if (generalized) {
    std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buf, sizeof buf, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return tlv(tag, as_bytes(buf));
}

}  // namespace

Bytes tlv(std::uint8_t tag, BytesView content) {
  Bytes out;
  out.reserve(content.size() + 6);
  out.push_back(tag);
  put_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes concat(std::initializer_list<BytesView> parts) {
  Bytes out;
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes seq(std::initializer_list<BytesView> parts) { return tlv(kSequence, concat(parts)); }

Bytes seq_of(const std::vector<Bytes>& parts) {
  Bytes c;
  for (const auto& p : parts) c.insert(c.end(), p.begin(), p.end());
  return tlv(kSequence, c);
}

// X.690 §11.6: compared as octet strings, the shorter padded with trailing zero octets. (A plain
// loop also keeps GCC 12's -Wstringop-overread false positive on vector<=> away at -O3.)
static bool der_set_less(const Bytes& a, const Bytes& b) {
  std::size_t n = std::max(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y;
  }
  return false;
}

Bytes set_of(std::vector<Bytes> parts) {
  std::sort(parts.begin(), parts.end(), der_set_less);
  Bytes c;
  for (const auto& p : parts) c.insert(c.end(), p.begin(), p.end());
  return tlv(kSet, c);
}

Bytes explicit_tag(int n, BytesView inner) { return tlv(context(n, true), inner); }
Bytes implicit(int n, bool constructed, BytesView content) { return tlv(context(n, constructed), content); }
Bytes boolean(bool v) { return Bytes{kBoolean, 1, static_cast<std::uint8_t>(v ? 0xff : 0x00)}; }
Bytes null() { return Bytes{kNull, 0}; }

Bytes integer(std::int64_t v) {
  Bytes mag;
  std::uint64_t u = static_cast<std::uint64_t>(v);
  for (int i = 7; i >= 0; --i) mag.push_back(static_cast<std::uint8_t>(u >> (8 * i)));
  // Minimal two's complement: drop redundant leading 0x00/0xff bytes.
  std::size_t i = 0;
  while (i + 1 < mag.size() && ((mag[i] == 0x00 && !(mag[i + 1] & 0x80)) ||
                                (mag[i] == 0xff && (mag[i + 1] & 0x80)))) {
    ++i;
  }
  return tlv(kInteger, BytesView(mag).subspan(i));
}

Bytes integer_unsigned(BytesView magnitude) {
  std::size_t i = 0;
  while (i + 1 < magnitude.size() && magnitude[i] == 0) ++i;
  Bytes c;
  if (magnitude.empty()) {
    c.push_back(0);
  } else {
    if (magnitude[i] & 0x80) c.push_back(0);
    c.insert(c.end(), magnitude.begin() + static_cast<std::ptrdiff_t>(i), magnitude.end());
  }
  return tlv(kInteger, c);
}

Bytes enumerated(int v) {
  Bytes i = integer(v);
  i[0] = kEnumerated;
  return i;
}

Bytes octet_string(BytesView v) { return tlv(kOctetString, v); }

Bytes bit_string(BytesView v, int unused_bits) {
  Bytes c;
  c.push_back(static_cast<std::uint8_t>(unused_bits));
  c.insert(c.end(), v.begin(), v.end());
  return tlv(kBitString, c);
}

Bytes named_bits(std::uint32_t bits) {
  int highest = -1;
  for (int b = 0; b < 32; ++b) {
    if (bits & (1u << b)) highest = b;
  }
  if (highest < 0) return bit_string({}, 0);
  std::size_t nbytes = static_cast<std::size_t>(highest / 8 + 1);
  Bytes v(nbytes, 0);
  for (int b = 0; b <= highest; ++b) {
    if (bits & (1u << b)) v[static_cast<std::size_t>(b / 8)] |= static_cast<std::uint8_t>(0x80 >> (b % 8));
  }
  int unused = 7 - highest % 8;
  return bit_string(v, unused);
}

Result<Bytes> oid(std::string_view dotted) {
  std::string s(dotted);
  ASN1_OBJECT* obj = OBJ_txt2obj(s.c_str(), 1);
  if (!obj) return invalid_argument("bad_oid", "not an object identifier: " + s);
  int len = i2d_ASN1_OBJECT(obj, nullptr);
  Bytes out(static_cast<std::size_t>(len > 0 ? len : 0));
  unsigned char* p = out.data();
  i2d_ASN1_OBJECT(obj, &p);
  ASN1_OBJECT_free(obj);
  if (len <= 0) return invalid_argument("bad_oid", "not an object identifier: " + s);
  return out;
}

Bytes oid_or_die(std::string_view dotted) {
  auto r = oid(dotted);
  if (!r) crypto::openssl_fatal("OBJ_txt2obj on a built-in OID");
  return std::move(r).value();
}

Bytes utf8(std::string_view s) { return tlv(kUtf8String, as_bytes(s)); }
Bytes ia5(std::string_view s) { return tlv(kIa5String, as_bytes(s)); }
Bytes printable(std::string_view s) { return tlv(kPrintableString, as_bytes(s)); }

Bytes x509_time(SysTime t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  bool gen = tm.tm_year + 1900 >= 2050 || tm.tm_year + 1900 < 1950;
  return time_string(gen ? kGeneralizedTime : kUtcTime, t, gen);
}

Bytes generalized_time(SysTime t) { return time_string(kGeneralizedTime, t, true); }

Result<Tlv> read_tlv(BytesView in) {
  auto bad = [] { return invalid_argument("malformed_der", "malformed DER"); };
  if (in.size() < 2) return bad();
  Tlv t;
  t.tag = in[0];
  // High tag numbers (X.690 §8.1.2.4) appear in nothing we read; refusing them keeps tag one byte.
  if ((t.tag & 0x1f) == 0x1f) return bad();
  std::size_t pos = 1;
  std::uint8_t l = in[pos++];
  if (l < 0x80) {
    t.length = l;
  } else {
    // Long form (X.690 §10.1: DER uses the fewest octets): no indefinite length (n = 0), no leading
    // zero octet, and no long form for a length below 128.
    int n = l & 0x7f;
    if (n == 0 || n > 4 || in.size() < pos + static_cast<std::size_t>(n)) return bad();
    if (in[pos] == 0) return bad();
    std::size_t len = 0;
    for (int i = 0; i < n; ++i) len = (len << 8) | in[pos++];
    if (len < 0x80) return bad();
    t.length = len;
  }
  t.header = pos;
  if (in.size() - pos < t.length) return bad();
  return t;
}

}  // namespace certseal::pki::der
