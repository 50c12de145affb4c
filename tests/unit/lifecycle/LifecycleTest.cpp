// Key lifecycle decisions with an injected clock, route matching, time parsing, the usage
// store's state round trip and the admin listing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "keyward/api/AdminViews.h"
#include "keyward/base/Json.h"
#include "keyward/config/KeyPolicy.h"
#include "keyward/keys/KeySet.h"
#include "keyward/lifecycle/UsageStore.h"
#include "keyward/verify/Routes.h"
#include "keyward/verify/Verifier.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;  // 2027-01-15, "now" in these tests

KeyEntry keyWith(KeyPolicy policy, std::string peer = "worker") {
  return {"k", std::move(peer), sha256("text"), std::make_shared<const KeyPolicy>(std::move(policy))};
}

TEST(Lifecycle, DecisionTable) {
  KeyPolicy active;
  active.scopes = {"runs:read"};
  KeyPolicy suspended = active;
  suspended.status = KeyStatus::Suspended;
  KeyPolicy window = active;
  window.notBeforeMs = kT0;
  window.expiresMs = kT0 + 60'000;
  KeyPolicy revoked = active;
  revoked.status = KeyStatus::Revoked;

  auto rule = [](std::string scope, std::vector<std::string> peers = {}) {
    RouteRule r;
    r.path = "/x/**";
    r.scope = std::move(scope);
    r.peers = std::move(peers);
    return r;
  };
  const RouteRule adminRule = rule("admin"), readRule = rule("runs:read"), writeRule = rule("runs:write"),
                  workersOnly = rule("", {"worker", "ci"}), apiOnly = rule("runs:read", {"api"});
  const std::vector<const RouteRule*> admin = {&adminRule}, read = {&readRule}, readAndWrite = {&readRule, &writeRule},
                                      forWorkers = {&workersOnly}, forApi = {&apiOnly};
  const std::vector<RouteRule> everyRule = {readRule, workersOnly}, everyRuleWithAdmin = {readRule, adminRule};
  Requirement unknownOriginal, unknownOriginalAdmin;
  unknownOriginal.everyRoute = &everyRule;
  unknownOriginalAdmin.everyRoute = &everyRuleWithAdmin;
  struct Row {
    const char* why;
    KeyPolicy policy;
    Requirement need;
    std::int64_t now;
    int status;
    std::string_view code;
  };
  const std::vector<Row> rows = {
      {"active, nothing asked", active, {}, kT0, 200, ""},
      {"active with the scope asked", active, {"", "runs:read"}, kT0, 200, ""},
      {"scope it lacks", active, {"", "runs:write"}, kT0, 403, "INSUFFICIENT_SCOPE"},
      {"route scope it lacks", active, {"", "", &admin}, kT0, 403, "INSUFFICIENT_SCOPE"},
      {"route scope it has", active, {"", "", &read}, kT0, 200, ""},
      {"one of two route scopes it lacks", active, {"", "", &readAndWrite}, kT0, 403, "INSUFFICIENT_SCOPE"},
      {"route for its peer", active, {"", "", &forWorkers}, kT0, 200, ""},
      {"route for another peer", active, {"", "", &forApi}, kT0, 403, "WRONG_PEER"},
      {"original unknown, meets every rule", active, unknownOriginal, kT0, 200, ""},
      {"original unknown, one rule it cannot meet", active, unknownOriginalAdmin, kT0, 403, "ORIGINAL_UNKNOWN"},
      {"right peer", active, {"worker"}, kT0, 200, ""},
      {"wrong peer", active, {"api"}, kT0, 403, "WRONG_PEER"},
      {"suspended", suspended, {}, kT0, 401, "SUSPENDED"},
      {"suspended beats wrong peer", suspended, {"api"}, kT0, 401, "SUSPENDED"},
      {"revoked", revoked, {}, kT0, 401, "REVOKED"},
      {"a millisecond before not_before", window, {}, kT0 - 1, 401, "NOT_YET_VALID"},
      {"at not_before", window, {}, kT0, 200, ""},
      {"a millisecond before expiry", window, {}, kT0 + 59'999, 200, ""},
      {"at the expiry instant", window, {}, kT0 + 60'000, 401, "EXPIRED"},
      {"expired beats wrong scope", window, {"", "nope"}, kT0 + 90'000, 401, "EXPIRED"},
  };
  for (const Row& row : rows) {
    KeyEntry key = keyWith(row.policy);
    key.revoked = row.policy.status == KeyStatus::Revoked;
    Decision d = decideForKey(key, row.need, row.now);
    EXPECT_EQ(d.status(), row.status) << row.why;
    EXPECT_EQ(d.code(), row.code) << row.why;
    EXPECT_EQ(d.allowed(), row.status == 200) << row.why;
    EXPECT_EQ(d.key, &key) << row.why;
  }
}

TEST(Lifecycle, EffectiveStatusFollowsTheClock) {
  KeyPolicy window;
  window.notBeforeMs = kT0;
  window.expiresMs = kT0 + 1000;
  KeyEntry key = keyWith(window);
  EXPECT_EQ(effectiveStatus(key, kT0 - 1), "pending");
  EXPECT_EQ(effectiveStatus(key, kT0), "active");
  EXPECT_EQ(effectiveStatus(key, kT0 + 1000), "expired");
  key.revoked = true;
  EXPECT_EQ(effectiveStatus(key, kT0), "revoked");
}

TEST(Lifecycle, RevokedDigestsStayRefusedUnderAnyId) {
  KeyPolicy revoked;
  revoked.status = KeyStatus::Revoked;
  revoked.revokedReason = "leaked";
  KeySetBuilder first;
  first.add({"old", "worker", sha256("leaked key"), std::make_shared<const KeyPolicy>(revoked)});
  first.add({"ok", "worker", sha256("fine key")});
  auto one = std::move(first).build([](std::size_t) { return std::string("t"); }, kT0);
  ASSERT_TRUE(one.keys);
  ASSERT_EQ(one.keys->revoked().size(), 1u);
  EXPECT_EQ(one.keys->revoked()[0].id, "old");
  EXPECT_EQ(one.keys->revoked()[0].reason, "leaked");
  EXPECT_EQ(one.keys->revoked()[0].revokedMs, kT0);

  // Next generation: the same text comes back under a new id, active in config.
  KeySetBuilder second;
  second.add({"new", "worker", sha256("leaked key")});
  second.add({"ok", "worker", sha256("fine key")});
  second.setRevoked(one.keys->revoked());
  auto two = std::move(second).build([](std::size_t) { return std::string("t"); }, kT0 + 5);
  ASSERT_TRUE(two.keys);
  EXPECT_TRUE(two.keys->find(sha256("leaked key"))->revoked);
  EXPECT_FALSE(two.keys->find(sha256("fine key"))->revoked);
  EXPECT_EQ(two.keys->revoked().size(), 1u);
  EXPECT_EQ(two.keys->revoked()[0].revokedMs, kT0) << "the first revocation time is kept";

  // A revoked digest no longer configured at all is still told apart from an unknown key.
  KeySetBuilder third;
  third.add({"ok", "worker", sha256("fine key")});
  third.setRevoked(two.keys->revoked());
  auto three = std::move(third).build([](std::size_t) { return std::string("t"); });
  EXPECT_NE(three.keys->findRevoked(sha256("leaked key")), nullptr);
  EXPECT_EQ(three.keys->findRevoked(sha256("never seen")), nullptr);
}

TEST(Routes, NormalisesPathsOrRefusesThem) {
  struct Case {
    const char* in;
    const char* out;  // nullptr: refused
  };
  // Dot segments are refused: upstreams resolve them differently, or not at all.
  const std::vector<Case> cases = {
      {"/runs/1", "/runs/1"},
      {"/runs//1", "/runs/1"},
      {"/runs/./1", nullptr},
      {"/a/../runs/1", nullptr},
      {"/%72uns/1", "/runs/1"},
      {"/runs/", "/runs/"},
      {"/", "/"},
      {"/..", nullptr},
      {"/runs%2F1", nullptr},
      {"/runs%5c1", nullptr},
      {"/runs%00", nullptr},
      {"/runs%zz", nullptr},
      {"/runs%2", nullptr},
      {"runs", nullptr},
      {"/a/%2e%2e/admin", nullptr},
  };
  for (const Case& c : cases) {
    auto got = normalizePath(c.in);
    if (c.out) {
      ASSERT_TRUE(got) << c.in;
      EXPECT_EQ(*got, c.out) << c.in;
    } else {
      EXPECT_FALSE(got) << c.in;
    }
  }
}

TEST(Routes, PatternsMatchSegmentsAndTails) {
  EXPECT_TRUE(pathMatches("/runs/*", "/runs/42"));
  EXPECT_FALSE(pathMatches("/runs/*", "/runs/42/logs"));
  EXPECT_FALSE(pathMatches("/runs/*", "/runsx/42"));
  EXPECT_TRUE(pathMatches("/runs/**", "/runs/42/logs"));
  EXPECT_TRUE(pathMatches("/runs/**", "/runs"));
  EXPECT_FALSE(pathMatches("/runs/**", "/run"));
  EXPECT_TRUE(pathMatches("/runs/*/logs", "/runs/7/logs"));
  EXPECT_FALSE(pathMatches("/runs/*/logs", "/runs/7/log"));
  EXPECT_TRUE(pathMatches("/v*/runs", "/v2/runs"));
  EXPECT_TRUE(pathMatches("/admin", "/admin/"));
  EXPECT_FALSE(pathMatches("/admin", "/administrator"));

  std::vector<RouteRule> routes = {{{"GET"}, {}, "/runs/**", "runs:read", {}, 1},
                                   {{"POST", "PUT"}, {}, "/runs/**", "runs:write", {}, 2},
                                   {{}, {}, "/admin/**", "admin", {}, 3}};
  EXPECT_EQ(findRoute(routes, "GET", "/runs/1")->scope, "runs:read");
  EXPECT_EQ(findRoute(routes, "PUT", "/runs/1")->scope, "runs:write");
  EXPECT_EQ(findRoute(routes, "DELETE", "/admin/x")->scope, "admin");
  EXPECT_EQ(findRoute(routes, "DELETE", "/runs/1"), nullptr);
}

TEST(Time, ParsesRfc3339) {
  EXPECT_EQ(parseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parseRfc3339("2027-01-15T08:00:00Z"), 1'800'000'000'000 - 0);
  EXPECT_EQ(parseRfc3339("2027-01-15T10:00:00.250+02:00"), 1'800'000'000'250);
  EXPECT_EQ(parseRfc3339("2024-02-29T00:00:00z"), 1'709'164'800'000);
  EXPECT_FALSE(parseRfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2027-01-15T08:00:00"));  // no offset: ambiguous
  EXPECT_FALSE(parseRfc3339("2027-01-15"));
  EXPECT_FALSE(parseRfc3339("2027-13-01T00:00:00Z"));
  EXPECT_FALSE(parseRfc3339("2027-01-15T08:00:00Z trailing"));
}

TEST(UsageStore, CountsCallsInABoundedRing) {
  UsageStore store(3);
  KeyUsage& u = store.forKey("k");
  for (int i = 0; i < 5; ++i) u.record(kT0 + i, i % 2 == 0, "GET", "/runs/" + std::to_string(i), 200, "", "10.0.0.1");
  EXPECT_EQ(u.allowed(), 3u);
  EXPECT_EQ(u.denied(), 2u);
  EXPECT_EQ(u.lastUsedMs(), kT0 + 4);
  auto calls = u.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].path, "/runs/4");
  EXPECT_EQ(calls[2].path, "/runs/2");
  EXPECT_EQ(&store.forKey("k"), &u);
  EXPECT_EQ(store.find("other"), nullptr);
}

TEST(UsageStore, StateRoundTripsAndCorruptStateChangesNothing) {
  UsageStore store(5);
  store.forKey("worker-1").record(kT0, true, "POST", "/runs/\"quoted\"", 200, "", "::1");
  store.forKey("worker-1").record(kT0 + 7, false, "GET", "/admin", 403, "INSUFFICIENT_SCOPE", "127.0.0.1");
  store.addRevocations({{sha256("leaked"), "old-key", "leaked in CI logs", kT0}});
  EXPECT_TRUE(store.dirty());
  const std::string json = store.usageJson();
  test::TempDir dir;
  std::string problem;
  ASSERT_TRUE(store.save(dir.path(), problem)) << problem;
  EXPECT_FALSE(store.dirty());
  UsageStore fromDisk(5);
  UsageStore::LoadOutcome loaded = fromDisk.load(dir.path());
  ASSERT_TRUE(loaded.usageProblem.empty() && loaded.revocationsProblem.empty()) << loaded.usageProblem;
  EXPECT_TRUE(loaded.revocationFileFound);
  ASSERT_NE(fromDisk.find("worker-1"), nullptr);
  EXPECT_EQ(fromDisk.find("worker-1")->denied(), 1u);
  ASSERT_EQ(fromDisk.revocations().size(), 1u);
  for (const std::string& path : {UsageStore::statePath(dir.path()), UsageStore::revocationsPath(dir.path())}) {
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }

  UsageStore restored(5);
  ASSERT_TRUE(restored.loadJson(json, problem)) << problem;
  ASSERT_TRUE(restored.loadRevocationsJson(store.revocationsJson(), problem)) << problem;
  const KeyUsage* u = restored.find("worker-1");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->allowed(), 1u);
  EXPECT_EQ(u->denied(), 1u);
  EXPECT_EQ(u->lastUsedMs(), kT0 + 7);
  auto calls = u->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].code, "INSUFFICIENT_SCOPE");
  EXPECT_EQ(calls[1].path, "/runs/\"quoted\"");
  ASSERT_EQ(restored.revocations().size(), 1u);
  EXPECT_EQ(restored.revocations()[0].digest, sha256("leaked"));
  EXPECT_EQ(restored.revocations()[0].reason, "leaked in CI logs");

  for (const char* bad :
       {"", "{", "[]", "{\"version\":3,\"keys\":{}}", "{\"version\":1}",
        "{\"version\":1,\"keys\":{},\"revoked\":[{\"sha256\":\"zz\",\"id\":\"a\",\"reason\":\"\",\"time\":0}]}"}) {
    EXPECT_FALSE(restored.loadJson(bad, problem)) << bad;
    EXPECT_NE(restored.find("worker-1"), nullptr) << "a failed load keeps what was there";
  }
}

// The audit: a path with byte 0xff (from /runs/%ff) and a path cut in the middle of a
// character made state.json invalid UTF-8; the next start moved it aside with every
// revocation in it.
TEST(UsageStore, HostileBytesInCallsStillSaveValidJsonAndRevocationsSurviveACorruptUsageFile) {
  UsageStore store(5);
  store.forKey("w").record(kT0, false, "GET", std::string("/runs/\xff\xfe"), 401, "INVALID_KEY", "::1");
  std::string longPath = "/" + std::string(93, 'a') + "\xc3\xa9\xc3\xa9";  // the first é straddles the 95-byte cut
  store.forKey("w").record(kT0 + 1, false, "GET", longPath, 401, "INVALID_KEY", "::1");
  store.addRevocations({{sha256("leaked"), "old-key", "leaked \xff", kT0}});
  test::TempDir dir;
  std::string problem;
  ASSERT_TRUE(store.save(dir.path(), problem)) << problem;

  UsageStore again(5);
  UsageStore::LoadOutcome loaded = again.load(dir.path());
  EXPECT_EQ(loaded.usageProblem, "");
  EXPECT_EQ(loaded.revocationsProblem, "");
  auto calls = again.find("w")->calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path, "/" + std::string(93, 'a')) << "cut before the character the cut would split";
  EXPECT_EQ(calls[1].path, "/runs/\xef\xbf\xbd\xef\xbf\xbd") << "invalid bytes became U+FFFD";

  // Even a usage file wrecked by other means leaves the revocations alone.
  dir.write("state.json", "{\"version\":2,\"keys\":{\"w\": [broken");
  UsageStore third(5);
  loaded = third.load(dir.path());
  EXPECT_NE(loaded.usageProblem, "");
  EXPECT_EQ(loaded.revocationsProblem, "");
  ASSERT_EQ(third.revocations().size(), 1u);
  EXPECT_EQ(third.revocations()[0].digest, sha256("leaked"));
}

TEST(Json, OutputIsValidUtf8WhateverTheInput) {
  struct Case {
    const char* why;
    std::string in;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"ascii", "abc", "\"abc\""},
      {"two-byte character kept", "\xc3\xa9", "\"\xc3\xa9\""},
      {"four-byte character kept", "\xf0\x9f\x94\x91", "\"\xf0\x9f\x94\x91\""},
      {"lone continuation byte",
       "a\x80"
       "b",
       "\"a\\ufffdb\""},
      {"0xff", "\xff", "\"\\ufffd\""},
      {"truncated sequence", "\xe2\x82", "\"\\ufffd\\ufffd\""},
      {"overlong slash", "\xc0\xaf", "\"\\ufffd\\ufffd\""},
      {"surrogate", "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
      {"above U+10FFFF", "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
      {"controls escaped", std::string("\x01\n", 2), "\"\\u0001\\n\""},
  };
  for (const Case& c : cases) {
    std::string out;
    appendJsonString(out, c.in);
    EXPECT_EQ(out, c.out) << c.why;
  }
}

TEST(AdminViews, ListsInIdOrderWithFiltersAndCursor) {
  KeySetBuilder builder;
  KeyPolicy suspended;
  suspended.status = KeyStatus::Suspended;
  for (int i = 0; i < 25; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "key-%02d", i);
    KeyEntry e{id, i % 2 ? "worker" : "api", sha256(id)};
    if (i % 5 == 0) e.policy = std::make_shared<const KeyPolicy>(suspended);
    builder.add(std::move(e));
  }
  auto set = std::move(builder).build([](std::size_t) { return std::string("t"); }).keys;
  ASSERT_TRUE(set);

  KeyPage page = listKeys(*set, nullptr, "limit=10", kT0);
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("\"id\":\"key-00\""), page.body.find("\"id\":"));
  EXPECT_NE(page.body.find("\"next_cursor\":\"key-09\""), std::string::npos) << page.body;
  page = listKeys(*set, nullptr, "limit=10&cursor=key-19", kT0);
  EXPECT_NE(page.body.find("\"id\":\"key-24\""), std::string::npos);
  EXPECT_EQ(page.body.find("\"id\":\"key-19\""), std::string::npos);
  EXPECT_NE(page.body.find("\"next_cursor\":null"), std::string::npos);

  page = listKeys(*set, nullptr, "status=suspended&peer=worker", kT0);
  // suspended: 0, 5, 10, 15, 20; worker: odd ids -> key-05, key-15
  EXPECT_NE(page.body.find("key-05"), std::string::npos);
  EXPECT_NE(page.body.find("key-15"), std::string::npos);
  EXPECT_EQ(page.body.find("key-10"), std::string::npos);
  EXPECT_EQ(page.body.find("key-07"), std::string::npos);
  EXPECT_EQ(page.body.find(toHex(sha256("key-05"))), std::string::npos) << "never the full digest";

  EXPECT_EQ(listKeys(*set, nullptr, "limit=0", kT0).status, 400);
  EXPECT_EQ(listKeys(*set, nullptr, "limit=1001", kT0).status, 400);
  EXPECT_EQ(listKeys(*set, nullptr, "status=gone", kT0).status, 400);
}

}  // namespace
}  // namespace keyward
