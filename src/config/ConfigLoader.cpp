#include "keyward/config/ConfigLoader.h"

#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "keyward/base/AddressRange.h"
#include "keyward/base/Digest.h"
#include "keyward/base/Names.h"
#include "keyward/base/SecretFile.h"
#include "keyward/config/RedisEndpoint.h"

namespace keyward {
namespace {

constexpr std::size_t kMaxConfigBytes = 64u << 20;

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
constexpr Millis kDay = hours(24);

std::string formatDuration(Millis value) {
  const auto ms = value.count();
  if (ms % kDay.count() == 0) return std::to_string(ms / kDay.count()) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

// " 'name'" for a field name that looks like one, else "": errors reach logs and
// /v1/status, and a misplaced key would otherwise be quoted there as a field name.
std::string quotedName(const std::string& name) {
  const bool plain = !name.empty() && name.size() <= 32 &&
                     std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
  return plain ? " '" + name + "'" : "";
}

// host:port with a port from 0 to 65535 (0: any free port); IPv6 hosts in brackets.
bool isValidListenAddress(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return false;
  if (host.empty()) return true;  // ":8420": every address
  if (host.front() == '[') return host.size() > 2 && host.back() == ']';
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Walks the YAML tree and records every problem with its line, so that one run of
// --check-config shows all of them.
class ConfigReader {
 public:
  explicit ConfigReader(std::string path) : path_(std::move(path)) {}

  std::vector<std::string>& errors() { return errors_; }

  void fail(const YAML::Node& node, const std::string& where, const std::string& message) {
    std::ostringstream out;
    out << path_ << ':' << lineOf(node) << ": " << (where.empty() ? "" : where + ": ") << message;
    errors_.push_back(out.str());
  }

  static int lineOf(const YAML::Node& node) { return node.Mark().line + 1; }

  // Reports fields of `map` that are not in `known`.
  void rejectUnknown(const YAML::Node& map, const std::string& where, std::initializer_list<const char*> known) {
    for (const auto& item : map) {
      if (!item.first.IsScalar()) {
        fail(item.first, where, "field names must be plain strings");
        continue;
      }
      const std::string& name = item.first.Scalar();
      bool found = false;
      for (const char* k : known) found |= (name == k);
      if (!found) fail(item.first, where, "unknown field" + quotedName(name));
    }
  }

  bool expectMap(const YAML::Node& node, const std::string& where) {
    if (node.IsMap()) return true;
    fail(node, where, "must be a mapping of fields");
    return false;
  }

  std::optional<std::string> string(const YAML::Node& node, const std::string& where) {
    if (!node.IsScalar()) {
      fail(node, where, "must be a string");
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<std::uint64_t> count(const YAML::Node& node, const std::string& where, std::uint64_t min,
                                     std::uint64_t max) {
    if (!node.IsScalar()) {
      fail(node, where, "must be a whole number");
      return std::nullopt;
    }
    const std::string& s = node.Scalar();
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
      fail(node, where, "must be a whole number");
      return std::nullopt;
    }
    if (value < min || value > max) {
      fail(node, where, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return std::nullopt;
    }
    return value;
  }

  // A positive duration up to `max`: every duration has a bound, so that no setting can
  // overflow a deadline (9223372036854775807ms would close every connection at once).
  std::optional<Millis> duration(const YAML::Node& node, const std::string& where, Millis max) {
    std::optional<Millis> value;
    if (node.IsScalar()) value = parseDuration(node.Scalar());
    if (!value || value->count() <= 0) {
      fail(node, where, "must be a positive duration such as 500ms, 5s, 2m, 1h or 7d");
      return std::nullopt;
    }
    if (*value > max) {
      fail(node, where, "must be at most " + formatDuration(max));
      return std::nullopt;
    }
    return value;
  }

  // A file path; `${CREDENTIALS_DIRECTORY}` is replaced by that variable (systemd's
  // LoadCredential=), so one config serves under systemd and outside it.
  std::optional<std::string> path(const YAML::Node& node, const std::string& where) {
    auto text = string(node, where);
    if (!text) return std::nullopt;
    static constexpr std::string_view kCredentials = "${CREDENTIALS_DIRECTORY}";
    const std::size_t at = text->find(kCredentials);
    if (at == std::string::npos) return text;
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir || !*dir) {
      fail(node, where,
           "uses ${CREDENTIALS_DIRECTORY}, which is not set (it is set by systemd for units with "
           "LoadCredential=)");
      return std::nullopt;
    }
    text->replace(at, kCredentials.size(), dir);
    return text;
  }

  // `{ requests: N, per: DURATION, burst: M }`: N and M from 1 to 10^9, `per` in whole
  // seconds from 1s to 1d (the RateLimit headers speak whole seconds).
  std::optional<RateLimit> rateLimit(const YAML::Node& node, const std::string& where) {
    if (!expectMap(node, where)) return std::nullopt;
    rejectUnknown(node, where, {"requests", "per", "burst"});
    if (!node["requests"] || !node["per"]) {
      fail(node, where, "needs 'requests' and 'per', e.g. { requests: 100, per: 1s }");
      return std::nullopt;
    }
    RateLimit limit;
    auto requests = count(node["requests"], where + ".requests", 1, 1'000'000'000);
    auto per = duration(node["per"], where + ".per", Millis(86'400'000));
    std::optional<std::uint64_t> burst;
    if (node["burst"]) burst = count(node["burst"], where + ".burst", 1, 1'000'000'000);
    if (per && per->count() % 1000 != 0) {
      fail(node["per"], where + ".per", "must be whole seconds, such as 1s or 1m");
      return std::nullopt;
    }
    if (!requests || !per || (node["burst"] && !burst)) return std::nullopt;
    limit.requests = *requests;
    limit.perMs = per->count();
    limit.burst = burst ? *burst : *requests;
    // The budget allows `burst` requests ahead of the rate, a lead of burst x per / requests
    // in microseconds; it must stay within 2^60 (RateBudget::kMaxToleranceUs, a layer above)
    // or the arithmetic overflows and the key is locked out.
    constexpr std::uint64_t kMaxLeadUs = std::uint64_t{1} << 60;
    const std::uint64_t intervalUs =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(limit.perMs) * 1000 / limit.requests);
    if (limit.burst > kMaxLeadUs / intervalUs) {
      // (Only a large burst gets here: without one, burst x interval is at most `per`.)
      fail(node["burst"], where + ".burst",
           "is too large for this rate: at most " + std::to_string(kMaxLeadUs / intervalUs) +
               " when per / requests is " + std::to_string(intervalUs / 1000) +
               " ms (a spent burst would take over 36,000 years to refill)");
      return std::nullopt;
    }
    return limit;
  }

  // Refuses a mapping that names one field twice: YAML parsers differ on which one wins,
  // so the file would not say what keyward does.
  void rejectDuplicateKeys(const YAML::Node& node) {
    if (node.IsSequence()) {
      for (const auto& item : node) rejectDuplicateKeys(item);
      return;
    }
    if (!node.IsMap()) return;
    std::vector<std::string> seen;
    for (const auto& item : node) {
      if (item.first.IsScalar()) {
        const std::string& name = item.first.Scalar();
        if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
          fail(item.first, "", "field" + quotedName(name) + " is given twice");
        } else {
          seen.push_back(name);
        }
      }
      rejectDuplicateKeys(item.second);
    }
  }

  std::optional<bool> boolean(const YAML::Node& node, const std::string& where) {
    if (node.IsScalar()) {
      const std::string& s = node.Scalar();
      if (s == "true") return true;
      if (s == "false") return false;
    }
    fail(node, where, "must be true or false");
    return std::nullopt;
  }

  std::optional<std::int64_t> time(const YAML::Node& node, const std::string& where) {
    std::optional<std::int64_t> value;
    if (node.IsScalar()) value = parseRfc3339(node.Scalar());
    if (!value) fail(node, where, "must be an RFC 3339 time such as 2026-12-01T00:00:00Z");
    return value;
  }

  std::optional<std::vector<std::string>> names(const YAML::Node& node, const std::string& where) {
    if (!node.IsSequence()) {
      fail(node, where, "must be a list");
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& item : node) {
      if (auto s = name(item, where)) out.push_back(*s);
    }
    return out;
  }

  std::optional<std::string> name(const YAML::Node& node, const std::string& where) {
    auto s = string(node, where);
    if (s && !isValidName(*s)) {
      fail(node, where,
           "must be 1-128 characters of letters, digits and . _ : @ + -, starting with a letter "
           "or digit");
      return std::nullopt;
    }
    return s;
  }

 private:
  std::string path_;
  std::vector<std::string> errors_;
};

template <class T, class F>
void ifPresent(const YAML::Node& map, const char* field, F&& read, T& target) {
  if (const YAML::Node node = map[field]) {
    if (auto value = read(node)) target = static_cast<T>(*value);
  }
}

void readLimits(ConfigReader& r, const YAML::Node& node, HttpLimits& limits) {
  const std::string where = "limits";
  if (!r.expectMap(node, where)) return;
  r.rejectUnknown(
      node, where,
      {"max_header_bytes", "max_header_count", "max_uri_bytes", "max_body_bytes", "max_requests_per_connection",
       "header_timeout", "idle_timeout", "write_timeout", "max_connections", "max_connections_per_client"});
  auto count = [&](const char* field, std::uint64_t min, std::uint64_t max) {
    return [&r, field, min, max, where](const YAML::Node& n) { return r.count(n, where + "." + field, min, max); };
  };
  auto duration = [&](const char* field, Millis max) {
    return [&r, field, where, max](const YAML::Node& n) { return r.duration(n, where + "." + field, max); };
  };
  ifPresent(node, "max_header_bytes", count("max_header_bytes", 256, 1u << 20), limits.maxHeaderBytes);
  ifPresent(node, "max_header_count", count("max_header_count", 4, kMaxHeaderCountLimit), limits.maxHeaderCount);
  ifPresent(node, "max_uri_bytes", count("max_uri_bytes", 16, 1u << 20), limits.maxUriBytes);
  ifPresent(node, "max_body_bytes", count("max_body_bytes", 0, 1u << 20), limits.maxBodyBytes);
  ifPresent(node, "max_requests_per_connection", count("max_requests_per_connection", 1, UINT64_MAX),
            limits.maxRequestsPerConnection);
  ifPresent(node, "max_connections", count("max_connections", 1, 1u << 20), limits.maxConnections);
  ifPresent(node, "max_connections_per_client", count("max_connections_per_client", 1, 1u << 20),
            limits.maxConnectionsPerClient);
  ifPresent(node, "header_timeout", duration("header_timeout", minutes(10)), limits.headerTimeout);
  ifPresent(node, "idle_timeout", duration("idle_timeout", kDay), limits.idleTimeout);
  ifPresent(node, "write_timeout", duration("write_timeout", minutes(10)), limits.writeTimeout);
}

// Policy fields a `keys:` entry may carry; key_dirs and env_files take all but name,
// created and revoked_reason, for every key they hold.
void readPolicy(ConfigReader& r, const YAML::Node& entry, const std::string& where, KeyPolicy& policy) {
  auto text = [&](const char* field) {
    return [&r, field, &where](const YAML::Node& n) { return r.string(n, where + "." + field); };
  };
  auto time = [&](const char* field) {
    return [&r, field, &where](const YAML::Node& n) { return r.time(n, where + "." + field); };
  };
  ifPresent(entry, "name", text("name"), policy.name);
  ifPresent(entry, "description", text("description"), policy.description);
  ifPresent(entry, "revoked_reason", text("revoked_reason"), policy.revokedReason);
  ifPresent(entry, "created", time("created"), policy.createdMs);
  ifPresent(entry, "not_before", time("not_before"), policy.notBeforeMs);
  ifPresent(entry, "expires", time("expires"), policy.expiresMs);
  if (const YAML::Node n = entry["scopes"]) {
    if (auto scopes = r.names(n, where + ".scopes")) policy.scopes = std::move(*scopes);
  }
  if (const YAML::Node n = entry["rate_limit"]) {
    if (auto limit = r.rateLimit(n, where + ".rate_limit")) policy.rateLimit = *limit;
  }
  if (const YAML::Node n = entry["type"]) {
    auto t = n.IsScalar() ? keyTypeFromString(n.Scalar()) : std::nullopt;
    if (t)
      policy.type = *t;
    else
      r.fail(n, where + ".type", "must be 'service' or 'user'");
  }
  if (const YAML::Node n = entry["status"]) {
    auto st = n.IsScalar() ? keyStatusFromString(n.Scalar()) : std::nullopt;
    if (st)
      policy.status = *st;
    else
      r.fail(n, where + ".status", "must be 'active', 'suspended' or 'revoked'");
  }
  if (policy.notBeforeMs != kNoStart && policy.expiresMs != kNoEnd && policy.expiresMs <= policy.notBeforeMs) {
    r.fail(entry, where, "'expires' must be later than 'not_before'");
  }
  if (!policy.revokedReason.empty() && policy.status != KeyStatus::Revoked) {
    r.fail(entry["revoked_reason"], where + ".revoked_reason", "is only for keys with status 'revoked'");
  }
}

#define KEYWARD_SOURCE_POLICY_FIELDS "description", "type", "scopes", "not_before", "expires", "status", "rate_limit"

std::string indexed(const char* list, std::size_t i) { return std::string(list) + "[" + std::to_string(i) + "]"; }

void readKeys(ConfigReader& r, const YAML::Node& list, Config& config) {
  if (!list.IsSequence()) {
    r.fail(list, "keys", "must be a list");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    const std::string where = indexed("keys", i);
    if (!r.expectMap(entry, where)) continue;
    r.rejectUnknown(entry, where,
                    {"id", "peer", "env", "file", "sha256", "check_permissions", "name", "created", "revoked_reason",
                     KEYWARD_SOURCE_POLICY_FIELDS});
    KeyDecl decl;
    decl.line = ConfigReader::lineOf(entry);
    decl.peer = kDefaultPeer;
    if (!entry["id"]) {
      r.fail(entry, where, "missing field 'id'");
    } else if (auto id = r.name(entry["id"], where + ".id")) {
      decl.id = *id;
    }
    ifPresent(
        entry, "peer", [&](const YAML::Node& n) { return r.name(n, where + ".peer"); }, decl.peer);
    ifPresent(
        entry, "check_permissions", [&](const YAML::Node& n) { return r.boolean(n, where + ".check_permissions"); },
        decl.checkPermissions);
    int sources = 0;
    for (auto [field, origin] : {std::pair{"env", KeyOrigin::Env}, std::pair{"file", KeyOrigin::File},
                                 std::pair{"sha256", KeyOrigin::Sha256}}) {
      if (!entry[field]) continue;
      ++sources;
      decl.origin = origin;
      auto ref = origin == KeyOrigin::File ? r.path(entry[field], where + "." + field)
                                           : r.string(entry[field], where + "." + field);
      if (ref) decl.ref = *ref;
    }
    readPolicy(r, entry, where, decl.policy);
    if (sources != 1) {
      r.fail(entry, where, "needs exactly one of 'env', 'file' or 'sha256'");
      continue;
    }
    if (decl.origin == KeyOrigin::Env && !decl.ref.empty() && !isValidEnvName(decl.ref)) {
      r.fail(entry["env"], where + ".env", "is not a valid environment variable name");
    }
    if (decl.origin == KeyOrigin::File && decl.ref.empty()) {
      r.fail(entry["file"], where + ".file", "must not be empty");
    }
    if (decl.origin == KeyOrigin::Sha256 && !digestFromHex(decl.ref)) {
      r.fail(entry["sha256"], where + ".sha256", "must be 64 hex digits (the SHA-256 of the key text)");
    }
    config.keys.push_back(std::move(decl));
  }
}

// key_dirs and env_files: each entry is a path holding several keys, with a peer and
// policy for all of them. `readMore` reads the fields only one kind has.
template <class Decl, class ReadMore>
void readSourceList(ConfigReader& r, const YAML::Node& list, const char* field,
                    std::initializer_list<const char*> known, std::vector<Decl>& out, ReadMore&& readMore) {
  if (!list.IsSequence()) {
    r.fail(list, field, "must be a list");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    const std::string where = indexed(field, i);
    if (!r.expectMap(entry, where)) continue;
    r.rejectUnknown(entry, where, known);
    Decl decl;
    readPolicy(r, entry, where, decl.policy);
    decl.line = ConfigReader::lineOf(entry);
    decl.peer = kDefaultPeer;
    if (!entry["path"]) r.fail(entry, where, "missing field 'path'");
    ifPresent(
        entry, "path", [&](const YAML::Node& n) { return r.path(n, where + ".path"); }, decl.path);
    ifPresent(
        entry, "peer", [&](const YAML::Node& n) { return r.name(n, where + ".peer"); }, decl.peer);
    ifPresent(
        entry, "check_permissions", [&](const YAML::Node& n) { return r.boolean(n, where + ".check_permissions"); },
        decl.checkPermissions);
    readMore(entry, where, decl);
    out.push_back(std::move(decl));
  }
}

void readKeyDirs(ConfigReader& r, const YAML::Node& list, Config& config) {
  readSourceList(r, list, "key_dirs", {"path", "peer", "check_permissions", KEYWARD_SOURCE_POLICY_FIELDS},
                 config.keyDirs, [](const YAML::Node&, const std::string&, KeyDirDecl&) {});
}

void readEnvFiles(ConfigReader& r, const YAML::Node& list, Config& config) {
  auto readNames = [&r](const YAML::Node& entry, const std::string& where, EnvFileDecl& decl) {
    if (const YAML::Node names = entry["names"]) {
      if (!names.IsSequence() || names.size() == 0) {
        r.fail(names, where + ".names", "must be a non-empty list of variable names");
      } else {
        for (const auto& n : names) {
          auto s = r.string(n, where + ".names");
          if (s && !isValidEnvName(*s)) {
            r.fail(n, where + ".names", "is not a valid variable name");
          } else if (s) {
            decl.names.push_back(*s);
          }
        }
      }
    }
  };
  readSourceList(r, list, "env_files", {"path", "peer", "names", "check_permissions", KEYWARD_SOURCE_POLICY_FIELDS},
                 config.envFiles, readNames);
}

// Route patterns and methods are kept folded: paths in lower case, methods in upper case,
// the same folding Routes applies to each request (see Routes.h for why).
std::string routePatternOf(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return text;
}

std::string methodKeyOf(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return text;
}

bool isValidRoutePath(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  for (char c : path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '?' || c == '#' || c == ';') return false;
  }
  return true;
}

void readRoutes(ConfigReader& r, const YAML::Node& list, Config& config) {
  if (!list.IsSequence()) {
    r.fail(list, "routes", "must be a list");
    return;
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    const std::string where = indexed("routes", i);
    if (!r.expectMap(entry, where)) continue;
    r.rejectUnknown(entry, where, {"methods", "except_methods", "path", "scope", "peers"});
    RouteRule rule;
    rule.line = ConfigReader::lineOf(entry);
    if (!entry["path"] || (!entry["scope"] && !entry["peers"])) {
      r.fail(entry, where, "needs 'path' and 'scope', 'peers' or both");
      continue;
    }
    if (auto path = r.string(entry["path"], where + ".path")) {
      if (isValidRoutePath(*path))
        rule.path = routePatternOf(*path);
      else
        r.fail(entry["path"], where + ".path", "must start with '/' and hold no spaces, '?', '#' or ';'");
    }
    if (entry["scope"]) {
      if (auto scope = r.name(entry["scope"], where + ".scope")) rule.scope = *scope;
    }
    if (const YAML::Node peers = entry["peers"]) {
      if (auto list = r.names(peers, where + ".peers")) {
        if (list->empty())
          r.fail(peers, where + ".peers", "must name at least one peer");
        else
          rule.peers = std::move(*list);
      }
    }
    for (auto [field, target] :
         {std::pair{"methods", &rule.methods}, std::pair{"except_methods", &rule.exceptMethods}}) {
      if (const YAML::Node methods = entry[field]) {
        if (auto list = r.names(methods, where + "." + field)) {
          for (std::string& m : *list) target->push_back(methodKeyOf(m));
        }
      }
    }
    if (!rule.methods.empty() && !rule.exceptMethods.empty()) {
      r.fail(entry, where, "give either 'methods' or 'except_methods', not both");
    }
    config.routes.push_back(std::move(rule));
  }
}

// `shared_state: { redis, password_file, check_permissions, key_prefix, replica_name,
// sync_interval, usage_interval, timeout }`.
void readSharedState(ConfigReader& r, const YAML::Node& n, SharedStateConfig& shared) {
  if (!r.expectMap(n, "shared_state")) return;
  r.rejectUnknown(n, "shared_state",
                  {"redis", "password_file", "check_permissions", "key_prefix", "replica_name", "sync_interval",
                   "usage_interval", "timeout"});
  if (const YAML::Node url = n["redis"]) {
    if (auto text = r.string(url, "shared_state.redis")) {
      std::string problem;
      if (parseRedisUrl(*text, problem))
        shared.redis = *text;
      else
        r.fail(url, "shared_state.redis", problem);
    }
  } else {
    r.fail(n, "shared_state", "needs 'redis', such as redis://127.0.0.1:6379/0 or unix:/run/redis/redis.sock");
  }
  ifPresent(
      n, "password_file", [&](const YAML::Node& v) { return r.path(v, "shared_state.password_file"); },
      shared.passwordFile);
  ifPresent(
      n, "check_permissions", [&](const YAML::Node& v) { return r.boolean(v, "shared_state.check_permissions"); },
      shared.checkPermissions);
  if (const YAML::Node prefix = n["key_prefix"]) {
    auto text = r.string(prefix, "shared_state.key_prefix");
    const bool printable = text && std::all_of(text->begin(), text->end(), [](char c) { return c > ' ' && c < 127; });
    if (text && (!printable || text->size() > 64)) {
      r.fail(prefix, "shared_state.key_prefix", "must be at most 64 printable characters without spaces");
    } else if (text) {
      shared.keyPrefix = *text;
    }
  }
  ifPresent(
      n, "replica_name", [&](const YAML::Node& v) { return r.name(v, "shared_state.replica_name"); },
      shared.replicaName);
  // Lower bounds too: a 0ms loop would spin, and Redis would see every replica at full speed.
  auto bounded = [&](const char* field, Millis min, Millis max, Millis& target) {
    const std::string where = std::string("shared_state.") + field;
    if (const YAML::Node v = n[field]) {
      auto value = r.duration(v, where, max);
      if (value && *value < min)
        r.fail(v, where, "must be at least " + std::to_string(min.count()) + "ms");
      else if (value)
        target = *value;
    }
  };
  bounded("sync_interval", Millis(10), seconds(10), shared.syncInterval);
  bounded("usage_interval", Millis(100), minutes(1), shared.usageInterval);
  bounded("timeout", Millis(10), seconds(30), shared.timeout);
}

void readTopLevel(ConfigReader& r, const YAML::Node& root, Config& config) {
  if (!r.expectMap(root, "")) return;
  r.rejectUnknown(root, "",
                  {"listen",           "workers",        "shutdown_timeout", "limits",         "keys",
                   "key_dirs",         "env_files",      "routes",           "expiry_warning", "state_dir",
                   "state_interval",   "recent_calls",   "trusted_proxies",  "cache_max_age",  "watch",
                   "watch_debounce",   "watch_interval", "throttle",         "listen_unix",    "tls",
                   "original_request", "metrics_scope",  "status_scope",     "peers",          "shared_state"});
  if (const YAML::Node n = root["shared_state"]) readSharedState(r, n, config.sharedState);
  if (const YAML::Node n = root["peers"]; n && r.expectMap(n, "peers")) {
    for (const auto& item : n) {
      const std::string peer = item.first.IsScalar() ? item.first.Scalar() : "";
      const std::string where = "peers." + peer;
      if (!isValidName(peer)) {
        r.fail(item.first, "peers", "peer names must be 1-128 characters of letters, digits and . _ : @ + -");
        continue;
      }
      if (!r.expectMap(item.second, where)) continue;
      r.rejectUnknown(item.second, where, {"rate_limit"});
      if (const YAML::Node limit = item.second["rate_limit"]) {
        if (auto parsed = r.rateLimit(limit, where + ".rate_limit")) config.peerLimits.emplace_back(peer, *parsed);
      }
    }
  }
  r.rejectDuplicateKeys(root);
  if (const YAML::Node n = root["original_request"]) {
    const std::string value = n.IsScalar() ? n.Scalar() : "";
    if (value == "auto")
      config.originalRequest = OriginalRequestFrom::Auto;
    else if (value == "x-original")
      config.originalRequest = OriginalRequestFrom::XOriginal;
    else if (value == "x-forwarded")
      config.originalRequest = OriginalRequestFrom::XForwarded;
    else if (value == "envoy-path")
      config.originalRequest = OriginalRequestFrom::EnvoyPath;
    else
      r.fail(n, "original_request", "must be auto, x-original, x-forwarded or envoy-path");
  }
  ifPresent(
      root, "metrics_scope", [&](const YAML::Node& n) { return r.name(n, "metrics_scope"); }, config.metricsScope);
  ifPresent(
      root, "status_scope", [&](const YAML::Node& n) { return r.name(n, "status_scope"); }, config.statusScope);
  if (const YAML::Node n = root["tls"]; n && r.expectMap(n, "tls")) {
    r.rejectUnknown(n, "tls", {"listen", "cert_file", "key_file", "check_permissions"});
    ifPresent(
        n, "listen", [&](const YAML::Node& v) { return r.string(v, "tls.listen"); }, config.tls.listen);
    if (!config.tls.listen.empty() && !isValidListenAddress(config.tls.listen)) {
      r.fail(n["listen"], "tls.listen", "must be host:port with a port from 0 to 65535, such as 127.0.0.1:8443");
    }
    ifPresent(
        n, "cert_file", [&](const YAML::Node& v) { return r.path(v, "tls.cert_file"); }, config.tls.certFile);
    ifPresent(
        n, "key_file", [&](const YAML::Node& v) { return r.path(v, "tls.key_file"); }, config.tls.keyFile);
    ifPresent(
        n, "check_permissions", [&](const YAML::Node& v) { return r.boolean(v, "tls.check_permissions"); },
        config.tls.checkPermissions);
    if (config.tls.listen.empty() || config.tls.certFile.empty() || config.tls.keyFile.empty()) {
      r.fail(n, "tls", "needs 'listen', 'cert_file' and 'key_file'");
    }
  }
  if (const YAML::Node n = root["throttle"]; n && r.expectMap(n, "throttle")) {
    r.rejectUnknown(n, "throttle", {"max_failures", "window", "clients"});
    ifPresent(
        n, "max_failures", [&](const YAML::Node& v) { return r.count(v, "throttle.max_failures", 0, 1u << 30); },
        config.throttleFailures);
    ifPresent(
        n, "window", [&](const YAML::Node& v) { return r.duration(v, "throttle.window", kDay); },
        config.throttleWindow);
    ifPresent(
        n, "clients", [&](const YAML::Node& v) { return r.count(v, "throttle.clients", 64, 1u << 24); },
        config.throttleClients);
  }
  if (const YAML::Node n = root["listen_unix"]; n && r.expectMap(n, "listen_unix")) {
    r.rejectUnknown(n, "listen_unix", {"path", "mode"});
    ifPresent(
        n, "path", [&](const YAML::Node& v) { return r.string(v, "listen_unix.path"); }, config.listenUnix);
    if (const YAML::Node m = n["mode"]) {
      unsigned mode = 0;
      const std::string text = m.IsScalar() ? m.Scalar() : "";
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
      if (text.empty() || ec != std::errc() || end != text.data() + text.size() || mode > 0777) {
        r.fail(m, "listen_unix.mode", "must be an octal file mode such as 0660");
      } else {
        config.listenUnixMode = mode;
      }
    }
    if (config.listenUnix.empty() || config.listenUnix[0] != '/') {
      r.fail(n, "listen_unix", "needs an absolute 'path'");
    }
  }
  ifPresent(
      root, "watch", [&](const YAML::Node& n) { return r.boolean(n, "watch"); }, config.watch);
  ifPresent(
      root, "watch_debounce", [&](const YAML::Node& n) { return r.duration(n, "watch_debounce", minutes(1)); },
      config.watchDebounce);
  ifPresent(
      root, "watch_interval", [&](const YAML::Node& n) { return r.duration(n, "watch_interval", kDay); },
      config.watchInterval);
  if (const YAML::Node n = root["trusted_proxies"]) {
    config.trustedProxies.clear();
    if (!n.IsSequence()) r.fail(n, "trusted_proxies", "must be a list of addresses or CIDR ranges");
    for (std::size_t i = 0; n.IsSequence() && i < n.size(); ++i) {
      auto text = r.string(n[i], "trusted_proxies");
      if (text && !AddressRange::parse(*text)) {
        r.fail(n[i], "trusted_proxies", "is not an IP address or CIDR range");
      } else if (text) {
        config.trustedProxies.push_back(*text);
      }
    }
  }
  if (const YAML::Node n = root["cache_max_age"]) {
    auto value = n.IsScalar() ? parseDuration(n.Scalar()) : std::nullopt;
    if (!value || value->count() % 1000 != 0 || value->count() > 3'600'000) {
      r.fail(n, "cache_max_age", "must be whole seconds from 0s to 1h");
    } else {
      config.cacheMaxAge = *value;
    }
  }
  ifPresent(
      root, "expiry_warning", [&](const YAML::Node& n) { return r.duration(n, "expiry_warning", 365 * kDay); },
      config.expiryWarning);
  ifPresent(
      root, "state_dir", [&](const YAML::Node& n) { return r.path(n, "state_dir"); }, config.stateDir);
  ifPresent(
      root, "state_interval", [&](const YAML::Node& n) { return r.duration(n, "state_interval", hours(1)); },
      config.stateInterval);
  ifPresent(
      root, "recent_calls", [&](const YAML::Node& n) { return r.count(n, "recent_calls", 0, 1000); },
      config.recentCalls);
  if (const YAML::Node n = root["routes"]) readRoutes(r, n, config);
  if (const YAML::Node n = root["listen"]) {
    if (auto listen = r.string(n, "listen")) {
      if (isValidListenAddress(*listen))
        config.listen = *listen;
      else
        r.fail(n, "listen", "must be host:port with a port from 0 to 65535, such as 127.0.0.1:8420 or [::1]:8420");
    }
  }
  ifPresent(
      root, "workers", [&](const YAML::Node& n) { return r.count(n, "workers", 0, 256); }, config.workers);
  ifPresent(
      root, "shutdown_timeout", [&](const YAML::Node& n) { return r.duration(n, "shutdown_timeout", minutes(10)); },
      config.shutdownTimeout);
  if (const YAML::Node n = root["limits"]) readLimits(r, n, config.limits);
  if (const YAML::Node n = root["keys"]) readKeys(r, n, config);
  if (const YAML::Node n = root["key_dirs"]) readKeyDirs(r, n, config);
  if (const YAML::Node n = root["env_files"]) readEnvFiles(r, n, config);
}

}  // namespace

std::optional<Millis> parseDuration(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  std::uint64_t factor;
  if (unit.empty() || unit == "s")
    factor = 1000;
  else if (unit == "ms")
    factor = 1;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else if (unit == "d")
    factor = 86'400'000;
  else
    return std::nullopt;
  if (value > UINT64_MAX / factor / 2) return std::nullopt;
  return Millis(static_cast<Millis::rep>(value * factor));
}

ConfigResult parseConfigText(std::string_view yaml, const std::string& path) {
  ConfigResult result;
  ConfigReader reader(path);
  Config config;
  config.path = path;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) {
      result.errors.push_back(path + ": is empty");
      return result;
    }
    readTopLevel(reader, root, config);
  } catch (const YAML::Exception& e) {
    // e.what() repeats the mark; e.msg is the bare message.
    result.errors.push_back(path + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) +
                            ": invalid YAML: " + e.msg);
    return result;
  }
  result.errors = std::move(reader.errors());
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

ConfigResult loadConfigFile(const std::string& path) {
  // Read like key files: non-blocking, regular files only (a FIFO must not hang a reload).
  PlainFileRead read = readPlainFile(path, kMaxConfigBytes);
  if (!read.ok) {
    const bool missing = ::access(path.c_str(), F_OK) != 0 && errno == ENOENT;
    return {std::nullopt,
            {path + ": cannot read the config file: " + read.problem +
             (missing ? " (give another with --config or $KEYWARD_CONFIG)" : "")}};
  }
  return parseConfigText(read.content, path);
}

Config builtInConfig() {
  Config config;
  KeyDecl key;
  key.id = "default";
  key.peer = kDefaultPeer;
  key.origin = KeyOrigin::Env;
  key.ref = "AUTH_API_KEY";
  config.keys.push_back(key);
  return config;
}

std::optional<std::string> chooseConfigPath(const std::string& cliPath,
                                            const std::function<std::optional<std::string>(const char*)>& getEnv,
                                            const std::function<bool(const std::string&)>& fileExists) {
  if (!cliPath.empty()) return cliPath;
  if (auto fromEnv = getEnv("KEYWARD_CONFIG"); fromEnv && !fromEnv->empty()) return fromEnv;
  if (fileExists(kDefaultConfigPath)) return std::string(kDefaultConfigPath);
  return std::nullopt;
}

}  // namespace keyward

namespace keyward {

std::optional<std::string> chooseConfigPathForProcess(const std::string& cliPath) {
  return chooseConfigPath(
      cliPath,
      [](const char* name) -> std::optional<std::string> {
        const char* v = std::getenv(name);
        return v ? std::optional<std::string>(v) : std::nullopt;
      },
      [](const std::string& p) {
        struct stat st;
        return ::stat(p.c_str(), &st) == 0;
      });
}

}  // namespace keyward
