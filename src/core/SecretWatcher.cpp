#include "keyward/SecretWatcher.h"

#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "keyward/Log.h"

namespace keyward {
namespace {

std::string parentOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void appendIdentity(std::string& out, const std::string& path) {
  struct stat st;
  out += path;
  if (::stat(path.c_str(), &st) != 0) {
    out += ":missing\n";
    return;
  }
  out += ':' + std::to_string(st.st_ino) + ':' + std::to_string(st.st_size) + ':' +
         std::to_string(st.st_mtim.tv_sec) + '.' + std::to_string(st.st_mtim.tv_nsec) + '\n';
}

}  // namespace

SecretWatcher::SecretWatcher(std::chrono::milliseconds debounce, std::chrono::milliseconds recheck, Trigger trigger)
    : debounce_(debounce), recheck_(recheck), trigger_(std::move(trigger)) {
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  inotifyFd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotifyFd_ < 0) Log::warn("watch", "inotify unavailable; relying on the periodic re-check");
}

SecretWatcher::~SecretWatcher() {
  stop_ = true;
  if (wakeFd_ >= 0) {
    std::uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (inotifyFd_ >= 0) ::close(inotifyFd_);
}

void SecretWatcher::installWatches(const WatchTargets& targets) {
  for (int wd : watches_) ::inotify_rm_watch(inotifyFd_, wd);
  watches_.clear();
  if (inotifyFd_ < 0) return;
  std::set<std::string> dirs(targets.dirs.begin(), targets.dirs.end());
  for (const std::string& f : targets.files) dirs.insert(parentOf(f));
  constexpr std::uint32_t kMask =
      IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  for (const std::string& dir : dirs) {
    int wd = ::inotify_add_watch(inotifyFd_, dir.c_str(), kMask);
    if (wd >= 0) watches_.push_back(wd);
    else Log::warn("watch", "cannot watch a directory; the periodic re-check still covers it", {{"path", dir}});
  }
}

void SecretWatcher::setTargets(WatchTargets targets, std::string baseline) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (targets != targets_ || !thread_.joinable()) installWatches(targets);
    targets_ = std::move(targets);
    baseline_ = std::move(baseline);
    targetsChanged_ = true;
  }
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
  } else {
    std::uint64_t one = 1;
    (void)!::write(wakeFd_, &one, sizeof one);
  }
}

std::string SecretWatcher::fingerprintOf(const WatchTargets& targets) {
  std::string out;
  for (const std::string& dir : targets.dirs) {
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
      while (dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
      }
      ::closedir(d);
    }
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) appendIdentity(out, dir + "/" + name);  // follows ..data links
  }
  for (const std::string& file : targets.files) appendIdentity(out, file);
  return out;
}

void SecretWatcher::run() {
  using Clock = std::chrono::steady_clock;
  WatchTargets targets;
  std::string lastFingerprint;
  bool pending = false;
  Clock::time_point lastEvent{}, nextCheck = Clock::now() + recheck_;

  while (!stop_) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (targetsChanged_) {
        targets = targets_;
        targetsChanged_ = false;
        // Anything that changed since the baseline (taken before the keys were read) was
        // missed by the load: ask for another.
        lastFingerprint = baseline_;
        nextCheck = Clock::now();
      }
    }
    const auto now = Clock::now();
    auto until = nextCheck;
    if (pending) until = std::min(until, lastEvent + debounce_);
    const int timeout = static_cast<int>(
        std::max<long long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count()));
    pollfd fds[2] = {{wakeFd_, POLLIN, 0}, {inotifyFd_, POLLIN, 0}};
    ::poll(fds, inotifyFd_ >= 0 ? 2 : 1, timeout);
    if (fds[0].revents & POLLIN) {
      std::uint64_t count;
      (void)!::read(wakeFd_, &count, sizeof count);
    }
    if (inotifyFd_ >= 0 && (fds[1].revents & POLLIN)) {
      alignas(inotify_event) char buffer[8192];
      while (::read(inotifyFd_, buffer, sizeof buffer) > 0) {
      }
      pending = true;
      lastEvent = Clock::now();
    }
    if (stop_) break;
    if (pending && Clock::now() - lastEvent >= debounce_) {
      pending = false;
      lastFingerprint = fingerprintOf(targets);
      trigger_("a watched key file or directory changed");
    }
    if (Clock::now() >= nextCheck) {
      nextCheck = Clock::now() + recheck_;
      std::string fingerprint = fingerprintOf(targets);
      if (fingerprint != lastFingerprint) {
        lastFingerprint = std::move(fingerprint);
        trigger_("the periodic re-check found a changed key file");
      }
    }
  }
}

}  // namespace keyward
