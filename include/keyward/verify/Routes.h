#pragma once
// Route rules: which scope a request needs, from its original method and path.
//
// Paths are normalised before matching so that every spelling an upstream would route to a
// handler meets that handler's rule: %XX decoded, ASCII case folded (Express, ASP.NET route
// case-insensitively), ";params" dropped from each segment (Tomcat, Jetty, Spring), "//"
// merged, "." and ".." resolved, trailing dots and spaces dropped from each segment (IIS).
// Anything that cannot be normalised safely (a bad escape, an encoded '/', '\' or control
// byte, ".." above the root, a segment of only dots) is refused, so a client cannot dress a
// protected path up as an unprotected one. Methods match case-insensitively too.

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
// nullptr. This is the one route matcher: the daemon decides with it.
const RouteRule* findRoute(const std::vector<RouteRule>& routes, std::string_view method, std::string_view path);

}  // namespace keyward
