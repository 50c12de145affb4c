// End to end through the real proxies Debian ships (nginx, Caddy, HAProxy), each running
// its shipped config from config/ with only the addresses changed: a client calls the
// proxy, the proxy asks keyward over keyward's unix socket, and only allowed requests reach
// a small upstream API that records what it was sent. Every test runs once per proxy.
// Loopback only; every process is stopped.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "keyward/Client.h"
#include "support/Keyward.h"
#include "support/ProxyStack.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

// keyward with three keys and route rules, the API, and the proxy in front.
//   worker-1  peer worker, runs:read           (from a key directory: rotated by a test)
//   writer    peer worker, runs:read runs:write
//   ops       peer ops,    admin runs:read runs:write
//   limited   peer worker, at most 2 requests a minute
struct Stack {
  ProxyKind kind;
  std::string worker = newKey(), writer = newKey(), admin = newKey(), limited = newKey();
  std::string keyDir, workerKeyFile, socket;
  std::unique_ptr<Keyward> keyward;
  UpstreamApi api;
  std::unique_ptr<ProxyProcess> proxy;

  explicit Stack(ProxyKind kind, int throttleFailures = 1000) : kind(kind) {
    keyward = std::make_unique<Keyward>(
        [&](const TempDir& dir) {
          keyDir = dir.mkdir("keys");
          dir.write("keys/worker-1", worker + "\n");
          workerKeyFile = dir.write("worker.key", worker + "\n");  // the worker's own copy
          socket = dir.file("keyward.sock");
          return "original_request: " + originalRequestFor(kind) + "\n" + "listen_unix: { path: " + socket +
                 ", mode: '0600' }\n" + "throttle: { max_failures: " + std::to_string(throttleFailures) +
                 ", window: 1m }\n" +
                 "keys:\n"
                 "  - { id: ops, peer: ops, env: ADMIN, scopes: [admin, 'runs:read', 'runs:write'] "
                 "}\n"
                 "  - { id: writer, peer: worker, env: WRITER, scopes: ['runs:read', 'runs:write'] "
                 "}\n"
                 "  - { id: limited, peer: worker, env: LIMITED, rate_limit: { requests: 2, per: "
                 "60s } "
                 "}\n"
                 "key_dirs:\n  - { path: " +
                 keyDir +
                 ", peer: worker, scopes: ['runs:read'] }\n"
                 "routes:\n"
                 "  - { path: '/admin/**', scope: admin }\n"
                 "  - { methods: [POST, PUT, DELETE], path: '/runs/**', scope: 'runs:write' }\n"
                 "  - { path: '/internal/**', peers: [worker], scope: 'runs:write' }\n";
        },
        Env{{"ADMIN", admin}, {"WRITER", writer}, {"LIMITED", limited}});
    EXPECT_TRUE(keyward->daemon().waitUntilServing()) << keyward->output();
    proxy = std::make_unique<ProxyProcess>(kind, keyward->dir(), socket, api.port());
    EXPECT_TRUE(proxy->waitReady()) << proxy->log();
  }
  std::optional<HttpResponse> send(const std::string& method, const std::string& target, const Headers& headers,
                                   const std::string& source = "127.0.0.1") {
    return requestFrom(source, proxy->port(), method, target, headers);
  }
  std::optional<HttpResponse> get(const std::string& target, const Headers& headers) {
    return send("GET", target, headers);
  }
  std::string logs() { return proxy->log() + keyward->output(); }
};

class ProxyE2e : public ::testing::TestWithParam<ProxyKind> {
 protected:
  void SetUp() override {
    std::string binary;
    if (!proxyInstalled(GetParam(), &binary))
      GTEST_SKIP() << binary << " is not installed (scripts/test.sh installs it)";
  }
};

TEST_P(ProxyE2e, ValidKeyReachesTheApiWithIdentityAndWithoutTheKey) {
  Stack s(GetParam());
  auto r = s.get("/runs/42", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(r) << s.logs();
  EXPECT_EQ(r->status, 200) << r->raw << s.logs();
  EXPECT_EQ(r->body, "{\"api\":\"ok\"}");
  EXPECT_EQ(s.api.calls(), 1);
  EXPECT_EQ(s.api.lastHeader("x-keyward-key-id"), "worker-1");
  EXPECT_EQ(s.api.lastHeader("x-keyward-peer"), "worker");
  EXPECT_EQ(s.api.lastHeader("x-keyward-scopes"), "runs:read");
  EXPECT_FALSE(s.api.lastHad("x-api-key")) << "the upstream must not see the key";
  EXPECT_FALSE(s.api.lastHad("x-keyward-code"));
  auto bearer = s.get("/runs/42", {{"Authorization", "Bearer " + s.worker}});
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200) << bearer->raw;
  EXPECT_FALSE(s.api.lastHad("authorization")) << "the upstream must not see the key";
  EXPECT_EQ(s.api.lastHeader("x-keyward-key-id"), "worker-1");
}

TEST_P(ProxyE2e, MissingOrInvalidKeyGets401WithKeywardsCodeAndTheApiIsNeverCalled) {
  Stack s(GetParam());
  const struct {
    Headers headers;
    std::string code;
  } cases[] = {
      {{}, "MISSING_KEY"},
      {{{"X-API-Key", newKey()}}, "INVALID_KEY"},
      {{{"X-API-Key", "short"}}, "INVALID_KEY"},
      {{{"Authorization", "Bearer " + newKey()}}, "INVALID_KEY"},
      // Two different keys: keyward refuses to guess.
      {{{"X-API-Key", s.worker}, {"Authorization", "Bearer " + s.writer}}, "AMBIGUOUS_KEY"},
  };
  for (const auto& c : cases) {
    auto r = s.get("/runs/42", c.headers);
    ASSERT_TRUE(r) << s.logs();
    EXPECT_EQ(r->status, 401) << c.code << "\n" << r->raw;
    EXPECT_EQ(r->header("x-keyward-code"), c.code) << r->raw;
    EXPECT_EQ(r->header("www-authenticate"), "ApiKey realm=\"keyward\"") << r->raw;
  }
  EXPECT_EQ(s.api.calls(), 0);
}

TEST_P(ProxyE2e, RouteScopeAndTheOnePeerLocationGive403WithKeywardsCode) {
  Stack s(GetParam());
  auto scope = s.get("/admin/users", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(scope) << s.logs();
  EXPECT_EQ(scope->status, 403) << scope->raw;
  EXPECT_EQ(scope->header("x-keyward-code"), "INSUFFICIENT_SCOPE") << scope->raw;
  auto write = s.send("POST", "/runs/1", {{"X-API-Key", s.worker}, {"Content-Length", "0"}});
  ASSERT_TRUE(write);
  EXPECT_EQ(write->status, 403) << "runs:write is needed for POST\n" << write->raw;
  EXPECT_EQ(s.api.calls(), 0);
  auto admin = s.get("/admin/users", {{"X-API-Key", s.admin}});
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 200) << admin->raw << s.logs();
  EXPECT_EQ(s.api.lastHeader("x-keyward-peer"), "ops");

  // The shipped configs' /internal/ location: peer `worker` with scope `runs:write` only.
  auto reader = s.get("/internal/jobs", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->status, 403) << reader->raw;
  EXPECT_EQ(reader->header("x-keyward-code"), "INSUFFICIENT_SCOPE") << reader->raw;
  auto otherPeer = s.get("/internal/jobs", {{"X-API-Key", s.admin}});
  ASSERT_TRUE(otherPeer);
  EXPECT_EQ(otherPeer->status, 403) << otherPeer->raw;
  EXPECT_EQ(otherPeer->header("x-keyward-code"), "WRONG_PEER") << otherPeer->raw;
  // The proxy's location rule must see the path as the API will: no spelling of
  // /internal/ may fall through to the any-key location.
  for (const std::string target : {"/INTERNAL/jobs", "/%69nternal/jobs", "//internal/jobs", "/x/../internal/jobs"}) {
    auto r = s.get(target, {{"X-API-Key", s.worker}});
    ASSERT_TRUE(r) << target;
    EXPECT_TRUE(r->status == 400 || r->status == 403) << target << "\n" << r->raw;
  }
  // Spellings the proxy's location does not catch but an upstream routes to /internal/
  // (Tomcat and Spring drop ;params, IIS trailing dots and spaces): keyward's route with
  // `peers:` holds for them, as it normalises the path the way those upstreams do.
  const int beforeSpellings = s.api.calls();
  for (const std::string target : {"/internal;x/jobs", "/internal./jobs", "/internal%20/jobs", "/internal%2e/jobs",
                                   "/internal%3bx/jobs", "/Internal;/jobs"}) {
    auto r = s.get(target, {{"X-API-Key", s.admin}});
    ASSERT_TRUE(r) << target;
    EXPECT_TRUE(r->status == 400 || r->status == 403) << target << "\n" << r->raw;
  }
  EXPECT_EQ(s.api.calls(), beforeSpellings) << "the API was called (" << s.api.lastUri() << ")";
  const int before = s.api.calls();
  auto allowed = s.get("/internal/jobs", {{"X-API-Key", s.writer}});
  ASSERT_TRUE(allowed);
  EXPECT_EQ(allowed->status, 200) << allowed->raw << s.logs();
  EXPECT_EQ(s.api.calls(), before + 1);
  EXPECT_EQ(s.api.lastHeader("x-keyward-key-id"), "writer");
}

// Everything a client can add to change what keyward decides. The worker key lacks
// `admin` and `runs:write`; each request below aims at something that needs one of them.
TEST_P(ProxyE2e, EverySpoofingAttemptIsRefusedOrWithoutEffect) {
  Stack s(GetParam());
  const std::string key = s.worker;
  struct Case {
    const char* why;
    std::string method;
    std::string target;
    Headers forged;
    // Some targets are not the protected route at all for a case-sensitive API: they may
    // pass, but only if the API receives exactly that path (keyward judged what the API sees).
    bool mayPassUnchanged = false;
  };
  const Case cases[] = {
      {"client X-Original-* claims an allowed path",
       "GET",
       "/admin/users",
       {{"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}}},
      {"client X-Forwarded-Uri/-Method claim an allowed path",
       "GET",
       "/admin/users",
       {{"X-Forwarded-Uri", "/runs/1"}, {"X-Forwarded-Method", "GET"}}},
      {"both families at once",
       "GET",
       "/admin/users",
       {{"X-Original-URI", "/runs/1"},
        {"X-Forwarded-Uri", "/runs/1"},
        {"X-Original-Method", "GET"},
        {"X-Forwarded-Method", "GET"}}},
      {"a repeated X-Original-URI",
       "GET",
       "/admin/users",
       {{"X-Original-URI", "/runs/1"}, {"X-Original-URI", "/runs/2"}}},
      {"a repeated X-Forwarded-Uri, other letter case",
       "GET",
       "/admin/users",
       {{"x-forwarded-uri", "/runs/1"}, {"X-FORWARDED-URI", "/runs/2"}}},
      {"forged method for a write",
       "POST",
       "/runs/1",
       {{"Content-Length", "0"},
        {"X-Original-Method", "GET"},
        {"X-Forwarded-Method", "GET"},
        {"X-HTTP-Method-Override", "GET"}}},
      {"Envoy's original-path header", "GET", "/admin/users", {{"X-Envoy-Original-Path", "/runs/1"}}},
      {"Envoy-style verify path that resolves to the admin path", "GET", "/v1/verify/../../admin/users", {}},
      {"percent-encoded letter", "GET", "/%61dmin/users", {}},
      {"percent-encoded slash", "GET", "/admin%2Fusers", {}},
      {"percent-encoded dot segment", "GET", "/runs/%2e%2e/admin/users", {}},
      {"dot segments", "GET", "/runs/../admin/users", {}},
      {"double slash", "GET", "//admin/users", {}},
      {"absolute-form request target", "GET", "http://127.0.0.1/admin/users", {}},
      {"path parameter after the segment (;params)", "GET", "/admin;x=1/users", {}},
      {"upper-case path", "GET", "/ADMIN/users", {}, true},
      // An upstream that does not resolve ".." (Express or chi mounts, a prefix check; nginx
      // and Caddy forward the raw target) routes these to the admin handler.
      {"dot segments out of the protected prefix", "GET", "/admin/../runs/1", {}},
      {"encoded dot segments out of the protected prefix", "GET", "/admin/%2e%2e/runs/1", {}},
      {"..; out of the protected prefix", "GET", "/admin/..;/runs/1", {}},
      // nginx passes the raw target, '#' included; Go's net/http keeps it in the path.
      {"a fragment that hides the real path", "GET", "/runs/1#/../../admin/users", {}},
  };
  for (const Case& c : cases) {
    Headers headers = c.forged;
    headers.push_back({"X-API-Key", key});
    const int before = s.api.calls();
    auto r = s.send(c.method, c.target, headers);
    ASSERT_TRUE(r) << c.why << s.logs();
    std::cout << "[spoof] " << proxyName(s.kind) << " | " << c.why << " | " << c.method << " " << c.target << " -> "
              << r->status << " " << r->header("x-keyward-code")
              << (r->status == 200 ? " (API saw " + s.api.lastUri() + ")" : "") << "\n";
    EXPECT_NE(r->status, 500) << c.why << "\n" << r->raw;
    if (c.mayPassUnchanged && r->status == 200) {
      EXPECT_EQ(s.api.lastUri(), c.target) << c.why << ": the API must receive the path keyward judged";
      continue;
    }
    EXPECT_TRUE(r->status == 400 || r->status == 403 || r->status == 404) << c.why << "\n" << r->raw;
    EXPECT_EQ(s.api.calls(), before) << c.why << ": the API was called (" << s.api.lastUri() << ")";
  }
}

TEST_P(ProxyE2e, ClientSuppliedIdentityHeadersNeverReachTheApi) {
  Stack s(GetParam());
  const Headers forged = {{"X-Keyward-Key-Id", "ops"},
                          {"X-Keyward-Peer", "ops"},
                          {"X-Keyward-Scopes", "admin"},
                          {"X-Keyward-Expires", "2099-01-01T00:00:00Z"},
                          {"X-Keyward-Code", "OK"},
                          // CGI, WSGI and Rack fold this into HTTP_X_KEYWARD_PEER too.
                          {"X_Keyward_Peer", "ops"},
                          {"X-Keyward-Other", "1"},
                          // Routing overrides some frameworks obey: the API would serve /admin.
                          {"X-Original-URL", "/admin/users"},
                          {"X-Rewrite-URL", "/admin/users"}};
  Headers withKey = forged;
  withKey.push_back({"X-API-Key", s.worker});
  auto r = s.get("/runs/1", withKey);
  ASSERT_TRUE(r) << s.logs();
  EXPECT_EQ(r->status, 200) << r->raw << s.logs();
  EXPECT_EQ(s.api.lastHeader("x-keyward-key-id"), "worker-1");
  EXPECT_EQ(s.api.lastHeader("x-keyward-peer"), "worker");
  EXPECT_EQ(s.api.lastHeader("x-keyward-scopes"), "runs:read");
  EXPECT_FALSE(s.api.lastHad("x-keyward-expires")) << s.api.lastHeader("x-keyward-expires");
  EXPECT_FALSE(s.api.lastHad("x-keyward-code")) << s.api.lastHeader("x-keyward-code");
  EXPECT_FALSE(s.api.lastHad("x_keyward_peer")) << s.api.lastHeader("x_keyward_peer");
  // nginx cannot delete headers by prefix (README): only the names keyward sets are replaced.
  if (s.kind != ProxyKind::Nginx) {
    EXPECT_FALSE(s.api.lastHad("x-keyward-other")) << s.api.lastHeader("x-keyward-other");
  }
  EXPECT_FALSE(s.api.lastHad("x-original-url")) << s.api.lastHeader("x-original-url");
  EXPECT_FALSE(s.api.lastHad("x-rewrite-url")) << s.api.lastHeader("x-rewrite-url");
  // Without a key the forged identity gets nothing at all.
  auto none = s.get("/runs/1", forged);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401) << none->raw;
  EXPECT_EQ(s.api.calls(), 1);
}

TEST_P(ProxyE2e, LargeClientHeadersAreNeverA500) {
  // The proxies pass a client's headers on to keyward (nginx up to 4 x 8 KiB by default):
  // keyward must take whatever the proxy accepted, or nginx would answer 500.
  Stack s(GetParam());
  Headers big;
  for (int i = 0; i < 3; ++i) big.push_back({"X-Big-" + std::to_string(i), std::string(7000, 'a' + i)});
  for (const auto& [key, status] : {std::pair{s.worker, 200}, std::pair{newKey(), 401}}) {
    Headers headers = big;
    headers.push_back({"X-API-Key", key});
    auto r = s.get("/runs/1", headers);
    ASSERT_TRUE(r) << s.logs();
    // The proxy may refuse them itself (HAProxy's 16 KiB buffer: 400); never a 500.
    EXPECT_TRUE(r->status == status || r->status == 400 || r->status == 431) << r->raw.substr(0, 400);
  }
}

TEST_P(ProxyE2e, KeywardUnreachableFailsClosed) {
  Stack s(GetParam());
  s.keyward->daemon().signal(SIGTERM);
  ASSERT_EQ(s.keyward->daemon().waitExit(), 0);
  auto r = s.get("/runs/1", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(r) << s.logs();
  EXPECT_GE(r->status, 500) << r->raw;
  EXPECT_EQ(s.api.calls(), 0) << "the API was called without keyward's answer";
}

TEST_P(ProxyE2e, AThrottledClientGets429WithRetryAfterWhileOtherClientsPass) {
  Stack s(GetParam(), /*throttleFailures=*/3);
  SourceClient offender(s.proxy->port(), "127.0.0.2");
  std::optional<HttpResponse> last;
  for (int i = 0; i < 8; ++i) {
    last = offender.request("GET", "/runs/1", {{"X-API-Key", newKey()}});
    ASSERT_TRUE(last) << s.logs();
    ASSERT_NE(last->status, 500) << "never a 500\n" << last->raw << s.logs();
    if (last->status == 429) break;
    EXPECT_EQ(last->status, 401) << last->raw;
  }
  EXPECT_EQ(last->status, 429) << last->raw;
  EXPECT_EQ(last->header("x-keyward-code"), "THROTTLED") << last->raw;
  EXPECT_FALSE(last->header("retry-after").empty()) << last->raw;
  // Claiming another address changes nothing: the proxy puts the real one last.
  auto claimed = offender.request("GET", "/runs/1", {{"X-API-Key", newKey()}, {"X-Forwarded-For", "127.0.0.9"}});
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->status, 429) << claimed->raw;
  // Another client is not affected, with a valid key or a bad one.
  auto other = requestFrom("127.0.0.3", s.proxy->port(), "GET", "/runs/1", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200) << other->raw;
  auto otherBad = requestFrom("127.0.0.3", s.proxy->port(), "GET", "/runs/1", {{"X-API-Key", newKey()}});
  ASSERT_TRUE(otherBad);
  EXPECT_EQ(otherBad->status, 401) << otherBad->raw;
}

TEST_P(ProxyE2e, ARateLimitedKeyGets429WithRetryAfterNever500) {
  Stack s(GetParam());
  for (int i = 0; i < 2; ++i) {
    auto ok = s.get("/runs/1", {{"X-API-Key", s.limited}});
    ASSERT_TRUE(ok) << s.logs();
    EXPECT_EQ(ok->status, 200) << i << "\n" << ok->raw;
  }
  auto limited = s.get("/runs/1", {{"X-API-Key", s.limited}});
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429) << limited->raw << s.logs();
  EXPECT_EQ(limited->header("x-keyward-code"), "RATE_LIMITED") << limited->raw;
  EXPECT_FALSE(limited->header("retry-after").empty()) << limited->raw;
  EXPECT_EQ(limited->header("ratelimit-policy"), "\"key\";q=2;w=60") << limited->raw;
  EXPECT_EQ(s.api.calls(), 2);
  auto other = s.get("/runs/1", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200) << "another key is untouched\n" << other->raw;
}

TEST_P(ProxyE2e, FiveOverlapRotationsUnderARequestLoopFailNoRequest) {
  Stack s(GetParam());
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::string firstFailure;
  std::thread worker([&] {
    // The worker re-reads its key file on every request, as the client library does.
    ClientKey key = ClientKey::fromFile(s.workerKeyFile);
    SourceClient conn(s.proxy->port(), "127.0.0.4");
    const auto deadline = std::chrono::steady_clock::now() + 20s;  // bounded whatever happens
    while (!stop && std::chrono::steady_clock::now() < deadline) {
      auto r = conn.request("GET", "/runs/1", {{"X-API-Key", key.current()}});
      if (r && r->status == 200) {
        ++ok;
      } else {
        if (failed++ == 0) firstFailure = r ? r->raw : "no answer";
      }
    }
  });
  auto waitForProgress = [&] {
    const int target = ok + 30;
    for (int i = 0; i < 1000 && ok < target; ++i) std::this_thread::sleep_for(2ms);
  };
  waitForProgress();
  std::string current = s.worker;
  for (int round = 2; round <= 6; ++round) {
    const std::string next = newKey();
    s.keyward->dir().write("keys/worker-" + std::to_string(round), next + "\n");
    ASSERT_TRUE(s.keyward->reload());
    waitForProgress();
    // Hand the worker its new key (atomic replace), then retire the old one.
    const std::string tmp = s.keyward->dir().write("worker.key.tmp", next + "\n");
    ASSERT_EQ(std::rename(tmp.c_str(), s.workerKeyFile.c_str()), 0);
    waitForProgress();
    ASSERT_EQ(::unlink(s.keyward->dir().file("keys/worker-" + std::to_string(round - 1)).c_str()), 0);
    ASSERT_TRUE(s.keyward->reload());
    waitForProgress();
    auto retired = s.get("/runs/1", {{"X-API-Key", current}});
    ASSERT_TRUE(retired);
    EXPECT_EQ(retired->status, 401) << "the retired key is refused";
    current = next;
  }
  stop = true;
  worker.join();
  EXPECT_GT(ok.load(), 300);
  EXPECT_EQ(failed.load(), 0) << "requests failed during rotation; first: " << firstFailure;
  EXPECT_NE(s.keyward->status().find("\"failed\":0"), std::string::npos) << s.keyward->status();
}

TEST_P(ProxyE2e, ConnectionsToKeywardAreReusedForAllowedAndDeniedRequests) {
  Stack s(GetParam());
  // Warm up: the proxy opens its first connection(s) to keyward.
  SourceClient client(s.proxy->port());
  ASSERT_EQ(client.request("GET", "/runs/1", {{"X-API-Key", s.worker}})->status, 200) << s.logs();
  const long before = acceptedConnections(s.keyward->port());
  constexpr int kRequests = 200;
  int answered = 0;
  for (int i = 0; i < kRequests; ++i) {
    const bool valid = i % 4 != 0;  // one in four is denied (401), which must not cost a connection either
    auto r = client.request("GET", "/runs/1", {{"X-API-Key", valid ? s.worker : newKey()}});
    if (r && r->status == (valid ? 200 : 401)) ++answered;
  }
  const long after = acceptedConnections(s.keyward->port());
  EXPECT_EQ(answered, kRequests);
  // `after` includes the two /v1/status requests of this test itself.
  std::cout << "[reuse] " << proxyName(s.kind) << ": " << (after - before - 1) << " new connections to keyward for "
            << kRequests << " requests\n";
  EXPECT_LE(after - before - 1, 4) << "connections to keyward are not reused";
}

INSTANTIATE_TEST_SUITE_P(Proxies, ProxyE2e, ::testing::Values(ProxyKind::Nginx, ProxyKind::Caddy, ProxyKind::Haproxy),
                         [](const ::testing::TestParamInfo<ProxyKind>& info) { return proxyName(info.param); });

}  // namespace
}  // namespace keyward::test
