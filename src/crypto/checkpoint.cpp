#include "crypto/checkpoint.h"

#include <charconv>
#include <vector>

#include "base/encoding.h"

namespace certseal::crypto {
namespace {
Error malformed(std::string why) {
  return invalid_argument("malformed_checkpoint", "the checkpoint is malformed").with_cause(std::move(why));
}
}  // namespace

std::string checkpoint_text(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + base64_encode(c.root) + "\n";
}

Result<Checkpoint> parse_checkpoint_text(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    auto nl = text.find('\n');
    if (nl == std::string_view::npos) return malformed("no final newline");
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return malformed("fewer than three lines");
  for (auto l : lines) {
    if (l.empty()) return malformed("an empty line");
  }
  Checkpoint c;
  c.origin = std::string(lines[0]);
  auto sz = lines[1];
  if (sz.size() > 1 && sz[0] == '0') return malformed("leading zero in the size");
  auto [p, ec] = std::from_chars(sz.data(), sz.data() + sz.size(), c.size);
  if (ec != std::errc() || p != sz.data() + sz.size()) return malformed("size is not a decimal number");
  auto root = base64_decode(lines[2]);
  if (!root || root->size() != 32 || base64_encode(*root) != lines[2]) return malformed("root is not base64 of 32 bytes");
  std::copy(root->begin(), root->end(), c.root.begin());
  return c;
}

}  // namespace certseal::crypto
