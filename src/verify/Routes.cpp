#include "keyward/verify/Routes.h"

#include <algorithm>

#include "keyward/http/QueryString.h"

namespace keyward {
namespace {

// Glob within one segment: '*' matches any run of bytes. Greedy with one backtrack point,
// linear in practice and never exponential.
bool segmentMatches(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view nextSegment(std::string_view& rest) {
  // `rest` starts after a '/'.
  std::size_t slash = rest.find('/');
  std::string_view segment = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  return segment;
}

}  // namespace

std::optional<std::string> normalizePath(std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  std::string decoded;
  decoded.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '#') return std::nullopt;  // never sent by a proxy; some upstreams keep it in the path
    if (c == '%') {
      if (i + 2 >= path.size()) return std::nullopt;
      int hi = hexDigitValue(path[i + 1]), lo = hexDigitValue(path[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      if (c == '/' || c == '\\' || c == '%') return std::nullopt;  // would change the segments
      i += 2;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return std::nullopt;
    // Case is folded: Express, ASP.NET and others route /ADMIN to the /admin handler.
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    decoded += c;
  }
  std::vector<std::string_view> segments;
  std::string_view rest = std::string_view(decoded).substr(1);
  bool trailingSlash = !decoded.empty() && decoded.back() == '/';
  while (!rest.empty()) {
    std::string_view segment = nextSegment(rest);
    // Tomcat, Jetty and Spring drop ";name=value" path parameters before routing
    // (/admin;jsessionid=x/users is /admin/users to them; "..;" is a dot segment to them).
    segment = segment.substr(0, segment.find(';'));
    if (segment.empty()) continue;
    // Windows servers (IIS, Kestrel on Windows) ignore trailing dots and spaces in a name.
    while (!segment.empty() && (segment.back() == '.' || segment.back() == ' ')) segment.remove_suffix(1);
    // ".", "..", "...", ". ": dot segments, which upstreams resolve differently or not at all.
    if (segment.empty()) return std::nullopt;
    segments.push_back(segment);
  }
  std::string out;
  for (std::string_view segment : segments) {
    out += '/';
    out += segment;
  }
  if (out.empty() || trailingSlash) out += '/';
  return out;
}

bool pathMatches(std::string_view pattern, std::string_view path) {
  if (pattern.empty() || pattern[0] != '/' || path.empty() || path[0] != '/') return false;
  std::string_view p = pattern.substr(1), t = path.substr(1);
  while (true) {
    if (p == "**") return true;  // the rest of the path, or nothing
    if (!segmentMatches(nextSegment(p), nextSegment(t))) return false;
    if (p.empty()) return t.empty();
    if (t.empty()) return p == "**";
  }
}

bool methodMatches(const RouteRule& rule, std::string_view method) {
  if (method.empty()) return true;  // unknown: every rule may apply
  auto same = [&](const std::string& m) {
    if (m.size() != method.size()) return false;
    for (std::size_t i = 0; i < m.size(); ++i) {
      char c = method[i];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (c != m[i]) return false;
    }
    return true;
  };
  if (!rule.exceptMethods.empty()) return std::none_of(rule.exceptMethods.begin(), rule.exceptMethods.end(), same);
  return rule.methods.empty() || std::any_of(rule.methods.begin(), rule.methods.end(), same);
}

const RouteRule* findRoute(const std::vector<RouteRule>& routes, std::string_view method, std::string_view path) {
  for (const RouteRule& rule : routes) {
    if (methodMatches(rule, method) && pathMatches(rule.path, path)) return &rule;
  }
  return nullptr;
}

void routesFor(const std::vector<RouteRule>& routes, std::string_view method, std::string_view path,
               std::vector<const RouteRule*>& out) {
  out.clear();
  for (const RouteRule& rule : routes) {
    if (!methodMatches(rule, method) || !pathMatches(rule.path, path)) continue;
    out.push_back(&rule);
    const bool everyMethod = rule.methods.empty() && rule.exceptMethods.empty();
    if (!method.empty() || everyMethod) return;  // matching stops here whatever the method
  }
}

}  // namespace keyward
