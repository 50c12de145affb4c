#include "keyward/SecretFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace keyward {
namespace {

std::string modeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

bool sameVersion(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

SecretFileRead readSecretFile(const std::string& path, const SecretFileOptions& options) {
  SecretFileRead result;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT) {
      struct stat link;
      result.problem = ::lstat(path.c_str(), &link) == 0 ? "is a dangling symlink" : "does not exist";
    } else if (err == EACCES) {
      result.problem = "cannot be read (permission denied)";
    } else {
      result.problem = std::string("cannot be opened (") + std::strerror(err) + ")";
    }
    return result;
  }
  struct stat before;
  if (::fstat(fd.get(), &before) != 0) {
    result.problem = std::string("cannot be inspected (") + std::strerror(errno) + ")";
    return result;
  }
  if (S_ISDIR(before.st_mode)) {
    result.problem = "is a directory, not a file";
    return result;
  }
  if (!S_ISREG(before.st_mode)) {
    result.problem = "is not a regular file (FIFO, socket or device)";
    return result;
  }
  if (options.checkPermissions && (before.st_mode & 066) != 0) {
    result.problem = "is readable or writable by group or others (mode " + modeText(before.st_mode) +
                     "); chmod 600 it, or set check_permissions: false for this source";
    return result;
  }
  if (static_cast<std::size_t>(before.st_size) > options.maxBytes) {
    result.problem = "is larger than " + std::to_string(options.maxBytes) + " bytes";
    return result;
  }

  // One byte of headroom shows whether the file grew after fstat.
  SecretBuffer buffer(static_cast<std::size_t>(before.st_size) + 1);
  std::size_t total = 0;
  while (total < buffer.capacity()) {
    ssize_t n = ::read(fd.get(), buffer.data() + total, buffer.capacity() - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.problem = std::string("cannot be read (") + std::strerror(errno) + ")";
      return result;
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  buffer.setSize(total);
  struct stat after;
  if (::fstat(fd.get(), &after) != 0 || !sameVersion(before, after) ||
      total != static_cast<std::size_t>(before.st_size)) {
    result.problem = "changed while it was being read";
    return result;
  }
  result.ok = true;
  result.content = std::move(buffer);
  return result;
}

}  // namespace keyward
