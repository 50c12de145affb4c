#pragma once
// What keyward remembers about keys between requests and across restarts: per-key usage
// (last used, allowed/denied counts, a bounded ring of recent calls) and the list of revoked
// key digests. Kept by key id, created on a key's first use, so 100,000 configured keys that
// are never presented cost nothing here. Saved under `state_dir` as two JSON files:
// revoked.json (the revocations, which must never be lost) and state.json (usage, which may
// be, and is moved aside when unreadable).
//
// Thread-safe. The hot path touches only one KeyUsage: relaxed atomic counters and a short
// per-key lock around the ring.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "keyward/base/Digest.h"
#include "keyward/keys/RevokedKey.h"

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

  // Shared state: what the other replicas reported for this key (set by the sync thread;
  // all 0 when shared state is off, so the fleet figures are then this replica's).
  void setOthers(std::uint64_t allowed, std::uint64_t denied, std::int64_t lastUsedMs) {
    othersAllowed_.store(allowed, std::memory_order_relaxed);
    othersDenied_.store(denied, std::memory_order_relaxed);
    othersLastUsedMs_.store(lastUsedMs, std::memory_order_relaxed);
  }
  std::uint64_t fleetAllowed() const { return allowed() + othersAllowed_.load(std::memory_order_relaxed); }
  std::uint64_t fleetDenied() const { return denied() + othersDenied_.load(std::memory_order_relaxed); }
  std::int64_t fleetLastUsedMs() const {
    return std::max(lastUsedMs(), othersLastUsedMs_.load(std::memory_order_relaxed));
  }

 private:
  friend class UsageStore;  // restores saved state
  std::atomic<std::int64_t> lastUsedMs_{0};
  std::atomic<std::uint64_t> allowed_{0};
  std::atomic<std::uint64_t> denied_{0};
  std::atomic<std::uint64_t> othersAllowed_{0};
  std::atomic<std::uint64_t> othersDenied_{0};
  std::atomic<std::int64_t> othersLastUsedMs_{0};
  mutable std::mutex ringMutex_;
  std::vector<CallRecord> ring_;  // allocated on the first call
  std::size_t ringSize_;
  std::size_t next_ = 0;  // total calls recorded; next_ % ringSize_ is the write slot
};

// A key suspended because it was reported leaked (POST /v1/leaks, keyward leaked): refused
// with SUSPENDED under any id until an operator clears it. Kept in suspended.json.
struct SuspendedKey {
  Digest digest;
  std::string id;      // the key's id when it was suspended
  std::string url;     // where the leak was seen (as reported; may be empty)
  std::string source;  // who reported it ("github", "cli", ...)
  std::int64_t timeMs = 0;
};

// `"id":…,"url":…,"source":…,"time":N`: one suspension's members, as suspended.json and
// the fleet's hash in Redis (FleetSync) both write them.
void appendSuspensionFields(std::string& out, std::string_view id, std::string_view url, std::string_view source,
                            std::int64_t timeMs);

class UsageStore {
 public:
  explicit UsageStore(std::size_t ringSize = 20) : ringSize_(ringSize) {}

  // The usage of key `id`, created on first request; the reference stays valid for the
  // store's life (keys removed from the config keep their history).
  KeyUsage& forKey(std::string_view id);
  // nullptr if the key has never been used.
  const KeyUsage* find(std::string_view id) const;
  // Calls `visit` for every key's usage, under the store's lock (keep it short).
  void forEach(const std::function<void(const std::string& id, KeyUsage& usage)>& visit);

  std::vector<RevokedKey> revocations() const;
  // Adds revocations not yet known (by digest). Returns how many were new.
  std::size_t addRevocations(const std::vector<RevokedKey>& revoked);

  // Leak suspensions, kept in suspended.json when the store was loaded from a directory (a
  // suspension must survive a crash a second later, so it is written before the caller
  // answers).
  //
  // addSuspensions() adds those whose digest is not suspended yet and writes the file once
  // for the whole batch (one atomic write with fsync, about 8 ms, whatever the batch size);
  // it writes nothing when nothing is new, unless an earlier write failed (then it tries
  // again, so that the answer says whether the list on disk is complete).
  // clearSuspensions() removes those whose id or fingerprint is `idOrFingerprint`, only if
  // the shorter list could be written (a clear that is not durable is not done: the key
  // stays refused); clearSuspensionsOf() does the same by digest, each cleared at its time. Clears are remembered
  // (suspensionClears()) so that shared state can take them to the other replicas.
  //
  // The write happens on the calling thread — an event loop for POST and DELETE /v1/leaks,
  // the shared state thread for suspensions from other replicas — under a writer lock of
  // its own; the store's map lock (taken on the request path) is held only to copy the
  // list, never during the file I/O. A failed write leaves the added suspensions in memory
  // (fail closed: refused until this process ends), marks them unsaved (dirty(); save()
  // and the next add retry) and is returned: `saved` false and `problem` naming the file.
  struct SuspensionChange {
    std::vector<SuspendedKey> changed;  // added, or removed (or, when not saved, to be removed)
    bool saved = true;                  // false: suspended.json could not be written
    std::string path;                   // when not saved: suspended.json's path
    std::string problem;                // when not saved: why (names the file, never a key)
  };
  struct SuspensionClear {
    Digest digest;
    std::int64_t timeMs = 0;
  };
  std::vector<SuspendedKey> suspensions() const;
  SuspensionChange addSuspensions(const std::vector<SuspendedKey>& keys);
  SuspensionChange clearSuspensions(std::string_view idOrFingerprint, std::int64_t nowMs);
  SuspensionChange clearSuspensionsOf(const std::vector<SuspensionClear>& clears);
  // Suspensions cleared in this process (by digest, the latest time each), oldest first.
  std::vector<SuspensionClear> suspensionClears() const;
  // False while the suspension list in memory has changes suspended.json lacks.
  bool suspensionsSaved() const;
  std::uint64_t suspensionsAdded() const { return suspensionsAdded_.load(std::memory_order_relaxed); }
  std::string suspensionsJson() const;
  bool loadSuspensionsJson(std::string_view json, std::string& problem);
  static std::string suspensionsPath(const std::string& dir);  // suspended.json

  // The last reload's changes (ReloadDiff::json()), kept in state.json.
  void setLastReloadDiff(std::string json);

  // True if anything changed since the last save (or load).
  bool dirty() const;

  // state.json's content: usage only (version 2). Always valid UTF-8 JSON.
  std::string usageJson() const;
  // revoked.json's content.
  std::string revocationsJson() const;
  // Restores usage from JSON saved by usageJson() (or a version 1 file, whose revocations
  // are added). On error returns false with `problem` and leaves the store as it was.
  // Call before serving: it replaces the KeyUsage objects, so earlier references die.
  bool loadJson(std::string_view json, std::string& problem);
  // Adds the revocations of a revoked.json text; false with `problem` if it is not one.
  bool loadRevocationsJson(std::string_view json, std::string& problem);

  static std::string statePath(const std::string& dir);        // state.json
  static std::string revocationsPath(const std::string& dir);  // revoked.json
  struct LoadOutcome {
    bool revocationFileFound = false;
    std::string revocationsProblem;  // set: revoked.json exists but cannot be used
    std::string suspensionsProblem;  // set: suspended.json exists but cannot be used
    std::string usageProblem;        // set: state.json exists but cannot be used
  };
  // Loads the files of `dir`; missing files are a first start. Each problem names its file.
  LoadOutcome load(const std::string& dir);
  // Writes what changed, atomically with mode 0600: revoked.json first, then suspended.json
  // if an earlier write of it failed, then state.json.
  // On failure `problem` says why and `failedPath` (if given) which file.
  bool save(const std::string& dir, std::string& problem, std::string* failedPath = nullptr);

 private:
  std::size_t ringSize_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<KeyUsage>> usage_;
  std::vector<RevokedKey> revoked_;
  // Calls counted: compared with the figure at the last save, it tells whether there is
  // anything new to write, without a shared counter on the hot path.
  std::uint64_t changeCount() const;
  std::uint64_t savedChangeCount_ = 0;
  std::size_t savedRevocations_ = 0;
  bool revocationFileWritten_ = false;
  std::vector<SuspendedKey> suspended_;
  std::atomic<std::uint64_t> suspensionsAdded_{0};
  std::string dir_;  // set by load(): where suspensions are written at once
  std::vector<SuspensionClear> clears_;
  bool suspensionsUnsaved_ = false;
  // Held by whoever changes suspended_ and writes suspended.json, for both: the file is
  // written in the order of the changes. Taken before mutex_, never after it.
  std::mutex suspensionFileMutex_;
  // With suspensionFileMutex_ held: writes `json` (if there is a directory), records the outcome.
  bool persistSuspensions(const std::string& json, std::string& problem);
  // `clearedAt` gives the time of the clear of a matching suspension, 0 for no match.
  SuspensionChange removeSuspensions(const std::function<std::int64_t(const SuspendedKey&)>& clearedAt);
  std::string lastReloadDiff_;  // JSON object, or empty
  bool diffDirty_ = false;
};

}  // namespace keyward
