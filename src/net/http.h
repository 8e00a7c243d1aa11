// Transport-level HTTP types. net/ knows nothing of the application: it parses requests,
// enforces the limits, calls one Handler per request and writes what it returns.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certseal::net {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive header lookup; empty when absent.
std::string_view find_header(const Headers& h, std::string_view name);

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as sent, e.g. "/api/v1/orders?after=x"
  std::string path;    // target without the query, not percent-decoded
  std::string query;   // after '?', without it
  Headers headers;
  std::string body;
  std::string remote_addr;
  bool keep_alive = true;
  // Opaque to net/: the application may note here what it learnt from the head (the API layer
  // keeps the index of the matched route, so it matches once per request).
  mutable std::size_t app_hint = static_cast<std::size_t>(-1);

  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;  // extra headers
  std::string body;
};

using Handler = std::function<Response(Request&)>;

// Builds the response for a request the transport itself refused: 400 unparsable, 413 body too
// large, 431 header fields too large, 503 too many connections. `code` is a stable snake_case
// code, `detail` a sentence for the client.
using RefusalRenderer =
    std::function<Response(int status, std::string_view code, std::string_view detail)>;

// Splits "a=1&b=%20x" into decoded pairs ('+' is a space). Malformed escapes are kept literally.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);
std::string percent_decode(std::string_view s);

}  // namespace certseal::net
