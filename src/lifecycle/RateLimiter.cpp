#include "keyward/lifecycle/RateLimiter.h"

#include <algorithm>

namespace keyward {

RateBudget::RateBudget(const RateLimit& limit) : limit_(limit) {
  const std::int64_t perUs = limit.perMs * 1000;
  const std::uint64_t requests = std::max<std::uint64_t>(limit.requests, 1);
  intervalUs_ = std::max<std::int64_t>(1, perUs / static_cast<std::int64_t>(requests));
  const std::uint64_t burst = limit.burst ? limit.burst : requests;
  // burst * interval overflowed for a large burst of a slow rate (10^9 of 1 a day is 8.6e19
  // us): the tolerance went negative and every request was refused. The config loader
  // refuses such limits; a budget made from one anyway saturates instead of overflowing.
  const auto interval = static_cast<std::uint64_t>(intervalUs_);
  toleranceUs_ = burst > kMaxToleranceUs / interval ? static_cast<std::int64_t>(kMaxToleranceUs)
                                                    : static_cast<std::int64_t>(burst * interval);
}

RateBudget::Outcome RateBudget::take(std::int64_t nowUs) {
  Outcome out;
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  while (true) {
    const std::int64_t next = std::max(tat, nowUs) + intervalUs_;
    if (next - nowUs > toleranceUs_) {
      out.allowed = false;
      out.retryAfterUs = next - nowUs - toleranceUs_;
      out.resetUs = std::max<std::int64_t>(0, tat - nowUs);
      return out;
    }
    if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
      admitted_.fetch_add(1, std::memory_order_relaxed);
      out.remaining = static_cast<std::uint64_t>((toleranceUs_ - (next - nowUs)) / intervalUs_);
      out.resetUs = next - nowUs;
      return out;
    }
  }
}

void RateBudget::giveBack() {
  tat_.fetch_sub(intervalUs_, std::memory_order_relaxed);
  admitted_.fetch_sub(1, std::memory_order_relaxed);
}

void RateBudget::spendElsewhere(std::uint64_t requests, std::int64_t nowUs) {
  if (requests == 0) return;
  // The others' requests are owed in full, as debt beyond the empty budget (clamping them at
  // "just empty" let each replica refill and admit its share again every sync: the fleet
  // held a 50/s key at 95/s). At most one period of debt, so a flood reported after a
  // partition refuses this replica for one period at most.
  const std::int64_t cost = intervalUs_ * static_cast<std::int64_t>(std::min<std::uint64_t>(requests, 1u << 30));
  std::int64_t tat = tat_.load(std::memory_order_relaxed);
  while (true) {
    const std::int64_t next = std::min(std::max(tat, nowUs) + cost, nowUs + toleranceUs_ + limit_.perMs * 1000);
    if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) return;
  }
}

RateBudget* RateLimiter::budget(Kind kind, std::string_view name, const RateLimit& limit) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = current_.find(std::pair<Kind, std::string>(kind, std::string(name)));
  if (it != current_.end() && it->second->limit() == limit) return it->second;
  all_.push_back(std::make_unique<RateBudget>(limit));
  RateBudget* fresh = all_.back().get();
  if (it != current_.end()) {
    it->second = fresh;
  } else {
    current_.emplace(std::pair<Kind, std::string>(kind, std::string(name)), fresh);
  }
  return fresh;
}

void RateLimiter::forEach(const std::function<void(Kind, const std::string&, RateBudget&)>& visit) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [key, budget] : current_) visit(key.first, key.second, *budget);
}

}  // namespace keyward
