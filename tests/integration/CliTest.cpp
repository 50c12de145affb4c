// The client subcommands (keyward keys|verify|reload) and keygen through the real binaries:
// the conventions every entry point shares (--help on stdout with exit 0, --version,
// --opt=value), encoded query values, the URL forms (https://, unix:), and the answers that
// must not pass for keyward's (issue 14).

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

CommandResult keyward(std::vector<std::string> args, Env env = {}) {
  return runCommand(KEYWARD_BIN, std::move(args), "", env);
}

TEST(Cli, EverySubcommandAnswersHelpOnStdoutWithExitZero) {
  struct Case {
    std::vector<std::string> args;
    const char* expected;  // a part of the help text
  };
  const std::vector<Case> cases = {
      {{"--help"}, "keyward keys"},
      {{"keys", "--help"}, "keyward keys list"},
      {{"keys", "list", "--help"}, "keyward keys list"},
      {{"verify", "--help"}, "--key-file"},
      {{"reload", "--help"}, "--pid"},
      {{"verify", "-h"}, "--key-file"},
  };
  for (const Case& c : cases) {
    CommandResult r = keyward(c.args);
    EXPECT_EQ(r.exitCode, 0) << c.args.size() << " " << c.args.back() << ": " << r.err;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << "help goes to stdout: " << r.out;
    EXPECT_EQ(r.err, "") << "nothing on stderr for --help";
  }
  CommandResult keygen = runCommand(KEYGEN_BIN, {"--help"});
  EXPECT_EQ(keygen.exitCode, 0);
  EXPECT_NE(keygen.out.find("usage: keygen"), std::string::npos);
}

TEST(Cli, VersionEverywhere) {
  const std::vector<std::vector<std::string>> cases = {
      {"--version"}, {"keys", "--version"}, {"verify", "--version"}, {"reload", "--version"}, {"reload", "-V"}};
  for (const auto& args : cases) {
    CommandResult r = keyward(args);
    EXPECT_EQ(r.exitCode, 0) << args.front() << ": " << r.err;
    EXPECT_NE(r.out.find(KEYWARD_VERSION), std::string::npos) << r.out;
  }
  CommandResult keygen = runCommand(KEYGEN_BIN, {"--version"});
  EXPECT_EQ(keygen.exitCode, 0) << keygen.err;
  EXPECT_NE(keygen.out.find(KEYWARD_VERSION), std::string::npos) << keygen.out;
}

TEST(Cli, UsageErrorsGoToStderrWithExitTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"verify", "--bogus"},
                                             {"reload", "--pid"},
                                             {"keys", "frobnicate"},
                                             {"verify", "--url=ftp://x", "--key-env=K"}}) {
    CommandResult r = keyward(args, {{"K", newKey()}, {"KEYWARD_ADMIN_KEY", newKey()}});
    EXPECT_EQ(r.exitCode, 2) << args.back() << ": " << r.out << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_NE(r.err.find("usage:"), std::string::npos) << r.err;
  }
}

TEST(Cli, VerifyTakesOptEqualsValueAndEncodesThePeer) {
  std::string key = newKey();
  Keyward kw("keys:\n  - { id: ci-1, peer: team+ci, scopes: ['runs:write'], env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());
  // "team+ci" must arrive as is, not as "team ci" (a '+' in a query means a space).
  CommandResult r =
      keyward({"verify", "--url=" + url, "--key-env=K", "--peer=team+ci", "--scope", "runs:write"}, {{"K", key}});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "accepted: key ci-1 (peer team+ci)\n");
  CommandResult other = keyward({"verify", "--url", url, "--key-env", "K", "--peer", "team ci"}, {{"K", key}});
  EXPECT_EQ(other.exitCode, 1) << other.out << other.err;
  EXPECT_EQ(other.out, "refused: 403 WRONG_PEER\n");
}

// A server on a free loopback port that answers every request with `response` and closes.
class FakeServer {
 public:
  explicit FakeServer(std::string response) : response_(std::move(response)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] {
      while (!stop_) {
        int client = ::accept(fd_, nullptr, nullptr);
        if (client < 0) break;
        char buffer[4096];
        (void)::recv(client, buffer, sizeof buffer, 0);
        (void)::send(client, response_.data(), response_.size(), MSG_NOSIGNAL);
        ::close(client);
      }
    });
  }
  ~FakeServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string response_;
  int fd_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(Cli, VerifyFailsWhenTheAnswerIsNotKeywards) {
  struct Case {
    const char* why;
    std::string response;
  };
  const std::vector<Case> cases = {
      {"nginx's welcome page: 200 without X-Keyward-* headers",
       "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: 20\r\nConnection: close\r\n\r\n"
       "<h1>Welcome!</h1>\r\n"},
      {"the headers but another body",
       "HTTP/1.1 200 OK\r\nX-Keyward-Key-Id: a\r\nX-Keyward-Peer: p\r\nContent-Length: 2\r\nConnection: "
       "close\r\n\r\nok"},
      {"a 401 from a proxy, without X-Keyward-Code",
       "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"},
  };
  for (const Case& c : cases) {
    FakeServer server(c.response);
    CommandResult r = keyward({"verify", "--url", server.url(), "--key-env", "K"}, {{"K", newKey()}});
    EXPECT_EQ(r.exitCode, 2) << c.why << ": " << r.out << r.err;
    EXPECT_EQ(r.out.find("accepted"), std::string::npos) << c.why;
  }
}

TEST(Cli, ReachesTheDaemonOverItsUnixSocket) {
  std::string key = newKey(), admin = newKey();
  std::string socket;
  Keyward kw(
      [&](const TempDir& dir) {
        socket = dir.file("kw.sock");
        return "listen_unix: { path: " + socket +
               " }\nkeys:\n  - { id: w, peer: worker, env: K }\n"
               "  - { id: ops, peer: ops, scopes: [admin], env: A }\n";
      },
      {{"K", key}, {"A", admin}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  CommandResult r = keyward({"verify", "--url", "unix:" + socket, "--key-env", "K"}, {{"K", key}});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "accepted: key w (peer worker)\n");
  CommandResult list =
      keyward({"keys", "list", "--url=unix:" + socket, "--format=json"}, {{"KEYWARD_ADMIN_KEY", admin}});
  EXPECT_EQ(list.exitCode, 0) << list.out << list.err;
  EXPECT_NE(list.out.find("\"id\":\"w\""), std::string::npos) << list.out;
  CommandResult reload = keyward({"reload", "--url", "unix:" + socket, "--pid", std::to_string(kw.daemon().pid())});
  EXPECT_EQ(reload.exitCode, 0) << reload.out << reload.err;
  EXPECT_NE(reload.out.find("unix:" + socket), std::string::npos) << "says which URL: " << reload.out;
}

TEST(Cli, ReachesTheDaemonOverHttps) {
  TempDir certs;
  CommandResult made =
      runCommand("/usr/bin/openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                      "-keyout", certs.file("s.key"), "-out", certs.file("s.crt"), "-days", "2",
                                      "-subj", "/CN=keyward-test", "-addext", "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(made.exitCode, 0) << made.err;
  ASSERT_EQ(::chmod(certs.file("s.key").c_str(), 0600), 0);
  std::string key = newKey();
  Keyward kw("tls: { listen: '127.0.0.1:0', cert_file: " + certs.file("s.crt") + ", key_file: " + certs.file("s.key") +
                 " }\nkeys:\n  - { id: a, peer: p, env: K }\n",
             {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  std::smatch m;
  std::string out = kw.daemon().out();
  ASSERT_TRUE(std::regex_search(out, m, std::regex("\"listen_tls\":\"127\\.0\\.0\\.1:([0-9]+)\""))) << out;
  const std::string url = "https://127.0.0.1:" + std::string(m[1]);
  CommandResult r = keyward({"verify", "--url", url, "--cacert", certs.file("s.crt"), "--key-env", "K"}, {{"K", key}});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "accepted: key a (peer p)\n");
  // Not trusted: the certificate is checked.
  CommandResult untrusted = keyward({"verify", "--url", url, "--key-env", "K"}, {{"K", key}});
  EXPECT_EQ(untrusted.exitCode, 2) << untrusted.out << untrusted.err;
  expectNoKeyIn(r.out + r.err + untrusted.out + untrusted.err, {key});
}

TEST(Cli, ReloadOfTheWrongDaemonSaysWhichUrlAndDoesNotWait) {
  Keyward a("keys:\n  - { id: a, env: K }\n", {{"K", newKey()}});
  Keyward b("keys:\n  - { id: b, env: K }\n", {{"K", newKey()}});
  ASSERT_TRUE(a.daemon().waitUntilServing()) << a.output();
  ASSERT_TRUE(b.daemon().waitUntilServing()) << b.output();
  const std::string urlOfB = "http://127.0.0.1:" + std::to_string(b.port());
  const int reloadsOfA = a.reloadsFinished(), reloadsOfB = b.reloadsFinished();
  const auto started = std::chrono::steady_clock::now();
  CommandResult r = keyward({"reload", "--pid", std::to_string(a.daemon().pid()), "--url", urlOfB, "--timeout", "5"});
  EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s) << "waited for a reload that was never coming";
  EXPECT_NE(r.err.find(urlOfB), std::string::npos) << r.err;
  EXPECT_EQ(a.reloadsFinished(), reloadsOfA) << "nothing is signalled when the daemon at the URL is another";
  EXPECT_EQ(b.reloadsFinished(), reloadsOfB);

  // Without --url or --config: the message names the URL polled and where it came from.
  const std::string config = a.dir().write("elsewhere.yaml", "listen: \"127.0.0.1:1\"\nkeys: []\n");
  CommandResult guessed =
      runCommand(KEYWARD_BIN, {"reload", "--pid", std::to_string(a.daemon().pid()), "--timeout", "3"}, "",
                 {{"KEYWARD_CONFIG", config}});
  EXPECT_EQ(guessed.exitCode, 2);
  EXPECT_NE(guessed.err.find("http://127.0.0.1:1"), std::string::npos) << guessed.err;
  EXPECT_NE(guessed.err.find(config), std::string::npos) << "says where the address came from: " << guessed.err;
}

TEST(Cli, ReloadWithOnlyTheConfigFindsItsDaemon) {
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", newKey()}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());
  if (kw.status().find("\"pid\"") == std::string::npos) {
    GTEST_SKIP() << "the daemon's /v1/status does not report \"pid\" and \"config\" yet";
  }
  CommandResult r = keyward({"reload", "--config", kw.dir().file("keyward.yaml"), "--url", url});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("process " + std::to_string(kw.daemon().pid())), std::string::npos) << r.out;
  CommandResult other = keyward({"reload", "--config", kw.dir().write("other.yaml", "keys: []\n"), "--url", url});
  EXPECT_EQ(other.exitCode, 2) << "a daemon serving another config is not signalled: " << other.out << other.err;
}

TEST(Cli, ReloadOfADaemonWhoseStatusNeedsAKey) {
  const std::string ops = newKey();
  Keyward kw("status_scope: ops\nkeys:\n  - { id: ops, peer: ops, scopes: [ops], env: K }\n", {{"K", ops}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::string url = "http://127.0.0.1:" + std::to_string(kw.port());
  const std::string pid = std::to_string(kw.daemon().pid());
  CommandResult without = keyward({"reload", "--pid", pid, "--url", url});
  EXPECT_EQ(without.exitCode, 2);
  EXPECT_NE(without.err.find("status_scope"), std::string::npos) << "says what to do: " << without.err;
  const std::string keyFile = kw.dir().write("ops.key", ops + "\n");
  CommandResult with = keyward({"reload", "--pid", pid, "--url", url, "--key-file", keyFile});
  EXPECT_EQ(with.exitCode, 0) << with.out << with.err;
  expectNoKeyIn(without.out + without.err + with.out + with.err, {ops});
}

// Issue 14: help asked of a keygen subcommand was a usage error (exit 2, stderr).
TEST(Cli, KeygenAnswersHelpAndVersionOnStdoutEverywhere) {
  struct Case {
    std::vector<std::string> args;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {{"check", "--help"}, "usage: keygen"},
      {{"fingerprint", "--help"}, "usage: keygen"},
      {{"sha256", "--help"}, "usage: keygen"},
      {{"check", "-h"}, "usage: keygen"},
      {{"check", "--version"}, KEYWARD_VERSION},
      {{"--bytes", "48", "--help"}, "usage: keygen"},
      {{"--"}, ""},  // the end of the options, not an unknown argument
  };
  for (const Case& c : cases) {
    CommandResult r = runCommand(KEYGEN_BIN, c.args);
    EXPECT_EQ(r.exitCode, 0) << c.args.front() << " " << c.args.back() << ": " << r.err;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << c.args.front() << ": " << r.out;
    EXPECT_EQ(r.err, "") << c.args.front() << " " << c.args.back();
  }
  CommandResult extra = runCommand(KEYGEN_BIN, {"--", "x"});
  EXPECT_EQ(extra.exitCode, 2) << extra.out;
}

// Issue 14: `keyward --help` names every client subcommand.
TEST(Cli, HelpListsEverySubcommand) {
  CommandResult r = keyward({"--help"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  for (const char* sub : {"keyward keys", "keyward verify", "keyward reload", "keyward scan", "keyward leaked"}) {
    EXPECT_NE(r.out.find(sub), std::string::npos) << sub << " missing from:\n" << r.out;
  }
}

// setpriv's arguments that run `command` as the user `nobody` (the tests using it run as root).
std::vector<std::string> asNobody(const std::vector<std::string>& command) {
  const passwd* nobody = ::getpwnam("nobody");
  std::vector<std::string> args = {"--reuid=" + std::to_string(nobody->pw_uid),
                                   "--regid=" + std::to_string(nobody->pw_gid), "--clear-groups"};
  args.insert(args.end(), command.begin(), command.end());
  return args;
}

// Issue 14: keyward is not dumpable, so /proc/PID/fd is root's only; as the service user the
// socket-owner check answered "unknown", which passed, and all that was left was what the
// answering process said about itself. Now: a LISTEN socket at that address, owned by the
// uid of PID, is required (/proc/self/net/tcp and /proc/PID/status), unknown fails closed,
// and the --key-file that ExecReload= needs with status_scope works for the service user.
// Not covered, and not detectable without root: an impostor running as the daemon's own user.
TEST(Cli, ReloadAsTheServiceUserChecksWhoOwnsTheSocket) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run as other users";
  if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs setpriv";
  ASSERT_NE(::getpwnam("nobody"), nullptr);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0755);
  const std::string ops = newKey();
  const std::string config = dir.write("keyward.yaml",
                                       "listen: \"127.0.0.1:0\"\nwatch: false\nstatus_scope: ops\nkeys:\n  - { id: "
                                       "ops, peer: ops, scopes: [ops], env: K }\n",
                                       0644);
  const std::string keyFile = dir.write("ops.key", ops + "\n", 0600);
  const passwd* nobody = ::getpwnam("nobody");
  ASSERT_EQ(::chown(keyFile.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  Daemon daemon("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "--config", config}), {{"K", ops}});
  ASSERT_TRUE(daemon.waitUntilServing()) << daemon.err();
  const std::string realUrl = "http://127.0.0.1:" + std::to_string(daemon.port());

  // The service user reloads its own daemon, with the key status_scope asks for.
  CommandResult own =
      runCommand("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "reload", "--url", realUrl, "--config", config, "--pid",
                                               std::to_string(daemon.pid()), "--key-file", keyFile}));
  EXPECT_EQ(own.exitCode, 0) << own.out << own.err;
  EXPECT_NE(own.out.find("reloaded"), std::string::npos) << own.out << own.err;

  // Another user's process on another port claims the daemon's pid and config.
  const std::string script = writeFakeKeyward(dir);
  ::chmod(script.c_str(), 0755);
  const int port = freeLoopbackPort();
  Daemon fake("/usr/bin/setpriv", {"--reuid=54321", "--regid=54321", "--clear-groups", "/usr/bin/python3", script,
                                   std::to_string(port), std::to_string(daemon.pid()), config});
  ASSERT_TRUE(fake.waitForLog("started")) << fake.err();
  const std::string fakeUrl = "http://127.0.0.1:" + std::to_string(port);
  CommandResult fooled = runCommand("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "reload", "--url", fakeUrl, "--config",
                                                                  config, "--pid", std::to_string(daemon.pid())}));
  EXPECT_EQ(fooled.exitCode, 2) << fooled.out << fooled.err;
  EXPECT_EQ(fooled.out.find("reloaded"), std::string::npos) << fooled.out;
  EXPECT_NE(fooled.err.find("nothing signalled"), std::string::npos) << fooled.err;
  CommandResult keySent =
      runCommand("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "reload", "--url", fakeUrl, "--config", config, "--pid",
                                               std::to_string(daemon.pid()), "--key-file", keyFile}));
  EXPECT_EQ(keySent.exitCode, 2) << keySent.out << keySent.err;
  EXPECT_EQ(fake.out().find(ops), std::string::npos) << "the key reached the impostor: " << fake.out();
  // --check: the same verdicts, nothing signalled.
  CommandResult checked =
      runCommand("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "reload", "--check", "--url", fakeUrl, "--config", config,
                                               "--pid", std::to_string(daemon.pid())}));
  EXPECT_EQ(checked.exitCode, 2) << checked.out << checked.err;
}

// Issue 14, unix: URLs: as the service user the fds were unreadable and "unknown" passed, so
// another user's process on another socket, claiming the daemon's pid and config, got the
// SIGHUP's result believed. The kernel's word is now the connection's peer (SO_PEERCRED).
TEST(Cli, ReloadOverAUnixSocketAsksTheKernelWhoListens) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run as other users";
  if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs setpriv";
  ASSERT_NE(::getpwnam("nobody"), nullptr);
  TempDir dir;
  ::chmod(dir.path().c_str(), 0777);
  const std::string socket = dir.file("kw.sock"), fakeSocket = dir.file("fake.sock");
  const std::string config = dir.write("keyward.yaml",
                                       "listen: \"127.0.0.1:0\"\nwatch: false\nlisten_unix: { path: " + socket +
                                           " }\nkeys:\n  - { id: ops, peer: ops, scopes: [admin], env: K }\n",
                                       0644);
  Daemon daemon("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "--config", config}), {{"K", newKey()}});
  ASSERT_TRUE(daemon.waitUntilServing()) << daemon.err();
  const std::string pid = std::to_string(daemon.pid());

  CommandResult own =
      runCommand("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "reload", "--url", "unix:" + socket, "--pid", pid}));
  EXPECT_EQ(own.exitCode, 0) << own.out << own.err;

  const std::string script = writeFakeKeyward(dir);
  Daemon fake("/usr/bin/setpriv", {"--reuid=54321", "--regid=54321", "--clear-groups", "/usr/bin/python3", script,
                                   fakeSocket, pid, config});
  ASSERT_TRUE(fake.waitForLog("started")) << fake.err();
  CommandResult fooled =
      runCommand("/usr/bin/setpriv", asNobody({KEYWARD_BIN, "reload", "--url", "unix:" + fakeSocket, "--pid", pid}));
  EXPECT_EQ(fooled.exitCode, 2) << fooled.out << fooled.err;
  EXPECT_EQ(fooled.out.find("reloaded"), std::string::npos) << fooled.out;
  EXPECT_NE(fooled.err.find("nothing signalled"), std::string::npos) << fooled.err;
}

TEST(Cli, KeygenTakesOptEqualsValue) {
  CommandResult r = runCommand(KEYGEN_BIN, {"--bytes=48", "--env=WORKER_KEY"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out.rfind("WORKER_KEY=", 0), 0u) << r.out;
  EXPECT_EQ(r.out.size(), std::string("WORKER_KEY=").size() + 64 + 1) << "48 bytes are 64 base64 characters";
}

TEST(Cli, KeygenNamesTheMistake) {
  CommandResult password = runCommand(KEYGEN_BIN, {"check"}, "hunter2\n");
  EXPECT_EQ(password.exitCode, 1);
  EXPECT_NE(password.err.find("too short"), std::string::npos) << password.err;
  CommandResult spaced = runCommand(KEYGEN_BIN, {"check"}, newKey() + " \n");
  EXPECT_EQ(spaced.exitCode, 1);
  EXPECT_NE(spaced.err.find("ends with whitespace"), std::string::npos) << spaced.err;
}

// scripts/run.sh: builds only what it runs, and a config the user edited survives a re-run.
// cmake is a stand-in that records its arguments (the binaries are this build's).
TEST(RunScript, BuildsOnlyWhatItRunsAndKeepsTheUsersConfig) {
  TempDir dir;
  const std::string dev = dir.mkdir("dev");
  const std::string edited =
      "# mine\nlisten: \"127.0.0.1:0\"\nkeys:\n  - { id: mine, peer: me, file: " + dev + "/dev.key }\n";
  dir.write("dev/keyward.yaml", edited);
  dir.mkdir("bin");
  dir.write("bin/cmake", "#!/bin/sh\necho \"$*\" >> " + dir.file("cmake.args") + "\n", 0755);
  const std::string build = std::filesystem::path(KEYWARD_BIN).parent_path().string();
  Daemon run("/bin/bash", {std::string(KEYWARD_SOURCE_DIR) + "/scripts/run.sh"},
             {{"PATH", dir.file("bin") + ":/usr/sbin:/usr/bin:/sbin:/bin"},
              {"KEYWARD_DEV_DIR", dev},
              {"KEYWARD_BUILD_DIR", build}});
  ASSERT_TRUE(run.waitUntilServing()) << run.out() << run.err();
  EXPECT_EQ(readFile(dev + "/keyward.yaml"), edited) << "run.sh overwrote the user's config";
  const std::string args = readFile(dir.file("cmake.args"));
  EXPECT_NE(args.find("--build " + build + " -j"), std::string::npos) << args;
  EXPECT_NE(args.find("--target keyward keygen"), std::string::npos) << "builds more than it runs: " << args;
  EXPECT_NE(run.out().find("reload --config " + dev + "/keyward.yaml"), std::string::npos) << run.out();
  EXPECT_EQ(run.out().find("pgrep"), std::string::npos);
  EXPECT_EQ(run.out().find("pidof"), std::string::npos);
  auto r = httpRequest(run.port(), "GET", "/v1/verify", {{"X-API-Key", readFile(dev + "/dev.key").substr(0, 44)}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers["x-keyward-key-id"], "mine") << "serves the user's config";
}

}  // namespace
}  // namespace keyward::test
