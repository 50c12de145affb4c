#include "keyward/Client.h"

#include <Poco/Net/HTTPRequest.h>
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "keyward/base/SecretFile.h"
#include "keyward/keys/KeyText.h"

namespace keyward {

ClientKey ClientKey::fromEnv(const std::string& name) {
  ClientKey key;
  key.source_ = "env " + name;
  const char* value = std::getenv(name.c_str());
  if (!value) {
    key.problem_ = key.source_ + " is not set";
  } else if (std::string_view problem = keyTextProblem(value); !problem.empty()) {
    key.problem_ = key.source_ + ": " + std::string(problem);
  } else {
    key.key_ = value;
  }
  return key;
}

ClientKey ClientKey::fromFile(const std::string& path, bool checkPermissions) {
  ClientKey key;
  key.source_ = "file " + path;
  key.path_ = path;
  key.checkPermissions_ = checkPermissions;
  std::lock_guard<std::mutex> lock(key.mutex_);
  key.refreshLocked();
  return key;
}

ClientKey::ClientKey(ClientKey&& other) noexcept {
  std::lock_guard<std::mutex> lock(other.mutex_);
  source_ = std::move(other.source_);
  path_ = std::move(other.path_);
  checkPermissions_ = other.checkPermissions_;
  key_ = std::move(other.key_);
  problem_ = std::move(other.problem_);
  dev_ = other.dev_;
  ino_ = other.ino_;
  size_ = other.size_;
  mtime_ = other.mtime_;
}

ClientKey::~ClientKey() { OPENSSL_cleanse(key_.data(), key_.size()); }

void ClientKey::refreshLocked() {
  if (path_.empty()) return;
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    problem_ = source_ + " is missing";
    return;
  }
  if (st.st_dev == dev_ && st.st_ino == ino_ && st.st_size == size_ && st.st_mtim.tv_sec == mtime_.tv_sec &&
      st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    return;  // same file version as the key we hold
  }
  SecretFileRead read = readSecretFile(path_, {checkPermissions_, 16384});
  if (!read.ok) {
    problem_ = source_ + ": " + read.problem;
    return;
  }
  std::string_view text = withoutTrailingNewline(read.content.view());
  if (std::string_view problem = keyTextProblem(text); !problem.empty()) {
    problem_ = source_ + ": " + std::string(problem);  // half-written? keep the last good key
    return;
  }
  OPENSSL_cleanse(key_.data(), key_.size());
  key_.assign(text);
  problem_.clear();
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  size_ = st.st_size;
  mtime_ = st.st_mtim;
}

std::string ClientKey::current() {
  std::lock_guard<std::mutex> lock(mutex_);
  refreshLocked();
  if (key_.empty()) throw std::runtime_error(problem_.empty() ? source_ + ": no key" : problem_);
  return key_;
}

std::string ClientKey::lastProblem() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return problem_;
}

void ClientKey::attach(Poco::Net::HTTPRequest& request, Header header) {
  const std::string key = current();
  if (header == Header::Bearer) {
    request.set("Authorization", "Bearer " + key);
  } else {
    request.set("X-API-Key", key);
  }
}

}  // namespace keyward
