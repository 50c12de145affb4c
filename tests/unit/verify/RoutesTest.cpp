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
      {"Tomcat's ..; climbs like ..", "GET", "/runs/..;/admin/users", "admin"},
      {"IIS drops trailing dots", "GET", "/admin./users", "admin"},
      {"IIS drops trailing spaces", "GET", "/admin%20/users", "admin"},
      {"encoded letters", "GET", "/%61dmin/users", "admin"},
      {"encoded upper-case letters", "GET", "/%41DMIN/users", "admin"},
      {"method in lower case is still DELETE", "delete", "/runs/7", "runs:write"},
      {"PATCH is covered by except_methods", "PATCH", "/runs/7", "runs:write"},
      {"an invented method too", "PURGE", "/runs/7", "runs:write"},
      {"GET reads", "GET", "/runs/7", "runs:read"},
      {"get in lower case reads", "get", "/runs/7", "runs:read"},
      {"unknown method: the first rule, whatever its methods", "", "/runs/7", "runs:read"},
      {"a segment of only dots is refused", "GET", "/admin/.../x", "<refused>"},
      {"unrelated path", "GET", "/health", "<none>"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(scopeFor(c.method, c.path), c.scope) << c.why << ": " << c.method << " " << c.path;
}

TEST(Routes, NormalisedFormIsLowerCaseWithoutParams) {
  EXPECT_EQ(*normalizePath("/Runs;a=b/7./Logs%20"), "/runs/7/logs");
  EXPECT_EQ(*normalizePath("/runs/"), "/runs/");
}

}  // namespace
}  // namespace keyward
