// SecretWatcher: only changes that can alter the key set ask for a reload.

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "keyward/lifecycle/SecretWatcher.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;

struct Counting {
  std::atomic<int> triggers{0};
  SecretWatcher watcher{5ms, 1h, [this](const std::string&) { ++triggers; }};
  // Forgets triggers still arriving from an earlier change.
  void quiet() {
    std::this_thread::sleep_for(100ms);
    triggers = 0;
  }
  // Waits for a reload request (up to 3 s, for a loaded machine).
  bool triggered() {
    for (int i = 0; i < 300 && triggers == 0; ++i) std::this_thread::sleep_for(10ms);
    return triggers > 0;
  }
  // True if nothing asked for a reload within a while (many times the debounce).
  bool silent() {
    std::this_thread::sleep_for(200ms);
    return triggers == 0;
  }
};

TEST(SecretWatcher, IgnoresFilesThatCannotChangeTheKeySet) {
  test::TempDir dir;
  const std::string keys = dir.mkdir("keys");
  dir.write("keys/a", "x");
  const std::string file = dir.write("worker.key", "x");
  Counting c;
  WatchTargets targets{{keys}, {file}};
  c.watcher.setTargets(targets, SecretWatcher::fingerprintOf(targets));
  EXPECT_TRUE(c.silent());

  struct Case {
    const char* why;
    std::function<void()> change;
    bool reloads;
  };
  const std::vector<Case> cases = {
      {"unrelated file beside a key file", [&] { dir.write("notes.txt", "x"); }, false},
      {"editor swap file beside a key file", [&] { dir.write(".worker.key.swp", "x"); }, false},
      {"hidden temporary in the key dir", [&] { dir.write("keys/.b.tmp.123456", "x"); }, false},
      {"hidden file removed from the key dir", [&] { ::unlink(dir.file("keys/.b.tmp.123456").c_str()); }, false},
      {"the key file rewritten", [&] { dir.write("worker.key", "y"); }, true},
      {"the key file replaced by rename",
       [&] {
         dir.write("worker.key.new", "z");
         ::rename(dir.file("worker.key.new").c_str(), file.c_str());
       },
       true},
      {"a new visible file in the key dir", [&] { dir.write("keys/b", "x"); }, true},
      {"a Kubernetes ..data swap beside a key file",
       [&] {
         dir.mkdir("..2026_01_01");
         ::symlink("..2026_01_01", dir.file("..data_tmp").c_str());
         ::rename(dir.file("..data_tmp").c_str(), dir.file("..data").c_str());
       },
       true},
  };
  for (const Case& k : cases) {
    c.quiet();
    k.change();
    if (k.reloads) {
      EXPECT_TRUE(c.triggered()) << k.why;
    } else {
      EXPECT_TRUE(c.silent()) << k.why;
    }
  }
}

TEST(SecretWatcher, TheFingerprintSkipsHiddenEntriesOfKeyDirectories) {
  test::TempDir dir;
  const std::string keys = dir.mkdir("keys");
  dir.write("keys/a", "x");
  WatchTargets targets{{keys}, {}};
  const std::string before = SecretWatcher::fingerprintOf(targets);
  dir.write("keys/.a.tmp.XXXXXX", "half");
  EXPECT_EQ(SecretWatcher::fingerprintOf(targets), before) << "the periodic re-check would reload for it";
  dir.write("keys/b", "x");
  EXPECT_NE(SecretWatcher::fingerprintOf(targets), before);
}

}  // namespace
}  // namespace keyward
