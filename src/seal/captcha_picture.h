// Picture challenges (图形验证码, docs/CLOUDKEY.md "Recovering the password"): digits drawn as pen
// strokes, each turned (±25°), scaled (0.8-1.15), moved and with every stroke point jittered, on a
// tinted background with crossing curves and dots, and the whole bent by a sine wave, as an RGB
// PNG (36 px per digit + 20 across, 64 px high). Drawn by us with Cairo: no font and no service.
//
// Usage:
//   CS_ASSIGN(Bytes png, render_captcha("40715", rng.bytes(32)));
//
// It lives beside the seal pictures because it is the same kind of work (Cairo drawing to PNG);
// it knows nothing of seals.
// Contract: pure and thread-safe; the same digits and seed give the same picture. Errors
// (kInvalidArgument): bad_captcha (not 4 to 8 ASCII digits, or a seed shorter than 8 bytes).
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::seal {

Result<Bytes> render_captcha(std::string_view digits, BytesView seed);

}  // namespace certseal::seal
