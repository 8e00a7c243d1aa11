// A small blocking HTTP client for tests (libcurl). One Client keeps one connection alive
// across requests (keep-alive), like a browser would. Not thread-safe: one per thread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace certseal::testing {

struct HttpResponse {
  long status = 0;  // 0 when the request failed at the transport level
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string transport_error;

  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse request(const std::string& method, const std::string& path,
                       const std::string& body = {},
                       const std::vector<std::string>& headers = {});
  HttpResponse get(const std::string& path) { return request("GET", path); }
  HttpResponse post_json(const std::string& path, const nlohmann::json& body,
                         std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: application/json");
    return request("POST", path, body.dump(), headers);
  }
  // Number of new TCP connections curl opened so far (to prove keep-alive).
  long connects() const;
  // Trust this PEM file for TLS (for https:// base URLs).
  void set_ca_file(std::string path) { ca_file_ = std::move(path); }

 private:
  std::string base_;
  void* curl_;
  long connects_ = 0;
  std::string ca_file_;
};

// Sends raw bytes on a fresh TCP connection and returns everything read until the peer closes
// or `timeout_ms` passes.
std::string raw_exchange(int port, const std::string& bytes, int timeout_ms = 5000);

}  // namespace certseal::testing
