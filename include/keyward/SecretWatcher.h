#pragma once
// Notices changes to key files and directories without a signal: inotify on the
// directories that hold them (so an atomic rename and a Kubernetes `..data` symlink swap are
// seen), bursts debounced into one reload, and a periodic re-check of the files' identity
// (inode, size, mtime) as a fallback for filesystems where inotify says nothing (NFS, some
// bind mounts). It only asks for a reload; the reload itself keeps the last good keys if it
// catches a file half-written or missing.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace keyward {

struct WatchTargets {
  std::vector<std::string> dirs;   // key directories
  std::vector<std::string> files;  // key files and env files (their directories are watched)
  bool operator==(const WatchTargets&) const = default;
};

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

  std::chrono::milliseconds debounce_;
  std::chrono::milliseconds recheck_;
  Trigger trigger_;
  void installWatches(const WatchTargets& targets);  // under mutex_

  std::mutex mutex_;
  WatchTargets targets_;
  std::string baseline_;
  bool targetsChanged_ = false;
  int inotifyFd_ = -1;
  std::vector<int> watches_;
  int wakeFd_ = -1;  // eventfd: new targets or stop
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace keyward
