#pragma once
// Bounds on what one client may make the HTTP server hold (`limits:` in the config).

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace keyward {

using Millis = std::chrono::milliseconds;

inline constexpr std::size_t kMaxHeaderCountLimit = 8192;  // 64 KiB of the shortest fields

// Bounds on what one client may make the server hold. Defaults are safe for a loopback or
// LAN auth backend; every one is settable under `limits:` in the YAML.
struct HttpLimits {
  // Defaults never refuse what a shipped proxy passes on: nginx forwards a client's headers
  // (up to 4 x 8 KiB, any number of fields) to its auth subrequest, and turns keyward's 431
  // into a 500 for the client. Envoy allows 60 KiB, HAProxy 16 KiB.
  std::size_t maxHeaderBytes = 65536;  // request line + all header lines
  std::size_t maxHeaderCount = 8192;   // header fields per request (at most 8192)
  std::size_t maxUriBytes = 8192;      // request target
  std::size_t maxBodyBytes = 1024;     // verify reads no body; a larger one is refused
  std::uint64_t maxRequestsPerConnection = 1000000;
  Millis headerTimeout{5000};         // whole request head, from its first byte
  Millis idleTimeout{60000};          // keep-alive connection with no request
  Millis writeTimeout{10000};         // whole time a client may take to read answers
  std::size_t maxConnections = 4096;  // beyond it new connections are refused at once
  // Connections one client address may hold (0 = max_connections / 4), so that one client
  // cannot take every slot.
  std::size_t maxConnectionsPerClient = 0;

  std::size_t connectionsPerClient() const {
    return maxConnectionsPerClient ? maxConnectionsPerClient : std::max<std::size_t>(1, maxConnections / 4);
  }
};

}  // namespace keyward
