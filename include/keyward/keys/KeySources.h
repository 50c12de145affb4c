#pragma once
// Reads the keys that a Config describes from their sources: environment variables, secret
// files, key directories and env files. Raw key text is validated, hashed and wiped here;
// only digests leave. Problems name the source and the reason, never the key.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keyward/base/Digest.h"
#include "keyward/base/Problem.h"
#include "keyward/config/Config.h"
#include "keyward/keys/KeySet.h"

namespace keyward {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment. A variable read through it is copied into wiped memory, wiped
// in place and removed from the environment (so /proc/PID/environ and a child process no
// longer show a key); later lookups of it, from any EnvLookup made here, see the copy.
// Thread-safe among lookups; like unsetenv(), it must not race getenv() on other threads
// (keyward reads the environment only while loading keys).
EnvLookup processEnvironment();

// Where one loaded key came from: an index into SourceLoad::origins and a line (0 if none).
struct KeyPlace {
  std::uint32_t origin = 0;
  std::uint32_t line = 0;
};

// Keys read so far, already in the form the KeySet keeps (moved into it, not copied).
// Where each came from is kept compactly because a reload of 100,000 keys must not
// allocate a description string per key.
struct SourceLoad {
  std::vector<std::string> origins;  // "env WORKER_API_KEY", "env file /etc/keyward/keys.env", ...
  KeyEntries keys;
  std::vector<KeyPlace, LargeAllocator<KeyPlace>> places;  // parallel to keys
  std::vector<Problem> problems;

  std::uint32_t addOrigin(std::string description);
  void addKey(KeyEntry key, KeyPlace place);
  // Where keys[index] came from: "env file /etc/keyward/keys.env line 3", "file /run/...".
  std::string describe(std::size_t index) const;
};

// Problems and origins name a path or variable only when it cannot be a pasted secret,
// else the place in `configPath` (file, line, field); see printablePath() in SecretFile.h.
void loadKeyDecl(const KeyDecl& decl, const std::string& configPath, const EnvLookup& env, SourceLoad& out);
void loadKeyDir(const KeyDirDecl& decl, SourceLoad& out, const std::string& configPath = {});
void loadEnvFile(const EnvFileDecl& decl, SourceLoad& out, const std::string& configPath = {});

}  // namespace keyward
