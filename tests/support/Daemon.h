#pragma once
// Runs the real keyward binary (or keygen) as a child process with a clean environment,
// capturing its stdout and stderr to files, for integration tests.

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/TempDir.h"

namespace keyward::test {

using Env = std::map<std::string, std::string>;

class Daemon {
 public:
  // Starts `binary args...` with only PATH and `env` in its environment.
  Daemon(const std::string& binary, std::vector<std::string> args, Env env = {});
  ~Daemon();  // kills the process if it is still running
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Waits for the "started" log line and reads the bound port from it. False if the
  // process exited or did not start in time.
  bool waitUntilServing(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  void signal(int sig) const;
  // The exit code, or nullopt if still running after `timeout` (or killed by a signal: -sig).
  std::optional<int> waitExit(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  std::string out() const;  // stdout so far
  std::string err() const;  // stderr so far
  // Waits until stdout contains `text` at least `count` times.
  bool waitForLog(const std::string& text, int count = 1,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::optional<int> exitCode_;
};

struct CommandResult {
  int exitCode = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion, feeding `input` on stdin.
CommandResult runCommand(const std::string& binary, std::vector<std::string> args, const std::string& input = "",
                         Env env = {});

int countOccurrences(const std::string& haystack, const std::string& needle);

}  // namespace keyward::test
