#pragma once
// A keyward process under test with its own config directory, plus helpers the
// integration suites share.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/Daemon.h"
#include "support/TempDir.h"
#include "support/TestHttp.h"

namespace keyward::test {

std::string newKey();

// Fails the test if any key (or its first 16 characters) appears in `output`.
void expectNoKeyIn(const std::string& output, const std::vector<std::string>& keys);

// A keyward process with its own config directory.
class Keyward {
 public:
  explicit Keyward(const std::string& yaml, Env env = {});
  // For configs that name files in the test's directory: `makeYaml(dir)` writes them.
  Keyward(const std::function<std::string(const TempDir&)>& makeYaml, Env env);
  // Stops this process (SIGTERM, waits for exit 0) and starts a new one on the same files.
  bool restart();
  const TempDir& dir() const { return dir_; }
  Daemon& daemon() { return *daemon_; }
  int port() const { return daemon_->port(); }
  void rewriteConfig(const std::string& yaml) {
    dir_.write("keyward.yaml", yaml.find("watch") == std::string::npos ? "watch: false\n" + yaml : yaml);
  }

  std::optional<HttpResponse> verify(const Headers& headers) {
    return httpRequest(port(), "GET", "/v1/verify", headers);
  }
  int verifyStatus(const std::string& key) {
    auto r = verify({{"X-API-Key", key}});
    return r ? r->status : 0;
  }

  // Polls until `key` is accepted (a reload nobody signalled, e.g. the file watcher's).
  bool waitUntilAccepted(const std::string& key, std::chrono::milliseconds timeout = std::chrono::seconds(3));

  std::string status() {
    auto r = httpRequest(port(), "GET", "/v1/status");
    return r ? r->body : "";
  }
  // Number of reload attempts finished (succeeded + failed), read from /v1/status.
  int reloadsFinished();
  // SIGHUP, then wait until the reload has been applied (or refused).
  bool reload();
  // Every byte the daemon wrote, for leak checks.
  std::string output() { return daemon_->out() + daemon_->err(); }

 private:
  TempDir dir_;
  std::string config_;
  Env env_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace keyward::test

namespace keyward::test {

// Writes a stand-in for keyward into `dir` (a Python 3 script, mode 0755, readable by any
// user) and returns its path. Run as `python3 PATH PORT PID CONFIG`: it listens on
// 127.0.0.1:PORT (or on the unix socket PORT when it starts with '/', mode 0777), prints "started", answers /v1/status
// as a keyward with that pid and config whose every poll shows one more successful reload, 404 to anything else, and
// prints every request's path and headers to stdout (so a test can see whether a key reached it).
std::string writeFakeKeyward(const TempDir& dir);

}  // namespace keyward::test
