#pragma once
// An immutable set of keys, held as SHA-256 digests, with lookup by digest and by id.
// Built once by KeySetBuilder, then shared read-only between threads (thread-safe to read).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/Digest.h"
#include "keyward/LargeAllocator.h"
#include "keyward/Problem.h"

namespace keyward {

struct KeyEntry {
  std::string id;
  std::string peer;
  Digest digest;
};

using KeyEntries = std::vector<KeyEntry, LargeAllocator<KeyEntry>>;

class KeySet {
 public:
  // The key whose text hashes to `digest`, or nullptr. Lookup is by digest; the final
  // comparison of the 32 bytes is constant-time.
  const KeyEntry* find(const Digest& digest) const noexcept;
  const KeyEntry* findById(std::string_view id) const noexcept;
  std::size_t size() const noexcept { return entries_.size(); }
  const KeyEntries& entries() const noexcept { return entries_; }

  KeySet(const KeySet&) = delete;  // byId_ points into entries_
  KeySet& operator=(const KeySet&) = delete;

 private:
  friend class KeySetBuilder;
  KeySet() = default;

  // Two flat open-addressing tables (linear probing) of entry indexes: no allocation per key,
  // so building and freeing a set of 100,000 keys stays cheap. `index` is the entries_
  // index + 1; 0 marks an empty slot. `tag` (digest bytes 8..11, or the id hash) skips most
  // mismatches without touching the entry.
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t index = 0;
  };
  static std::uint32_t tagOf(const Digest& d) noexcept;
  static std::size_t hashId(std::string_view id) noexcept;

  KeyEntries entries_;
  std::vector<Slot, LargeAllocator<Slot>> byDigest_;
  std::vector<Slot, LargeAllocator<Slot>> byId_;
  std::size_t mask_ = 0;  // both tables have the same power-of-two size
};

class KeySetBuilder {
 public:
  KeySetBuilder() = default;
  explicit KeySetBuilder(KeyEntries entries) : entries_(std::move(entries)) {}
  void add(KeyEntry entry) { entries_.push_back(std::move(entry)); }

  struct Result {
    std::shared_ptr<const KeySet> keys;  // null when `problems` is not empty
    std::vector<Problem> problems;       // two keys with one id, one key under two ids
  };
  // `describeSource(i)` says where the i-th added key came from ("env WORKER_API_KEY"); it
  // is called only to word a duplicate's problem.
  Result build(const std::function<std::string(std::size_t)>& describeSource) &&;

 private:
  KeyEntries entries_;
};

}  // namespace keyward
