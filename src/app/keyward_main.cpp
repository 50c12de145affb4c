// keyward: the daemon. Reads keys, serves /v1/verify, reloads on SIGHUP, stops on SIGTERM.
//
// Signals: SIGHUP/SIGTERM/SIGINT are blocked before any thread starts and taken with
// sigwait() on the main thread, so no work ever runs in a signal handler and the event
// loops never see them. The main thread never does reload I/O itself: reloads run on a
// ReloadThread, so SIGTERM, watchdog pings and state saves go on while one is in progress.

#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Util/Application.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

#include "keyward/api/ApiHandler.h"
#include "keyward/api/FailureThrottle.h"
#include "keyward/api/Metrics.h"
#include "keyward/app/KeysCommand.h"
#include "keyward/app/LeakedCommand.h"
#include "keyward/app/ReloadCommand.h"
#include "keyward/app/ScanCommand.h"
#include "keyward/app/VerifyCommand.h"
#include "keyward/base/DirectoryLock.h"
#include "keyward/base/Json.h"
#include "keyward/base/Log.h"
#include "keyward/base/SecretFile.h"
#include "keyward/config/ConfigLoader.h"
#include "keyward/lifecycle/RateLimiter.h"
#include "keyward/lifecycle/ReloadThread.h"
#include "keyward/lifecycle/Reloader.h"
#include "keyward/lifecycle/SecretWatcher.h"
#include "keyward/lifecycle/SharedState.h"
#include "keyward/lifecycle/StateKeeper.h"
#include "keyward/lifecycle/SystemdNotifier.h"
#include "keyward/lifecycle/UsageStore.h"
#include "keyward/server/HttpServer.h"
#include "keyward/server/TlsContext.h"
#include "keyward/server/UnixListener.h"

namespace keyward {
namespace {

const auto kProcessStart = std::chrono::steady_clock::now();

// sigqueue() value that marks a SIGHUP sent by our own SecretWatcher.
constexpr int kWatchReload = 0x6b77;
// ... and one sent by SharedState: another replica revoked a key this one serves.
constexpr int kSharedStateReload = 0x6b73;

// Exit codes (documented in README).
constexpr int kExitOk = 0;
constexpr int kExitConfig = 1;   // invalid config or keys (also --check-config failing)
constexpr int kExitUsage = 2;    // bad command line
constexpr int kExitRuntime = 3;  // cannot listen, cannot start

sigset_t handledSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Enough descriptors for max_connections plus files, up to the hard limit.
void raiseDescriptorLimit(std::size_t maxConnections) {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t wanted = static_cast<rlim_t>(maxConnections) + 256;
  if (limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  setrlimit(RLIMIT_NOFILE, &raised);
  if (raised.rlim_cur < wanted) {
    Log::warn("limits", "open-file limit is below max_connections; raise LimitNOFILE",
              {{"nofile", static_cast<std::uint64_t>(raised.rlim_cur)},
               {"max_connections", static_cast<std::uint64_t>(maxConnections)}});
  }
}

// Binds and listens on `address`. Empty on success, else why not. SO_REUSEADDR (restart
// while old connections are in TIME_WAIT) but never SO_REUSEPORT: with it a second keyward,
// perhaps with another key set, would bind the same port and the kernel would split the
// traffic between the two. EADDRINUSE says "address in use".
std::string bindListener(Poco::Net::ServerSocket& socket, const std::string& address) {
  try {
    socket.bind(Poco::Net::SocketAddress(address), true, false);
    socket.listen(4096);
    return {};
  } catch (const Poco::Exception& e) {
    if (e.code() == EADDRINUSE || e.displayText().find("already in use") != std::string::npos) {
      return "address in use (another process, perhaps another keyward, listens there)";
    }
    return e.displayText();
  }
}

// Why the daemon could not listen on `address`, found without taking it: the name resolves
// and the host's address can be bound (port 0, so a daemon already running there is no
// problem). Empty when fine. What only the real bind finds: the port being in use.
std::string listenAddressProblem(const std::string& address) {
  try {
    const Poco::Net::SocketAddress resolved(address);
    Poco::Net::ServerSocket probe;
    probe.bind(Poco::Net::SocketAddress(resolved.host(), 0), true, false);
    return {};
  } catch (const Poco::Exception& e) {
    return e.displayText();
  }
}

void logProblems(const std::vector<Problem>& problems, std::string_view event) {
  for (const Problem& p : problems) Log::error(event, p.text(), {{"source", p.source}});
}

void logExpiringKeys(const Reloader& reloader) {
  std::shared_ptr<const KeySet> keys = reloader.keys().current();
  if (!keys) return;
  const std::int64_t now = unixMillisNow();
  for (const ExpiringKey& key : expiringKeys(*keys, now)) {
    Log::warn("key_expiring", "key expires soon; add its successor",
              {{"key_id", key.id},
               {"expires", formatRfc3339(key.expiresMs)},
               {"in_hours", static_cast<double>(key.expiresMs - now) / 3'600'000.0}});
  }
}

// State settings are read once at start (a change needs a restart): the state must be
// loaded before the first key set is built, so that revoked keys stay revoked.
struct StateSettings {
  std::string dir;
  std::chrono::milliseconds interval{10000};
  std::size_t recentCalls = 20;
};

StateSettings stateSettingsOf(const std::optional<std::string>& configPath) {
  StateSettings settings;
  if (!configPath) return settings;
  ConfigResult parsed = loadConfigFileNonBlocking(*configPath);
  if (!parsed.config) return settings;  // the first load reports the problems
  settings.dir = parsed.config->stateDir;
  settings.interval = parsed.config->stateInterval;
  settings.recentCalls = parsed.config->recentCalls;
  return settings;
}

class KeywardApp : public Poco::Util::Application {
 public:
  KeywardApp() { setUnixOptions(true); }

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override {
    using Poco::Util::Option;
    options.addOption(Option("help", "h", "show this help and exit"));
    options.addOption(Option("version", "V", "print the version and exit"));
    options.addOption(
        Option("config", "c",
               "config file (default: $KEYWARD_CONFIG, then " + std::string(kDefaultConfigPath) + ", then built-in)")
            .argument("PATH"));
    options.addOption(Option("check-config", "t", "validate the config and every key source, list the keys, exit 0/1"));
    options.addOption(
        Option("listen", "l", "override the config's listen address (host:port; port 0 = any)").argument("ADDR"));
    options.addOption(Option("log-level", "", "debug, info, warn or error (default info)").argument("LEVEL"));
  }

  void handleOption(const std::string& name, const std::string& value) override {
    Application::handleOption(name, value);
    if (name == "help") {
      help_ = true;
      stopOptionsProcessing();
    } else if (name == "version") {
      version_ = true;
    } else if (name == "config") {
      configPath_ = value;
    } else if (name == "check-config") {
      checkOnly_ = true;
    } else if (name == "listen") {
      listenOverride_ = value;
    } else if (name == "log-level") {
      auto level = parseLogLevel(value);
      if (!level) throw Poco::InvalidArgumentException("--log-level must be debug, info, warn or error");
      Log::setLevel(*level);
    }
  }

  int main(const std::vector<std::string>& args) override {
    if (help_) {
      Poco::Util::HelpFormatter formatter(options());
      formatter.setUnixStyle(true);
      formatter.setCommand(commandName());
      formatter.setUsage("[options]");
      formatter.setHeader("keyward: authenticates service-to-service requests with static API keys.");
      formatter.setFooter(
          "Client commands (talk to a running daemon):\n"
          "  keyward keys list|show ...   the admin API as a table (keyward keys --help)\n"
          "  keyward verify --url URL --key-file PATH     0 accepted, 1 refused, 2 error\n"
          "  keyward reload (--pid PID | --config PATH) [--url URL]   SIGHUP, wait for the result (ExecReload)\n"
          "  keyward scan [--config FILE] PATH...|-   find keys in files (pre-commit, CI); 1 if a live one\n"
          "  keyward leaked --key-file PATH | --list | --clear ID   suspend a leaked key, list, clear");
      formatter.format(std::cout);
      return kExitOk;
    }
    if (version_) {
      std::cout << "keyward " << KEYWARD_VERSION << "\n";
      return kExitOk;
    }
    if (!args.empty()) {
      std::cerr << "keyward: unexpected argument '" << args.front() << "' (see --help)\n";
      return kExitUsage;
    }
    // No core dumps and no ptrace by other users: the process holds keys (as digests) and
    // the raw text of env keys until they are hashed, and a TLS private key.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    std::optional<std::string> path = chooseConfigPathForProcess(configPath_);
    if (checkOnly_) {
      Reloader reloader(path.value_or(""), processEnvironment());
      return checkConfig(reloader);
    }
    enableRootOwnerChecks();  // a daemon running as root refuses keys other users control
    const StateSettings state = stateSettingsOf(path);
    DirectoryLock stateLock;  // held until the process ends
    if (!state.dir.empty() && !stateLock.acquire(state.dir)) {
      Log::error("start_failed", stateLock.problem(), {{"path", state.dir}});
      std::cerr << "keyward: not starting: " << stateLock.problem() << "\n";
      return kExitRuntime;
    }
    UsageStore usage(state.recentCalls);
    StateKeeper keeper(usage, state.dir, state.interval);
    if (!keeper.open()) {
      std::cerr << "keyward: not starting: " << keeper.problem() << "\n";
      return kExitConfig;
    }
    Reloader reloader(path.value_or(""), processEnvironment(), &usage);
    return serve(reloader, usage, keeper);
  }

 private:
  int checkConfig(const Reloader& reloader) {
    ReloadOutcome outcome = reloader.check();
    const std::string where = reloader.configPath().empty() ? "built-in default" : reloader.configPath();
    std::cout << "config: " << where << "\n";
    const std::int64_t now = unixMillisNow();
    const std::int64_t warning = outcome.config ? outcome.config->expiryWarning.count() : 0;
    std::vector<const KeyListing*> expiring;
    for (const KeyListing& key : outcome.listing) {
      const KeyPolicy& policy = key.policy ? *key.policy : KeyPolicy{};
      std::cout << "  key " << key.id << "  peer " << key.peer << "  fingerprint " << key.fingerprint << "  from "
                << key.source;
      if (policy.status != KeyStatus::Active) std::cout << "  status " << toString(policy.status);
      if (policy.expiresMs != kNoEnd) std::cout << "  expires " << formatRfc3339(policy.expiresMs);
      std::cout << "\n";
      if (policy.status == KeyStatus::Active && policy.expiresMs != kNoEnd && policy.expiresMs - now <= warning) {
        expiring.push_back(&key);
      }
    }
    for (const KeyListing* key : expiring) {
      const KeyPolicy& policy = *key->policy;
      std::cout << (policy.expiresMs <= now ? "expired: key " : "expiring: key ") << key->id << " "
                << (policy.expiresMs <= now ? "expired at " : "expires at ") << formatRfc3339(policy.expiresMs) << "\n";
    }
    // What else the start would refuse: the certificate (the listen addresses are checked
    // by the config reader).
    if (outcome.config && !outcome.config->tls.listen.empty()) {
      TlsContext tls;
      std::string problem;
      if (!tls.load(outcome.config->tls.certFile, outcome.config->tls.keyFile, outcome.config->tls.checkPermissions,
                    problem, reloader.configPath())) {
        outcome.problems.push_back({"tls", "", problem, ""});
        outcome.ok = false;
      }
    }
    if (outcome.config) {
      const std::string listen = listenOverride_.empty() ? outcome.config->listen : listenOverride_;
      for (const auto& [field, address] : {std::pair{listenOverride_.empty() ? "listen" : "--listen", listen},
                                           std::pair{"tls.listen", outcome.config->tls.listen}}) {
        if (address.empty()) continue;
        if (std::string problem = listenAddressProblem(address); !problem.empty()) {
          outcome.problems.push_back({field, "", "cannot listen on '" + address + "': " + problem, ""});
          outcome.ok = false;
        }
      }
    }
    for (const Problem& p : outcome.problems) std::cerr << "error: " << p.text() << "\n";
    if (!outcome.ok) {
      std::cerr << "config check failed: " << outcome.problems.size() << " problem(s)\n";
      return kExitConfig;
    }
    std::cout << "config ok: " << outcome.keyCount << " key(s)\n";
    return kExitOk;
  }

  int serve(Reloader& reloader, UsageStore& usage, StateKeeper& keeper) {
    ReloadOutcome first = reloader.reload();
    if (!first.ok) {
      // Fail closed: never serve without a valid key set.
      logProblems(first.problems, "start_failed");
      for (const Problem& p : first.problems) std::cerr << "keyward: " << p.text() << "\n";
      std::cerr << "keyward: not starting: the configuration has " << first.problems.size() << " problem(s)\n";
      return kExitConfig;
    }
    const Config& config = *first.config;
    const std::string listen = listenOverride_.empty() ? config.listen : listenOverride_;
    raiseDescriptorLimit(config.limits.maxConnections);

    Poco::Net::ServerSocket listener;
    if (std::string problem = bindListener(listener, listen); !problem.empty()) {
      Log::error("start_failed", "cannot listen", {{"listen", listen}, {"error", problem}});
      std::cerr << "keyward: cannot listen on " << listen << ": " << problem << "\n";
      return kExitRuntime;
    }
    std::vector<int> listenFds = {listener.impl()->sockfd()};
    std::vector<bool> tlsListener = {false};
    TlsContext tls;
    Poco::Net::ServerSocket tlsSocket;
    if (!config.tls.listen.empty()) {
      std::string problem;
      if (!tls.load(config.tls.certFile, config.tls.keyFile, config.tls.checkPermissions, problem, config.path)) {
        Log::error("start_failed", problem);
        std::cerr << "keyward: not starting: " << problem << "\n";
        return kExitConfig;
      }
      if (problem = bindListener(tlsSocket, config.tls.listen); !problem.empty()) {
        Log::error("start_failed", "cannot listen (tls)", {{"listen", config.tls.listen}, {"error", problem}});
        std::cerr << "keyward: cannot listen on " << config.tls.listen << ": " << problem << "\n";
        return kExitRuntime;
      }
      listenFds.push_back(tlsSocket.impl()->sockfd());
      tlsListener.push_back(true);
    }
    UnixListener unixListener;
    if (!config.listenUnix.empty()) {
      std::string problem;
      if (!unixListener.open(config.listenUnix, config.listenUnixMode, problem)) {
        Log::error("start_failed", "cannot listen on the unix socket",
                   {{"path", config.listenUnix}, {"error", problem}});
        std::cerr << "keyward: cannot listen on " << config.listenUnix << ": " << problem << "\n";
        return kExitRuntime;
      }
      listenFds.push_back(unixListener.fd());
      tlsListener.push_back(false);
    }

    HttpServer::Options options;
    options.workers = config.workers ? config.workers : std::max(1u, std::thread::hardware_concurrency());
    options.limits = config.limits;
    // A trusted proxy's connections carry many clients' requests: not held to one client's
    // share of max_connections (read at start; a change needs a restart).
    for (const std::string& text : config.trustedProxies) {
      if (auto range = AddressRange::parse(text)) options.unlimitedClients.push_back(*range);
    }
    options.shutdownTimeout = config.shutdownTimeout;
    options.tlsListener = tlsListener;
    options.tls = &tls;
    HttpServer* serverPtr = nullptr;
    MetricsRegistry metrics;
    RateLimiter limiter;  // outlives the loops: budgets keep their state across reloads
    std::unique_ptr<FailureThrottle> throttle;
    if (config.throttleFailures > 0) {
      throttle = std::make_unique<FailureThrottle>(config.throttleFailures, config.throttleWindow.count(),
                                                   config.throttleClients);
    }
    std::unique_ptr<SharedState> shared;  // shared_state: started below, stopped before the limiter goes
    if (config.sharedState.enabled()) {
      shared = std::make_unique<SharedState>(config, limiter, usage, reloader,
                                             [] { sigqueue(::getpid(), SIGHUP, sigval{kSharedStateReload}); });
    }
    HttpServer server(listenFds, options, [&](unsigned) {
      return std::make_unique<ApiHandler>(
          ApiServices{reloader, serverPtr, &usage, &metrics, throttle.get(), &limiter, {}, shared.get()});
    });
    serverPtr = &server;
    try {
      server.start();
    } catch (const std::exception& e) {
      Log::error("start_failed", e.what());
      return kExitRuntime;
    }
    Log::info("started", "keyward is serving",
              {{"version", KEYWARD_VERSION},
               {"config", reloader.configPath().empty() ? std::string("built-in") : reloader.configPath()},
               {"listen", listener.address().toString()},
               {"listen_unix", config.listenUnix},
               {"listen_tls", config.tls.listen.empty() ? std::string() : tlsSocket.address().toString()},
               {"workers", options.workers},
               {"keys", first.keyCount},
               {"generation", first.generation},
               {"load_ms", first.millis},
               {"startup_ms",
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - kProcessStart).count()}});
    logExpiringKeys(reloader);
    if (shared) shared->start();

    SystemdNotifier notifier;
    notifier.ready(statusLine(reloader));
    std::unique_ptr<SecretWatcher> watcher;
    if (config.watch) {
      // The watcher asks for a reload the same way an operator does: a SIGHUP, queued with
      // our own pid so the log can say why.
      watcher = std::make_unique<SecretWatcher>(config.watchDebounce, config.watchInterval, [](const std::string&) {
        sigqueue(::getpid(), SIGHUP, sigval{kWatchReload});
      });
      watcher->setTargets(watchTargetsOf(config), first.sourcesFingerprint);
    }

    // A reload frees the old key set once every loop has moved on (within a second); then
    // hand the freed heap back to the system so resident memory follows the key count.
    std::atomic<bool> trimPending{true};
    // StateKeeper is not thread-safe: the main thread's ticks and the reload thread's flush
    // take turns (the main thread skips a tick rather than wait for a flush).
    std::mutex stateMutex;
    ReloadThread reloads([&](const std::string& trigger) {
      notifier.reloading();
      ReloadOutcome outcome = reload(reloader, config, trigger);
      if (outcome.ok && watcher) watcher->setTargets(watchTargetsOf(*outcome.config), outcome.sourcesFingerprint);
      if (outcome.ok && !config.tls.listen.empty()) reloadTls(tls, *outcome.config);
      notifier.ready(statusLine(reloader));
      {
        std::lock_guard<std::mutex> lock(stateMutex);
        keeper.flush();  // a revocation must survive a crash right after it
      }
      trimPending = true;
    });

    sigset_t signals = handledSignals();
    auto lastExpiryLog = std::chrono::steady_clock::now();
    const auto watchdog = notifier.watchdogInterval();
    const long waitMs = watchdog.count() > 0 ? std::clamp<long>(watchdog.count() / 4000, 10, 1000) : 1000;
    while (true) {
      notifier.watchdogTick();
      const timespec wait{waitMs / 1000, (waitMs % 1000) * 1'000'000};
      siginfo_t info{};
      int signal = sigtimedwait(&signals, &info, &wait);
      if (signal < 0) {
        if (std::unique_lock<std::mutex> lock(stateMutex, std::try_to_lock); lock.owns_lock()) keeper.tick();
        // Keys enter the warning window with time, not only at reloads: say so hourly.
        if (std::chrono::steady_clock::now() - lastExpiryLog >= std::chrono::hours(1)) {
          logExpiringKeys(reloader);
          lastExpiryLog = std::chrono::steady_clock::now();
        }
        if (errno == EAGAIN && trimPending && !reloads.busy()) {
          malloc_trim(0);
          trimPending = false;
        }
        continue;
      }
      if (signal == SIGHUP) {
        const bool fromWatcher =
            info.si_code == SI_QUEUE && info.si_pid == ::getpid() && info.si_value.sival_int == kWatchReload;
        const bool fromShared =
            info.si_code == SI_QUEUE && info.si_pid == ::getpid() && info.si_value.sival_int == kSharedStateReload;
        reloads.request(fromWatcher ? "watch" : fromShared ? "shared_state" : "signal");
        continue;
      }
      Log::info("stopping", "stopping: finishing requests in progress",
                {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
      notifier.stopping();
      server.stop();
      listener.close();
      if (shared) shared->stop();  // after the last request: its counts reach the fleet
      // A reload still running holds references to all of the above; wait for it a while.
      const bool reloadEnded = reloads.stop(std::chrono::seconds(5));
      {
        std::lock_guard<std::mutex> lock(stateMutex);
        keeper.flush();
      }
      if (!reloadEnded) {
        Log::error("stopped", "keyward stopped with a reload still stuck in file I/O",
                   {{"requests", server.stats().requests}});
        Log::flush(std::chrono::seconds(2));
        std::_Exit(kExitOk);  // nothing may be destroyed under the stuck reload
      }
      watcher.reset();
      Log::info("stopped", "keyward stopped", {{"requests", server.stats().requests}});
      return kExitOk;
    }
  }

  // The certificate is reloaded with the keys; a bad one keeps the old one serving.
  static void reloadTls(TlsContext& tls, const Config& next) {
    if (next.tls.certFile.empty()) {
      Log::warn("tls", "tls was removed from the config; the HTTPS listener keeps its certificate until a restart");
      return;
    }
    std::string problem;
    if (tls.load(next.tls.certFile, next.tls.keyFile, next.tls.checkPermissions, problem, next.path)) {
      Log::info("tls", "certificate reloaded", {{"cert_file", printablePath(next.tls.certFile)}});
    } else {
      Log::error("tls_reload_failed", "the new certificate was refused; the previous one stays in service",
                 {{"error", problem}});
    }
  }

  // For STATUS= in systemctl status: generation, key count, last reload result.
  static std::string statusLine(const Reloader& reloader) {
    ReloadStatus s = reloader.status();
    return "serving generation " + std::to_string(s.generation) + ", " + std::to_string(s.keyCount) +
           " keys; last reload " + (s.lastOk ? "ok" : "FAILED (old keys kept)") + " at " +
           formatRfc3339(s.lastAttemptUnixMs);
  }

  static ReloadOutcome reload(Reloader& reloader, const Config& running, std::string_view trigger) {
    return reloader.reload([&](const ReloadOutcome& outcome) {
      logReload(reloader, outcome, running, trigger);
      // Out before /v1/status shows the attempt, unless stdout is stalled.
      Log::flush(std::chrono::seconds(1));
    });
  }

  static void logReload(const Reloader& reloader, const ReloadOutcome& outcome, const Config& running,
                        std::string_view trigger) {
    if (!outcome.ok) {
      logProblems(outcome.problems, "reload_failed");
      Log::error("reload", "reload failed; the previous keys stay in service",
                 {{"ok", false},
                  {"trigger", trigger},
                  {"generation", outcome.generation},
                  {"problems", outcome.problems.size()},
                  {"ms", outcome.millis}});
      return;
    }
    Log::info("reload", "keys reloaded",
              {{"ok", true},
               {"trigger", trigger},
               {"generation", outcome.generation},
               {"keys", outcome.keyCount},
               {"ms", outcome.millis}});
    logExpiringKeys(reloader);
    const Config& next = *outcome.config;
    if (next.listen != running.listen || next.workers != running.workers) {
      Log::warn("reload", "listen and workers changes take effect only after a restart");
    }
  }

  bool help_ = false;
  bool version_ = false;
  bool checkOnly_ = false;
  std::string configPath_;
  std::string listenOverride_;
};

}  // namespace
}  // namespace keyward

int main(int argc, char** argv) {
  // Client subcommands talk to a running daemon; they share nothing with serving.
  if (argc > 1 && std::string_view(argv[1]) == "keys") return keyward::runKeysCommand(argc - 1, argv + 1);
  if (argc > 1 && std::string_view(argv[1]) == "verify") return keyward::runVerifyCommand(argc - 1, argv + 1);
  if (argc > 1 && std::string_view(argv[1]) == "reload") return keyward::runReloadCommand(argc - 1, argv + 1);
  if (argc > 1 && std::string_view(argv[1]) == "scan") return keyward::runScanCommand(argc - 1, argv + 1);
  if (argc > 1 && std::string_view(argv[1]) == "leaked") return keyward::runLeakedCommand(argc - 1, argv + 1);

  // Before any thread exists, so that every thread inherits the mask.
  sigset_t signals = keyward::handledSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  keyward::KeywardApp app;
  try {
    app.init(argc, argv);
  } catch (const Poco::Exception& e) {
    std::cerr << "keyward: " << e.displayText() << " (see --help)\n";
    return keyward::kExitUsage;
  }
  try {
    return app.run();
  } catch (const std::exception& e) {
    std::cerr << "keyward: " << e.what() << "\n";
    return keyward::kExitRuntime;
  }
}
