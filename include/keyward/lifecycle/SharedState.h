#pragma once
// Many replicas, one view (`shared_state:`): rate budgets, usage, revocations and leak
// suspensions shared through Redis by one background thread. Nothing here is on the
// request path: requests decide with local state only (RateBudget, KeyUsage, the key set),
// and this thread reconciles that state with the fleet's every `sync_interval` (budgets,
// revocations, suspensions) and `usage_interval` (counts, last used). See FleetSync.h for
// what is stored in Redis.
//
// Consistency: budgets are eventually shared. Each replica reports what it admitted and
// spends, on its own budget, what the others admitted since its last sync; the fleet can
// go over a limit by what the replicas admit between two syncs (about replicas x rate x
// sync_interval), plus one burst per replica when a budget starts full everywhere.
// Revocations are one-way and permanent: one published by any replica is added to every
// replica's list and `onRevoked` is called (the daemon reloads, which applies it).
// Leak suspensions travel the same way, within the same round (sync_interval): one
// recorded by any replica is suspended on every replica that serves the key (written to its
// suspended.json, sticky across restarts), and a clear (keyward leaked --clear on any
// replica) clears it on all of them. Redis keeps the latest of the two per key, ordered by
// time (a clear is always later than the suspension it cleared); a replica that was away
// publishes what it did meanwhile and takes what is newer. This is done on the sync thread
// (including the suspended.json write), never on an event loop.
//
// Usage figures are pushed under the replica's name only while this process holds the name's
// claim (`P replica:NAME`, refreshed each usage sync): a second process given the same
// `replica_name` pushes nothing and logs `shared_state_name_taken`, instead of overwriting
// the first one's figures (and having its own overwritten).
// A budget counter in Redis that is not a number (written by hand or by another program
// under the prefix) is reset and logged (`shared_state_repaired`); the round goes on.
// Redis down, slow, partitioned or refusing the password: the thread logs it once per
// change, reports it in status(), and retries with backoff (100 ms doubling to 2 s); every
// replica goes on deciding alone, so each one holds a key to its whole limit (the fleet to
// replicas x limit) until Redis is back. Every Redis call has `timeout`.
//
// Thread-safe: status() and metricsText() may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "keyward/config/Config.h"
#include "keyward/lifecycle/FleetSync.h"
#include "keyward/lifecycle/RateLimiter.h"
#include "keyward/lifecycle/RedisConnection.h"
#include "keyward/lifecycle/Reloader.h"
#include "keyward/lifecycle/UsageStore.h"

namespace keyward {

struct SharedStateStatus {
  std::string redis;    // endpoint (no password)
  std::string replica;  // this replica's name in Redis
  bool connected = false;
  std::int64_t lastSyncMs = 0;  // last successful sync (Unix ms), 0 = never
  std::uint64_t errors = 0;     // failed connects and syncs
  std::string lastError;        // "" while connected
  std::uint64_t revocationsReceived = 0;
};

class SharedState {
 public:
  // Called on the sync thread when revocations from other replicas were added to the
  // store: the key set must be rebuilt for them to take effect.
  using RevokedCallback = std::function<void()>;

  // `config.sharedState` must be enabled (and valid: ConfigLoader checked it).
  SharedState(const Config& config, RateLimiter& limiter, UsageStore& usage, const Reloader& reloader,
              RevokedCallback onRevoked);
  ~SharedState();  // stop()
  SharedState(const SharedState&) = delete;
  SharedState& operator=(const SharedState&) = delete;

  void start();
  // Pushes what is left (one try, bounded by the timeout) and joins the thread.
  void stop();

  SharedStateStatus status() const;
  // Prometheus lines: keyward_shared_state_up, _errors_total, _last_sync_timestamp_seconds.
  std::string metricsText() const;

 private:
  void run();
  bool connect();
  // One round: budgets and revocations. False on a Redis problem (`problem` says which).
  bool syncBudgetsAndRevocations(std::string& problem);
  bool syncUsage(std::string& problem);
  // While Redis is away: the admitted counts are dropped (they are past; the others
  // cannot spend them now).
  void drainBudgets();
  void resolvePendingRevocations();
  // Leak suspensions: publishes this replica's news, takes the fleet's (see above).
  bool syncSuspensions(std::string& problem);
  void applySuspensions(const std::vector<SuspendedKey>& suspend,
                        const std::vector<UsageStore::SuspensionClear>& clear);
  void setConnected(bool connected, const std::string& problem);

  SharedStateConfig config_;
  RedisEndpoint endpoint_;
  std::string replica_;
  std::string instance_;  // this process, in the claim on replica_ (see syncUsage)
  RateLimiter& limiter_;
  UsageStore& usage_;
  const Reloader& reloader_;
  RevokedCallback onRevoked_;
  RedisConnection redis_;

  // Sync thread only.
  std::unordered_map<std::string, FleetCount> counts_;   // by budget Redis key
  std::unordered_map<std::string, std::int64_t> carry_;  // given back after being reported
  std::unordered_map<std::string, int> idleRounds_;      // rounds with nothing admitted here
  std::uint64_t round_ = 0;
  std::unordered_map<std::string, UsageFigures> pushedUsage_;  // what this replica last wrote
  std::set<std::string> othersShown_;                          // ids given others' figures
  std::set<std::string> knownRevoked_;                         // fingerprints known here
  std::map<std::string, SharedRevocation> pendingRevoked_;     // published, not yet matched
  std::uint64_t pendingCheckedGeneration_ = 0;
  std::int64_t remoteRevokedCount_ = -1;
  std::chrono::steady_clock::time_point nextUsageSync_{};
  std::int64_t suspendedVersionSeen_ = 0;         // P suspended:version this round
  bool nameTaken_ = false;                        // another process holds the claim on replica_
  std::int64_t remoteSuspendedVersion_ = -1;      // ... when P suspended was last read
  std::uint64_t suspensionLookupGeneration_ = 0;  // key set and version last matched
  std::int64_t suspensionLookupVersion_ = -2;
  std::map<std::string, SharedSuspension> remoteSuspended_;  // P suspended as last read
  std::string loggedSuspensionProblem_;

  mutable std::mutex statusMutex_;
  SharedStateStatus status_;
  bool everConnected_ = false;
  std::string loggedProblem_;

  std::mutex wakeMutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace keyward
