// Route matching against the spellings common upstreams route to the same handler.

#include <gtest/gtest.h>

#include "keyward/verify/Routes.h"

namespace keyward {
namespace {

std::vector<RouteRule> auditRules() {
  std::vector<RouteRule> routes(3);
  routes[0].path = "/admin/**";
  routes[0].scope = "admin";
  routes[1].path = "/runs/**";
  routes[1].methods = {"GET", "HEAD"};
  routes[1].scope = "runs:read";
  routes[2].path = "/runs/**";
  routes[2].exceptMethods = {"GET", "HEAD"};
  routes[2].scope = "runs:write";
  return routes;
}

std::string scopeFor(std::string_view method, std::string_view rawPath) {
  std::optional<std::string> path = normalizePath(rawPath);
  if (!path) return "<refused>";
  static const std::vector<RouteRule> rules = auditRules();  // findRoute points into it
  const RouteRule* rule = findRoute(rules, method, *path);
  return rule ? rule->scope : "<none>";
}

TEST(Routes, EverySpellingAnUpstreamRoutesToAHandlerMeetsItsRule) {
  struct Case {
    const char* why;
    const char* method;
    const char* path;
    const char* scope;
  };
  const std::vector<Case> cases = {
      {"plain", "GET", "/admin/users", "admin"},
      {"Express and ASP.NET route case-insensitively", "GET", "/ADMIN/users", "admin"},
      {"mixed case", "GET", "/Admin/Users", "admin"},
      {"Tomcat/Jetty/Spring drop ;params", "GET", "/admin;jsessionid=x/users", "admin"},
      {";params on the last segment", "GET", "/admin/users;v=1", "admin"},
      {"Tomcat's ..; climbs like .., and dot segments are refused", "GET", "/runs/..;/admin/users", "<refused>"},
      // Whether ".." is resolved differs by upstream (Express and chi mounts, prefix checks
      // and nginx's proxy_pass without a URI do not), so either answer could be the wrong one.
      {"..  out of a protected prefix", "GET", "/admin/../runs/1", "<refused>"},
      {"encoded ..", "GET", "/admin/%2e%2e/runs/1", "<refused>"},
      {"encoded .. with ;params", "GET", "/admin/%2E%2E;x/runs/1", "<refused>"},
      {"a . segment", "GET", "/runs/./7", "<refused>"},
      {"a trailing . segment", "GET", "/admin/.", "<refused>"},
      // Proxies never send a fragment; Go's net/http keeps '#' in the path.
      {"a raw # in the path", "GET", "/runs/1#/../../admin/x", "<refused>"},
      {"a raw # alone", "GET", "/admin#", "<refused>"},
      {"an encoded # is data", "GET", "/runs/1%23x", "runs:read"},
      {"IIS drops trailing dots", "GET", "/admin./users", "admin"},
      {"IIS drops trailing spaces", "GET", "/admin%20/users", "admin"},
      {"encoded letters", "GET", "/%61dmin/users", "admin"},
      {"encoded upper-case letters", "GET", "/%41DMIN/users", "admin"},
      {"method in lower case is still DELETE", "delete", "/runs/7", "runs:write"},
      {"PATCH is covered by except_methods", "PATCH", "/runs/7", "runs:write"},
      {"an invented method too", "PURGE", "/runs/7", "runs:write"},
      {"GET reads", "GET", "/runs/7", "runs:read"},
      {"get in lower case reads", "get", "/runs/7", "runs:read"},
      {"a segment of only dots is refused", "GET", "/admin/.../x", "<refused>"},
      {"unrelated path", "GET", "/health", "<none>"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(scopeFor(c.method, c.path), c.scope) << c.why << ": " << c.method << " " << c.path;
}

std::vector<std::string_view> scopesOf(const std::vector<const RouteRule*>& rules) {
  std::vector<std::string_view> scopes;
  for (const RouteRule* rule : rules) scopes.push_back(rule->scope);
  return scopes;
}

std::vector<std::string_view> scopesFor(std::string_view method, std::string_view path) {
  static const std::vector<RouteRule> rules = auditRules();
  std::vector<const RouteRule*> matched;
  routesFor(rules, method, path, matched);
  return scopesOf(matched);
}

TEST(Routes, AnUnknownMethodNeedsEveryScopeARuleThatMayApplyDemands) {
  using Scopes = std::vector<std::string_view>;
  EXPECT_EQ(scopesFor("GET", "/runs/7"), Scopes{"runs:read"});
  EXPECT_EQ(scopesFor("delete", "/runs/7"), Scopes{"runs:write"});
  // The audit: with only X-Original-URI sent, the first rule (GET, HEAD) let a write through.
  EXPECT_EQ(scopesFor("", "/runs/7"), (Scopes{"runs:read", "runs:write"}));
  EXPECT_EQ(scopesFor("", "/admin/x"), Scopes{"admin"});
  EXPECT_EQ(scopesFor("", "/health"), Scopes{});

  // A rule for every method ends the rules that may apply, as it ends matching.
  std::vector<RouteRule> rules(3);
  rules[0].path = "/runs/**";
  rules[0].methods = {"DELETE"};
  rules[0].scope = "runs:delete";
  rules[1].path = "/runs/**";
  rules[1].scope = "runs:any";
  rules[2].path = "/runs/**";
  rules[2].methods = {"GET"};
  rules[2].scope = "never";
  std::vector<const RouteRule*> matched;
  routesFor(rules, "", "/runs/1", matched);
  EXPECT_EQ(scopesOf(matched), (Scopes{"runs:delete", "runs:any"}));
  routesFor(rules, "GET", "/runs/1", matched);
  EXPECT_EQ(scopesOf(matched), Scopes{"runs:any"}) << "the output is cleared first";
}

TEST(Routes, NormalisedFormIsLowerCaseWithoutParams) {
  EXPECT_EQ(*normalizePath("/Runs;a=b/7./Logs%20"), "/runs/7/logs");
  EXPECT_EQ(*normalizePath("//runs;x//7"), "/runs/7");
  EXPECT_EQ(*normalizePath("/runs/"), "/runs/");
}

}  // namespace
}  // namespace keyward
