#include "keyward/KeyLoader.h"

namespace keyward {

KeyLoadResult loadKeys(const Config& config, const EnvLookup& env) {
  SourceLoad load;
  for (const KeyDecl& decl : config.keys) loadKeyDecl(decl, config.path, env, load);
  for (const KeyDirDecl& decl : config.keyDirs) loadKeyDir(decl, load);
  for (const EnvFileDecl& decl : config.envFiles) loadEnvFile(decl, load);

  KeyLoadResult result;
  result.problems = std::move(load.problems);
  result.listing.reserve(load.keys.size());
  KeySetBuilder builder;
  for (LoadedKey& key : load.keys) {
    result.listing.push_back({key.id, key.peer, fingerprint(key.digest), key.source});
    builder.add({std::move(key.id), std::move(key.peer), key.digest}, std::move(key.source));
  }
  KeySetBuilder::Result built = std::move(builder).build();
  for (Problem& problem : built.problems) result.problems.push_back(std::move(problem));
  if (result.problems.empty() && built.keys && built.keys->size() == 0) {
    const std::string where = config.path.empty() ? "built-in config" : config.path;
    result.problems.push_back({where, "", "configures no keys; keyward will not serve without one"});
  }
  if (result.problems.empty()) result.keys = std::move(built.keys);
  return result;
}

}  // namespace keyward
