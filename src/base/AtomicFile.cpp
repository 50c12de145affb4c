#include "keyward/base/AtomicFile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace keyward {
namespace {

std::string directoryOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string failure(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

AtomicWriteResult writeFileAtomically(const std::string& path, std::string_view content, mode_t mode, bool replace) {
  AtomicWriteResult result;
  const std::string dir = directoryOf(path);
  // Hidden (".NAME.tmp.XXXXXX"): the file may be written into a watched key directory,
  // where key_dirs and the watcher skip hidden names, so the half-written temporary is
  // never read as a key nor taken for a change.
  const std::size_t slash = path.rfind('/');
  std::string temp = slash == std::string::npos
                         ? "." + path + ".tmp.XXXXXX"
                         : path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".tmp.XXXXXX";
  std::vector<char> name(temp.begin(), temp.end());
  name.push_back('\0');
  // mkstemp creates the file with mode 0600: the content is never readable by others,
  // even for an instant.
  int fd = mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    result.problem = failure("cannot create a file in " + dir);
    return result;
  }
  temp.assign(name.data());
  auto abandon = [&](const std::string& problem) {
    ::close(fd);
    ::unlink(temp.c_str());
    result.problem = problem;
    return result;
  };
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return abandon(failure("cannot write " + temp));
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return abandon(failure("cannot set the mode of " + temp));
  if (::fsync(fd) != 0) return abandon(failure("cannot sync " + temp));
  if (::close(fd) != 0) {
    ::unlink(temp.c_str());
    result.problem = failure("cannot close " + temp);
    return result;
  }
  if (replace) {
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      result.problem = failure("cannot rename into " + path);
      ::unlink(temp.c_str());
      return result;
    }
  } else {
    // link() fails if the target exists: no window in which an existing file is replaced.
    if (::link(temp.c_str(), path.c_str()) != 0) {
      result.problem =
          errno == EEXIST ? "already exists (use --force to replace it)" : failure("cannot create " + path);
      ::unlink(temp.c_str());
      return result;
    }
    ::unlink(temp.c_str());
  }
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);  // make the new name durable
    ::close(dirFd);
  }
  result.ok = true;
  return result;
}

}  // namespace keyward
