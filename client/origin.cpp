#include "client/origin.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

#include "client/messages.h"

namespace certseal::client {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error bad_url(std::string_view url) {
  return invalid_argument("bad_server_url", tr("err.bad_server_url", std::string(url)));
}

}  // namespace

Result<Origin> parse_origin(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return bad_url(url);
  Origin o;
  o.scheme = lower(url.substr(0, sep));
  if (o.scheme != "http" && o.scheme != "https") return bad_url(url);
  std::string_view auth = url.substr(sep + 3);
  auth = auth.substr(0, auth.find_first_of("/?#"));
  if (auth.find('@') != std::string_view::npos) return bad_url(url);  // no credentials in URLs
  std::string_view host = auth, port;
  if (!auth.empty() && auth.front() == '[') {
    auto close = auth.find(']');
    if (close == std::string_view::npos) return bad_url(url);
    host = auth.substr(1, close - 1);
    std::string_view after = auth.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url(url);
      port = after.substr(1);
    }
  } else if (auto colon = auth.rfind(':'); colon != std::string_view::npos) {
    host = auth.substr(0, colon);
    port = auth.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return bad_url(url);
  }
  if (host.empty()) return bad_url(url);
  o.host = lower(host);
  if (port.empty()) {
    o.port = o.scheme == "https" ? 443 : 80;
  } else {
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), o.port);
    if (ec != std::errc() || p != port.data() + port.size() || o.port < 1 || o.port > 65535) return bad_url(url);
  }
  return o;
}

bool is_loopback_host(std::string_view host) {
  std::string h = lower(host);
  if (h == "localhost" || h == "localhost.") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool same_origin(std::string_view a, std::string_view b) {
  auto oa = parse_origin(a);
  auto ob = parse_origin(b);
  return oa && ob && *oa == *ob;
}

Status check_transport(std::string_view url) {
  CS_ASSIGN(auto o, parse_origin(url));
  if (o.scheme == "http" && !is_loopback_host(o.host)) {
    return invalid_argument("insecure_server_url", tr("err.insecure_server_url", std::string(url)));
  }
  return {};
}

}  // namespace certseal::client
