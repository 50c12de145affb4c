#include "keyward/server/UnixListener.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace keyward {

namespace {

// Whether a process accepts connections on the socket file at `address`: a connection
// succeeds, or the backlog is full (EAGAIN). ECONNREFUSED: nobody listens, the file is stale.
bool someoneListens(const sockaddr_un& address) {
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (probe < 0) return false;
  const bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 ||
                    errno == EAGAIN || errno == EINPROGRESS;
  ::close(probe);
  return live;
}

}  // namespace

UnixListener::~UnixListener() {
  if (fd_ < 0) return;
  ::close(fd_);
  // Only the file this listener made: another process may have replaced it meanwhile.
  struct stat st;
  if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == device_ && st.st_ino == inode_) ::unlink(path_.c_str());
}

bool UnixListener::open(const std::string& path, mode_t mode, std::string& problem) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    problem = "path is longer than a unix socket address allows";
    return false;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      problem = "exists and is not a socket";
      return false;
    }
    if (someoneListens(address)) {
      problem = "in use (another process, perhaps another keyward, listens there)";
      return false;
    }
    ::unlink(path.c_str());  // left by an earlier run
  }
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    problem = std::strerror(errno);
    return false;
  }
  // Created with no access for anyone, then opened up to `mode`: no window in between.
  const mode_t old = ::umask(0777);
  const int bound = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::umask(old);
  if (bound != 0 || ::chmod(path.c_str(), mode) != 0 || ::listen(fd_, 4096) != 0) {
    problem = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  struct stat made;
  if (::lstat(path.c_str(), &made) == 0) {
    device_ = made.st_dev;
    inode_ = made.st_ino;
  }
  path_ = path;
  return true;
}

}  // namespace keyward
