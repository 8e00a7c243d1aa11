// Reads the QR code in a picture (a PNG file: a screenshot or a photo of a relying party's page)
// for `certseal scan IMAGE.png`. cairo loads the PNG, ZBar finds and decodes the symbol.
//
// Contract: not thread-safe (ZBar scanner state); errors as values: qr_image_unreadable (not a
// PNG cairo can read), qr_not_found (no QR code in it).
#pragma once

#include <string>

#include "base/result.h"

namespace certseal::client {

Result<std::string> decode_qr_png(const std::string& path);

}  // namespace certseal::client
