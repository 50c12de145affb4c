#include "support/TempDir.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace keyward::test {

TempDir::TempDir() {
  std::string base = std::filesystem::temp_directory_path().string() + "/keyward-test-XXXXXX";
  std::vector<char> name(base.begin(), base.end());
  name.push_back('\0');
  if (!mkdtemp(name.data())) throw std::runtime_error("mkdtemp failed");
  path_ = name.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content, mode_t mode) const {
  std::string full = file(name);
  {
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ::chmod(full.c_str(), mode);
  return full;
}

std::string TempDir::mkdir(const std::string& name) const {
  std::string full = file(name);
  std::filesystem::create_directories(full);
  return full;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace keyward::test
