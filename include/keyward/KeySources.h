#pragma once
// Reads the keys that a Config describes from their sources: environment variables, secret
// files, key directories and env files. Raw key text is validated, hashed and wiped here;
// only digests leave. Problems name the source and the reason, never the key.

#include <cstdint>
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
  std::uint32_t origin = 0;  // index into SourceLoad::origins
  std::uint32_t line = 0;    // line within that origin, 0 if none
};

// Keys read so far. Where each came from is kept compactly (an origin index and a line)
// because a reload of 100,000 keys must not allocate a description string per key.
struct SourceLoad {
  std::vector<std::string> origins;  // "env WORKER_API_KEY", "env file /etc/keyward/keys.env", ...
  std::vector<LoadedKey> keys;
  std::vector<Problem> problems;

  std::uint32_t addOrigin(std::string description);
  // "env file /etc/keyward/keys.env line 3", "file /run/secrets/api_key", ...
  std::string describe(const LoadedKey& key) const;
};

void loadKeyDecl(const KeyDecl& decl, const std::string& configPath, const EnvLookup& env,
                 SourceLoad& out);
void loadKeyDir(const KeyDirDecl& decl, SourceLoad& out);
void loadEnvFile(const EnvFileDecl& decl, SourceLoad& out);

}  // namespace keyward
