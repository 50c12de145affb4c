#include "keyward/VerifyCommand.h"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>

#include <iostream>
#include <string>
#include <vector>

#include "keyward/CliHttp.h"
#include "keyward/Client.h"

namespace keyward {
namespace {

constexpr int kAccepted = 0, kRefused = 1, kError = 2;

int usage(const std::string& problem) {
  if (!problem.empty()) std::cerr << "keyward verify: " << problem << "\n";
  std::cerr << "usage: keyward verify --url URL (--key-file PATH | --key-env NAME) [--peer P] [--scope S]\n";
  return kError;
}

}  // namespace

int runVerifyCommand(int argc, char** argv) {
  std::string url, keyFile, keyEnv, peer, scope;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string* into = a == "--url" ? &url : a == "--key-file" ? &keyFile : a == "--key-env" ? &keyEnv
                      : a == "--peer" ? &peer : a == "--scope" ? &scope : nullptr;
    if (a == "-h" || a == "--help") return usage("");
    if (!into) return usage("unexpected argument '" + a + "'");
    if (i + 1 >= args.size()) return usage(a + " needs a value");
    *into = args[++i];
  }
  if (url.empty()) return usage("--url is required");
  if (keyFile.empty() == keyEnv.empty()) return usage("give one of --key-file or --key-env");

  std::string key;
  try {
    ClientKey source = keyFile.empty() ? ClientKey::fromEnv(keyEnv) : ClientKey::fromFile(keyFile);
    key = source.current();
  } catch (const std::exception& e) {
    std::cerr << "keyward verify: " << e.what() << "\n";
    return kError;
  }

  // Either the daemon's base URL or its verify endpoint.
  std::string base = url, path = "/v1/verify";
  try {
    Poco::URI uri(url);
    if (uri.getPath().find("/v1/verify") != std::string::npos) {
      path = uri.getPath();
      uri.setPath("");
      base = uri.toString();
    }
  } catch (const Poco::Exception& e) {
    return usage("bad --url: " + e.displayText());
  }
  std::string query;
  if (!peer.empty()) query += "peer=" + peer;
  if (!scope.empty()) query += std::string(query.empty() ? "" : "&") + "scope=" + scope;
  if (!query.empty()) path += "?" + query;

  std::string problem;
  auto reply = cliGet(base, path, [&](Poco::Net::HTTPRequest& request) { request.set("X-API-Key", key); }, problem);
  std::fill(key.begin(), key.end(), '\0');
  if (!reply) {
    std::cerr << "keyward verify: " << problem << "\n";
    return kError;
  }
  if (reply->status == 200) {
    std::cout << "accepted: key " << reply->headers["x-keyward-key-id"] << " (peer " << reply->headers["x-keyward-peer"]
              << ")\n";
    return kAccepted;
  }
  if (reply->status == 401 || reply->status == 403) {
    std::cout << "refused: " << reply->status << " " << reply->headers["x-keyward-code"] << "\n";
    return kRefused;
  }
  std::cerr << "keyward verify: unexpected answer " << reply->status << "\n";
  return kError;
}

}  // namespace keyward
