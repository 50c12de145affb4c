#pragma once
// An immutable set of keys, held as SHA-256 digests, with lookup by digest and by id.
// Built once by KeySetBuilder, then shared read-only between threads (thread-safe to read).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/base/AddressRange.h"
#include "keyward/base/Digest.h"
#include "keyward/base/LargeAllocator.h"
#include "keyward/base/Problem.h"
#include "keyward/config/Config.h"
#include "keyward/config/KeyPolicy.h"
#include "keyward/keys/RevokedKey.h"

namespace keyward {

class KeyUsage;    // lifecycle: per-key usage, cached here by the loops
class RateBudget;  // lifecycle: per-key and per-peer rate budgets, likewise

struct KeyEntry {
  std::string id;
  std::string peer;
  Digest digest;
  std::shared_ptr<const KeyPolicy> policy;  // null: active, no scopes, no time limits
  bool revoked = false;                     // config says revoked, or on the revocation list
  // Reported leaked and not cleared (UsageStore's suspensions): refused as SUSPENDED. Set and
  // cleared on a published set without a rebuild, so read it with isLeaked().
  mutable bool leaked = false;
  bool isLeaked() const { return std::atomic_ref<bool>(leaked).load(std::memory_order_relaxed); }
  // This key's usage record, looked up by id on the key's first use in this generation
  // (access with std::atomic_ref: several event loops may fill it at once).
  mutable KeyUsage* usage = nullptr;
  // Its rate budgets, looked up on first use likewise (null: not looked up yet).
  mutable RateBudget* keyBudget = nullptr;
  mutable RateBudget* peerBudget = nullptr;

  const KeyPolicy& rules() const;
};

// Settings that travel with a key set, so that one reload swaps them all at once.
struct AccessRules {
  std::vector<RouteRule> routes;
  std::int64_t expiryWarningMs = 7LL * 24 * 3600 * 1000;
  std::vector<AddressRange> trustedProxies;
  std::int64_t cacheMaxAgeSeconds = 0;
  OriginalRequestFrom originalRequest = OriginalRequestFrom::Auto;
  std::string metricsScope;  // empty: /metrics is open
  std::string statusScope;   // empty: /v1/status is open
  std::vector<std::pair<std::string, RateLimit>> peerLimits;
  // The peer's limit, or none.
  const RateLimit* peerLimit(std::string_view peer) const {
    for (const auto& [name, limit] : peerLimits) {
      if (name == peer) return &limit;
    }
    return nullptr;
  }
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
  // A digest on the revocation list that is not (or no longer) a configured key.
  const RevokedKey* findRevoked(const Digest& digest) const noexcept;
  // Every revoked digest: the list given to the builder plus keys the config revokes.
  const std::vector<RevokedKey>& revoked() const noexcept { return revoked_; }
  const AccessRules& rules() const noexcept { return rules_; }
  // Marks (or unmarks) the key with `digest` as leaked in this set, at once for every
  // reader. Returns the entry, or nullptr if no key has that digest. Thread-safe.
  const KeyEntry* markLeaked(const Digest& digest, bool leaked) const noexcept;

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
  std::size_t mask_ = 0;             // both tables have the same power-of-two size
  std::vector<RevokedKey> revoked_;  // sorted by digest
  AccessRules rules_;
};

class KeySetBuilder {
 public:
  KeySetBuilder() = default;
  explicit KeySetBuilder(KeyEntries entries) : entries_(std::move(entries)) {}
  void add(KeyEntry entry) { entries_.push_back(std::move(entry)); }
  void setRules(AccessRules rules) { rules_ = std::move(rules); }
  // Digests revoked earlier (from the state file): refused even if a source brings them back.
  void setRevoked(std::vector<RevokedKey> revoked) { revoked_ = std::move(revoked); }

  struct Result {
    std::shared_ptr<const KeySet> keys;  // null when `problems` is not empty
    std::vector<Problem> problems;       // two keys with one id, one key under two ids
  };
  // `describeSource(i)` says where the i-th added key came from ("env WORKER_API_KEY"); it
  // is called only to word a duplicate's problem.
  // `nowMs` stamps keys revoked for the first time.
  Result build(const std::function<std::string(std::size_t)>& describeSource, std::int64_t nowMs = 0) &&;

 private:
  KeyEntries entries_;
  AccessRules rules_;
  std::vector<RevokedKey> revoked_;
};

}  // namespace keyward
