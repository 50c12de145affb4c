#include "keyward/KeySet.h"

#include <cstring>

namespace keyward {

std::uint32_t KeySet::tagOf(const Digest& d) noexcept {
  std::uint32_t tag;
  std::memcpy(&tag, d.bytes.data() + 8, sizeof tag);
  return tag;
}

const KeyEntry* KeySet::find(const Digest& digest) const noexcept {
  if (slots_.empty()) return nullptr;
  const std::uint32_t tag = tagOf(digest);
  for (std::size_t i = digest.hashPrefix() & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.index == 0) return nullptr;
    if (slot.tag == tag) {
      const KeyEntry& entry = entries_[slot.index - 1];
      if (equalsConstantTime(entry.digest, digest)) return &entry;
    }
  }
}

const KeyEntry* KeySet::findById(std::string_view id) const noexcept {
  auto it = byId_.find(id);
  return it == byId_.end() ? nullptr : &entries_[it->second];
}

void KeySetBuilder::add(KeyEntry entry, std::string source) {
  entries_.push_back(std::move(entry));
  sources_.push_back(std::move(source));
}

KeySetBuilder::Result KeySetBuilder::build() && {
  Result result;
  std::shared_ptr<KeySet> set(new KeySet());
  set->entries_ = std::move(entries_);
  const auto& entries = set->entries_;

  std::size_t capacity = 16;
  while (capacity < entries.size() * 2) capacity *= 2;
  set->slots_.assign(capacity, {});
  set->mask_ = capacity - 1;
  set->byId_.reserve(entries.size());

  for (std::uint32_t n = 0; n < entries.size(); ++n) {
    const KeyEntry& entry = entries[n];
    auto [it, inserted] = set->byId_.emplace(entry.id, n);
    if (!inserted) {
      result.problems.push_back({"key set", entry.id, "one id is given to two keys",
                                 sources_[it->second] + " and " + sources_[n]});
    }
    const std::uint32_t tag = KeySet::tagOf(entry.digest);
    std::size_t i = entry.digest.hashPrefix() & set->mask_;
    for (;; i = (i + 1) & set->mask_) {
      KeySet::Slot& slot = set->slots_[i];
      if (slot.index == 0) {
        slot = {tag, n + 1};
        break;
      }
      const std::uint32_t other = slot.index - 1;
      if (slot.tag == tag && entries[other].digest == entry.digest) {
        result.problems.push_back({"key set", entry.id, "the same key is configured under two ids",
                                   "'" + entries[other].id + "' from " + sources_[other] + " and '" +
                                       entry.id + "' from " + sources_[n]});
        break;
      }
    }
  }
  if (result.problems.empty()) result.keys = std::move(set);
  return result;
}

}  // namespace keyward
