#pragma once
// The worker side: where a client process gets the key it presents, and how it attaches
// it to a request. A key read from a file is re-read whenever the file changes (new inode,
// size or mtime of what the path resolves to, which includes a Kubernetes `..data` symlink
// swap), so a key rotated on disk is picked up on the next request without a restart.
//
//   keyward::ClientKey key = keyward::ClientKey::fromFile("/run/secrets/worker_api_key");
//   Poco::Net::HTTPRequest request("POST", "/runs");
//   key.attach(request);  // X-API-Key: <current key>
//
// Thread-safe. If the file briefly vanishes or holds a half-written key during a rotation,
// the last good key stays in use; a key that was never read makes current() throw.

#include <sys/types.h>

#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>

namespace Poco::Net {
class HTTPRequest;
}

namespace keyward {

class ClientKey {
 public:
  enum class Header { XApiKey, Bearer };

  // The key in environment variable `name` (read once: an environment cannot change).
  static ClientKey fromEnv(const std::string& name);
  // The key in file `path`; `checkPermissions` refuses group/other-readable files as the
  // daemon does (turn off for a Kubernetes secret volume with mode 0644).
  static ClientKey fromFile(const std::string& path, bool checkPermissions = true);

  ClientKey(const ClientKey&) = delete;
  ClientKey(ClientKey&& other) noexcept;
  ~ClientKey();

  // The key to present now. Throws std::runtime_error (naming the source, never the key)
  // if no valid key was ever read.
  std::string current();
  // What went wrong on the last re-read, or "" (the last good key is still in use).
  std::string lastProblem() const;
  void attach(Poco::Net::HTTPRequest& request, Header header = Header::XApiKey);

 private:
  ClientKey() = default;
  void refreshLocked();

  std::string source_;  // "env NAME" or "file PATH"
  std::string path_;    // empty for env
  bool checkPermissions_ = true;
  mutable std::mutex mutex_;
  std::string key_;
  std::string problem_;
  // Identity of the file version key_ came from.
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t size_ = -1;
  timespec mtime_{};
};

}  // namespace keyward
