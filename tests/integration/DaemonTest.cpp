// Integration tests: the real keyward binary on a loopback port, real HTTP, real signals,
// real secret files.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "keyward/base/Digest.h"
#include "keyward/keys/KeyGenerator.h"
#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TempDir.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

const std::string kShortKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==";

std::string keyFileConfig(const std::string& dir) {
  return "keys:\n  - { id: api-1, peer: api, file: " + dir + "/api.key }\nkey_dirs:\n  - { path: " + dir +
         "/workers, peer: worker }\n";
}

TEST(Daemon, VerifiesValidInvalidMissingAndAmbiguousCredentials) {
  std::string worker = newKey(), api = newKey(), unknown = newKey();
  Keyward kw(
      "keys:\n  - { id: worker-1, peer: worker, env: WORKER_API_KEY }\n"
      "  - { id: api-1, peer: api, env: API_KEY }\n",
      {{"WORKER_API_KEY", worker}, {"API_KEY", api}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();

  auto ok = kw.verify({{"X-API-Key", worker}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->header("x-keyward-key-id"), "worker-1");
  EXPECT_EQ(ok->header("x-keyward-peer"), "worker");
  EXPECT_EQ(ok->body, R"({"valid":true,"key_id":"worker-1","peer":"worker","scopes":[]})");
  EXPECT_EQ(ok->header("x-keyward-scopes"), "");

  auto bearer = kw.verify({{"Authorization", "bearer " + api}});
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200);
  EXPECT_EQ(bearer->header("x-keyward-peer"), "api");

  // Any method, and Envoy's path_prefix form.
  auto post = httpRequest(kw.port(), "POST", "/v1/verify/runs/42?x=1", {{"X-API-Key", api}, {"Content-Length", "0"}});
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200);

  struct Denied {
    const char* why;
    Headers headers;
    const char* code;
  };
  const std::vector<Denied> denials = {
      {"unknown key", {{"X-API-Key", unknown}}, "INVALID_KEY"},
      {"no key", {}, "MISSING_KEY"},
      {"key with its letters' case flipped",
       {{"X-API-Key",
         [&] {
           std::string k = worker;
           for (char& c : k) c = static_cast<char>(isupper(c) ? tolower(c) : toupper(c));
           return k;
         }()}},
       "INVALID_KEY"},
      {"two different keys", {{"X-API-Key", worker}, {"Authorization", "Bearer " + api}}, "AMBIGUOUS_KEY"},
      {"X-API-Key twice", {{"X-API-Key", worker}, {"x-api-key", worker}}, "AMBIGUOUS_KEY"},
      {"valid key with an inner space", {{"X-API-Key", worker.substr(0, 20) + " " + worker.substr(20)}}, "INVALID_KEY"},
      {"RFC 2047 encoded key is not decoded", {{"X-API-Key", "=?UTF-8?Q?" + worker + "?="}}, "INVALID_KEY"},
  };
  for (const Denied& d : denials) {
    auto r = kw.verify(d.headers);
    ASSERT_TRUE(r) << d.why;
    EXPECT_EQ(r->status, 401) << d.why;
    EXPECT_EQ(r->header("www-authenticate"), "ApiKey realm=\"keyward\"") << d.why;
    EXPECT_EQ(r->body, std::string(R"({"valid":false,"code":")") + d.code + "\"}") << d.why;
    EXPECT_EQ(r->header("x-keyward-key-id"), "") << d.why;
    expectNoKeyIn(r->raw, {worker, api, unknown});
  }
  expectNoKeyIn(kw.output(), {worker, api, unknown});
}

TEST(Daemon, ProxySubrequestsGetHeadersOnlyAnswersOnOneKeepAliveConnection) {
  // nginx auth_request discards the body of the answer, and keeps its upstream connection
  // only when the answer has none: with X-Original-* headers keyward sends Content-Length 0
  // and the verdict in headers.
  std::string worker = newKey();
  Keyward kw("keys:\n  - { id: worker-1, peer: worker, env: WORKER_API_KEY }\n", {{"WORKER_API_KEY", worker}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();

  auto accepted = [&] {
    std::smatch m;
    std::string s = kw.status();
    return std::regex_search(s, m, std::regex("\"accepted\":([0-9]+)")) ? std::stoi(m[1]) : -1;
  };
  const int acceptedBefore = accepted();
  HttpConnection conn(kw.port());
  ASSERT_TRUE(conn.connected());
  for (int round = 0; round < 3; ++round) {
    auto ok = conn.request("GET", "/v1/verify",
                           {{"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}, {"X-API-Key", worker}});
    ASSERT_TRUE(ok) << round;
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->header("content-length"), "0");
    EXPECT_EQ(ok->body, "");
    EXPECT_EQ(ok->header("x-keyward-key-id"), "worker-1");
    EXPECT_EQ(ok->header("x-keyward-peer"), "worker");

    auto denied = conn.request("GET", "/v1/verify", {{"X-Original-URI", "/runs/1"}, {"X-API-Key", newKey()}});
    ASSERT_TRUE(denied) << round;
    EXPECT_EQ(denied->status, 401);
    EXPECT_EQ(denied->header("content-length"), "0");
    EXPECT_EQ(denied->header("x-keyward-code"), "INVALID_KEY");
    EXPECT_EQ(denied->header("www-authenticate"), "ApiKey realm=\"keyward\"");
  }
  // One connection carried all six answers (the other accept is this status request).
  EXPECT_EQ(accepted(), acceptedBefore + 2);
}

TEST(Daemon, HealthReadinessAndStatus) {
  std::string key = newKey();
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  auto health = httpRequest(kw.port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = httpRequest(kw.port(), "GET", "/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  std::string status = kw.status();
  EXPECT_NE(status.find("\"generation\":1"), std::string::npos) << status;
  EXPECT_NE(status.find("\"keys\":1"), std::string::npos) << status;
  EXPECT_NE(status.find("\"result\":\"ok\""), std::string::npos) << status;
  EXPECT_EQ(status.find("\"a\""), std::string::npos) << "status must not list key ids: " << status;
  auto missing = httpRequest(kw.port(), "GET", "/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(Daemon, RotatesByRewritingSecretFilesAndSighup) {
  TempDir secrets;
  std::string api = newKey(), oldWorker = newKey(), newWorker = newKey();
  secrets.write("api.key", api + "\n");
  secrets.mkdir("workers");
  secrets.write("workers/worker-old", oldWorker + "\n");
  Keyward kw(keyFileConfig(secrets.path()));
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(oldWorker), 200);
  EXPECT_EQ(kw.verifyStatus(newWorker), 401);

  // Step 1: add the new key next to the old one.
  secrets.write("workers/worker-new", newWorker + "\n");
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(oldWorker), 200);
  EXPECT_EQ(kw.verifyStatus(newWorker), 200);
  auto r = kw.verify({{"X-API-Key", newWorker}});
  EXPECT_EQ(r->header("x-keyward-key-id"), "worker-new");

  // Step 2: remove the old key.
  ASSERT_EQ(::unlink(secrets.file("workers/worker-old").c_str()), 0);
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(oldWorker), 401);
  EXPECT_EQ(kw.verifyStatus(newWorker), 200);
  EXPECT_EQ(kw.verifyStatus(api), 200);
  EXPECT_NE(kw.status().find("\"generation\":3"), std::string::npos);
  expectNoKeyIn(kw.output(), {api, oldWorker, newWorker});
}

TEST(Daemon, BrokenConfigOnReloadKeepsTheOldKeysServing) {
  TempDir secrets;
  std::string api = newKey(), worker = newKey();
  secrets.write("api.key", api);
  secrets.mkdir("workers");
  secrets.write("workers/w1", worker);
  Keyward kw(keyFileConfig(secrets.path()));
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();

  // YAML that does not parse.
  kw.rewriteConfig("keys: [ { id: broken\n");
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(api), 200);
  EXPECT_EQ(kw.verifyStatus(worker), 200);
  std::string status = kw.status();
  EXPECT_NE(status.find("\"result\":\"failed\""), std::string::npos) << status;
  EXPECT_NE(status.find("invalid YAML"), std::string::npos) << status;

  // Valid YAML, but one source has a short key: nothing of the new config is applied.
  std::string extra = newKey();
  secrets.write("extra.key", extra);
  secrets.write("short.key", kShortKey);
  kw.rewriteConfig("keys:\n  - { id: extra, file: " + secrets.file("extra.key") +
                   " }\n  - { id: short, file: " + secrets.file("short.key") + " }\n");
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(extra), 401) << "a failed reload must not apply part of the new config";
  EXPECT_EQ(kw.verifyStatus(api), 200);
  std::string log = kw.output();
  EXPECT_NE(log.find("file " + secrets.file("short.key") + ", key 'short': is too short"), std::string::npos) << log;
  EXPECT_NE(log.find("reload failed; the previous keys stay in service"), std::string::npos);

  // A secret file gone missing keeps the old keys too.
  kw.rewriteConfig(keyFileConfig(secrets.path()));
  ASSERT_EQ(::unlink(secrets.file("api.key").c_str()), 0);
  ASSERT_TRUE(kw.reload());
  EXPECT_EQ(kw.verifyStatus(api), 200);

  // And a good config after all that is applied.
  secrets.write("api.key", api);
  ASSERT_TRUE(kw.reload());
  EXPECT_NE(kw.status().find("\"result\":\"ok\""), std::string::npos);
  expectNoKeyIn(kw.output(), {api, worker, extra, kShortKey});
}

TEST(Daemon, KeepAliveConnectionStaysOpenAcrossTwentyReloads) {
  TempDir secrets;
  std::string api = newKey();
  secrets.write("api.key", api);
  secrets.mkdir("workers");
  secrets.write("workers/w0", newKey());
  Keyward kw(keyFileConfig(secrets.path()));
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();

  HttpConnection connection(kw.port());
  ASSERT_TRUE(connection.connected());
  for (int i = 1; i <= 20; ++i) {
    auto before = connection.request("GET", "/v1/verify", {{"X-API-Key", api}});
    ASSERT_TRUE(before) << "round " << i;
    EXPECT_EQ(before->status, 200);
    EXPECT_EQ(before->header("connection"), "");
    secrets.write("workers/w" + std::to_string(i), newKey());
    ASSERT_TRUE(kw.reload());
  }
  auto after = connection.request("GET", "/v1/verify", {{"X-API-Key", api}});
  ASSERT_TRUE(after) << "the keep-alive connection was closed by a reload";
  EXPECT_EQ(after->status, 200);
  EXPECT_NE(kw.status().find("\"generation\":21"), std::string::npos) << kw.status();
}

// --check-config finds what the start would refuse about the address (issue 14): a name that
// does not resolve, an address the host does not have, a port out of range on --listen.
TEST(Daemon, CheckConfigRefusesAddressesTheStartWouldRefuse) {
  TempDir dir;
  const std::string key = newKey();
  auto check = [&](const std::string& listen, std::vector<std::string> extra = {}) {
    dir.write("keyward.yaml", "listen: '" + listen + "'\nkeys:\n  - { id: a, env: K }\n");
    std::vector<std::string> args = {"--check-config", "--config", dir.file("keyward.yaml")};
    args.insert(args.end(), extra.begin(), extra.end());
    return runCommand(KEYWARD_BIN, args, "", {{"K", key}});
  };
  for (const std::string bad : {":8421", "name.invalid:8421", "192.0.2.1:8421"}) {
    CommandResult r = check(bad);
    EXPECT_EQ(r.exitCode, 1) << bad << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("cannot listen on '" + bad + "'"), std::string::npos) << r.err;
  }
  for (const std::string bad : {"--listen=127.0.0.1:99999", "--listen=bogus"}) {
    CommandResult r = check("127.0.0.1:0", {bad});
    EXPECT_EQ(r.exitCode, 1) << bad << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("--listen"), std::string::npos) << r.err;
  }
  CommandResult ok = check("127.0.0.1:8420");  // checked even while a daemon listens there
  EXPECT_EQ(ok.exitCode, 0) << ok.out << ok.err;
  EXPECT_EQ(check("localhost:0").exitCode, 0);
}

// The status line of GET /readyz over the unix socket at `path` ("" if nobody answers).
std::string readyOverUnix(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET /readyz HTTP/1.1\r\nHost: k\r\nConnection: close\r\n\r\n";
    if (::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[1024];
      for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer.substr(0, answer.find("\r\n"));
}

// A second copy with the same listen_unix path unlinked the first one's live socket as "left
// by an earlier run" and bound its own: the proxy's traffic silently went to the newcomer.
TEST(Daemon, ASecondCopyNeverTakesOverALiveUnixSocketButAStaleOneIsReplaced) {
  std::string key = newKey();
  TempDir shared;
  const std::string path = shared.file("kw.sock");
  const std::string yaml = "listen_unix: { path: " + path + " }\nkeys:\n  - { id: a, env: K }\n";
  auto first = std::make_unique<Keyward>(yaml, Env{{"K", key}});
  ASSERT_TRUE(first->daemon().waitUntilServing()) << first->output();
  ASSERT_EQ(readyOverUnix(path), "HTTP/1.1 200 OK");
  {
    Keyward second(yaml, {{"K", key}});  // its own TCP port, the same socket path
    EXPECT_EQ(second.daemon().waitExit(5s), 3) << second.output();
    EXPECT_NE(second.daemon().err().find("in use"), std::string::npos) << second.daemon().err();
  }
  EXPECT_EQ(readyOverUnix(path), "HTTP/1.1 200 OK") << "the first copy must still own the path";
  first->daemon().signal(SIGTERM);
  ASSERT_EQ(first->daemon().waitExit(10s), 0);
  first.reset();

  // A socket file nobody listens on (a crash left it) is replaced.
  const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(stale);
  Keyward third(yaml, {{"K", key}});
  ASSERT_TRUE(third.daemon().waitUntilServing()) << third.output();
  EXPECT_EQ(readyOverUnix(path), "HTTP/1.1 200 OK");
}

// Two copies on one state_dir would each rewrite revoked.json and suspended.json from their
// own memory, the last writer silently undoing the other's revocations and suspensions.
TEST(Daemon, ASecondCopyOnTheSameStateDirRefusesToStartAndTheFirstServesOn) {
  std::string key = newKey();
  TempDir shared;
  const std::string stateDir = shared.file("state");
  const std::string yaml = "state_dir: " + stateDir + "\nkeys:\n  - { id: a, env: K }\n";
  Keyward first(yaml, {{"K", key}});
  ASSERT_TRUE(first.daemon().waitUntilServing()) << first.output();
  Keyward second(yaml, {{"K", key}});  // its own config file and port, the same state_dir
  EXPECT_EQ(second.daemon().waitExit(5s), 3) << second.output();
  EXPECT_NE(second.daemon().err().find(stateDir), std::string::npos) << second.daemon().err();
  EXPECT_NE(second.daemon().err().find("process " + std::to_string(first.daemon().pid())), std::string::npos)
      << second.daemon().err();
  EXPECT_EQ(first.verifyStatus(key), 200);

  // The lock goes with the process: once the first copy stops, another may take the directory.
  first.daemon().signal(SIGTERM);
  ASSERT_EQ(first.daemon().waitExit(10s), 0);
  Keyward third(yaml, {{"K", key}});
  ASSERT_TRUE(third.daemon().waitUntilServing()) << third.output();
  EXPECT_EQ(third.verifyStatus(key), 200);
}

TEST(Daemon, SigtermStopsCleanlyWithExitZero) {
  std::string key = newKey();
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  HttpConnection idle(kw.port());
  ASSERT_TRUE(idle.request("GET", "/v1/verify", {{"X-API-Key", key}}));
  kw.daemon().signal(SIGTERM);
  EXPECT_EQ(kw.daemon().waitExit(10s), 0) << kw.output();
  EXPECT_TRUE(idle.waitClosed(1s));
  EXPECT_NE(kw.output().find("\"event\":\"stopped\""), std::string::npos);
}

TEST(Daemon, SigintStopsWithExitZeroToo) {
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", newKey()}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  kw.daemon().signal(SIGINT);
  EXPECT_EQ(kw.daemon().waitExit(10s), 0);
}

TEST(Daemon, ShortKeyAtStartExitsNonZeroNamingTheSource) {
  Keyward kw("keys:\n  - { id: worker-1, env: WORKER_API_KEY }\n", {{"WORKER_API_KEY", kShortKey}});
  auto code = kw.daemon().waitExit(10s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  std::string output = kw.output();
  EXPECT_NE(output.find("env WORKER_API_KEY, key 'worker-1': is too short"), std::string::npos) << output;
  expectNoKeyIn(output, {kShortKey});
}

TEST(Daemon, NoValidKeyAtAllMeansNoServing) {
  // The built-in default takes AUTH_API_KEY; without it keyward must not start.
  Daemon daemon(KEYWARD_BIN, {"--listen", "127.0.0.1:0"}, {{"KEYWARD_CONFIG", ""}});
  EXPECT_EQ(daemon.waitExit(10s), 1);
  EXPECT_NE(daemon.err().find("env AUTH_API_KEY, key 'default': is not set"), std::string::npos) << daemon.err();
}

TEST(Daemon, BuiltInDefaultServesAuthApiKey) {
  std::string key = newKey();
  Daemon daemon(KEYWARD_BIN, {"--listen", "127.0.0.1:0"}, {{"AUTH_API_KEY", key}});
  ASSERT_TRUE(daemon.waitUntilServing()) << daemon.out() << daemon.err();
  auto r = httpRequest(daemon.port(), "GET", "/v1/verify", {{"Authorization", "Bearer " + key}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("x-keyward-key-id"), "default");
}

TEST(Daemon, CheckConfigListsKeysWithFingerprintsOnly) {
  std::string key = newKey();
  TempDir dir;
  std::string config = dir.write("k.yaml", "keys:\n  - { id: worker-1, peer: worker, env: K }\n");
  CommandResult ok = runCommand(KEYWARD_BIN, {"--check-config", "--config", config}, "", {{"K", key}});
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
  EXPECT_NE(ok.out.find("key worker-1  peer worker  fingerprint " + fingerprintOfKey(key)), std::string::npos)
      << ok.out;
  expectNoKeyIn(ok.out + ok.err, {key});

  CommandResult bad = runCommand(KEYWARD_BIN, {"--check-config", "--config", config}, "", {{"K", kShortKey}});
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.err.find("env K, key 'worker-1': is too short"), std::string::npos) << bad.err;
  expectNoKeyIn(bad.out + bad.err, {kShortKey});

  CommandResult usage = runCommand(KEYWARD_BIN, {"--no-such-flag"});
  EXPECT_EQ(usage.exitCode, 2);
}

TEST(Keygen, KeysAreAcceptedByCheckAndByTheDaemon) {
  TempDir dir;
  CommandResult generated = runCommand(KEYGEN_BIN, {});
  ASSERT_EQ(generated.exitCode, 0);
  std::string key = generated.out.substr(0, generated.out.size() - 1);
  ASSERT_EQ(key.size(), 44u);
  ASSERT_EQ(generated.out.back(), '\n');
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"check"}, generated.out).exitCode, 0);

  CommandResult url = runCommand(KEYGEN_BIN, {"--url", "--bytes", "64"});
  std::string urlKey = url.out.substr(0, url.out.size() - 1);
  EXPECT_EQ(urlKey.find('='), std::string::npos);
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"check"}, urlKey).exitCode, 0);

  CommandResult written = runCommand(KEYGEN_BIN, {"--out", dir.file("w.key"), "--sha256"});
  ASSERT_EQ(written.exitCode, 0) << written.err;
  std::string fileKey = readFile(dir.file("w.key"));
  struct stat st;
  ASSERT_EQ(::stat(dir.file("w.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(written.out.find(fileKey.substr(0, 20)), std::string::npos) << "--out must not print the key";
  EXPECT_NE(written.out.find("sha256: " + toHex(sha256(fileKey.substr(0, fileKey.size() - 1)))), std::string::npos);
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"--out", dir.file("w.key")}).exitCode, 1) << "must refuse to overwrite";
  EXPECT_EQ(readFile(dir.file("w.key")), fileKey);
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"--out", dir.file("w.key"), "--force"}).exitCode, 0);
  EXPECT_NE(readFile(dir.file("w.key")), fileKey);
  fileKey = readFile(dir.file("w.key"));

  CommandResult shortCheck = runCommand(KEYGEN_BIN, {"check"}, kShortKey + "\n");
  EXPECT_EQ(shortCheck.exitCode, 1);
  EXPECT_NE(shortCheck.err.find("too short"), std::string::npos);
  expectNoKeyIn(shortCheck.out + shortCheck.err, {kShortKey});
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"--bytes", "31"}).exitCode, 2);
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"--bytes", "1025"}).exitCode, 2);
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"--bytes", "abc"}).exitCode, 2);

  std::string envLine = runCommand(KEYGEN_BIN, {"--env", "WORKER_API_KEY"}).out;
  ASSERT_EQ(envLine.rfind("WORKER_API_KEY=", 0), 0u);
  std::string envKey = envLine.substr(15, envLine.size() - 16);
  std::string envFile = dir.write("keys.env", envLine);

  // The daemon accepts every one of them, each from a different source.
  std::string digestKey = runCommand(KEYGEN_BIN, {}).out;
  digestKey.pop_back();
  std::string sha = runCommand(KEYGEN_BIN, {"sha256"}, digestKey).out;
  Keyward kw("keys:\n  - { id: stdout, env: K1 }\n  - { id: url, env: K2 }\n  - { id: file, file: " +
                 dir.file("w.key") + " }\n  - { id: digest, sha256: " + sha.substr(8, 64) +
                 " }\nenv_files:\n  - { path: " + envFile + ", peer: worker }\n",
             {{"K1", key}, {"K2", urlKey}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  EXPECT_EQ(kw.verifyStatus(key), 200);
  EXPECT_EQ(kw.verifyStatus(urlKey), 200);
  EXPECT_EQ(kw.verifyStatus(fileKey.substr(0, fileKey.size() - 1)), 200);
  EXPECT_EQ(kw.verifyStatus(digestKey), 200);
  EXPECT_EQ(kw.verifyStatus(envKey), 200);
  EXPECT_EQ(runCommand(KEYGEN_BIN, {"fingerprint"}, key).out, fingerprintOfKey(key) + "\n");
}

TEST(Daemon, MalformedRequestsGet4xxAndTheDaemonKeepsServing) {
  std::string key = newKey();
  Keyward kw("keys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const std::vector<std::pair<std::string, int>> cases = {
      {"GET /v1/verify HTTP/1.1\nHost: x\n\n", 400},
      {"GET /v1/verify HTTP/1.1\r\nHost: x\r\nX-API-Key : " + key + "\r\n\r\n", 400},
      {"GET /v1/verify HTTP/1.1\r\nHost: x\r\nX-API-Key: a\r\n " + key + "\r\n\r\n", 400},
      {"GET /v1/verify HTTP/1.1\r\n\r\n", 400},
      {"POST /v1/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", 400},
      {"GET /v1/verify HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(70000, 'a') + "\r\n\r\n", 431},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414},
  };
  for (const auto& [request, status] : cases) {
    HttpConnection c(kw.port());
    ASSERT_TRUE(c.sendRaw(request));
    auto r = c.readResponse();
    ASSERT_TRUE(r) << request.substr(0, 40);
    EXPECT_EQ(r->status, status) << request.substr(0, 40);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.waitClosed(2s));
    expectNoKeyIn(r->raw, {key});
  }
  EXPECT_EQ(kw.verifyStatus(key), 200);
}

TEST(Daemon, HeaderDeadlineCutsOffSlowClients) {
  std::string key = newKey();
  Keyward kw("limits:\n  header_timeout: 300ms\nkeys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  HttpConnection slow(kw.port());
  auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(slow.sendRaw("GET /v1/verify HTTP/1.1\r\n"));
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    slow.sendRaw("X");  // a byte every 100 ms never completes the head
    closed = slow.waitClosed(100ms);
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
  EXPECT_EQ(kw.verifyStatus(key), 200);
}

TEST(Daemon, RefusesConnectionsBeyondTheLimitAtOnce) {
  std::string key = newKey();
  Keyward kw("limits:\n  max_connections: 2\nkeys:\n  - { id: a, env: K }\n", {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  HttpConnection a(kw.port()), b(kw.port());
  ASSERT_TRUE(a.request("GET", "/v1/verify", {{"X-API-Key", key}}));
  ASSERT_TRUE(b.request("GET", "/v1/verify", {{"X-API-Key", key}}));
  HttpConnection c(kw.port());
  auto refused = c.readResponse(2s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  auto stillOk = a.request("GET", "/v1/verify", {{"X-API-Key", key}});
  ASSERT_TRUE(stillOk);
  EXPECT_EQ(stillOk->status, 200);
}

}  // namespace
}  // namespace keyward::test
