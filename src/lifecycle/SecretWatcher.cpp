#include "keyward/lifecycle/SecretWatcher.h"

#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

#include "keyward/base/Log.h"
#include "keyward/base/SecretFile.h"

namespace keyward {

WatchTargets watchTargetsOf(const Config& config) {
  WatchTargets targets;
  for (const KeyDirDecl& d : config.keyDirs) targets.dirs.push_back(d.path);
  for (const KeyDecl& k : config.keys) {
    if (k.origin == KeyOrigin::File) targets.files.push_back(k.ref);
  }
  for (const EnvFileDecl& e : config.envFiles) targets.files.push_back(e.path);
  return targets;
}

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
  out += ':' + std::to_string(st.st_ino) + ':' + std::to_string(st.st_size) + ':' + std::to_string(st.st_mtim.tv_sec) +
         '.' + std::to_string(st.st_mtim.tv_nsec) + '\n';
}

std::string baseName(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Kubernetes swaps a secret volume by renaming a new "..data" symlink over the old one.
bool isDataSwap(std::string_view name) { return name == "..data"; }

// An entry of a key directory that can hold a key: loadKeyDir skips hidden names (editor
// swap files, `keygen --out`'s temporary file, Kubernetes' timestamped directories).
bool isKeyDirEntry(std::string_view name) { return !name.empty() && name[0] != '.'; }

}  // namespace

bool SecretWatcher::WatchedDir::matters(std::string_view name) const {
  if (name.empty()) return true;  // the directory itself changed
  if (isDataSwap(name)) return true;
  if (keyDir && isKeyDirEntry(name)) return true;
  return names.count(std::string(name)) > 0;
}

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
  std::lock_guard<std::mutex> lock(watchesMutex_);
  for (const auto& [wd, dir] : watches_) ::inotify_rm_watch(inotifyFd_, wd);
  watches_.clear();
  if (inotifyFd_ < 0) return;
  std::map<std::string, WatchedDir> dirs;
  for (const std::string& d : targets.dirs) dirs[d].keyDir = true;
  for (const std::string& f : targets.files) dirs[parentOf(f)].names.insert(baseName(f));
  constexpr std::uint32_t kMask =
      IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  for (const auto& [path, dir] : dirs) {
    int wd = ::inotify_add_watch(inotifyFd_, path.c_str(), kMask);
    if (wd >= 0) {
      watches_[wd] = dir;
    } else {
      // The path comes from the config and may be a pasted secret: shown only if safe.
      Log::warn("watch", "cannot watch a directory; the periodic re-check still covers it",
                {{"path", printablePath(path)}});
    }
  }
}

bool SecretWatcher::drainEvents() {
  alignas(inotify_event) char buffer[8192];
  bool relevant = false;
  std::lock_guard<std::mutex> lock(watchesMutex_);
  for (ssize_t n; (n = ::read(inotifyFd_, buffer, sizeof buffer)) > 0;) {
    for (ssize_t at = 0; at < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
      at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      if (event->mask & IN_Q_OVERFLOW) {
        relevant = true;  // events were lost: assume the worst
        continue;
      }
      auto it = watches_.find(event->wd);
      if (it == watches_.end() || (event->mask & IN_IGNORED)) continue;  // a watch already removed
      const std::string_view name = event->len > 0 ? std::string_view(event->name) : std::string_view();
      if (it->second.matters(name)) relevant = true;
    }
  }
  return relevant;
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
        // The same entries the loader reads (plus the Kubernetes swap link), so that files
        // written beside the keys do not look like a change.
        std::string name = e->d_name;
        if (isKeyDirEntry(name) || isDataSwap(name)) names.push_back(name);
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
    if (inotifyFd_ >= 0 && (fds[1].revents & POLLIN) && drainEvents()) {
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
