// GCRA budgets with an injected clock: bursts, refill, boundaries, and what a reload keeps.

#include <gtest/gtest.h>

#include <vector>

#include "keyward/lifecycle/RateLimiter.h"

namespace keyward {
namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kT0 = 1'000 * kSecond;

RateLimit limitOf(std::uint64_t requests, std::int64_t perMs, std::uint64_t burst) { return {requests, perMs, burst}; }

TEST(RateLimiter, ABurstThenOneRequestPerInterval) {
  RateBudget budget(limitOf(10, 1000, 3));  // 10/s, 3 at once: one every 100 ms
  for (int i = 0; i < 3; ++i) {
    RateBudget::Outcome out = budget.take(kT0);
    EXPECT_TRUE(out.allowed) << i;
    EXPECT_EQ(out.remaining, 2u - i) << i;
  }
  RateBudget::Outcome refused = budget.take(kT0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retryAfterUs, 100'000) << "the next request fits in one interval";
  EXPECT_FALSE(budget.take(kT0 + 99'999).allowed) << "a microsecond early";
  EXPECT_TRUE(budget.take(kT0 + 100'000).allowed) << "exactly one interval later";
  EXPECT_FALSE(budget.take(kT0 + 100'000).allowed);
  // Idle long enough and the whole burst is back, never more.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(budget.take(kT0 + 10 * kSecond).allowed) << i;
  EXPECT_FALSE(budget.take(kT0 + 10 * kSecond).allowed);
}

TEST(RateLimiter, SteadyRateOverASecondIsTheLimit) {
  RateBudget budget(limitOf(1000, 1000, 1000));
  int admitted = 0;
  // Offered at 3,000/s for 10 s (one every 333 us), after the first burst drained.
  for (std::int64_t t = 0; t < 10 * kSecond; t += 333) admitted += budget.take(kT0 + t).allowed;
  EXPECT_NEAR(admitted, 1000 + 10 * 1000, 5) << "the burst plus 1,000 a second";
}

TEST(RateLimiter, GivingBackAndSpendingElsewhere) {
  RateBudget budget(limitOf(2, 1000, 2));
  EXPECT_TRUE(budget.take(kT0).allowed);
  EXPECT_TRUE(budget.take(kT0).allowed);
  EXPECT_FALSE(budget.take(kT0).allowed);
  budget.giveBack();
  EXPECT_TRUE(budget.take(kT0).allowed) << "a request given back can be taken again";
  EXPECT_EQ(budget.takeAdmittedCount(), 2u);
  EXPECT_EQ(budget.takeAdmittedCount(), 0u);

  RateBudget shared(limitOf(10, 1000, 10));
  shared.spendElsewhere(8, kT0);  // other replicas took 8 of the 10
  EXPECT_TRUE(shared.take(kT0).allowed);
  EXPECT_TRUE(shared.take(kT0).allowed);
  EXPECT_FALSE(shared.take(kT0).allowed);
  shared.spendElsewhere(1'000'000, kT0);  // never owes more than one burst
  EXPECT_TRUE(shared.take(kT0 + 2 * kSecond).allowed);
}

// burst x interval overflowed 64 bits (10^9 x 1 day = 8.6e19 us): the tolerance went
// negative and the key was refused from its first request ("r=0;t=0").
TEST(RateLimiter, AHugeBurstOfASlowRateDoesNotOverflow) {
  struct Case {
    const char* why;
    RateLimit limit;
  };
  const std::vector<Case> cases = {
      {"the audit's limit: 1 a day, burst 10^9", limitOf(1, 86'400'000, 1'000'000'000)},
      {"the largest lead the config allows for 1 a day", limitOf(1, 86'400'000, 13'343'998)},
      {"a burst that worked before", limitOf(1, 86'400'000, 110'000)},
  };
  for (const Case& c : cases) {
    RateBudget budget(c.limit);
    for (int i = 0; i < 3; ++i) {
      RateBudget::Outcome out = budget.take(kT0);
      EXPECT_TRUE(out.allowed) << c.why << ": request " << i;
      EXPECT_GT(out.remaining, 100'000u) << c.why;
      EXPECT_GE(out.resetUs, 0) << c.why;
    }
    budget.spendElsewhere(1'000, kT0);
    EXPECT_TRUE(budget.take(kT0).allowed) << c.why << ": a thousand of a huge burst spent elsewhere";
  }
}

TEST(RateLimiter, AReloadKeepsABudgetWhoseLimitDidNotChange) {
  RateLimiter limiter;
  RateBudget* first = limiter.budget(RateLimiter::Kind::Key, "w", limitOf(5, 1000, 5));
  EXPECT_EQ(limiter.budget(RateLimiter::Kind::Key, "w", limitOf(5, 1000, 5)), first) << "same limit: same state";
  EXPECT_NE(limiter.budget(RateLimiter::Kind::Peer, "w", limitOf(5, 1000, 5)), first) << "a peer is another budget";
  RateBudget* changed = limiter.budget(RateLimiter::Kind::Key, "w", limitOf(6, 1000, 6));
  EXPECT_NE(changed, first) << "a changed limit starts afresh";
  EXPECT_EQ(limiter.budget(RateLimiter::Kind::Key, "w", limitOf(6, 1000, 6)), changed);
  int visited = 0;
  limiter.forEach([&](RateLimiter::Kind, const std::string&, RateBudget&) { ++visited; });
  EXPECT_EQ(visited, 2) << "the replaced budget is not current";
}

}  // namespace
}  // namespace keyward
