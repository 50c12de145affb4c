#include <gtest/gtest.h>

#include "keyward/lifecycle/ReloadDiff.h"
#include "keyward/verify/DryRun.h"

namespace keyward {
namespace {

std::shared_ptr<const KeySet> build(std::vector<KeyEntry> entries, std::vector<RouteRule> routes = {}) {
  KeySetBuilder builder;
  for (KeyEntry& e : entries) builder.add(std::move(e));
  AccessRules rules;
  rules.routes = std::move(routes);
  builder.setRules(std::move(rules));
  auto result = std::move(builder).build([](std::size_t) { return std::string("t"); });
  EXPECT_TRUE(result.problems.empty());
  return result.keys;
}

std::shared_ptr<const KeyPolicy> scopes(std::vector<std::string> list) {
  auto p = std::make_shared<KeyPolicy>();
  p->scopes = std::move(list);
  return p;
}

TEST(ReloadDiff, NamesAddedRemovedPolicyAndSecretChangesByIdWithFingerprintsOnly) {
  auto before = build({{"a", "w", sha256("ka")},
                       {"b", "w", sha256("kb"), scopes({"read"})},
                       {"c", "w", sha256("kc")},
                       {"same", "w", sha256("ks"), scopes({"x"})},
                       {"peer", "w", sha256("kp")}});
  auto after = build({{"b", "w", sha256("kb"), scopes({"read", "write"})},
                      {"c", "w", sha256("kc2")},
                      {"d", "w", sha256("kd")},
                      {"same", "w", sha256("ks"), scopes({"x"})},  // equal, new object
                      {"peer", "batch", sha256("kp")}});
  ReloadDiff diff = diffKeySets(before.get(), *after);
  EXPECT_EQ(diff.added, std::vector<std::string>{"d"});
  EXPECT_EQ(diff.removed, std::vector<std::string>{"a"});
  EXPECT_EQ(diff.policyChanged, (std::vector<std::string>{"b", "peer"})) << "a peer change is a policy change";
  ASSERT_EQ(diff.secretChanged.size(), 1u);
  EXPECT_EQ(diff.secretChanged[0].id, "c");
  EXPECT_EQ(diff.secretChanged[0].oldFingerprint, fingerprintOfKey("kc"));
  EXPECT_EQ(diff.secretChanged[0].newFingerprint, fingerprintOfKey("kc2"));
  const std::string json = diff.json();
  EXPECT_NE(json.find("\"counts\":{\"added\":1,\"removed\":1,\"policy_changed\":2,\"secret_changed\":1}"),
            std::string::npos)
      << json;
  EXPECT_EQ(json.find(toHex(sha256("kc"))), std::string::npos) << "fingerprints, never digests";
  EXPECT_TRUE(diffKeySets(after.get(), *after).empty());
  EXPECT_EQ(diffKeySets(nullptr, *after).added.size(), 5u) << "the first load adds everything";
}

TEST(DryRun, ReplaysRecordedCallsAgainstACandidate) {
  std::vector<RouteRule> routes(1);
  routes[0].methods = {"GET"};
  routes[0].path = "/runs/*";
  routes[0].scope = "runs:read";
  auto candidate = build({{"w", "w", sha256("kw")}, {"r", "w", sha256("kr"), scopes({"runs:read"})}}, routes);
  auto call = [](std::string id, std::string key, std::string path, std::string code) {
    RecordedCall c;
    c.keyId = id;
    c.fingerprint = fingerprintOfKey(key);
    c.method = "GET";
    c.path = path;
    c.code = code;
    return c;
  };
  struct Case {
    const char* why;
    RecordedCall call;
    std::string after;  // "" = no flip
  };
  RecordedCall revoked = call("r", "kr", "/runs/1", "REVOKED");
  revoked.revoked = true;
  RecordedCall leaked = call("r", "kr", "/runs/1", "");
  leaked.leaked = true;
  const std::vector<Case> cases = {
      {"the route now demands a scope w lacks", call("w", "kw", "/runs/1", ""), "INSUFFICIENT_SCOPE"},
      {"r holds it: no flip", call("r", "kr", "/runs/1", ""), ""},
      {"a denial the candidate lifts", call("r", "kr", "/runs/1", "INSUFFICIENT_SCOPE"), "allow"},
      {"secret gone from the candidate", call("gone", "kgone", "/runs/1", ""), "INVALID_KEY"},
      {"a direct call with routes: every route scope is needed", call("w", "kw", "/v1/verify", ""), "ORIGINAL_UNKNOWN"},
      {"Envoy's path_prefix form", call("w", "kw", "/v1/verify/runs/1", ""), "INSUFFICIENT_SCOPE"},
      {"a path that cannot be normalised", call("r", "kr", "/runs/%2f", ""), "INVALID_PATH"},
      {"a revocation is one-way", revoked, ""},
      {"a leak suspension travels with the digest", leaked, "SUSPENDED"},
      {"WRONG_PEER depends on ?peer=, not replayable", call("w", "kw", "/other", "WRONG_PEER"), ""},
      {"RATE_LIMITED depends on the moment", call("w", "kw", "/other", "RATE_LIMITED"), ""},
  };
  for (const Case& c : cases) {
    std::vector<DecisionFlip> flips = replayCalls({c.call}, *candidate, 0);
    if (c.after.empty()) {
      EXPECT_TRUE(flips.empty()) << c.why << ": " << (flips.empty() ? "" : flips[0].after);
    } else {
      ASSERT_EQ(flips.size(), 1u) << c.why;
      EXPECT_EQ(flips[0].after, c.after) << c.why;
    }
  }
}

}  // namespace
}  // namespace keyward
