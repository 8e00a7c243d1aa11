#include "api/metrics.h"

#include <cstdio>
#include <mutex>

namespace certseal::api {
namespace {
std::string label_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}
std::string fmt_double(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}
}  // namespace

Metrics::Series& Metrics::series(std::string_view route, std::string_view method, int status) {
  {
    std::shared_lock lock(mu_);
    auto it = requests_.find(KeyView{route, method, status});
    if (it != requests_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = requests_[Key{std::string(route), std::string(method), status}];
  if (!slot) slot = std::make_unique<Series>();
  return *slot;
}

Metrics::Histogram& Metrics::histogram(std::string_view route) {
  {
    std::shared_lock lock(mu_);
    auto it = latency_.find(route);
    if (it != latency_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = latency_[std::string(route)];
  if (!slot) slot = std::make_unique<Histogram>();
  return *slot;
}

void Metrics::observe(std::string_view route, std::string_view method, int status,
                      double seconds) {
  series(route, method, status).count.fetch_add(1, std::memory_order_relaxed);
  auto& h = histogram(route);
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) h.buckets[i].fetch_add(1, std::memory_order_relaxed);
  }
  h.count.fetch_add(1, std::memory_order_relaxed);
  h.sum_us.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

std::string Metrics::render() const {
  std::string out;
  out += "# HELP certseal_http_requests_total HTTP requests by route pattern, method and status.\n";
  out += "# TYPE certseal_http_requests_total counter\n";
  std::shared_lock lock(mu_);
  for (const auto& [key, s] : requests_) {
    const auto& [route, method, status] = key;
    out += "certseal_http_requests_total{route=\"" + label_escape(route) + "\",method=\"" +
           label_escape(method) + "\",status=\"" + std::to_string(status) + "\"} " +
           std::to_string(s->count.load()) + "\n";
  }
  out += "# HELP certseal_http_request_duration_seconds Time from a complete request to its response.\n";
  out += "# TYPE certseal_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::string l = "route=\"" + label_escape(route) + "\"";
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += "certseal_http_request_duration_seconds_bucket{" + l + ",le=\"" +
             fmt_double(kBuckets[i]) + "\"} " + std::to_string(h->buckets[i].load()) + "\n";
    }
    out += "certseal_http_request_duration_seconds_bucket{" + l + ",le=\"+Inf\"} " +
           std::to_string(h->count.load()) + "\n";
    out += "certseal_http_request_duration_seconds_sum{" + l + "} " +
           fmt_double(static_cast<double>(h->sum_us.load()) / 1e6) + "\n";
    out += "certseal_http_request_duration_seconds_count{" + l + "} " +
           std::to_string(h->count.load()) + "\n";
  }
  lock.unlock();
  if (sampler_) out += sampler_();
  return out;
}

}  // namespace certseal::api
