#include "keyward/app/KeysCommand.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/URI.h>

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

#include "keyward/Client.h"
#include "keyward/app/CliHttp.h"
#include "keyward/app/CliOptions.h"
#include "keyward/base/Json.h"
#include "keyward/config/KeyPolicy.h"

namespace keyward {
namespace {

constexpr int kShown = 0, kRefused = 1, kError = 2;

struct Options {
  std::string action;  // list | show
  std::string id;
  std::string status, peer;
  std::string format = "table";
  std::string url;
  std::string keyFile;
  std::string caFile;
};

using Reply = CliReply;

std::optional<Reply> get(const Options& options, const std::string& pathAndQuery, const std::string& key,
                         std::string& problem) {
  return cliGet(
      options.url, pathAndQuery, [&](Poco::Net::HTTPRequest& request) { request.set("X-API-Key", key); }, problem,
      CliTlsOptions{options.caFile});
}

// A key id as one path segment.
std::string encode(const std::string& value) {
  std::string out;
  Poco::URI::encode(value, "&=?#+/ %", out);
  return out;
}

std::string timeText(const Poco::Dynamic::Var& value, std::int64_t now, const char* none) {
  if (value.isEmpty()) return none;
  auto ms = parseRfc3339(value.toString());
  return ms ? relativeTime(*ms, now) : value.toString();
}

std::string scopesText(const Poco::JSON::Object::Ptr& key) {
  std::string out;
  if (Poco::JSON::Array::Ptr scopes = key->getArray("scopes")) {
    for (std::size_t i = 0; i < scopes->size(); ++i) out += (i ? "," : "") + scopes->getElement<std::string>(i);
  }
  return out.empty() ? "-" : out;
}

void printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::vector<std::string> keyRow(const Poco::JSON::Object::Ptr& key, std::int64_t now) {
  std::string name = key->optValue<std::string>("name", "");
  return {key->getValue<std::string>("id"),
          name.empty() ? "-" : name,
          key->getValue<std::string>("peer"),
          key->getValue<std::string>("status") + (key->optValue<bool>("leaked", false) ? " (leaked)" : ""),
          scopesText(key),
          timeText(key->get("last_used"), now, "never"),
          timeText(key->get("expires"), now, "never"),
          std::to_string(key->getValue<std::uint64_t>("allowed")) + "/" +
              std::to_string(key->getValue<std::uint64_t>("denied"))};
}

int refusedOrError(const Reply& reply) {
  std::cerr << "keyward keys: the daemon answered " << reply.status << ": " << reply.body << "\n";
  return reply.status == 401 || reply.status == 403 || reply.status == 404 ? kRefused : kError;
}

int list(const Options& options, const std::string& key) {
  std::string query = "?limit=1000";
  if (!options.status.empty()) query += "&status=" + cliQueryValue(options.status);
  if (!options.peer.empty()) query += "&peer=" + cliQueryValue(options.peer);
  std::vector<Poco::JSON::Object::Ptr> keys;
  std::string cursor;
  std::vector<std::string> pages;
  do {
    std::string problem;
    auto reply =
        get(options, "/v1/keys" + query + (cursor.empty() ? "" : "&cursor=" + cliQueryValue(cursor)), key, problem);
    if (!reply) return std::cerr << "keyward keys: " << problem << "\n", kError;
    if (reply->status != 200) return refusedOrError(*reply);
    pages.push_back(reply->body);
    auto page = Poco::JSON::Parser().parse(reply->body).extract<Poco::JSON::Object::Ptr>();
    Poco::JSON::Array::Ptr items = page->getArray("keys");
    for (std::size_t i = 0; i < items->size(); ++i) keys.push_back(items->getObject(static_cast<unsigned>(i)));
    Poco::Dynamic::Var next = page->get("next_cursor");
    cursor = next.isEmpty() ? "" : next.toString();
  } while (!cursor.empty());

  if (options.format == "json") {
    std::cout << "[";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i) std::cout << ",";
      keys[i]->stringify(std::cout);
    }
    std::cout << "]\n";
    return kShown;
  }
  const std::int64_t now = unixMillisNow();
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "PEER", "STATUS", "SCOPES", "LAST USED", "EXPIRES", "ALLOWED/DENIED"}};
  for (const auto& k : keys) rows.push_back(keyRow(k, now));
  printTable(rows);
  std::cout << keys.size() << " key(s)\n";
  return kShown;
}

int show(const Options& options, const std::string& key) {
  std::string problem;
  auto reply = get(options, "/v1/keys/" + encode(options.id), key, problem);
  if (!reply) return std::cerr << "keyward keys: " << problem << "\n", kError;
  if (reply->status != 200) return refusedOrError(*reply);
  auto calls = get(options, "/v1/keys/" + encode(options.id) + "/calls", key, problem);
  if (!calls) return std::cerr << "keyward keys: " << problem << "\n", kError;
  if (calls->status != 200) return refusedOrError(*calls);
  if (options.format == "json") {
    std::cout << "{\"key\":" << reply->body << ",\"calls\":" << calls->body << "}\n";
    return kShown;
  }
  const std::int64_t now = unixMillisNow();
  auto k = Poco::JSON::Parser().parse(reply->body).extract<Poco::JSON::Object::Ptr>();
  auto field = [&](const char* name) {
    Poco::Dynamic::Var v = k->get(name);
    return v.isEmpty() || v.toString().empty() ? std::string("-") : v.toString();
  };
  printTable(
      {{"id", field("id")},
       {"name", field("name")},
       {"description", field("description")},
       {"peer", field("peer")},
       {"type", field("type")},
       {"scopes", scopesText(k)},
       {"status", field("status") + (field("revoked_reason") == "-" ? "" : " (" + field("revoked_reason") + ")") +
                      (k->optValue<bool>("leaked", false) ? " (leaked: keyward leaked --list)" : "")},
       {"fingerprint", field("fingerprint")},
       {"created", timeText(k->get("created"), now, "-")},
       {"not before", timeText(k->get("not_before"), now, "-")},
       {"expires", timeText(k->get("expires"), now, "never")},
       {"last used", timeText(k->get("last_used"), now, "never")},
       {"allowed", field("allowed")},
       {"denied", field("denied")}});
  auto c = Poco::JSON::Parser().parse(calls->body).extract<Poco::JSON::Object::Ptr>();
  Poco::JSON::Array::Ptr list = c->getArray("calls");
  std::cout << "\nrecent calls (" << list->size() << "):\n";
  std::vector<std::vector<std::string>> rows = {{"WHEN", "METHOD", "PATH", "STATUS", "REASON", "CLIENT"}};
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto call = list->getObject(static_cast<unsigned>(i));
    std::string reason = call->getValue<std::string>("reason");
    rows.push_back({timeText(call->get("time"), now, "-"), call->getValue<std::string>("method"),
                    call->getValue<std::string>("path"), std::to_string(call->getValue<int>("status")),
                    reason.empty() ? "-" : reason, call->getValue<std::string>("client")});
  }
  printTable(rows);
  return kShown;
}

}  // namespace

std::string relativeTime(std::int64_t whenMs, std::int64_t nowMs) {
  const std::int64_t delta = nowMs - whenMs;
  const std::int64_t s = (delta < 0 ? -delta : delta) / 1000;
  if (s < 5) return "just now";
  std::string amount;
  if (s < 60)
    amount = std::to_string(s) + " s";
  else if (s < 3600)
    amount = std::to_string(s / 60) + " min";
  else if (s < 86400 * 2)
    amount = std::to_string(s / 3600) + " h";
  else
    amount = std::to_string(s / 86400) + " days";
  return delta >= 0 ? amount + " ago" : "in " + amount;
}

int runKeysCommand(int argc, char** argv) {
  Options options;
  CliOptions cli("keyward keys",
                 "keyward keys list [--status S] [--peer P] [--format table|json] [--url URL] [--admin-key-file PATH]\n"
                 "       keyward keys show ID [--format table|json] [--url URL] [--admin-key-file PATH]",
                 "Asks a running daemon's admin API (a key with scope admin).\n"
                 "URL: http://host:port, https://host:port or unix:/path/to/keyward.sock.\n"
                 "Environment: KEYWARD_URL, KEYWARD_ADMIN_KEY_FILE, KEYWARD_ADMIN_KEY (the key itself).\n"
                 "Exit status: 0 shown, 1 refused by the daemon or no such key, 2 usage or connection error.");
  cli.value("status", options.status, "S", "list: only keys in status S (active, suspended, revoked, expired, pending)")
      .value("peer", options.peer, "P", "list: only keys of peer P")
      .value("format", options.format, "FORMAT", "table (default) or json")
      .value("url", options.url, "URL", "the daemon (default $KEYWARD_URL, then http://127.0.0.1:8420)")
      .value("admin-key-file", options.keyFile, "PATH", "the admin key (default $KEYWARD_ADMIN_KEY_FILE)")
      .value("cacert", options.caFile, "PATH", "with https://, trust this PEM bundle instead of the system CAs");
  std::vector<std::string> positionals;
  if (auto done = cli.parse(std::vector<std::string>(argv + 1, argv + argc), positionals)) return *done;
  if (positionals.empty()) return cli.usageError("say list or show");
  options.action = positionals[0];
  if (options.action != "list" && options.action != "show") {
    return cli.usageError("unknown action '" + options.action + "' (list or show)");
  }
  if (options.action == "show") {
    if (positionals.size() < 2) return cli.usageError("show needs a key id");
    options.id = positionals[1];
  }
  const std::size_t expected = options.action == "show" ? 2 : 1;
  if (positionals.size() > expected) return cli.usageError("unexpected argument '" + positionals[expected] + "'");
  if (options.format != "table" && options.format != "json") return cli.usageError("--format must be table or json");
  if (options.url.empty()) options.url = cliEnv("KEYWARD_URL");
  if (options.url.empty()) options.url = "http://127.0.0.1:8420";
  std::string problem;
  std::optional<std::string> key = cliAdminKey(options.keyFile, problem);
  if (!key) return cli.usageError(problem);
  if (!cliUrlUsable(options.url, problem)) return cli.usageError(problem);
  try {
    return options.action == "list" ? list(options, *key) : show(options, *key);
  } catch (const Poco::Exception& e) {
    std::cerr << "keyward keys: unexpected answer: " << e.displayText() << "\n";
    return kError;
  }
}

}  // namespace keyward
