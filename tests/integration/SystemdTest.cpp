// systemd integration through the real binaries: the notify protocol over a real
// $NOTIFY_SOCKET, secret watching without a signal (a Kubernetes-style ..data swap), ten
// overlap rotations with scripts/rotate-key.sh under load, and the shipped units checked by
// systemd-analyze.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <thread>

#include "keyward/Client.h"
#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

// A unix datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~NotifySocket() { ::close(fd_); }
  bool bound() const { return bound_; }
  // The next message containing `needle`, skipping others (kept in `seen`); "" on timeout.
  std::string waitFor(const std::string& needle, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      char buffer[4096];
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) continue;
      std::string message(buffer, static_cast<std::size_t>(n));
      seen.push_back(message);
      if (message.find(needle) != std::string::npos) return message;
    }
    return "";
  }
  std::vector<std::string> seen;

 private:
  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(Systemd, NotifiesReadyReloadingStatusStoppingAndWatchdog) {
  std::string key = newKey();
  TempDir sockets;
  NotifySocket notify(sockets.file("notify"));
  ASSERT_TRUE(notify.bound());
  Keyward kw("keys:\n  - { id: worker-1, peer: worker, env: WORKER }\n",
             {{"WORKER", key}, {"NOTIFY_SOCKET", sockets.file("notify")}, {"WATCHDOG_USEC", "400000"}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();

  std::string ready = notify.waitFor("READY=1");
  ASSERT_NE(ready, "") << "no READY=1";
  EXPECT_NE(ready.find("STATUS=serving generation 1, 1 keys"), std::string::npos) << ready;
  EXPECT_NE(notify.waitFor("WATCHDOG=1"), "") << "no watchdog ping with WATCHDOG_USEC set";

  const std::size_t before = notify.seen.size();
  kw.daemon().signal(SIGHUP);
  std::string reloading = notify.waitFor("RELOADING=1");
  ASSERT_NE(reloading, "");
  EXPECT_TRUE(std::regex_search(reloading, std::regex("(^|\n)MONOTONIC_USEC=[0-9]+(\n|$)"))) << reloading;
  std::string readyAgain = notify.waitFor("READY=1");
  EXPECT_NE(readyAgain.find("STATUS=serving generation 2, 1 keys; last reload ok"), std::string::npos) << readyAgain;
  // RELOADING comes before the READY that ends it.
  std::size_t reloadAt = 0, readyAt = 0;
  for (std::size_t i = before; i < notify.seen.size(); ++i) {
    if (!reloadAt && notify.seen[i].find("RELOADING=1") != std::string::npos) reloadAt = i + 1;
    if (notify.seen[i].find("READY=1") != std::string::npos) readyAt = i + 1;
  }
  EXPECT_LT(reloadAt, readyAt);

  // A refused reload still ends with READY=1, and STATUS says so.
  kw.rewriteConfig("keys: [ {id: x\n");
  kw.daemon().signal(SIGHUP);
  ASSERT_NE(notify.waitFor("RELOADING=1"), "");
  EXPECT_NE(notify.waitFor("READY=1").find("FAILED (old keys kept)"), std::string::npos);

  kw.daemon().signal(SIGTERM);
  EXPECT_NE(notify.waitFor("STOPPING=1"), "");
  EXPECT_EQ(kw.daemon().waitExit(), 0);
  expectNoKeyIn(kw.output(), {key});
}

TEST(Systemd, RunsUnchangedWithoutANotifySocket) {
  std::string key = newKey();
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", key}, {"WATCHDOG_USEC", "100000"}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(key), 200);
  EXPECT_TRUE(kw.reload());
}

TEST(Watch, KubernetesDataSwapIsPickedUpWithoutASignal) {
  std::string first = newKey(), second = newKey();
  std::string mount;
  Keyward kw(
      [&](const TempDir& dir) {
        // A secret volume: worker-1 -> ..data/worker-1, ..data -> ..2026_11_22_v1
        mount = dir.mkdir("secret");
        dir.mkdir("secret/..v1");
        dir.write("secret/..v1/worker-1", first);
        EXPECT_EQ(::symlink("..v1", (mount + "/..data").c_str()), 0);
        EXPECT_EQ(::symlink("..data/worker-1", (mount + "/worker-1").c_str()), 0);
        return "watch_debounce: 50ms\nkey_dirs:\n  - { path: " + mount + ", peer: worker }\n";
      },
      {});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(first), 200);

  // What the kubelet does: write the new version aside, then swap ..data atomically.
  kw.dir().mkdir("secret/..v2");
  kw.dir().write("secret/..v2/worker-1", second);
  ASSERT_EQ(::symlink("..v2", (mount + "/..data_tmp").c_str()), 0);
  ASSERT_EQ(std::rename((mount + "/..data_tmp").c_str(), (mount + "/..data").c_str()), 0);

  EXPECT_TRUE(kw.waitUntilAccepted(second)) << kw.output();
  EXPECT_EQ(kw.verifyStatus(first), 401);
  EXPECT_TRUE(kw.daemon().waitForLog("\"trigger\":\"watch\"")) << kw.output();
}

TEST(Watch, AHalfWrittenKeyFileKeepsTheLastGoodKeys) {
  std::string good = newKey(), next = newKey();
  std::string keyDir;
  Keyward kw(
      [&](const TempDir& dir) {
        keyDir = dir.mkdir("keys");
        dir.write("keys/worker-1", good + "\n");
        return "watch_debounce: 20ms\nkey_dirs:\n  - { path: " + keyDir + ", peer: worker }\n";
      },
      {});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  kw.dir().write("keys/worker-1", next.substr(0, 10));  // caught half-written
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"reload_failed\"")) << kw.output();
  EXPECT_EQ(kw.verifyStatus(good), 200) << "the last good keys keep serving";
  kw.dir().write("keys/worker-1", next + "\n");
  EXPECT_TRUE(kw.waitUntilAccepted(next)) << kw.output();
  expectNoKeyIn(kw.output(), {good, next});
}

TEST(Rotation, TenRotationsWithTheToolUnderLoadFailNoRequest) {
  std::string admin = newKey(), first = newKey();
  std::string keyDir, clientKey;
  Keyward kw(
      [&](const TempDir& dir) {
        keyDir = dir.mkdir("keys");
        dir.write("keys/worker-00000000T000000000Z", first + "\n");
        clientKey = dir.write("client.key", first + "\n");
        return "keys:\n  - { id: ops, peer: ops, env: ADMIN, scopes: [admin] }\n"
               "key_dirs:\n  - { path: " +
               keyDir + ", peer: worker }\n";
      },
      {{"ADMIN", admin}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::string adminFile = kw.dir().write("admin.key", admin + "\n");
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::thread worker([&] {
    ClientKey key = ClientKey::fromFile(clientKey);  // re-read per request, as workers should
    auto conn = std::make_unique<HttpConnection>(kw.port());
    while (!stop) {
      auto r = conn->request("GET", "/v1/verify", {{"X-API-Key", key.current()}});
      if (r && r->status == 200)
        ++ok;
      else
        ++failed;
      if (!r) conn = std::make_unique<HttpConnection>(kw.port());
      std::this_thread::sleep_for(1ms);
    }
  });

  const std::vector<std::string> tool = {std::string(KEYWARD_SOURCE_DIR) + "/scripts/rotate-key.sh",
                                         "--name",
                                         "worker",
                                         "--key-dir",
                                         keyDir,
                                         "--pid",
                                         std::to_string(kw.daemon().pid()),
                                         "--url",
                                         url,
                                         "--admin-key-file",
                                         adminFile,
                                         "--client-key-file",
                                         clientKey,
                                         "--grace",
                                         "1",
                                         "--max-wait",
                                         "10"};
  const Env toolEnv = {{"KEYWARD", KEYWARD_BIN}, {"KEYGEN", KEYGEN_BIN}};
  CommandResult dry = runCommand(
      "/bin/bash",
      [&] {
        auto a = tool;
        a.push_back("--dry-run");
        return a;
      }(),
      "", toolEnv);
  EXPECT_EQ(dry.exitCode, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("dry-run: would"), std::string::npos);

  std::string previous;
  for (int round = 1; round <= 10; ++round) {
    CommandResult r = runCommand("/bin/bash", tool, "", toolEnv);
    ASSERT_EQ(r.exitCode, 0) << "rotation " << round << ":\n" << r.out << r.err;
    EXPECT_NE(r.out.find("rotation done"), std::string::npos) << r.out;
  }
  stop = true;
  worker.join();
  EXPECT_GT(ok.load(), 100);
  EXPECT_EQ(failed.load(), 0) << "requests failed during 10 rotations";
  // One worker key is left, and it is the one the client holds.
  ClientKey held = ClientKey::fromFile(clientKey);
  EXPECT_EQ(kw.verifyStatus(held.current()), 200);
  EXPECT_EQ(kw.verifyStatus(first), 401);
  expectNoKeyIn(kw.output(), {admin, first, held.current()});
}

std::string unitWithLocalPaths(const TempDir& dir, const std::string& unit) {
  std::string text = readFile(std::string(KEYWARD_SOURCE_DIR) + "/systemd/" + unit);
  auto replace = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  };
  replace("/usr/bin/keyward", KEYWARD_BIN);
  replace("/usr/libexec/keyward/rotate-key.sh", std::string(KEYWARD_SOURCE_DIR) + "/scripts/rotate-key.sh");
  return dir.write(unit, text, 0644);
}

double exposure(const std::string& unitPath, const std::string& unit) {
  CommandResult security = runCommand("/usr/bin/systemd-analyze", {"security", "--offline=true", unitPath});
  std::smatch level;
  if (!std::regex_search(security.out, level,
                         std::regex("Overall exposure level for " + unit + ": ([0-9.]+) (\\w+)"))) {
    ADD_FAILURE() << security.out << security.err;
    return 99;
  }
  return std::stod(level[1]);
}

TEST(Systemd, UnitsPassVerifyAndTheSecurityRatingIsOk) {
  TempDir dir;
  std::vector<std::string> units;
  for (const char* unit : {"keyward.service", "keyward-rotate.service", "keyward-rotate.timer"}) {
    units.push_back(unitWithLocalPaths(dir, unit));
  }
  std::vector<std::string> verifyArgs = {"verify"};
  verifyArgs.insert(verifyArgs.end(), units.begin(), units.end());
  CommandResult verify = runCommand("/usr/bin/systemd-analyze", verifyArgs);
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;

  // Both services, the rotation too (it was 8.2: root with no sandbox).
  for (const char* unit : {"keyward.service", "keyward-rotate.service"}) {
    EXPECT_LE(exposure(std::string(KEYWARD_SOURCE_DIR) + "/systemd/" + unit, unit), 2.0) << unit;
  }
}

std::string directive(const std::string& unit, const std::string& name) {
  std::smatch m;
  return std::regex_search(unit, m, std::regex("\n" + name + "=([^\n]*)")) ? std::string(m[1]) : "";
}

TEST(Systemd, TheUnitsSayWhatTheyNeed) {
  const std::string daemon = readFile(std::string(KEYWARD_SOURCE_DIR) + "/systemd/keyward.service");
  const std::string rotate = readFile(std::string(KEYWARD_SOURCE_DIR) + "/systemd/keyward-rotate.service");
  // /run/keyward/keyward.sock cannot be created under ProtectSystem=strict without it.
  EXPECT_EQ(directive(daemon, "RuntimeDirectory"), "keyward");
  EXPECT_EQ(directive(daemon, "ProtectSystem"), "strict");
  // The rotation hands its keys to the daemon's user: without it every later reload failed.
  EXPECT_NE(rotate.find("--owner keyward"), std::string::npos);
  EXPECT_EQ(directive(rotate, "User"), "keyward");
  EXPECT_NE(rotate.find("--config /etc/keyward/keyward.yaml"), std::string::npos)
      << "the address comes from the config";
  for (const std::string* text : {&daemon, &rotate}) {
    EXPECT_EQ(text->find("/usr/local"), std::string::npos) << "the units name the installed paths";
  }
}

// `cmake --install` of this build into a temporary root (as the package is built: prefix
// /usr): every path the units run exists there, and the installed units verify.
TEST(Systemd, InstalledUnitsRunInstalledFiles) {
  const std::string build = std::filesystem::path(KEYWARD_BIN).parent_path().string();
  TempDir root;
  CommandResult install =
      runCommand("/usr/bin/cmake", {"--install", build, "--prefix", "/usr"}, "", {{"DESTDIR", root.path()}});
  ASSERT_EQ(install.exitCode, 0) << install.out << install.err;
  const std::vector<std::string> expected = {"/usr/bin/keyward",
                                             "/usr/bin/keygen",
                                             "/usr/libexec/keyward/rotate-key.sh",
                                             "/usr/lib/systemd/system/keyward.service",
                                             "/usr/lib/systemd/system/keyward-rotate.service",
                                             "/usr/lib/systemd/system/keyward-rotate.timer",
                                             "/usr/lib/sysusers.d/keyward.conf",
                                             "/usr/lib/tmpfiles.d/keyward.conf",
                                             "/etc/keyward/keyward.yaml",
                                             "/etc/keyward/rotate.env",
                                             "/usr/share/doc/keyward/README.md",
                                             "/usr/share/bash-completion/completions/keyward"};
  for (const std::string& path : expected) {
    EXPECT_TRUE(std::filesystem::exists(root.path() + path)) << path << " is not installed";
  }
  TempDir units;
  std::vector<std::string> verifyArgs = {"verify"};
  for (const char* unit : {"keyward.service", "keyward-rotate.service", "keyward-rotate.timer"}) {
    std::string text = readFile(root.path() + "/usr/lib/systemd/system/" + unit);
    for (const char* program : {"/usr/bin/keyward", "/usr/libexec/keyward/rotate-key.sh"}) {
      if (text.find(program) == std::string::npos) continue;
      EXPECT_TRUE(std::filesystem::exists(root.path() + program)) << unit << " runs " << program;
    }
    // Point the unit at the temporary root to verify it here.
    for (std::size_t at = text.find("=/usr/"); at != std::string::npos; at = text.find("=/usr/", at + 1)) {
      text.insert(at + 1, root.path());
    }
    for (std::size_t at = text.find(" /usr/"); at != std::string::npos; at = text.find(" /usr/", at + 1)) {
      text.insert(at + 1, root.path());
    }
    verifyArgs.push_back(units.write(unit, text, 0644));
  }
  CommandResult verify = runCommand("/usr/bin/systemd-analyze", verifyArgs);
  EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
  // The installed default config passes --check-config once its keys exist (the postinst
  // makes them; here, keygen does).
  std::string config = readFile(root.path() + "/etc/keyward/keyward.yaml");
  for (const char* from : {"/etc/keyward/", "/var/lib/keyward"}) {
    for (std::size_t at = config.find(from); at != std::string::npos;
         at = config.find(from, at + root.path().size() + 1)) {
      config.insert(at, root.path());
    }
  }
  const std::string configPath = root.write("check.yaml", config);
  std::filesystem::create_directories(root.path() + "/etc/keyward/keys");
  std::filesystem::create_directories(root.path() + "/var/lib/keyward");
  for (const std::string& key :
       {root.path() + "/etc/keyward/admin.key", root.path() + "/etc/keyward/keys/worker-initial"}) {
    CommandResult made = runCommand(root.path() + "/usr/bin/keygen", {"--out", key});
    ASSERT_EQ(made.exitCode, 0) << made.err;
  }
  CommandResult check = runCommand(root.path() + "/usr/bin/keyward", {"--check-config", "--config", configPath});
  EXPECT_EQ(check.exitCode, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("config ok: 2 key(s)"), std::string::npos) << check.out;
}

}  // namespace
}  // namespace keyward::test
