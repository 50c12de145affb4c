#include "keyward/ReloadCommand.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "keyward/CliHttp.h"
#include "keyward/ConfigLoader.h"
#include "keyward/Json.h"

namespace keyward {
namespace {

constexpr int kApplied = 0, kRefused = 1, kError = 2;

int usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "keyward reload: " << problem << "\n";
  std::cerr << "usage: keyward reload --pid PID [--url URL | --config PATH] [--timeout SECONDS]\n";
  return kError;
}

// The URL of the daemon that serves `listen` ("0.0.0.0:8420" is reached on loopback).
std::string urlOfListen(std::string listen) {
  for (const char* any : {"0.0.0.0:", "[::]:", "*:"}) {
    if (listen.rfind(any, 0) == 0) listen = "127.0.0.1:" + listen.substr(std::string(any).size());
  }
  return "http://" + listen;
}

struct StatusView {
  std::uint64_t finished = 0;  // reloads succeeded + failed
  std::uint64_t generation = 0, keys = 0;
  std::int64_t lastAttemptMs = 0;
  bool lastOk = false;
  std::vector<std::string> errors;
};

std::optional<StatusView> readStatus(const std::string& url, std::string& problem) {
  auto reply = cliGet(url, "/v1/status", [](Poco::Net::HTTPRequest&) {}, problem);
  if (!reply) return std::nullopt;
  if (reply->status != 200) {
    problem = "/v1/status answered " + std::to_string(reply->status);
    return std::nullopt;
  }
  try {
    auto root = Poco::JSON::Parser().parse(reply->body).extract<Poco::JSON::Object::Ptr>();
    StatusView view;
    auto reloads = root->getObject("reloads");
    view.finished = reloads->getValue<std::uint64_t>("succeeded") + reloads->getValue<std::uint64_t>("failed");
    view.generation = root->getValue<std::uint64_t>("generation");
    view.keys = root->getValue<std::uint64_t>("keys");
    auto last = root->getObject("last_reload");
    view.lastOk = last->getValue<std::string>("result") == "ok";
    view.lastAttemptMs = parseRfc3339(last->getValue<std::string>("time")).value_or(0);
    if (auto errors = last->getArray("errors")) {
      for (std::size_t i = 0; i < errors->size(); ++i) view.errors.push_back(errors->getElement<std::string>(i));
    }
    return view;
  } catch (const std::exception& e) {
    problem = std::string("unexpected /v1/status answer: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace

int runReloadCommand(int argc, char** argv) {
  std::string url, config, pidText, timeoutText = "30";
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string* into = a == "--url" ? &url : a == "--config" ? &config : a == "--pid" ? &pidText
                      : a == "--timeout" ? &timeoutText : nullptr;
    if (a == "-h" || a == "--help") return usage("");
    if (!into) return usage("unexpected argument '" + a + "'");
    if (i + 1 >= args.size()) return usage(a + " needs a value");
    *into = args[++i];
  }
  char* end = nullptr;
  const long pid = std::strtol(pidText.c_str(), &end, 10);
  if (pidText.empty() || *end != '\0' || pid <= 1) return usage("--pid needs the daemon's process id");
  const long timeout = std::strtol(timeoutText.c_str(), &end, 10);
  if (*end != '\0' || timeout <= 0) return usage("--timeout needs a number of seconds");
  if (url.empty()) {
    auto path = chooseConfigPathForProcess(config);
    ConfigResult parsed = path ? loadConfigFile(*path) : ConfigResult{builtInConfig(), {}};
    if (!parsed.config) {
      std::cerr << "keyward reload: cannot read the daemon's address from the config; use --url\n";
      for (const auto& e : parsed.errors) std::cerr << "  " << e << "\n";
      return kError;
    }
    url = urlOfListen(parsed.config->listen);
  }

  std::string problem;
  std::optional<StatusView> before = readStatus(url, problem);
  if (!before) return std::cerr << "keyward reload: " << problem << "\n", kError;
  const std::int64_t sentMs = unixMillisNow();
  if (::kill(static_cast<pid_t>(pid), SIGHUP) != 0) {
    std::cerr << "keyward reload: cannot signal process " << pid << "\n";
    return kError;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::optional<StatusView> now = readStatus(url, problem);
    if (!now || now->finished <= before->finished || now->lastAttemptMs + 1000 < sentMs) continue;
    if (now->lastOk) {
      std::cout << "reloaded: generation " << now->generation << ", " << now->keys << " keys\n";
      return kApplied;
    }
    std::cout << "reload refused; generation " << now->generation << " keeps serving:\n";
    for (const std::string& e : now->errors) std::cout << "  " << e << "\n";
    return kRefused;
  }
  std::cerr << "keyward reload: no reload result within " << timeout << " s\n";
  return kError;
}

}  // namespace keyward
