#include "support/Keyward.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "keyward/keys/KeyGenerator.h"

namespace keyward::test {

using namespace std::chrono_literals;

std::string newKey() { return generateKey(32, Base64Alphabet::Standard); }

void expectNoKeyIn(const std::string& output, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    EXPECT_EQ(output.find(key), std::string::npos) << "a key appears in the output";
    EXPECT_EQ(output.find(key.substr(0, 16)), std::string::npos) << "part of a key appears in the output";
  }
}

namespace {
// Tests drive reloads with SIGHUP and count them; the file watcher would add reloads of its
// own. It stays on only where a test's config mentions it (the watching tests).
std::string withWatchOff(const std::string& yaml) {
  return yaml.find("watch") == std::string::npos ? "watch: false\n" + yaml : yaml;
}
}  // namespace

Keyward::Keyward(const std::string& yaml, Env env) : env_(std::move(env)) {
  config_ = dir_.write("keyward.yaml", withWatchOff(yaml));
  daemon_ = std::make_unique<Daemon>(KEYWARD_BIN,
                                     std::vector<std::string>{"--config", config_, "--listen", "127.0.0.1:0"}, env_);
}

Keyward::Keyward(const std::function<std::string(const TempDir&)>& makeYaml, Env env) : env_(std::move(env)) {
  config_ = dir_.write("keyward.yaml", withWatchOff(makeYaml(dir_)));
  daemon_ = std::make_unique<Daemon>(KEYWARD_BIN,
                                     std::vector<std::string>{"--config", config_, "--listen", "127.0.0.1:0"}, env_);
}

bool Keyward::restart() {
  daemon_->signal(SIGTERM);
  if (daemon_->waitExit() != 0) return false;
  daemon_ = std::make_unique<Daemon>(KEYWARD_BIN,
                                     std::vector<std::string>{"--config", config_, "--listen", "127.0.0.1:0"}, env_);
  return daemon_->waitUntilServing();
}

int Keyward::reloadsFinished() {
  std::smatch m;
  std::string s = status();
  static const std::regex counts("\"succeeded\":([0-9]+),\"failed\":([0-9]+)");
  if (!std::regex_search(s, m, counts)) return -1;
  return std::stoi(m[1]) + std::stoi(m[2]);
}

bool Keyward::waitUntilAccepted(const std::string& key, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (verifyStatus(key) != 200) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

bool Keyward::reload() {
  int before = reloadsFinished();
  daemon_->signal(SIGHUP);
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (reloadsFinished() > before) return true;
    std::this_thread::sleep_for(2ms);
  }
  return false;
}

}  // namespace keyward::test

namespace keyward::test {

std::string writeFakeKeyward(const TempDir& dir) {
  return dir.write("fake_keyward.py", R"(import ctypes, datetime, http.server, json, os, sys
where, pid, config = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if pid == 0:  # claim to be keyward itself: its own pid, and a process name like keyward's
    pid = os.getpid()
    ctypes.CDLL(None).prctl(15, b"keyward-imp", 0, 0, 0)  # PR_SET_NAME
polls = [0]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        print("REQUEST", self.path, dict(self.headers), flush=True)
        polls[0] += 1
        if self.path.startswith("/v1/status"):
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            body = json.dumps({"pid": pid, "config": config, "generation": polls[0], "keys": 2,
                               "reloads": {"succeeded": polls[0], "failed": 0},
                               "last_reload": {"result": "ok", "time": now, "errors": []}}).encode()
            self.send_response(200)
        else:
            body = b'{"error":"not found"}'
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
if where.startswith("/"):
    import os, socketserver
    class UnixServer(socketserver.UnixStreamServer):
        def get_request(self):
            request, _ = super().get_request()
            return request, ("local", 0)
    os.umask(0)
    server = UnixServer(where, Handler)
else:
    server = http.server.HTTPServer(("127.0.0.1", int(where)), Handler)
print("started", flush=True)
server.serve_forever()
)",
                   0755);
}

}  // namespace keyward::test
