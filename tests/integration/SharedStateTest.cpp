// Many replicas through one Redis (shared_state:), with a real redis-server started by each
// test on a unix socket (or a loopback port) in its temp directory, saving nothing: a
// shared budget held near its limit by three processes, a revocation on one replica refused
// by the others within a second, fleet-wide usage from any replica, and Redis killed,
// stopped, restarted or guarded by a password while requests keep being answered.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "keyward/base/Digest.h"
#include "keyward/lifecycle/RedisConnection.h"
#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string readStateFile(Keyward& kw, const std::string& name) {
  std::ifstream in(kw.dir().file("state/" + name));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool haveRedis() { return ::access("/usr/bin/redis-server", X_OK) == 0; }

// A redis-server child: no persistence, loopback or a unix socket only.
class RedisServer {
 public:
  enum class Listen { Unix, Tcp };
  explicit RedisServer(Listen listen = Listen::Unix, std::vector<std::string> extra = {})
      : listen_(listen), extra_(std::move(extra)) {
    if (listen_ == Listen::Tcp) port_ = freeLoopbackPort();
    start();
  }
  ~RedisServer() { kill(); }

  std::string url() const {
    return listen_ == Listen::Unix ? "unix:" + dir_.file("redis.sock")
                                   : "redis://127.0.0.1:" + std::to_string(port_) + "/0";
  }
  void start() {
    std::vector<std::string> args = {"redis-server", "--save",    "",          "--appendonly",         "no",
                                     "--dir",        dir_.path(), "--logfile", dir_.file("redis.log"), "--bind",
                                     "127.0.0.1"};
    if (listen_ == Listen::Unix) {
      args.insert(args.end(), {"--port", "0", "--unixsocket", dir_.file("redis.sock"), "--unixsocketperm", "700"});
    } else {
      args.insert(args.end(), {"--port", std::to_string(port_)});
    }
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv("/usr/bin/redis-server", argv.data());
      ::_exit(127);
    }
  }
  // Waits until it answers PING (with `password` if it wants one).
  bool waitReady(const std::string& password = "") {
    std::string problem;
    RedisEndpoint endpoint = *parseRedisUrl(url(), problem);
    for (int i = 0; i < 500; ++i) {
      RedisConnection c(endpoint, 200ms);
      std::vector<RedisReply> replies;
      if (c.connect(password, problem) && c.pipeline({{"PING"}}, replies, problem)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  void pause() { ::kill(pid_, SIGSTOP); }
  void resume() { ::kill(pid_, SIGCONT); }
  const TempDir& dir() const { return dir_; }

 private:
  Listen listen_;
  std::vector<std::string> extra_;
  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

std::string replicaYaml(const std::string& redisUrl, const std::string& more = "",
                        const std::string& timeout = "200ms") {
  return "keys:\n"
         "  - { id: limited, peer: worker, env: A, rate_limit: { requests: 50, per: 1s } }\n"
         "  - { id: counted, peer: worker, env: C }\n"
         "  - { id: admin, peer: ops, env: B, scopes: [admin] }\n"
         "throttle: { max_failures: 0 }\n"
         "shared_state:\n"
         "  redis: \"" +
         redisUrl +
         "\"\n"
         "  sync_interval: 100ms\n"
         "  usage_interval: 200ms\n"
         "  timeout: " +
         timeout + "\n" + more;
}

struct Fleet {
  std::string a = newKey(), b = newKey(), c = newKey();
  std::vector<std::unique_ptr<Keyward>> replicas;
  Fleet(int n, const std::string& yaml) {
    for (int i = 0; i < n; ++i) replicas.push_back(std::make_unique<Keyward>(yaml, Env{{"A", a}, {"B", b}, {"C", c}}));
  }
  bool serving() {
    for (auto& r : replicas) {
      if (!r->daemon().waitUntilServing()) return false;
    }
    return true;
  }
  std::vector<int> ports() const {
    std::vector<int> out;
    for (auto& r : replicas) out.push_back(r->port());
    return out;
  }
  // Every replica's /v1/status says connected == `connected`, within `timeout`.
  bool waitConnected(bool connected, std::chrono::milliseconds timeout) {
    const std::string want = std::string("\"connected\":") + (connected ? "true" : "false");
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      bool all = true;
      for (auto& r : replicas) all = all && r->status().find(want) != std::string::npos;
      if (all) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  void stop() {
    for (auto& r : replicas) {
      r->daemon().signal(SIGTERM);
      EXPECT_EQ(r->daemon().waitExit(), 0) << r->output();
    }
  }
};

struct Sample {
  double atSeconds;  // since the load began
  int status;        // 0: no answer
  double latencyMs;
};

// Sends `rate` verify requests a second with `key`, round-robin over `ports` on keep-alive
// connections, until `stop`; records every answer.
class Load {
 public:
  Load(std::vector<int> ports, std::string key, int rate)
      : ports_(std::move(ports)), key_(std::move(key)), rate_(rate), start_(Clock::now()) {
    thread_ = std::thread([this] { run(); });
  }
  ~Load() { finish(); }
  std::vector<Sample> finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return samples_;
  }
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  void run() {
    std::vector<std::unique_ptr<HttpConnection>> connections;
    for (int port : ports_) connections.push_back(std::make_unique<HttpConnection>(port));
    const auto step = std::chrono::nanoseconds(1'000'000'000 / rate_);
    for (std::size_t i = 0; !stop_; ++i) {
      std::this_thread::sleep_until(start_ + step * i);
      auto& connection = connections[i % connections.size()];
      const auto sent = Clock::now();
      auto answer = connection->request("GET", "/v1/verify", {{"X-API-Key", key_}});
      const auto got = Clock::now();
      samples_.push_back({std::chrono::duration<double>(sent - start_).count(), answer ? answer->status : 0,
                          std::chrono::duration<double, std::milli>(got - sent).count()});
      if (!answer) connection = std::make_unique<HttpConnection>(ports_[i % ports_.size()]);
    }
  }
  std::vector<int> ports_;
  std::string key_;
  int rate_;
  Clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::vector<Sample> samples_;
  std::thread thread_;
};

// Admitted (200) requests in [from, to) seconds of the load.
int admitted(const std::vector<Sample>& samples, double from, double to) {
  int n = 0;
  for (const Sample& s : samples) n += s.atSeconds >= from && s.atSeconds < to && s.status == 200;
  return n;
}

std::string perSecond(const std::vector<Sample>& samples) {
  std::string out;
  const double end = samples.empty() ? 0 : samples.back().atSeconds;
  for (int second = 0; second < end; ++second) out += std::to_string(admitted(samples, second, second + 1)) + " ";
  return out;
}

TEST(SharedState, ThreeReplicasHoldOneKeyNearItsLimit) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.waitReady());
  Fleet fleet(3, replicaYaml(redis.url()));
  ASSERT_TRUE(fleet.serving());
  ASSERT_TRUE(fleet.waitConnected(true, 3s)) << fleet.replicas[0]->status();

  Load load(fleet.ports(), fleet.a, 300);  // 6x the limit, a third on each replica
  std::this_thread::sleep_for(5s);
  std::vector<Sample> samples = load.finish();
  // The first second holds each replica's full burst (3 x 50) on top of the rate; after it
  // the fleet stays near 50/s.
  const int steady = admitted(samples, 1, 5);
  std::cout << "admitted per second: " << perSecond(samples) << "\n";
  EXPECT_GE(steady, 4 * 50 * 0.8) << perSecond(samples);
  EXPECT_LE(steady, 4 * 50 * 1.2) << perSecond(samples);
  for (int second = 1; second < 5; ++second) {
    EXPECT_LE(admitted(samples, second, second + 1), 50 * 1.3) << "second " << second << ": " << perSecond(samples);
  }
  for (const Sample& s : samples) ASSERT_TRUE(s.status == 200 || s.status == 429) << s.status << " at " << s.atSeconds;
  fleet.stop();
  for (auto& r : fleet.replicas) expectNoKeyIn(r->output(), {fleet.a, fleet.b, fleet.c});
}

TEST(SharedState, ARevocationOnOneReplicaIsRefusedByTheOthersAndUsageIsFleetWide) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.waitReady());
  const std::string yaml = replicaYaml(redis.url());
  Fleet fleet(3, yaml);
  ASSERT_TRUE(fleet.serving());
  ASSERT_TRUE(fleet.waitConnected(true, 3s));
  Keyward& a = *fleet.replicas[0];
  Keyward& b = *fleet.replicas[1];
  Keyward& c = *fleet.replicas[2];

  // Usage: 5 calls on A, 7 on C, 3 on B; B's admin API shows all 15.
  for (int i = 0; i < 5; ++i) ASSERT_EQ(a.verifyStatus(fleet.c), 200);
  for (int i = 0; i < 7; ++i) ASSERT_EQ(c.verifyStatus(fleet.c), 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(b.verifyStatus(fleet.c), 200);
  ASSERT_EQ(a.verify({{"X-API-Key", fleet.c + "x"}})->status, 401);  // not counted: not the key
  // Each replica reads the others' figures every usage_interval (200 ms here).
  auto waitShown = [&](int port, const std::string& path, const std::string& text) {
    std::string body;
    const auto deadline = Clock::now() + 3s;
    while (Clock::now() < deadline) {
      body = httpRequest(port, "GET", path, {{"X-API-Key", fleet.b}})->body;
      if (body.find(text) != std::string::npos) break;
      std::this_thread::sleep_for(50ms);
    }
    return body;
  };
  const std::string shown = waitShown(b.port(), "/v1/keys/counted", "\"allowed\":15");
  EXPECT_NE(shown.find("\"allowed\":15"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("\"last_used\":null"), std::string::npos) << shown;
  const std::string list = waitShown(c.port(), "/v1/keys", "\"allowed\":15");
  EXPECT_NE(list.find("\"allowed\":15"), std::string::npos) << list;

  // Revoke the limited key on A only (its config, its reload).
  ASSERT_EQ(b.verifyStatus(fleet.a), 200);
  ASSERT_EQ(c.verifyStatus(fleet.a), 200);
  const std::string revoked =
      "keys:\n  - { id: limited, peer: worker, env: A, status: revoked, revoked_reason: leaked "
      "}\n" +
      yaml.substr(yaml.find("  - { id: counted"));
  a.rewriteConfig(revoked);
  const auto revokedAt = Clock::now();
  ASSERT_TRUE(a.reload());
  EXPECT_EQ(a.verifyStatus(fleet.a), 401);
  bool refusedByB = false, refusedByC = false;
  while (Clock::now() - revokedAt < 3s && !(refusedByB && refusedByC)) {
    refusedByB = refusedByB || b.verifyStatus(fleet.a) == 401;
    refusedByC = refusedByC || c.verifyStatus(fleet.a) == 401;
    if (!(refusedByB && refusedByC)) std::this_thread::sleep_for(10ms);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - revokedAt);
  ASSERT_TRUE(refusedByB && refusedByC) << b.output();
  EXPECT_LT(took, 1000ms) << "a revocation must reach the fleet within a second";
  std::cout << "revocation refused by B and C after " << took.count() << " ms\n";
  EXPECT_EQ(b.verify({{"X-API-Key", fleet.a}})->header("x-keyward-code"), "REVOKED");
  EXPECT_EQ(c.verifyStatus(fleet.c), 200) << "the other keys are untouched";
  EXPECT_TRUE(b.daemon().waitForLog("\"event\":\"shared_revocation\""));
  EXPECT_NE(b.status().find("\"revocations_received\":1"), std::string::npos) << b.status();
  fleet.stop();
  for (auto& r : fleet.replicas) expectNoKeyIn(r->output(), {fleet.a, fleet.b, fleet.c});
}

// The audit wrote "abc" into one budget counter: every sync failed on it, the fleet went
// over the limit and a revocation took 4 s instead of under one. A counter that is not a
// number is reset (and logged); the rest of the sync goes on.
TEST(SharedState, ACounterThatIsNotANumberIsResetAndRevocationsStillTravel) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.waitReady());
  const std::string yaml = replicaYaml(redis.url());
  Fleet fleet(2, yaml);
  ASSERT_TRUE(fleet.serving());
  ASSERT_TRUE(fleet.waitConnected(true, 3s));
  Keyward& a = *fleet.replicas[0];
  Keyward& b = *fleet.replicas[1];

  std::string problem;
  RedisConnection admin(*parseRedisUrl(redis.url(), problem), 500ms);
  ASSERT_TRUE(admin.connect("", problem)) << problem;
  std::vector<RedisReply> replies;
  std::vector<std::string> counters;
  for (auto deadline = Clock::now() + 3s; counters.empty() && Clock::now() < deadline;) {
    ASSERT_EQ(a.verifyStatus(fleet.a), 200);
    ASSERT_EQ(b.verifyStatus(fleet.a), 200);
    std::this_thread::sleep_for(100ms);
    ASSERT_TRUE(admin.pipeline({{"KEYS", "keyward:rate:*"}}, replies, problem)) << problem;
    for (const RedisReply& item : replies.front().items) counters.push_back(item.text);
  }
  ASSERT_FALSE(counters.empty()) << "no budget counter appeared in Redis";
  for (const std::string& key : counters) {
    ASSERT_TRUE(admin.pipeline({{"SET", key, "abc"}}, replies, problem)) << problem;
  }
  // Traffic on both replicas throughout: each sync adds to the broken counter (the audit ran
  // its revocation under load; without traffic the counter is only read, which succeeds).
  std::atomic<bool> loading{true};
  std::thread traffic([&] {
    while (loading) {
      httpRequest(a.port(), "GET", "/v1/verify", {{"X-API-Key", fleet.a}});
      httpRequest(b.port(), "GET", "/v1/verify", {{"X-API-Key", fleet.a}});
      std::this_thread::sleep_for(20ms);
    }
  });
  struct StopOnExit {  // also when an ASSERT below returns early
    std::atomic<bool>& loading;
    std::thread& traffic;
    ~StopOnExit() {
      loading = false;
      if (traffic.joinable()) traffic.join();
    }
  } stopTraffic{loading, traffic};
  std::this_thread::sleep_for(300ms);

  a.rewriteConfig(
      "keys:\n  - { id: limited, peer: worker, env: A, rate_limit: { requests: 50, per: 1s } }\n"
      "  - { id: counted, peer: worker, env: C, status: revoked, revoked_reason: leaked }\n" +
      yaml.substr(yaml.find("  - { id: admin")));
  const auto revokedAt = Clock::now();
  ASSERT_TRUE(a.reload());
  ASSERT_EQ(a.verifyStatus(fleet.c), 401);
  bool refused = false;
  while (!refused && Clock::now() - revokedAt < 3s) {
    refused = b.verifyStatus(fleet.c) == 401;
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - revokedAt);
  EXPECT_TRUE(refused) << b.status();
  EXPECT_LT(took, 1000ms) << "a revocation must reach the fleet within a second";
  EXPECT_TRUE(fleet.waitConnected(true, 1s)) << a.status() << b.status();
  const bool logged = a.output().find("shared_state_repaired") != std::string::npos ||
                      b.output().find("shared_state_repaired") != std::string::npos;
  EXPECT_TRUE(logged) << "the reset is logged";
  ASSERT_TRUE(admin.pipeline({{"GET", counters.front()}}, replies, problem)) << problem;
  EXPECT_NE(replies.front().text, "abc") << "the counter was reset";
  fleet.stop();
}

// The audit gave a fourth replica the name of the first: one request on it reset the first
// one's totals in Redis (24,383 allowed became 1) without a word in any log.
TEST(SharedState, ASecondReplicaWithTheSameNameNeverOverwritesTheFirstOnesUsage) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.waitReady());
  const std::string yaml = replicaYaml(redis.url(), "  replica_name: r1\n");
  Fleet fleet(1, yaml);
  ASSERT_TRUE(fleet.serving());
  ASSERT_TRUE(fleet.waitConnected(true, 3s));
  Keyward& first = *fleet.replicas[0];
  for (int i = 0; i < 20; ++i) ASSERT_EQ(first.verifyStatus(fleet.c), 200);

  std::string problem;
  RedisConnection admin(*parseRedisUrl(redis.url(), problem), 500ms);
  ASSERT_TRUE(admin.connect("", problem)) << problem;
  auto pushedAllowed = [&]() -> std::string {
    std::vector<RedisReply> replies;
    if (!admin.pipeline({{"HGET", "keyward:usage:r1", "counted"}}, replies, problem)) return "?";
    return replies.front().text.substr(0, replies.front().text.find(' '));
  };
  for (auto deadline = Clock::now() + 3s; pushedAllowed() != "20" && Clock::now() < deadline;)
    std::this_thread::sleep_for(50ms);
  ASSERT_EQ(pushedAllowed(), "20");

  Keyward second(yaml, {{"A", fleet.a}, {"B", fleet.b}, {"C", fleet.c}});
  ASSERT_TRUE(second.daemon().waitUntilServing()) << second.output();
  EXPECT_EQ(second.verifyStatus(fleet.c), 200);
  EXPECT_TRUE(second.daemon().waitForLog("shared_state_name_taken", 1, 3s)) << second.output();
  std::this_thread::sleep_for(600ms);  // three usage intervals
  EXPECT_EQ(pushedAllowed(), "20") << "the second copy overwrote the first one's totals";

  // Once the first stops cleanly it gives the name up, and the second takes it.
  fleet.stop();
  EXPECT_TRUE(second.daemon().waitForLog("the replica name is free again", 1, 3s)) << second.output();
}

TEST(SharedState, RedisKilledMidLoadThenRestarted) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.waitReady());
  Fleet fleet(3, replicaYaml(redis.url()));
  ASSERT_TRUE(fleet.serving());
  ASSERT_TRUE(fleet.waitConnected(true, 3s));

  Load load(fleet.ports(), fleet.a, 300);
  std::this_thread::sleep_for(2s);
  redis.kill();
  const double killedAt = load.elapsed();
  EXPECT_TRUE(fleet.waitConnected(false, 2s)) << fleet.replicas[0]->status();
  EXPECT_EQ(httpRequest(fleet.replicas[1]->port(), "GET", "/readyz")->status, 200) << "redis is not needed to be ready";
  auto metrics = httpRequest(fleet.replicas[1]->port(), "GET", "/metrics");
  EXPECT_NE(metrics->body.find("keyward_shared_state_up 0"), std::string::npos);
  std::this_thread::sleep_for(2s);
  const double restartedAt = load.elapsed();
  redis.start();
  ASSERT_TRUE(redis.waitReady());
  const auto restarted = Clock::now();
  EXPECT_TRUE(fleet.waitConnected(true, 5s)) << fleet.replicas[0]->status();
  std::cout << "shared accounting resumed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - restarted).count()
            << " ms after redis came back\n";
  const double resumedAt = load.elapsed();
  std::this_thread::sleep_for(3s);
  std::vector<Sample> samples = load.finish();
  std::cout << "admitted per second: " << perSecond(samples) << " (killed at " << killedAt << " s, back at "
            << restartedAt << " s, shared again at " << resumedAt << " s)\n";

  int failed = 0;
  for (const Sample& s : samples) failed += !(s.status == 200 || s.status == 429);
  EXPECT_EQ(failed, 0) << "a valid key must never fail because redis is away";
  // Alone, each replica holds the key to the whole limit: up to 3 x 50 a second.
  const int alone = admitted(samples, killedAt + 1, killedAt + 2);
  EXPECT_GE(alone, 50 * 3 * 0.6) << perSecond(samples);
  EXPECT_LE(alone, 50 * 3 * 1.2) << perSecond(samples);
  // Shared again: near 50/s once the budgets have caught up (a second).
  const int shared = admitted(samples, resumedAt + 1, resumedAt + 3);
  EXPECT_LE(shared, 2 * 50 * 1.3) << perSecond(samples);
  EXPECT_GE(shared, 2 * 50 * 0.7) << perSecond(samples);
  fleet.stop();
  EXPECT_TRUE(fleet.replicas[0]->daemon().waitForLog("redis unavailable", 1, 1s));
  EXPECT_TRUE(fleet.replicas[0]->daemon().waitForLog("redis is back", 1, 1s));
}

TEST(SharedState, AStoppedRedisSlowsNoRequest) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.waitReady());
  // A 1 s Redis timeout: a request that waited for Redis would take that long at least.
  Fleet fleet(2, replicaYaml(redis.url(), "", "1s"));
  ASSERT_TRUE(fleet.serving());
  ASSERT_TRUE(fleet.waitConnected(true, 3s));
  Load load(fleet.ports(), fleet.c, 200);
  std::this_thread::sleep_for(500ms);
  redis.pause();
  EXPECT_TRUE(fleet.waitConnected(false, 3s)) << fleet.replicas[0]->status();
  EXPECT_NE(fleet.replicas[0]->status().find("no reply within the timeout (1000ms)"), std::string::npos)
      << fleet.replicas[0]->status();
  EXPECT_EQ(httpRequest(fleet.replicas[0]->port(), "GET", "/readyz")->status, 200);
  std::this_thread::sleep_for(1000ms);
  redis.resume();
  EXPECT_TRUE(fleet.waitConnected(true, 5s)) << fleet.replicas[0]->status();
  std::vector<Sample> samples = load.finish();
  double slowest = 0;
  for (const Sample& s : samples) {
    ASSERT_EQ(s.status, 200) << "at " << s.atSeconds;
    slowest = std::max(slowest, s.latencyMs);
  }
  std::cout << samples.size() << " requests, slowest " << slowest << " ms\n";
  EXPECT_LT(slowest, 500) << "verification never waits for redis (1 s timeout)";
  fleet.stop();
}

TEST(SharedState, RedisPasswordFromAFileAndAWrongOne) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  const std::string password = "pw-" + newKey().substr(0, 20);
  RedisServer redis(RedisServer::Listen::Tcp, {"--requirepass", password});
  ASSERT_TRUE(redis.waitReady(password));
  const std::string a = newKey(), b = newKey(), c = newKey();
  const Env env{{"A", a}, {"B", b}, {"C", c}};
  auto withPassword = [&](const std::string& text) {
    return [&, text](const TempDir& dir) {
      dir.write("redis.pass", text + "\n", 0600);
      return replicaYaml(redis.url(), "  password_file: " + dir.file("redis.pass") + "\n");
    };
  };
  Keyward right(withPassword(password), env);
  Keyward wrong(withPassword("not-" + password), env);
  ASSERT_TRUE(right.daemon().waitUntilServing());
  ASSERT_TRUE(wrong.daemon().waitUntilServing());
  const auto deadline = Clock::now() + 3s;
  while (Clock::now() < deadline && (right.status().find("\"connected\":true") == std::string::npos ||
                                     wrong.status().find("WRONGPASS") == std::string::npos)) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_NE(right.status().find("\"connected\":true"), std::string::npos) << right.status();
  const std::string status = wrong.status();
  EXPECT_NE(status.find("\"connected\":false"), std::string::npos) << status;
  EXPECT_NE(status.find("WRONGPASS"), std::string::npos) << status;
  EXPECT_EQ(wrong.verifyStatus(a), 200) << "a wrong redis password never stops verification";
  EXPECT_EQ(httpRequest(wrong.port(), "GET", "/readyz")->status, 200);
  EXPECT_TRUE(wrong.daemon().waitForLog("WRONGPASS"));
  auto metrics = httpRequest(wrong.port(), "GET", "/metrics")->body;
  EXPECT_NE(metrics.find("keyward_shared_state_up 0"), std::string::npos);
  for (Keyward* kw : {&right, &wrong}) {
    kw->daemon().signal(SIGTERM);
    EXPECT_EQ(kw->daemon().waitExit(), 0);
    EXPECT_EQ(kw->output().find(password), std::string::npos) << "the redis password appears in the output";
    expectNoKeyIn(kw->output(), {a, b, c});
  }
}

// Issue 16: a leak suspension recorded by one replica is refused by every replica within the
// bound of revocations (< 1 s), kept by each across restarts, and `keyward leaked --clear`
// on any replica clears it everywhere.
TEST(SharedState, ALeakReportedOnOneReplicaIsSuspendedOnAllAndClearedOnAll) {
  if (!haveRedis()) GTEST_SKIP() << "redis-server is not installed";
  RedisServer redis;
  ASSERT_TRUE(redis.waitReady());
  const std::string a = newKey(), b = newKey(), c = newKey();
  const Env env{{"A", a}, {"B", b}, {"C", c}};
  std::vector<std::unique_ptr<Keyward>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<Keyward>(
        [&](const TempDir& dir) {
          dir.write("admin.key", b + "\n");
          dir.write("leaked.key", c + "\n");
          return "state_dir: " + dir.file("state") + "\n" + replicaYaml(redis.url());
        },
        env));
  }
  for (auto& r : replicas) ASSERT_TRUE(r->daemon().waitUntilServing()) << r->output();
  for (auto& r : replicas) {
    const auto deadline = Clock::now() + 3s;
    while (Clock::now() < deadline && r->status().find("\"connected\":true") == std::string::npos) {
      std::this_thread::sleep_for(20ms);
    }
    ASSERT_NE(r->status().find("\"connected\":true"), std::string::npos) << r->status();
  }
  Keyward& one = *replicas[0];
  Keyward& two = *replicas[1];
  Keyward& three = *replicas[2];
  auto url = [](Keyward& kw) { return "http://127.0.0.1:" + std::to_string(kw.port()); };
  auto code = [&](Keyward& kw) {
    auto r = kw.verify({{"X-API-Key", c}});
    return r ? r->header("x-keyward-code") : std::string("no answer");
  };
  // Polls every replica in `which` until each answers `wanted` for key C; the time it took.
  auto waitAll = [&](std::vector<Keyward*> which, const std::string& wanted) {
    const auto started = Clock::now();
    while (Clock::now() - started < 3s) {
      bool all = true;
      for (Keyward* kw : which) all = all && (wanted.empty() ? kw->verifyStatus(c) == 200 : code(*kw) == wanted);
      if (all) break;
      std::this_thread::sleep_for(10ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  };
  for (auto& r : replicas) ASSERT_EQ(r->verifyStatus(c), 200);

  CommandResult reported = runCommand(KEYWARD_BIN, {"leaked", "--key-file", one.dir().file("leaked.key"), "--url",
                                                    url(one), "--admin-key-file", one.dir().file("admin.key")});
  ASSERT_EQ(reported.exitCode, 0) << reported.out << reported.err;
  EXPECT_EQ(code(one), "SUSPENDED");
  const auto suspendedIn = waitAll({&two, &three}, "SUSPENDED");
  EXPECT_EQ(code(two), "SUSPENDED") << two.output();
  EXPECT_EQ(code(three), "SUSPENDED") << three.output();
  EXPECT_LT(suspendedIn, 1000ms) << "a leak suspension must reach the fleet within a second, like a revocation";
  std::cout << "leak suspension refused by the two other replicas after " << suspendedIn.count() << " ms\n";
  EXPECT_EQ(two.verifyStatus(a), 200) << "the other keys are untouched";
  EXPECT_TRUE(two.daemon().waitForLog("\"event\":\"shared_leak\"")) << two.output();

  // Sticky: a replica restarted keeps it from its own suspended.json (and from Redis).
  ASSERT_TRUE(three.restart()) << three.output();
  EXPECT_EQ(code(three), "SUSPENDED");
  EXPECT_NE(readStateFile(three, "suspended.json").find(toHex(sha256(c))), std::string::npos);

  // What replica three has on disk now, to bring it back as if it had been away for the clear.
  const std::string staleList = readStateFile(three, "suspended.json");

  // Cleared on another replica than the one that recorded it: cleared on all of them.
  CommandResult cleared = runCommand(KEYWARD_BIN, {"leaked", "--clear", "counted", "--url", url(two),
                                                   "--admin-key-file", two.dir().file("admin.key")});
  ASSERT_EQ(cleared.exitCode, 0) << cleared.out << cleared.err;
  const auto clearedIn = waitAll({&one, &two, &three}, "");
  EXPECT_EQ(one.verifyStatus(c), 200) << one.output();
  EXPECT_EQ(three.verifyStatus(c), 200) << three.output();
  EXPECT_LT(clearedIn, 1000ms);
  std::cout << "leak suspension cleared on the fleet after " << clearedIn.count() << " ms\n";
  EXPECT_TRUE(one.daemon().waitForLog("\"event\":\"shared_leak_cleared\"")) << one.output();
  // And the clear is sticky too: a restart does not bring the suspension back.
  ASSERT_TRUE(one.restart()) << one.output();
  std::this_thread::sleep_for(300ms);  // a few sync rounds
  EXPECT_EQ(one.verifyStatus(c), 200) << one.output();
  EXPECT_EQ(readStateFile(one, "suspended.json").find(toHex(sha256(c))), std::string::npos);

  // A replica that missed the clear (its suspended.json still lists the key) takes the
  // fleet's newer clear when it comes back, and does not bring the suspension back to the others.
  three.dir().write("state/suspended.json", staleList);
  ASSERT_TRUE(three.restart()) << three.output();
  EXPECT_LT(waitAll({&three}, ""), 1000ms);
  EXPECT_EQ(three.verifyStatus(c), 200) << three.output();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(one.verifyStatus(c), 200);
  EXPECT_EQ(two.verifyStatus(c), 200);

  for (auto& r : replicas) {
    r->daemon().signal(SIGTERM);
    EXPECT_EQ(r->daemon().waitExit(), 0) << r->output();
    expectNoKeyIn(r->output(), {a, b, c});
  }
}

}  // namespace
}  // namespace keyward::test
