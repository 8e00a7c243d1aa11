// Which address a request comes from, when reverse proxies may stand in between.
//
// X-Forwarded-For is believed only when the TCP peer is a configured trusted proxy. Then the
// list (all X-Forwarded-For fields, in order, comma-separated) is read from the right, skipping
// addresses that are themselves trusted proxies; the first untrusted one is the client. An entry
// that is not an IP address stops the walk: the last address we could vouch for is used. If every
// entry is trusted, the left-most one is the client. Without a trusted peer the header is ignored
// (anyone can write it).
//
//   auto proxies = TrustedProxies::parse("10.0.0.0/8, ::1");   // Result<TrustedProxies>
//   std::string who = client_address("10.0.0.5", xff_values, *proxies);
//
// Contract: TrustedProxies is immutable after parse and safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace certseal::net {

class TrustedProxies {
 public:
  // A comma- or space-separated list of addresses and CIDR blocks ("192.0.2.1, 10.0.0.0/8,
  // fd00::/8"); empty: no proxy is trusted. Errors: bad_trusted_proxies.
  static Result<TrustedProxies> parse(std::string_view list);

  bool empty() const { return nets_.empty(); }
  // True when `addr` (a textual IP address) lies in one of the blocks; false for non-addresses.
  bool contains(std::string_view addr) const;

 private:
  struct Net {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix = 128;
  };
  std::vector<Net> nets_;
};

// `peer` is the socket's remote address; `forwarded` the X-Forwarded-For field values in the
// order they appeared.
std::string client_address(const std::string& peer, const std::vector<std::string_view>& forwarded,
                           const TrustedProxies& proxies);

}  // namespace certseal::net
