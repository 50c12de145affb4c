#pragma once
// Request budgets per key and per peer (`rate_limit:`), kept across reloads.
//
// Each budget is GCRA (the generic cell rate algorithm, as in ATM networks and Redis's
// redis-cell): one "theoretical arrival time" per budget, advanced by one emission interval
// (per / requests) for every request admitted; a request is admitted while that time is no
// more than `burst` intervals ahead of now. Admitting is one compare-and-swap on one atomic:
// no lock, no allocation, exact under any number of event loops.
//
// Budgets are found by name and limit: a key whose `rate_limit` did not change across a
// reload keeps its budget (and so its state); a changed limit starts a fresh one. Budgets
// are never freed while the limiter lives, so a pointer cached by an older key set stays
// valid. Thread-safe.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/config/KeyPolicy.h"

namespace keyward {

class RateBudget {
 public:
  explicit RateBudget(const RateLimit& limit);

  struct Outcome {
    bool allowed = true;
    std::uint64_t remaining = 0;    // requests that would be admitted right now after this one
    std::int64_t resetUs = 0;       // until the budget is full again
    std::int64_t retryAfterUs = 0;  // denied: until one request would be admitted
  };
  // Takes one request at `nowUs` (a monotonic clock in microseconds).
  Outcome take(std::int64_t nowUs);
  // Gives back one request taken by take() (the other budget of the same request refused).
  void giveBack();
  // What other replicas admitted (shared state): the budget is spent as if they were ours.
  void spendElsewhere(std::uint64_t requests, std::int64_t nowUs);
  // Requests admitted here since the last call (shared state reports them to the fleet).
  std::uint64_t takeAdmittedCount() { return admitted_.exchange(0, std::memory_order_relaxed); }

  const RateLimit& limit() const { return limit_; }

  // The most time a full burst may stand for (burst x per / requests, in microseconds; 2^60,
  // about 36,000 years), so that the budget's arithmetic stays far from overflow. The config
  // loader refuses a limit beyond it; a budget made from one anyway is capped at it.
  static constexpr std::uint64_t kMaxToleranceUs = std::uint64_t{1} << 60;

 private:
  RateLimit limit_;
  std::int64_t intervalUs_;   // per / requests
  std::int64_t toleranceUs_;  // burst * interval
  std::atomic<std::int64_t> tat_{0};
  std::atomic<std::uint64_t> admitted_{0};
};

class RateLimiter {
 public:
  enum class Kind { Key, Peer };
  // The budget of a key id or peer name under `limit` (see above). Never null.
  RateBudget* budget(Kind kind, std::string_view name, const RateLimit& limit);
  // Calls `visit` for every current budget (not the replaced ones), under the lock.
  void forEach(const std::function<void(Kind, const std::string&, RateBudget&)>& visit);

 private:
  std::mutex mutex_;
  std::map<std::pair<Kind, std::string>, RateBudget*, std::less<>> current_;
  std::vector<std::unique_ptr<RateBudget>> all_;  // every budget ever made
};

}  // namespace keyward
