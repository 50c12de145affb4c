#include "keyward/Reloader.h"

#include <chrono>

#include "keyward/ConfigLoader.h"
#include "keyward/SecretWatcher.h"
#include "keyward/Json.h"
#include "keyward/SecretFile.h"

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
    ConfigResult parsed = configPath_.empty() ? ConfigResult{builtInConfig(), {}} : loadConfigFileNonBlocking(configPath_);
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

ReloadOutcome Reloader::reload(const Report& report) {
  std::lock_guard<std::mutex> lock(mutex_);
  Loaded loaded = load(false);
  ReloadOutcome& outcome = loaded.outcome;
  if (outcome.ok) {
    if (store_) store_->addRevocations(loaded.keys->revoked());
    status_.generation = keys_.publish(std::move(loaded.keys));
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
