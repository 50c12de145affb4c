#pragma once
// The daemon's configuration as plain values. ConfigLoader fills it from YAML; nothing here
// reads files or the environment.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "keyward/config/KeyPolicy.h"
#include "keyward/http/HttpLimits.h"

namespace keyward {

enum class KeyOrigin { Env, File, Sha256 };

// One entry of `keys:`.
struct KeyDecl {
  std::string id;
  std::string peer;
  KeyOrigin origin = KeyOrigin::Env;
  std::string ref;  // variable name, file path or 64 hex digits
  bool checkPermissions = true;
  int line = 0;  // in the config file, for error messages
  KeyPolicy policy;
};

// One entry of `key_dirs:`: every regular, non-hidden file is a key named after the file.
struct KeyDirDecl {
  std::string path;
  std::string peer;
  bool checkPermissions = true;
  int line = 0;
  KeyPolicy policy;  // shared by every key in the directory
};

// One entry of `env_files:`: NAME=VALUE lines, each a key with id NAME.
struct EnvFileDecl {
  std::string path;
  std::string peer;
  std::vector<std::string> names;  // if set, only these variables are keys
  bool checkPermissions = true;
  int line = 0;
  KeyPolicy policy;  // shared by every key in the file
};

// One entry of `routes:`: requests whose original method and path match need `scope`.
// `path` is a pattern: `*` matches within one path segment, `**` matches any rest. Paths
// and methods match case-insensitively (see Routes.h).
struct RouteRule {
  std::vector<std::string> methods;        // upper case; empty = any method
  std::vector<std::string> exceptMethods;  // upper case; the rule covers every other method
  std::string path;                        // lower case
  std::string scope;                       // empty = no scope demanded
  std::vector<std::string> peers;          // empty = any peer; else the key's peer must be one
  int line = 0;
};

// Where a trusted proxy puts the request it asks about (`original_request:`).
enum class OriginalRequestFrom {
  Auto,        // whichever one family a request carries; two families are refused
  XOriginal,   // X-Original-URI / X-Original-Method (nginx auth_request, the HAProxy action)
  XForwarded,  // X-Forwarded-Uri / X-Forwarded-Method (Caddy forward_auth, Traefik)
  EnvoyPath,   // /v1/verify/<original path> with the original method (Envoy ext_authz)
};

// `shared_state:` (off unless `redis` is set): replicas share rate budgets, usage and
// revocations through Redis, in the background (see SharedState.h). Restart to change.
struct SharedStateConfig {
  std::string redis;         // "redis://host:port/db" or "unix:/path/redis.sock"; empty = off
  std::string passwordFile;  // Redis AUTH password, read as a secret file; empty = no AUTH
  bool checkPermissions = true;
  std::string keyPrefix = "keyward:";
  std::string replicaName;     // this replica's name in Redis; empty = host name + state_dir or pid
  Millis syncInterval{50};     // rate budgets and revocations
  Millis usageInterval{1000};  // usage (counts, last used)
  Millis timeout{500};         // connect and every reply
  bool enabled() const { return !redis.empty(); }
};

struct Config {
  std::string path;  // where it was read from; empty for the built-in default
  std::string listen = "127.0.0.1:8420";
  unsigned workers = 0;  // event loops; 0 = one per CPU
  Millis shutdownTimeout{10000};
  HttpLimits limits;
  std::vector<KeyDecl> keys;
  std::vector<KeyDirDecl> keyDirs;
  std::vector<EnvFileDecl> envFiles;
  std::vector<RouteRule> routes;
  Millis expiryWarning{7LL * 24 * 3600 * 1000};  // keys expiring sooner are reported
  std::string stateDir;                          // usage and revocations; empty = not kept
  Millis stateInterval{10000};                   // how often changed state is written
  std::size_t recentCalls = 20;                  // per-key ring of recent calls
  // Peers whose X-Original-* / X-Forwarded-* headers (and Envoy path form) are believed.
  std::vector<std::string> trustedProxies = {"127.0.0.0/8", "::1"};
  OriginalRequestFrom originalRequest = OriginalRequestFrom::Auto;
  Millis cacheMaxAge{0};  // > 0: 200 answers say Cache-Control: private, max-age=N
  // Scopes a key needs to read /metrics and /v1/status (empty = open to anyone who can
  // reach the listener).
  std::string metricsScope;
  std::string statusScope;
  // Failed-attempt throttling per client address (0 failures = off). Restart to change.
  std::uint32_t throttleFailures = 20;
  Millis throttleWindow{60000};
  std::size_t throttleClients = 16384;  // addresses remembered (fixed memory)
  // Unix socket listener beside `listen` (empty = none). Restart to change.
  std::string listenUnix;
  unsigned listenUnixMode = 0660;
  // HTTPS listener beside `listen` (empty listen = none). The address needs a restart to
  // change; the certificate and key are reloaded with the keys.
  struct Tls {
    std::string listen;
    std::string certFile;
    std::string keyFile;
    bool checkPermissions = true;
  } tls;
  bool watch = true;            // reload by itself when key files/directories change
  Millis watchDebounce{200};    // quiet time after the last change before reloading
  Millis watchInterval{30000};  // periodic re-check, for when inotify says nothing
  // `peers: { NAME: { rate_limit: ... } }`: a budget for all of a peer's keys together.
  std::vector<std::pair<std::string, RateLimit>> peerLimits;
  SharedStateConfig sharedState;
};

inline constexpr const char* kDefaultPeer = "default";
inline constexpr const char* kDefaultConfigPath = "/etc/keyward/keyward.yaml";

}  // namespace keyward
