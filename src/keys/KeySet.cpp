#include "keyward/keys/KeySet.h"

#include <algorithm>
#include <cstring>

namespace keyward {

const KeyPolicy& KeyEntry::rules() const {
  static const KeyPolicy kDefault;
  return policy ? *policy : kDefault;
}

const RevokedKey* KeySet::findRevoked(const Digest& digest) const noexcept {
  auto it = std::lower_bound(revoked_.begin(), revoked_.end(), digest,
                             [](const RevokedKey& r, const Digest& d) { return r.digest < d; });
  return it != revoked_.end() && it->digest == digest ? &*it : nullptr;
}

std::uint32_t KeySet::tagOf(const Digest& d) noexcept {
  std::uint32_t tag;
  std::memcpy(&tag, d.bytes.data() + 8, sizeof tag);
  return tag;
}

std::size_t KeySet::hashId(std::string_view id) noexcept { return std::hash<std::string_view>{}(id); }

const KeyEntry* KeySet::find(const Digest& digest) const noexcept {
  if (byDigest_.empty()) return nullptr;
  const std::uint32_t tag = tagOf(digest);
  for (std::size_t i = digest.hashPrefix() & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = byDigest_[i];
    if (slot.index == 0) return nullptr;
    if (slot.tag == tag) {
      const KeyEntry& entry = entries_[slot.index - 1];
      if (equalsConstantTime(entry.digest, digest)) return &entry;
    }
  }
}

const KeyEntry* KeySet::markLeaked(const Digest& digest, bool leaked) const noexcept {
  const KeyEntry* entry = find(digest);
  if (entry) std::atomic_ref<bool>(entry->leaked).store(leaked, std::memory_order_relaxed);
  return entry;
}

const KeyEntry* KeySet::findById(std::string_view id) const noexcept {
  if (byId_.empty()) return nullptr;
  const std::size_t hash = hashId(id);
  const auto tag = static_cast<std::uint32_t>(hash >> 32);
  for (std::size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = byId_[i];
    if (slot.index == 0) return nullptr;
    if (slot.tag == tag && entries_[slot.index - 1].id == id) return &entries_[slot.index - 1];
  }
}

KeySetBuilder::Result KeySetBuilder::build(const std::function<std::string(std::size_t)>& describeSource,
                                           std::int64_t nowMs) && {
  Result result;
  std::shared_ptr<KeySet> set(new KeySet());
  set->entries_ = std::move(entries_);
  set->rules_ = std::move(rules_);
  auto& entries = set->entries_;

  // Revocation is one-way: a key the config revokes joins the list, and a listed digest
  // stays refused under any id, from any source.
  std::vector<RevokedKey>& revoked = set->revoked_;
  revoked = std::move(revoked_);
  auto byDigest = [](const RevokedKey& a, const RevokedKey& b) { return a.digest < b.digest; };
  std::sort(revoked.begin(), revoked.end(), byDigest);
  const std::size_t known = revoked.size();
  for (KeyEntry& entry : entries) {
    const KeyPolicy& policy = entry.rules();
    if (policy.status == KeyStatus::Revoked) {
      entry.revoked = true;
      if (!std::binary_search(revoked.begin(), revoked.begin() + static_cast<std::ptrdiff_t>(known),
                              RevokedKey{entry.digest, {}, {}, 0}, byDigest)) {
        revoked.push_back({entry.digest, entry.id, policy.revokedReason, nowMs});
      }
    } else if (known > 0) {
      entry.revoked = std::binary_search(revoked.begin(), revoked.begin() + static_cast<std::ptrdiff_t>(known),
                                         RevokedKey{entry.digest, {}, {}, 0}, byDigest);
    }
  }
  std::sort(revoked.begin(), revoked.end(), byDigest);

  std::size_t capacity = 16;
  while (capacity < entries.size() * 2) capacity *= 2;  // load factor at most 1/2
  set->byDigest_.assign(capacity, {});
  set->byId_.assign(capacity, {});
  set->mask_ = capacity - 1;

  for (std::uint32_t n = 0; n < entries.size(); ++n) {
    const KeyEntry& entry = entries[n];

    const std::size_t idHash = KeySet::hashId(entry.id);
    const auto idTag = static_cast<std::uint32_t>(idHash >> 32);
    for (std::size_t i = idHash & set->mask_;; i = (i + 1) & set->mask_) {
      KeySet::Slot& slot = set->byId_[i];
      if (slot.index == 0) {
        slot = {idTag, n + 1};
        break;
      }
      const std::uint32_t other = slot.index - 1;
      if (slot.tag == idTag && entries[other].id == entry.id) {
        result.problems.push_back(
            {"key set", entry.id, "one id is given to two keys", describeSource(other) + " and " + describeSource(n)});
        break;
      }
    }

    const std::uint32_t tag = KeySet::tagOf(entry.digest);
    for (std::size_t i = entry.digest.hashPrefix() & set->mask_;; i = (i + 1) & set->mask_) {
      KeySet::Slot& slot = set->byDigest_[i];
      if (slot.index == 0) {
        slot = {tag, n + 1};
        break;
      }
      const std::uint32_t other = slot.index - 1;
      if (slot.tag == tag && entries[other].digest == entry.digest) {
        result.problems.push_back({"key set", entry.id, "the same key is configured under two ids",
                                   "'" + entries[other].id + "' from " + describeSource(other) + " and '" + entry.id +
                                       "' from " + describeSource(n)});
        break;
      }
    }
  }
  if (result.problems.empty()) result.keys = std::move(set);
  return result;
}

}  // namespace keyward
