#pragma once
// Reads the files keyward is pointed at the careful way: follows symlinks (Kubernetes secret
// mounts are symlinks into ..data), refuses anything but a regular file without ever
// blocking (a FIFO or device in a path field must not hang the reload), and notices a file
// rewritten while it was being read. Files holding secrets are also checked for who else
// may read or replace them, and kept in wiped memory.
// Every function here is thread-safe (no shared state); problems never quote content.

#include <cstddef>
#include <string>

#include "keyward/base/SecretBuffer.h"

namespace keyward {

struct SecretFileOptions {
  bool checkPermissions = true;  // refuse group/other read or write bits (mode & 066)
  std::size_t maxBytes = 16384;
  // With checkPermissions, once enableRootOwnerChecks() was called, and only while running
  // as root: refuse a file owned by another user than root, or below a directory (any from
  // / down) that is not root's or that group or others may write to without the sticky bit
  // (either could swap the key).
  bool checkOwner = false;
};

struct SecretFileRead {
  bool ok = false;
  std::string problem;  // e.g. "is readable by group or others (mode 0644)"; never content
  SecretBuffer content;
};

SecretFileRead readSecretFile(const std::string& path, const SecretFileOptions& options);

// Turns the root-only owner checks on for this process (see checkOwner). The daemon calls it
// before its first load; `--check-config` does not, because it validates the config for the
// daemon as it normally runs (as its own user, who owns the keys: systemd `User=keyward`).
// Thread-safe (an atomic flag).
void enableRootOwnerChecks();

// A file that is not secret (a certificate chain, the config): same non-blocking,
// regular-files-only open and torn-read check, no permission checks, ordinary memory.
struct PlainFileRead {
  bool ok = false;
  std::string problem;  // as SecretFileRead::problem
  std::string content;
};
PlainFileRead readPlainFile(const std::string& path, std::size_t maxBytes);

// `path` itself if it may appear in logs and /v1/status, else an empty string.
// A path field can hold a pasted key (`file: <the key>`), and errors must never echo a
// secret. The rule: a path is shown only if it is absolute and its parent directory exists
// and is not "/". A pasted key is not absolute, or (with a leading '/') its parent is "/"
// or a directory that does not exist, unless its first characters happen to spell an
// existing directory (for a random key, odds below 64^-5). Callers name the config location
// (file, line, field) instead when this returns empty.
std::string printablePath(const std::string& path);

}  // namespace keyward
