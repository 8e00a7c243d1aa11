// C2SP tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text of a log's tree head, three
// lines: origin, tree size (decimal, no leading zeros), base64 of the RFC 6962 root hash. We
// write no extension lines; we accept and ignore them on reading.
//
// Contract: pure functions, thread-safe. Errors: "malformed_checkpoint".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "crypto/merkle.h"

namespace certseal::crypto {

struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  merkle::Hash root{};
};

std::string checkpoint_text(const Checkpoint& c);
Result<Checkpoint> parse_checkpoint_text(std::string_view text);

}  // namespace certseal::crypto
