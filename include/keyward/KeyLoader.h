#pragma once
// Config -> KeySet: reads every source the config names and builds the key set aside.
// All-or-nothing: any problem in any source means no key set (the caller keeps its old one).

#include <memory>
#include <string>
#include <vector>

#include "keyward/Config.h"
#include "keyward/KeySet.h"
#include "keyward/KeySources.h"

namespace keyward {

struct KeyListing {
  std::string id;
  std::string peer;
  std::string fingerprint;
  std::string source;
};

struct KeyLoadResult {
  std::shared_ptr<const KeySet> keys;   // null if anything is wrong
  std::vector<Problem> problems;  // every problem found, in config order
  std::vector<KeyListing> listing;      // with `withListing`: every key read, for --check-config
};

KeyLoadResult loadKeys(const Config& config, const EnvLookup& env, bool withListing = false);

}  // namespace keyward
