#include "keyward/lifecycle/Reloader.h"

#include <algorithm>
#include <chrono>

#include "keyward/base/Json.h"
#include "keyward/base/Log.h"
#include "keyward/base/SecretFile.h"
#include "keyward/config/ConfigLoader.h"
#include "keyward/lifecycle/SecretWatcher.h"

namespace keyward {

ConfigResult loadConfigFileNonBlocking(const std::string& path) {
  // Opened like key files: a FIFO or device named as the config is refused, never waited on.
  PlainFileRead read = readPlainFile(path, kMaxConfigFileBytes);
  if (!read.ok) return {std::nullopt, {path + ": the config file " + read.problem}};
  return parseConfigText(read.content, path);
}

Reloader::Reloader(std::string configPath, EnvLookup env, UsageStore* store)
    : configPath_(std::move(configPath)), env_(std::move(env)), store_(store) {
  status_.startedUnixMs = unixMillisNow();
  publishedStatus_.publish(std::make_shared<const ReloadStatus>(status_));
}

Reloader::Loaded Reloader::load(bool withListing) const {
  Loaded loaded;
  ReloadOutcome& outcome = loaded.outcome;
  auto started = std::chrono::steady_clock::now();
  try {
    ConfigResult parsed =
        configPath_.empty() ? ConfigResult{builtInConfig(), {}} : loadConfigFileNonBlocking(configPath_);
    if (!parsed.config) {
      for (std::string& error : parsed.errors) outcome.problems.push_back({"config", "", std::move(error), ""});
    } else {
      if (parsed.config->watch) {
        outcome.sourcesFingerprint = SecretWatcher::fingerprintOf(watchTargetsOf(*parsed.config));
      }
      KeyLoadResult keys = loadKeys(*parsed.config, env_, withListing,
                                    store_ ? store_->revocations() : std::vector<RevokedKey>{}, unixMillisNow());
      outcome.problems = std::move(keys.problems);
      outcome.listing = std::move(keys.listing);
      outcome.config = std::move(parsed.config);
      if (keys.keys) {
        if (store_) {
          for (const SuspendedKey& s : store_->suspensions()) keys.keys->markLeaked(s.digest, true);
        }
        outcome.ok = true;
        outcome.keyCount = keys.keys->size();
        loaded.keys = std::move(keys.keys);
      }
    }
  } catch (const std::exception& e) {
    // Third-party code (yaml-cpp, the allocator) throwing must not take the daemon down.
    outcome.ok = false;
    loaded.keys.reset();
    outcome.problems.push_back({"reload", "", std::string("unexpected failure: ") + e.what(), ""});
  }
  outcome.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  return loaded;
}

ReloadOutcome Reloader::check() const { return load(true).outcome; }

std::shared_ptr<const KeySet> Reloader::candidate(ReloadOutcome& outcome) const {
  Loaded loaded = load(false);
  outcome = std::move(loaded.outcome);
  return loaded.keys;
}

ReloadOutcome Reloader::reload(const Report& report) {
  std::lock_guard<std::mutex> lock(mutex_);
  Loaded loaded = load(false);
  ReloadOutcome& outcome = loaded.outcome;
  if (outcome.ok) {
    if (store_) store_->addRevocations(loaded.keys->revoked());
    std::shared_ptr<const KeySet> before = keys_.current();
    outcome.diff = diffKeySets(before.get(), *loaded.keys);
    std::shared_ptr<const KeySet> published = loaded.keys;
    status_.generation = keys_.publish(std::move(loaded.keys));
    // A leak reported (or cleared) while this set was being built changed the old set only:
    // bring this one in line with the suspension list now that readers can see it.
    if (store_) {
      std::vector<Digest> suspended;
      for (const SuspendedKey& s : store_->suspensions()) suspended.push_back(s.digest);
      std::sort(suspended.begin(), suspended.end());
      for (const KeyEntry& entry : published->entries()) {
        const bool leaked = std::binary_search(suspended.begin(), suspended.end(), entry.digest);
        if (leaked != entry.isLeaked()) published->markLeaked(entry.digest, leaked);
      }
    }
    if (before) {
      // The first load (at start) is no change to report: what it loaded is /v1/keys.
      status_.lastChanges = outcome.diff.json();
      if (store_) store_->setLastReloadDiff(status_.lastChanges);
      // Ids only, and fingerprints of changed secrets: what an operator needs to tell a
      // reload that did what was meant from one that did not.
      auto ids = [](const std::vector<std::string>& list) {
        std::string out;
        for (std::size_t i = 0; i < list.size() && i < 50; ++i) out += (i ? " " : "") + list[i];
        if (list.size() > 50) out += " ...";
        return out;
      };
      std::string secrets;
      for (std::size_t i = 0; i < outcome.diff.secretChanged.size() && i < 50; ++i) {
        const SecretChange& c = outcome.diff.secretChanged[i];
        secrets += (i ? " " : "") + c.id + ":" + c.oldFingerprint + "->" + c.newFingerprint;
      }
      Log::info("reload_diff", outcome.diff.empty() ? "reload changed no key" : "reload changed keys",
                {{"added", ids(outcome.diff.added)},
                 {"removed", ids(outcome.diff.removed)},
                 {"policy_changed", ids(outcome.diff.policyChanged)},
                 {"secret_changed", secrets},
                 {"added_count", outcome.diff.added.size()},
                 {"removed_count", outcome.diff.removed.size()},
                 {"policy_changed_count", outcome.diff.policyChanged.size()},
                 {"secret_changed_count", outcome.diff.secretChanged.size()}});
    }
  }
  outcome.generation = status_.generation;
  // Reported (logged) before the status shows this attempt: whoever waits for the status
  // to change (`keyward reload`, tests) then finds the log lines already written.
  if (report) report(outcome);
  status_.lastAttemptUnixMs = unixMillisNow();
  status_.lastOk = outcome.ok;
  status_.lastErrors.clear();
  if (outcome.ok) {
    status_.keyCount = outcome.keyCount;
    ++status_.succeeded;
  } else {
    for (const Problem& problem : outcome.problems) status_.lastErrors.push_back(problem.publicText());
    ++status_.failed;
  }
  publishedStatus_.publish(std::make_shared<const ReloadStatus>(status_));
  return outcome;
}

ReloadStatus Reloader::status() const { return *publishedStatus_.current(); }

}  // namespace keyward
