#pragma once
// The HTTP/1.1 server: one epoll event loop per worker thread, all sharing the listening
// sockets (EPOLLEXCLUSIVE wakes one loop per new connection). Each loop owns its
// connections outright, so the request path takes no locks.
//
// Why not Poco's HTTPServer: it holds a thread per connection, so slow or idle keep-alive
// clients starve everyone else, and it cannot reach the throughput bar (see README,
// Performance). Poco still provides the sockets' creation and addresses.

#include <arpa/inet.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "keyward/config/Config.h"
#include "keyward/http/HttpRequest.h"
#include "keyward/http/ResponseWriter.h"
#include "keyward/server/ClientSlots.h"
#include "keyward/server/TlsContext.h"

namespace keyward {

struct ClientInfo {
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text() const;  // "127.0.0.1:50123", "[::1]:50123" or "unix"
  // The address alone ("127.0.0.1", "::1", "unix"), written into `buffer`; no allocation.
  std::string_view host(std::array<char, INET6_ADDRSTRLEN>& buffer) const;
};

// Answers requests. One instance per event loop, used only on that loop's thread.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Writes exactly one response. An exception becomes a 500 with the connection closed.
  virtual void handle(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) = 0;
};

using HandlerFactory = std::function<std::unique_ptr<RequestHandler>(unsigned loopIndex)>;

// Totals over all loops; each counter is written by one loop thread and read by anyone.
struct ServerStats {
  std::uint64_t connectionsAccepted = 0;
  std::uint64_t connectionsRefused = 0;  // over max_connections or the client's share
  std::uint64_t connectionsActive = 0;
  std::uint64_t requests = 0;
  std::uint64_t badRequests = 0;    // refused by the parser (4xx/5xx, connection closed)
  std::uint64_t timeouts = 0;       // header deadline, idle or write timeout
  std::uint64_t handlerErrors = 0;  // exceptions turned into 500
};

class EventLoop;

class HttpServer {
 public:
  struct Options {
    unsigned workers = 1;
    HttpLimits limits;
    Millis shutdownTimeout{10000};
    // Listeners (by index into listenFds) whose connections speak TLS with `tls`.
    std::vector<bool> tlsListener;
    const TlsContext* tls = nullptr;
    // Addresses not held to limits.max_connections_per_client (trusted proxies).
    std::vector<AddressRange> unlimitedClients;
  };

  // `listenFds` are bound, listening sockets; the server makes them non-blocking but does
  // not own them (close them after stop()).
  HttpServer(std::vector<int> listenFds, Options options, HandlerFactory factory);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts the worker threads. Throws std::runtime_error if a loop cannot be set up.
  void start();
  // Stops accepting, lets requests in progress finish (up to the shutdown timeout), closes
  // idle connections and joins the threads. Safe to call more than once.
  void stop();

  ServerStats stats() const;

 private:
  std::vector<int> listenFds_;
  Options options_;
  HandlerFactory factory_;
  std::atomic<std::uint64_t> activeConnections_{0};
  std::unique_ptr<ClientSlots> clientSlots_;  // per-address share of max_connections
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::vector<std::thread> threads_;
};

}  // namespace keyward
