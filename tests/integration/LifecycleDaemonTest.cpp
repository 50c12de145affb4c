// Key lifecycle through the real binary: expiry without a reload, revocation that sticks,
// usage that survives a restart, routes and demands, the admin API and `keyward keys`.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "keyward/base/Digest.h"
#include "keyward/base/Json.h"
#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

std::string rfc3339In(std::chrono::milliseconds fromNow) { return formatRfc3339(unixMillisNow() + fromNow.count()); }

std::string codeOf(const std::optional<HttpResponse>& r) { return r ? r->header("x-keyward-code") : "no answer"; }

TEST(Lifecycle, KeyStopsAtItsExpiryWithoutAReloadAndItsSuccessorTakesOver) {
  std::string old = newKey(), next = newKey();
  Keyward kw(
      "expiry_warning: 1h\nkeys:\n"
      "  - { id: worker-old, peer: worker, env: OLD, expires: '" +
          rfc3339In(1500ms) +
          "' }\n"
          "  - { id: worker-new, peer: worker, env: NEW, not_before: '" +
          rfc3339In(-1h) + "' }\n",
      {{"OLD", old}, {"NEW", next}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();

  auto before = kw.verify({{"X-API-Key", old}});
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 200);
  EXPECT_FALSE(before->header("x-keyward-expires").empty()) << "expires within the warning window";
  EXPECT_NE(kw.status().find("\"expiring\":[{\"id\":\"worker-old\""), std::string::npos) << kw.status();
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"key_expiring\"")) << kw.output();

  std::this_thread::sleep_for(1600ms);
  auto after = kw.verify({{"X-API-Key", old}});
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
  EXPECT_EQ(codeOf(after), "EXPIRED");
  EXPECT_EQ(kw.verifyStatus(next), 200);
  EXPECT_EQ(kw.reloadsFinished(), 1) << "only the load at start: no reload happened";
  expectNoKeyIn(kw.output(), {old, next});
}

TEST(Lifecycle, CheckConfigListsStatusExpiryAndKeysExpiringSoon) {
  TempDir dir;
  const std::string config = dir.write("k.yaml",
                                       "expiry_warning: 2d\nkeys:\n"
                                       "  - { id: soon, env: A, expires: '" +
                                           rfc3339In(std::chrono::hours(30)) +
                                           "' }\n"
                                           "  - { id: later, env: B, expires: '" +
                                           rfc3339In(std::chrono::hours(24 * 30)) +
                                           "' }\n"
                                           "  - { id: paused, env: C, status: suspended }\n");
  std::string a = newKey(), b = newKey(), c = newKey();
  CommandResult r = runCommand(KEYWARD_BIN, {"--check-config", "--config", config}, "", {{"A", a}, {"B", b}, {"C", c}});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("expiring: key soon expires at "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("expiring: key later"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("key paused  peer default"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status suspended"), std::string::npos) << r.out;
  expectNoKeyIn(r.out + r.err, {a, b, c});
}

TEST(Lifecycle, NotYetValidAndSuspendedKeysAreRefusedWithTheirReason) {
  std::string later = newKey(), paused = newKey();
  Keyward kw(
      "keys:\n"
      "  - { id: later, env: LATER, not_before: '" +
          rfc3339In(1h) +
          "' }\n"
          "  - { id: paused, env: PAUSED, status: suspended }\n"
          "  - { id: spare, env: SPARE }\n",
      {{"LATER", later}, {"PAUSED", paused}, {"SPARE", newKey()}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", later}})), "NOT_YET_VALID");
  auto r = kw.verify({{"X-API-Key", paused}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->body, R"({"valid":false,"code":"SUSPENDED"})");

  // Suspension is reversible.
  kw.rewriteConfig("keys:\n  - { id: later, env: LATER, not_before: '" + rfc3339In(1h) +
                   "' }\n"
                   "  - { id: paused, env: PAUSED }\n  - { id: spare, env: SPARE }\n");
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(paused), 200);
}

TEST(Lifecycle, RevokedKeyStaysRefusedWhenItsTextComesBackAndAcrossRestarts) {
  std::string leaked = newKey(), good = newKey();
  std::string stateDir, keyDir;
  auto configWith = [&](const std::string& extraKeys) {
    return "state_dir: " + stateDir + "\nkeys:\n  - { id: admin, env: ADMIN, scopes: [admin] }\n" + extraKeys +
           "key_dirs:\n  - { path: " + keyDir + ", peer: worker }\n";
  };
  Keyward kw(
      [&](const TempDir& dir) {
        stateDir = dir.file("state");
        keyDir = dir.mkdir("keys");
        dir.write("keys/worker-1", leaked + "\n");
        dir.write("keys/worker-2", good + "\n");
        return configWith("");
      },
      {{"ADMIN", newKey()}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(leaked), 200);

  // Revoke by digest (the key file is gone; `keygen sha256` prints the digest).
  ASSERT_EQ(::unlink((keyDir + "/worker-1").c_str()), 0);
  kw.rewriteConfig(configWith("  - { id: worker-1, peer: worker, sha256: " + toHex(sha256(leaked)) +
                              ", status: revoked, revoked_reason: leaked in a CI log }\n"));
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", leaked}})), "REVOKED");

  // The entry leaves the config and the same text comes back in a file under a new name.
  kw.rewriteConfig(configWith(""));
  kw.dir().write("keys/worker-3", leaked + "\n");
  ASSERT_TRUE(kw.reload());
  EXPECT_NE(kw.status().find("\"result\":\"ok\""), std::string::npos) << kw.status();
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", leaked}})), "REVOKED");
  EXPECT_EQ(kw.verifyStatus(good), 200);

  // The audit's attack: bytes that are not UTF-8 in a recorded path (and a path cut inside
  // a character) once made state.json unreadable, and the next start dropped it with every
  // revocation in it.
  for (const std::string& key : {leaked, good}) {
    kw.verify({{"X-API-Key", key}, {"X-Original-URI", "/runs/\xff\xfe"}});
    kw.verify({{"X-API-Key", key}, {"X-Original-URI", "/" + std::string(93, 'a') + "\xc3\xa9\xc3\xa9"}});
    httpRequest(kw.port(), "GET", "/v1/verify/runs/%ff", {{"X-API-Key", key}});
  }
  ASSERT_TRUE(kw.restart()) << kw.output();
  EXPECT_EQ(kw.output().find("unreadable"), std::string::npos) << kw.output();
  EXPECT_EQ(codeOf(kw.verify({{"X-API-Key", leaked}})), "REVOKED") << "the revocation list is in the state file";
  EXPECT_EQ(kw.verifyStatus(good), 200);
  expectNoKeyIn(kw.output(), {leaked, good});
}

TEST(Lifecycle, UsageCountersAndLastUsedSurviveARestart) {
  std::string worker = newKey(), admin = newKey();
  Keyward kw(
      [&](const TempDir& dir) {
        return "state_dir: " + dir.file("state") +
               "\nstate_interval: 1h\nkeys:\n"
               "  - { id: worker-1, peer: worker, env: WORKER, scopes: [runs:read] }\n"
               "  - { id: admin, peer: ops, env: ADMIN, scopes: [admin] }\n"
               "routes:\n  - { methods: [POST], path: '/runs/**', scope: runs:write }\n";
      },
      {{"WORKER", worker}, {"ADMIN", admin}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(kw.verify({{"X-API-Key", worker}, {"X-Original-URI", "/runs/7"}, {"X-Original-Method", "GET"}})->status,
              200);
  }
  auto denied = kw.verify({{"X-API-Key", worker}, {"X-Original-URI", "/runs/7"}, {"X-Original-Method", "POST"}});
  ASSERT_TRUE(denied);
  EXPECT_EQ(denied->status, 403);
  EXPECT_EQ(codeOf(denied), "INSUFFICIENT_SCOPE");

  auto show = [&] { return httpRequest(kw.port(), "GET", "/v1/keys/worker-1", {{"X-API-Key", admin}}); };
  auto before = show();
  ASSERT_TRUE(before);
  ASSERT_EQ(before->status, 200) << before->body;
  EXPECT_NE(before->body.find("\"allowed\":3,\"denied\":1"), std::string::npos) << before->body;
  std::smatch lastUsed;
  ASSERT_TRUE(std::regex_search(before->body, lastUsed, std::regex("\"last_used\":\"[^\"]+\"")));

  ASSERT_TRUE(kw.restart()) << kw.output();  // state_interval 1h: only the shutdown save can carry it
  auto after = show();
  ASSERT_TRUE(after);
  EXPECT_NE(after->body.find("\"allowed\":3,\"denied\":1"), std::string::npos) << after->body;
  EXPECT_NE(after->body.find(lastUsed.str()), std::string::npos) << after->body;
  auto calls = httpRequest(kw.port(), "GET", "/v1/keys/worker-1/calls", {{"X-API-Key", admin}});
  ASSERT_TRUE(calls);
  EXPECT_NE(calls->body.find("\"method\":\"POST\",\"path\":\"/runs/"
                             "7\",\"status\":403,\"reason\":\"INSUFFICIENT_SCOPE\",\"client\":\"127.0.0.1\""),
            std::string::npos)
      << calls->body;
}

TEST(Lifecycle, CorruptStateIsReportedSetAsideAndServingGoesOn) {
  std::string worker = newKey();
  std::string stateDir;
  Keyward kw(
      [&](const TempDir& dir) {
        stateDir = dir.mkdir("state");
        dir.write("state/revoked.json", "{\"version\":1,\"revoked\":[]}\n");
        dir.write("state/state.json", "{\"version\":2,\"keys\":{\"worker-1\": [not json");
        return "state_dir: " + stateDir + "\nkeys:\n  - { id: worker-1, env: WORKER }\n";
      },
      {{"WORKER", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(worker), 200);
  EXPECT_TRUE(kw.daemon().waitForLog("state file unreadable")) << kw.output();
  EXPECT_NE(kw.output().find("state.json.corrupt-"), std::string::npos) << kw.output();
}

// Fail closed: a revocation list that cannot be read, or an older state file (which held
// the revocations itself) that cannot be read, stops the start rather than forget one.
TEST(Lifecycle, UnreadableRevocationsStopTheStart) {
  struct Case {
    const char* why;
    std::vector<std::pair<std::string, std::string>> files;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"corrupt revoked.json", {{"revoked.json", "{\"version\":1,\"revoked\":[{\"sha256\":"}}, "revoked.json"},
      {"corrupt version 1 state.json, no revoked.json",
       {{"state.json", "{\"version\":1,\"keys\":{"}},
       "may list revoked keys"},
  };
  for (const Case& c : cases) {
    TempDir dir;
    const std::string stateDir = dir.mkdir("state");
    for (const auto& [name, content] : c.files) dir.write("state/" + name, content);
    const std::string config =
        dir.write("k.yaml", "watch: false\nstate_dir: " + stateDir + "\nkeys:\n  - { id: a, env: K }\n");
    CommandResult r = runCommand(KEYWARD_BIN, {"--config", config, "--listen", "127.0.0.1:0"}, "", {{"K", newKey()}});
    EXPECT_EQ(r.exitCode, 1) << c.why << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find(c.expected), std::string::npos) << c.why << "\n" << r.err;
  }
}

TEST(Lifecycle, DemandsAndRoutesGive403WithTheReason) {
  std::string worker = newKey();
  Keyward kw(
      "keys:\n  - { id: worker-1, peer: worker, env: WORKER, scopes: [runs:read] }\n"
      "routes:\n  - { methods: [GET], path: '/runs/*', scope: runs:read }\n"
      "  - { path: '/admin/**', scope: admin }\n",
      {{"WORKER", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  auto get = [&](const std::string& target, Headers extra = {}) {
    extra.push_back({"X-API-Key", worker});
    return httpRequest(kw.port(), "GET", target, extra);
  };
  auto ok =
      get("/v1/verify?peer=worker&scope=runs%3Aread", {{"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  // With routes configured, a request that does not say which request it is might be any:
  // the key would need every scope a route demands (fail closed, not "skip the routes").
  EXPECT_EQ(codeOf(get("/v1/verify?peer=worker&scope=runs%3Aread")), "ORIGINAL_UNKNOWN");
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Original-URI", ""}, {"X-Original-Method", "GET"}})), "ORIGINAL_UNKNOWN");
  EXPECT_EQ(ok->header("x-keyward-scopes"), "runs:read");
  EXPECT_EQ(get("/v1/verify?peer=api")->status, 403);
  EXPECT_EQ(codeOf(get("/v1/verify?peer=api")), "WRONG_PEER");
  EXPECT_EQ(codeOf(get("/v1/verify?scope=runs:write")), "INSUFFICIENT_SCOPE");
  // Routes, through each proxy's way of naming the original request.
  EXPECT_EQ(get("/v1/verify", {{"X-Original-URI", "/runs/1?x=1"}, {"X-Original-Method", "GET"}})->status, 200);
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Original-URI", "/admin/users"}, {"X-Original-Method", "GET"}})),
            "INSUFFICIENT_SCOPE");
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Forwarded-Uri", "/admin/users"}, {"X-Forwarded-Method", "GET"}})),
            "INSUFFICIENT_SCOPE");
  EXPECT_EQ(codeOf(get("/v1/verify/admin/users")), "INSUFFICIENT_SCOPE") << "Envoy path_prefix form";
  EXPECT_EQ(get("/v1/verify/runs/1")->status, 200);
  // Dressed-up paths are normalised or refused, never waved through.
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Original-URI", "/runs/../admin/x"}})), "INVALID_PATH");
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Original-URI", "/admin/../runs/1"}})), "INVALID_PATH");
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Original-URI", "/runs/1#/../../admin/x"}})), "INVALID_PATH");
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Original-URI", "/%61dmin/x"}})), "INSUFFICIENT_SCOPE");
  EXPECT_EQ(codeOf(get("/v1/verify", {{"X-Original-URI", "/admin%2Fx"}})), "INVALID_PATH");
}

TEST(Lifecycle, AdminApiNeedsTheAdminScopeAndPagesThroughKeys) {
  std::string admin = newKey(), worker = newKey();
  std::string yaml =
      "keys:\n  - { id: admin, peer: ops, env: ADMIN, scopes: [admin], name: Operations }\n"
      "  - { id: worker-00, peer: worker, env: WORKER }\n";
  Env env = {{"ADMIN", admin}, {"WORKER", worker}};
  for (int i = 1; i <= 11; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "worker-%02d", i);
    yaml += std::string("  - { id: ") + id + ", peer: worker, env: W" + std::to_string(i) +
            (i % 4 == 0 ? ", status: suspended" : "") + " }\n";
    env["W" + std::to_string(i)] = newKey();
  }
  Keyward kw(yaml, env);
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();

  auto list = [&](const std::string& key, const std::string& query) {
    return httpRequest(kw.port(), "GET", "/v1/keys" + query, {{"X-API-Key", key}});
  };
  EXPECT_EQ(list(worker, "")->status, 403);
  EXPECT_EQ(codeOf(list(worker, "")), "INSUFFICIENT_SCOPE");
  EXPECT_EQ(list("", "")->status, 401);
  EXPECT_EQ(list(newKey(), "")->status, 401);

  // 13 keys, 5 per page: 3 pages, every id once, in order.
  std::vector<std::string> ids;
  std::string cursor;
  int pages = 0;
  do {
    auto page = list(admin, "?limit=5" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200) << page->body;
    ++pages;
    static const std::regex id("\"id\":\"([^\"]+)\"");
    for (std::sregex_iterator it(page->body.begin(), page->body.end(), id), end; it != end; ++it)
      ids.push_back((*it)[1]);
    std::smatch next;
    cursor = std::regex_search(page->body, next, std::regex("\"next_cursor\":\"([^\"]+)\"")) ? next[1].str() : "";
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(ids.size(), 13u);
  EXPECT_EQ(ids.front(), "admin");
  EXPECT_EQ(ids.back(), "worker-11");
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));

  auto suspended = list(admin, "?status=suspended&peer=worker");
  ASSERT_TRUE(suspended);
  EXPECT_NE(suspended->body.find("worker-04"), std::string::npos);
  EXPECT_NE(suspended->body.find("worker-08"), std::string::npos);
  EXPECT_EQ(suspended->body.find("worker-01"), std::string::npos);
  EXPECT_EQ(list(admin, "?status=bogus")->status, 400);
  EXPECT_EQ(httpRequest(kw.port(), "GET", "/v1/keys/nobody", {{"X-API-Key", admin}})->status, 404);

  // The CLI, against the same daemon.
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());
  const std::string keyFile = kw.dir().write("admin.key", admin + "\n");
  CommandResult table =
      runCommand(KEYWARD_BIN, {"keys", "list", "--status", "suspended", "--url", url, "--admin-key-file", keyFile});
  EXPECT_EQ(table.exitCode, 0) << table.err;
  EXPECT_NE(table.out.find("ID"), std::string::npos);
  EXPECT_NE(table.out.find("worker-08"), std::string::npos) << table.out;
  EXPECT_EQ(table.out.find("worker-01"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("2 key(s)"), std::string::npos) << table.out;
  CommandResult json =
      runCommand(KEYWARD_BIN, {"keys", "list", "--format", "json", "--url", url}, "", {{"KEYWARD_ADMIN_KEY", admin}});
  EXPECT_EQ(json.exitCode, 0) << json.err;
  EXPECT_EQ(json.out.front(), '[');
  EXPECT_EQ(countOccurrences(json.out, "\"fingerprint\""), 13);
  CommandResult show = runCommand(KEYWARD_BIN, {"keys", "show", "admin", "--url", url, "--admin-key-file", keyFile});
  EXPECT_EQ(show.exitCode, 0) << show.err;
  EXPECT_NE(show.out.find("Operations"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("recent calls"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("just now"), std::string::npos) << show.out;
  const std::string workerFile = kw.dir().write("worker.key", worker + "\n");
  CommandResult refused = runCommand(KEYWARD_BIN, {"keys", "list", "--url", url, "--admin-key-file", workerFile});
  EXPECT_EQ(refused.exitCode, 1);
  CommandResult missing =
      runCommand(KEYWARD_BIN, {"keys", "show", "nobody", "--url", url, "--admin-key-file", keyFile});
  EXPECT_EQ(missing.exitCode, 1);
  expectNoKeyIn(table.out + table.err + json.out + show.out + refused.err + kw.output(), {admin, worker});
}

}  // namespace
}  // namespace keyward::test
