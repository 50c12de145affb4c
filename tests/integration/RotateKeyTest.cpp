// scripts/rotate-key.sh against real daemons: a crash after every step, then a re-run,
// finishes the rotation its record describes (never guessing from names); the address comes
// from the config it is given; with two daemons on one host it talks to the right one and
// refuses the wrong one; and the keyward-rotate.service command line, as shipped, works
// (issue 14).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

const std::string kTool = std::string(KEYWARD_SOURCE_DIR) + "/scripts/rotate-key.sh";

std::vector<std::string> workerKeys(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("worker-", 0) == 0) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A daemon with its own directory: an admin key, keys/worker-initial, a config that listens
// on a fixed port (so that the address can be read from it).
class KeyDirDaemon {
 public:
  KeyDirDaemon() {
    admin = newKey();
    initial = newKey();
    keyDir = dir.mkdir("keys");
    dir.write("keys/worker-initial", initial + "\n");
    adminFile = dir.write("admin.key", admin + "\n");
    clientFile = dir.write("client.key", initial + "\n");
    port = freeLoopbackPort();
    // The tests hand keys to another user (`--owner`), standing in for the service user
    // keyward runs as in production. A keyward running as root refuses keys another user
    // owns, so as root the key directory opts out of those checks.
    const std::string optOut = ::geteuid() == 0 ? ", check_permissions: false" : "";
    config = dir.write("keyward.yaml", "listen: \"127.0.0.1:" + std::to_string(port) +
                                           "\"\nwatch: false\n"
                                           "keys:\n  - { id: ops, peer: ops, scopes: [admin], file: " +
                                           adminFile +
                                           " }\n"
                                           "key_dirs:\n  - { path: " +
                                           keyDir + ", peer: worker" + optOut + " }\n");
    daemon = std::make_unique<Daemon>(KEYWARD_BIN, std::vector<std::string>{"--config", config});
  }
  int verify(const std::string& key) {
    auto r = httpRequest(port, "GET", "/v1/verify", {{"X-API-Key", key}});
    return r ? r->status : 0;
  }
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {kTool,
                                  "--name",
                                  "worker",
                                  "--key-dir",
                                  keyDir,
                                  "--config",
                                  config,
                                  "--pid",
                                  std::to_string(daemon->pid()),
                                  "--admin-key-file",
                                  adminFile,
                                  "--client-key-file",
                                  clientFile,
                                  "--grace",
                                  "0",
                                  "--max-wait",
                                  "5"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  CommandResult rotate(Env env = {}, std::vector<std::string> extra = {}) const {
    env["KEYWARD"] = KEYWARD_BIN;
    env["KEYGEN"] = KEYGEN_BIN;
    return runCommand("/bin/bash", args(std::move(extra)), "", env);
  }

  TempDir dir;
  std::string admin, initial, keyDir, adminFile, clientFile, config;
  int port = 0;
  std::unique_ptr<Daemon> daemon;
};

std::string newKeyNamed(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex("new key (worker-[0-9T]+Z)")) ? std::string(m[1]) : "";
}

// After a finished rotation: one worker key, the planned one, in the client's file, accepted;
// the first key refused; no record left.
void expectRotated(KeyDirDaemon& s, const std::string& planned, const std::string& why) {
  EXPECT_EQ(workerKeys(s.keyDir), std::vector<std::string>{planned}) << why;
  const std::string held = readFile(s.clientFile);
  EXPECT_EQ(held, readFile(s.keyDir + "/" + planned)) << why;
  EXPECT_EQ(s.verify(held.substr(0, held.size() - 1)), 200) << why;
  EXPECT_EQ(s.verify(s.initial), 401) << why;
  EXPECT_FALSE(std::filesystem::exists(s.keyDir + "/.rotate-worker.state")) << why;
}

TEST(RotateKey, ACrashAfterEveryStepIsFinishedByTheNextRun) {
  // "worker-initial" sorts after "worker-2026...": resuming by name order once kept the old
  // key and deleted the new one, then reported success.
  for (const char* step : {"planned", "created", "reloaded", "handed", "waited", "removed", "retired"}) {
    KeyDirDaemon s;
    ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
    CommandResult crashed = s.rotate({{"ROTATE_KEY_CRASH_AFTER", step}});
    ASSERT_EQ(crashed.exitCode, 86) << step << ":\n" << crashed.out << crashed.err;
    const std::string planned = newKeyNamed(crashed.out);
    ASSERT_NE(planned, "") << crashed.out;
    if (std::string(step) != "retired") {
      EXPECT_EQ(s.verify(s.initial), 200) << "the old key serves until the rotation is finished (" << step << ")";
    }

    CommandResult resumed = s.rotate();
    ASSERT_EQ(resumed.exitCode, 0) << step << ":\n" << resumed.out << resumed.err;
    EXPECT_NE(resumed.out.find("resuming the rotation recorded"), std::string::npos) << resumed.out;
    EXPECT_NE(resumed.out.find("rotation done: " + planned), std::string::npos) << resumed.out;
    expectRotated(s, planned, std::string("crash after ") + step);
    expectNoKeyIn(crashed.out + crashed.err + resumed.out + resumed.err + s.daemon->out(), {s.admin, s.initial});
  }
}

TEST(RotateKey, ReadsTheAddressFromTheConfigAndLeavesTheOtherDaemonAlone) {
  // Daemon A: the one to rotate, on a port only its config names. Daemon B: another keyward
  // on this host with the same admin key (the worst case for a misdirected request).
  KeyDirDaemon a;
  ASSERT_TRUE(a.daemon->waitUntilServing()) << a.daemon->err();
  Keyward b("keys:\n  - { id: ops, peer: ops, scopes: [admin], env: A }\n", {{"A", a.admin}});
  ASSERT_TRUE(b.daemon().waitUntilServing()) << b.output();
  const int reloadsOfB = b.reloadsFinished();

  std::vector<std::string> args = a.args();
  CommandResult r = a.rotate();
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("http://127.0.0.1:" + std::to_string(a.port)), std::string::npos) << r.out;
  expectRotated(a, newKeyNamed(r.out), "address from the config");
  EXPECT_EQ(b.reloadsFinished(), reloadsOfB) << "the other daemon was signalled";

  // The pid of B with the config of A: nothing is signalled, no admin key is sent, the old
  // keys stay, and the tool fails.
  KeyDirDaemon c;
  ASSERT_TRUE(c.daemon->waitUntilServing()) << c.daemon->err();
  std::vector<std::string> wrong = {"--pid", std::to_string(b.daemon().pid())};
  CommandResult refused =
      runCommand("/bin/bash",
                 {kTool, "--name", "worker", "--key-dir", c.keyDir, "--config", c.config, "--pid",
                  std::to_string(b.daemon().pid()), "--admin-key-file", c.adminFile, "--grace", "0", "--max-wait", "5"},
                 "", {{"KEYWARD", KEYWARD_BIN}, {"KEYGEN", KEYGEN_BIN}});
  EXPECT_EQ(refused.exitCode, 1) << refused.out << refused.err;
  EXPECT_NE(refused.out.find("nothing signalled"), std::string::npos) << refused.out;
  EXPECT_EQ(refused.out.find("rotation done"), std::string::npos) << refused.out;
  EXPECT_EQ(b.reloadsFinished(), reloadsOfB) << "the wrong daemon was signalled";
  EXPECT_EQ(c.verify(c.initial), 200);
  EXPECT_TRUE(std::filesystem::exists(c.keyDir + "/worker-initial"));
  // Neither daemon saw the admin key: its usage is untouched on both.
  auto usage = httpRequest(b.port(), "GET", "/v1/keys/ops", {{"X-API-Key", a.admin}});
  ASSERT_TRUE(usage);
  EXPECT_NE(usage->body.find("\"allowed\":1"), std::string::npos) << "only this request used it: " << usage->body;
}

TEST(RotateKey, WithoutUsageItNeverRetiresAKeyItCannotCheck) {
  KeyDirDaemon s;
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  const std::string wrong = s.dir.write("wrong.key", newKey() + "\n");  // the daemon answers 401 to this one
  CommandResult r = s.rotate({}, {"--admin-key-file", wrong, "--max-wait", "1"});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_EQ(r.out.find("rotation done"), std::string::npos) << r.out;
  EXPECT_TRUE(std::filesystem::exists(s.keyDir + "/worker-initial")) << "an old key was retired without its usage";
  EXPECT_EQ(s.verify(s.initial), 200);
}

// The ExecStart= of keyward-rotate.service, exactly as shipped (systemd's $$ unescaped), run
// by /bin/sh with the settings of packaging/rotate.env, the unit's paths pointed at a test
// directory, and `systemctl show -P MainPID` answered by a stand-in.
TEST(RotateKey, TheUnitsCommandLineRotatesAndChowns) {
  std::string unit = readFile(std::string(KEYWARD_SOURCE_DIR) + "/systemd/keyward-rotate.service");
  std::size_t at = unit.find("\nExecStart=");
  ASSERT_NE(at, std::string::npos) << unit;
  std::string line;  // the directive with its continuation lines joined
  for (at += 11;;) {
    std::size_t end = unit.find('\n', at);
    std::string part = unit.substr(at, end - at);
    if (part.empty() || part.back() != '\\') {
      line += part;
      break;
    }
    line += part.substr(0, part.size() - 1) + " ";
    at = end + 1;
  }
  ASSERT_EQ(line.rfind("/bin/sh -c '", 0), 0u) << line;
  std::string script = line.substr(12, line.rfind('\'') - 12);
  ASSERT_NE(script.find("--owner keyward"), std::string::npos) << "the unit must give --owner: " << script;

  KeyDirDaemon s;
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  // As root, hand the key to another user to see the chown; otherwise to ourselves.
  const bool root = ::geteuid() == 0;
  const passwd* owner = root ? ::getpwnam("nobody") : ::getpwuid(::geteuid());
  ASSERT_NE(owner, nullptr);
  auto replace = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = script.find(from); at != std::string::npos; at = script.find(from, at + to.size())) {
      script.replace(at, from.size(), to);
    }
  };
  replace("$$", "$");
  replace("/usr/libexec/keyward/rotate-key.sh", kTool);
  replace("/etc/keyward/keys", s.keyDir);
  replace("/etc/keyward/keyward.yaml", s.config);
  replace("/etc/keyward/admin.key", s.adminFile);
  replace("--owner keyward", std::string("--owner ") + owner->pw_name);
  const std::string bin = s.dir.mkdir("bin");
  s.dir.write(
      "bin/systemctl",
      "#!/bin/sh\n[ \"$*\" = \"show -P MainPID keyward.service\" ] && echo " + std::to_string(s.daemon->pid()) + "\n",
      0755);
  Env env;
  for (const std::string& setting : {std::string("KEY_NAME"), std::string("GRACE"), std::string("MAX_WAIT")}) {
    std::smatch v;
    const std::string defaults = readFile(std::string(KEYWARD_SOURCE_DIR) + "/packaging/rotate.env");
    ASSERT_TRUE(std::regex_search(defaults, v, std::regex("\n" + setting + "=([^\n]*)"))) << setting;
    env[setting] = v[1];
  }
  env["GRACE"] = "0";
  env["CLIENT_KEY_FILE"] = s.clientFile;
  env["PATH"] = bin + ":/usr/bin:/bin";
  env["KEYWARD"] = KEYWARD_BIN;
  env["KEYGEN"] = KEYGEN_BIN;
  CommandResult r = runCommand("/bin/sh", {"-c", script}, "", env);
  ASSERT_EQ(r.exitCode, 0) << script << "\n" << r.out << r.err;
  const std::string planned = newKeyNamed(r.out);
  expectRotated(s, planned, "the unit's command line");
  struct stat st {};
  ASSERT_EQ(::stat((s.keyDir + "/" + planned).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, owner->pw_uid) << "--owner was not applied";
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(RotateKey, AResumedRotationChownsTheKeyAnEarlierRunLeftBehind) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another user";
  KeyDirDaemon s;
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  // The old unit ran without --owner and was interrupted: a root-owned new key.
  CommandResult crashed = s.rotate({{"ROTATE_KEY_CRASH_AFTER", "reloaded"}});
  ASSERT_EQ(crashed.exitCode, 86) << crashed.out << crashed.err;
  const std::string planned = newKeyNamed(crashed.out);
  CommandResult resumed = s.rotate({}, {"--owner", "nobody"});
  ASSERT_EQ(resumed.exitCode, 0) << resumed.out << resumed.err;
  struct stat st {};
  ASSERT_EQ(::stat((s.keyDir + "/" + planned).c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::getpwnam("nobody")->pw_uid) << "the resume path did not chown";
}

// Issue 14: while it waits for the old keys to go unused, the tool asks the daemon once a
// second with the admin key. When keyward dies and another process takes its port, that
// process must never receive the admin key: the identity check precedes every request and a
// mismatch stops the rotation with the old keys kept.
TEST(RotateKey, NeverSendsTheAdminKeyToAProcessThatTookThePortMidWait) {
  KeyDirDaemon s;
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  ASSERT_EQ(s.verify(s.initial), 200) << "the old key in use: the tool has to wait";
  Daemon tool("/bin/bash", s.args({"--grace", "3600", "--max-wait", "15"}),
              {{"KEYWARD", KEYWARD_BIN}, {"KEYGEN", KEYGEN_BIN}});
  ASSERT_TRUE(tool.waitForLog("step 4: waiting", 1, std::chrono::seconds(20))) << tool.out() << tool.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a usage poll or two to the real one

  s.daemon->signal(SIGKILL);
  ASSERT_TRUE(s.daemon->waitExit());
  const std::string script = writeFakeKeyward(s.dir);
  Daemon fake("/usr/bin/python3", {script, std::to_string(s.port), std::to_string(s.daemon->pid()), s.config});
  ASSERT_TRUE(fake.waitForLog("started")) << fake.err();

  std::optional<int> code = tool.waitExit(std::chrono::seconds(40));
  ASSERT_TRUE(code) << tool.out();
  EXPECT_EQ(*code, 1) << tool.out() << tool.err();
  EXPECT_NE(tool.out().find("FAILED"), std::string::npos) << tool.out();
  EXPECT_EQ(tool.out().find("rotation done"), std::string::npos) << tool.out();
  EXPECT_EQ(fake.out().find(s.admin), std::string::npos) << "the impostor received the admin key:\n" << fake.out();
  EXPECT_TRUE(std::filesystem::exists(s.keyDir + "/worker-initial")) << "old keys are kept";
}

// The same without --pid (the daemon found through /v1/status, as the header allows): the
// impostor reports its own pid and a keyward-like process name. The pid found at the first
// reload is kept for every later check, so the newcomer is refused.
TEST(RotateKey, WithoutPidTheDaemonFoundAtTheFirstReloadIsTheOnlyOneBelieved) {
  KeyDirDaemon s;
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  ASSERT_EQ(s.verify(s.initial), 200) << "the old key in use: the tool has to wait";
  std::vector<std::string> args = s.args({"--grace", "3600", "--max-wait", "15"});
  const auto pidFlag = std::find(args.begin(), args.end(), "--pid");
  ASSERT_NE(pidFlag, args.end());
  args.erase(pidFlag, pidFlag + 2);
  Daemon tool("/bin/bash", args, {{"KEYWARD", KEYWARD_BIN}, {"KEYGEN", KEYGEN_BIN}});
  ASSERT_TRUE(tool.waitForLog("step 4: waiting", 1, std::chrono::seconds(20))) << tool.out() << tool.err();
  // Its first usage poll is made at once, the next a second later: the impostor is in place
  // by then (so this exercises the impostor, not a refused connection).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  s.daemon->signal(SIGKILL);
  ASSERT_TRUE(s.daemon->waitExit());
  const std::string script = writeFakeKeyward(s.dir);
  Daemon fake("/usr/bin/python3", {script, std::to_string(s.port), "0", s.config});
  ASSERT_TRUE(fake.waitForLog("started")) << fake.err();

  std::optional<int> code = tool.waitExit(std::chrono::seconds(40));
  ASSERT_TRUE(code) << tool.out();
  EXPECT_EQ(*code, 1) << tool.out() << tool.err();
  EXPECT_NE(tool.out().find("FAILED"), std::string::npos) << tool.out();
  EXPECT_EQ(fake.out().find(s.admin), std::string::npos) << "the impostor received the admin key:\n" << fake.out();
  EXPECT_TRUE(std::filesystem::exists(s.keyDir + "/worker-initial")) << "old keys are kept";
  std::cout << tool.out() << "\n---\n" << fake.out() << fake.err();
}

// Issue 14: `--name worker` retired `worker-eu-*` too (every file matching worker-*).
TEST(RotateKey, RetiresOnlyTheKeysOfItsOwnName) {
  KeyDirDaemon s;
  const std::string eu = newKey(), euStamped = newKey();
  s.dir.write("keys/worker-eu-initial", eu + "\n");
  s.dir.write("keys/worker-eu-20260101T000000000Z", euStamped + "\n");
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  CommandResult r = s.rotate();
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("worker-eu"), std::string::npos) << "planned to retire another name's keys:\n" << r.out;
  EXPECT_TRUE(std::filesystem::exists(s.keyDir + "/worker-eu-initial"));
  EXPECT_TRUE(std::filesystem::exists(s.keyDir + "/worker-eu-20260101T000000000Z"));
  EXPECT_FALSE(std::filesystem::exists(s.keyDir + "/worker-initial"));
  EXPECT_EQ(s.verify(eu), 200);
  EXPECT_EQ(s.verify(euStamped), 200);
  EXPECT_EQ(s.verify(s.initial), 401);
}

// Issue 14: only new= of the record was checked; old=../victim removed a file outside the
// key directory. Every name must be a plain name of this rotation.
TEST(RotateKey, RefusesARecordNamingAnythingButItsOwnKeys) {
  for (const std::string& old :
       {std::string("../victim"), std::string("worker-initial ../victim"), std::string("/etc/passwd"),
        std::string("worker-eu-initial"), std::string("worker-initial/..")}) {
    KeyDirDaemon s;
    ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
    const std::string victim = s.dir.write("victim", "precious\n");
    s.dir.write("keys/.rotate-worker.state", "new=worker-20260101T000000000Z\nold=" + old + "\n");
    // No admin key: no usage check stands between the record and `rm`.
    CommandResult r = s.rotate({}, {"--admin-key-file", ""});
    EXPECT_EQ(r.exitCode, 1) << old << ":\n" << r.out << r.err;
    EXPECT_NE(r.out.find("FAILED"), std::string::npos) << old << ":\n" << r.out;
    EXPECT_TRUE(std::filesystem::exists(victim)) << old << ": a file outside the key directory was removed";
    EXPECT_TRUE(std::filesystem::exists(s.keyDir + "/worker-initial")) << old;
    EXPECT_FALSE(std::filesystem::exists(s.keyDir + "/worker-20260101T000000000Z")) << old << ": acted on it";
  }
}

// Issue 14: without keygen the tool stopped at step 1 with bash's 127, no FAILED line and a
// record left behind.
TEST(RotateKey, ChecksItsToolsBeforeAnyStep) {
  KeyDirDaemon s;
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  CommandResult r =
      runCommand("/bin/bash", s.args(), "", {{"KEYWARD", KEYWARD_BIN}, {"KEYGEN", "/nonexistent/keygen"}});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("FAILED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/nonexistent/keygen"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(s.keyDir + "/.rotate-worker.state")) << "a step ran";
}

// Issue 14: one run as root left the lock and the record root 0600, and the unit (another
// user) then failed for good with "Permission denied" and no FAILED line. With --owner they
// are chowned; without it, the next run by another user says what to do.
TEST(RotateKey, ARunAsRootLeavesTheLockAndRecordToTheOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run as two users";
  if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs setpriv";
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  {
    KeyDirDaemon s;
    ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
    CommandResult crashed = s.rotate({{"ROTATE_KEY_CRASH_AFTER", "planned"}}, {"--owner", "nobody"});
    ASSERT_EQ(crashed.exitCode, 86) << crashed.out << crashed.err;
    for (const char* file : {"/.rotate-worker.lock", "/.rotate-worker.state"}) {
      struct stat st {};
      ASSERT_EQ(::stat((s.keyDir + file).c_str(), &st), 0) << file;
      EXPECT_EQ(st.st_uid, nobody->pw_uid) << file << " was not given to --owner";
    }
  }
  KeyDirDaemon s;
  ASSERT_TRUE(s.daemon->waitUntilServing()) << s.daemon->err();
  CommandResult asRoot = s.rotate({{"ROTATE_KEY_CRASH_AFTER", "planned"}});
  ASSERT_EQ(asRoot.exitCode, 86) << asRoot.out << asRoot.err;
  ::chmod(s.dir.path().c_str(), 0755);
  ::chmod(s.keyDir.c_str(), 0755);
  CommandResult asUser =
      runCommand("/usr/bin/setpriv",
                 {"--reuid=nobody", "--regid=" + std::to_string(nobody->pw_gid), "--clear-groups", "/bin/bash", kTool,
                  "--name", "worker", "--key-dir", s.keyDir, "--url", "http://127.0.0.1:" + std::to_string(s.port)},
                 "", {{"KEYWARD", KEYWARD_BIN}, {"KEYGEN", KEYGEN_BIN}});
  EXPECT_EQ(asUser.exitCode, 1) << asUser.out << asUser.err;
  EXPECT_NE(asUser.out.find("FAILED"), std::string::npos) << asUser.out << asUser.err;
  EXPECT_NE(asUser.out.find("--owner"), std::string::npos) << "says how to fix it: " << asUser.out;
}

TEST(RotateKey, HelpAndUsage) {
  CommandResult help = runCommand("/bin/bash", {kTool, "--help"});
  EXPECT_EQ(help.exitCode, 0);
  EXPECT_NE(help.out.find("Overlap rotation"), std::string::npos) << help.out;
  CommandResult noAddress = runCommand("/bin/bash", {kTool, "--name", "w", "--key-dir", "/tmp"});
  EXPECT_EQ(noAddress.exitCode, 2);
  EXPECT_NE(noAddress.err.find("--config"), std::string::npos) << noAddress.err;
}

}  // namespace
}  // namespace keyward::test
