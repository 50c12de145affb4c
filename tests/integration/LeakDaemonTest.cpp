// Leaked keys through the real binaries: a leak report suspends a key at once, on the next
// request, across reloads and restarts, until an operator clears it; prefixed keys with a
// wrong checksum are refused at load; `keyward scan` finds keys in a tree; every reload
// says what it changed.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "keyward/base/Digest.h"
#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

std::string prefixedKey(const std::string& prefix = "acme_live") {
  CommandResult r = runCommand(KEYGEN_BIN, {"--prefix", prefix});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  return r.out.substr(0, r.out.find('\n'));
}

std::string codeOf(const std::optional<HttpResponse>& r) { return r ? r->header("x-keyward-code") : "no answer"; }

std::optional<HttpResponse> post(int port, const std::string& path, const std::string& key, const std::string& body) {
  HttpConnection c(port);
  c.sendRaw("POST " + path + " HTTP/1.1\r\nHost: t\r\nX-API-Key: " + key +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  return c.readResponse();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Leaks, AReportSuspendsTheKeyAtOnceAcrossReloadsAndRestartsUntilCleared) {
  const std::string admin = newKey(), reporter = newKey(), leaked = prefixedKey(), other = newKey();
  std::string stateDir;
  Keyward kw(
      [&](const TempDir& dir) {
        stateDir = dir.file("state");
        dir.write("admin.key", admin + "\n");
        return "state_dir: " + stateDir +
               "\nkeys:\n"
               "  - { id: admin, env: ADMIN, scopes: [admin] }\n"
               "  - { id: scanner, env: REPORTER, scopes: ['leaks:report'] }\n"
               "  - { id: worker, peer: worker, env: LEAKED }\n"
               "  - { id: worker-2, peer: worker, env: OTHER }\n";
      },
      {{"ADMIN", admin}, {"REPORTER", reporter}, {"LEAKED", leaked}, {"OTHER", other}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  ASSERT_EQ(kw.verifyStatus(leaked), 200) << "a prefixed key is accepted like any key";

  // GitHub's partner alert shape, with a token that was never a key beside the real one:
  // the answer is the same for a report of only unknown tokens.
  const std::string report =
      "[{\"token\":\"" + leaked +
      "\",\"type\":\"acme_live\",\"url\":\"https://github.com/o/r/blob/abc/.env\","
      "\"source\":\"content\"},{\"token\":\"not-a-key\",\"type\":\"x\",\"url\":\"\",\"source\":\"\"}]";
  auto answered = post(kw.port(), "/v1/leaks", reporter, report);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->status, 200) << answered->raw;
  EXPECT_EQ(answered->body, "{\"received\":2}");
  auto unknown = post(kw.port(), "/v1/leaks", reporter,
                      "[{\"token\":\"" + newKey() +
                          "\",\"type\":\"x\",\"url\":\"\",\"source\":\"\"},"
                          "{\"token\":\"b\",\"type\":\"x\",\"url\":\"\",\"source\":\"\"}]");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 200);
  EXPECT_EQ(unknown->body, answered->body) << "unknown tokens are answered alike";

  // On disk before the answer (not at the next state tick, 10 s away): a crash right after
  // the report cannot bring the key back.
  EXPECT_NE(readFile(stateDir + "/suspended.json").find(toHex(sha256(leaked))), std::string::npos);

  // The next request is refused; the other key of the peer goes on.
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", leaked}})), "SUSPENDED");
  EXPECT_EQ(kw.verifyStatus(other), 200);
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"key_leaked\"")) << kw.output();
  const std::string fp = fingerprintOfKey(leaked);
  EXPECT_NE(kw.output().find(fp), std::string::npos) << "logged with its fingerprint";
  EXPECT_NE(kw.output().find("https://github.com/o/r/blob/abc/.env"), std::string::npos) << "and where it leaked";
  auto shown = httpRequest(kw.port(), "GET", "/v1/keys/worker", {{"X-API-Key", admin}});
  ASSERT_TRUE(shown);
  EXPECT_NE(shown->body.find("\"status\":\"suspended\""), std::string::npos) << shown->body;
  EXPECT_NE(shown->body.find("\"leaked\":true"), std::string::npos) << shown->body;
  auto metrics = httpRequest(kw.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("keyward_leak_suspensions_total 1"), std::string::npos);
  EXPECT_NE(metrics->body.find("keyward_leak_suspended_keys 1"), std::string::npos);

  // A reporter can suspend, never list or clear; a worker key cannot report.
  EXPECT_EQ(httpRequest(kw.port(), "GET", "/v1/leaks", {{"X-API-Key", reporter}})->status, 403);
  EXPECT_EQ(httpRequest(kw.port(), "DELETE", "/v1/leaks/worker", {{"X-API-Key", reporter}})->status, 403);
  EXPECT_EQ(post(kw.port(), "/v1/leaks", other, "[]")->status, 403);
  EXPECT_EQ(post(kw.port(), "/v1/leaks", reporter, "{\"token\":1}")->status, 400);

  const std::string url0 = "http://127.0.0.1:" + std::to_string(kw.port());
  CommandResult keysList =
      runCommand(KEYWARD_BIN, {"keys", "list", "--url", url0, "--admin-key-file", kw.dir().file("admin.key")});
  EXPECT_EQ(keysList.exitCode, 0) << keysList.err;
  EXPECT_NE(keysList.out.find("suspended (leaked)"), std::string::npos) << keysList.out;

  // Sticky: a reload and a restart keep it refused.
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", leaked}})), "SUSPENDED");
  ASSERT_TRUE(kw.restart()) << kw.output();
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", leaked}})), "SUSPENDED")
      << "suspended.json: " << readFile(stateDir + "/suspended.json");
  EXPECT_EQ(readFile(stateDir + "/state.json").find(toHex(sha256(leaked))), std::string::npos)
      << "suspensions are not kept in state.json (which may be set aside)";

  // The operator lists and clears it; it works again, also after a restart.
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());
  const std::string adminFile = kw.dir().file("admin.key");
  CommandResult listed = runCommand(KEYWARD_BIN, {"leaked", "--list", "--url", url, "--admin-key-file", adminFile});
  EXPECT_EQ(listed.exitCode, 0) << listed.err;
  EXPECT_NE(listed.out.find("worker  " + fp), std::string::npos) << listed.out;
  CommandResult cleared =
      runCommand(KEYWARD_BIN, {"leaked", "--clear", "worker", "--url", url, "--admin-key-file", adminFile});
  EXPECT_EQ(cleared.exitCode, 0) << cleared.err;
  EXPECT_EQ(kw.verifyStatus(leaked), 200);
  ASSERT_TRUE(kw.restart()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(leaked), 200);

  // keyward leaked --key-file reports a key file the same way.
  kw.dir().write("leaked.key", leaked + "\n");
  const std::string newUrl = "http://127.0.0.1:" + std::to_string(kw.port());  // port 0: a new one after restart
  CommandResult reported = runCommand(KEYWARD_BIN, {"leaked", "--key-file", kw.dir().file("leaked.key"), "--url",
                                                    newUrl, "--admin-key-file", adminFile});
  EXPECT_EQ(reported.exitCode, 0) << reported.err;
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", leaked}})), "SUSPENDED");
  expectNoKeyIn(kw.output() + listed.out + listed.err + cleared.out + reported.out + reported.err,
                {leaked, admin, reporter, other});
}

TEST(Leaks, APrefixedKeyWithAWrongChecksumIsRefusedAtLoadNamingItsSource) {
  std::string typo = prefixedKey();
  typo[12] = typo[12] == 'Q' ? 'R' : 'Q';
  TempDir dir;
  const std::string config = dir.write("k.yaml", "keys:\n  - { id: w, env: WORKER_KEY }\n");
  CommandResult r = runCommand(KEYWARD_BIN, {"--check-config", "--config", config}, "", {{"WORKER_KEY", typo}});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE((r.out + r.err).find("WORKER_KEY"), std::string::npos) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("wrong checksum"), std::string::npos) << r.out << r.err;
  expectNoKeyIn(r.out + r.err, {typo});
}

TEST(Leaks, ScanFindsKeysInATreeAndFailsOnlyOnLiveOnes) {
  TempDir dir;
  const std::string configured = newKey(), prefixed = prefixedKey(), stray = prefixedKey("other_app");
  std::string typo = prefixed;
  typo[20] = typo[20] == 'a' ? 'b' : 'a';
  const std::string config = dir.write("k.yaml", "keys:\n  - { id: worker, env: W }\n  - { id: pre, env: P }\n");
  dir.mkdir("repo");
  dir.mkdir("repo/src");
  dir.mkdir("repo/.git");
  dir.write("repo/src/client.py", "import os\n\nKEY = \"" + configured + "\"\n");
  dir.write("repo/deploy.yaml", "env:\n  - name: API_KEY\n    value: " + prefixed + "\n");
  dir.write("repo/.env", "A=1\nOTHER_KEY=" + stray + "\n");
  dir.write("repo/settings.json", "{\"decoy\": \"" + typo + "\", \"n\": \"" + newKey() + "\"}\n");
  dir.write("repo/.git/config", "token=" + configured + "\n");
  dir.write("repo/blob.bin", std::string("\0\0", 2) + prefixed);
  const Env env = {{"W", configured}, {"P", prefixed}};

  CommandResult r = runCommand(KEYWARD_BIN, {"scan", "--config", config, dir.file("repo")}, "", env);
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.out.find("client.py:3: key fingerprint " + fingerprintOfKey(configured) + " configured key 'worker'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("deploy.yaml:3: prefixed key acme_live_... fingerprint " + fingerprintOfKey(prefixed) +
                       " configured key 'pre'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find(".env:2: prefixed key other_app_... fingerprint " + fingerprintOfKey(stray) + " (not in the config)"),
      std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("settings.json"), std::string::npos) << "decoys: " << r.out;
  EXPECT_EQ(r.out.find(".git"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("blob.bin"), std::string::npos) << r.out;
  expectNoKeyIn(r.out + r.err, {configured, prefixed, stray});

  // Standard input, and a clean tree.
  CommandResult fromStdin = runCommand(KEYWARD_BIN, {"scan", "--no-config", "-"}, "x: " + prefixed + "\n");
  EXPECT_EQ(fromStdin.exitCode, 1);
  EXPECT_NE(fromStdin.out.find("(stdin):1: prefixed key acme_live_"), std::string::npos) << fromStdin.out;
  dir.mkdir("clean");
  dir.write("clean/a.txt", "nothing " + typo + "\n");
  EXPECT_EQ(runCommand(KEYWARD_BIN, {"scan", "--config", config, dir.file("clean")}, "", env).exitCode, 0);
}

TEST(Reload, EveryReloadSaysWhatChangedInStatusLogAndStateFile) {
  const std::string a = newKey(), b = newKey(), c = newKey(), c2 = newKey(), d = newKey();
  std::string stateDir;
  Keyward kw(
      [&](const TempDir& dir) {
        stateDir = dir.file("state");
        return "state_dir: " + stateDir +
               "\nkeys:\n  - { id: a, env: A }\n  - { id: b, env: B, scopes: [read] }\n  - { id: c, env: C }\n";
      },
      {{"A", a}, {"B", b}, {"C", c}, {"C2", c2}, {"D", d}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  kw.rewriteConfig("state_dir: " + stateDir +
                   "\nkeys:\n  - { id: b, env: B, scopes: [read, write] }\n  - { id: c, env: C2 }\n"
                   "  - { id: d, env: D }\n");
  ASSERT_TRUE(kw.reload());
  const std::string expected =
      "\"changes\":{\"added\":[\"d\"],\"removed\":[\"a\"],\"policy_changed\":[\"b\"],"
      "\"secret_changed\":[{\"id\":\"c\",\"old\":\"" +
      fingerprintOfKey(c) + "\",\"new\":\"" + fingerprintOfKey(c2) + "\"}]";
  EXPECT_NE(kw.status().find(expected), std::string::npos) << kw.status();
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"reload_diff\"")) << kw.output();
  std::string state;
  for (int i = 0; i < 50 && state.find("last_reload") == std::string::npos; ++i) {
    std::this_thread::sleep_for(50ms);
    state = readFile(stateDir + "/state.json");
  }
  EXPECT_NE(state.find("\"last_reload\":{\"added\":[\"d\"]"), std::string::npos) << state;
  expectNoKeyIn(kw.output() + state, {a, b, c, c2, d});
}

}  // namespace
}  // namespace keyward::test

namespace keyward::test {
namespace {

TEST(Reload, DryRunListsTheDecisionsAConfigChangeWouldFlipAndAppliesNothing) {
  const std::string admin = newKey(), worker = newKey(), other = newKey(), paused = newKey();
  auto config = [&](const std::string& keys) {
    return "keys:\n  - { id: admin, env: ADMIN, scopes: [admin] }\n" + keys +
           "routes:\n  - { methods: [GET], path: '/runs/*', scope: runs:read }\n";
  };
  Keyward kw(config("  - { id: worker, env: WORKER, peer: worker, scopes: [runs:read] }\n"
                    "  - { id: other, env: OTHER, peer: worker, scopes: [runs:read] }\n"
                    "  - { id: paused, env: PAUSED, peer: worker, scopes: [runs:read], status: suspended }\n"),
             {{"ADMIN", admin}, {"WORKER", worker}, {"OTHER", other}, {"PAUSED", paused}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  for (const std::string& key : {worker, other, paused}) {
    kw.verify({{"X-API-Key", key}, {"X-Original-Method", "GET"}, {"X-Original-URI", "/runs/7"}});
  }
  kw.dir().write("admin.key", admin + "\n");
  // The new config: worker loses its scope and moves peer, other is gone, paused is active.
  const std::string next = kw.dir().write(
      "next.yaml", "watch: false\n" + config("  - { id: worker, env: WORKER, peer: batch, scopes: [] }\n"
                                             "  - { id: paused, env: PAUSED, peer: worker, scopes: [runs:read] }\n"));
  CommandResult r =
      runCommand(KEYWARD_BIN,
                 {"reload", "--dry-run", "--config", next, "--url", "http://127.0.0.1:" + std::to_string(kw.port()),
                  "--admin-key-file", kw.dir().file("admin.key")},
                 "", {{"ADMIN", admin}, {"WORKER", worker}, {"OTHER", other}, {"PAUSED", paused}});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("flip worker GET /runs/7 at "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": allow -> INSUFFICIENT_SCOPE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("flip other GET /runs/7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": allow -> INVALID_KEY"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("flip paused GET /runs/7"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": SUSPENDED -> allow"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("key worker: peer worker -> batch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("key worker: scopes runs:read -> -"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("3 recorded decision(s) would change"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("flip admin"), std::string::npos) << r.out;
  // Nothing applied.
  EXPECT_EQ(kw.reloadsFinished(), 1);
  EXPECT_EQ(kw.verifyStatus(other), 200);
  expectNoKeyIn(r.out + r.err + kw.output(), {admin, worker, other, paused});

  // The same config as running: nothing would flip.
  const std::string same = kw.dir().file("keyward.yaml");
  CommandResult unchanged =
      runCommand(KEYWARD_BIN,
                 {"reload", "--dry-run", "--config", same, "--url", "http://127.0.0.1:" + std::to_string(kw.port()),
                  "--admin-key-file", kw.dir().file("admin.key")},
                 "", {{"ADMIN", admin}, {"WORKER", worker}, {"OTHER", other}, {"PAUSED", paused}});
  EXPECT_EQ(unchanged.exitCode, 0) << unchanged.out << unchanged.err;
  EXPECT_NE(unchanged.out.find("no recorded decision would change"), std::string::npos) << unchanged.out;
}

}  // namespace
}  // namespace keyward::test

namespace keyward::test {
namespace {

TEST(Leaks, OnlyTheLeakReportBodyIsReadBoundedByItsOwnLimitAndMayArriveLate) {
  const std::string admin = newKey(), worker = newKey();
  Keyward kw("keys:\n  - { id: admin, env: ADMIN, scopes: [admin] }\n  - { id: worker, env: WORKER }\n",
             {{"ADMIN", admin}, {"WORKER", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  // The body comes 200 ms after the head: the report waits for it, on the same connection.
  const std::string body = "[{\"token\":\"" + worker + "\",\"type\":\"t\",\"url\":\"u\",\"source\":\"s\"}]";
  HttpConnection c(kw.port());
  ASSERT_TRUE(c.sendRaw("POST /v1/leaks HTTP/1.1\r\nHost: t\r\nX-API-Key: " + admin +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, 10)));
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(c.sendRaw(body.substr(10)));
  auto answer = c.readResponse();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->raw;
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", worker}})), "SUSPENDED");
  // Keep-alive goes on after the body.
  auto next = c.request("GET", "/healthz");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);

  // max_body_bytes (1 KiB by default) still bounds every other path; /v1/leaks has 64 KiB.
  HttpConnection big(kw.port());
  big.sendRaw("POST /v1/verify HTTP/1.1\r\nHost: t\r\nContent-Length: 4096\r\n\r\n");
  auto refused = big.readResponse();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 413);
  HttpConnection huge(kw.port());
  huge.sendRaw("POST /v1/leaks HTTP/1.1\r\nHost: t\r\nX-API-Key: " + admin + "\r\nContent-Length: 65537\r\n\r\n");
  auto tooBig = huge.readResponse();
  ASSERT_TRUE(tooBig);
  EXPECT_EQ(tooBig->status, 413);
  auto fits = post(kw.port(), "/v1/leaks", admin, "[" + std::string(4000, ' ') + "]");
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200) << "a report larger than max_body_bytes is read";
  expectNoKeyIn(kw.output(), {admin, worker});
}

// The audit of issue 16: each suspension of a report was written (with an fsync) one after
// another, on the event loop: 300 tokens took 2.6 s, and every verify on that loop waited.
// Now the report is written once. One worker, so that the bystander shares the reporter's
// loop: the stall would show in full.
TEST(Leaks, AReportOf300KeysIsWrittenOnceAndStallsNoVerify) {
  constexpr int kKeys = 300;
  const std::string admin = newKey(), bystander = newKey();
  Env env{{"ADMIN", admin}, {"BYSTANDER", bystander}};
  std::string yaml = "keys:\n  - { id: admin, env: ADMIN, scopes: [admin] }\n  - { id: bystander, env: BYSTANDER }\n";
  std::vector<std::string> reported;
  for (int i = 0; i < kKeys; ++i) {
    reported.push_back(newKey());
    env["K" + std::to_string(i)] = reported.back();
    yaml += "  - { id: k" + std::to_string(i) + ", env: K" + std::to_string(i) + " }\n";
  }
  std::string stateDir;
  Keyward kw(
      [&](const TempDir& dir) {
        stateDir = dir.file("state");
        return "workers: 1\nstate_dir: " + stateDir + "\n" + yaml;
      },
      env);
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  std::string report = "[";
  for (int i = 0; i < kKeys; ++i) {
    report +=
        std::string(i ? "," : "") + "{\"token\":\"" + reported[i] + "\",\"type\":\"x\",\"url\":\"\",\"source\":\"t\"}";
  }
  report += "]";

  // A bystander verifies on its own connection all along; its slowest answer is the stall.
  std::atomic<bool> stop{false};
  std::atomic<long long> worstUs{0};
  std::atomic<int> answered{0};
  std::thread verifier([&] {
    HttpConnection c(kw.port());
    while (!stop.load()) {
      const auto t0 = std::chrono::steady_clock::now();
      auto r = c.request("GET", "/v1/verify", {{"X-API-Key", bystander}});
      const long long us =
          std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
      if (!r || r->status != 200) break;
      ++answered;
      if (us > worstUs.load()) worstUs = us;
    }
  });
  std::this_thread::sleep_for(200ms);
  const auto posted = std::chrono::steady_clock::now();
  auto answer = post(kw.port(), "/v1/leaks", admin, report);
  const auto postMs =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - posted).count();
  std::this_thread::sleep_for(200ms);
  stop = true;
  verifier.join();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->raw;
  std::cout << "POST /v1/leaks of " << kKeys << " keys: " << postMs << " ms; worst verify meanwhile "
            << worstUs.load() / 1000.0 << " ms over " << answered.load() << " answers\n";
  EXPECT_GT(answered.load(), 0);
  EXPECT_LT(postMs, 1000) << "one write for the report, not one per key";
  EXPECT_LT(worstUs.load(), 500'000) << "verify waited for the leak report";

  const std::string onDisk = readFile(stateDir + "/suspended.json");
  for (const std::string& k : reported) {
    ASSERT_NE(onDisk.find(toHex(sha256(k))), std::string::npos) << "every suspension is on disk before the answer";
  }
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", reported.front()}})), "SUSPENDED");
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", reported.back()}})), "SUSPENDED");
  EXPECT_EQ(kw.verifyStatus(bystander), 200);
  auto metrics = httpRequest(kw.port(), "GET", "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("keyward_leak_suspended_keys 300"), std::string::npos);
}

// A suspension that cannot be written is an error for the reporter (503, `keyward leaked`
// exits 2) and the log (leak_not_saved, with the path), never "reported" and lost at the
// next restart. The key stays refused by this process (fail closed). A directory where
// suspended.json goes makes the atomic rename fail, also for root.
TEST(Leaks, ASuspensionThatCannotBeSavedIsAnErrorNotASuccess) {
  const std::string admin = newKey(), worker = newKey(), other = newKey();
  std::string stateDir;
  Keyward kw(
      [&](const TempDir& dir) {
        stateDir = dir.file("state");
        dir.write("admin.key", admin + "\n");
        dir.write("leaked.key", worker + "\n");
        return "state_dir: " + stateDir +
               "\nkeys:\n"
               "  - { id: admin, env: ADMIN, scopes: [admin] }\n"
               "  - { id: worker, env: WORKER }\n"
               "  - { id: other, env: OTHER }\n";
      },
      {{"ADMIN", admin}, {"WORKER", worker}, {"OTHER", other}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::string listPath = stateDir + "/suspended.json";
  ASSERT_EQ(::mkdir(listPath.c_str(), 0700), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());
  const std::string adminFile = kw.dir().file("admin.key");

  CommandResult reported = runCommand(
      KEYWARD_BIN, {"leaked", "--key-file", kw.dir().file("leaked.key"), "--url", url, "--admin-key-file", adminFile});
  EXPECT_EQ(reported.exitCode, 2) << reported.out << reported.err;
  EXPECT_NE(reported.err.find("could not save"), std::string::npos) << reported.err;
  EXPECT_EQ(reported.out.find("reported;"), std::string::npos) << reported.out;
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"leak_not_saved\"")) << kw.output();
  EXPECT_NE(kw.output().find(listPath), std::string::npos) << "the log names the file";
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", worker}})), "SUSPENDED") << "refused by this process all the same";

  // While the list on disk is incomplete, every report is answered alike: the answer says
  // nothing about which tokens are keys.
  auto again = post(kw.port(), "/v1/leaks", admin, "[{\"token\":\"" + worker + "\"}]");
  auto unknown = post(kw.port(), "/v1/leaks", admin, "[{\"token\":\"" + newKey() + "\"}]");
  ASSERT_TRUE(again && unknown);
  EXPECT_EQ(again->status, 503) << again->raw;
  EXPECT_EQ(unknown->status, 503) << unknown->raw;
  EXPECT_EQ(again->body, unknown->body);
  EXPECT_NE(again->body.find("NOT_SAVED"), std::string::npos) << again->body;

  // A clear that cannot be written is not made either.
  CommandResult clear =
      runCommand(KEYWARD_BIN, {"leaked", "--clear", "worker", "--url", url, "--admin-key-file", adminFile});
  EXPECT_EQ(clear.exitCode, 2) << clear.out << clear.err;
  EXPECT_NE(clear.err.find("not cleared"), std::string::npos) << clear.err;
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", worker}})), "SUSPENDED");

  // Once the directory is fixed, the next report writes the whole list: it survives a restart.
  ASSERT_EQ(::rmdir(listPath.c_str()), 0);
  auto fixed = post(kw.port(), "/v1/leaks", admin, "[{\"token\":\"" + newKey() + "\"}]");
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->status, 200) << fixed->raw;
  EXPECT_NE(readFile(listPath).find(toHex(sha256(worker))), std::string::npos);
  ASSERT_TRUE(kw.restart()) << kw.output();
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", worker}})), "SUSPENDED");

  // A clear whose write fails after the restart: still suspended, and the CLI says so.
  const std::string url2 = "http://127.0.0.1:" + std::to_string(kw.port());
  ASSERT_EQ(std::rename(listPath.c_str(), (listPath + ".aside").c_str()), 0);
  ASSERT_EQ(::mkdir(listPath.c_str(), 0700), 0);
  CommandResult refused =
      runCommand(KEYWARD_BIN, {"leaked", "--clear", "worker", "--url", url2, "--admin-key-file", adminFile});
  EXPECT_EQ(refused.exitCode, 2) << refused.out << refused.err;
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", worker}})), "SUSPENDED");
  ASSERT_EQ(::rmdir(listPath.c_str()), 0);
  ASSERT_EQ(std::rename((listPath + ".aside").c_str(), listPath.c_str()), 0);
  CommandResult cleared =
      runCommand(KEYWARD_BIN, {"leaked", "--clear", "worker", "--url", url2, "--admin-key-file", adminFile});
  EXPECT_EQ(cleared.exitCode, 0) << cleared.out << cleared.err;
  EXPECT_EQ(kw.verifyStatus(worker), 200);
  EXPECT_EQ(kw.verifyStatus(other), 200);
  expectNoKeyIn(kw.output(), {admin, worker, other});
}

// A corrupt suspended.json stops the start (fail closed), and the message names that file
// and the suspension list, not revoked.json.
TEST(Leaks, ACorruptSuspensionListStopsTheStartNamingItself) {
  TempDir dir;
  const std::string stateDir = dir.mkdir("state");
  dir.write("state/suspended.json", "{\"version\":1,\"suspended\":[{\"sha256\":");
  const std::string config =
      dir.write("k.yaml", "watch: false\nstate_dir: " + stateDir + "\nkeys:\n  - { id: a, env: K }\n");
  CommandResult r = runCommand(KEYWARD_BIN, {"--config", config, "--listen", "127.0.0.1:0"}, "", {{"K", newKey()}});
  const std::string all = r.out + r.err;  // the log (stdout) and the last word (stderr)
  EXPECT_EQ(r.exitCode, 1) << all;
  EXPECT_NE(all.find("suspension list unreadable"), std::string::npos) << all;
  EXPECT_NE(all.find("\"path\":\"" + stateDir + "/suspended.json\""), std::string::npos) << all;
  EXPECT_EQ(all.find("revoked.json"), std::string::npos) << all;
  EXPECT_EQ(all.find("revocation list"), std::string::npos) << all;
}

}  // namespace
}  // namespace keyward::test
