#include "keyward/KeySet.h"

#include <cstring>

namespace keyward {

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

KeySetBuilder::Result KeySetBuilder::build(const std::function<std::string(std::size_t)>& describeSource) && {
  Result result;
  std::shared_ptr<KeySet> set(new KeySet());
  set->entries_ = std::move(entries_);
  const auto& entries = set->entries_;

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
        result.problems.push_back({"key set", entry.id, "one id is given to two keys",
                                   describeSource(other) + " and " + describeSource(n)});
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
                                   "'" + entries[other].id + "' from " + describeSource(other) + " and '" +
                                       entry.id + "' from " + describeSource(n)});
        break;
      }
    }
  }
  if (result.problems.empty()) result.keys = std::move(set);
  return result;
}

}  // namespace keyward
