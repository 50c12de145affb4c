#include "keyward/server/HttpServer.h"

#include <fcntl.h>

#include <stdexcept>

#include "keyward/server/EventLoop.h"

namespace keyward {

HttpServer::HttpServer(std::vector<int> listenFds, Options options, HandlerFactory factory)
    : listenFds_(std::move(listenFds)),
      options_(options),
      factory_(std::move(factory)),
      clientSlots_(std::make_unique<ClientSlots>(options_.limits.connectionsPerClient(), options_.unlimitedClients)) {
  if (options_.workers == 0) options_.workers = 1;
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  for (int fd : listenFds_) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      throw std::runtime_error("cannot make the listening socket non-blocking");
    }
  }
  for (unsigned i = 0; i < options_.workers; ++i) {
    loops_.push_back(std::make_unique<EventLoop>(listenFds_, options_, factory_(i), activeConnections_, *clientSlots_));
  }
  for (auto& loop : loops_) {
    threads_.emplace_back([l = loop.get()] { l->run(); });
  }
}

void HttpServer::stop() {
  for (auto& loop : loops_) loop->stop();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
}

ServerStats HttpServer::stats() const {
  ServerStats total;
  for (const auto& loop : loops_) {
    const LoopCounters& c = loop->counters();
    total.connectionsAccepted += c.accepted.load(std::memory_order_relaxed);
    total.connectionsRefused += c.refused.load(std::memory_order_relaxed);
    total.requests += c.requests.load(std::memory_order_relaxed);
    total.badRequests += c.badRequests.load(std::memory_order_relaxed);
    total.timeouts += c.timeouts.load(std::memory_order_relaxed);
    total.handlerErrors += c.handlerErrors.load(std::memory_order_relaxed);
  }
  total.connectionsActive = activeConnections_.load(std::memory_order_relaxed);
  return total;
}

}  // namespace keyward
