// The outside audit's findings (issue 11), each replayed against the real binary: pipelined
// floods, fail-open route rules, route spellings, spoofed original requests, the admin
// 405, per-client connection shares, slow readers.

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

std::string codeOf(const std::optional<HttpResponse>& r) { return r ? r->header("x-keyward-code") : "no answer"; }

// The number after "name": in a JSON text, or -1.
int counterIn(const std::string& json, const std::string& name) {
  const std::size_t at = json.find("\"" + name + "\":");
  return at == std::string::npos ? -1 : std::atoi(json.c_str() + at + name.size() + 3);
}

long rssKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// 2,000 keys in one env file, each used once so that /metrics has a series for every one.
struct ManyUsedKeys {
  std::vector<std::string> keys;
  std::unique_ptr<Keyward> kw;
  explicit ManyUsedKeys(const std::string& extraYaml = "") {
    for (int i = 0; i < 2000; ++i) keys.push_back(newKey());
    kw = std::make_unique<Keyward>(
        [&](const TempDir& dir) {
          std::string lines;
          for (std::size_t i = 0; i < keys.size(); ++i) lines += "K" + std::to_string(i) + "=" + keys[i] + "\n";
          const std::string path = dir.write("keys.env", lines);
          ::chmod(path.c_str(), 0600);
          return "throttle: { max_failures: 0 }\n" + extraYaml + "env_files:\n  - { path: " + path + " }\n";
        },
        Env{});
  }
  bool start() {
    if (!kw->daemon().waitUntilServing()) return false;
    HttpConnection c(kw->port());
    std::string batch;
    for (const std::string& key : keys) batch += "GET /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + key + "\r\n\r\n";
    if (!c.sendRaw(batch)) return false;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      auto r = c.readResponse(5s);
      if (!r || r->status != 200) return false;
    }
    return true;
  }
};

TEST(HostileAudit, OnePipelinedWriteOfMetricsRequestsNeitherBloatsMemoryNorStallsOthers) {
  ManyUsedKeys setup;
  ASSERT_TRUE(setup.start()) << setup.kw->output();
  Keyward& kw = *setup.kw;
  const long before = rssKiB(kw.daemon().pid());

  // The audit: one connection, one write of pipelined /metrics, never read: 1.58 GB RSS
  // and a valid request on another connection waited 12.6 s.
  HttpConnection flood(kw.port());
  int small = 4096;
  setsockopt(flood.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string batch;
  for (int i = 0; i < 3000; ++i) batch += "GET /metrics HTTP/1.1\r\nHost: k\r\n\r\n";
  std::thread writer([&] { flood.sendRaw(batch); });  // blocks once the server stops reading
  std::this_thread::sleep_for(1500ms);

  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(kw.verifyStatus(setup.keys[7]), 200);
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_LT(waited, 500ms) << "a valid request waited behind the flood";
  const long after = rssKiB(kw.daemon().pid());
  EXPECT_LT(after - before, 64 * 1024) << "RSS grew from " << before << " to " << after << " KiB";
  ::shutdown(flood.fd(), SHUT_RDWR);
  writer.join();
}

TEST(HostileAudit, ASlowReaderIsCutByATotalWriteDeadline) {
  ManyUsedKeys setup("limits: { write_timeout: 1s }\n");
  ASSERT_TRUE(setup.start()) << setup.kw->output();
  HttpConnection slow(setup.kw->port());
  int small = 4096;
  setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string batch;
  // ~80 MB of answers: far more than the socket buffers on both sides hold.
  for (int i = 0; i < 200; ++i) batch += "GET /metrics HTTP/1.1\r\nHost: k\r\n\r\n";
  ASSERT_TRUE(slow.sendRaw(batch));
  // Reads 1 KiB every 100 ms: steady progress, which used to renew the deadline forever.
  // (The client cannot see the close itself: what the kernel already took still arrives.)
  const int timedOutBefore = counterIn(setup.kw->status(), "timed_out");
  const auto started = std::chrono::steady_clock::now();
  bool cut = false;
  char buffer[1024];
  while (!cut && std::chrono::steady_clock::now() - started < 8s) {
    [[maybe_unused]] ssize_t n = ::recv(slow.fd(), buffer, sizeof buffer, MSG_DONTWAIT);
    std::this_thread::sleep_for(100ms);
    cut = counterIn(setup.kw->status(), "timed_out") > timedOutBefore;
  }
  EXPECT_TRUE(cut) << "a client taking 10 KiB/s of large answers kept its connection";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);
  EXPECT_EQ(setup.kw->verifyStatus(setup.keys[0]), 200);
}

TEST(HostileAudit, OneClientCannotHoldEveryConnectionSlot) {
  std::string key = newKey();
  // Only 127.0.0.1 is a trusted proxy: 127.0.0.2 and .3 are ordinary clients.
  Keyward kw("trusted_proxies: [127.0.0.1]\nlimits: { max_connections: 40 }\nkeys:\n  - { id: a, env: K }\n",
             {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  std::vector<std::unique_ptr<HttpConnection>> hog;
  for (int i = 0; i < 60; ++i) hog.push_back(std::make_unique<HttpConnection>(kw.port(), "127.0.0.1", "127.0.0.2"));
  std::this_thread::sleep_for(100ms);
  int refused = 0;
  for (auto& c : hog) {
    auto r = c->readResponse(50ms);
    if (r && r->status == 503) ++refused;
  }
  EXPECT_EQ(refused, 50) << "the default share is a quarter of max_connections";
  // Another address still gets in, every time.
  int ok = 0;
  for (int i = 0; i < 20; ++i) {
    HttpConnection c(kw.port(), "127.0.0.1", "127.0.0.3");
    auto r = c.request("GET", "/v1/verify", {{"X-API-Key", key}});
    if (r && r->status == 200) ++ok;
  }
  EXPECT_EQ(ok, 20);
  // A trusted proxy carries many clients' requests: it is not held to one client's share.
  hog.clear();
  std::this_thread::sleep_for(100ms);
  std::vector<std::unique_ptr<HttpConnection>> proxy;
  for (int i = 0; i < 30; ++i) proxy.push_back(std::make_unique<HttpConnection>(kw.port(), "127.0.0.1", "127.0.0.1"));
  int served = 0;
  for (auto& c : proxy) {
    auto r = c->request("GET", "/v1/verify", {{"X-API-Key", key}});
    if (r && r->status == 200) ++served;
  }
  EXPECT_EQ(served, 30);
}

const std::string kAuditRoutes =
    "routes:\n"
    "  - { path: '/admin/**', scope: admin }\n"
    "  - { path: '/runs/**', methods: [GET, HEAD], scope: runs:read }\n"
    "  - { path: '/runs/**', except_methods: [GET, HEAD], scope: runs:write }\n";

TEST(HostileAudit, RouteRulesMeetEverySpellingAndNeverFailOpen) {
  std::string worker = newKey();
  Keyward kw(
      "throttle: { max_failures: 0 }\nkeys:\n  - { id: w, peer: worker, env: K, scopes: [runs:read] }\n" + kAuditRoutes,
      {{"K", worker}});
  Keyward untrusting(
      "throttle: { max_failures: 0 }\ntrusted_proxies: [10.9.9.9]\n"
      "keys:\n  - { id: w, peer: worker, env: K, scopes: [runs:read] }\n" +
          kAuditRoutes,
      {{"K", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  ASSERT_TRUE(untrusting.daemon().waitUntilServing()) << untrusting.output();
  struct Case {
    const char* why;
    const char* method;
    const char* uri;
  };
  // Each got 200 with a runs:read key in the audit.
  const std::vector<Case> bypasses = {
      {"upper case (Express, ASP.NET)", "GET", "/ADMIN/users"},
      {";params (Tomcat, Jetty, Spring)", "GET", "/admin;jsessionid=x/users"},
      {"method in lower case", "delete", "/runs/7"},
      {"PATCH, which a methods list forgets", "PATCH", "/runs/7"},
      {"trailing dot (IIS)", "GET", "/admin./users"},
      {"trailing space (IIS)", "GET", "/admin%20/users"},
  };
  for (const Case& c : bypasses) {
    auto r = kw.verify({{"X-API-Key", worker}, {"X-Original-URI", c.uri}, {"X-Original-Method", c.method}});
    ASSERT_TRUE(r) << c.why;
    EXPECT_EQ(r->status, 403) << c.why;
    EXPECT_EQ(r->header("x-keyward-code"), "INSUFFICIENT_SCOPE") << c.why;
  }
  EXPECT_EQ(kw.verify({{"X-API-Key", worker}, {"X-Original-URI", "/runs/7"}, {"X-Original-Method", "get"}})->status,
            200);

  // Fail-open cases of the audit: an untrusted proxy, an empty X-Original-URI.
  auto untrusted =
      untrusting.verify({{"X-API-Key", worker}, {"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}});
  EXPECT_EQ(untrusted->status, 403);
  EXPECT_EQ(codeOf(untrusted), "ORIGINAL_UNKNOWN");
  auto empty = kw.verify({{"X-API-Key", worker}, {"X-Original-URI", ""}, {"X-Original-Method", "GET"}});
  EXPECT_EQ(empty->status, 403);
  EXPECT_EQ(codeOf(empty), "ORIGINAL_UNKNOWN");
  EXPECT_TRUE(untrusting.daemon().waitForLog("\"code\":\"ORIGINAL_UNKNOWN\"")) << "refusals are logged";
}

TEST(HostileAudit, AClientCannotAddAnOriginalRequestTheProxyDidNotSet) {
  std::string worker = newKey();
  Keyward kw(
      "throttle: { max_failures: 0 }\nkeys:\n  - { id: w, peer: worker, env: K, scopes: [runs:read] }\n" + kAuditRoutes,
      {{"K", worker}});
  Keyward pinned(
      "throttle: { max_failures: 0 }\noriginal_request: x-forwarded\n"
      "keys:\n  - { id: w, peer: worker, env: K, scopes: [runs:read] }\n" +
          kAuditRoutes,
      {{"K", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  ASSERT_TRUE(pinned.daemon().waitUntilServing()) << pinned.output();
  const Headers caddy = {{"X-API-Key", worker}, {"X-Forwarded-Method", "GET"}, {"X-Forwarded-Uri", "/admin/x"}};
  // Caddy forwarded the client's own X-Original-URI: it used to win and open /admin/x.
  Headers spoof = caddy;
  spoof.push_back({"X-Original-URI", "/runs/1"});
  auto r = kw.verify(spoof);
  EXPECT_NE(r->status, 200);
  EXPECT_EQ(codeOf(r), "AMBIGUOUS_ORIGINAL");
  // Through Caddy (X-Forwarded family) the status is the real one, with no body to read.
  Headers plainSpoof = {{"X-API-Key", worker}, {"X-Forwarded-Uri", "/admin/x"}, {"X-Forwarded-Uri", "/runs/1"}};
  auto twice = kw.verify(plainSpoof);
  EXPECT_EQ(twice->status, 400);
  EXPECT_EQ(twice->header("content-length"), "0");
  // Pinned to one family, another family is refused even alone.
  auto other = pinned.verify({{"X-API-Key", worker}, {"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}});
  EXPECT_EQ(codeOf(other), "AMBIGUOUS_ORIGINAL");
  EXPECT_EQ(
      pinned.verify({{"X-API-Key", worker}, {"X-Forwarded-Uri", "/runs/1"}, {"X-Forwarded-Method", "GET"}})->status,
      200);
  // Envoy's path form plus a header.
  EXPECT_EQ(codeOf(httpRequest(kw.port(), "GET", "/v1/verify/runs/1",
                               {{"X-API-Key", worker}, {"X-Forwarded-Uri", "/runs/1"}})),
            "AMBIGUOUS_ORIGINAL");
}

TEST(HostileAudit, NginxNeverSeesAStatusItTurnsIntoA500) {
  std::string key = newKey();
  Keyward kw("throttle: { max_failures: 3, window: 1m }\nkeys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const Headers nginx = {{"X-Original-URI", "/x"}, {"X-Original-Method", "GET"}, {"X-Forwarded-For", "198.51.100.7"}};
  std::optional<HttpResponse> last;
  for (int i = 0; i < 5; ++i) {
    Headers h = nginx;
    h.push_back({"X-API-Key", newKey()});
    last = kw.verify(h);
  }
  ASSERT_TRUE(last);
  EXPECT_EQ(last->status, 403) << "auth_request passes only 401 and 403 on";
  EXPECT_EQ(last->header("x-keyward-code"), "THROTTLED");
  EXPECT_FALSE(last->header("retry-after").empty());
  EXPECT_EQ(last->body, "");
  // Another client behind the same nginx is not throttled, and a valid key passes.
  Headers other = {{"X-Original-URI", "/x"}, {"X-Forwarded-For", "198.51.100.8"}, {"X-API-Key", newKey()}};
  EXPECT_EQ(codeOf(kw.verify(other)), "INVALID_KEY");
  Headers good = nginx;
  good.push_back({"X-API-Key", key});
  EXPECT_EQ(kw.verify(good)->status, 200);
}

TEST(HostileAudit, TheAdmin405StartsWithItsStatusLine) {
  std::string admin = newKey();
  Keyward kw("keys:\n  - { id: a, env: K, scopes: [admin] }\n", {{"K", admin}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  HttpConnection c(kw.port());
  ASSERT_TRUE(c.sendRaw("DELETE /v1/keys/a HTTP/1.1\r\nHost: k\r\nX-API-Key: " + admin + "\r\n\r\n"));
  auto r = c.readResponse(3s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->raw.rfind("HTTP/1.1 405 ", 0), 0u) << r->raw;
  EXPECT_EQ(r->header("allow"), "GET, HEAD");
}

TEST(HostileAudit, MetricsAndStatusCanRequireAScope) {
  std::string ops = newKey(), worker = newKey();
  Keyward kw(
      "metrics_scope: ops\nstatus_scope: ops\nkeys:\n  - { id: o, env: O, scopes: [ops] }\n"
      "  - { id: w, env: W }\n",
      {{"O", ops}, {"W", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  for (const char* path : {"/metrics", "/v1/status"}) {
    EXPECT_EQ(httpRequest(kw.port(), "GET", path)->status, 401) << path;
    EXPECT_EQ(httpRequest(kw.port(), "GET", path, {{"X-API-Key", worker}})->status, 403) << path;
    EXPECT_EQ(httpRequest(kw.port(), "GET", path, {{"X-API-Key", ops}})->status, 200) << path;
  }
  EXPECT_EQ(httpRequest(kw.port(), "GET", "/healthz")->status, 200) << "health stays open";
  // Refusals outside /v1/verify are counted too (the text is rendered at most once a second).
  std::this_thread::sleep_for(1100ms);
  const std::string metrics = httpRequest(kw.port(), "GET", "/metrics", {{"X-API-Key", ops}})->body;
  EXPECT_NE(metrics.find("keyward_endpoint_denials_total{code=\"MISSING_KEY\"} 2"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("keyward_endpoint_denials_total{code=\"INSUFFICIENT_SCOPE\"} 2"), std::string::npos)
      << metrics;
}

}  // namespace
}  // namespace keyward::test

namespace keyward::test {
namespace {

// RFC 9112 7.1: every HTTP/1.1 recipient must parse chunked bodies (once refused with 501).
TEST(HostileAudit, ChunkedBodiesAreSteppedOverStrictly) {
  std::string key = newKey();
  Keyward kw("limits: { max_body_bytes: 64 }\nkeys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::string head =
      "POST /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + key + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string next = "GET /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + key + "\r\n\r\n";
  {
    // A well-formed body, split oddly, then a pipelined request: both answered.
    HttpConnection c(kw.port());
    ASSERT_TRUE(c.sendRaw(head + "5\r\nhel"));
    ASSERT_TRUE(c.sendRaw("lo\r\n0000\r\n\r\n" + next));
    auto first = c.readResponse(3s);
    auto second = c.readResponse(3s);
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(second->status, 200) << "the body was framed exactly";
  }
  struct Case {
    const char* why;
    std::string body;
    int status;
  };
  const std::vector<Case> bad = {
      {"size not hex", "zz\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk extension", "5;a=b\r\nhello\r\n0\r\n\r\n", 400},
      {"bare LF", "5\nhello\r\n0\r\n\r\n", 400},
      {"data longer than its size", "2\r\nhello\r\n0\r\n\r\n", 400},
      {"trailer field", "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", 400},
      {"over max_body_bytes", "41\r\n" + std::string(65, 'a') + "\r\n0\r\n\r\n", 413},
  };
  for (const Case& c : bad) {
    HttpConnection conn(kw.port());
    ASSERT_TRUE(conn.sendRaw(head + c.body + next));
    // The body is checked before the request is answered: one answer, the refusal (see
    // HostileChunkedTest for the count of answers).
    auto refused = conn.readResponse(3s);
    ASSERT_TRUE(refused) << c.why;
    EXPECT_EQ(refused->status, c.status) << c.why;
    EXPECT_TRUE(conn.waitClosed(3s)) << c.why << ": the connection cannot be framed any more";
  }
  EXPECT_EQ(kw.verifyStatus(key), 200);
}

}  // namespace
}  // namespace keyward::test

namespace keyward::test {
namespace {

// nginx hands its auth subrequest every header the client sent (up to 4 x 8 KiB, any number
// of fields); a 431 from keyward became a 500 for the client. The defaults take all of it.
TEST(HostileAudit, DefaultLimitsTakeWhatNginxPassesOn) {
  std::string key = newKey();
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  Headers many = {{"X-API-Key", key}, {"X-Original-URI", "/x"}};
  for (int i = 0; i < 300; ++i) many.push_back({"X-Client-" + std::to_string(i), "v"});
  EXPECT_EQ(kw.verify(many)->status, 200) << "300 header fields";
  Headers big = {{"X-API-Key", key}, {"X-Original-URI", "/x"}};
  for (int i = 0; i < 4; ++i) big.push_back({"X-Big-" + std::to_string(i), std::string(7900, 'b')});
  EXPECT_EQ(kw.verify(big)->status, 200) << "31.6 KiB of header fields";
  Headers tooBig = {{"X-API-Key", key}, {"X-Huge", std::string(70000, 'h')}};
  EXPECT_EQ(kw.verify(tooBig)->status, 431) << "still bounded";
}

}  // namespace
}  // namespace keyward::test

namespace keyward::test {
namespace {

// --check-config catches what the start would refuse, not only the YAML.
TEST(HostileAudit, CheckConfigRefusesWhatTheStartWouldRefuse) {
  TempDir dir;
  struct Case {
    const char* why;
    std::string yaml;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"listen without a host", "listen: 8421\n", "listen: must be host:port"},
      {"port out of range", "listen: 127.0.0.1:99999\n", "port from 0 to 65535"},
      {"missing certificate",
       "tls: { listen: 127.0.0.1:0, cert_file: " + dir.file("absent.crt") + ", key_file: " + dir.file("absent.key") +
           " }\n",
       "cert_file"},
  };
  for (const Case& c : cases) {
    const std::string config = dir.write("k.yaml", c.yaml + "keys:\n  - { id: a, env: K }\n");
    CommandResult r = runCommand(KEYWARD_BIN, {"--check-config", "--config", config}, "", {{"K", newKey()}});
    EXPECT_EQ(r.exitCode, 1) << c.why << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.why << "\n" << r.err;
  }
}

}  // namespace
}  // namespace keyward::test

namespace keyward::test {
namespace {

// `burst: 1000000000` of 1 a day passed --check-config, then every request got 429 with
// "r=0;t=0" (burst x per / requests overflowed 64 bits of microseconds). Refused at load,
// naming the field; a burst that fits still starts.
TEST(HostileAudit, CheckConfigRefusesARateLimitThatOverflows) {
  TempDir dir;
  auto check = [&](const std::string& limit) {
    const std::string config = dir.write("k.yaml", "keys:\n  - { id: a, env: K, rate_limit: " + limit + " }\n");
    return runCommand(KEYWARD_BIN, {"--check-config", "--config", config}, "", {{"K", newKey()}});
  };
  CommandResult r = check("{ requests: 1, per: 1d, burst: 1000000000 }");
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("keys[0].rate_limit.burst: is too large"), std::string::npos) << r.err;
  r = check("{ requests: 1, per: 1d, burst: 13343998 }");
  EXPECT_EQ(r.exitCode, 0) << "the largest that fits\n" << r.out << r.err;
  r = check("{ requests: 1000000000, per: 1d, burst: 1000000000 }");
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
}

}  // namespace
}  // namespace keyward::test
