// QR code pictures (ISO/IEC 18004) of short texts: the payload of a scene request that a relying
// party shows and the user's client scans (docs/INTEGRATION.md). libqrencode makes the modules,
// cairo writes the PNG (8-bit grey, black modules on white, a quiet zone of 4 modules).
//
// Contract: pure functions, thread-safe (libqrencode and cairo keep no shared state here).
#pragma once

#include <string_view>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal::docsign {

// A PNG of `text` (error correction level M, byte mode), module_px pixels per module.
// Errors: qr_encode_failed (text too long for a QR code, at most about 2 KB), internal.
Result<Bytes> qr_png(std::string_view text, int module_px = 6);

}  // namespace certseal::docsign
