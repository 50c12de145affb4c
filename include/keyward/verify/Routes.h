#pragma once
// Route rules: which scope a request needs, from its original method and path.
//
// Paths are normalised before matching so that every spelling an upstream would route to a
// handler meets that handler's rule: %XX decoded, ASCII case folded (Express, ASP.NET route
// case-insensitively), ";params" dropped from each segment (Tomcat, Jetty, Spring), "//"
// merged, trailing dots and spaces dropped from each segment (IIS). What upstreams disagree
// on is refused, so a client cannot dress a protected path up as an unprotected one: a bad
// escape, an encoded '/', '\' or control byte, a raw '#', and every "." or ".." segment
// (whether ".." is resolved depends on the upstream: Express and chi mounts, prefix checks and
// nginx's proxy_pass without a URI do not resolve it, so either reading could be the wrong
// one; clients resolve dot segments before sending, RFC 3986 5.2.4). Methods match
// case-insensitively too.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/config/Config.h"

namespace keyward {

// The normalised form of a request path (query already removed), or nullopt if unsafe.
std::optional<std::string> normalizePath(std::string_view path);

// Pattern match on a normalised path: `*` matches within one segment, a final `/**`
// matches the rest of the path (also nothing: "/runs/**" matches "/runs").
bool pathMatches(std::string_view pattern, std::string_view path);

// Whether `method` is one the rule covers. An empty (unknown) method matches every rule.
bool methodMatches(const RouteRule& rule, std::string_view method);

// The first rule matching `method` (any case; empty = unknown) and `path` (normalised), or
// nullptr.
const RouteRule* findRoute(const std::vector<RouteRule>& routes, std::string_view method, std::string_view path);

// The rules a request for `path` (normalised) must meet: the first matching one for a known
// `method`; for an unknown (empty) one, every rule that may apply (each rule matching the
// path, up to and including the first one for every method), the strictest reading. `out` is
// cleared first; callers reuse it so that the request path does not allocate. This is the
// one route matcher: the daemon and the dry run decide with it.
void routesFor(const std::vector<RouteRule>& routes, std::string_view method, std::string_view path,
               std::vector<const RouteRule*>& out);

}  // namespace keyward
