// End to end with Debian's real nginx and the shipped config/nginx/keyward.conf: a client
// calls nginx, nginx asks keyward (auth_request), and only allowed requests reach a small
// upstream API that records what it was sent. Loopback only; every process is stopped.

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "keyward/Client.h"
#include "support/Daemon.h"
#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

// The API behind nginx: answers 200 and remembers the headers of every request.
class UpstreamApi {
 public:
  UpstreamApi() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    auto* params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(8);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), socket_, params);
    server_->start();
  }
  ~UpstreamApi() { server_->stopAll(true); }
  int port() const { return socket_.address().port(); }
  int calls() const { return calls_.load(); }
  // Headers of the last request (names lower-cased), "" for absent ones.
  std::string lastHeader(const std::string& lowerName) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = last_.find(lowerName);
    return it == last_.end() ? "" : it->second;
  }
  bool lastHad(const std::string& lowerName) {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_.count(lowerName) > 0;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(UpstreamApi& api) : api(api) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override {
      {
        std::lock_guard<std::mutex> lock(api.mutex_);
        api.last_.clear();
        for (const auto& [name, value] : request) {
          std::string lower = name;
          for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          api.last_[lower] = value;
        }
      }
      ++api.calls_;
      static const std::string body = "{\"api\":\"ok\"}";
      response.setContentType("application/json");
      response.sendBuffer(body.data(), body.size());  // with Content-Length: nginx keeps framing simple
    }
    UpstreamApi& api;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(UpstreamApi& api) : api(api) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest&) override {
      return new Handler(api);
    }
    UpstreamApi& api;
  };

  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<int> calls_{0};
  std::mutex mutex_;
  std::map<std::string, std::string> last_;
};

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

int freePort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
  return s.address().port();
}

// nginx running the shipped config, with its three addresses pointed at this test's ports.
class Nginx {
 public:
  Nginx(const TempDir& dir, int keywardPort, int apiPort) : port_(freePort()) {
    std::string site = readAll(std::string(KEYWARD_SOURCE_DIR) + "/config/nginx/keyward.conf");
    EXPECT_NE(site.find("127.0.0.1:8420"), std::string::npos);
    replaceAll(site, "127.0.0.1:8420", "127.0.0.1:" + std::to_string(keywardPort));
    replaceAll(site, "127.0.0.1:8000", "127.0.0.1:" + std::to_string(apiPort));
    replaceAll(site, "listen 127.0.0.1:8080", "listen 127.0.0.1:" + std::to_string(port_));
    const std::string root = dir.mkdir("nginx");
    dir.write("nginx/keyward.conf", site, 0644);
    std::string conf = "worker_processes 1;\npid " + root + "/nginx.pid;\nerror_log " + root +
                       "/error.log warn;\ndaemon off;\n";
    if (::geteuid() == 0) conf += "user root;\n";
    conf += "events { worker_connections 512; }\nhttp {\n  access_log off;\n";
    for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
      conf += std::string("  ") + t + "_temp_path " + root + "/" + t + ";\n";
    }
    conf += "  include " + root + "/keyward.conf;\n}\n";
    const std::string confPath = dir.write("nginx/nginx.conf", conf, 0644);
    nginx_ = std::make_unique<Daemon>(NGINX_BIN, std::vector<std::string>{"-e", root + "/error.log", "-p", root, "-c", confPath});
    errorLog_ = root + "/error.log";
  }
  ~Nginx() { nginx_->signal(SIGQUIT); nginx_->waitExit(5s); }
  int port() const { return port_; }
  bool waitReady() {
    for (int i = 0; i < 500; ++i) {
      HttpConnection c(port_);
      if (c.connected()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::string errors() const { return readAll(errorLog_); }

 private:
  int port_;
  std::unique_ptr<Daemon> nginx_;
  std::string errorLog_;
};

struct Stack {
  std::string worker = newKey(), admin = newKey();
  std::string keyDir, workerKeyFile;
  std::unique_ptr<Keyward> keyward;
  UpstreamApi api;
  std::unique_ptr<Nginx> nginx;

  Stack() {
    keyward = std::make_unique<Keyward>(
        [&](const TempDir& dir) {
          keyDir = dir.mkdir("keys");
          dir.write("keys/worker-1", worker + "\n");
          workerKeyFile = dir.write("worker.key", worker + "\n");  // the worker's own copy
          return "keys:\n  - { id: ops, peer: ops, env: ADMIN, scopes: [admin] }\n"
                 "key_dirs:\n  - { path: " + keyDir + ", peer: worker, scopes: [runs:read] }\n"
                 "routes:\n  - { path: '/admin/**', scope: admin }\n";
        },
        Env{{"ADMIN", admin}});
    EXPECT_TRUE(keyward->daemon().waitUntilServing()) << keyward->output();
    nginx = std::make_unique<Nginx>(keyward->dir(), keyward->port(), api.port());
    EXPECT_TRUE(nginx->waitReady()) << nginx->errors();
  }
  std::optional<HttpResponse> get(const std::string& path, const Headers& headers) {
    return httpRequest(nginx->port(), "GET", path, headers);
  }
};

TEST(NginxE2e, ValidKeyReachesTheApiWithIdentityAndWithoutTheKey) {
  Stack s;
  auto r = s.get("/runs/42", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->raw << s.nginx->errors();
  EXPECT_EQ(r->body, "{\"api\":\"ok\"}");
  EXPECT_EQ(s.api.calls(), 1);
  EXPECT_EQ(s.api.lastHeader("x-keyward-peer"), "worker");
  EXPECT_EQ(s.api.lastHeader("x-keyward-key-id"), "worker-1");
  EXPECT_EQ(s.api.lastHeader("x-keyward-scopes"), "runs:read");
  EXPECT_FALSE(s.api.lastHad("x-api-key")) << "the upstream must not see the key";
  auto bearer = s.get("/runs/42", {{"Authorization", "Bearer " + s.worker}});
  ASSERT_TRUE(bearer);
  EXPECT_EQ(bearer->status, 200);
  EXPECT_FALSE(s.api.lastHad("authorization"));
}

TEST(NginxE2e, MissingOrInvalidKeyGets401FromNginxAndTheApiIsNeverCalled) {
  Stack s;
  for (const Headers& h : {Headers{}, Headers{{"X-API-Key", newKey()}}, Headers{{"X-API-Key", "short"}}}) {
    auto r = s.get("/runs/42", h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(r->header("www-authenticate"), "ApiKey realm=\"keyward\"");
  }
  EXPECT_EQ(s.api.calls(), 0);
}

TEST(NginxE2e, ScopeRuleGives403AndAForgedOriginalUriChangesNothing) {
  Stack s;
  auto r = s.get("/admin/users", {{"X-API-Key", s.worker}});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  // The client claims another path; nginx replaces the header with the real $request_uri.
  auto forged = s.get("/admin/users", {{"X-API-Key", s.worker}, {"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}});
  ASSERT_TRUE(forged);
  EXPECT_EQ(forged->status, 403);
  EXPECT_EQ(s.api.calls(), 0);
  auto admin = s.get("/admin/users", {{"X-API-Key", s.admin}});
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 200);
  EXPECT_EQ(s.api.lastHeader("x-keyward-peer"), "ops");
}

TEST(NginxE2e, RotationUnderARequestLoopThroughNginxFailsNoRequest) {
  Stack s;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0};
  std::mutex failureMutex;
  std::string failures;
  std::thread worker([&] {
    // The worker re-reads its key file on every request, as the client library does.
    ClientKey key = ClientKey::fromFile(s.workerKeyFile);
    auto conn = std::make_unique<HttpConnection>(s.nginx->port());
    while (!stop) {
      auto r = conn->request("GET", "/runs/1", {{"X-API-Key", key.current()}});
      if (r && r->status == 200) {
        ++ok;
      } else {
        ++failed;
        std::lock_guard<std::mutex> lock(failureMutex);
        failures += (r ? std::to_string(r->status) + " " + r->header("x-keyward-code") : "no answer") + "; ";
      }
      // nginx closes a client connection after keepalive_requests (1000) answers.
      if (!r || r->header("connection") == "close") conn = std::make_unique<HttpConnection>(s.nginx->port());
    }
  });
  auto waitForProgress = [&] {
    int target = ok + 50;
    for (int i = 0; i < 500 && ok < target; ++i) std::this_thread::sleep_for(2ms);
  };
  waitForProgress();
  std::string current = s.worker;
  for (int round = 2; round <= 4; ++round) {
    const std::string next = newKey();
    const std::string oldName = "keys/worker-" + std::to_string(round - 1);
    s.keyward->dir().write("keys/worker-" + std::to_string(round), next + "\n");
    ASSERT_TRUE(s.keyward->reload());
    waitForProgress();
    // Hand the worker its new key (atomic replace), then retire the old one.
    const std::string tmp = s.keyward->dir().write("worker.key.tmp", next + "\n");
    ASSERT_EQ(std::rename(tmp.c_str(), s.workerKeyFile.c_str()), 0);
    waitForProgress();
    ASSERT_EQ(::unlink(s.keyward->dir().file(oldName).c_str()), 0);
    ASSERT_TRUE(s.keyward->reload());
    waitForProgress();
    EXPECT_EQ(s.get("/runs/1", {{"X-API-Key", current}})->status, 401) << "the retired key is refused";
    current = next;
  }
  stop = true;
  worker.join();
  EXPECT_GT(ok.load(), 300);
  EXPECT_EQ(failed.load(), 0) << "requests failed during rotation: " << failures;
  EXPECT_NE(s.keyward->status().find("\"failed\":0"), std::string::npos) << s.keyward->status();
}

}  // namespace
}  // namespace keyward::test
