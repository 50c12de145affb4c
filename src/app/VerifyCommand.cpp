#include "keyward/app/VerifyCommand.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>

#include <iostream>
#include <string>
#include <vector>

#include "keyward/Client.h"
#include "keyward/app/CliHttp.h"
#include "keyward/app/CliOptions.h"

namespace keyward {
namespace {

constexpr int kAccepted = 0, kRefused = 1, kError = 2;

// keyward's 200 carries the key id and peer in headers and {"valid":true,...} in the body
// (the body is left out only for proxies' X-Original-* requests, which we never send). A
// 200 without them is some other server (an nginx, a load balancer) answering the URL.
bool isKeywardAcceptance(const CliReply& reply, std::string& why) {
  auto header = [&](const char* name) {
    auto it = reply.headers.find(name);
    return it == reply.headers.end() ? std::string() : it->second;
  };
  if (header("x-keyward-key-id").empty() || header("x-keyward-peer").empty()) {
    why = "no X-Keyward-Key-Id/X-Keyward-Peer headers";
    return false;
  }
  try {
    auto body = Poco::JSON::Parser().parse(reply.body).extract<Poco::JSON::Object::Ptr>();
    if (!body->has("valid") || !body->getValue<bool>("valid") ||
        body->optValue<std::string>("key_id", "") != header("x-keyward-key-id")) {
      why = "the body is not keyward's {\"valid\":true,...}";
      return false;
    }
  } catch (const std::exception&) {
    why = "the body is not keyward's JSON";
    return false;
  }
  return true;
}

}  // namespace

int runVerifyCommand(int argc, char** argv) {
  std::string url, keyFile, keyEnv, peer, scope, caFile;
  CliOptions cli("keyward verify", "keyward verify --url URL (--key-file PATH | --key-env NAME) [--peer P] [--scope S]",
                 "URL: http://host:port, https://host:port or unix:/path/to/keyward.sock (the daemon), or its\n"
                 "/v1/verify endpoint. Prints one line (the key id and peer, or the refusal code; never the key).\n"
                 "Exit status: 0 accepted, 1 refused (401/403 from keyward), 2 anything else: usage,\n"
                 "unreadable key, daemon unreachable, or an answer that is not keyward's.");
  cli.value("url", url, "URL", "the daemon (default $KEYWARD_URL)")
      .value("key-file", keyFile, "PATH", "read the key from this file")
      .value("key-env", keyEnv, "NAME", "read the key from this environment variable")
      .value("peer", peer, "P", "also require the key to belong to peer P")
      .value("scope", scope, "S", "also require the key to have scope S")
      .value("cacert", caFile, "PATH", "with https://, trust this PEM bundle instead of the system CAs");
  std::vector<std::string> extra;
  if (auto done = cli.parse(std::vector<std::string>(argv + 1, argv + argc), extra)) return *done;
  if (!extra.empty()) return cli.usageError("unexpected argument '" + extra.front() + "'");
  if (url.empty() && std::getenv("KEYWARD_URL")) url = std::getenv("KEYWARD_URL");
  if (url.empty()) return cli.usageError("--url is required");
  if (keyFile.empty() == keyEnv.empty()) return cli.usageError("give one of --key-file or --key-env");
  std::string problem;
  if (!cliUrlUsable(url, problem)) return cli.usageError(problem);

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
  if (url.rfind("unix:", 0) != 0) {
    try {
      Poco::URI uri(url);
      if (uri.getPath().find("/v1/verify") != std::string::npos) {
        path = uri.getPath();
        uri.setPath("");
        base = uri.toString();
      }
    } catch (const Poco::Exception& e) {
      return cli.usageError("bad --url: " + e.displayText());
    }
  }
  std::string query;
  if (!peer.empty()) query += "peer=" + cliQueryValue(peer);
  if (!scope.empty()) query += std::string(query.empty() ? "" : "&") + "scope=" + cliQueryValue(scope);
  if (!query.empty()) path += "?" + query;

  auto reply =
      cliGet(base, path, [&](Poco::Net::HTTPRequest& request) { request.set("X-API-Key", key); }, problem, {caFile});
  OPENSSL_cleanse(key.data(), key.size());
  if (!reply) {
    std::cerr << "keyward verify: " << problem << "\n";
    return kError;
  }
  const auto code = reply->headers.find("x-keyward-code");
  if (reply->status == 200) {
    std::string why;
    if (!isKeywardAcceptance(*reply, why)) {
      std::cerr << "keyward verify: " << url << " answered 200 but not as keyward does (" << why
                << "); is the URL keyward's?\n";
      return kError;
    }
    std::cout << "accepted: key " << reply->headers["x-keyward-key-id"] << " (peer " << reply->headers["x-keyward-peer"]
              << ")\n";
    return kAccepted;
  }
  if ((reply->status == 401 || reply->status == 403) && code != reply->headers.end() && !code->second.empty()) {
    std::cout << "refused: " << reply->status << " " << code->second << "\n";
    return kRefused;
  }
  std::cerr << "keyward verify: unexpected answer " << reply->status
            << (code == reply->headers.end() ? " without X-Keyward-Code; is the URL keyward's?" : "") << "\n";
  return kError;
}

}  // namespace keyward
