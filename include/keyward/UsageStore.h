#pragma once
// What keyward remembers about keys between requests and across restarts: per-key usage
// (last used, allowed/denied counts, a bounded ring of recent calls) and the list of revoked
// key digests. Kept by key id, created on a key's first use, so 100,000 configured keys that
// are never presented cost nothing here. Saved as one JSON file under `state_dir`.
//
// Thread-safe. The hot path touches only one KeyUsage: relaxed atomic counters and a short
// per-key lock around the ring.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "keyward/Digest.h"

namespace keyward {

// One verify request as the key's call history keeps it (fixed size: no allocation).
struct CallRecord {
  std::int64_t timeMs = 0;
  std::uint16_t status = 0;
  std::array<char, 8> method{};
  std::array<char, 24> code{};    // "" when allowed
  std::array<char, 46> client{};  // IPv4 or IPv6 text
  std::array<char, 96> path{};    // the original path, cut at 95 bytes
};

struct CallView {
  std::int64_t timeMs;
  int status;
  std::string method, code, client, path;
};

class KeyUsage {
 public:
  explicit KeyUsage(std::size_t ringSize) : ringSize_(ringSize) {}

  // Counts the call and keeps it in the ring of recent calls (unless another thread is
  // writing the ring at that instant: the history is best effort, the counts are exact).
  void record(std::int64_t nowMs, bool allowed, std::string_view method, std::string_view path, int status,
              std::string_view code, std::string_view client);

  std::int64_t lastUsedMs() const { return lastUsedMs_.load(std::memory_order_relaxed); }
  std::uint64_t allowed() const { return allowed_.load(std::memory_order_relaxed); }
  std::uint64_t denied() const { return denied_.load(std::memory_order_relaxed); }
  // Recent calls, newest first.
  std::vector<CallView> calls() const;

 private:
  friend class UsageStore;  // restores saved state
  std::atomic<std::int64_t> lastUsedMs_{0};
  std::atomic<std::uint64_t> allowed_{0};
  std::atomic<std::uint64_t> denied_{0};
  mutable std::mutex ringMutex_;
  std::vector<CallRecord> ring_;  // allocated on the first call
  std::size_t ringSize_;
  std::size_t next_ = 0;          // total calls recorded; next_ % ringSize_ is the write slot
};

struct RevokedKey {
  Digest digest;
  std::string id;
  std::string reason;
  std::int64_t revokedMs = 0;
};

class UsageStore {
 public:
  explicit UsageStore(std::size_t ringSize = 20) : ringSize_(ringSize) {}

  // The usage of key `id`, created on first request; the reference stays valid for the
  // store's life (keys removed from the config keep their history).
  KeyUsage& forKey(std::string_view id);
  // nullptr if the key has never been used.
  const KeyUsage* find(std::string_view id) const;

  std::vector<RevokedKey> revocations() const;
  // Adds revocations not yet known (by digest). Returns how many were new.
  std::size_t addRevocations(const std::vector<RevokedKey>& revoked);

  // True if anything changed since the last save (or load).
  bool dirty() const;

  std::string toJson() const;
  // Restores from JSON saved by toJson(). On error returns false with `problem` and leaves
  // the store as it was.
  bool loadJson(std::string_view json, std::string& problem);

  // The state file in `dir` (state.json): load() tolerates a missing file (true, nothing
  // loaded) and reports a corrupt one; save() writes atomically with mode 0600.
  static std::string statePath(const std::string& dir);
  bool load(const std::string& dir, std::string& problem);
  bool save(const std::string& dir, std::string& problem);

 private:
  std::size_t ringSize_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<KeyUsage>> usage_;
  std::vector<RevokedKey> revoked_;
  // Calls counted plus revocations: compared with the figure at the last save, it tells
  // whether there is anything new to write, without a shared counter on the hot path.
  std::uint64_t changeCount() const;
  mutable std::uint64_t savedChangeCount_ = 0;
};

}  // namespace keyward
