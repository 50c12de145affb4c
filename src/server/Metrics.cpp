#include "keyward/Metrics.h"

namespace keyward {

void VerifyCounters::count(std::string_view code, std::uint64_t nanos) {
  std::size_t index = 0;
  if (!code.empty()) {
    for (std::size_t i = 1; i < kVerifyCodes.size(); ++i) {
      if (kVerifyCodes[i] == code) {
        index = i;
        break;
      }
    }
  }
  byCode[index].fetch_add(1, std::memory_order_relaxed);
  const double seconds = static_cast<double>(nanos) / 1e9;
  std::size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  latency[bucket].fetch_add(1, std::memory_order_relaxed);
  latencySumNs.fetch_add(nanos, std::memory_order_relaxed);
}

VerifyCounters& MetricsRegistry::addLoop() {
  std::lock_guard<std::mutex> lock(mutex_);
  loops_.push_back(std::make_unique<VerifyCounters>());
  return *loops_.back();
}

VerifyTotals MetricsRegistry::totals() const {
  std::lock_guard<std::mutex> lock(mutex_);
  VerifyTotals t;
  for (const auto& loop : loops_) {
    for (std::size_t i = 0; i < t.byCode.size(); ++i) t.byCode[i] += loop->byCode[i].load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < t.latency.size(); ++i) t.latency[i] += loop->latency[i].load(std::memory_order_relaxed);
    t.latencySumNs += loop->latencySumNs.load(std::memory_order_relaxed);
  }
  return t;
}

}  // namespace keyward
