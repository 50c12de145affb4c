#pragma once
// The pieces of an end-to-end test through a real reverse proxy: a small upstream API that
// records what reaches it, the proxy itself (nginx, Caddy or HAProxy) started with the
// shipped config from config/ (addresses substituted in a temporary copy), and a client
// that can choose its loopback source address (127.0.0.2, 127.0.0.3, ...) so throttling can
// tell clients apart. Loopback only; every process is stopped by its destructor.
// Built into the e2e suite only: it needs NGINX_BIN, CADDY_BIN and HAPROXY_BIN defined.

#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/ServerSocket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "support/Daemon.h"
#include "support/TempDir.h"
#include "support/TestHttp.h"

namespace keyward::test {

// The API behind the proxy: answers 200 {"api":"ok"} and remembers the last request.
// Thread-safe.
class UpstreamApi {
 public:
  UpstreamApi();
  ~UpstreamApi();
  int port() const { return socket_.address().port(); }
  int calls() const { return calls_.load(); }
  // Header of the last request (name lower-cased), "" when absent.
  std::string lastHeader(const std::string& lowerName) const;
  bool lastHad(const std::string& lowerName) const;
  std::string lastUri() const;  // request target as the API received it

 private:
  friend struct UpstreamHandler;
  void record(const std::string& uri, std::map<std::string, std::string> headers);
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<int> calls_{0};
  mutable std::mutex mutex_;
  std::string lastUri_;
  std::map<std::string, std::string> last_;
};

enum class ProxyKind { Nginx, Caddy, Haproxy };
std::string proxyName(ProxyKind kind);
// The `original_request` value the shipped config of this proxy says to set.
std::string originalRequestFor(ProxyKind kind);
// False (and a reason) when the proxy binary is not installed.
bool proxyInstalled(ProxyKind kind, std::string* binary = nullptr);

// A proxy running the shipped config, pointed at keyward's unix socket and the test's API.
class ProxyProcess {
 public:
  ProxyProcess(ProxyKind kind, const TempDir& dir, const std::string& keywardSocket, int apiPort);
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;
  int port() const { return port_; }
  // Until the proxy answers HTTP (any status) on its port.
  bool waitReady(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::string log() const;  // the proxy's error log / output, for failure messages

 private:
  ProxyKind kind_;
  int port_;
  std::string logPath_;
  std::unique_ptr<Daemon> process_;
};

// A keep-alive client from a chosen loopback source address (any 127.x.y.z; Linux routes
// the whole 127/8 to lo) that opens a new connection when the last one was closed.
class SourceClient {
 public:
  SourceClient(int port, std::string source = "127.0.0.1") : port_(port), source_(std::move(source)) {}
  std::optional<HttpResponse> request(const std::string& method, const std::string& target,
                                      const Headers& headers = {});

 private:
  int port_;
  std::string source_;
  std::unique_ptr<HttpConnection> connection_;
};

// One request on a fresh connection from `source`.
std::optional<HttpResponse> requestFrom(const std::string& source, int port, const std::string& method,
                                        const std::string& target, const Headers& headers = {});

// `connections.accepted` from keyward's /v1/status, -1 if unreadable.
long acceptedConnections(int keywardPort);

}  // namespace keyward::test
