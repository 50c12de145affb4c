#include "keyward/config/RedisEndpoint.h"

#include <charconv>

namespace keyward {
namespace {

std::optional<int> number(std::string_view text, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return std::nullopt;
  }
  return value;
}

bool isHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

}  // namespace

std::string RedisEndpoint::describe() const {
  const std::string db = "/" + std::to_string(database);
  if (unixSocket) return "unix:" + path + db;
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + db;
}

std::optional<RedisEndpoint> parseRedisUrl(std::string_view url, std::string& problem) {
  RedisEndpoint out;
  constexpr std::string_view kUnix = "unix:", kRedis = "redis://", kTls = "rediss://";
  if (url.substr(0, kTls.size()) == kTls) {
    problem =
        "rediss:// (TLS) is not supported by Poco's Redis client; use a unix socket or a TLS "
        "tunnel (stunnel)";
    return std::nullopt;
  }
  if (url.substr(0, kUnix.size()) == kUnix) {
    std::string_view rest = url.substr(kUnix.size());
    if (rest.substr(0, 2) == "//") rest.remove_prefix(2);  // unix:///path
    if (const std::size_t q = rest.find('?'); q != std::string_view::npos) {
      std::string_view query = rest.substr(q + 1);
      rest = rest.substr(0, q);
      auto db = query.substr(0, 3) == "db=" ? number(query.substr(3), 1'000'000) : std::nullopt;
      if (!db) {
        problem = "a unix socket URL takes only ?db=N";
        return std::nullopt;
      }
      out.database = *db;
    }
    if (rest.empty() || rest.front() != '/') {
      problem = "a unix socket must be an absolute path, such as unix:/run/redis/redis.sock";
      return std::nullopt;
    }
    out.unixSocket = true;
    out.path = std::string(rest);
    return out;
  }
  if (url.substr(0, kRedis.size()) != kRedis) {
    problem = "must be redis://host:port/db or unix:/path/to/redis.sock";
    return std::nullopt;
  }
  std::string_view rest = url.substr(kRedis.size());
  if (rest.find('@') != std::string_view::npos) {
    problem = "must not hold a password (put it in password_file)";
    return std::nullopt;
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (authority.size() < rest.size()) {
    std::string_view db = rest.substr(authority.size() + 1);
    if (!db.empty()) {
      auto n = number(db, 1'000'000);
      if (!n) {
        problem = "the database after the '/' must be a number, such as redis://127.0.0.1:6379/0";
        return std::nullopt;
      }
      out.database = *n;
    }
  }
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close < 2) {
      problem = "an IPv6 host must be in brackets, such as redis://[::1]:6379";
      return std::nullopt;
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        problem = "expected ':port' after the IPv6 host";
        return std::nullopt;
      }
      port = after.substr(1);
    }
  } else if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    for (char c : host) {
      if (!isHostChar(c)) {
        problem = "the host must be a name or an address (IPv6 in brackets)";
        return std::nullopt;
      }
    }
  }
  if (host.empty()) {
    problem = "needs a host, such as redis://127.0.0.1:6379/0";
    return std::nullopt;
  }
  if (authority.front() != '[') {
    for (char c : host) {
      if (!isHostChar(c)) {
        problem = "the host must be a name or an address (IPv6 in brackets)";
        return std::nullopt;
      }
    }
  }
  if (!port.empty() || authority.back() == ':') {
    auto p = number(port, 65535);
    if (!p || *p == 0) {
      problem = "the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    out.port = *p;
  }
  out.host = std::string(host);
  return out;
}

}  // namespace keyward
