#include "keyward/lifecycle/StateKeeper.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "keyward/base/Json.h"
#include "keyward/base/Log.h"

namespace keyward {

StateKeeper::StateKeeper(UsageStore& store, std::string dir, std::chrono::milliseconds interval)
    : store_(store), dir_(std::move(dir)), interval_(interval), lastSave_(std::chrono::steady_clock::now()) {}

bool StateKeeper::open() {
  if (dir_.empty()) return true;
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    Log::error("state", "cannot create the state directory; usage and revocations will not be kept across restarts",
               {{"state_dir", dir_}, {"error", std::strerror(errno)}});
    return true;
  }
  UsageStore::LoadOutcome loaded = store_.load(dir_);
  if (!loaded.revocationsProblem.empty()) {
    // Fail closed: serving without the list would accept revoked keys again.
    Log::error("state", "revocation list unreadable; not starting (fix or restore the file: it lists revoked keys)",
               {{"path", UsageStore::revocationsPath(dir_)}, {"error", loaded.revocationsProblem}});
    problem_ =
        loaded.revocationsProblem + " (the revocation list; fix or restore it, keyward will not start without it)";
    return false;
  }
  if (!loaded.suspensionsProblem.empty()) {
    // Fail closed too: serving without the list would accept keys reported leaked.
    Log::error("state",
               "suspension list unreadable; not starting (fix or restore the file: it lists keys suspended as leaked)",
               {{"path", UsageStore::suspensionsPath(dir_)}, {"error", loaded.suspensionsProblem}});
    problem_ = loaded.suspensionsProblem +
               " (the suspension list of leaked keys; fix or restore it, keyward will not start without it)";
    return false;
  }
  if (!loaded.usageProblem.empty()) {
    const std::string path = UsageStore::statePath(dir_);
    if (!loaded.revocationFileFound) {
      // A state file from before revoked.json existed holds the revocations itself.
      Log::error("state", "state file unreadable and it may hold revocations; not starting",
                 {{"path", path}, {"error", loaded.usageProblem}});
      problem_ = loaded.usageProblem + " (written by an older keyward, it may list revoked keys; fix or restore it)";
      return false;
    }
    // Only usage is lost: keep the file for the operator and start afresh.
    const std::string aside = path + ".corrupt-" + std::to_string(unixMillisNow() / 1000);
    const bool moved = std::rename(path.c_str(), aside.c_str()) == 0;
    Log::error("state", "state file unreadable; serving with empty usage (revocations are kept apart and intact)",
               {{"path", path}, {"error", loaded.usageProblem}, {"moved_to", moved ? aside : std::string()}});
  } else {
    Log::info("state", "state loaded", {{"path", UsageStore::statePath(dir_)}});
  }
  // Write revoked.json now (also when migrating from a version 1 state file), so that from
  // here on the revocations live in their own file.
  save();
  return true;
}

bool StateKeeper::save() {
  lastSave_ = std::chrono::steady_clock::now();
  std::string problem;
  std::string path;
  if (store_.save(dir_, problem, &path)) return true;
  Log::error("state", "cannot write the state file", {{"path", path}, {"error", problem}});
  return false;
}

void StateKeeper::tick() {
  if (dir_.empty() || std::chrono::steady_clock::now() - lastSave_ < interval_) return;
  if (store_.dirty()) save();
}

void StateKeeper::flush() {
  if (!dir_.empty() && store_.dirty()) save();
}

}  // namespace keyward
