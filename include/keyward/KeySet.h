#pragma once
// An immutable set of keys, held as SHA-256 digests, with lookup by digest and by id.
// Built once by KeySetBuilder, then shared read-only between threads (thread-safe to read).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "keyward/Digest.h"
#include "keyward/Problem.h"

namespace keyward {

struct KeyEntry {
  std::string id;
  std::string peer;
  Digest digest;
};

class KeySet {
 public:
  // The key whose text hashes to `digest`, or nullptr. Lookup is by digest; the final
  // comparison of the 32 bytes is constant-time.
  const KeyEntry* find(const Digest& digest) const noexcept;
  const KeyEntry* findById(std::string_view id) const noexcept;
  std::size_t size() const noexcept { return entries_.size(); }
  const std::vector<KeyEntry>& entries() const noexcept { return entries_; }

  KeySet(const KeySet&) = delete;  // byId_ points into entries_
  KeySet& operator=(const KeySet&) = delete;

 private:
  friend class KeySetBuilder;
  KeySet() = default;

  // Open addressing with linear probing; `tag` (digest bytes 8..11) skips most mismatches
  // without touching the entry. `index` is entries_ index + 1; 0 marks an empty slot.
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t index = 0;
  };
  static std::uint32_t tagOf(const Digest& d) noexcept;

  std::vector<KeyEntry> entries_;
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::unordered_map<std::string_view, std::uint32_t> byId_;  // views into entries_
};

class KeySetBuilder {
 public:
  // `source` says where the key came from ("env WORKER_API_KEY"); it is used only in the
  // duplicate messages of build().
  void add(KeyEntry entry, std::string source);

  struct Result {
    std::shared_ptr<const KeySet> keys;  // null when `problems` is not empty
    std::vector<Problem> problems;       // two keys with one id, one key under two ids
  };
  Result build() &&;

 private:
  std::vector<KeyEntry> entries_;
  std::vector<std::string> sources_;
};

}  // namespace keyward
