#include "support/ProxyStack.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace keyward::test {

using namespace std::chrono_literals;

// ---- the upstream API ----

struct UpstreamHandler : Poco::Net::HTTPRequestHandler {
  explicit UpstreamHandler(UpstreamApi& api) : api(api) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
    std::map<std::string, std::string> headers;
    for (const auto& [name, value] : request) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      // A repeated header is kept as "a, b": a test sees that it was repeated.
      auto [it, fresh] = headers.emplace(lower, value);
      if (!fresh) it->second += ", " + value;
    }
    api.record(request.getURI(), std::move(headers));
    static const std::string body = "{\"api\":\"ok\"}";
    response.setContentType("application/json");
    response.sendBuffer(body.data(),
                        body.size());  // Content-Length framing: every proxy keeps it alive
  }
  UpstreamApi& api;
};

namespace {
struct UpstreamFactory : Poco::Net::HTTPRequestHandlerFactory {
  explicit UpstreamFactory(UpstreamApi& api) : api(api) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
    return new UpstreamHandler(api);
  }
  UpstreamApi& api;
};
}  // namespace

UpstreamApi::UpstreamApi() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
  auto* params = new Poco::Net::HTTPServerParams;
  // More threads than the proxies' idle keep-alive connections to it (see
  // shared/bench/README.md: an idle keep-alive connection holds a Poco thread).
  params->setMaxThreads(64);
  params->setMaxQueued(256);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new UpstreamFactory(*this), socket_, params);
  server_->start();
}

UpstreamApi::~UpstreamApi() { server_->stopAll(true); }

void UpstreamApi::record(const std::string& uri, std::map<std::string, std::string> headers) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lastUri_ = uri;
    last_ = std::move(headers);
  }
  ++calls_;
}

std::string UpstreamApi::lastHeader(const std::string& lowerName) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = last_.find(lowerName);
  return it == last_.end() ? "" : it->second;
}

bool UpstreamApi::lastHad(const std::string& lowerName) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_.count(lowerName) > 0;
}

std::string UpstreamApi::lastUri() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastUri_;
}

// ---- the proxies ----

namespace {

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces every `from`; fails the test when the shipped config no longer contains it (the
// substitution would silently test something else).
void substitute(std::string& text, const std::string& from, const std::string& to, const std::string& file) {
  std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << file << " no longer contains '" << from << "'";
  for (; at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
}

std::string shipped(const std::string& relative) { return std::string(KEYWARD_SOURCE_DIR) + "/config/" + relative; }

}  // namespace

std::string proxyName(ProxyKind kind) {
  switch (kind) {
    case ProxyKind::Nginx:
      return "nginx";
    case ProxyKind::Caddy:
      return "caddy";
    case ProxyKind::Haproxy:
      return "haproxy";
  }
  return "?";
}

std::string originalRequestFor(ProxyKind kind) { return kind == ProxyKind::Caddy ? "x-forwarded" : "x-original"; }

bool proxyInstalled(ProxyKind kind, std::string* binary) {
  const char* path = kind == ProxyKind::Nginx ? NGINX_BIN : kind == ProxyKind::Caddy ? CADDY_BIN : HAPROXY_BIN;
  if (binary) *binary = path;
  return ::access(path, X_OK) == 0;
}

ProxyProcess::ProxyProcess(ProxyKind kind, const TempDir& dir, const std::string& keywardSocket, int apiPort)
    : kind_(kind), port_(freeLoopbackPort()) {
  const std::string api = "127.0.0.1:" + std::to_string(apiPort);
  const std::string self = "127.0.0.1:" + std::to_string(port_);
  std::string binary;
  proxyInstalled(kind, &binary);
  switch (kind) {
    case ProxyKind::Nginx: {
      const std::string root = dir.mkdir("nginx");
      dir.mkdir("nginx/snippets");
      std::string site = readText(shipped("nginx/keyward.conf"));
      substitute(site, "unix:/run/keyward/keyward.sock", "unix:" + keywardSocket, "nginx/keyward.conf");
      substitute(site, "127.0.0.1:8000", api, "nginx/keyward.conf");
      substitute(site, "listen 127.0.0.1:8080", "listen " + self, "nginx/keyward.conf");
      substitute(site, "/etc/nginx/snippets/", root + "/snippets/", "nginx/keyward.conf");
      dir.write("nginx/keyward.conf", site, 0644);
      for (const char* snippet : {"snippets/keyward-auth.conf", "snippets/keyward-verify.conf"}) {
        dir.write(std::string("nginx/") + snippet, readText(shipped(std::string("nginx/") + snippet)), 0644);
      }
      std::string conf =
          "worker_processes 1;\npid " + root + "/nginx.pid;\nerror_log " + root + "/error.log warn;\ndaemon off;\n";
      if (::geteuid() == 0) conf += "user root;\n";
      conf += "events { worker_connections 1024; }\nhttp {\n  access_log off;\n";
      for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
        conf += std::string("  ") + t + "_temp_path " + root + "/" + t + ";\n";
      }
      conf += "  include " + root + "/keyward.conf;\n}\n";
      const std::string confPath = dir.write("nginx/nginx.conf", conf, 0644);
      logPath_ = root + "/error.log";
      process_ = std::make_unique<Daemon>(binary, std::vector<std::string>{"-e", logPath_, "-p", root, "-c", confPath});
      break;
    }
    case ProxyKind::Caddy: {
      const std::string root = dir.mkdir("caddy");
      std::string file = readText(shipped("caddy/Caddyfile"));
      substitute(file, "unix//run/keyward/keyward.sock", "unix/" + keywardSocket, "caddy/Caddyfile");
      substitute(file, "127.0.0.1:8000", api, "caddy/Caddyfile");
      substitute(file, "http://:8080", "http://:" + std::to_string(port_), "caddy/Caddyfile");
      // No admin endpoint: parallel tests would fight over its fixed port.
      substitute(file, "admin localhost:2019", "admin off", "caddy/Caddyfile");
      const std::string confPath = dir.write("caddy/Caddyfile", file, 0644);
      logPath_ = root + "/caddy.log";
      process_ = std::make_unique<Daemon>(
          binary, std::vector<std::string>{"run", "--config", confPath, "--adapter", "caddyfile"},
          Env{{"HOME", root}, {"XDG_DATA_HOME", root + "/data"}, {"XDG_CONFIG_HOME", root + "/config"}});
      break;
    }
    case ProxyKind::Haproxy: {
      const std::string root = dir.mkdir("haproxy");
      std::string cfg = readText(shipped("haproxy/haproxy.cfg"));
      substitute(cfg, "unix@/run/keyward/keyward.sock", "unix@" + keywardSocket, "haproxy/haproxy.cfg");
      substitute(cfg, "127.0.0.1:8000", api, "haproxy/haproxy.cfg");
      substitute(cfg, "bind 127.0.0.1:8080", "bind " + self, "haproxy/haproxy.cfg");
      substitute(cfg, "/etc/haproxy/keyward.lua", root + "/keyward.lua", "haproxy/haproxy.cfg");
      dir.write("haproxy/keyward.lua", readText(shipped("haproxy/keyward.lua")), 0644);
      const std::string confPath = dir.write("haproxy/haproxy.cfg", cfg, 0644);
      process_ = std::make_unique<Daemon>(binary, std::vector<std::string>{"-db", "-f", confPath});
      break;
    }
  }
}

ProxyProcess::~ProxyProcess() {
  // TERM: every one of them stops at once (nginx's master takes its worker along).
  process_->signal(SIGTERM);
  process_->waitExit(5s);
}

bool ProxyProcess::waitReady(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->waitExit(0ms)) return false;
    if (auto r = httpRequest(port_, "GET", "/healthz-of-the-proxy")) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string ProxyProcess::log() const {
  std::string text = proxyName(kind_) + " output:\n" + process_->out() + process_->err();
  if (!logPath_.empty()) text += readText(logPath_);
  return text;
}

// ---- the client ----

std::optional<HttpResponse> SourceClient::request(const std::string& method, const std::string& target,
                                                  const Headers& headers) {
  if (!connection_ || !connection_->connected()) {
    connection_ = std::make_unique<HttpConnection>(port_, "127.0.0.1", source_.c_str());
  }
  auto response = connection_->request(method, target, headers);
  std::string connection = response ? response->header("connection") : "close";
  for (char& c : connection) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (connection == "close") connection_.reset();  // e.g. nginx after keepalive_requests answers
  return response;
}

std::optional<HttpResponse> requestFrom(const std::string& source, int port, const std::string& method,
                                        const std::string& target, const Headers& headers) {
  HttpConnection connection(port, "127.0.0.1", source.c_str());
  if (!connection.connected()) return std::nullopt;
  return connection.request(method, target, headers);
}

long acceptedConnections(int keywardPort) {
  auto r = httpRequest(keywardPort, "GET", "/v1/status");
  static const std::regex accepted("\"accepted\":([0-9]+)");
  std::smatch m;
  if (!r || !std::regex_search(r->body, m, accepted)) return -1;
  return std::stol(m[1]);
}

}  // namespace keyward::test
