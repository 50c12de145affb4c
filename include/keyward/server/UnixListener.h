#pragma once
// A listening unix domain socket for a proxy on the same host (`listen_unix`). A stale
// socket file from an earlier run is replaced; any other kind of file at the path is not.
// The file is removed again when the listener is destroyed.

#include <sys/types.h>

#include <string>

namespace keyward {

class UnixListener {
 public:
  UnixListener() = default;
  ~UnixListener();
  UnixListener(const UnixListener&) = delete;
  UnixListener& operator=(const UnixListener&) = delete;

  bool open(const std::string& path, mode_t mode, std::string& problem);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace keyward
