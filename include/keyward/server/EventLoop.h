#pragma once
// One epoll loop of HttpServer: accepts connections, reads, parses, calls the handler,
// writes, and enforces the deadlines. Used by one thread; only stop() and the counters
// may be touched from others. Internal to HttpServer.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keyward/http/HttpParser.h"
#include "keyward/server/HttpServer.h"

namespace keyward {

struct Connection;

// Connections waiting on the same kind of deadline. Every member of one list has the same
// timeout, so appending on each renewal keeps the list sorted by deadline: expiry only
// ever looks at the head.
struct DeadlineList {
  Connection* head = nullptr;
  Connection* tail = nullptr;
  std::int64_t timeoutMs = 0;
};

struct LoopCounters {
  std::atomic<std::uint64_t> accepted{0}, refused{0}, requests{0}, badRequests{0}, timeouts{0}, handlerErrors{0};
};

class EventLoop {
 public:
  EventLoop(const std::vector<int>& listenFds, const HttpServer::Options& options,
            std::unique_ptr<RequestHandler> handler, std::atomic<std::uint64_t>& activeConnections,
            ClientSlots& clientSlots);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  void run();   // until stop() and the last connection is gone (or the shutdown timeout)
  void stop();  // thread-safe; wakes the loop

  const LoopCounters& counters() const { return counters_; }

 private:
  bool isListener(const void* tag) const;
  void acceptConnections(int listenFd);
  void onReadable(Connection* c);
  void onWritable(Connection* c);
  void drainLingering(Connection* c);
  void processInput(Connection* c, const char* data, std::size_t size, bool inConnectionBuffer);
  void handleRequest(Connection* c);
  void writeError(int status, std::string_view code);
  void flush(Connection* c, bool completedRequest);
  void finishConnection(Connection* c);
  void close(Connection* c);
  void setInterest(Connection* c, std::uint32_t events);
  void beginStop();
  void expireDeadlines();
  int nextTimeoutMs() const;
  void refreshClock();

  void append(DeadlineList& list, Connection* c);
  void unlink(Connection* c);

  Connection* allocate();
  void release(Connection* c);

  std::vector<int> listenFds_;  // never resized: epoll entries point into it
  HttpServer::Options options_;
  std::unique_ptr<RequestHandler> handler_;
  std::atomic<std::uint64_t>& activeConnections_;
  ClientSlots& clientSlots_;
  HttpParser parser_;

  int epollFd_ = -1;
  int wakeFd_ = -1;
  int spareFd_ = -1;  // released to accept-and-close when the process is out of descriptors
  std::atomic<bool> stopRequested_{false};
  bool stopping_ = false;
  std::int64_t stopDeadline_ = 0;
  std::size_t connectionCount_ = 0;

  std::int64_t nowMs_ = 0;  // monotonic
  std::int64_t dateSecond_ = -1;
  char dateHeader_[64] = {};
  std::size_t dateHeaderLength_ = 0;

  DeadlineList awaitingHead_;  // new connections and partly received requests
  DeadlineList idle_;          // keep-alive connections between requests
  DeadlineList writing_;       // answers the client has not taken yet (a total deadline)
  DeadlineList lingering_;     // closing: write side shut, draining input

  std::vector<std::unique_ptr<Connection>> pool_;
  std::vector<Connection*> free_;
  std::unique_ptr<char[]> readBuffer_;
  std::string out_;  // responses of the current input batch
  HttpRequest request_;
  LoopCounters counters_;
};

}  // namespace keyward
