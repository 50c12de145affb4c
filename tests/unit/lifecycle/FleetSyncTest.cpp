// The shared state's arithmetic without a Redis: what the others admitted, the encodings,
// and a simulated fleet of three replicas holding one budget near its limit.

#include <gtest/gtest.h>

#include <map>

#include "keyward/lifecycle/FleetSync.h"
#include "keyward/lifecycle/RateLimiter.h"

namespace keyward {
namespace {

constexpr std::int64_t kSecond = 1'000'000;

TEST(FleetSync, OthersAreTheCounterGrowthThatIsNotOurs) {
  FleetCount count;
  EXPECT_EQ(count.othersSince(100, 5), 0u) << "the first sync only learns where the counter is";
  EXPECT_EQ(count.othersSince(130, 10), 20u) << "30 more, 10 of them ours";
  EXPECT_EQ(count.othersSince(130, 0), 0u) << "nobody admitted anything";
  EXPECT_EQ(count.othersSince(4, 4), 0u) << "the counter expired or was flushed: start again";
  EXPECT_EQ(count.othersSince(10, 1), 5u) << "and count from there";
}

TEST(FleetSync, EncodingsRoundTripAndRefuseGarbage) {
  UsageFigures f{12, 3, 1'790'000'000'123};
  EXPECT_EQ(encodeUsage(f), "12 3 1790000000123");
  EXPECT_EQ(decodeUsage(encodeUsage(f)), f);
  for (const char* bad : {"", "1 2", "1 2 3 4", "a b c", "1  2 3", "1 2 3 "}) EXPECT_FALSE(decodeUsage(bad)) << bad;

  SharedRevocation r{"worker-\"1\"", "leaked in a log", 42};
  auto back = decodeRevocation(encodeRevocation(r));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, r.id);
  EXPECT_EQ(back->reason, r.reason);
  EXPECT_EQ(back->timeMs, 42);
  EXPECT_FALSE(decodeRevocation("not json"));

  EXPECT_EQ(budgetRedisKey("kw:", RateLimiter::Kind::Key, "w1", {50, 1000, 60}), "kw:rate:k:w1:50/1000/60");
  EXPECT_EQ(budgetRedisKey("kw:", RateLimiter::Kind::Peer, "crew", {5, 60000, 5}), "kw:rate:p:crew:5/60000/5");
  EXPECT_EQ(budgetCounterTtlMs({5, 1000, 5}), 60'000) << "at least a minute";
  EXPECT_EQ(budgetCounterTtlMs({5, 3'600'000, 5}), 7'200'000) << "else two periods";
}

// Three replicas, each offered `offered` requests a second of one key, each syncing every
// `syncUs` (at staggered moments) through one shared counter as SharedState does. Returns
// the fleet's admitted requests per second.
std::vector<int> simulateFleet(const RateLimit& limit, int offered, std::int64_t syncUs, int seconds) {
  constexpr int kReplicas = 3;
  std::vector<std::unique_ptr<RateBudget>> budgets;
  std::vector<FleetCount> counts(kReplicas);
  for (int i = 0; i < kReplicas; ++i) budgets.push_back(std::make_unique<RateBudget>(limit));
  std::int64_t counter = 0;
  std::vector<int> perSecond(seconds, 0);
  const std::int64_t start = 1000 * kSecond;
  const std::int64_t requestGap = kSecond / offered;
  std::vector<std::int64_t> nextRequest(kReplicas), nextSync(kReplicas);
  for (int i = 0; i < kReplicas; ++i) {
    nextRequest[i] = start + i * requestGap / kReplicas;
    nextSync[i] = start + i * syncUs / kReplicas;
  }
  for (std::int64_t now = start; now < start + seconds * kSecond; now += 100) {  // 100 us steps
    for (int i = 0; i < kReplicas; ++i) {
      while (nextRequest[i] <= now) {
        if (budgets[i]->take(nextRequest[i]).allowed) ++perSecond[(nextRequest[i] - start) / kSecond];
        nextRequest[i] += requestGap;
      }
      if (nextSync[i] <= now) {
        const std::uint64_t mine = budgets[i]->takeAdmittedCount();
        counter += static_cast<std::int64_t>(mine);
        budgets[i]->spendElsewhere(counts[i].othersSince(counter, mine), now);
        nextSync[i] += syncUs;
      }
    }
  }
  return perSecond;
}

TEST(FleetSync, SuspensionEncodingRoundTripsAndRefusesGarbage) {
  const SharedSuspension suspended{false, "worker \"1\"", "https://x/y", "github", 1'800'000'000'000};
  EXPECT_EQ(decodeSuspension(encodeSuspension(suspended)), suspended);
  const SharedSuspension cleared{true, "worker", "", "", 1'800'000'000'000 + 1};
  EXPECT_EQ(decodeSuspension(encodeSuspension(cleared)), cleared);
  EXPECT_FALSE(decodeSuspension("{\"id\":\"x\",\"time\":1}")) << "no state: not trusted either way";
  EXPECT_FALSE(decodeSuspension("{\"state\":\"maybe\"}"));
  EXPECT_FALSE(decodeSuspension("not json"));
}

TEST(FleetSync, ThreeReplicasStayNearTheLimitAfterTheFirstSecond) {
  struct Case {
    const char* why;
    RateLimit limit;
    int offered;  // per replica, per second
    std::int64_t syncUs;
    double tolerance;          // of the limit, per second after the first
    bool averageOnly = false;  // slow syncs swing from second to second: judge the average
  };
  const std::vector<Case> cases = {
      // Each replica sees the others up to one sync late: a second's count swings by up to
      // about the requests of one sync interval (here ±14%) around an exact average.
      {"the issue's figure: 1,000/s at 3,000/s offered, 100 ms syncs", {1000, 1000, 1000}, 1000, 100'000, 0.15},
      {"the test's figure: 50/s, six times over", {50, 1000, 50}, 100, 100'000, 0.10},
      {"small burst", {100, 1000, 10}, 200, 100'000, 0.10},
      // Syncing once per period, each replica decides on a second-old view: the fleet swings
      // (about 200, 33, 164 a second) and averages a third over. Hence sync_interval well
      // below the period (the default 100 ms).
      {"slow syncs (1 s): bounded on average", {100, 1000, 100}, 100, 1'000'000, 0.35, true},
  };
  for (const Case& c : cases) {
    std::vector<int> admitted = simulateFleet(c.limit, c.offered, c.syncUs, 10);
    std::string shown;
    for (int n : admitted) shown += std::to_string(n) + " ";
    // The first second: every replica's full burst plus the rate, at most.
    EXPECT_LE(admitted[0], static_cast<int>(3 * c.limit.burst + c.limit.requests)) << c.why << ": " << shown;
    double sum = 0;
    for (std::size_t s = 1; s < admitted.size(); ++s) sum += admitted[s];
    const double average = sum / static_cast<double>(admitted.size() - 1);
    if (c.averageOnly) {
      EXPECT_LE(average, (1 + c.tolerance) * c.limit.requests) << c.why << ": " << shown;
      continue;
    }
    EXPECT_NEAR(average, static_cast<double>(c.limit.requests), 0.03 * c.limit.requests) << c.why << ": " << shown;
    for (std::size_t s = 1; s < admitted.size(); ++s) {
      EXPECT_NEAR(admitted[s], static_cast<double>(c.limit.requests), c.tolerance * c.limit.requests)
          << c.why << ", second " << s << ": " << shown;
    }
  }
}

}  // namespace
}  // namespace keyward
