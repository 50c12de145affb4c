#pragma once
// Counters for /metrics (Prometheus text format). Each event loop owns one VerifyCounters
// and is its only writer, so counting costs an uncontended relaxed add; a scrape sums them.

#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/base/Snapshot.h"
#include "keyward/verify/Verdict.h"

namespace keyward {

// Upper bounds (seconds) of the verify latency histogram: time spent answering, from a
// parsed request to its response written into the output buffer.
inline constexpr std::array<double, 10> kLatencyBuckets = {0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                                           0.001,    0.0025,  0.005,  0.01,    0.05};

struct VerifyCounters {
  std::array<std::atomic<std::uint64_t>, kVerdictCount> byVerdict{};
  std::array<std::atomic<std::uint64_t>, kVerdictCount> endpointDenials{};       // admin, status, metrics
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency{};  // last: +Inf only
  std::atomic<std::uint64_t> latencySumNs{0};

  void count(Verdict verdict, std::uint64_t nanos);
};

struct VerifyTotals {
  std::array<std::uint64_t, kVerdictCount> byVerdict{};
  std::array<std::uint64_t, kVerdictCount> endpointDenials{};
  std::array<std::uint64_t, kLatencyBuckets.size() + 1> latency{};
  std::uint64_t latencySumNs = 0;
};

class MetricsRegistry {
 public:
  VerifyCounters& addLoop();
  VerifyTotals totals() const;

  // The /metrics text, rendered at most once a second by whichever loop asks first while
  // the others answer with the previous text: a flood of scrapes costs one render a second,
  // not one per request. Thread-safe; never waits for a render in progress.
  std::shared_ptr<const std::string> text(std::int64_t nowMs, const std::function<std::string()>& render);

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<VerifyCounters>> loops_;
  Published<std::string> text_;
  std::atomic<std::int64_t> renderedAtMs_{INT64_MIN};
  std::atomic<bool> rendering_{false};
};

}  // namespace keyward
