// Text encodings: hex, base64 (RFC 4648, standard and URL-safe), PEM (RFC 7468).
// Decoders return errors for bad input instead of throwing. All functions are pure and thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"

namespace certseal {

std::string hex_encode(BytesView b, bool upper = false);
Result<Bytes> hex_decode(std::string_view s);

std::string base64_encode(BytesView b);
std::string base64url_encode(BytesView b);  // no padding
Result<Bytes> base64_decode(std::string_view s);  // accepts both alphabets, padding optional

struct PemBlock {
  std::string label;  // e.g. "CERTIFICATE"
  Bytes der;
};
std::string pem_encode(std::string_view label, BytesView der);
// Every block in the text, in order. Text outside blocks is ignored.
Result<std::vector<PemBlock>> pem_decode_all(std::string_view text);

}  // namespace certseal
