#pragma once
// Owns the live key set and replaces it: re-reads the config file and every key source,
// builds the new set aside, and publishes it only if everything is valid. A failed reload
// leaves the old set serving and is recorded for /v1/status and the log.
// Thread-safe: reload() calls are serialised; readers use keys() and status(), which never
// wait for a reload in progress (the status is published like the key set).

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "keyward/base/Snapshot.h"
#include "keyward/config/Config.h"
#include "keyward/config/ConfigLoader.h"
#include "keyward/keys/KeyLoader.h"
#include "keyward/keys/KeySet.h"
#include "keyward/lifecycle/ReloadDiff.h"
#include "keyward/lifecycle/UsageStore.h"

namespace keyward {

struct ReloadStatus {
  std::uint64_t generation = 0;  // successful loads so far (1 after start)
  std::size_t keyCount = 0;
  std::int64_t lastAttemptUnixMs = 0;
  bool lastOk = false;
  std::vector<std::string> lastErrors;  // publicText() of each problem: no key ids
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;
  std::int64_t startedUnixMs = 0;
  std::string lastChanges;  // ReloadDiff::json() of the last published reload ("" before one)
};

struct ReloadOutcome {
  bool ok = false;
  std::uint64_t generation = 0;
  std::size_t keyCount = 0;
  double millis = 0;
  std::vector<Problem> problems;    // full texts, for the log and --check-config
  std::vector<KeyListing> listing;  // the keys read; filled by check() only
  std::optional<Config> config;     // the config that was loaded (set when it parsed)
  // With `watch` on: SecretWatcher::fingerprintOf() the key sources, taken after the config
  // was read and before the keys were, so a change racing the load is not lost.
  std::string sourcesFingerprint;
  ReloadDiff diff;  // reload(): what the published set changed against the one before
};

// loadConfigFile() for a daemon: the file is opened without blocking and must be a regular
// file of at most 64 MiB (a FIFO as the config must not hang a reload).
inline constexpr std::size_t kMaxConfigFileBytes = 64u << 20;
ConfigResult loadConfigFileNonBlocking(const std::string& path);

class Reloader {
 public:
  // `configPath` empty means the built-in default config.
  // `store` (may be null) holds the revocation list: applied to every load, and extended
  // with the keys a published config revokes; its leak suspensions are marked on every
  // set built, and each reload's diff is handed to it (state.json) and logged.
  Reloader(std::string configPath, EnvLookup env, UsageStore* store = nullptr);

  // Called by reload() with the outcome once the keys are published (or refused) and
  // before status() shows the attempt, e.g. to log it.
  using Report = std::function<void(const ReloadOutcome&)>;
  // Loads config and keys; publishes on success. Never throws (unless `report` does).
  ReloadOutcome reload(const Report& report = {});

  // Loads and validates without publishing (for --check-config).
  ReloadOutcome check() const;

  // Loads the config aside, without publishing: the candidate key set (null with
  // `outcome.problems` on failure), leak suspensions applied. For dry runs.
  std::shared_ptr<const KeySet> candidate(ReloadOutcome& outcome) const;

  const Published<KeySet>& keys() const { return keys_; }
  // The status as of the last finished reload. Loops read it through a SnapshotReader of
  // statusSnapshots() (no lock unless it changed); status() takes a short lock to copy.
  ReloadStatus status() const;
  const Published<ReloadStatus>& statusSnapshots() const { return publishedStatus_; }
  const std::string& configPath() const { return configPath_; }

 private:
  struct Loaded {
    ReloadOutcome outcome;
    std::shared_ptr<const KeySet> keys;
  };
  Loaded load(bool withListing) const;

  std::string configPath_;
  EnvLookup env_;
  UsageStore* store_;
  Published<KeySet> keys_;
  std::mutex mutex_;  // serialises reload() and guards status_ (never taken by readers)
  ReloadStatus status_;
  Published<ReloadStatus> publishedStatus_;
};

}  // namespace keyward
