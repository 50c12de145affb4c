#pragma once
// A listening unix domain socket for a proxy on the same host (`listen_unix`). A stale
// socket file from an earlier run (nobody accepts on it) is replaced; a live one is another
// process's, perhaps another keyward's, and is never taken over ("in use"); any other kind
// of file at the path is refused. The file is removed again when the listener is
// destroyed, if it is still this listener's.

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
  dev_t device_ = 0;  // the socket file this listener made, to remove only that one
  ino_t inode_ = 0;
};

}  // namespace keyward
