#pragma once
// An exclusive lock on a directory for the life of this process: flock() on DIR/.lock, which
// holds the owner's pid for the message a second process gets. The kernel drops the lock
// when the process ends, however it ends, so there is never a stale lock to clear by hand.
//
// keyward takes it on `state_dir`: two copies sharing one would each rewrite revoked.json and
// suspended.json from their own memory, the last writer silently undoing the other's
// revocations and suspensions.

#include <string>

namespace keyward {

class DirectoryLock {
 public:
  DirectoryLock() = default;
  ~DirectoryLock();
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

  // Creates `dir` (0700) if it is missing, then takes the lock without waiting. False when
  // another process holds it ("held by process N") or the lock file cannot be made;
  // problem() says which, naming the directory.
  bool acquire(const std::string& dir);
  const std::string& problem() const { return problem_; }

 private:
  int fd_ = -1;
  std::string problem_;
};

}  // namespace keyward
