#pragma once
// Reads a file that holds secrets (a key file or an env file) the careful way: follows
// symlinks (Kubernetes secret mounts are symlinks into ..data), refuses anything but a
// regular file without blocking on FIFOs, refuses files other users can read or write
// unless told not to check, and notices a file rewritten while it was being read.

#include <cstddef>
#include <string>

#include "keyward/SecretBuffer.h"

namespace keyward {

struct SecretFileOptions {
  bool checkPermissions = true;  // refuse group/other read or write bits (mode & 066)
  std::size_t maxBytes = 16384;
};

struct SecretFileRead {
  bool ok = false;
  std::string problem;  // e.g. "is readable by group or others (mode 0644)"; never content
  SecretBuffer content;
};

SecretFileRead readSecretFile(const std::string& path, const SecretFileOptions& options);

}  // namespace keyward
