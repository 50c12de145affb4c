#include "keyward/app/ReloadCommand.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "keyward/Client.h"
#include "keyward/app/CliHttp.h"
#include "keyward/app/CliOptions.h"
#include "keyward/base/Json.h"
#include "keyward/config/ConfigLoader.h"

namespace keyward {
namespace {

constexpr int kApplied = 0, kRefused = 1, kError = 2;

// The URL of the daemon that serves `listen` ("0.0.0.0:8420" is reached on loopback).
std::string urlOfListen(std::string listen) {
  for (const char* any : {"0.0.0.0:", "[::]:", "*:"}) {
    if (listen.rfind(any, 0) == 0) listen = "127.0.0.1:" + listen.substr(std::string(any).size());
  }
  return "http://" + listen;
}

struct StatusView {
  std::uint64_t finished = 0;  // reloads succeeded + failed
  std::uint64_t generation = 0, keys = 0;
  std::int64_t lastAttemptMs = 0;
  bool lastOk = false;
  std::vector<std::string> errors;
  long pid = 0;        // the daemon's own pid, when it reports one
  std::string config;  // the config file it serves, when it reports one
};

// `key`: sent only when non-empty (a daemon with status_scope set).
std::optional<StatusView> readStatus(const std::string& url, std::string& problem, const CliTlsOptions& tls,
                                     const std::string& key = "") {
  auto reply = cliGet(
      url, "/v1/status",
      [&](Poco::Net::HTTPRequest& request) {
        if (!key.empty()) request.set("X-API-Key", key);
      },
      problem, tls);
  if (!reply) return std::nullopt;
  if (reply->status != 200) {
    problem = "/v1/status answered " + std::to_string(reply->status);
    if (reply->status == 401 || reply->status == 403) {
      problem += key.empty() ? " (status_scope is set: give --key-file with a key that has it, and --pid)"
                             : " to the --key-file key";
    }
    return std::nullopt;
  }
  try {
    auto root = Poco::JSON::Parser().parse(reply->body).extract<Poco::JSON::Object::Ptr>();
    StatusView view;
    auto reloads = root->getObject("reloads");
    view.finished = reloads->getValue<std::uint64_t>("succeeded") + reloads->getValue<std::uint64_t>("failed");
    view.generation = root->getValue<std::uint64_t>("generation");
    view.keys = root->getValue<std::uint64_t>("keys");
    auto last = root->getObject("last_reload");
    view.lastOk = last->getValue<std::string>("result") == "ok";
    view.lastAttemptMs = parseRfc3339(last->getValue<std::string>("time")).value_or(0);
    view.pid = root->optValue<long>("pid", 0);
    view.config = root->optValue<std::string>("config", "");
    if (auto errors = last->getArray("errors")) {
      for (std::size_t i = 0; i < errors->size(); ++i) view.errors.push_back(errors->getElement<std::string>(i));
    }
    return view;
  } catch (const std::exception& e) {
    problem = std::string("unexpected /v1/status answer: ") + e.what();
    return std::nullopt;
  }
}

bool sameFile(const std::string& a, const std::string& b) {
  std::error_code error;
  if (std::filesystem::equivalent(a, b, error)) return true;
  return a == b;
}

// A listening socket, as /proc/self/net/tcp{,6} shows it: inode and owner uid.
struct ListeningSocket {
  std::string inode;
  std::string uid;
};

// /proc's spelling of an address: each 32-bit word of the network-order bytes, printed as a
// host-order number in hex (what the kernel does with %08X).
std::string procHex(const void* bytes, std::size_t size) {
  std::string out;
  char word[9];
  for (std::size_t at = 0; at + 4 <= size; at += 4) {
    std::uint32_t value;
    std::memcpy(&value, static_cast<const char*>(bytes) + at, 4);
    std::snprintf(word, sizeof word, "%08X", value);
    out += word;
  }
  return out;
}

// The LISTEN sockets a connection to `url` can reach: bound to its address (as resolved)
// or to the wildcard, on its port. This process's network namespace is the one that counts.
std::vector<ListeningSocket> listeningSockets(const std::string& url) {
  std::vector<ListeningSocket> found;
  std::set<std::string> addresses;
  int port = 0;
  try {
    Poco::URI uri(url);
    port = uri.getPort();
    Poco::Net::SocketAddress resolved(uri.getHost(), static_cast<Poco::UInt16>(port));
    addresses.insert(procHex(resolved.host().addr(), resolved.host().length()));
  } catch (const Poco::Exception&) {
    return found;
  }
  addresses.insert(std::string(8, '0'));   // 0.0.0.0
  addresses.insert(std::string(32, '0'));  // ::
  for (const char* table : {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, st, queues, timer, retransmit, uid, timeout, inode;
      if (!(fields >> sl >> local >> remote >> st >> queues >> timer >> retransmit >> uid >> timeout >> inode))
        continue;
      const std::size_t colon = local.rfind(':');
      if (st != "0A" || colon == std::string::npos) continue;
      if (std::strtol(local.substr(colon + 1).c_str(), nullptr, 16) != port) continue;
      if (addresses.count(local.substr(0, colon))) found.push_back({inode, uid});
    }
  }
  return found;
}

// The effective uid of process `pid` (/proc/PID/status is readable for any process).
std::optional<std::string> processUid(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Uid:", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    std::string real, effective;
    if (fields >> real >> effective) return effective;
  }
  return std::nullopt;
}

// Whether process `pid` holds the listening socket that `url` reaches, in the kernel's
// words: true, false, or nullopt when /proc does not tell (`why` says what is missing).
// unix: the peer pid of a connection (SO_PEERCRED). TCP: where /proc/PID/fd is readable
// (root, or a dumpable process of ours), that one of its fds is the socket; where it is not
// (keyward is not dumpable, so for its own user too), that a LISTEN socket at that address
// and port exists and is owned by the process's uid. The daemon's own answers never count.
std::optional<bool> listensOn(long pid, const std::string& url, std::string& why) {
  if (url.rfind("unix:", 0) == 0) {
    std::optional<long> peer = cliUnixPeerPid(url, why);
    if (!peer) return std::nullopt;
    if (*peer != pid) why = "the socket " + url.substr(5) + " belongs to process " + std::to_string(*peer);
    return *peer == pid;
  }
  const std::vector<ListeningSocket> sockets = listeningSockets(url);
  if (sockets.empty()) {
    why = "no socket listens at " + url + " (/proc/self/net/tcp, tcp6)";
    return false;
  }
  const std::string fdDir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code error;
  std::filesystem::directory_iterator fds(fdDir, error);
  if (!error) {
    std::set<std::string> wanted;
    for (const auto& s : sockets) wanted.insert(s.inode);
    for (const auto& fd : fds) {
      std::string target = std::filesystem::read_symlink(fd.path(), error).string();
      if (error || target.rfind("socket:[", 0) != 0) continue;
      if (wanted.count(target.substr(8, target.size() - 9))) return true;
    }
    why = "process " + std::to_string(pid) + " holds no socket listening at " + url;
    return false;
  }
  const std::optional<std::string> uid = processUid(pid);
  if (!uid) {
    why = "cannot read /proc/" + std::to_string(pid) + "/status";
    return std::nullopt;
  }
  for (const auto& s : sockets) {
    if (s.uid == *uid) return true;
  }
  why = "the socket listening at " + url + " belongs to uid " + sockets.front().uid + ", process " +
        std::to_string(pid) + " runs as uid " + *uid;
  return false;
}

// What /proc says the process runs ("keyward", or a test's copy of the binary). Unknown
// (no /proc, another user's process hidden) counts as no.
bool isKeywardProcess(long pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  return comm && std::getline(comm, name) && name.rfind("keyward", 0) == 0;
}

}  // namespace

int runReloadCommand(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--dry-run") return runReloadDryRun(argc, argv);  // ReloadDryRun.cpp
  }
  std::string url, config, pidText, timeoutText = "30", caFile, keyFile;
  bool checkOnly = false;
  CliOptions cli("keyward reload",
                 "keyward reload (--pid PID [--url URL | --config PATH] | --config PATH) [--timeout SECONDS]",
                 "Sends SIGHUP to PID and returns when that daemon has applied the reload (exit 0) or\n"
                 "refused it (exit 1: the old keys keep serving; the problems are printed). The daemon's\n"
                 "address comes from --url, else from `listen:` in the config (--config, $KEYWARD_CONFIG,\n"
                 "/etc/keyward/keyward.yaml, else the built-in 127.0.0.1:8420). The daemon answering there\n"
                 "must be PID and serve that config (its /v1/status says): otherwise nothing is signalled\n"
                 "(exit 2). Without --pid, the pid comes from /v1/status of the daemon serving --config.\n"
                 "Exit status 2 also: usage, daemon unreachable, PID gone, no result within the timeout.\n"
                 "With --check, only the identity checks are made: exit 0 when the daemon at the address is\n"
                 "PID (the kernel says it holds the socket) and serves --config; nothing is signalled.\n"
                 "keyward reload --dry-run: what a config would change, applying nothing (see its --help).");
  cli.value("pid", pidText, "PID", "the daemon's process id ($MAINPID in a unit)")
      .value("url", url, "URL", "the daemon: http://host:port, https://host:port or unix:/path/to/keyward.sock")
      .value("config", config, "PATH", "the daemon's config, to read its address from")
      .value("timeout", timeoutText, "SECONDS", "how long to wait for the result (default 30)")
      .flag("check", checkOnly, "check that the daemon at the address is PID and serves --config; signal nothing")
      .value("cacert", caFile, "PATH", "with https://, trust this PEM bundle instead of the system CAs")
      .value("key-file", keyFile, "PATH",
             "a key with the daemon's status_scope, if it sets one; sent only to the process --pid\n"
             "                     when /proc shows it holds the socket at URL (default $KEYWARD_STATUS_KEY_FILE)");
  std::vector<std::string> extra;
  if (auto done = cli.parse(std::vector<std::string>(argv + 1, argv + argc), extra)) return *done;
  if (!extra.empty()) return cli.usageError("unexpected argument '" + extra.front() + "'");
  if (keyFile.empty() && std::getenv("KEYWARD_STATUS_KEY_FILE")) keyFile = std::getenv("KEYWARD_STATUS_KEY_FILE");
  char* end = nullptr;
  long pid = std::strtol(pidText.c_str(), &end, 10);
  if (!pidText.empty() && (*end != '\0' || pid <= 1)) return cli.usageError("--pid needs the daemon's process id");
  if (pidText.empty() && config.empty()) {
    return cli.usageError("give --pid, or --config for the pid the daemon serving that config reports");
  }
  const long timeout = std::strtol(timeoutText.c_str(), &end, 10);
  if (timeoutText.empty() || *end != '\0' || timeout <= 0) return cli.usageError("--timeout needs a number of seconds");
  const CliTlsOptions tls{caFile};
  std::string from = "--url";
  if (url.empty()) {
    auto path = chooseConfigPathForProcess(config);
    ConfigResult parsed = path ? loadConfigFile(*path) : ConfigResult{builtInConfig(), {}};
    if (!parsed.config) {
      std::cerr << "keyward reload: cannot read the daemon's address from " << path.value_or("the config")
                << "; use --url\n";
      for (const auto& e : parsed.errors) std::cerr << "  " << e << "\n";
      return kError;
    }
    url = urlOfListen(parsed.config->listen);
    from = path ? "listen: in " + *path
                : "the built-in default (no --config, no $KEYWARD_CONFIG, no " + std::string(kDefaultConfigPath) + ")";
  }
  std::string problem;
  if (!cliUrlUsable(url, problem)) return cli.usageError(problem);
  if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
    std::cerr << "keyward reload: there is no process " << pid << "\n";
    return kError;
  }

  // A key for /v1/status goes only to the process the kernel says holds that socket.
  std::string statusKey;
  std::string why;
  if (!keyFile.empty()) {
    if (pid == 0 || listensOn(pid, url, why) != true) {
      std::cerr << "keyward reload: --key-file is sent only to a --pid that /proc shows listening at " << url << " ("
                << (pid == 0 ? std::string("no --pid") : why) << "); nothing sent, nothing signalled\n";
      return kError;
    }
    try {
      statusKey = ClientKey::fromFile(keyFile).current();
    } catch (const std::exception& e) {
      std::cerr << "keyward reload: " << e.what() << "\n";
      return kError;
    }
  }
  std::optional<StatusView> before = readStatus(url, problem, tls, statusKey);
  if (!before) {
    std::cerr << "keyward reload: " << problem << " (address from " << from << ")\n";
    return kError;
  }
  // The daemon must be the one we were told about: the config it serves is --config (when
  // both are known), and its pid is --pid.
  if (!config.empty() && !before->config.empty() && !sameFile(before->config, config)) {
    std::cerr << "keyward reload: the keyward at " << url << " serves " << before->config << ", not " << config
              << "; nothing signalled. Give that daemon's --url.\n";
    return kError;
  }
  if (pid == 0) {
    if (before->pid <= 1 || before->config.empty()) {
      std::cerr << "keyward reload: the keyward at " << url
                << " does not report its pid and config in /v1/status; give --pid\n";
      return kError;
    }
    if (!isKeywardProcess(before->pid) || listensOn(before->pid, url, why) != true) {
      std::cerr << "keyward reload: process " << before->pid << ", reported by " << url
                << ", is not a keyward process; nothing signalled\n";
      return kError;
    }
    pid = before->pid;
  }
  // Signal only the daemon we can watch: a SIGHUP to one keyward while polling another
  // would wait for a result that never comes. The kernel's word (which process holds the
  // listening socket) where /proc gives it, else the daemon's own.
  // Unknown fails closed: the answers of whatever listens there prove nothing.
  if (std::optional<bool> holds = listensOn(pid, url, why); holds != true) {
    std::cerr << "keyward reload: "
              << (holds ? "process " + std::to_string(pid) + " does not listen at " + url
                        : "cannot tell whether process " + std::to_string(pid) + " listens at " + url)
              << " (" << why << "; address from " << from
              << "); nothing signalled. Give that daemon's --url or --config.\n";
    return kError;
  }
  if (before->pid != 0 && before->pid != pid) {
    std::cerr << "keyward reload: the keyward at " << url << " (address from " << from << ") is process " << before->pid
              << ", not " << pid << "; nothing signalled. Give that daemon's --url or --config.\n";
    return kError;
  }
  if (checkOnly) {
    std::cout << "checked: process " << pid << " is the keyward at " << url
              << (before->config.empty() ? std::string() : " serving " + before->config) << "\n";
    return kApplied;
  }
  const std::int64_t sentMs = unixMillisNow();
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    std::cerr << "keyward reload: cannot signal process " << pid << ": " << std::strerror(errno) << "\n";
    return kError;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::cerr << "keyward reload: process " << pid << " exited before reporting the reload\n";
      return kError;
    }
    std::optional<StatusView> now = readStatus(url, problem, tls, statusKey);
    if (!now || now->finished <= before->finished || now->lastAttemptMs + 1000 < sentMs) continue;
    if (now->lastOk) {
      std::cout << "reloaded: generation " << now->generation << ", " << now->keys << " keys (process " << pid << " at "
                << url << ")\n";
      return kApplied;
    }
    std::cout << "reload refused; generation " << now->generation << " keeps serving (process " << pid << " at " << url
              << "):\n";
    for (const std::string& e : now->errors) std::cout << "  " << e << "\n";
    return kRefused;
  }
  std::cerr << "keyward reload: no reload result from " << url << " (address from " << from << ") within " << timeout
            << " s; is process " << pid << " the keyward serving there?\n";
  return kError;
}

}  // namespace keyward
