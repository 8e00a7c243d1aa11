// Prometheus metrics for the HTTP API: requests by route, method and status; a latency
// histogram by route; plus gauges the caller samples at scrape time (connections, DB pool).
// Contract: observe() and render() are thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <tuple>

namespace certseal::api {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  void observe(std::string_view route, std::string_view method, int status, double seconds);

  // Extra text appended at render time (gauges owned by others: connections, DB pool).
  void set_sampler(std::function<std::string()> sampler) { sampler_ = std::move(sampler); }

  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  struct Series {
    std::atomic<std::uint64_t> count{0};
  };
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_us{0};
  };
  using Key = std::tuple<std::string, std::string, int>;
  using KeyView = std::tuple<std::string_view, std::string_view, int>;
  // Lets the hot path look series up by string_view without allocating.
  struct KeyLess {
    using is_transparent = void;
    static KeyView view(const Key& k) { return {std::get<0>(k), std::get<1>(k), std::get<2>(k)}; }
    static KeyView view(const KeyView& k) { return k; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return view(a) < view(b); }
  };
  Series& series(std::string_view route, std::string_view method, int status);
  Histogram& histogram(std::string_view route);

  mutable std::shared_mutex mu_;
  std::map<Key, std::unique_ptr<Series>, KeyLess> requests_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> latency_;
  std::function<std::string()> sampler_;
};

}  // namespace certseal::api
