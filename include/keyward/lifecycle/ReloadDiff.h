#pragma once
// What a reload changed, key by key: ids added, removed, with a changed policy (peer,
// scopes, status, validity window, rate limit, ...) and with a changed secret (shown as
// the old and new fingerprints, never more). Pure; thread-safe.

#include <cstddef>
#include <string>
#include <vector>

#include "keyward/keys/KeySet.h"

namespace keyward {

struct SecretChange {
  std::string id;
  std::string oldFingerprint;
  std::string newFingerprint;
};

struct ReloadDiff {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> policyChanged;
  std::vector<SecretChange> secretChanged;

  bool empty() const { return added.empty() && removed.empty() && policyChanged.empty() && secretChanged.empty(); }
  // {"added":[...],"removed":[...],"policy_changed":[...],"secret_changed":[{"id","old","new"}],
  //  "counts":{...}}; each list cut at `maxListed` entries (the counts stay exact).
  std::string json(std::size_t maxListed = 100) const;
};

// `before` may be null (the first load): every key is then added. Lists are in id order.
ReloadDiff diffKeySets(const KeySet* before, const KeySet& after);

// Same rules (peer and every policy field), whatever object holds them.
bool samePolicy(const KeyEntry& a, const KeyEntry& b);

}  // namespace keyward
