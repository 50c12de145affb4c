// What the proxies' contracts need from the verify endpoint, through the real binary:
// forwarded headers believed only from trusted proxies, the optional positive cache, and
// the `keyward verify` CLI that CI pipelines and health checks use.

#include <gtest/gtest.h>

#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

const std::string kRoutes = "routes:\n  - { path: '/admin/**', scope: admin }\n";

TEST(ProxyContract, ForwardedHeadersCountOnlyFromTrustedProxies) {
  std::string worker = newKey(), admin = newKey();
  const std::string keys =
      "keys:\n  - { id: worker-1, peer: worker, env: WORKER, scopes: [runs:read] }\n"
      "  - { id: admin-1, peer: ops, env: ADMIN, scopes: [admin] }\n";
  const Env env = {{"WORKER", worker}, {"ADMIN", admin}};
  // Loopback is trusted by default: the rule applies.
  Keyward trusted(keys + kRoutes, env);
  // Only 10.9.9.9 is trusted: the same headers from loopback are ignored.
  Keyward untrusted(keys + kRoutes + "trusted_proxies: [10.9.9.9/32, 'fd00::/8']\n", env);
  ASSERT_TRUE(trusted.daemon().waitUntilServing()) << trusted.output();
  ASSERT_TRUE(untrusted.daemon().waitUntilServing()) << untrusted.output();
  for (const Headers& claim : {Headers{{"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}},
                               Headers{{"X-Forwarded-Uri", "/runs/1"}, {"X-Forwarded-Method", "GET"}}}) {
    Headers h = claim;
    h.push_back({"X-API-Key", worker});
    EXPECT_EQ(trusted.verify(h)->status, 200) << claim[0].first;
    // Ignored from an untrusted peer: the original is then unknown, and an unknown
    // original with routes configured needs every route's scope (the audit's fail-open
    // case answered 200 here for /admin/x claimed as /runs/1).
    auto refused = untrusted.verify(h);
    EXPECT_EQ(refused->status, 403) << claim[0].first;
    EXPECT_EQ(refused->header("x-keyward-code"), "ORIGINAL_UNKNOWN") << claim[0].first;
    h.back() = {"X-API-Key", admin};
    EXPECT_EQ(untrusted.verify(h)->status, 200) << claim[0].first << ": a key holding every route scope passes";
  }
  EXPECT_EQ(httpRequest(trusted.port(), "GET", "/v1/verify/admin/x", {{"X-API-Key", worker}})->status, 403);
  EXPECT_EQ(httpRequest(trusted.port(), "GET", "/v1/verify/runs/1", {{"X-API-Key", worker}})->status, 200);
  EXPECT_EQ(httpRequest(untrusted.port(), "GET", "/v1/verify/runs/1", {{"X-API-Key", worker}})->status, 403);
  EXPECT_TRUE(untrusted.daemon().waitForLog("ORIGINAL_UNKNOWN")) << "the refusal is logged";
}

TEST(ProxyContract, PositiveAnswersMayBeCachedBrieflyDenialsNever) {
  std::string worker = newKey();
  Keyward cached("cache_max_age: 30s\nkeys:\n  - { id: worker-1, env: WORKER }\n", {{"WORKER", worker}});
  Keyward plain("keys:\n  - { id: worker-1, env: WORKER }\n", {{"WORKER", worker}});
  ASSERT_TRUE(cached.daemon().waitUntilServing()) << cached.output();
  ASSERT_TRUE(plain.daemon().waitUntilServing()) << plain.output();
  EXPECT_EQ(cached.verify({{"X-API-Key", worker}})->header("cache-control"), "private, max-age=30");
  EXPECT_EQ(cached.verify({{"X-API-Key", newKey()}})->header("cache-control"), "no-store");
  EXPECT_EQ(cached.verify({})->header("cache-control"), "no-store");
  EXPECT_EQ(plain.verify({{"X-API-Key", worker}})->header("cache-control"), "no-store");
}

TEST(ProxyContract, VerifyCommandExitsZeroOneOrTwo) {
  std::string worker = newKey();
  Keyward kw("keys:\n  - { id: worker-1, peer: worker, env: WORKER, scopes: [runs:read] }\n", {{"WORKER", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());
  const std::string good = kw.dir().write("good.key", worker + "\n");
  const std::string other = newKey();
  const std::string bad = kw.dir().write("bad.key", other + "\n");

  CommandResult ok = runCommand(KEYWARD_BIN, {"verify", "--url", url, "--key-file", good});
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
  EXPECT_EQ(ok.out, "accepted: key worker-1 (peer worker)\n");
  CommandResult full = runCommand(KEYWARD_BIN, {"verify", "--url", url + "/v1/verify", "--key-file", good, "--peer",
                                                "worker", "--scope", "runs:read"});
  EXPECT_EQ(full.exitCode, 0) << full.err;
  CommandResult refused = runCommand(KEYWARD_BIN, {"verify", "--url", url, "--key-file", bad});
  EXPECT_EQ(refused.exitCode, 1);
  EXPECT_EQ(refused.out, "refused: 401 INVALID_KEY\n");
  CommandResult wrongScope = runCommand(KEYWARD_BIN, {"verify", "--url", url, "--key-file", good, "--scope", "admin"});
  EXPECT_EQ(wrongScope.exitCode, 1);
  EXPECT_EQ(wrongScope.out, "refused: 403 INSUFFICIENT_SCOPE\n");
  CommandResult fromEnv = runCommand(KEYWARD_BIN, {"verify", "--url", url, "--key-env", "K"}, "", {{"K", worker}});
  EXPECT_EQ(fromEnv.exitCode, 0) << fromEnv.err;

  CommandResult unreachable = runCommand(KEYWARD_BIN, {"verify", "--url", "http://127.0.0.1:1", "--key-file", good});
  EXPECT_EQ(unreachable.exitCode, 2);
  CommandResult noKey = runCommand(KEYWARD_BIN, {"verify", "--url", url, "--key-file", kw.dir().file("absent.key")});
  EXPECT_EQ(noKey.exitCode, 2);
  EXPECT_NE(noKey.err.find("absent.key"), std::string::npos) << noKey.err;
  CommandResult usage = runCommand(KEYWARD_BIN, {"verify", "--key-file", good});
  EXPECT_EQ(usage.exitCode, 2);
  expectNoKeyIn(ok.out + ok.err + refused.out + refused.err + wrongScope.out + kw.output(), {worker, other});
}

}  // namespace
}  // namespace keyward::test
