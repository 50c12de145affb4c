#include "keyward/base/SecretFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace keyward {
namespace {

std::atomic<bool> gRootOwnerChecks{false};

std::string modeText(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The same content: the same file, size and modification time. Not the ctime: it also moves
// when only the link count or the mode changes, as when keygen --out unlinks its temporary
// name just after linking the key into place.
bool sameVersion(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
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

std::string parentOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Opens `path` for reading without blocking and checks that it is a regular file no larger
// than `maxBytes`. On failure fd < 0 and `problem` says why.
struct Opened {
  std::unique_ptr<FileDescriptor> fd;
  struct stat st {};
  std::string problem;
};

Opened openRegular(const std::string& path, std::size_t maxBytes) {
  Opened opened;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  opened.fd = std::make_unique<FileDescriptor>(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (opened.fd->get() < 0) {
    int err = errno;
    if (err == ENOENT) {
      struct stat link;
      opened.problem = ::lstat(path.c_str(), &link) == 0 ? "is a dangling symlink" : "does not exist";
    } else if (err == EACCES) {
      opened.problem = "cannot be read (permission denied)";
    } else {
      opened.problem = std::string("cannot be opened (") + std::strerror(err) + ")";
    }
    return opened;
  }
  if (::fstat(opened.fd->get(), &opened.st) != 0) {
    opened.problem = std::string("cannot be inspected (") + std::strerror(errno) + ")";
  } else if (S_ISDIR(opened.st.st_mode)) {
    opened.problem = "is a directory, not a file";
  } else if (!S_ISREG(opened.st.st_mode)) {
    opened.problem = "is not a regular file (FIFO, socket or device)";
  } else if (static_cast<std::size_t>(opened.st.st_size) > maxBytes) {
    opened.problem = "is larger than " + std::to_string(maxBytes) + " bytes";
  }
  return opened;
}

// Reads the whole file into `buffer` (capacity size + 1: one byte of headroom shows whether
// the file grew after fstat). Empty on success, else the problem.
std::string readWhole(const Opened& opened, char* buffer, std::size_t capacity, std::size_t& total) {
  total = 0;
  while (total < capacity) {
    ssize_t n = ::read(opened.fd->get(), buffer + total, capacity - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::string("cannot be read (") + std::strerror(errno) + ")";
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  struct stat after;
  if (::fstat(opened.fd->get(), &after) != 0 || !sameVersion(opened.st, after) ||
      total != static_cast<std::size_t>(opened.st.st_size)) {
    return "changed while it was being read";
  }
  return {};
}

// Under a root daemon (only then is this called), whoever owns the file or may write to a
// directory on its way from / decides the key: they could rename a directory or the file
// and put their own in its place. The same rule as ssh's StrictModes.
std::string ownerProblem(const std::string& path, const struct stat& st) {
  if (st.st_uid != 0) {
    return "is owned by uid " + std::to_string(st.st_uid) +
           ", not root, while keyward runs as root; chown root it, or set check_permissions: false for this source";
  }
  // The directories that really hold the file: Kubernetes mounts are symlinks into ..data.
  char resolved[PATH_MAX];
  if (!::realpath(path.c_str(), resolved)) return {};  // gone meanwhile: the read will say
  for (std::string dir = parentOf(resolved);; dir = parentOf(dir)) {
    struct stat ds;
    if (::stat(dir.c_str(), &ds) != 0) return {};
    // Real, existing directories: safe to name (never a pasted key).
    const std::string where = "a directory on its path (" + dir + ")";
    if ((ds.st_mode & 022) != 0 && (ds.st_mode & S_ISVTX) == 0) {
      return "is in " + where + " that group or others may write without the sticky bit (mode " + modeText(ds.st_mode) +
             "), so another user could replace it; chmod go-w the directory";
    }
    if (ds.st_uid != 0) {
      return "is in " + where + " owned by uid " + std::to_string(ds.st_uid) +
             ", not root, while keyward runs as root; that user could replace it";
    }
    if (dir == "/") return {};
  }
}

}  // namespace

SecretFileRead readSecretFile(const std::string& path, const SecretFileOptions& options) {
  SecretFileRead result;
  Opened opened = openRegular(path, options.maxBytes);
  if (!opened.problem.empty()) {
    result.problem = std::move(opened.problem);
    return result;
  }
  if (options.checkPermissions && (opened.st.st_mode & 066) != 0) {
    result.problem = "is readable or writable by group or others (mode " + modeText(opened.st.st_mode) +
                     "); chmod 600 it, or set check_permissions: false for this source";
    return result;
  }
  if (options.checkPermissions && options.checkOwner && gRootOwnerChecks.load(std::memory_order_relaxed) &&
      ::geteuid() == 0) {
    if (std::string problem = ownerProblem(path, opened.st); !problem.empty()) {
      result.problem = std::move(problem);
      return result;
    }
  }
  SecretBuffer buffer(static_cast<std::size_t>(opened.st.st_size) + 1);
  std::size_t total = 0;
  if (std::string problem = readWhole(opened, buffer.data(), buffer.capacity(), total); !problem.empty()) {
    result.problem = std::move(problem);
    return result;  // the buffer is wiped as it goes
  }
  buffer.setSize(total);
  result.ok = true;
  result.content = std::move(buffer);
  return result;
}

void enableRootOwnerChecks() { gRootOwnerChecks.store(true, std::memory_order_relaxed); }

PlainFileRead readPlainFile(const std::string& path, std::size_t maxBytes) {
  PlainFileRead result;
  Opened opened = openRegular(path, maxBytes);
  if (!opened.problem.empty()) {
    result.problem = std::move(opened.problem);
    return result;
  }
  std::string buffer(static_cast<std::size_t>(opened.st.st_size) + 1, '\0');
  std::size_t total = 0;
  if (std::string problem = readWhole(opened, buffer.data(), buffer.size(), total); !problem.empty()) {
    result.problem = std::move(problem);
    return result;
  }
  buffer.resize(total);
  result.ok = true;
  result.content = std::move(buffer);
  return result;
}

std::string printablePath(const std::string& path) {
  if (path.empty() || path[0] != '/') return {};
  const std::string parent = parentOf(path);
  if (parent == "/") return {};
  struct stat st;
  if (::stat(parent.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return {};
  return path;
}

}  // namespace keyward
