#pragma once
// Reads the keys that a Config describes from their sources: environment variables, secret
// files, key directories and env files. Raw key text is validated, hashed and wiped here;
// only digests leave. Problems name the source and the reason, never the key.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keyward/Config.h"
#include "keyward/Digest.h"
#include "keyward/Problem.h"

namespace keyward {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment.
EnvLookup processEnvironment();

struct LoadedKey {
  std::string id;
  std::string peer;
  Digest digest;
  std::string source;  // "env WORKER_API_KEY", "file /run/secrets/api_key", ...
};

struct SourceLoad {
  std::vector<LoadedKey> keys;
  std::vector<Problem> problems;
};

void loadKeyDecl(const KeyDecl& decl, const std::string& configPath, const EnvLookup& env,
                 SourceLoad& out);
void loadKeyDir(const KeyDirDecl& decl, SourceLoad& out);
void loadEnvFile(const EnvFileDecl& decl, SourceLoad& out);

}  // namespace keyward
