#pragma once
// Route rules: which scope a request needs, from its original method and path.
//
// Paths are normalised before matching, the way the upstream will see them: %XX decoded,
// "//" merged, "." and ".." resolved. Anything that cannot be normalised safely (a bad
// escape, an encoded '/', '\' or control byte, ".." above the root) is refused, so a client
// cannot dress a protected path up as an unprotected one.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/Config.h"

namespace keyward {

// The normalised form of a request path (query already removed), or nullopt if unsafe.
std::optional<std::string> normalizePath(std::string_view path);

// Pattern match on a normalised path: `*` matches within one segment, a final `/**`
// matches the rest of the path (also nothing: "/runs/**" matches "/runs").
bool pathMatches(std::string_view pattern, std::string_view path);

// The first rule matching `method` and `path` (both normalised), or nullptr.
const RouteRule* findRoute(const std::vector<RouteRule>& routes, std::string_view method, std::string_view path);

}  // namespace keyward
