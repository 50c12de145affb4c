#include "keyward/server/EventLoop.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>

#include "keyward/http/ChunkedBody.h"

namespace keyward {

struct Connection {
  int fd = -1;
  SSL* ssl = nullptr;          // set on connections from a TLS listener
  bool tlsWantsWrite = false;  // OpenSSL needs the socket writable to go on reading
  bool lingering = false;
  bool closeAfterWrite = false;
  bool inputPaused = false;  // `in` holds requests not handled yet (a batch was full)
  std::uint32_t clientSlot = ClientSlots::kUnlimited;
  std::uint32_t interest = 0;
  std::string in;                 // bytes of a request head not complete yet (or held, below)
  std::size_t scanned = 0;        // how far the parser already looked into `in`
  std::size_t bodyToDiscard = 0;  // Content-Length bytes of an answered request still to skip
  // A chunked request is answered only once its body has been stepped over and found valid
  // (a bad one gets one refusal, never an answer and then a refusal). Meanwhile `in` holds
  // its head (heldHead bytes; the request views point into it) and nothing of the body.
  bool inChunkedBody = false;
  std::size_t heldHead = 0;
  bool continueSent = false;  // "100 Continue" was sent for the held head
  ChunkedBodySkipper chunked{0};
  // A request whose body is read (kBodyPath) waits in `in`, head and body, until all of the
  // body is here: its head (heldHead bytes) is not parsed again until then.
  std::size_t awaitedBody = 0;
  std::string out;  // response bytes the socket has not taken yet
  std::size_t outSent = 0;
  std::uint64_t requests = 0;
  ClientInfo client;
  // DeadlineList membership.
  DeadlineList* list = nullptr;
  Connection* prev = nullptr;
  Connection* next = nullptr;
  std::int64_t deadline = 0;
};

namespace {

constexpr std::size_t kReadBufferSize = 65536;
// One read takes at most this much: with the bounds below, what one connection can make the
// server hold is a few tens of KiB however much it pipelines.
constexpr std::size_t kMaxReadSize = 16384;
constexpr std::size_t kConnectionReadChunk = 4096;
// Work done for one connection before others get their turn, and the most output it may
// have waiting: past either, its remaining requests wait until the client has read.
constexpr std::size_t kMaxRequestsPerBatch = 64;
constexpr std::size_t kMaxBatchOutput = 32768;
constexpr int kMaxEvents = 256;
constexpr int kAcceptBatch = 32;
constexpr std::int64_t kLingerMs = 2000;
constexpr std::size_t kKeepBufferCapacity = 16384;

// The address that marks the wake-up eventfd in epoll; listeners are marked by pointers
// into listenFds_, connections by their Connection.
char wakeTag;

// recv()/send() for plain connections, SSL_read()/SSL_write() for TLS ones, with OpenSSL's
// "want read/write" reported as EAGAIN so the callers need not know the difference.
ssize_t transportRecv(Connection* c, char* data, std::size_t size) {
  if (!c->ssl) return ::recv(c->fd, data, size, 0);
  ERR_clear_error();
  const int n = SSL_read(c->ssl, data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
  if (n > 0) return n;
  switch (SSL_get_error(c->ssl, n)) {
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      c->tlsWantsWrite = true;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    default:
      errno = ECONNRESET;
      return -1;  // handshake failure, bad record, reset
  }
}

ssize_t transportSend(Connection* c, const char* data, std::size_t size) {
  if (!c->ssl) return ::send(c->fd, data, size, MSG_NOSIGNAL);
  if (size == 0) return 0;
  ERR_clear_error();
  const int n = SSL_write(c->ssl, data, static_cast<int>(std::min<std::size_t>(size, INT_MAX)));
  if (n > 0) return n;
  switch (SSL_get_error(c->ssl, n)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    default:
      errno = ECONNRESET;
      return -1;
  }
}

std::int64_t monotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// A request body the loop is still stepping over.
bool bodyPending(const Connection* c) { return c->bodyToDiscard > 0 || c->inChunkedBody; }

constexpr char kOverloaded[] =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
    "Connection: close\r\nRetry-After: 1\r\n\r\n{\"error\":\"TOO_MANY_CONNECTIONS\"}";

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

constexpr char kTimedOut[] =
    "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nContent-Length: 27\r\n"
    "Connection: close\r\n\r\n{\"error\":\"REQUEST_TIMEOUT\"}";

}  // namespace

std::string_view ClientInfo::host(std::array<char, INET6_ADDRSTRLEN>& buffer) const {
  buffer[0] = '\0';
  if (address.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, buffer.data(), buffer.size());
  } else if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr, buffer.data(), buffer.size());
  } else {
    return address.ss_family == AF_UNIX ? "unix" : "unknown";
  }
  return buffer.data();
}

std::string ClientInfo::text() const {
  char host[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return address.ss_family == AF_UNIX ? "unix" : "unknown";
}

EventLoop::EventLoop(const std::vector<int>& listenFds, const HttpServer::Options& options,
                     std::unique_ptr<RequestHandler> handler, std::atomic<std::uint64_t>& activeConnections,
                     ClientSlots& clientSlots)
    : listenFds_(listenFds),
      options_(options),
      handler_(std::move(handler)),
      activeConnections_(activeConnections),
      clientSlots_(clientSlots),
      parser_(options.limits, ChunkedBodies::Accept),
      readBuffer_(new char[kReadBufferSize]) {
  awaitingHead_.timeoutMs = options.limits.headerTimeout.count();
  idle_.timeoutMs = options.limits.idleTimeout.count();
  writing_.timeoutMs = options.limits.writeTimeout.count();
  lingering_.timeoutMs = kLingerMs;

  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  spareFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (epollFd_ < 0 || wakeFd_ < 0) throw std::runtime_error(std::string("event loop: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wakeTag;
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
  for (int& fd : listenFds_) {
    // One connection wakes one loop, not all of them.
    epoll_event lev{};
    lev.events = EPOLLIN | EPOLLEXCLUSIVE;
    lev.data.ptr = &fd;
    if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &lev) != 0) {
      throw std::runtime_error(std::string("event loop: cannot watch listener: ") + std::strerror(errno));
    }
  }
  refreshClock();
  out_.reserve(kReadBufferSize);
}

EventLoop::~EventLoop() {
  for (auto& c : pool_) {
    if (c->ssl) SSL_free(c->ssl);
    if (c->fd >= 0) ::close(c->fd);
  }
  if (spareFd_ >= 0) ::close(spareFd_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
  if (epollFd_ >= 0) ::close(epollFd_);
}

void EventLoop::stop() {
  stopRequested_.store(true, std::memory_order_release);
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

void EventLoop::refreshClock() {
  nowMs_ = monotonicMs();
  timespec wall;
  clock_gettime(CLOCK_REALTIME_COARSE, &wall);
  if (wall.tv_sec == dateSecond_) return;
  dateSecond_ = wall.tv_sec;
  tm utc;
  gmtime_r(&wall.tv_sec, &utc);
  dateHeaderLength_ = strftime(dateHeader_, sizeof dateHeader_, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &utc);
}

int EventLoop::nextTimeoutMs() const {
  std::int64_t next = nowMs_ + 1000;  // also bounds how stale the clock and date can get
  for (const DeadlineList* list : {&awaitingHead_, &idle_, &writing_, &lingering_}) {
    if (list->head && list->head->deadline < next) next = list->head->deadline;
  }
  if (stopping_ && stopDeadline_ < next) next = stopDeadline_;
  return next <= nowMs_ ? 0 : static_cast<int>(next - nowMs_);
}

void EventLoop::run() {
  epoll_event events[kMaxEvents];
  while (true) {
    int n = epoll_wait(epollFd_, events, kMaxEvents, nextTimeoutMs());
    refreshClock();
    for (int i = 0; i < n; ++i) {
      void* tag = events[i].data.ptr;
      if (tag == &wakeTag) {
        std::uint64_t value;
        [[maybe_unused]] ssize_t r = ::read(wakeFd_, &value, sizeof value);
        continue;
      }
      if (isListener(tag)) {
        if (!stopping_) acceptConnections(*static_cast<int*>(tag));
        continue;
      }
      auto* c = static_cast<Connection*>(tag);
      if (c->lingering) {
        drainLingering(c);
      } else if ((events[i].events & EPOLLOUT) && c->tlsWantsWrite && c->out.empty()) {
        // A TLS handshake (or key update) waited for the socket to take its bytes.
        c->tlsWantsWrite = false;
        setInterest(c, EPOLLIN);
        onReadable(c);
      } else if (events[i].events & EPOLLOUT) {
        onWritable(c);
      } else {
        onReadable(c);
      }
    }
    expireDeadlines();
    if (!stopping_ && stopRequested_.load(std::memory_order_acquire)) beginStop();
    if (stopping_ && (connectionCount_ == 0 || nowMs_ >= stopDeadline_)) break;
  }
  for (auto& c : pool_) {
    if (c->fd >= 0) close(c.get());
  }
}

bool EventLoop::isListener(const void* tag) const {
  auto address = reinterpret_cast<std::uintptr_t>(tag);
  auto first = reinterpret_cast<std::uintptr_t>(listenFds_.data());
  return address >= first && address < first + listenFds_.size() * sizeof(int);
}

void EventLoop::beginStop() {
  stopping_ = true;
  stopDeadline_ = nowMs_ + options_.shutdownTimeout.count();
  for (int fd : listenFds_) epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
  // Idle connections have nothing in flight: close them now. Fresh ones that have sent
  // nothing yet are idle too. Anything mid-request finishes with "Connection: close".
  while (idle_.head) close(idle_.head);
  for (Connection* c = awaitingHead_.head; c;) {
    Connection* next = c->next;
    if (c->in.empty() && !bodyPending(c)) close(c);
    c = next;
  }
}

void EventLoop::acceptConnections(int listenFd) {
  std::size_t index = 0;
  while (index < listenFds_.size() && listenFds_[index] != listenFd) ++index;
  const bool tls = index < options_.tlsListener.size() && options_.tlsListener[index] && options_.tls;
  for (int k = 0; k < kAcceptBatch; ++k) {
    ClientInfo client;
    client.length = sizeof client.address;
    int fd =
        accept4(listenFd, reinterpret_cast<sockaddr*>(&client.address), &client.length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if ((errno == EMFILE || errno == ENFILE) && spareFd_ >= 0) {
        // Out of descriptors: take the connection off the queue and close it, so the
        // listener does not stay readable and spin the loop.
        ::close(spareFd_);
        int victim = accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (victim >= 0) ::close(victim);
        spareFd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        counters_.refused.fetch_add(1, std::memory_order_relaxed);
      }
      return;
    }
    const std::uint32_t slot = clientSlots_.slotOf(client.address);
    const bool overloaded =
        activeConnections_.fetch_add(1, std::memory_order_relaxed) >= options_.limits.maxConnections;
    if (overloaded || !clientSlots_.tryTake(slot)) {
      activeConnections_.fetch_sub(1, std::memory_order_relaxed);
      // (A TLS client would not understand a plain-text 503: it is just closed.)
      if (!tls) [[maybe_unused]]
        ssize_t w = ::send(fd, kOverloaded, sizeof kOverloaded - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      counters_.refused.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (client.address.ss_family == AF_INET || client.address.ss_family == AF_INET6) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    SSL* ssl = nullptr;
    if (tls) {
      ssl = options_.tls->newConnection(fd);
      if (!ssl) {
        ::close(fd);
        activeConnections_.fetch_sub(1, std::memory_order_relaxed);
        clientSlots_.release(slot);
        continue;
      }
    }
    Connection* c = allocate();
    c->fd = fd;
    c->clientSlot = slot;
    c->ssl = ssl;
    c->tlsWantsWrite = false;
    c->client = client;
    c->interest = EPOLLIN;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(c);
      continue;
    }
    ++connectionCount_;
    counters_.accepted.fetch_add(1, std::memory_order_relaxed);
    append(awaitingHead_, c);
  }
}

void EventLoop::onReadable(Connection* c) {
  char* target;
  std::size_t capacity;
  std::size_t kept = c->in.size();
  if (kept == 0) {
    target = readBuffer_.get();
    capacity = kReadBufferSize;
  } else {
    c->in.resize(kept + kConnectionReadChunk);
    target = c->in.data() + kept;
    capacity = kConnectionReadChunk;
  }
  capacity = std::min(capacity, kMaxReadSize);
  ssize_t n = transportRecv(c, target, capacity);
  if (n <= 0) {
    if (kept > 0) c->in.resize(kept);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (c->tlsWantsWrite && c->interest != (EPOLLIN | EPOLLOUT)) setInterest(c, EPOLLIN | EPOLLOUT);
      return;
    }
    close(c);  // orderly shutdown by the peer, or a reset
    return;
  }
  if (kept == 0) {
    processInput(c, target, static_cast<std::size_t>(n), false);
  } else {
    c->in.resize(kept + static_cast<std::size_t>(n));
    processInput(c, c->in.data(), c->in.size(), true);
  }
  // OpenSSL may hold decrypted bytes the socket no longer signals: take them now.
  if (c->fd >= 0 && c->ssl && !c->lingering && c->interest == EPOLLIN && SSL_pending(c->ssl) > 0) onReadable(c);
}

void EventLoop::processInput(Connection* c, const char* data, std::size_t size, bool inConnectionBuffer) {
  out_.clear();
  std::size_t offset = 0;
  std::size_t handled = 0;
  bool completed = false;
  bool holdHead = false;  // a chunked request's body is still arriving
  // A held head (`bytes` at `at`) parsed again once its body is here: the parser is stateless
  // (same bytes, same request) and `in` may have moved since the first parse, so the
  // request's views are renewed. It parsed before; false cannot happen.
  auto reparseHeldHead = [&](std::size_t at, std::size_t bytes) {
    std::size_t scanned = 0;
    return parser_.parse(data + at, bytes, scanned, request_).status == ParseStatus::Complete;
  };
  c->inputPaused = false;
  while (offset < size && !c->closeAfterWrite) {
    if (handled == kMaxRequestsPerBatch || out_.size() >= kMaxBatchOutput) {
      // The rest waits until the client has taken these answers: a pipelined flood costs
      // one batch of work and memory at a time, and other connections get their turn.
      c->inputPaused = true;
      break;
    }
    if (c->bodyToDiscard > 0) {
      std::size_t take = std::min(c->bodyToDiscard, size - offset);
      offset += take;
      c->bodyToDiscard -= take;
      continue;
    }
    std::size_t headBytes = 0;
    const bool moreOfABody = c->inChunkedBody;
    if (c->awaitedBody > 0) {
      // Still short of the body it announced: checked without parsing its head again.
      if (size - offset - c->heldHead < c->awaitedBody) break;
      if (!reparseHeldHead(offset, c->heldHead)) {
        close(c);  // never answer a request that was not parsed
        return;
      }
      headBytes = c->heldHead;
      c->awaitedBody = 0;
      c->heldHead = 0;
    } else if (moreOfABody) {
      // More of a held chunked request's body: its head is at the start of `in`, parsed again
      // only once the body is over (below). Parsing it on every read would cost a whole head,
      // up to max_header_bytes, per body segment a client sends.
      headBytes = c->heldHead;
    } else {
      ParseResult parsed = parser_.parse(data + offset, size - offset, c->scanned, request_);
      if (parsed.status == ParseStatus::NeedMore) break;
      if (parsed.status == ParseStatus::Invalid) {
        counters_.badRequests.fetch_add(1, std::memory_order_relaxed);
        writeError(parsed.errorStatus, parsed.reason);
        c->closeAfterWrite = true;
        offset = size;
        break;
      }
      headBytes = parsed.headBytes;
      if (request_.chunked) {
        c->chunked = ChunkedBodySkipper(options_.limits.maxBodyBytes);
        c->inChunkedBody = true;
        c->continueSent = false;
      }
    }
    if (c->inChunkedBody) {
      // Step over the body before answering: whether the request is answered at all depends
      // on it. Body bytes are skipped as they come, never kept.
      const std::size_t bodyStart = offset + headBytes;
      const std::size_t used = c->chunked.consume(data + bodyStart, size - bodyStart);
      const ChunkedBodySkipper::State state = c->chunked.state();
      if (state == ChunkedBodySkipper::State::NeedMore) {
        // All of the input was body: keep the head only, wait for more (the header timeout
        // covers the whole request, head and body).
        c->heldHead = headBytes;
        holdHead = true;
        // request_ is this connection's only on the first pass (later ones do not parse).
        if (!moreOfABody && request_.expectContinue && !c->continueSent) {
          // The client waits for this before sending the body it announced.
          out_.append(kContinue, sizeof kContinue - 1);
          c->continueSent = true;
        }
        break;
      }
      c->inChunkedBody = false;
      c->heldHead = 0;
      if (state == ChunkedBodySkipper::State::Invalid) {
        // Not answered: the one answer is the refusal, and the connection cannot be framed
        // any more.
        counters_.badRequests.fetch_add(1, std::memory_order_relaxed);
        writeError(c->chunked.errorStatus(), c->chunked.reason());
        c->closeAfterWrite = true;
        offset = size;
        break;
      }
      if (moreOfABody && !reparseHeldHead(offset, headBytes)) {
        close(c);  // never answer a request that was not parsed
        return;
      }
      request_.body = {};
      offset = bodyStart + used;
      completed = true;
      ++handled;
      handleRequest(c);
      continue;
    }
    request_.body = {};
    if (request_.contentLength > 0 && request_.path == kBodyPath) {
      // The one request whose body is read: handle it once all of it is here (the parser
      // bounded it; the header timeout bounds the wait). Until then the bytes stay in `in`.
      if (size - offset - headBytes < request_.contentLength) {
        c->heldHead = headBytes;
        c->awaitedBody = request_.contentLength;
        break;
      }
      request_.body = std::string_view(data + offset + headBytes, request_.contentLength);
    }
    offset += headBytes;
    completed = true;
    ++handled;
    if (request_.contentLength > 0) {
      // A Content-Length body (other than kBodyPath's) is answered before it is all here,
      // and that is harmless: the parser bounded the length (413 at the head), the answer
      // is the request's only one, and the length frames the next request exactly, so the
      // rest is skipped as it comes. A body that never comes ends the connection without a
      // second answer (see expireDeadlines).
      std::size_t available = std::min(request_.contentLength, size - offset);
      offset += available;
      c->bodyToDiscard = request_.contentLength - available;
    }
    handleRequest(c);
  }

  if (holdHead) {
    // The held chunked head stays at the start of `in`; the body bytes after it are dropped.
    if (inConnectionBuffer) {
      c->in.erase(0, offset);
      c->in.resize(c->heldHead);
    } else {
      c->in.assign(data + offset, c->heldHead);
    }
    c->scanned = 0;
  } else if (c->closeAfterWrite || offset >= size) {
    if (c->in.capacity() > kKeepBufferCapacity) {
      std::string().swap(c->in);
    } else {
      c->in.clear();
    }
    c->scanned = 0;
  } else if (inConnectionBuffer) {
    c->in.erase(0, offset);
  } else {
    c->in.assign(data + offset, size - offset);
  }
  flush(c, completed);
}

void EventLoop::handleRequest(Connection* c) {
  ++c->requests;
  counters_.requests.fetch_add(1, std::memory_order_relaxed);
  bool keepAlive = request_.keepAlive && !stopping_ && c->requests < options_.limits.maxRequestsPerConnection;
  // A client waiting for "100 Continue" gets the final answer instead; its body will not
  // follow on this connection then, so close it rather than misread the body as a request.
  if (request_.expectContinue && bodyPending(c)) keepAlive = false;
  std::size_t mark = out_.size();
  ResponseWriter writer(out_, std::string_view(dateHeader_, dateHeaderLength_));
  writer.prepare(request_.isHead(), keepAlive, request_.minorVersion == 0);
  try {
    handler_->handle(request_, c->client, writer);
  } catch (...) {
    // Whatever the handler had written is discarded: a failure never becomes a 2xx.
    counters_.handlerErrors.fetch_add(1, std::memory_order_relaxed);
    out_.resize(mark);
    ResponseWriter failure(out_, std::string_view(dateHeader_, dateHeaderLength_));
    failure.prepare(request_.isHead(), false, request_.minorVersion == 0);
    failure.status(500);
    failure.header("Cache-Control", "no-store");
    failure.finish("application/json", "{\"error\":\"INTERNAL_ERROR\"}");
    c->closeAfterWrite = true;
    return;
  }
  if (!writer.keepAlive()) c->closeAfterWrite = true;
}

void EventLoop::writeError(int status, std::string_view reason) {
  ResponseWriter writer(out_, std::string_view(dateHeader_, dateHeaderLength_));
  writer.prepare(false, false, false);
  writer.status(status);
  writer.header("Cache-Control", "no-store");
  std::string body = "{\"error\":\"BAD_REQUEST\",\"reason\":\"";
  body += reason;  // fixed texts from the parser, never request bytes
  body += "\"}";
  writer.finish("application/json", body);
}

void EventLoop::flush(Connection* c, bool completedRequest) {
  if (!out_.empty()) {
    ssize_t n = transportSend(c, out_.data(), out_.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        close(c);
        return;
      }
      n = 0;
    }
    if (static_cast<std::size_t>(n) < out_.size()) {
      c->out.assign(out_.data() + n, out_.size() - static_cast<std::size_t>(n));
      c->outSent = 0;
      if (c->interest != EPOLLOUT) setInterest(c, EPOLLOUT);  // stop reading until the client takes its responses
      // The write deadline is a total for this batch: a client taking a few bytes now and
      // then does not renew it.
      if (c->list != &writing_) append(writing_, c);
      return;
    }
  }
  if (c->closeAfterWrite) {
    finishConnection(c);
    return;
  }
  if (c->inputPaused) {
    // Everything sent, requests still waiting: come back when the socket is writable (at
    // once, normally), after the other ready connections.
    if (c->interest != EPOLLOUT) setInterest(c, EPOLLOUT);
    if (c->list != &writing_) append(writing_, c);
    return;
  }
  if (c->interest != EPOLLIN) setInterest(c, EPOLLIN);
  if (!c->in.empty() || bodyPending(c)) {
    // A request head (or body) is arriving: its deadline runs from its first byte, and is
    // not renewed by more bytes of the same request.
    if (completedRequest || c->list != &awaitingHead_) append(awaitingHead_, c);
  } else {
    append(idle_, c);
  }
}

void EventLoop::onWritable(Connection* c) {
  if (c->outSent < c->out.size()) {
    ssize_t n = transportSend(c, c->out.data() + c->outSent, c->out.size() - c->outSent);
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) close(c);
      return;
    }
    c->outSent += static_cast<std::size_t>(n);
    if (c->outSent < c->out.size()) return;  // progress does not renew the deadline
    if (c->out.capacity() > kKeepBufferCapacity) {
      std::string().swap(c->out);
    } else {
      c->out.clear();
    }
    c->outSent = 0;
  }
  if (c->closeAfterWrite) {
    finishConnection(c);
    return;
  }
  if (c->inputPaused) {
    // The client took its answers: the next batch of its requests, with a fresh deadline.
    unlink(c);
    processInput(c, c->in.data(), c->in.size(), true);
    return;
  }
  setInterest(c, EPOLLIN);
  if (!c->in.empty() || bodyPending(c)) {
    append(awaitingHead_, c);
  } else {
    append(idle_, c);
  }
}

// After the last response: shut our side and read until the client closes, so that
// unread request bytes do not make the kernel reset the connection and destroy the
// response before the client has read it.
void EventLoop::finishConnection(Connection* c) {
  if (c->ssl) SSL_shutdown(c->ssl);  // close_notify, best effort
  ::shutdown(c->fd, SHUT_WR);
  c->lingering = true;
  if (c->interest != EPOLLIN) setInterest(c, EPOLLIN);
  append(lingering_, c);
}

void EventLoop::drainLingering(Connection* c) {
  ssize_t n = ::recv(c->fd, readBuffer_.get(), kReadBufferSize, 0);
  if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))) return;
  close(c);
}

void EventLoop::setInterest(Connection* c, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = c;
  epoll_ctl(epollFd_, EPOLL_CTL_MOD, c->fd, &ev);
  c->interest = events;
}

void EventLoop::expireDeadlines() {
  while (awaitingHead_.head && awaitingHead_.head->deadline <= nowMs_) {
    Connection* c = awaitingHead_.head;
    // A client that started a request and did not finish it in time gets told why, unless
    // the request was answered already (a Content-Length body still arriving): one answer
    // per request. `in` is empty while such a body is skipped.
    if (!c->in.empty() && c->bodyToDiscard == 0) {
      [[maybe_unused]] ssize_t w = transportSend(c, kTimedOut, sizeof kTimedOut - 1);
    }
    counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
    close(c);
  }
  for (DeadlineList* list : {&idle_, &writing_, &lingering_}) {
    while (list->head && list->head->deadline <= nowMs_) {
      if (list != &lingering_) counters_.timeouts.fetch_add(1, std::memory_order_relaxed);
      close(list->head);
    }
  }
}

void EventLoop::close(Connection* c) {
  unlink(c);
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = nullptr;
  }
  ::close(c->fd);  // also removes it from epoll: the fd is never duplicated
  c->fd = -1;
  --connectionCount_;
  activeConnections_.fetch_sub(1, std::memory_order_relaxed);
  clientSlots_.release(c->clientSlot);
  c->clientSlot = ClientSlots::kUnlimited;
  release(c);
}

void EventLoop::append(DeadlineList& list, Connection* c) {
  unlink(c);
  c->deadline = nowMs_ + list.timeoutMs;
  c->list = &list;
  c->prev = list.tail;
  c->next = nullptr;
  if (list.tail) {
    list.tail->next = c;
  } else {
    list.head = c;
  }
  list.tail = c;
}

void EventLoop::unlink(Connection* c) {
  DeadlineList* list = c->list;
  if (!list) return;
  (c->prev ? c->prev->next : list->head) = c->next;
  (c->next ? c->next->prev : list->tail) = c->prev;
  c->prev = c->next = nullptr;
  c->list = nullptr;
}

Connection* EventLoop::allocate() {
  if (free_.empty()) {
    pool_.push_back(std::make_unique<Connection>());
    return pool_.back().get();
  }
  Connection* c = free_.back();
  free_.pop_back();
  return c;
}

void EventLoop::release(Connection* c) {
  c->lingering = false;
  c->closeAfterWrite = false;
  c->inputPaused = false;
  c->interest = 0;
  if (c->in.capacity() > kKeepBufferCapacity) std::string().swap(c->in);
  if (c->out.capacity() > kKeepBufferCapacity) std::string().swap(c->out);
  c->in.clear();
  c->out.clear();
  c->scanned = 0;
  c->bodyToDiscard = 0;
  c->inChunkedBody = false;
  c->heldHead = 0;
  c->continueSent = false;
  c->awaitedBody = 0;
  c->outSent = 0;
  c->requests = 0;
  free_.push_back(c);
}

}  // namespace keyward
