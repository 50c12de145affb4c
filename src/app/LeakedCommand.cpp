#include "keyward/app/LeakedCommand.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "keyward/app/CliHttp.h"
#include "keyward/app/CliOptions.h"
#include "keyward/base/Json.h"
#include "keyward/keys/KeyText.h"

namespace keyward {
namespace {

constexpr int kDone = 0, kRefused = 1, kError = 2;

// The first line of `path`, without its line end; "" if unreadable.
std::string firstLine(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int runLeakedCommand(int argc, char** argv) {
  std::string keyFile, leakUrl, source = "cli", clear, url, adminKeyFile, caFile;
  bool list = false;
  CliOptions cli("keyward leaked",
                 "keyward leaked --key-file PATH [--leak-url URL] [--source S] [--url URL] [--admin-key-file PATH]\n"
                 "       keyward leaked --list | --clear ID|FINGERPRINT [--url URL] [--admin-key-file PATH]",
                 "Reports a leaked key to a running daemon, which suspends it at once (sticky across reloads and\n"
                 "restarts, refused as SUSPENDED) until an operator clears it. The key is never printed.\n"
                 "Reporting needs a key with scope admin or leaks:report; --list and --clear need admin.\n"
                 "Environment: KEYWARD_URL, KEYWARD_ADMIN_KEY_FILE, KEYWARD_ADMIN_KEY (the key itself).\n"
                 "Exit status: 0 done, 1 refused or nothing to clear, 2 usage or connection error, or the daemon\n"
                 "could not save the change (a report then holds only until the daemon stops).");
  cli.value("key-file", keyFile, "PATH", "the leaked key (first line of the file)")
      .value("leak-url", leakUrl, "URL", "where it was found (logged and kept with the suspension)")
      .value("source", source, "S", "who found it (default cli)")
      .flag("list", list, "list the keys suspended as leaked")
      .value("clear", clear, "ID", "clear the suspension of key ID (or of the key with this fingerprint)")
      .value("url", url, "URL", "the daemon (default $KEYWARD_URL, then http://127.0.0.1:8420)")
      .value("admin-key-file", adminKeyFile, "PATH",
             "the admin (or leaks:report) key (default $KEYWARD_ADMIN_KEY_FILE)")
      .value("cacert", caFile, "PATH", "with https://, trust this PEM bundle instead of the system CAs");
  std::vector<std::string> positionals;
  if (auto done = cli.parse(std::vector<std::string>(argv + 1, argv + argc), positionals)) return *done;
  if (!positionals.empty()) return cli.usageError("unexpected argument '" + positionals[0] + "'");
  if ((!keyFile.empty()) + list + (!clear.empty()) != 1) {
    return cli.usageError("say exactly one of --key-file, --list and --clear");
  }
  if (url.empty()) url = cliEnv("KEYWARD_URL");
  if (url.empty()) url = "http://127.0.0.1:8420";
  std::string problem;
  if (!cliUrlUsable(url, problem)) return cli.usageError(problem);
  std::string keyProblem;
  std::string adminKey = cliAdminKey(adminKeyFile, keyProblem).value_or("");
  if (adminKey.empty()) return cli.usageError(keyProblem);
  auto withKey = [&](Poco::Net::HTTPRequest& request) { request.set("X-API-Key", adminKey); };

  std::optional<CliReply> reply;
  std::string body;
  if (!keyFile.empty()) {
    std::string leaked = firstLine(keyFile);
    if (leaked.empty()) {
      std::cerr << "keyward leaked: cannot read a key from " << keyFile << "\n";
      return kError;
    }
    if (std::string_view why = keyTextProblem(leaked); !why.empty()) {
      std::cerr << "keyward leaked: warning: the key in " << keyFile << " " << why << " (sent anyway)\n";
    }
    body = "[{\"token\":";
    appendJsonString(body, leaked);
    body += ",\"type\":\"keyward\",\"url\":";
    appendJsonString(body, leakUrl);
    body += ",\"source\":";
    appendJsonString(body, source);
    body += "}]";
    OPENSSL_cleanse(leaked.data(), leaked.size());
    reply = cliSend("POST", url, "/v1/leaks", body, withKey, problem, CliTlsOptions{caFile});
    OPENSSL_cleanse(body.data(), body.size());
  } else if (list) {
    reply = cliSend("GET", url, "/v1/leaks", {}, withKey, problem, CliTlsOptions{caFile});
  } else {
    std::string encoded;
    Poco::URI::encode(clear, "&=?#+/ %", encoded);
    reply = cliSend("DELETE", url, "/v1/leaks/" + encoded, {}, withKey, problem, CliTlsOptions{caFile});
  }
  OPENSSL_cleanse(adminKey.data(), adminKey.size());
  if (!reply) {
    std::cerr << "keyward leaked: " << problem << "\n";
    return kError;
  }
  if (reply->status == 404 && !clear.empty()) {
    std::cerr << "keyward leaked: no suspension for '" << clear << "'\n";
    return kRefused;
  }
  if (reply->status == 503 && reply->body.find("NOT_SAVED") != std::string::npos) {
    // The daemon could not write its suspension list (see its log: leak_not_saved).
    if (!keyFile.empty()) {
      std::cerr << "keyward leaked: reported, but the daemon could not save its suspension list: if it is a key of "
                   "this daemon it is refused until the daemon stops, and will work again after a restart; fix the "
                   "state directory (log event leak_not_saved) and report it again\n";
    } else {
      std::cerr << "keyward leaked: not cleared: the daemon could not save its suspension list (log event "
                   "leak_not_saved); '"
                << clear << "' stays suspended\n";
    }
    return kError;
  }
  if (reply->status != 200) {
    std::cerr << "keyward leaked: the daemon answered " << reply->status << ": " << reply->body << "\n";
    return reply->status == 401 || reply->status == 403 ? kRefused : kError;
  }
  if (!keyFile.empty()) {
    // The daemon's answer is the same whether or not the key was one of its own.
    std::cout << "reported; if it is a key of this daemon it is now suspended (keyward leaked --list)\n";
  } else if (!clear.empty()) {
    std::cout << "cleared: '" << clear << "' works again\n";
  } else {
    try {
      auto top = Poco::JSON::Parser().parse(reply->body).extract<Poco::JSON::Object::Ptr>();
      Poco::JSON::Array::Ptr items = top->getArray("suspended");
      for (std::size_t i = 0; items && i < items->size(); ++i) {
        auto k = items->getObject(static_cast<unsigned>(i));
        std::cout << k->getValue<std::string>("id") << "  " << k->getValue<std::string>("fingerprint") << "  "
                  << k->getValue<std::string>("time") << "  " << k->optValue<std::string>("source", "") << "  "
                  << k->optValue<std::string>("url", "") << "\n";
      }
    } catch (const std::exception& e) {
      std::cerr << "keyward leaked: unexpected answer\n";
      return kError;
    }
  }
  return kDone;
}

}  // namespace keyward
