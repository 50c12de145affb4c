#pragma once
// Config -> KeySet: reads every source the config names and builds the key set aside.
// All-or-nothing: any problem in any source means no key set (the caller keeps its old one).

#include <memory>
#include <string>
#include <vector>

#include "keyward/config/Config.h"
#include "keyward/keys/KeySet.h"
#include "keyward/keys/KeySources.h"

namespace keyward {

struct KeyListing {
  std::string id;
  std::string peer;
  std::string fingerprint;
  std::string source;
  std::shared_ptr<const KeyPolicy> policy;
};

struct KeyLoadResult {
  std::shared_ptr<const KeySet> keys;  // null if anything is wrong
  std::vector<Problem> problems;       // every problem found, in config order
  std::vector<KeyListing> listing;     // with `withListing`: every key read, for --check-config
};

// `revoked`: digests revoked earlier (the state file's list); `nowMs` stamps new revocations.
KeyLoadResult loadKeys(const Config& config, const EnvLookup& env, bool withListing = false,
                       std::vector<RevokedKey> revoked = {}, std::int64_t nowMs = 0);

// The configured routes and settings that are swapped in with the keys.
AccessRules accessRulesOf(const Config& config);

struct ExpiringKey {
  std::string id;
  std::int64_t expiresMs;
};
// Keys usable now that expire within the set's warning window, soonest first.
std::vector<ExpiringKey> expiringKeys(const KeySet& keys, std::int64_t nowMs);

}  // namespace keyward
