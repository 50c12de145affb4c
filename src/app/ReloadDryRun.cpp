// keyward reload --dry-run: what a reload would change, before it is applied.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "keyward/app/CliHttp.h"
#include "keyward/app/CliOptions.h"
#include "keyward/app/ReloadCommand.h"
#include "keyward/base/Json.h"
#include "keyward/config/ConfigLoader.h"
#include "keyward/config/KeyPolicy.h"
#include "keyward/lifecycle/Reloader.h"
#include "keyward/verify/DryRun.h"

namespace keyward {
namespace {

constexpr int kNoFlip = 0, kFlips = 1, kError = 2;

std::string joined(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& s : list) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "-" : out;
}

}  // namespace

int runReloadDryRun(int argc, char** argv) {
  std::string url, config, keyFile, caFile;
  bool dryRun = false;
  CliOptions cli(
      "keyward reload --dry-run", "keyward reload --dry-run [--config PATH] [--url URL] [--admin-key-file PATH]",
      "Loads the config aside (--config, $KEYWARD_CONFIG, /etc/keyward/keyward.yaml), replays the\n"
      "recent calls the daemon holds (its admin API; a key with scope admin) against it and prints\n"
      "every decision that would flip, and every key whose peer or scopes would change. Applies\n"
      "nothing. Not replayed: ?peer=/?scope= demands (not recorded), and refusals of the moment\n"
      "(RATE_LIMITED, THROTTLED, ...). Environment: KEYWARD_URL, KEYWARD_ADMIN_KEY_FILE, KEYWARD_ADMIN_KEY.\n"
      "Exit status: 0 nothing would flip, 1 something would (or the config is invalid), 2 usage or\n"
      "connection error.");
  cli.flag("dry-run", dryRun, "replay recent calls against the config, apply nothing")
      .value("config", config, "PATH", "the new config (default $KEYWARD_CONFIG, then /etc/keyward/keyward.yaml)")
      .value("url", url, "URL", "the daemon (default $KEYWARD_URL, then the config's listen)")
      .value("admin-key-file", keyFile, "PATH", "a key with scope admin (default $KEYWARD_ADMIN_KEY_FILE)")
      .value("cacert", caFile, "PATH", "with https://, trust this PEM bundle instead of the system CAs");
  std::vector<std::string> extra;
  if (auto done = cli.parse(std::vector<std::string>(argv + 1, argv + argc), extra)) return *done;
  if (!extra.empty()) return cli.usageError("unexpected argument '" + extra.front() + "'");
  if (config.empty()) config = cliEnv("KEYWARD_CONFIG");
  if (config.empty() && ::access(kDefaultConfigPath, R_OK) == 0) config = kDefaultConfigPath;
  if (config.empty()) return cli.usageError("name the new config with --config");

  // The candidate, loaded as a reload would load it (the daemon's revocations and leak
  // suspensions are taken from what its admin API says of each key).
  Reloader reloader(config, processEnvironment());
  ReloadOutcome outcome;
  std::shared_ptr<const KeySet> candidate = reloader.candidate(outcome);
  if (!candidate) {
    std::cout << "the new config would be refused (the old keys would keep serving):\n";
    for (const Problem& p : outcome.problems) std::cout << "  " << p.text() << "\n";
    return kFlips;
  }
  if (url.empty()) url = cliEnv("KEYWARD_URL");
  if (url.empty() && outcome.config) {
    std::string listen = outcome.config->listen;
    for (const char* any : {"0.0.0.0:", "[::]:", "*:"}) {
      if (listen.rfind(any, 0) == 0) listen = "127.0.0.1:" + listen.substr(std::string(any).size());
    }
    url = "http://" + listen;
  }
  std::string problem;
  if (!cliUrlUsable(url, problem)) return cli.usageError(problem);
  std::string keyProblem;
  std::string adminKey = cliAdminKey(keyFile, keyProblem).value_or("");
  if (adminKey.empty()) return cli.usageError(keyProblem);
  auto withKey = [&](Poco::Net::HTTPRequest& request) { request.set("X-API-Key", adminKey); };
  const CliTlsOptions tls{caFile};

  std::vector<RecordedCall> calls;
  std::vector<std::string> keyChanges;
  std::size_t keysSeen = 0;
  try {
    std::string cursor;
    do {
      std::string target = "/v1/keys?limit=1000";
      if (!cursor.empty()) target += "&cursor=" + cliQueryValue(cursor);
      auto page = cliGet(url, target, withKey, problem, tls);
      if (!page) throw std::runtime_error(problem);
      if (page->status != 200)
        throw std::runtime_error("the daemon answered " + std::to_string(page->status) + ": " + page->body);
      auto top = Poco::JSON::Parser().parse(page->body).extract<Poco::JSON::Object::Ptr>();
      Poco::JSON::Array::Ptr keys = top->getArray("keys");
      for (std::size_t i = 0; keys && i < keys->size(); ++i) {
        auto key = keys->getObject(static_cast<unsigned>(i));
        ++keysSeen;
        const std::string id = key->getValue<std::string>("id");
        const std::string fp = key->getValue<std::string>("fingerprint");
        const std::string status = key->getValue<std::string>("status");
        const bool leaked = key->optValue<bool>("leaked", false);
        // Peer and scope changes of a key that keeps its secret.
        if (const KeyEntry* next = findByFingerprint(*candidate, fp)) {
          std::vector<std::string> scopes;
          if (auto list = key->getArray("scopes")) {
            for (std::size_t s = 0; s < list->size(); ++s) scopes.push_back(list->getElement<std::string>(s));
          }
          const std::string peer = key->getValue<std::string>("peer");
          if (peer != next->peer) keyChanges.push_back(id + ": peer " + peer + " -> " + next->peer);
          if (scopes != next->rules().scopes) {
            keyChanges.push_back(id + ": scopes " + joined(scopes) + " -> " + joined(next->rules().scopes));
          }
          if (next->id != id) keyChanges.push_back(id + ": the same secret is now key '" + next->id + "'");
        } else {
          keyChanges.push_back(id + ": removed, or its secret changed (" + fp + " is not in the new config)");
        }
        if (key->getValue<std::uint64_t>("allowed") + key->getValue<std::uint64_t>("denied") == 0) continue;
        std::string encoded;
        Poco::URI::encode(id, "&=?#+/ %", encoded);
        auto reply = cliGet(url, "/v1/keys/" + encoded + "/calls", withKey, problem, tls);
        if (!reply) throw std::runtime_error(problem);
        if (reply->status != 200) continue;  // gone meanwhile
        auto body = Poco::JSON::Parser().parse(reply->body).extract<Poco::JSON::Object::Ptr>();
        Poco::JSON::Array::Ptr list = body->getArray("calls");
        for (std::size_t c = 0; list && c < list->size(); ++c) {
          auto call = list->getObject(static_cast<unsigned>(c));
          RecordedCall r;
          r.keyId = id;
          r.fingerprint = fp;
          r.revoked = status == "revoked";
          r.leaked = leaked;
          r.timeMs = parseRfc3339(call->getValue<std::string>("time")).value_or(0);
          r.method = call->getValue<std::string>("method");
          r.path = call->getValue<std::string>("path");
          r.code = call->optValue<std::string>("reason", "");
          calls.push_back(std::move(r));
        }
      }
      cursor = top->isNull("next_cursor") ? "" : top->getValue<std::string>("next_cursor");
    } while (!cursor.empty());
  } catch (const std::exception& e) {
    OPENSSL_cleanse(adminKey.data(), adminKey.size());
    std::cerr << "keyward reload --dry-run: " << e.what() << "\n";
    return kError;
  }
  OPENSSL_cleanse(adminKey.data(), adminKey.size());

  const std::vector<DecisionFlip> flips = replayCalls(calls, *candidate, unixMillisNow());
  std::cout << "dry run of " << config << " against " << url << ": " << keysSeen << " keys now, " << candidate->size()
            << " in the new config; " << calls.size() << " recent calls replayed\n";
  for (const std::string& change : keyChanges) std::cout << "key " << change << "\n";
  for (const DecisionFlip& f : flips) {
    std::cout << "flip " << f.call.keyId << " " << f.call.method << " " << f.call.path << " at "
              << formatRfc3339(f.call.timeMs) << ": " << f.before << " -> " << f.after << "\n";
  }
  std::cout << (flips.empty() ? "no recorded decision would change\n"
                              : std::to_string(flips.size()) + " recorded decision(s) would change\n");
  return flips.empty() ? kNoFlip : kFlips;
}

}  // namespace keyward
