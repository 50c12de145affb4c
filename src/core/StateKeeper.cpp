#include "keyward/StateKeeper.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "keyward/Json.h"
#include "keyward/Log.h"

namespace keyward {

StateKeeper::StateKeeper(UsageStore& store, std::string dir, std::chrono::milliseconds interval)
    : store_(store), dir_(std::move(dir)), interval_(interval), lastSave_(std::chrono::steady_clock::now()) {}

void StateKeeper::open() {
  if (dir_.empty()) return;
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    Log::error("state", "cannot create the state directory; usage and revocations will not be kept across restarts",
               {{"state_dir", dir_}, {"error", std::strerror(errno)}});
    return;
  }
  std::string problem;
  if (store_.load(dir_, problem)) {
    Log::info("state", "state loaded", {{"path", UsageStore::statePath(dir_)}});
    return;
  }
  // Keep the unreadable file for the operator (it may hold revocations) and start afresh.
  const std::string path = UsageStore::statePath(dir_);
  const std::string aside = path + ".corrupt-" + std::to_string(unixMillisNow() / 1000);
  const bool moved = std::rename(path.c_str(), aside.c_str()) == 0;
  Log::error("state", "state file unreadable; serving with empty usage",
             {{"path", path}, {"error", problem}, {"moved_to", moved ? aside : std::string()}});
}

bool StateKeeper::save() {
  lastSave_ = std::chrono::steady_clock::now();
  std::string problem;
  if (store_.save(dir_, problem)) return true;
  Log::error("state", "cannot write the state file", {{"path", UsageStore::statePath(dir_)}, {"error", problem}});
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
