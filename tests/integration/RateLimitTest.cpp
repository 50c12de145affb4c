// Per-key and per-peer rate limits through the real binary: 429 RATE_LIMITED with
// Retry-After and the RateLimit fields, budgets kept across a reload, what usage and the
// metrics show, and what nginx gets.

#include <gtest/gtest.h>

#include <thread>

#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

const std::string kLimited =
    "keys:\n"
    "  - { id: limited, peer: worker, env: A, rate_limit: { requests: 5, per: 60s } }\n"
    "  - { id: free, peer: api, env: B, scopes: [admin] }\n"
    "  - { id: crew-1, peer: crew, env: C }\n"
    "  - { id: crew-2, peer: crew, env: D }\n"
    "peers:\n  crew: { rate_limit: { requests: 4, per: 60s } }\n";

TEST(RateLimit, OverItsBudgetAKeyGets429WhileOthersPass) {
  const std::string a = newKey(), b = newKey(), c = newKey(), d = newKey();
  Keyward kw("throttle: { max_failures: 2 }\n" + kLimited, {{"A", a}, {"B", b}, {"C", c}, {"D", d}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  for (int i = 0; i < 5; ++i) {
    auto ok = kw.verify({{"X-API-Key", a}});
    ASSERT_EQ(ok->status, 200) << i;
    EXPECT_EQ(ok->header("ratelimit-policy"), "\"key\";q=5;w=60") << i;
    EXPECT_EQ(ok->header("ratelimit").rfind("\"key\";r=" + std::to_string(4 - i) + ";t=", 0), 0u)
        << ok->header("ratelimit");
  }
  auto limited = kw.verify({{"X-API-Key", a}});
  EXPECT_EQ(limited->status, 429);
  EXPECT_EQ(limited->header("x-keyward-code"), "RATE_LIMITED");
  const int retry = std::stoi(limited->header("retry-after"));
  EXPECT_GE(retry, 11);
  EXPECT_LE(retry, 12) << "one request every 12 s";
  EXPECT_EQ(limited->header("ratelimit").rfind("\"key\";r=0;", 0), 0u);
  EXPECT_EQ(kw.verifyStatus(b), 200) << "another key is untouched";
  EXPECT_EQ(kw.verify({{"X-API-Key", b}})->header("ratelimit"), "") << "no limit, no fields";
  // Rate-limited calls are not failed guesses: the throttle (2 failures) did not kick in.
  EXPECT_EQ(kw.verify({{"X-API-Key", a}})->header("x-keyward-code"), "RATE_LIMITED");

  // A peer's budget is shared by all its keys.
  for (int i = 0; i < 4; ++i) EXPECT_EQ(kw.verifyStatus(i % 2 ? c : d), 200) << i;
  auto peer = kw.verify({{"X-API-Key", c}});
  EXPECT_EQ(peer->status, 429);
  EXPECT_EQ(peer->header("ratelimit-policy"), "\"peer\";q=4;w=60");

  // nginx's auth_request passes only 401/403: the code says why.
  auto nginx = kw.verify({{"X-API-Key", a}, {"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}});
  EXPECT_EQ(nginx->status, 403);
  EXPECT_EQ(nginx->header("x-keyward-code"), "RATE_LIMITED");
  EXPECT_FALSE(nginx->header("retry-after").empty());

  // Usage, the call history, the denial log and the metrics show it.
  auto calls = httpRequest(kw.port(), "GET", "/v1/keys/limited/calls", {{"X-API-Key", b}});
  ASSERT_TRUE(calls);
  EXPECT_NE(calls->body.find("RATE_LIMITED"), std::string::npos) << calls->body;
  auto shown = httpRequest(kw.port(), "GET", "/v1/keys/limited", {{"X-API-Key", b}});
  EXPECT_NE(shown->body.find("\"denied\":3"), std::string::npos) << shown->body;
  EXPECT_TRUE(kw.daemon().waitForLog("\"code\":\"RATE_LIMITED\""));
  auto metrics = httpRequest(kw.port(), "GET", "/metrics");
  EXPECT_NE(metrics->body.find("keyward_verify_requests_total{code=\"RATE_LIMITED\"} 4"), std::string::npos)
      << metrics->body;
}

TEST(RateLimit, AReloadKeepsTheBudgetOfAnUnchangedLimitAndResetsAChangedOne) {
  const std::string a = newKey(), b = newKey(), c = newKey(), d = newKey();
  Keyward kw(kLimited, {{"A", a}, {"B", b}, {"C", c}, {"D", d}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(kw.verifyStatus(a), 200) << i;
  ASSERT_EQ(kw.verifyStatus(a), 429);
  kw.rewriteConfig(kLimited + "expiry_warning: 1d\n");  // something else changed
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(a), 429) << "the spent budget survived the reload";
  std::string raised = kLimited;
  raised.replace(raised.find("requests: 5"), 11, "requests: 6");
  kw.rewriteConfig(raised);
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(a), 200) << "a new limit starts with a full budget";
}

}  // namespace
}  // namespace keyward::test
