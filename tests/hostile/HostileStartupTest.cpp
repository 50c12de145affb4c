// The hostile suite's process-level cases: a second instance on the same port, FIFOs where
// certificates belong, secrets pasted into path fields, a stalled log reader, key generators
// writing beside watched keys, weak TLS 1.2 suites, keys left in the environment, and key
// files other users control. Each runs the real binary and asserts what it must do.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <thread>

#include "keyward/keys/KeyText.h"
#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

// A self-signed certificate for 127.0.0.1 (`type`: "ec" or "rsa"): NAME.crt and NAME.key.
void makeCertificate(const TempDir& dir, const std::string& name, const std::string& type = "ec") {
  std::vector<std::string> args = {"req",
                                   "-x509",
                                   "-nodes",
                                   "-keyout",
                                   dir.file(name + ".key"),
                                   "-out",
                                   dir.file(name + ".crt"),
                                   "-days",
                                   "2",
                                   "-subj",
                                   "/CN=keyward-test",
                                   "-addext",
                                   "subjectAltName=IP:127.0.0.1"};
  if (type == "rsa") {
    args.insert(args.begin() + 1, {"-newkey", "rsa:2048"});
  } else {
    args.insert(args.begin() + 1, {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"});
  }
  CommandResult r = runCommand("/usr/bin/openssl", args);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_EQ(::chmod(dir.file(name + ".key").c_str(), 0600), 0);
}

int tlsPort(const Daemon& daemon) {
  std::smatch m;
  std::string out = daemon.out();
  return std::regex_search(out, m, std::regex("\"listen_tls\":\"127\\.0\\.0\\.1:([0-9]+)\"")) ? std::stoi(m[1]) : 0;
}

std::string tlsYaml(const TempDir& certs, const std::string& name, const std::string& listen = "127.0.0.1:0") {
  return "tls: { listen: '" + listen + "', cert_file: " + certs.file(name + ".crt") +
         ", key_file: " + certs.file(name + ".key") + " }\n";
}

// ---- item 5: one port, one keyward ----

TEST(HostileStartup, ASecondInstanceOnTheSamePortExits3) {
  std::string key = newKey();
  Keyward first("keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(first.daemon().waitUntilServing()) << first.output();
  Daemon second(KEYWARD_BIN,
                {"--config", first.dir().file("keyward.yaml"), "--listen", "127.0.0.1:" + std::to_string(first.port())},
                {{"K", key}});
  EXPECT_EQ(second.waitExit(5s), 3) << "a second instance must not share the port (SO_REUSEPORT)\n" << second.out();
  EXPECT_NE(second.err().find("address in use"), std::string::npos) << second.err();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(first.verifyStatus(key), 200);
}

TEST(HostileStartup, ASecondInstanceOnTheSameTlsPortExits3) {
  std::string key = newKey();
  TempDir certs;
  makeCertificate(certs, "one");
  Keyward first(tlsYaml(certs, "one") + "keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(first.daemon().waitUntilServing()) << first.output();
  const int port = tlsPort(first.daemon());
  ASSERT_GT(port, 0);
  Keyward second(tlsYaml(certs, "one", "127.0.0.1:" + std::to_string(port)) + "keys:\n  - { id: a, env: K }\n",
                 {{"K", key}});
  EXPECT_EQ(second.daemon().waitExit(5s), 3) << second.output();
  EXPECT_NE(second.daemon().err().find("address in use"), std::string::npos) << second.output();
}

// ---- item 7: FIFOs never block the thread that takes signals ----

TEST(HostileStartup, AFifoAsTheCertificateStopsTheStartWithAClearMessage) {
  std::string key = newKey();
  TempDir certs;
  makeCertificate(certs, "one");
  ASSERT_EQ(::mkfifo(certs.file("fifo.crt").c_str(), 0600), 0);
  Keyward kw("tls: { listen: '127.0.0.1:0', cert_file: " + certs.file("fifo.crt") +
                 ", key_file: " + certs.file("one.key") + " }\nkeys:\n  - { id: a, env: K }\n",
             {{"K", key}});
  EXPECT_EQ(kw.daemon().waitExit(5s), 1) << kw.output();
  EXPECT_NE(kw.daemon().err().find("cert_file"), std::string::npos) << kw.output();
  EXPECT_NE(kw.daemon().err().find("not a regular file"), std::string::npos) << kw.output();
}

TEST(HostileStartup, AFifoSwappedInBeforeSighupLeavesSigtermWorking) {
  std::string key = newKey();
  TempDir certs;
  makeCertificate(certs, "one");
  certs.write("server.crt", readFile(certs.file("one.crt")), 0644);
  Keyward kw("tls: { listen: '127.0.0.1:0', cert_file: " + certs.file("server.crt") +
                 ", key_file: " + certs.file("one.key") + " }\nkeys:\n  - { id: a, env: K }\n",
             {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  ASSERT_EQ(::unlink(certs.file("server.crt").c_str()), 0);
  ASSERT_EQ(::mkfifo(certs.file("server.crt").c_str(), 0644), 0);
  ASSERT_TRUE(kw.reload()) << "the reload finishes (refusing the FIFO) instead of hanging";
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"tls_reload_failed\"", 1, 3s)) << kw.output();
  EXPECT_EQ(kw.verifyStatus(key), 200);
  kw.daemon().signal(SIGTERM);
  EXPECT_EQ(kw.daemon().waitExit(3s), 0) << "SIGTERM must stop the daemon promptly";
}

// ---- item 9: a secret pasted into a path field is never echoed ----

TEST(HostileStartup, AKeyPastedIntoAPathFieldIsNeverEchoed) {
  std::string good = newKey();
  // Keys with a '/' look most like paths; the plain one is the common paste.
  std::string slashed;
  while (slashed.find('/') == std::string::npos || slashed[0] == '/') slashed = newKey();
  const std::string plain = newKey();
  Keyward kw("keys:\n  - { id: good, env: GOOD }\n", {{"GOOD", good}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::vector<std::pair<const char*, std::string>> cases = {
      {"file: holds a key", "keys:\n  - { id: good, env: GOOD }\n  - { id: pasted, file: '" + plain + "' }\n"},
      {"file: holds a key with a slash",
       "keys:\n  - { id: good, env: GOOD }\n  - { id: pasted, file: '" + slashed + "' }\n"},
      {"file: holds '/' + a key", "keys:\n  - { id: good, env: GOOD }\n  - { id: pasted, file: '/" + plain + "' }\n"},
      {"key_dirs path holds a key", "keys:\n  - { id: good, env: GOOD }\nkey_dirs:\n  - { path: '" + slashed + "' }\n"},
      {"env_files path holds a key", "keys:\n  - { id: good, env: GOOD }\nenv_files:\n  - { path: '" + plain + "' }\n"},
  };
  for (const auto& [why, yaml] : cases) {
    kw.rewriteConfig(yaml);
    ASSERT_TRUE(kw.reload()) << why;
    const std::string status = kw.status();
    EXPECT_NE(status.find("\"result\":\"failed\""), std::string::npos) << why << "\n" << status;
    EXPECT_NE(status.find("keyward.yaml line "), std::string::npos) << why << ": the error names the config line\n"
                                                                    << status;
    EXPECT_EQ(kw.verifyStatus(good), 200) << why;
    expectNoKeyIn(status + kw.output(), {plain, slashed});
  }
}

TEST(HostileStartup, AKeyPastedIntoTheCertificateFieldIsNeverEchoed) {
  std::string key = newKey();
  const std::string pasted = newKey();
  Keyward kw("tls: { listen: '127.0.0.1:0', cert_file: '" + pasted + "', key_file: '/" + pasted +
                 "' }\nkeys:\n  - { id: a, env: K }\n",
             {{"K", key}});
  EXPECT_EQ(kw.daemon().waitExit(5s), 1) << kw.output();
  EXPECT_NE(kw.output().find("keyward.yaml"), std::string::npos) << kw.output();
  expectNoKeyIn(kw.output(), {pasted});
}

// ---- item 10: a stalled log reader never stops serving ----

struct PipedDaemon {
  pid_t pid = -1;
  int out = -1;  // read end of the daemon's stdout
  ~PipedDaemon() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int status;
      ::waitpid(pid, &status, 0);
    }
    if (out >= 0) ::close(out);
  }
};

// Starts keyward with stdout into a small pipe; returns once "started" has been read.
int startWithPipedStdout(PipedDaemon& d, const std::string& config, const Env& env) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return 0;
  ::fcntl(fds[0], F_SETPIPE_SZ, 4096);  // the smallest pipe: fills after a few lines
  std::vector<std::string> envStrings = {"PATH=/usr/bin:/bin"};
  for (const auto& [k, v] : env) envStrings.push_back(k + "=" + v);
  d.pid = ::fork();
  if (d.pid == 0) {
    ::dup2(fds[1], 1);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> envp;
    for (auto& e : envStrings) envp.push_back(e.data());
    envp.push_back(nullptr);
    const char* argv[] = {KEYWARD_BIN, "--config", config.c_str(), "--listen", "127.0.0.1:0", nullptr};
    ::execve(KEYWARD_BIN, const_cast<char**>(argv), envp.data());
    _exit(127);
  }
  ::close(fds[1]);
  d.out = fds[0];
  std::string text;
  static const std::regex listen("\"event\":\"started\".*\"listen\":\"[^\"]*:([0-9]+)\"");
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    ssize_t n = ::read(d.out, buffer, sizeof buffer);
    if (n <= 0) return 0;
    text.append(buffer, static_cast<std::size_t>(n));
    std::smatch m;
    if (std::regex_search(text, m, listen)) return std::stoi(m[1]);
  }
  return 0;
}

TEST(HostileStartup, AStalledLogReaderNeverStopsServing) {
  std::string key = newKey();
  TempDir dir;
  const std::string config = dir.write(
      "keyward.yaml", "watch: false\nworkers: 2\nthrottle: { max_failures: 0 }\nkeys:\n  - { id: a, env: K }\n");
  PipedDaemon d;
  const int port = startWithPipedStdout(d, config, {{"K", key}});
  ASSERT_GT(port, 0);
  // Nobody reads stdout from here on. Denials log (up to 50 a second per loop): enough to
  // fill the pipe many times over.
  std::atomic<bool> stop{false};
  std::vector<std::thread> flooders;
  for (int t = 0; t < 4; ++t) {
    flooders.emplace_back([&] {
      while (!stop) {
        HttpConnection c(port);
        for (int i = 0; i < 50 && !stop; ++i) {
          if (!c.request("GET", "/v1/verify", {{"X-API-Key", newKey()}})) break;
        }
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  stop = true;
  for (auto& t : flooders) t.join();
  for (int i = 0; i < 5; ++i) {
    HttpConnection c(port);
    ASSERT_TRUE(c.sendRaw("GET /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + key + "\r\n\r\n"));
    auto r = c.readResponse(1s);
    ASSERT_TRUE(r) << "a valid key timed out while the log pipe was full (attempt " << i << ")";
    EXPECT_EQ(r->status, 200);
  }
  // Once the reader is back the daemon stops cleanly and its lines arrive whole.
  ::kill(d.pid, SIGTERM);
  std::string rest;
  char buffer[65536];
  for (ssize_t n; (n = ::read(d.out, buffer, sizeof buffer)) > 0;) rest.append(buffer, static_cast<std::size_t>(n));
  int status = 0;
  ASSERT_EQ(::waitpid(d.pid, &status, 0), d.pid);
  d.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(rest.find("\"event\":\"stopped\""), std::string::npos) << rest.substr(0, 2000);
  expectNoKeyIn(rest, {key});
}

TEST(HostileStartup, UnderJournaldEveryLineHasItsPriority) {
  std::string key = newKey();
  TempDir dir;
  const std::string config = dir.write("keyward.yaml", "watch: false\nkeys:\n  - { id: a, env: K }\n");
  const std::string outPath = dir.file("journal");
  int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(out, 0);
  struct stat st;
  ASSERT_EQ(::fstat(out, &st), 0);
  const std::string stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, 1);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::string envK = "K=" + key, envJ = "JOURNAL_STREAM=" + stream;
    char* envp[] = {envK.data(), envJ.data(), nullptr};
    const char* argv[] = {KEYWARD_BIN, "--config", config.c_str(), "--listen", "127.0.0.1:0", nullptr};
    ::execve(KEYWARD_BIN, const_cast<char**>(argv), envp);
    _exit(127);
  }
  ::close(out);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (readFile(outPath).find("\"event\":\"started\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::string text = readFile(outPath);
  EXPECT_NE(text.find("<6>{\"ts\""), std::string::npos) << text;
  std::size_t lines = 0;
  for (std::size_t at = 0; at < text.size(); at = text.find('\n', at) + 1) {
    ++lines;
    EXPECT_TRUE(text.compare(at, 4, "<6>{") == 0 || text.compare(at, 4, "<4>{") == 0 ||
                text.compare(at, 4, "<3>{") == 0 || text.compare(at, 4, "<7>{") == 0)
        << text.substr(at, 80);
    if (text.find('\n', at) == std::string::npos) break;
  }
  EXPECT_GE(lines, 2u);
  // Not under journald (the fixture's plain file): no prefix, plain JSON lines.
  Keyward plainKw("keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(plainKw.daemon().waitUntilServing());
  EXPECT_EQ(plainKw.daemon().out().rfind("{\"ts\"", 0), 0u) << plainKw.daemon().out();
}

// ---- item 11: key generators and unrelated files beside watched keys ----

TEST(HostileStartup, KeygenIntoAWatchedKeyDirectoryNeverCausesARefusedReload) {
  std::string good = newKey();
  std::string kd;
  Keyward kw(
      [&](const TempDir& d) {
        kd = d.mkdir("keys");
        d.write("keys/first", newKey());
        return "watch: true\nwatch_debounce: 5ms\nkeys:\n  - { id: good, env: GOOD }\nkey_dirs:\n  - { path: " + kd +
               " }\n";
      },
      {{"GOOD", good}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  constexpr int kGenerations = 120;
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = w; i < kGenerations; i += 2) {
        CommandResult r = runCommand(KEYGEN_BIN, {"--out", kd + "/gen-" + std::to_string(i)});
        ASSERT_EQ(r.exitCode, 0) << r.err;
      }
    });
  }
  for (auto& t : writers) t.join();
  // The watcher's last reload takes every generated key.
  const std::string last = readFile(kd + "/gen-" + std::to_string(kGenerations - 1));
  EXPECT_TRUE(kw.waitUntilAccepted(std::string(withoutTrailingNewline(last)), 5s)) << kw.status();
  std::this_thread::sleep_for(200ms);
  const std::string status = kw.status();
  EXPECT_NE(status.find("\"failed\":0"), std::string::npos) << "a keygen --out caused a refused reload\n"
                                                            << status << "\n"
                                                            << kw.output();
  EXPECT_GT(kw.reloadsFinished(), 1) << status;
}

TEST(HostileStartup, UnrelatedFilesBesideWatchedKeysCauseNoReload) {
  std::string fileKey = newKey();
  std::string dirKey = newKey();
  std::string keyPath, kd;
  Keyward kw(
      [&](const TempDir& d) {
        keyPath = d.write("worker.key", fileKey);
        kd = d.mkdir("keys");
        d.write("keys/dir-key", dirKey);
        return "watch: true\nwatch_debounce: 5ms\nkeys:\n  - { id: worker, file: " + keyPath +
               " }\nkey_dirs:\n  - { path: " + kd + " }\n";
      },
      {});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  std::this_thread::sleep_for(100ms);
  const int before = kw.reloadsFinished();
  for (int i = 0; i < 20; ++i) {
    kw.dir().write("notes-" + std::to_string(i) + ".txt", "unrelated");  // beside the key file
    kw.dir().write(".swap-" + std::to_string(i), "editor swap file");
    kw.dir().write("keys/.hidden-" + std::to_string(i), "hidden in the key directory");
    ::unlink(kw.dir().file("keys/.hidden-" + std::to_string(i)).c_str());
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(kw.reloadsFinished(), before) << "files that cannot change the key set caused reloads\n" << kw.status();
  // A change to the watched key file itself still reloads.
  const std::string next = newKey();
  kw.dir().write("worker.key.new", next);
  ASSERT_EQ(::rename(kw.dir().file("worker.key.new").c_str(), keyPath.c_str()), 0);
  EXPECT_TRUE(kw.waitUntilAccepted(next, 3s)) << kw.status();
  // And a new visible file in the key directory.
  const std::string added = newKey();
  kw.dir().write("keys/added", added);
  EXPECT_TRUE(kw.waitUntilAccepted(added, 3s)) << kw.status();
}

// ---- item 12: TLS 1.2 suites, the environment, key file owners ----

// Exit code of an `openssl s_client` TLS 1.2 handshake offering only `cipher`.
int handshake(int port, const std::string& cipher) {
  CommandResult r =
      runCommand("/bin/sh", {"-c", "/usr/bin/openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                                       " -tls1_2 -cipher '" + cipher + "' </dev/null >/dev/null 2>&1"});
  return r.exitCode;
}

TEST(HostileStartup, Tls12OffersOnlyEcdheWithAead) {
  std::string key = newKey();
  TempDir certs;
  makeCertificate(certs, "rsa", "rsa");
  makeCertificate(certs, "ec", "ec");
  Keyward rsa(tlsYaml(certs, "rsa") + "keys:\n  - { id: a, env: K }\n", {{"K", key}});
  Keyward ec(tlsYaml(certs, "ec") + "keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(rsa.daemon().waitUntilServing()) << rsa.output();
  ASSERT_TRUE(ec.daemon().waitUntilServing()) << ec.output();
  const int rsaPort = tlsPort(rsa.daemon()), ecPort = tlsPort(ec.daemon());
  EXPECT_EQ(handshake(rsaPort, "ECDHE-RSA-AES128-GCM-SHA256"), 0);
  EXPECT_EQ(handshake(rsaPort, "ECDHE-RSA-CHACHA20-POLY1305"), 0);
  EXPECT_EQ(handshake(ecPort, "ECDHE-ECDSA-AES128-GCM-SHA256"), 0);
  EXPECT_EQ(handshake(ecPort, "ECDHE-ECDSA-AES256-GCM-SHA384"), 0);
  // No forward secrecy, or no AEAD: refused.
  for (const char* weak : {"AES128-SHA", "AES128-GCM-SHA256", "AES256-SHA256", "ECDHE-RSA-AES128-SHA",
                           "ECDHE-RSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256"}) {
    EXPECT_NE(handshake(rsaPort, weak), 0) << weak;
  }
  for (const char* weak : {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES128-SHA256"}) {
    EXPECT_NE(handshake(ecPort, weak), 0) << weak;
  }
}

std::string environOf(pid_t pid) {
  std::string text = readFile("/proc/" + std::to_string(pid) + "/environ");
  return text;
}

TEST(HostileStartup, EnvKeysLeaveTheProcessEnvironmentAndReloadsStillWork) {
  std::string key = newKey(), second = newKey();
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", key}, {"SECOND", second}, {"PLAIN", "stays"}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  std::string environ = environOf(kw.daemon().pid());
  EXPECT_NE(environ.find("PLAIN=stays"), std::string::npos) << "only key variables are removed";
  expectNoKeyIn(environ, {key});
  EXPECT_NE(environ.find(second), std::string::npos) << "not a key yet: left alone";
  // A reload that starts using SECOND: read, then removed too; K keeps working from memory.
  kw.rewriteConfig("keys:\n  - { id: a, env: K }\n  - { id: b, env: SECOND }\n");
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(key), 200) << kw.status();
  EXPECT_EQ(kw.verifyStatus(second), 200) << kw.status();
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(key), 200);
  EXPECT_NE(kw.status().find("\"failed\":0"), std::string::npos) << kw.status();
  expectNoKeyIn(environOf(kw.daemon().pid()), {key, second});
}

TEST(HostileStartup, TheDaemonIsNotDumpable) {
  // A dumpable process's /proc/PID files belong to its user; a non-dumpable one's to root,
  // so that user cannot read its memory, environment or core. Run keyward as nobody to see it.
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to start keyward as another user";
  std::string key = newKey();
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  const std::string config = dir.write("keyward.yaml", "watch: false\nkeys:\n  - { id: a, env: K }\n", 0644);
  const std::string outPath = dir.file("stdout");
  int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(out, 0);
  ASSERT_EQ(::fchown(out, 65534, 65534), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out, 1);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) _exit(126);
    std::string envK = "K=" + key;
    char* envp[] = {envK.data(), nullptr};
    const char* argv[] = {KEYWARD_BIN, "--config", config.c_str(), "--listen", "127.0.0.1:0", nullptr};
    ::execve(KEYWARD_BIN, const_cast<char**>(argv), envp);
    _exit(127);
  }
  ::close(out);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (readFile(outPath).find("\"event\":\"started\"") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  struct stat st;
  const int statted = ::stat(("/proc/" + std::to_string(pid) + "/environ").c_str(), &st);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_NE(readFile(outPath).find("\"event\":\"started\""), std::string::npos) << readFile(outPath);
  ASSERT_EQ(statted, 0);
  EXPECT_EQ(st.st_uid, 0u) << "/proc/PID belongs to the daemon's user: the process is dumpable";
}

TEST(HostileStartup, AsRootKeyFilesOtherUsersControlAreRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "the owner checks apply when keyward runs as root";
  std::string good = newKey();
  const std::string secret = newKey();
  struct Case {
    const char* why;
    std::function<std::string(const TempDir&)> yaml;
    const char* expected;  // part of the error
  };
  const std::vector<Case> cases = {
      {"key file owned by another user",
       [&](const TempDir& d) {
         const std::string path = d.write("theirs.key", secret);
         EXPECT_EQ(::chown(path.c_str(), 65534, 65534), 0);
         return "keys:\n  - { id: good, env: GOOD }\n  - { id: b, file: " + path + " }\n";
       },
       "theirs.key"},
      {"key file in a world-writable directory",
       [&](const TempDir& d) {
         const std::string dir = d.mkdir("open");
         EXPECT_EQ(::chmod(dir.c_str(), 0777), 0);
         return "keys:\n  - { id: good, env: GOOD }\n  - { id: b, file: " + d.write("open/b.key", secret) + " }\n";
       },
       "that group or others may write without the sticky bit"},
      {"key directory writable by its group",
       [&](const TempDir& d) {
         const std::string dir = d.mkdir("groupdir");
         EXPECT_EQ(::chmod(dir.c_str(), 0770), 0);
         d.write("groupdir/b", secret);
         return "keys:\n  - { id: good, env: GOOD }\nkey_dirs:\n  - { path: " + dir + " }\n";
       },
       "groupdir"},
      {"env file owned by another user",
       [&](const TempDir& d) {
         const std::string path = d.write("theirs.env", "B=" + secret + "\n");
         EXPECT_EQ(::chown(path.c_str(), 65534, 65534), 0);
         return "keys:\n  - { id: good, env: GOOD }\nenv_files:\n  - { path: " + path + " }\n";
       },
       "owned by uid 65534"},
  };
  for (const Case& c : cases) {
    Keyward kw(c.yaml, {{"GOOD", good}});
    EXPECT_EQ(kw.daemon().waitExit(5s), 1) << c.why << "\n" << kw.output();
    EXPECT_NE(kw.output().find(c.expected), std::string::npos) << c.why << "\n" << kw.output();
    expectNoKeyIn(kw.output(), {good, secret});
  }
  // A sticky world-writable directory (like /tmp) is fine: others cannot replace the file.
  Keyward sticky(
      [&](const TempDir& d) {
        const std::string dir = d.mkdir("sticky");
        EXPECT_EQ(::chmod(dir.c_str(), 01777), 0);
        return "keys:\n  - { id: b, file: " + d.write("sticky/b.key", secret) + " }\n";
      },
      {});
  ASSERT_TRUE(sticky.daemon().waitUntilServing()) << sticky.output();
  EXPECT_EQ(sticky.verifyStatus(secret), 200);
}

}  // namespace
}  // namespace keyward::test
