#include "keyward/lifecycle/ReloadDiff.h"

#include <algorithm>

#include "keyward/base/Json.h"

namespace keyward {

bool samePolicy(const KeyEntry& a, const KeyEntry& b) {
  if (a.peer != b.peer) return false;
  if (a.policy == b.policy) return true;
  const KeyPolicy& x = a.rules();
  const KeyPolicy& y = b.rules();
  return x.name == y.name && x.description == y.description && x.type == y.type && x.scopes == y.scopes &&
         x.createdMs == y.createdMs && x.notBeforeMs == y.notBeforeMs && x.expiresMs == y.expiresMs &&
         x.status == y.status && x.revokedReason == y.revokedReason && x.rateLimit == y.rateLimit;
}

ReloadDiff diffKeySets(const KeySet* before, const KeySet& after) {
  ReloadDiff diff;
  for (const KeyEntry& entry : after.entries()) {
    const KeyEntry* old = before ? before->findById(entry.id) : nullptr;
    if (!old) {
      diff.added.push_back(entry.id);
      continue;
    }
    if (!(old->digest == entry.digest)) {
      diff.secretChanged.push_back({entry.id, fingerprint(old->digest), fingerprint(entry.digest)});
    }
    if (!samePolicy(*old, entry)) diff.policyChanged.push_back(entry.id);
  }
  if (before) {
    for (const KeyEntry& entry : before->entries()) {
      if (!after.findById(entry.id)) diff.removed.push_back(entry.id);
    }
  }
  std::sort(diff.added.begin(), diff.added.end());
  std::sort(diff.removed.begin(), diff.removed.end());
  std::sort(diff.policyChanged.begin(), diff.policyChanged.end());
  std::sort(diff.secretChanged.begin(), diff.secretChanged.end(),
            [](const SecretChange& a, const SecretChange& b) { return a.id < b.id; });
  return diff;
}

std::string ReloadDiff::json(std::size_t maxListed) const {
  auto list = [&](std::string& out, const std::vector<std::string>& ids) {
    out += '[';
    for (std::size_t i = 0; i < ids.size() && i < maxListed; ++i) {
      if (i) out += ',';
      appendJsonString(out, ids[i]);
    }
    out += ']';
  };
  std::string out = "{\"added\":";
  list(out, added);
  out += ",\"removed\":";
  list(out, removed);
  out += ",\"policy_changed\":";
  list(out, policyChanged);
  out += ",\"secret_changed\":[";
  for (std::size_t i = 0; i < secretChanged.size() && i < maxListed; ++i) {
    if (i) out += ',';
    out += "{\"id\":";
    appendJsonString(out, secretChanged[i].id);
    out += ",\"old\":\"" + secretChanged[i].oldFingerprint + "\",\"new\":\"" + secretChanged[i].newFingerprint + "\"}";
  }
  out += "],\"counts\":{\"added\":" + std::to_string(added.size()) + ",\"removed\":" + std::to_string(removed.size()) +
         ",\"policy_changed\":" + std::to_string(policyChanged.size()) +
         ",\"secret_changed\":" + std::to_string(secretChanged.size()) + "}}";
  return out;
}

}  // namespace keyward
