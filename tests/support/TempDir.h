#pragma once
// A private temporary directory for one test, removed with everything in it.

#include <sys/types.h>

#include <string>

namespace keyward::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to name (relative to the dir) with `mode`; returns the full path.
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) const;
  std::string mkdir(const std::string& name) const;

 private:
  std::string path_;
};

std::string readFile(const std::string& path);

}  // namespace keyward::test
