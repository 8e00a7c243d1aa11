// Origins of server URLs (RFC 6454: scheme, host, port) and the client's transport policy
// (security review L6):
// - a session token is sent only to the exact origin it was issued by: same scheme, same host
//   (compared case-insensitively), same port (the scheme's default when absent), never a prefix
//   match ("https://a.example" is not "https://a.example.evil.net");
// - plain http:// is refused except to loopback hosts (127.0.0.0/8, ::1, localhost), because the
//   client sends passwords, unlock proofs and recovery keys.
//
//   CS_ASSIGN(auto o, parse_origin("https://ca.example:8443/api"));
//   same_origin(o, *parse_origin(stored_server));
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace certseal::client {

struct Origin {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case, IPv6 without brackets
  int port = 0;        // explicit or the scheme's default
  bool operator==(const Origin&) const = default;
};

// Errors: bad_server_url (not an http(s) URL with a host, or user:password@ in it).
Result<Origin> parse_origin(std::string_view url);
bool is_loopback_host(std::string_view host);
// True when both URLs parse and have the same origin.
bool same_origin(std::string_view a, std::string_view b);
// Errors: bad_server_url; insecure_server_url for http:// to a host that is not loopback.
Status check_transport(std::string_view url);

}  // namespace certseal::client
