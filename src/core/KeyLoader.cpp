#include "keyward/KeyLoader.h"

namespace keyward {

KeyLoadResult loadKeys(const Config& config, const EnvLookup& env, bool withListing) {
  SourceLoad load;
  for (const KeyDecl& decl : config.keys) loadKeyDecl(decl, config.path, env, load);
  for (const KeyDirDecl& decl : config.keyDirs) loadKeyDir(decl, load);
  for (const EnvFileDecl& decl : config.envFiles) loadEnvFile(decl, load);

  KeyLoadResult result;
  result.problems = std::move(load.problems);
  if (withListing) {
    for (std::size_t i = 0; i < load.keys.size(); ++i) {
      const KeyEntry& key = load.keys[i];
      result.listing.push_back({key.id, key.peer, fingerprint(key.digest), load.describe(i)});
    }
  }
  KeySetBuilder::Result built =
      KeySetBuilder(std::move(load.keys)).build([&](std::size_t i) { return load.describe(i); });
  for (Problem& problem : built.problems) result.problems.push_back(std::move(problem));
  if (result.problems.empty() && built.keys && built.keys->size() == 0) {
    const std::string where = config.path.empty() ? "built-in config" : config.path;
    result.problems.push_back({where, "", "configures no keys; keyward will not serve without one"});
  }
  if (result.problems.empty()) result.keys = std::move(built.keys);
  return result;
}

}  // namespace keyward
