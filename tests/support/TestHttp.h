#pragma once
// A deliberately small HTTP/1.1 client over a raw loopback socket, so tests control every
// byte they send (hostile input included) and can watch one connection across reloads.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace keyward::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string raw;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpConnection {
 public:
  // `source`: the local address to connect from (e.g. "127.0.0.2"), for per-client limits.
  explicit HttpConnection(int port, const char* host = "127.0.0.1", const char* source = nullptr);
  int fd() const { return fd_; }
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  bool sendRaw(const std::string& bytes);
  // Reads one response (Content-Length framed). nullopt on timeout or close before a full one.
  std::optional<HttpResponse> readResponse(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  std::optional<HttpResponse> request(const std::string& method, const std::string& target,
                                      const Headers& headers = {});
  // True if the server closed the connection (EOF or reset) within `timeout`.
  bool waitClosed(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string pending_;
};

// One request on a fresh connection.
std::optional<HttpResponse> httpRequest(int port, const std::string& method, const std::string& target,
                                        const Headers& headers = {});

// A loopback TCP port that was free a moment ago (the kernel's pick for port 0).
int freeLoopbackPort();

}  // namespace keyward::test
