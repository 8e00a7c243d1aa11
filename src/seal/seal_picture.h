// Seal pictures (印章图片): what a seal looks like, drawn true to the usual rules with Cairo + Pango
// and a CJK serif font (Noto Serif CJK SC from fonts-noto-cjk), as a transparent PNG at a chosen
// resolution and as an SVG of the same drawing (glyphs as outlines, so no font is needed to view it).
//
// Usage:
//   SealTemplate t;
//   t.kind = SealKind::kOfficial;
//   t.name = "北京某某科技有限公司";
//   t.code = "1101080123456";
//   CS_ASSIGN(SealPicture pic, render_seal(t, 300));   // pic.png, pic.svg
//
// The rules (sizes in mm, docs/SEALS.md has the table):
//   official (公章)         round, 40 (or 42) across, border 1.2; name on the upper arc, evenly spaced,
//                           3..30 characters; five-pointed star 14 across; optional horizontal text
//                           under the star; optional 13-digit seal code on the lower arc.
//   contract / finance      round as above without the star; the purpose (合同专用章 / 财务专用章)
//                           written horizontally across the middle. Finance may be square (22 mm).
//   invoice (发票专用章)    oval 40 × 30, border 1.0; name on the upper arc, the tax number across
//                           the middle, 发票专用章 below.
//   legal representative /  square (20 mm by default, 10..30), 2..4 characters in a grid read top to
//   personal square         bottom, right to left; 阳文 (red characters) or 阴文 (white characters
//                           knocked out of red); optional 印 or 之印 appended.
//
// Contract: thread-safe (each call has its own surfaces and layouts; Pango's default font map is
// per thread). Text is UTF-8, shown as given (no markup). The PNG is width_mm / 25.4 × dpi pixels
// (rounded) across, RGBA with a transparent background; the SVG's width and height are in mm.
// Errors (kInvalidArgument): bad_seal_kind, bad_seal_name (character count out of range, not
// UTF-8, or control characters), bad_seal_code (not 13 digits), bad_seal_text, bad_tax_number,
// bad_seal_size, bad_dpi (outside 72..1200).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::seal {

enum class SealKind {
  kOfficial,             // 公章
  kContract,             // 合同专用章
  kFinance,              // 财务专用章
  kInvoice,              // 发票专用章
  kLegalRepresentative,  // 法定代表人章
  kPersonalSquare,       // 个人方章
};

std::string_view seal_kind_name(SealKind k);  // "official", "contract", ...
Result<SealKind> parse_seal_kind(std::string_view s);  // bad_seal_kind

enum class SealShape { kDefault, kRound, kSquare };
enum class Carving { kYang, kYin };  // 阳文: red characters; 阴文: characters knocked out of red
enum class NameSuffix { kNone, kYin, kZhiYin };  // nothing, 印, 之印

struct SealTemplate {
  SealKind kind = SealKind::kOfficial;
  std::string name;             // organisation (round, oval) or person (square)
  std::string horizontal_text;  // official: optional line under the star; contract/finance: the
                                // purpose (empty: 合同专用章 / 财务专用章)
  std::string code;             // optional 13-digit seal code on the lower arc (round seals)
  std::string tax_number;       // invoice: required (15..20 letters or digits)
  double size_mm = 0;           // 0: the kind's default (40 round, 20 square); round: 40 or 42
  SealShape shape = SealShape::kDefault;  // finance may be kSquare
  Carving carving = Carving::kYang;       // square seals
  NameSuffix suffix = NameSuffix::kNone;  // square seals
};

// Which parts are drawn; everything by default. Tests draw one part alone to measure it.
struct DrawParts {
  bool border = true;
  bool name = true;   // the arc (round, oval) or the grid (square)
  bool star = true;
  bool middle = true;  // horizontal text, purpose, tax number, 发票专用章
  bool code = true;
};

struct SealPicture {
  Bytes png;            // RGBA, transparent background
  std::string svg;      // the same drawing
  int width_px = 0;
  int height_px = 0;
  double width_mm = 0;
  double height_mm = 0;
};

// Checks the template against the rules above without drawing (what the API validates first).
Status check_template(const SealTemplate& t);

// Renders the seal at `dpi` pixels per inch (72..1200).
Result<SealPicture> render_seal(const SealTemplate& t, double dpi, const DrawParts& parts = {});

// The seal red (RGB 0..255) every seal is drawn in.
inline constexpr int kSealRed[3] = {230, 0, 18};

}  // namespace certseal::seal
