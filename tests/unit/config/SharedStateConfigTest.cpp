// shared_state: in the config, and the Redis URLs it takes.

#include <gtest/gtest.h>

#include "keyward/config/ConfigLoader.h"
#include "keyward/config/RedisEndpoint.h"

namespace keyward {
namespace {

std::string allErrors(const ConfigResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += e + "\n";
  return out;
}

TEST(SharedStateConfig, OffByDefaultAndReadWithEveryField) {
  ConfigResult off = parseConfigText("listen: 127.0.0.1:0\n", "k.yaml");
  ASSERT_TRUE(off.config);
  EXPECT_FALSE(off.config->sharedState.enabled());

  ConfigResult r = parseConfigText(R"(
shared_state:
  redis: "redis://10.0.0.5:6380/2"
  password_file: /run/secrets/redis
  check_permissions: false
  key_prefix: "kw:prod:"
  replica_name: node-1
  sync_interval: 50ms
  usage_interval: 2s
  timeout: 1s
)",
                                   "k.yaml");
  ASSERT_TRUE(r.config) << allErrors(r);
  const SharedStateConfig& s = r.config->sharedState;
  EXPECT_TRUE(s.enabled());
  EXPECT_EQ(s.redis, "redis://10.0.0.5:6380/2");
  EXPECT_EQ(s.passwordFile, "/run/secrets/redis");
  EXPECT_FALSE(s.checkPermissions);
  EXPECT_EQ(s.keyPrefix, "kw:prod:");
  EXPECT_EQ(s.replicaName, "node-1");
  EXPECT_EQ(s.syncInterval, Millis(50));
  EXPECT_EQ(s.usageInterval, Millis(2000));
  EXPECT_EQ(s.timeout, Millis(1000));

  ConfigResult defaults = parseConfigText("shared_state: { redis: 'unix:/run/redis/redis.sock' }\n", "k.yaml");
  ASSERT_TRUE(defaults.config) << allErrors(defaults);
  EXPECT_EQ(defaults.config->sharedState.keyPrefix, "keyward:");
  EXPECT_EQ(defaults.config->sharedState.syncInterval, Millis(50));
  EXPECT_EQ(defaults.config->sharedState.usageInterval, Millis(1000));
  EXPECT_EQ(defaults.config->sharedState.timeout, Millis(500));
}

TEST(SharedStateConfig, RefusesBadSettingsWithFileAndLine) {
  struct Case {
    const char* why;
    const char* yaml;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"no redis", "shared_state: { key_prefix: x }\n", "k.yaml:1: shared_state: needs 'redis'"},
      {"unknown field", "shared_state:\n  redis: redis://h\n  pasword_file: /x\n",
       "k.yaml:3: shared_state: unknown field 'pasword_file'"},
      {"password in the url", "shared_state: { redis: 'redis://:hunter2@h:6379' }\n", "must not hold a password"},
      {"tls url", "shared_state: { redis: 'rediss://h:6379' }\n", "use a unix socket or a TLS tunnel"},
      {"other scheme", "shared_state: { redis: 'http://h' }\n", "must be redis://host:port/db or unix:"},
      {"relative socket", "shared_state: { redis: 'unix:redis.sock' }\n", "absolute path"},
      {"port too big", "shared_state: { redis: 'redis://h:70000' }\n", "port must be a number from 1 to 65535"},
      {"bad database", "shared_state: { redis: 'redis://h:6379/x' }\n", "database after the '/' must be a number"},
      {"sync too fast", "shared_state: { redis: 'redis://h', sync_interval: 1ms }\n",
       "sync_interval: must be at least 10ms"},
      {"sync too slow", "shared_state: { redis: 'redis://h', sync_interval: 1m }\n",
       "sync_interval: must be at most 10s"},
      {"timeout unbounded", "shared_state: { redis: 'redis://h', timeout: 1h }\n",
       "shared_state.timeout: must be at most 30s"},
      {"prefix with a space", "shared_state: { redis: 'redis://h', key_prefix: 'a b' }\n", "64 printable characters"},
      {"replica name", "shared_state: { redis: 'redis://h', replica_name: 'a b' }\n",
       "shared_state.replica_name: must be"},
      {"not a mapping", "shared_state: redis://h\n", "shared_state: must be a mapping"},
  };
  for (const Case& c : cases) {
    ConfigResult r = parseConfigText(c.yaml, "k.yaml");
    EXPECT_FALSE(r.config) << c.why;
    EXPECT_NE(allErrors(r).find(c.expected), std::string::npos) << c.why << "\n got: " << allErrors(r);
    EXPECT_EQ(allErrors(r).find("hunter2"), std::string::npos) << "a password is never quoted back";
  }
}

TEST(RedisEndpoint, ParsesTheUrlForms) {
  struct Case {
    const char* why;
    const char* url;
    bool unixSocket;
    const char* host;
    int port;
    const char* path;
    int database;
  };
  const std::vector<Case> cases = {
      {"all parts", "redis://127.0.0.1:6380/3", false, "127.0.0.1", 6380, "", 3},
      {"defaults: port 6379, database 0", "redis://redis.internal", false, "redis.internal", 6379, "", 0},
      {"trailing slash", "redis://h:1/", false, "h", 1, "", 0},
      {"IPv6 in brackets", "redis://[::1]:6390/1", false, "::1", 6390, "", 1},
      {"IPv6 without a port", "redis://[fd00::5]", false, "fd00::5", 6379, "", 0},
      {"unix socket", "unix:/run/redis/redis.sock", true, "", 6379, "/run/redis/redis.sock", 0},
      {"unix socket, URL style, with a database", "unix:///tmp/r.sock?db=4", true, "", 6379, "/tmp/r.sock", 4},
  };
  for (const Case& c : cases) {
    std::string problem;
    auto e = parseRedisUrl(c.url, problem);
    ASSERT_TRUE(e) << c.why << ": " << problem;
    EXPECT_EQ(e->unixSocket, c.unixSocket) << c.why;
    EXPECT_EQ(e->host, c.host) << c.why;
    EXPECT_EQ(e->port, c.port) << c.why;
    EXPECT_EQ(e->path, c.path) << c.why;
    EXPECT_EQ(e->database, c.database) << c.why;
  }
  std::string problem;
  EXPECT_EQ(parseRedisUrl("redis://[::1]:6390/1", problem)->describe(), "[::1]:6390/1");
  EXPECT_EQ(parseRedisUrl("unix:/r.sock", problem)->describe(), "unix:/r.sock/0");
  for (const char* bad : {"redis://", "redis://:6379", "redis://h:", "redis://h:0", "redis://[::1", "redis://h h",
                          "unix:", "unix:/x?db=", "unix:/x?foo=1", "redis://user:pw@h"}) {
    EXPECT_FALSE(parseRedisUrl(bad, problem)) << bad;
  }
}

}  // namespace
}  // namespace keyward
