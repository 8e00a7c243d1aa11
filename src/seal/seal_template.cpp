// Seal kinds, the template rules and the entry point that picks the drawing (seal_picture.h).
#include <glib.h>

#include <algorithm>
#include <array>
#include <utility>

#include "seal/canvas_internal.h"
#include "seal/kinds_internal.h"
#include "seal/seal_picture.h"

namespace certseal::seal {
namespace {

constexpr std::array<std::pair<SealKind, std::string_view>, 6> kKindNames{{
    {SealKind::kOfficial, "official"},
    {SealKind::kContract, "contract"},
    {SealKind::kFinance, "finance"},
    {SealKind::kInvoice, "invoice"},
    {SealKind::kLegalRepresentative, "legal_representative"},
    {SealKind::kPersonalSquare, "personal_square"},
}};

bool is_square_name_kind(SealKind k) {
  return k == SealKind::kLegalRepresentative || k == SealKind::kPersonalSquare;
}

// Valid UTF-8 without control characters (C0, DEL, C1) or line separators.
bool printable_text(std::string_view s) {
  if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return false;
  for (const std::string& ch : internal::split_chars(s)) {
    gunichar c = g_utf8_get_char(ch.c_str());
    if (g_unichar_iscntrl(c) || c == 0x2028 || c == 0x2029 || g_unichar_isspace(c)) return false;
  }
  return true;
}

std::size_t char_count(std::string_view s) { return internal::split_chars(s).size(); }

bool round_shape(const SealTemplate& t) {
  return t.kind == SealKind::kOfficial || t.kind == SealKind::kContract ||
         (t.kind == SealKind::kFinance && t.shape != SealShape::kSquare);
}

double default_size(const SealTemplate& t) {
  if (t.size_mm > 0) return t.size_mm;
  if (round_shape(t)) return 40;
  if (t.kind == SealKind::kFinance) return 22;
  if (t.kind == SealKind::kInvoice) return 40;
  return 20;
}

}  // namespace

std::string_view seal_kind_name(SealKind k) {
  for (const auto& [kind, name] : kKindNames) {
    if (kind == k) return name;
  }
  return "official";
}

Result<SealKind> parse_seal_kind(std::string_view s) {
  for (const auto& [kind, name] : kKindNames) {
    if (name == s) return kind;
  }
  return invalid_argument("bad_seal_kind", "印章类型无效");
}

namespace internal {

std::string purpose_text(const SealTemplate& t) {
  if (!t.horizontal_text.empty()) return t.horizontal_text;
  return t.kind == SealKind::kFinance ? "财务专用章" : "合同专用章";
}

std::string square_text(const SealTemplate& t) {
  switch (t.suffix) {
    case NameSuffix::kYin:
      return t.name + "印";
    case NameSuffix::kZhiYin:
      return t.name + "之印";
    case NameSuffix::kNone:
      break;
  }
  return t.name;
}

}  // namespace internal

Status check_template(const SealTemplate& t) {
  if (!printable_text(t.name)) {
    return invalid_argument("bad_seal_name", "印章名称须为不含空白和控制字符的文字");
  }
  if (!t.horizontal_text.empty() && (!printable_text(t.horizontal_text) || char_count(t.horizontal_text) > 12)) {
    return invalid_argument("bad_seal_text", "横排文字须为 1 到 12 个字符，不含空白和控制字符");
  }
  if (!t.code.empty()) {
    if (t.code.size() != 13 || !std::all_of(t.code.begin(), t.code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return invalid_argument("bad_seal_code", "印章编码须为 13 位数字");
    }
  }
  const std::size_t n = char_count(t.name);
  if (is_square_name_kind(t.kind)) {
    const std::size_t total = char_count(internal::square_text(t));
    if (n < 1 || total < 2 || total > 4) {
      return invalid_argument("bad_seal_name", "方章须为 2 到 4 个字（含“印”或“之印”）");
    }
    if (t.shape == SealShape::kRound) return invalid_argument("bad_seal_size", "该类印章只能是方形");
    if (!t.code.empty()) return invalid_argument("bad_seal_code", "方章不带印章编码");
    const double s = default_size(t);
    if (s < 10 || s > 30) return invalid_argument("bad_seal_size", "方章边长须在 10 到 30 毫米之间");
    return ok_status();
  }
  if (n < 3 || n > 30) return invalid_argument("bad_seal_name", "单位名称须为 3 到 30 个字");
  if (t.carving != Carving::kYang || t.suffix != NameSuffix::kNone) {
    return invalid_argument("bad_seal_kind", "阴文和“印”字只用于方章");
  }
  if (t.kind == SealKind::kInvoice) {
    const std::string& tax = t.tax_number;
    if (tax.size() < 15 || tax.size() > 20 ||
        !std::all_of(tax.begin(), tax.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z'); })) {
      return invalid_argument("bad_tax_number", "纳税人识别号须为 15 到 20 位数字或大写字母");
    }
    if (t.shape != SealShape::kDefault || (t.size_mm != 0 && t.size_mm != 40)) {
      return invalid_argument("bad_seal_size", "发票专用章为 40×30 毫米椭圆");
    }
    if (!t.code.empty()) return invalid_argument("bad_seal_code", "发票专用章不带印章编码");
    return ok_status();
  }
  if (!t.tax_number.empty()) return invalid_argument("bad_tax_number", "只有发票专用章带纳税人识别号");
  if (t.shape == SealShape::kSquare && t.kind != SealKind::kFinance) {
    return invalid_argument("bad_seal_size", "只有财务专用章可以是方形");
  }
  const double s = default_size(t);
  if (round_shape(t)) {
    if (s != 40 && s != 42) return invalid_argument("bad_seal_size", "圆章直径须为 40 或 42 毫米");
  } else {
    if (!t.code.empty()) return invalid_argument("bad_seal_code", "方形财务章不带印章编码");
    if (s < 18 || s > 30) return invalid_argument("bad_seal_size", "方形财务章边长须在 18 到 30 毫米之间");
  }
  return ok_status();
}

Result<SealPicture> render_seal(const SealTemplate& t, double dpi, const DrawParts& parts) {
  CS_TRY(check_template(t));
  const double s = default_size(t);
  if (round_shape(t)) {
    return internal::render_both(s, s, dpi, [&](cairo_t* cr) { return internal::draw_round(cr, t, s, parts); });
  }
  if (t.kind == SealKind::kInvoice) {
    return internal::render_both(40, 30, dpi, [&](cairo_t* cr) { return internal::draw_oval(cr, t, 40, 30, parts); });
  }
  if (t.kind == SealKind::kFinance) {
    return internal::render_both(s, s, dpi,
                                 [&](cairo_t* cr) { return internal::draw_finance_square(cr, t, s, parts); });
  }
  return internal::render_both(s, s, dpi, [&](cairo_t* cr) { return internal::draw_name_square(cr, t, s, parts); });
}

}  // namespace certseal::seal
