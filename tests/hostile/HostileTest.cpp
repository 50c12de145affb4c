// The bad-input suite: hostile requests, broken key sources and faults against the real
// binary. Every case asserts the answer (status or error text), that the daemon still
// serves its good key afterwards, and that no key text appears in any output.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

const std::string kShort = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==";  // 31 bytes
const std::string kBadBase64 = "not*base64*at*all*but*long*enough*to*look*like*a*key*";

// Sends raw bytes on a fresh connection; the status of the answer, or 0 if none came.
int rawStatus(int port, const std::string& bytes) {
  HttpConnection c(port);
  if (!c.connected() || !c.sendRaw(bytes)) return 0;
  auto r = c.readResponse(3s);
  return r ? r->status : 0;
}

std::string get(const std::string& headers) { return "GET /v1/verify HTTP/1.1\r\nHost: k\r\n" + headers + "\r\n"; }

struct RawCase {
  const char* why;
  std::string bytes;
  int status;
};

class HostileRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    kw_ = std::make_unique<Keyward>(
        "throttle: { max_failures: 0 }\nkeys:\n  - { id: worker-1, peer: worker, env: K }\n", Env{{"K", key_}});
    ASSERT_TRUE(kw_->daemon().waitUntilServing()) << kw_->output();
  }
  std::string key_ = newKey();
  std::unique_ptr<Keyward> kw_;
};

TEST_F(HostileRequests, MalformedHttpAndCredentialTricksGetTheirAnswer) {
  std::string flipped = key_;
  for (char& c : flipped) c = static_cast<char>(isupper(c) ? tolower(c) : toupper(c));
  const std::vector<RawCase> cases = {
      {"whitespace before the colon", get("X-API-Key : " + key_ + "\r\n"), 400},
      {"obs-fold", get("X-API-Key: " + key_ + "\r\n continued\r\n"), 400},
      {"bare LF line endings", "GET /v1/verify HTTP/1.1\nHost: k\nX-API-Key: " + key_ + "\n\n", 400},
      {"invalid header name", get("X-API(Key): " + key_ + "\r\n"), 400},
      {"NUL in a value", get("X-API-Key: " + key_.substr(0, 10) + std::string(1, '\0') + key_.substr(10) + "\r\n"),
       400},
      {"bare CR in a value", get("X-API-Key: " + key_.substr(0, 10) + "\r" + key_.substr(10) + "\r\n"), 400},
      {"control byte in the key", get("X-API-Key: " + key_.substr(0, 10) + "\x01" + key_.substr(10) + "\r\n"), 400},
      {"conflicting Content-Length", get("Content-Length: 1\r\nContent-Length: 2\r\n"), 400},
      {"Transfer-Encoding with Content-Length", get("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n"), 400},
      {"a transfer coding other than chunked", get("Transfer-Encoding: gzip, chunked\r\n"), 501},
      // RFC 9112 conformance (issue 11 item 13) and the differential fuzzer's findings.
      {"empty Host", "GET /v1/verify HTTP/1.1\r\nHost:\r\n\r\n", 400},
      {"Host with userinfo", "GET /v1/verify HTTP/1.1\r\nHost: user@host\r\n\r\n", 400},
      {"Host with a path", "GET /v1/verify HTTP/1.1\r\nHost: host/path\r\n\r\n", 400},
      {"two Hosts on one line", "GET /v1/verify HTTP/1.1\r\nHost: host, other\r\n\r\n", 400},
      {"the same Content-Length twice", get("Content-Length: 0\r\nContent-Length: 0\r\n"), 400},
      {"CONNECT", "CONNECT k:443 HTTP/1.1\r\nHost: k:443\r\n\r\n", 501},
      {"chunked with an empty list element", get("Transfer-Encoding: chunked,\r\n"), 400},
      {"chunked not last", get("Transfer-Encoding: chunked, gzip\r\n"), 400},
      {"huge header", get("X-Pad: " + std::string(70000, 'a') + "\r\n"), 431},
      {"too many fields",
       [] {
         std::string h;
         for (int i = 0; i < 8200; ++i) h += "F:\r\n";  // more fields than the limit, within its bytes
         return get(h);
       }(),
       431},
      {"huge URI", "GET /v1/verify?" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: k\r\n\r\n", 414},
      {"body too large", get("Content-Length: 5000\r\n"), 413},
      {"HTTP/2.0 request line", "GET /v1/verify HTTP/2.0\r\nHost: k\r\n\r\n", 505},
      {"missing Host", "GET /v1/verify HTTP/1.1\r\nX-API-Key: " + key_ + "\r\n\r\n", 400},
      {"two Host headers", get("Host: other\r\n"), 400},
      {"garbage request line", "HELLO\r\n\r\n", 400},
      {"NUL in the request line", std::string("GET /v1/ver\0ify HTTP/1.1\r\nHost: k\r\n\r\n", 38), 400},
      {"X-API-Key twice in two cases", get("X-API-Key: " + key_ + "\r\nx-api-key: " + key_ + "\r\n"), 401},
      {"X-API-Key and a different Bearer", get("X-API-Key: " + key_ + "\r\nAuthorization: Bearer " + newKey() + "\r\n"),
       401},
      {"Authorization twice", get("Authorization: Bearer " + key_ + "\r\nAUTHORIZATION: Bearer " + key_ + "\r\n"), 401},
      {"RFC 2047 encoded key", get("X-API-Key: =?UTF-8?Q?" + key_ + "?=\r\n"), 401},
      {"space inside the key", get("X-API-Key: " + key_.substr(0, 20) + " " + key_.substr(20) + "\r\n"), 401},
      {"tab inside the key", get("X-API-Key: " + key_.substr(0, 20) + "\t" + key_.substr(20) + "\r\n"), 401},
      {"empty Bearer token", get("Authorization: Bearer \r\n"), 401},
      {"Basic credentials", get("Authorization: Basic dXNlcjpwYXNz\r\n"), 401},
      {"UTF-8 bytes in the key", get("X-API-Key: " + key_.substr(0, 20) + "\xc3\xa9" + key_.substr(20) + "\r\n"), 401},
      {"4000-byte key", get("X-API-Key: " + std::string(4000, 'A') + "\r\n"), 401},
      {"key with its case flipped", get("X-API-Key: " + flipped + "\r\n"), 401},
      {"prefix of the key", get("X-API-Key: " + key_.substr(0, key_.size() - 1) + "\r\n"), 401},
      {"absolute-form target without a key", "GET http://evil.example/v1/verify HTTP/1.1\r\nHost: k\r\n\r\n", 401},
  };
  for (const RawCase& c : cases) {
    EXPECT_EQ(rawStatus(kw_->port(), c.bytes), c.status) << c.why;
    ASSERT_EQ(kw_->verifyStatus(key_), 200) << "stopped serving after: " << c.why;
  }
  expectNoKeyIn(kw_->output(), {key_});
}

TEST_F(HostileRequests, MoreConnectionsThanTheLimitAreRefusedFastAndServingGoesOn) {
  Keyward small("limits: { max_connections: 8 }\nkeys:\n  - { id: a, env: K }\n", {{"K", key_}});
  ASSERT_TRUE(small.daemon().waitUntilServing());
  std::vector<std::unique_ptr<HttpConnection>> held;
  for (int i = 0; i < 8; ++i) held.push_back(std::make_unique<HttpConnection>(small.port()));
  std::this_thread::sleep_for(50ms);
  HttpConnection extra(small.port());
  auto r = extra.readResponse(2s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  held.clear();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(small.verifyStatus(key_), 200);
}

TEST_F(HostileRequests, SlowClientsAreCutByTheHeaderDeadline) {
  Keyward slow("limits: { header_timeout: 300ms }\nkeys:\n  - { id: a, env: K }\n", {{"K", key_}});
  ASSERT_TRUE(slow.daemon().waitUntilServing());
  std::vector<std::unique_ptr<HttpConnection>> trickling;
  for (int i = 0; i < 20; ++i) {
    trickling.push_back(std::make_unique<HttpConnection>(slow.port()));
    trickling.back()->sendRaw("GET /v1/ver");
  }
  EXPECT_EQ(slow.verifyStatus(key_), 200) << "valid requests are answered meanwhile";
  for (auto& c : trickling) EXPECT_TRUE(c->waitClosed(2s));
}

TEST(Throttle, RepeatedDenialsGet429ButAValidKeyStillPasses) {
  std::string key = newKey();
  Keyward kw("throttle: { max_failures: 5, window: 1m }\nkeys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing());
  for (int i = 0; i < 5; ++i) EXPECT_EQ(kw.verifyStatus(newKey()), 401) << i;
  auto throttled = kw.verify({{"X-API-Key", newKey()}});
  ASSERT_TRUE(throttled);
  EXPECT_EQ(throttled->status, 429);
  EXPECT_EQ(throttled->header("x-keyward-code"), "THROTTLED");
  const int retry = std::stoi(throttled->header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  EXPECT_EQ(kw.verifyStatus(key), 200) << "an attacker must not lock a worker out";
  EXPECT_EQ(kw.verifyStatus(""), 429);
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"throttle\""));
  EXPECT_TRUE(
      kw.daemon().waitForLog("\"event\":\"deny\",\"msg\":\"request denied\",\"code\":\"INVALID_KEY\",\"status\":401"))
      << kw.daemon().out();
  EXPECT_NE(kw.daemon().out().find("\"client\":\"127.0.0.1:"), std::string::npos);
  // Behind a trusted proxy, each forwarded client has its own count.
  auto other = kw.verify({{"X-API-Key", newKey()}, {"X-Forwarded-For", "203.0.113.9"}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401);
  auto metrics = httpRequest(kw.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("keyward_throttled_requests_total 2"), std::string::npos) << metrics->body;
}

TEST(Metrics, PrometheusTextPassesPromtool) {
  std::string key = newKey();
  Keyward kw("keys:\n  - { id: worker-1, peer: worker, env: K }\n  - { id: old, env: O, status: suspended }\n",
             {{"K", key}, {"O", newKey()}});
  ASSERT_TRUE(kw.daemon().waitUntilServing());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(kw.verifyStatus(key), 200);
  EXPECT_EQ(kw.verifyStatus(newKey()), 401);
  EXPECT_TRUE(kw.reload());
  auto r = httpRequest(kw.port(), "GET", "/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& m = r->body;
  for (const char* expected :
       {"keyward_verify_requests_total{code=\"ok\"} 3", "keyward_verify_requests_total{code=\"INVALID_KEY\"} 1",
        "keyward_key_requests_total{key_id=\"worker-1\",result=\"allowed\"} 3",
        "keyward_reloads_total{result=\"ok\"} 2", "keyward_key_set_generation 2",
        "keyward_keys{status=\"suspended\"} 1", "keyward_keys{status=\"active\"} 1",
        "keyward_verify_duration_seconds_count 4", "keyward_connections_accepted_total",
        "keyward_key_last_used_timestamp_seconds{key_id=\"worker-1\"}"}) {
    EXPECT_NE(m.find(expected), std::string::npos) << expected << "\n" << m;
  }
  const std::string file = kw.dir().write("metrics.txt", m);
  CommandResult check = runCommand("/bin/sh", {"-c", "promtool check metrics < " + file});
  EXPECT_EQ(check.exitCode, 0) << check.out << check.err;
  expectNoKeyIn(m, {key});
}

TEST(UnixSocket, ServesVerifyWithTheConfiguredMode) {
  std::string key = newKey();
  std::string path;
  Keyward kw(
      [&](const TempDir& dir) {
        path = dir.file("keyward.sock");
        return "listen_unix: { path: " + path + ", mode: '0600' }\nkeys:\n  - { id: a, env: K }\n";
      },
      {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const std::string request =
      "GET /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + key + "\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) answer.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  kw.daemon().signal(SIGTERM);
  EXPECT_EQ(kw.daemon().waitExit(), 0);
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << "the socket file is removed at exit";
}

// ---- key sources: a running daemon is asked to reload into a broken source ----

struct SourceCase {
  const char* why;
  std::function<std::string(const TempDir&)> keysYaml;  // the broken source's config lines
  Env env;
  const char* expected;  // part of the reload error
};

TEST(HostileSources, EveryBrokenSourceIsRefusedNamingItAndTheOldKeysServe) {
  std::string good = newKey();
  const std::string secret = newKey();  // must never be echoed, even when refused
  const std::vector<SourceCase> cases = {
      {"malformed base64 in an env var",
       [](const TempDir&) { return "  - { id: b, env: BAD }\n"; },
       {{"BAD", kBadBase64}},
       "env BAD"},
      {"short key in an env var",
       [](const TempDir&) { return "  - { id: b, env: BAD }\n"; },
       {{"BAD", kShort}},
       "env BAD"},
      {"unset env var", [](const TempDir&) { return "  - { id: b, env: NOT_SET }\n"; }, {}, "env NOT_SET"},
      {"short key in a file",
       [](const TempDir& d) { return "  - { id: b, file: " + d.write("short.key", kShort) + " }\n"; },
       {},
       "short.key"},
      {"malformed base64 in a file",
       [](const TempDir& d) { return "  - { id: b, file: " + d.write("bad.key", kBadBase64) + " }\n"; },
       {},
       "bad.key"},
      {"group-readable key file",
       [&](const TempDir& d) { return "  - { id: b, file: " + d.write("g.key", secret, 0640) + " }\n"; },
       {},
       "is readable or writable by group or others"},
      {"world-readable key file",
       [&](const TempDir& d) { return "  - { id: b, file: " + d.write("w.key", secret, 0644) + " }\n"; },
       {},
       "is readable or writable by group or others"},
      {"missing file",
       [](const TempDir& d) { return "  - { id: b, file: " + d.file("absent.key") + " }\n"; },
       {},
       "absent.key"},
      {"empty file",
       [](const TempDir& d) { return "  - { id: b, file: " + d.write("empty.key", "") + " }\n"; },
       {},
       "empty.key"},
      {"a FIFO",
       [](const TempDir& d) {
         ::mkfifo(d.file("fifo.key").c_str(), 0600);
         return "  - { id: b, file: " + d.file("fifo.key") + " }\n";
       },
       {},
       "fifo.key"},
      {"a directory",
       [](const TempDir& d) { return "  - { id: b, file: " + d.mkdir("dir.key") + " }\n"; },
       {},
       "dir.key"},
      {"a dangling symlink",
       [](const TempDir& d) {
         ::symlink(d.file("nowhere").c_str(), d.file("dangling.key").c_str());
         return "  - { id: b, file: " + d.file("dangling.key") + " }\n";
       },
       {},
       "dangling.key"},
      {"short key in a key directory",
       [](const TempDir& d) {
         d.mkdir("kd");
         d.write("kd/worker-x", kShort);
         return std::string();
       },
       {},
       "worker-x"},
      {"short key on an env file line",
       [](const TempDir& d) {
         d.write("k.env", "# keys\nA_KEY=" + newKey() + "\nB_KEY=" + kShort + "\n");
         return std::string();
       },
       {},
       "line 3"},
  };
  for (const SourceCase& c : cases) {
    std::string extra;
    Keyward kw([&](const TempDir& dir) { return "keys:\n  - { id: good, env: GOOD }\n"; },
               [&] {
                 Env e = c.env;
                 e["GOOD"] = good;
                 return e;
               }());
    ASSERT_TRUE(kw.daemon().waitUntilServing()) << c.why << kw.output();
    std::string lines = c.keysYaml(kw.dir());
    std::string yaml = "keys:\n  - { id: good, env: GOOD }\n" + lines;
    if (::access(kw.dir().file("kd").c_str(), F_OK) == 0)
      yaml += "key_dirs:\n  - { path: " + kw.dir().file("kd") + " }\n";
    if (::access(kw.dir().file("k.env").c_str(), F_OK) == 0)
      yaml += "env_files:\n  - { path: " + kw.dir().file("k.env") + " }\n";
    kw.rewriteConfig(yaml);
    ASSERT_TRUE(kw.reload()) << c.why;
    const std::string status = kw.status();
    EXPECT_NE(status.find("\"result\":\"failed\""), std::string::npos) << c.why << "\n" << status;
    // The status is published before the problems are logged: wait for the line.
    EXPECT_TRUE(kw.daemon().waitForLog(c.expected, 1, 3s)) << c.why << "\n" << kw.output();
    EXPECT_EQ(kw.verifyStatus(good), 200) << c.why;
    expectNoKeyIn(kw.output() + status, {good, secret, kShort, kBadBase64});
  }
}

TEST(HostileSources, KubernetesModeOptOutAcceptsA0644File) {
  std::string key = newKey();
  Keyward kw(
      [&](const TempDir& d) {
        return "keys:\n  - { id: k8s, file: " + d.write("k8s.key", key, 0644) + ", check_permissions: false }\n";
      },
      {});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(key), 200);
}

TEST(HostileConfig, BrokenYamlIsRefusedAndTheOldKeysServe) {
  std::string good = newKey();
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"YAML that does not parse", "keys: [ {id: a, env: GOOD\n"},
      {"wrong types", "workers: many\nkeys: { id: a }\n"},
      {"10,000 levels of nesting", "keys: " + std::string(10000, '[') + std::string(10000, ']') + "\n"},
      {"zero keys", "keys: []\n"},
      {"unknown field", "keys:\n  - { id: good, env: GOOD, scope: admin }\n"},
  };
  Keyward kw("keys:\n  - { id: good, env: GOOD }\n", {{"GOOD", good}});
  ASSERT_TRUE(kw.daemon().waitUntilServing());
  for (const auto& [why, yaml] : cases) {
    kw.rewriteConfig(yaml);
    ASSERT_TRUE(kw.reload()) << why;
    EXPECT_NE(kw.status().find("\"result\":\"failed\""), std::string::npos) << why;
    EXPECT_EQ(kw.verifyStatus(good), 200) << why;
  }
  expectNoKeyIn(kw.output(), {good});
}

TEST(HostileSources, AKeyFileRewrittenDuringReloadsNeverYieldsAMixedKey) {
  // A writer rewrites the file in place (truncate, write) between two valid keys of
  // different lengths while reloads run: each reload must take one whole key or refuse.
  const std::string a = newKey();
  const std::string b = runCommand(KEYGEN_BIN, {"--bytes", "96"}).out.substr(0, 128);
  ASSERT_EQ(b.size(), 128u);
  std::string path;
  Keyward kw(
      [&](const TempDir& d) {
        path = d.write("rotating.key", a);
        return "watch: false\nthrottle: { max_failures: 0 }\nkeys:\n  - { id: spare, env: SPARE }\n  - { id: r, "
               "file: " +
               path + " }\n";
      },
      {{"SPARE", newKey()}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      const std::string& k = i % 2 ? b : a;
      out.write(k.data(), 40);  // in two pieces, so a reader can land in between
      out.flush();
      out.write(k.data() + 40, static_cast<std::streamsize>(k.size() - 40));
    }
  });
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(kw.reload()) << i;
    const int sa = kw.verifyStatus(a), sb = kw.verifyStatus(b);
    EXPECT_TRUE(sa == 200 || sb == 200) << "reload " << i << " lost both keys";
    EXPECT_EQ(kw.verifyStatus(b.substr(0, 44)), 401) << "a mixed or cut key was accepted";
    EXPECT_EQ(kw.verifyStatus(a.substr(0, 40) + b.substr(40, 4)), 401);
  }
  stop = true;
  writer.join();
  expectNoKeyIn(kw.output(), {a, b});
}

TEST(HostileSources, AnUnreadableKeyFileIsRefused) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file; run the suite as a user to cover this case";
  std::string good = newKey();
  Keyward kw(
      [&](const TempDir& d) {
        const std::string locked = d.write("locked.key", newKey(), 0000);
        return "keys:\n  - { id: good, env: GOOD }\n  - { id: locked, file: " + locked + " }\n";
      },
      {{"GOOD", good}});
  EXPECT_EQ(kw.daemon().waitExit(), 1);
  EXPECT_NE(kw.output().find("locked.key"), std::string::npos) << kw.output();
}

TEST(HostileSignals, AHundredSighupsInOneSecondLeaveItServing) {
  std::string good = newKey();
  Keyward kw("keys:\n  - { id: good, env: GOOD }\n", {{"GOOD", good}});
  ASSERT_TRUE(kw.daemon().waitUntilServing());
  HttpConnection conn(kw.port());
  for (int i = 0; i < 100; ++i) {
    kw.daemon().signal(SIGHUP);
    std::this_thread::sleep_for(10ms);
    if (i % 10 == 0) {
      auto r = conn.request("GET", "/v1/verify", {{"X-API-Key", good}});
      ASSERT_TRUE(r) << i;
      EXPECT_EQ(r->status, 200) << i;
    }
  }
  EXPECT_EQ(kw.verifyStatus(good), 200);
  EXPECT_NE(kw.status().find("\"failed\":0"), std::string::npos);
}

}  // namespace
}  // namespace keyward::test
