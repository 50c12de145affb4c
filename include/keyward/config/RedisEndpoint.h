#pragma once
// Where the shared state's Redis is: `redis://host:port/db` (TCP; port 6379 and database 0
// when left out; IPv6 hosts in brackets) or `unix:/path/redis.sock` (a unix socket, with an
// optional `?db=N`). A password in the URL is refused: it belongs in `password_file`, so
// that it is never in the config, the logs or /v1/status. `rediss://` (TLS) is refused too:
// Poco's Redis client has no TLS (use a unix socket, or stunnel on both ends).

#include <optional>
#include <string>
#include <string_view>

namespace keyward {

struct RedisEndpoint {
  bool unixSocket = false;
  std::string host;  // TCP: a name or an address (without brackets)
  int port = 6379;
  std::string path;  // unix socket
  int database = 0;  // 0..15 by Redis's default; any 0..1,000,000 is accepted here

  // "127.0.0.1:6379/0" or "unix:/run/redis.sock/0": for logs and /v1/status (no secret).
  std::string describe() const;
};

// Parses `url`. nullopt with `problem` (what is wrong, quoting no password) otherwise.
std::optional<RedisEndpoint> parseRedisUrl(std::string_view url, std::string& problem);

}  // namespace keyward
