#include "net/client_address.h"

#include <boost/asio/ip/address.hpp>

#include <charconv>

namespace certseal::net {
namespace {

// Textual IP -> 16 bytes (IPv4 mapped into IPv6); false when it is not an address.
bool to_bytes(std::string_view text, std::array<std::uint8_t, 16>* out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 64) return false;
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) return false;
  if (a.is_v4()) {
    *out = boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, a.to_v4()).to_bytes();
  } else {
    *out = a.to_v6().to_bytes();
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Result<TrustedProxies> TrustedProxies::parse(std::string_view list) {
  TrustedProxies out;
  std::size_t i = 0;
  while (i < list.size()) {
    std::size_t j = list.find_first_of(", \t", i);
    if (j == std::string_view::npos) j = list.size();
    std::string_view item = list.substr(i, j - i);
    i = j + 1;
    if (item.empty()) continue;
    auto bad = [&] {
      return invalid_argument("bad_trusted_proxies",
                              "server.trusted_proxies: '" + std::string(item) + "' is not an IP address or CIDR block");
    };
    Net n;
    std::string_view addr = item;
    auto slash = item.find('/');
    int prefix = -1;
    if (slash != std::string_view::npos) {
      addr = item.substr(0, slash);
      std::string_view p = item.substr(slash + 1);
      auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0) return bad();
    }
    if (!to_bytes(addr, &n.bytes)) return bad();
    bool v4 = addr.find(':') == std::string_view::npos;
    if (prefix < 0) prefix = v4 ? 32 : 128;
    if (prefix > (v4 ? 32 : 128)) return bad();
    n.prefix = v4 ? prefix + 96 : prefix;
    out.nets_.push_back(n);
  }
  return out;
}

bool TrustedProxies::contains(std::string_view addr) const {
  if (nets_.empty()) return false;
  std::array<std::uint8_t, 16> b{};
  if (!to_bytes(addr, &b)) return false;
  for (const auto& n : nets_) {
    int full = n.prefix / 8, rest = n.prefix % 8;
    bool match = std::equal(b.begin(), b.begin() + full, n.bytes.begin());
    if (match && rest) {
      auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
      match = (b[static_cast<std::size_t>(full)] & mask) == (n.bytes[static_cast<std::size_t>(full)] & mask);
    }
    if (match) return true;
  }
  return false;
}

std::string client_address(const std::string& peer, const std::vector<std::string_view>& forwarded,
                           const TrustedProxies& proxies) {
  if (forwarded.empty() || !proxies.contains(peer)) return peer;
  std::vector<std::string_view> hops;
  for (std::string_view field : forwarded) {
    std::size_t i = 0;
    while (i <= field.size()) {
      std::size_t j = field.find(',', i);
      if (j == std::string_view::npos) j = field.size();
      hops.push_back(trim(field.substr(i, j - i)));
      i = j + 1;
    }
  }
  std::string vouched = peer;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    std::array<std::uint8_t, 16> b{};
    if (!to_bytes(*it, &b)) return vouched;
    std::string hop(*it);
    if (hop.size() > 2 && hop.front() == '[') hop = hop.substr(1, hop.size() - 2);
    if (!proxies.contains(hop)) return hop;
    vouched = hop;
  }
  return vouched;
}

}  // namespace certseal::net
