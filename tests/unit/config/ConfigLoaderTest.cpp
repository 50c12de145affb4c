#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "keyward/config/ConfigLoader.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

std::string allErrors(const ConfigResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e + "\n";
  return out;
}

TEST(ConfigLoader, ReadsTheDocumentedExample) {
  ConfigResult r = parseConfigText(R"(
listen: "127.0.0.1:9000"
workers: 3
shutdown_timeout: 2s
limits:
  max_header_bytes: 4096
  header_timeout: 1500ms
  idle_timeout: 2m
  max_connections: 100
keys:
  - { id: worker-1, peer: worker, env: WORKER_API_KEY }
  - { id: api-1,    peer: api,    file: /run/secrets/api_key }
  - { id: ci,       peer: ci,     sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" }
key_dirs:
  - { path: /run/secrets/keyward, peer: worker, check_permissions: false }
env_files:
  - { path: /etc/keyward/keys.env, peer: api, names: [AUTH_API_KEY] }
)",
                                   "k.yaml");
  ASSERT_TRUE(r.config) << allErrors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.listen, "127.0.0.1:9000");
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.shutdownTimeout, Millis(2000));
  EXPECT_EQ(c.limits.maxHeaderBytes, 4096u);
  EXPECT_EQ(c.limits.headerTimeout, Millis(1500));
  EXPECT_EQ(c.limits.idleTimeout, Millis(120000));
  EXPECT_EQ(c.limits.maxConnections, 100u);
  ASSERT_EQ(c.keys.size(), 3u);
  EXPECT_EQ(c.keys[0].origin, KeyOrigin::Env);
  EXPECT_EQ(c.keys[0].ref, "WORKER_API_KEY");
  EXPECT_EQ(c.keys[1].origin, KeyOrigin::File);
  EXPECT_EQ(c.keys[1].peer, "api");
  EXPECT_EQ(c.keys[2].origin, KeyOrigin::Sha256);
  EXPECT_EQ(c.keys[2].line, 13);
  ASSERT_EQ(c.keyDirs.size(), 1u);
  EXPECT_FALSE(c.keyDirs[0].checkPermissions);
  ASSERT_EQ(c.envFiles.size(), 1u);
  EXPECT_EQ(c.envFiles[0].names, std::vector<std::string>{"AUTH_API_KEY"});
}

struct BadConfig {
  const char* why;
  const char* yaml;
  const char* expected;  // part of the error text, with the line
};

TEST(ConfigLoader, RefusesBadInputWithFileAndLine) {
  const std::vector<BadConfig> cases = {
      {"not YAML", "keys: [ {id: a", "k.yaml:1:"},
      {"unknown top-level field", "listen: x\nlsiten: y\n", "k.yaml:2: unknown field 'lsiten'"},
      {"unknown key field", "keys:\n  - { id: a, flie: /x }\n", "k.yaml:2: keys[0]: unknown field 'flie'"},
      {"keys not a list", "keys: { id: a }\n", "keys: must be a list"},
      {"key without id", "keys:\n  - { env: A }\n", "keys[0]: missing field 'id'"},
      {"two sources", "keys:\n  - { id: a, env: A, file: /x }\n", "needs exactly one of"},
      {"no source", "keys:\n  - { id: a }\n", "needs exactly one of"},
      {"bad sha256", "keys:\n  - { id: a, sha256: abc }\n", "keys[0].sha256: must be 64 hex digits"},
      {"bad env name", "keys:\n  - { id: a, env: 'A-B' }\n", "not a valid environment variable name"},
      {"bad id", "keys:\n  - { id: 'a b', env: A }\n", "keys[0].id: must be"},
      {"workers wrong type", "workers: many\n", "k.yaml:1: workers: must be a whole number"},
      {"negative workers", "workers: -1\n", "workers: must be a whole number"},
      {"limit out of range", "limits:\n  max_header_count: 100000\n", "limits.max_header_count: must be between"},
      {"bad duration", "limits:\n  header_timeout: soon\n", "limits.header_timeout: must be a positive duration"},
      {"zero duration", "limits:\n  idle_timeout: 0s\n", "limits.idle_timeout: must be a positive duration"},
      {"boolean wrong", "key_dirs:\n  - { path: /x, check_permissions: maybe }\n", "must be true or false"},
      {"top level is a list", "- a\n- b\n", "must be a mapping"},
      {"empty file", "", "is empty"},
      {"env file names empty", "env_files:\n  - { path: /x, names: [] }\n", "names: must be a non-empty list"},
      {"bad status", "keys:\n  - { id: a, env: A, status: paused }\n", "keys[0].status: must be 'active', 'suspended'"},
      {"bad type", "keys:\n  - { id: a, env: A, type: robot }\n", "keys[0].type: must be 'service' or 'user'"},
      {"time without offset", "keys:\n  - { id: a, env: A, expires: '2027-01-01T00:00:00' }\n",
       "keys[0].expires: must be an RFC 3339 time"},
      {"window backwards",
       "keys:\n  - { id: a, env: A, not_before: '2027-02-01T00:00:00Z', expires: '2027-01-01T00:00:00Z' }\n",
       "'expires' must be later than 'not_before'"},
      {"reason without revocation", "keys:\n  - { id: a, env: A, revoked_reason: oops }\n",
       "only for keys with status 'revoked'"},
      {"scopes not a list", "keys:\n  - { id: a, env: A, scopes: admin }\n", "keys[0].scopes: must be a list"},
      {"bad scope", "keys:\n  - { id: a, env: A, scopes: ['runs read'] }\n", "keys[0].scopes: must be"},
      {"name on a key directory", "key_dirs:\n  - { path: /x, name: w }\n", "unknown field 'name'"},
      {"route without scope", "routes:\n  - { path: /runs/* }\n", "routes[0]: needs 'path' and 'scope'"},
      {"route path relative", "routes:\n  - { path: runs, scope: a }\n", "routes[0].path: must start with '/'"},
      {"bad expiry warning", "expiry_warning: soon\n", "expiry_warning: must be a positive duration"},
      {"too many recent calls", "recent_calls: 5000\n", "recent_calls: must be between 0 and 1000"},
      {"bad trusted proxy", "trusted_proxies: [10.0.0.0/33]\n",
       "k.yaml:1: trusted_proxies: is not an IP address or CIDR range"},
      // Errors reach /v1/status: a key pasted where a field name or value goes is not quoted.
      {"key as a field name", "keys:\n  - { id: a, env: A, QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk=: x }\n",
       "k.yaml:2: keys[0]: unknown field\n"},
      {"trusted proxies not a list", "trusted_proxies: 10.0.0.1\n", "trusted_proxies: must be a list"},
      {"cache max age in ms", "cache_max_age: 1500ms\n", "cache_max_age: must be whole seconds"},
      {"throttle unknown field", "throttle: { max_failure: 3 }\n", "throttle: unknown field 'max_failure'"},
      {"throttle table too small", "throttle: { clients: 3 }\n", "throttle.clients: must be between"},
      {"relative unix socket", "listen_unix: { path: k.sock }\n", "listen_unix: needs an absolute 'path'"},
      {"bad unix socket mode", "listen_unix: { path: /run/k.sock, mode: rw }\n", "listen_unix.mode: must be an octal"},
      {"tls without key", "tls: { listen: ':8443', cert_file: /c.pem }\n",
       "tls: needs 'listen', 'cert_file' and 'key_file'"},
      {"watch not a boolean", "watch: sometimes\n", "watch: must be true or false"},
      // Every duration is bounded: a huge one overflowed deadlines and closed every connection.
      {"header timeout overflows", "limits:\n  header_timeout: 9223372036854775807ms\n",
       "limits.header_timeout: must be at most 10m"},
      {"idle timeout too long", "limits:\n  idle_timeout: 400d\n", "limits.idle_timeout: must be at most 1d"},
      {"shutdown timeout too long", "shutdown_timeout: 2h\n", "shutdown_timeout: must be at most 10m"},
      {"state interval too long", "state_interval: 2d\n", "state_interval: must be at most 1h"},
      {"watch debounce too long", "watch_debounce: 1h\n", "watch_debounce: must be at most 1m"},
      {"throttle window too long", "throttle: { window: 30d }\n", "throttle.window: must be at most 1d"},
      // Two fields of one name: YAML libraries differ on which wins, so refuse.
      {"listen twice", "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n", "k.yaml:2: field 'listen' is given twice"},
      {"nested field twice", "keys:\n  - id: a\n    env: A\n    id: b\n", "k.yaml:4: field 'id' is given twice"},
      // listen is checked here rather than failing later at start with a wrong hint.
      {"listen without host", "listen: 8421\n", "listen: must be host:port"},
      {"listen port too big", "listen: 127.0.0.1:99999\n", "listen: must be host:port with a port from 0 to 65535"},
      {"tls listen bad port", "tls: { listen: 'x:y', cert_file: /c, key_file: /k }\n", "tls.listen: must be host:port"},
      {"bad original_request", "original_request: nginx\n", "original_request: must be auto, x-original"},
      {"methods and except_methods", "routes:\n  - { path: /a, scope: s, methods: [GET], except_methods: [HEAD] }\n",
       "give either 'methods' or 'except_methods'"},
      {"route with ;params", "routes:\n  - { path: '/a;x', scope: s }\n", "routes[0].path: must start with '/'"},
      {"rate limit without per", "keys:\n  - { id: a, env: A, rate_limit: { requests: 5 } }\n",
       "keys[0].rate_limit: needs 'requests' and 'per'"},
      {"rate limit in ms", "keys:\n  - { id: a, env: A, rate_limit: { requests: 5, per: 500ms } }\n",
       "keys[0].rate_limit.per: must be whole seconds"},
      {"rate limit zero", "key_dirs:\n  - { path: /k, rate_limit: { requests: 0, per: 1s } }\n",
       "key_dirs[0].rate_limit.requests: must be between 1"},
      {"rate limit unknown field", "keys:\n  - { id: a, env: A, rate_limit: { requests: 5, per: 1s, brust: 9 } }\n",
       "unknown field 'brust'"},
      {"peer limit bad", "peers:\n  worker: { rate_limit: { per: 1s } }\n", "peers.worker.rate_limit: needs"},
      {"peer unknown field", "peers:\n  worker: { limit: 5 }\n", "peers.worker: unknown field 'limit'"},
      {"credentials dir unset", "keys:\n  - { id: a, file: '${CREDENTIALS_DIRECTORY}/k' }\n",
       "keys[0].file: uses ${CREDENTIALS_DIRECTORY}, which is not set"},
  };
  for (const BadConfig& c : cases) {
    ConfigResult r = parseConfigText(c.yaml, "k.yaml");
    EXPECT_FALSE(r.config) << c.why;
    EXPECT_NE(allErrors(r).find(c.expected), std::string::npos) << c.why << "\n got: " << allErrors(r);
  }
}

TEST(ConfigLoader, ReadsTheProxyAndEndpointSettings) {
  ConfigResult r = parseConfigText(
      "original_request: x-forwarded\nmetrics_scope: ops\nstatus_scope: ops\n"
      "limits: { write_timeout: 3s, max_connections: 100, max_connections_per_client: 7 }\n"
      "routes:\n  - { path: /Admin/**, scope: admin, except_methods: [get, HEAD] }\n",
      "k.yaml");
  ASSERT_TRUE(r.config) << allErrors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.originalRequest, OriginalRequestFrom::XForwarded);
  EXPECT_EQ(c.metricsScope, "ops");
  EXPECT_EQ(c.statusScope, "ops");
  EXPECT_EQ(c.limits.writeTimeout, Millis(3000));
  EXPECT_EQ(c.limits.connectionsPerClient(), 7u);
  ASSERT_EQ(c.routes.size(), 1u);
  EXPECT_EQ(c.routes[0].path, "/admin/**");  // folded: matching is case-insensitive
  EXPECT_EQ(c.routes[0].exceptMethods, (std::vector<std::string>{"GET", "HEAD"}));
  // Default share: a quarter of max_connections.
  EXPECT_EQ(parseConfigText("limits: { max_connections: 100 }\n", "k.yaml").config->limits.connectionsPerClient(), 25u);
}

TEST(ConfigLoader, ReadsRateLimitsOfKeysSourcesAndPeers) {
  ConfigResult r = parseConfigText(
      "keys:\n  - { id: a, env: A, rate_limit: { requests: 100, per: 1s, burst: 20 } }\n"
      "env_files:\n  - { path: /e, rate_limit: { requests: 60, per: 1m } }\n"
      "peers:\n  worker: { rate_limit: { requests: 1000, per: 1s } }\n",
      "k.yaml");
  ASSERT_TRUE(r.config) << allErrors(r);
  EXPECT_EQ(r.config->keys[0].policy.rateLimit, (RateLimit{100, 1000, 20}));
  EXPECT_EQ(r.config->envFiles[0].policy.rateLimit, (RateLimit{60, 60000, 60})) << "burst defaults to requests";
  ASSERT_EQ(r.config->peerLimits.size(), 1u);
  EXPECT_EQ(r.config->peerLimits[0].first, "worker");
  EXPECT_EQ(r.config->peerLimits[0].second, (RateLimit{1000, 1000, 1000}));
}

TEST(ConfigLoader, ExpandsTheCredentialsDirectory) {
  setenv("CREDENTIALS_DIRECTORY", "/run/credentials/keyward.service", 1);
  ConfigResult r = parseConfigText("keys:\n  - { id: a, file: '${CREDENTIALS_DIRECTORY}/api-key' }\n", "k.yaml");
  unsetenv("CREDENTIALS_DIRECTORY");
  ASSERT_TRUE(r.config) << allErrors(r);
  EXPECT_EQ(r.config->keys[0].ref, "/run/credentials/keyward.service/api-key");
}

TEST(ConfigLoader, ReadsKeyLifecycleFieldsAndRoutes) {
  ConfigResult r = parseConfigText(R"(
expiry_warning: 3d
state_dir: /var/lib/keyward
state_interval: 30s
recent_calls: 50
keys:
  - id: worker-2026-11
    name: Worker, November
    description: key of the build workers
    peer: worker
    type: service
    scopes: [runs:read, runs:write]
    env: WORKER_API_KEY
    created: 2026-11-01T00:00:00Z
    not_before: 2026-11-02T00:00:00Z
    expires: 2026-12-01T00:00:00+01:00
  - { id: old, env: OLD, status: revoked, revoked_reason: leaked }
key_dirs:
  - { path: /run/keys, peer: worker, scopes: [runs:read], status: suspended }
routes:
  - { methods: [get, HEAD], path: "/runs/**", scope: "runs:read" }
  - { path: "/admin/**", scope: admin }
)",
                                   "k.yaml");
  ASSERT_TRUE(r.config) << allErrors(r);
  const Config& c = *r.config;
  EXPECT_EQ(c.expiryWarning, Millis(3 * 86400000LL));
  EXPECT_EQ(c.stateDir, "/var/lib/keyward");
  EXPECT_EQ(c.stateInterval, Millis(30000));
  EXPECT_EQ(c.recentCalls, 50u);
  const KeyPolicy& p = c.keys[0].policy;
  EXPECT_EQ(p.name, "Worker, November");
  EXPECT_EQ(p.description, "key of the build workers");
  EXPECT_EQ(p.type, KeyType::Service);
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"runs:read", "runs:write"}));
  EXPECT_EQ(p.createdMs, *parseRfc3339("2026-11-01T00:00:00Z"));
  EXPECT_EQ(p.notBeforeMs, *parseRfc3339("2026-11-02T00:00:00Z"));
  EXPECT_EQ(p.expiresMs, *parseRfc3339("2026-11-30T23:00:00Z"));
  EXPECT_EQ(p.status, KeyStatus::Active);
  EXPECT_EQ(c.keys[1].policy.status, KeyStatus::Revoked);
  EXPECT_EQ(c.keys[1].policy.revokedReason, "leaked");
  EXPECT_EQ(c.keyDirs[0].policy.status, KeyStatus::Suspended);
  EXPECT_EQ(c.keyDirs[0].policy.scopes, std::vector<std::string>{"runs:read"});
  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_EQ(c.routes[0].path, "/runs/**");
  EXPECT_TRUE(c.routes[1].methods.empty());
  EXPECT_EQ(c.routes[1].scope, "admin");
}

TEST(ConfigLoader, ReportsEveryProblemAtOnce) {
  ConfigResult r = parseConfigText("bogus: 1\nworkers: x\nkeys:\n  - { id: a }\n", "k.yaml");
  EXPECT_EQ(r.errors.size(), 3u) << allErrors(r);
}

TEST(ConfigLoader, SurvivesDeeplyNestedYaml) {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  ConfigResult r = parseConfigText("keys: " + deep + "\n", "k.yaml");
  EXPECT_FALSE(r.config);
  EXPECT_FALSE(r.errors.empty());
}

TEST(ConfigLoader, ReadsFilesAndNamesMissingOnes) {
  test::TempDir dir;
  std::string path = dir.write("k.yaml", "keys:\n  - { id: a, env: A }\n");
  ConfigResult r = loadConfigFile(path);
  ASSERT_TRUE(r.config) << allErrors(r);
  EXPECT_EQ(r.config->path, path);
  ConfigResult missing = loadConfigFile(dir.file("nope.yaml"));
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_NE(
      missing.errors[0].find("nope.yaml: cannot read the config file: does not exist (give another with --config"),
      std::string::npos)
      << missing.errors[0];
  // A FIFO as the config must not hang the load (read like key files: regular files only).
  ASSERT_EQ(::mkfifo(dir.file("fifo.yaml").c_str(), 0600), 0);
  ConfigResult fifo = loadConfigFile(dir.file("fifo.yaml"));
  ASSERT_EQ(fifo.errors.size(), 1u);
  EXPECT_NE(fifo.errors[0].find("not a regular file"), std::string::npos) << fifo.errors[0];
}

TEST(ConfigLoader, ParsesDurations) {
  EXPECT_EQ(parseDuration("5"), Millis(5000));
  EXPECT_EQ(parseDuration("5s"), Millis(5000));
  EXPECT_EQ(parseDuration("250ms"), Millis(250));
  EXPECT_EQ(parseDuration("2m"), Millis(120000));
  EXPECT_EQ(parseDuration("1h"), Millis(3600000));
  EXPECT_FALSE(parseDuration("5 s"));
  EXPECT_FALSE(parseDuration("-5s"));
  EXPECT_FALSE(parseDuration("s"));
  EXPECT_EQ(parseDuration("7d"), Millis(7LL * 86400000));
  EXPECT_FALSE(parseDuration("5w"));
}

TEST(ConfigLoader, ChoosesTheConfigInTheDocumentedOrder) {
  auto noEnv = [](const char*) -> std::optional<std::string> { return std::nullopt; };
  auto withEnv = [](const char* n) -> std::optional<std::string> {
    return std::string(n) == "KEYWARD_CONFIG" ? std::optional<std::string>("/env.yaml") : std::nullopt;
  };
  auto exists = [](const std::string&) { return true; };
  auto absent = [](const std::string&) { return false; };
  EXPECT_EQ(chooseConfigPath("/cli.yaml", withEnv, exists), "/cli.yaml");
  EXPECT_EQ(chooseConfigPath("", withEnv, exists), "/env.yaml");
  EXPECT_EQ(chooseConfigPath("", noEnv, exists), "/etc/keyward/keyward.yaml");
  EXPECT_EQ(chooseConfigPath("", noEnv, absent), std::nullopt);
}

TEST(ConfigLoader, BuiltInDefaultReadsAuthApiKey) {
  Config c = builtInConfig();
  ASSERT_EQ(c.keys.size(), 1u);
  EXPECT_EQ(c.keys[0].id, "default");
  EXPECT_EQ(c.keys[0].origin, KeyOrigin::Env);
  EXPECT_EQ(c.keys[0].ref, "AUTH_API_KEY");
  EXPECT_EQ(c.listen, "127.0.0.1:8420");
}

}  // namespace
}  // namespace keyward
