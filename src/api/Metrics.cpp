#include "keyward/api/Metrics.h"

namespace keyward {

void VerifyCounters::count(Verdict verdict, std::uint64_t nanos) {
  byVerdict[indexOf(verdict)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = static_cast<double>(nanos) / 1e9;
  std::size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  latency[bucket].fetch_add(1, std::memory_order_relaxed);
  latencySumNs.fetch_add(nanos, std::memory_order_relaxed);
}

std::shared_ptr<const std::string> MetricsRegistry::text(std::int64_t nowMs,
                                                         const std::function<std::string()>& render) {
  std::shared_ptr<const std::string> last = text_.current();
  const bool stale = !last || nowMs - renderedAtMs_.load(std::memory_order_acquire) >= 1000;
  if (!stale) return last;
  if (rendering_.exchange(true, std::memory_order_acq_rel)) {
    // Another loop is rendering: the previous text will do (or, before the first render
    // finished, a text of our own).
    return last ? last : std::make_shared<const std::string>(render());
  }
  struct Done {  // released however the render ends
    std::atomic<bool>& flag;
    ~Done() { flag.store(false, std::memory_order_release); }
  } done{rendering_};
  auto fresh = std::make_shared<const std::string>(render());
  text_.publish(fresh);
  renderedAtMs_.store(nowMs, std::memory_order_release);
  return fresh;
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
    for (std::size_t i = 0; i < t.byVerdict.size(); ++i) {
      t.byVerdict[i] += loop->byVerdict[i].load(std::memory_order_relaxed);
      t.endpointDenials[i] += loop->endpointDenials[i].load(std::memory_order_relaxed);
    }
    for (std::size_t i = 0; i < t.latency.size(); ++i) t.latency[i] += loop->latency[i].load(std::memory_order_relaxed);
    t.latencySumNs += loop->latencySumNs.load(std::memory_order_relaxed);
  }
  return t;
}

}  // namespace keyward
