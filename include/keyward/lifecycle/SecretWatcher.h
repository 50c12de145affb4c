#pragma once
// Notices changes to key files and directories without a signal: inotify on the
// directories that hold them (so an atomic rename and a Kubernetes `..data` symlink swap are
// seen), bursts debounced into one reload, and a periodic re-check of the files' identity
// (inode, size, mtime) as a fallback for filesystems where inotify says nothing (NFS, some
// bind mounts). It only asks for a reload; the reload itself keeps the last good keys if it
// catches a file half-written or missing.
// Only events that can change the key set count: in a key directory, entries that are not
// hidden; in a directory watched for key files or env files, only those files' names; in
// both, the Kubernetes `..data` swap. Editor swap files, `keygen --out` temporaries and
// unrelated files beside the keys cause no reload.
// Thread-safe: setTargets() may be called from any one thread at a time; the trigger runs
// on the watcher's own thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "keyward/config/Config.h"

namespace keyward {

struct WatchTargets {
  std::vector<std::string> dirs;   // key directories
  std::vector<std::string> files;  // key files and env files (their directories are watched)
  bool operator==(const WatchTargets&) const = default;
};

// The files and directories the config reads keys from.
WatchTargets watchTargetsOf(const Config& config);

class SecretWatcher {
 public:
  using Trigger = std::function<void(const std::string& why)>;
  SecretWatcher(std::chrono::milliseconds debounce, std::chrono::milliseconds recheck, Trigger trigger);
  ~SecretWatcher();  // stops the thread
  SecretWatcher(const SecretWatcher&) = delete;
  SecretWatcher& operator=(const SecretWatcher&) = delete;

  // What to watch from now on (after each successful load). The watches are in place when
  // this returns. `baseline` is fingerprintOf(targets) taken before the keys were read: if
  // the files differ from it already, a reload is asked for at once. Starts the thread on
  // first use.
  void setTargets(WatchTargets targets, std::string baseline);

  // A cheap identity of everything watched: changes when any file is replaced or edited.
  static std::string fingerprintOf(const WatchTargets& targets);

 private:
  void run();
  // Reads every pending inotify event; true if any of them can change the key set.
  bool drainEvents();

  struct WatchedDir {
    bool keyDir = false;          // listed in key_dirs
    std::set<std::string> names;  // key files and env files in it
    bool matters(std::string_view name) const;
  };

  std::chrono::milliseconds debounce_;
  std::chrono::milliseconds recheck_;
  Trigger trigger_;
  void installWatches(const WatchTargets& targets);  // under mutex_

  std::mutex mutex_;
  WatchTargets targets_;
  std::string baseline_;
  bool targetsChanged_ = false;
  int inotifyFd_ = -1;
  std::mutex watchesMutex_;            // guards watches_ (installWatches under mutex_ too; drainEvents)
  std::map<int, WatchedDir> watches_;  // by watch descriptor
  int wakeFd_ = -1;                    // eventfd: new targets or stop
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace keyward
