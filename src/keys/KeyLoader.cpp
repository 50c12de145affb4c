#include "keyward/keys/KeyLoader.h"

#include <algorithm>

namespace keyward {

AccessRules accessRulesOf(const Config& config) {
  AccessRules rules;
  rules.routes = config.routes;
  rules.expiryWarningMs = config.expiryWarning.count();
  for (const std::string& text : config.trustedProxies) {
    if (auto range = AddressRange::parse(text)) rules.trustedProxies.push_back(*range);
  }
  rules.cacheMaxAgeSeconds = config.cacheMaxAge.count() / 1000;
  rules.originalRequest = config.originalRequest;
  rules.metricsScope = config.metricsScope;
  rules.statusScope = config.statusScope;
  rules.peerLimits = config.peerLimits;
  return rules;
}

std::vector<ExpiringKey> expiringKeys(const KeySet& keys, std::int64_t nowMs) {
  std::vector<ExpiringKey> out;
  const std::int64_t horizon = nowMs + keys.rules().expiryWarningMs;
  for (const KeyEntry& key : keys.entries()) {
    const KeyPolicy& policy = key.rules();
    if (policy.expiresMs == kNoEnd || policy.expiresMs <= nowMs || policy.expiresMs > horizon) continue;
    if (key.revoked || policy.status != KeyStatus::Active) continue;
    out.push_back({key.id, policy.expiresMs});
  }
  std::sort(out.begin(), out.end(), [](const ExpiringKey& a, const ExpiringKey& b) {
    return a.expiresMs != b.expiresMs ? a.expiresMs < b.expiresMs : a.id < b.id;
  });
  return out;
}

KeyLoadResult loadKeys(const Config& config, const EnvLookup& env, bool withListing, std::vector<RevokedKey> revoked,
                       std::int64_t nowMs) {
  SourceLoad load;
  for (const KeyDecl& decl : config.keys) loadKeyDecl(decl, config.path, env, load);
  for (const KeyDirDecl& decl : config.keyDirs) loadKeyDir(decl, load, config.path);
  for (const EnvFileDecl& decl : config.envFiles) loadEnvFile(decl, load, config.path);

  KeyLoadResult result;
  result.problems = std::move(load.problems);
  if (withListing) {
    for (std::size_t i = 0; i < load.keys.size(); ++i) {
      const KeyEntry& key = load.keys[i];
      result.listing.push_back({key.id, key.peer, fingerprint(key.digest), load.describe(i), key.policy});
    }
  }
  KeySetBuilder builder(std::move(load.keys));
  builder.setRules(accessRulesOf(config));
  builder.setRevoked(std::move(revoked));
  KeySetBuilder::Result built = std::move(builder).build([&](std::size_t i) { return load.describe(i); }, nowMs);
  for (Problem& problem : built.problems) result.problems.push_back(std::move(problem));
  if (result.problems.empty() && built.keys && built.keys->size() == 0) {
    const std::string where = config.path.empty() ? "built-in config" : config.path;
    result.problems.push_back({where, "", "configures no keys; keyward will not serve without one"});
  }
  if (result.problems.empty()) result.keys = std::move(built.keys);
  return result;
}

}  // namespace keyward
