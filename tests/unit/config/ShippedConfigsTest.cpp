// The proxy configs in config/ are documentation that must stay true: they parse, and they
// say what keyward's contract needs (checked field by field; the nginx one also runs in
// tests/e2e).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "keyward/config/ConfigLoader.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

const std::string kRoot = KEYWARD_SOURCE_DIR;

std::vector<std::string> strings(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(item.as<std::string>());
  return out;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

TEST(ShippedConfigs, TraefikForwardAuthPointsAtVerifyAndCopiesIdentity) {
  YAML::Node root = YAML::LoadFile(kRoot + "/config/traefik/dynamic.yaml");
  YAML::Node auth = root["http"]["middlewares"]["keyward-auth"]["forwardAuth"];
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth["address"].as<std::string>(), "http://127.0.0.1:8420/v1/verify");
  EXPECT_FALSE(auth["trustForwardHeader"].as<bool>());
  auto copied = strings(auth["authResponseHeaders"]);
  for (const char* h : {"X-Keyward-Key-Id", "X-Keyward-Peer", "X-Keyward-Scopes"})
    EXPECT_TRUE(contains(copied, h)) << h;
  auto strip = root["http"]["middlewares"]["strip-api-key"]["headers"]["customRequestHeaders"];
  EXPECT_EQ(strip["X-API-Key"].as<std::string>(), "");
  auto used = strings(root["http"]["routers"]["api"]["middlewares"]);
  EXPECT_EQ(used, (std::vector<std::string>{"keyward-auth", "strip-api-key"}));
}

TEST(ShippedConfigs, EnvoyExtAuthzForwardsTheKeyAndCopiesIdentity) {
  YAML::Node root = YAML::LoadFile(kRoot + "/config/envoy/envoy.yaml");
  YAML::Node hcm = root["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
  YAML::Node filter = hcm["http_filters"][0];
  ASSERT_EQ(filter["name"].as<std::string>(), "envoy.filters.http.ext_authz");
  YAML::Node config = filter["typed_config"];
  EXPECT_FALSE(config["failure_mode_allow"].as<bool>()) << "fail closed";
  YAML::Node http = config["http_service"];
  EXPECT_EQ(http["path_prefix"].as<std::string>(), "/v1/verify");
  std::vector<std::string> allowed, upstream;
  for (const auto& p : http["authorization_request"]["allowed_headers"]["patterns"])
    allowed.push_back(p["exact"].as<std::string>());
  for (const auto& p : http["authorization_response"]["allowed_upstream_headers"]["patterns"]) {
    upstream.push_back(p["exact"].as<std::string>());
  }
  EXPECT_TRUE(contains(allowed, "x-api-key")) << "without it keyward never sees the key";
  for (const char* h : {"x-keyward-key-id", "x-keyward-peer", "x-keyward-scopes"})
    EXPECT_TRUE(contains(upstream, h)) << h;
  auto removed = strings(hcm["route_config"]["virtual_hosts"][0]["request_headers_to_remove"]);
  EXPECT_TRUE(contains(removed, "x-api-key"));
  EXPECT_EQ(filter["typed_config"]["http_service"]["server_uri"]["cluster"].as<std::string>(), "keyward");
}

TEST(ShippedConfigs, TheDocumentedKeywardConfigParses) {
  ConfigResult r = loadConfigFile(kRoot + "/config/keyward.yaml");
  std::string errors;
  for (const auto& e : r.errors) errors += e + "\n";
  ASSERT_TRUE(r.config) << errors;
  EXPECT_EQ(r.config->listen, "127.0.0.1:8420");
  EXPECT_TRUE(r.config->watch);
  EXPECT_EQ(r.config->throttleFailures, 20u);
}

}  // namespace
}  // namespace keyward
