#include "keyward/api/ApiHandler.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "keyward/api/AdminViews.h"
#include "keyward/api/MetricsText.h"
#include "keyward/base/Json.h"
#include "keyward/base/Log.h"
#include "keyward/http/QueryString.h"
#include "keyward/keys/KeyLoader.h"
#include "keyward/verify/OriginalRequest.h"
#include "keyward/verify/Routes.h"

namespace keyward {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kVerify = "/v1/verify";
constexpr std::string_view kKeys = "/v1/keys";
constexpr std::string_view kLeaks = "/v1/leaks";
constexpr std::size_t kMaxLeakReports = 1000;  // tokens in one report

bool hasPrefixPath(std::string_view path, std::string_view prefix) {
  return path.substr(0, prefix.size()) == prefix && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

// Writes a refusal: fixed body, no detail about the key. `retryAfter` (seconds) goes with
// 429s. nginx auth_request passes only 401 and 403 on (anything else becomes a 500 for
// every client), so for it other statuses are sent as 403; X-Keyward-Code keeps the truth.
void writeDenial(ResponseWriter& response, Verdict verdict, AnswerStyle style, std::string_view retryAfter = {}) {
  const std::string_view code = codeOf(verdict);
  int status = statusOf(verdict);
  if (style == AnswerStyle::AuthRequest && status != 401 && status != 403) status = 403;
  response.status(status);
  if (status == 401) response.header("WWW-Authenticate", "ApiKey realm=\"keyward\"");
  if (!retryAfter.empty()) response.header("Retry-After", retryAfter);
  response.header("Cache-Control", "no-store");
  response.header("X-Keyward-Code", code);
  if (style != AnswerStyle::Json) return response.finish({}, {});  // headers only: no Content-Type
  std::string body = "{\"valid\":false,\"code\":\"";
  body += code;
  body += "\"}";
  response.finish(kJson, body);
}

// The address a denial is counted against: behind a trusted proxy, the client the proxy
// appended last to X-Forwarded-For; otherwise the peer.
AddressKey clientAddressOf(const HttpRequest& request, const ClientInfo& client, bool trustedPeer) {
  if (trustedPeer) {
    if (const HeaderField* xff = request.findHeader("x-forwarded-for")) {
      std::string_view last = xff->value.substr(xff->value.rfind(',') + 1);
      while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
      if (last.size() < INET6_ADDRSTRLEN) {
        char text[INET6_ADDRSTRLEN] = {};
        last.copy(text, last.size());
        sockaddr_storage parsed{};
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&parsed);
        auto* in4 = reinterpret_cast<sockaddr_in*>(&parsed);
        if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
          parsed.ss_family = AF_INET;
          return addressKeyOf(parsed);
        }
        if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
          parsed.ss_family = AF_INET6;
          return addressKeyOf(parsed);
        }
      }
    }
  }
  return addressKeyOf(client.address);
}

void sendJson(ResponseWriter& response, int status, std::string_view body) {
  response.status(status);
  response.header("Cache-Control", "no-store");
  response.finish(kJson, body);
}

// As /v1/status reports it: absolute, so a client can compare it whatever its directory.
std::string absolutePath(const std::string& path) {
  if (path.empty()) return "built-in";
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// Only '?': a '#' stays in the path, where the route matcher refuses it (a proxy never sends
// a fragment, and an upstream may take it as part of the path).
std::string_view withoutQuery(std::string_view uri) { return uri.substr(0, uri.find('?')); }

// A proxy whose forwarded headers are believed: a configured address, or any peer on the
// unix socket (reaching it already takes the socket file's permissions).
bool isTrustedProxy(const KeySet* keys, const ClientInfo& client) {
  if (client.address.ss_family == AF_UNIX) return true;
  return keys && anyContains(keys->rules().trustedProxies, client.address);
}

}  // namespace

ApiHandler::ApiHandler(const ApiServices& services)
    : reloader_(services.reloader),
      server_(services.server),
      usage_(services.usage),
      throttle_(services.throttle),
      limiter_(services.limiter),
      shared_(services.shared),
      registry_(services.metrics),
      counters_(services.metrics ? &services.metrics->addLoop() : nullptr),
      clock_(services.clock ? services.clock : Clock(unixMillisNow)),
      keys_(services.reloader.keys()),
      configPath_(absolutePath(services.reloader.configPath())) {}

void ApiHandler::handle(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) {
  now_ = clock_();
  const std::string_view path = request.path;
  if (hasPrefixPath(path, kVerify)) return verify(request, client, response);
  if (hasPrefixPath(path, kKeys)) return admin(request, client, response);
  if (hasPrefixPath(path, kLeaks)) return leaks(request, client, response);
  if (path == "/healthz") return sendJson(response, 200, "{\"status\":\"ok\"}");
  if (path == "/readyz") return ready(response);
  if (path == "/v1/status") {
    const KeySet* keys = keys_.get();
    if (!keys || allowedToRead(request, client, keys, keys->rules().statusScope, response)) status(response);
    return;
  }
  if (path == "/metrics" && registry_) {
    const KeySet* keys = keys_.get();
    if (!keys || allowedToRead(request, client, keys, keys->rules().metricsScope, response)) metrics(response);
    return;
  }
  sendJson(response, 404, "{\"error\":\"NOT_FOUND\"}");
}

bool ApiHandler::allowedToRead(const HttpRequest& request, const ClientInfo& client, const KeySet* keys,
                               std::string_view scope, ResponseWriter& response) {
  if (scope.empty()) return true;
  Decision decision = verifyRequest(request, keys, Requirement{{}, scope, {}}, now_);
  record(decision, request.method, request.path, client);
  if (decision.allowed()) return true;
  refuse(request, client, keys, decision, AnswerStyle::Json, response);
  return false;
}

void ApiHandler::record(const Decision& decision, std::string_view method, std::string_view path,
                        const ClientInfo& client) {
  if (!usage_ || !decision.key) return;
  // The usage record is found once per key and generation, then reached by pointer.
  std::atomic_ref<KeyUsage*> slot(decision.key->usage);
  KeyUsage* usage = slot.load(std::memory_order_acquire);
  if (!usage) {
    usage = &usage_->forKey(decision.key->id);
    slot.store(usage, std::memory_order_release);
  }
  usage->record(now_, decision.allowed(), method, path, decision.status(), decision.code(), client.host(host_));
}

void ApiHandler::verify(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) {
  const auto started = std::chrono::steady_clock::now();
  struct CountOnExit {  // every verify answer is counted, whichever way it leaves
    VerifyCounters* counters;
    std::chrono::steady_clock::time_point started;
    Verdict verdict = Verdict::BadRequest;
    ~CountOnExit() {
      if (counters) {
        counters->count(verdict, static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                                std::chrono::steady_clock::now() - started)
                                                                .count()));
      }
    }
  } counted{counters_, started};
  const KeySet* keys = keys_.get();
  const AnswerStyle style = answerStyleOf(request);
  const OriginalRequest original = originalRequestOf(request, kVerify, isTrustedProxy(keys, client),
                                                     keys ? keys->rules().originalRequest : OriginalRequestFrom::Auto);
  if (original.conflicting) {
    // A client added original-request fields the proxy did not overwrite: refuse rather
    // than guess which ones the proxy set.
    counted.verdict = refuse(request, client, keys, {Verdict::AmbiguousOriginal}, style, response);
    return;
  }

  Requirement need;
  QueryParam peer, scope;
  if (request.path.size() == kVerify.size()) {
    // Demands in our own query (?peer=&scope=); Envoy's query belongs to the original.
    peer = queryParam(request.query, "peer");
    scope = queryParam(request.query, "scope");
    if (!peer.valid || !scope.valid) {
      counted.verdict = refuse(request, client, keys, {Verdict::BadRequest}, style, response);
      return;
    }
    need.peer = peer.value;
    need.scope = scope.value;
  }
  // The path recorded in usage is the one asked about, as sent (not the folded form).
  const std::string_view originalPath = withoutQuery(original.uri);
  if (keys && !demandRoutes(keys->rules(), !original.uri.empty(), original.method, originalPath, routeScratch_, need)) {
    counted.verdict = refuse(request, client, keys, {Verdict::InvalidPath}, style, response);
    return;
  }

  Decision decision = verifyRequest(request, keys, need, now_);
  rate_ = {};
  if (decision.allowed() && limiter_ && !admitRate(*decision.key, keys->rules()))
    decision.verdict = Verdict::RateLimited;
  const bool fromProxy = original.family != OriginalFamily::None;
  record(decision, fromProxy ? original.method : request.method, fromProxy ? originalPath : request.path, client);
  if (!decision.allowed()) {
    counted.verdict = refuse(request, client, keys, decision, style, response);
    return;
  }
  counted.verdict = Verdict::Allowed;
  const KeyEntry& key = *decision.key;
  const KeyPolicy& policy = key.rules();
  response.status(200);
  if (const std::int64_t maxAge = keys->rules().cacheMaxAgeSeconds; maxAge > 0) {
    // Lets a proxy reuse a positive answer briefly (denials are never cached).
    response.header("Cache-Control", "private, max-age=" + std::to_string(maxAge));
  } else {
    response.header("Cache-Control", "no-store");
  }
  response.header("X-Keyward-Key-Id", key.id);
  response.header("X-Keyward-Peer", key.peer);
  policy.writeScopeList(scopes_);
  response.header("X-Keyward-Scopes", scopes_);
  if (rate_.applies) writeRateHeaders(response);
  const bool expiresSoon = policy.expiresMs != kNoEnd && policy.expiresMs - now_ <= keys->rules().expiryWarningMs;
  std::string expires;
  if (expiresSoon) {
    expires = formatRfc3339(policy.expiresMs);
    response.header("X-Keyward-Expires", expires);
  }
  if (style != AnswerStyle::Json) return response.finish({}, {});  // headers only: no body to type
  body_.assign("{\"valid\":true,\"key_id\":");
  appendJsonString(body_, key.id);
  body_ += ",\"peer\":";
  appendJsonString(body_, key.peer);
  body_ += ",\"scopes\":";
  appendJsonStringArray(body_, policy.scopes);
  if (expiresSoon) {
    body_ += ",\"expires\":";
    appendJsonString(body_, expires);
  }
  body_ += '}';
  response.finish(kJson, body_);
}

void ApiHandler::admin(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) {
  const KeySet* keys = keys_.get();
  Decision decision = verifyRequest(request, keys, Requirement{{}, "admin", {}}, now_);
  record(decision, request.method, request.path, client);
  if (!decision.allowed()) {
    refuse(request, client, keys, decision, AnswerStyle::Json, response);
    return;
  }
  if (request.method != "GET" && request.method != "HEAD") {
    response.status(405);
    response.header("Allow", "GET, HEAD");
    response.header("Cache-Control", "no-store");
    return response.finish(kJson, "{\"error\":\"METHOD_NOT_ALLOWED\"}");
  }
  if (request.path == kKeys) {
    KeyPage page = listKeys(*keys, usage_, request.query, now_);
    return sendJson(response, page.status, page.body);
  }
  // /v1/keys/{id} or /v1/keys/{id}/calls
  std::string_view rest = request.path.substr(kKeys.size() + 1);
  bool calls = false;
  if (std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (rest.substr(slash) != "/calls") return sendJson(response, 404, "{\"error\":\"NOT_FOUND\"}");
    calls = true;
    rest = rest.substr(0, slash);
  }
  const KeyEntry* key = keys->findById(rest);
  if (!key) return sendJson(response, 404, "{\"error\":\"KEY_NOT_FOUND\"}");
  const KeyUsage* usage = usage_ ? usage_->find(key->id) : nullptr;
  body_.clear();
  if (calls)
    appendCallsJson(body_, key->id, usage);
  else
    appendKeyJson(body_, *key, usage, now_, true);
  sendJson(response, 200, body_);
}

void ApiHandler::leaks(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) {
  const KeySet* keys = keys_.get();
  Decision decision = verifyRequest(request, keys, Requirement{}, now_);
  const bool isAdmin = decision.allowed() && decision.key->rules().hasScope("admin");
  const bool isPost = request.method == "POST";
  // Reporting needs admin or leaks:report (what a scanner's webhook holds); reading and
  // clearing need admin: a reporter can suspend keys, never bring one back.
  if (decision.allowed() && !isAdmin && !(isPost && decision.key->rules().hasScope("leaks:report"))) {
    decision.verdict = Verdict::InsufficientScope;
  }
  record(decision, request.method, request.path, client);
  if (!decision.allowed()) {
    refuse(request, client, keys, decision, AnswerStyle::Json, response);
    return;
  }
  auto methodNotAllowed = [&](std::string_view allow) {
    response.status(405);
    response.header("Allow", allow);
    response.header("Cache-Control", "no-store");
    response.finish(kJson, "{\"error\":\"METHOD_NOT_ALLOWED\"}");
  };
  if (request.path == kLeaks) {
    if (isPost) return reportLeaks(request, *keys, response);
    if (request.method != "GET" && request.method != "HEAD") return methodNotAllowed("GET, HEAD, POST");
    body_ = "{\"suspended\":[";
    const std::vector<SuspendedKey> list = usage_ ? usage_->suspensions() : std::vector<SuspendedKey>{};
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (i) body_ += ',';
      body_ += "{\"id\":";
      appendJsonString(body_, list[i].id);
      body_ += ",\"fingerprint\":\"" + fingerprint(list[i].digest) + "\",\"url\":";
      appendJsonString(body_, list[i].url);
      body_ += ",\"source\":";
      appendJsonString(body_, list[i].source);
      body_ += ",\"time\":";
      appendJsonString(body_, formatRfc3339(list[i].timeMs));
      body_ += '}';
    }
    body_ += "]}";
    return sendJson(response, 200, body_);
  }
  // /v1/leaks/{id or fingerprint}
  if (request.method != "DELETE") return methodNotAllowed("DELETE");
  const std::string_view which = request.path.substr(kLeaks.size() + 1);
  const UsageStore::SuspensionChange change =
      usage_ ? usage_->clearSuspensions(which, now_) : UsageStore::SuspensionChange{};
  const std::vector<SuspendedKey>& cleared = change.changed;
  if (!change.saved) {
    Log::error("leak_not_saved", "leak suspension not cleared: the suspension list could not be written",
               {{"path", change.path}, {"error", change.problem}});
    return sendJson(response, 503, "{\"error\":\"NOT_SAVED\",\"reason\":\"the suspension list could not be saved\"}");
  }
  if (cleared.empty()) return sendJson(response, 404, "{\"error\":\"NOT_SUSPENDED\"}");
  for (const SuspendedKey& k : cleared) {
    keys->markLeaked(k.digest, false);
    Log::warn("leak_cleared", "leak suspension cleared by an operator; the key works again",
              {{"key_id", k.id}, {"fingerprint", fingerprint(k.digest)}, {"by", decision.key->id}});
  }
  sendJson(response, 200, "{\"cleared\":" + std::to_string(cleared.size()) + "}");
}

void ApiHandler::reportLeaks(const HttpRequest& request, const KeySet& keys, ResponseWriter& response) {
  // GitHub secret scanning's partner alert: [{"token","type","url","source"}, ...].
  std::vector<std::array<std::string, 4>> reports;
  try {
    Poco::JSON::Parser parser;
    Poco::JSON::Array::Ptr list = parser.parse(std::string(request.body)).extract<Poco::JSON::Array::Ptr>();
    if (!list || list->size() > kMaxLeakReports) throw std::runtime_error("not a list of at most 1000 reports");
    for (std::size_t i = 0; i < list->size(); ++i) {
      Poco::JSON::Object::Ptr item = list->getObject(static_cast<unsigned>(i));
      if (!item || !item->has("token")) throw std::runtime_error("a report without a token");
      reports.push_back({item->getValue<std::string>("token"), item->optValue<std::string>("type", ""),
                         item->optValue<std::string>("url", ""), item->optValue<std::string>("source", "")});
    }
  } catch (const std::exception&) {
    // Poco's exceptions derive from std::exception; none may leave the handler.
    for (auto& r : reports) OPENSSL_cleanse(r[0].data(), r[0].size());
    return sendJson(response, 400,
                    "{\"error\":\"BAD_REQUEST\",\"reason\":\"expected a JSON list of {token, type, url, source}\"}");
  }
  // Refused from the next request on (every matched key is marked at once, before any
  // I/O), then written to suspended.json once for the whole report: one fsync, not one per
  // key, on this event loop.
  std::vector<SuspendedKey> matched;
  std::vector<std::string> types;
  for (auto& [token, type, url, source] : reports) {
    const Digest digest = sha256(token);
    OPENSSL_cleanse(token.data(), token.size());
    const KeyEntry* key = keys.find(digest);
    if (!key) continue;  // not a key (any more): nothing to do, and nothing said about it
    keys.markLeaked(digest, true);
    matched.push_back({digest, key->id, url.substr(0, 512), source.substr(0, 64), now_});
    types.push_back(type.substr(0, 64));
  }
  // Also with nothing matched: while an earlier write failed, this retries it, and every
  // report is answered alike (503) whether or not its tokens were keys.
  UsageStore::SuspensionChange change;
  if (usage_) change = usage_->addSuspensions(matched);
  for (std::size_t i = 0, m = 0; i < change.changed.size(); ++i) {
    const SuspendedKey& k = change.changed[i];
    while (m < matched.size() && !(matched[m].digest == k.digest)) ++m;  // `changed` keeps the report's order
    Log::warn("key_leaked", "key reported leaked: suspended until an operator clears it (keyward leaked --clear)",
              {{"key_id", k.id},
               {"fingerprint", fingerprint(k.digest)},
               {"url", k.url},
               {"source", k.source},
               {"type", m < types.size() ? types[m] : std::string()}});
  }
  Log::info("leak_report", "leak report received",
            {{"tokens", reports.size()}, {"newly_suspended", change.changed.size()}});
  if (!change.saved) {
    // Suspended here until this process ends, but not on disk: the reporter must retry and
    // the operator must know. The answer still does not say which tokens were keys.
    Log::error("leak_not_saved",
               "leak suspensions could not be written; refused until this process ends but lost at restart "
               "(fix the state directory; keyward retries at the next state save)",
               {{"path", change.path}, {"error", change.problem}});
    return sendJson(response, 503, "{\"error\":\"NOT_SAVED\",\"reason\":\"the suspension list could not be saved\"}");
  }
  // The same answer whatever the tokens were: a reporter learns nothing about which are keys.
  sendJson(response, 200, "{\"received\":" + std::to_string(reports.size()) + "}");
}

Verdict ApiHandler::refuse(const HttpRequest& request, const ClientInfo& client, const KeySet* keys, Decision decision,
                           AnswerStyle style, ResponseWriter& response) {
  const Verdict sent = deny(request, client, keys, decision, style, response);
  // Verify answers are counted with their latency (CountOnExit); the other endpoints here.
  if (counters_ && !hasPrefixPath(request.path, kVerify)) {
    counters_->endpointDenials[indexOf(sent)].fetch_add(1, std::memory_order_relaxed);
  }
  return sent;
}

Verdict ApiHandler::deny(const HttpRequest& request, const ClientInfo& client, const KeySet* keys, Decision decision,
                         AnswerStyle style, ResponseWriter& response) {
  if (decision.verdict == Verdict::RateLimited) {
    // A valid key over its budget: not a guess, so not counted by the failure throttle.
    logDenial(request, client, decision);
    writeRateHeaders(response);
    writeDenial(response, decision.verdict, style,
                std::to_string(std::max<std::int64_t>(1, (rate_.retryAfterUs + 999'999) / 1'000'000)));
    return decision.verdict;
  }
  if (throttle_) {
    const AddressKey who = clientAddressOf(request, client, isTrustedProxy(keys, client));
    FailureThrottle::Verdict verdict = throttle_->recordDenial(who, now_);
    if (verdict.throttled) {
      if (verdict.firstThrottled) {
        Log::warn("throttle", "too many denied requests from one client; answering 429 until the window ends",
                  {{"client", client.text()}, {"retry_after", verdict.retryAfterSeconds}});
      }
      writeDenial(response, Verdict::Throttled, style, std::to_string(verdict.retryAfterSeconds));
      return Verdict::Throttled;
    }
  }
  logDenial(request, client, decision);
  writeDenial(response, decision.verdict, style);
  return decision.verdict;
}

bool ApiHandler::admitRate(const KeyEntry& key, const AccessRules& rules) {
  const RateLimit& keyLimit = key.rules().rateLimit;
  const RateLimit* peerLimit = rules.peerLimits.empty() ? nullptr : rules.peerLimit(key.peer);
  if (!keyLimit && !peerLimit) return true;
  // Budgets are found once per key and generation, then reached by pointer.
  auto cached = [&](RateBudget*& field, RateLimiter::Kind kind, std::string_view name, const RateLimit& limit) {
    std::atomic_ref<RateBudget*> slot(field);
    RateBudget* budget = slot.load(std::memory_order_acquire);
    if (!budget) {
      budget = limiter_->budget(kind, name, limit);
      slot.store(budget, std::memory_order_release);
    }
    return budget;
  };
  const std::int64_t nowUs =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  rate_.applies = true;
  RateBudget* keyBudget = keyLimit ? cached(key.keyBudget, RateLimiter::Kind::Key, key.id, keyLimit) : nullptr;
  RateBudget* peerBudget = peerLimit ? cached(key.peerBudget, RateLimiter::Kind::Peer, key.peer, *peerLimit) : nullptr;
  RateBudget::Outcome keyOutcome, peerOutcome;
  if (keyBudget) {
    keyOutcome = keyBudget->take(nowUs);
    if (!keyOutcome.allowed) return rate_.set("key", keyLimit, keyOutcome), false;
  }
  if (peerBudget) {
    peerOutcome = peerBudget->take(nowUs);
    if (!peerOutcome.allowed) {
      if (keyBudget) keyBudget->giveBack();
      return rate_.set("peer", *peerLimit, peerOutcome), false;
    }
  }
  // Admitted: tell the caller about the tighter of the two budgets.
  if (keyBudget && (!peerBudget || keyOutcome.remaining <= peerOutcome.remaining)) {
    rate_.set("key", keyLimit, keyOutcome);
  } else {
    rate_.set("peer", *peerLimit, peerOutcome);
  }
  return true;
}

// IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the policy (quota q per
// window w seconds) and what is left of it (r requests, full again in t seconds).
void ApiHandler::writeRateHeaders(ResponseWriter& response) {
  // Formatted on the stack with to_chars: no allocation, no format parsing per request.
  char text[96];
  auto field = [&](std::initializer_list<std::string_view> parts, std::uint64_t a, std::uint64_t b) {
    char* at = text;
    auto put = [&](std::string_view s) { at = std::copy(s.begin(), s.end(), at); };
    auto it = parts.begin();
    put("\"");
    put(rate_.policy);
    put(*it++);
    at = std::to_chars(at, text + sizeof text, a).ptr;
    put(*it);
    at = std::to_chars(at, text + sizeof text, b).ptr;
    return std::string_view(text, static_cast<std::size_t>(at - text));
  };
  response.header("RateLimit-Policy",
                  field({"\";q=", ";w="}, rate_.limit.requests, static_cast<std::uint64_t>(rate_.limit.perMs / 1000)));
  response.header("RateLimit", field({"\";r=", ";t="}, rate_.outcome.remaining,
                                     static_cast<std::uint64_t>((rate_.outcome.resetUs + 999'999) / 1'000'000)));
}

void ApiHandler::metrics(ResponseWriter& response) {
  MetricsInputs in;
  in.verify = registry_->totals();
  ServerStats stats;
  if (server_) {
    stats = server_->stats();
    in.server = &stats;
  }
  in.reload = reloader_.status();
  in.keys = keys_.get();
  in.usage = usage_;
  in.throttled = throttle_ ? throttle_->throttledTotal() : 0;
  in.logDropped = Log::droppedLines();
  in.nowMs = now_;
  std::shared_ptr<const std::string> text =
      registry_->text(now_, [&] { return renderMetrics(in) + (shared_ ? shared_->metricsText() : std::string()); });
  response.status(200);
  response.header("Cache-Control", "no-store");
  response.finish("text/plain; version=0.0.4; charset=utf-8", *text);
}

void ApiHandler::logDenial(const HttpRequest& request, const ClientInfo& client, const Decision& decision) {
  // One line per denial, but at most kDenialLogsPerSecond a second from this loop: a flood
  // of bad keys must not become a flood of log lines. The rest are counted in one line.
  constexpr std::uint32_t kDenialLogsPerSecond = 50;
  if (!Log::enabled(LogLevel::Info)) return;
  const std::int64_t second = now_ / 1000;
  if (second != denialLogSecond_) {
    if (denialLogsSuppressed_ > 0) {
      Log::info("deny_suppressed", "denial log lines left out to bound log volume",
                {{"count", static_cast<std::uint64_t>(denialLogsSuppressed_)}});
    }
    denialLogSecond_ = second;
    denialLogsThisSecond_ = 0;
    denialLogsSuppressed_ = 0;
  }
  if (++denialLogsThisSecond_ > kDenialLogsPerSecond) {
    ++denialLogsSuppressed_;
    return;
  }
  Log::info("deny", "request denied",
            {{"code", decision.code()},
             {"status", decision.status()},
             {"key_id", decision.key ? std::string_view(decision.key->id) : std::string_view()},
             {"client", client.text()},
             {"path", request.path}});
}

void ApiHandler::ready(ResponseWriter& response) {
  const KeySet* keys = keys_.get();
  bool ready = keys && keys->size() > 0;
  sendJson(response, ready ? 200 : 503, ready ? "{\"ready\":true}" : "{\"ready\":false}");
}

void ApiHandler::status(ResponseWriter& response) {
  ReloadStatus s = reloader_.status();
  std::string body = "{\"version\":";
  appendJsonString(body, KEYWARD_VERSION);
  // Who answers: lets a client (the rotation tool) check it reached the daemon it means.
  body += ",\"pid\":" + std::to_string(::getpid());
  body += ",\"config\":";
  appendJsonString(body, configPath_);
  body += ",\"started\":";
  appendJsonString(body, formatRfc3339(s.startedUnixMs));
  body += ",\"generation\":" + std::to_string(s.generation);
  body += ",\"keys\":" + std::to_string(s.keyCount);
  body +=
      ",\"reloads\":{\"succeeded\":" + std::to_string(s.succeeded) + ",\"failed\":" + std::to_string(s.failed) + "}";
  body += ",\"last_reload\":{\"time\":";
  appendJsonString(body, formatRfc3339(s.lastAttemptUnixMs));
  body += ",\"result\":";
  body += s.lastOk ? "\"ok\"" : "\"failed\"";
  body += ",\"errors\":";
  appendJsonStringArray(body, s.lastErrors);
  if (!s.lastChanges.empty()) body += ",\"changes\":" + s.lastChanges;
  body += "}";
  body += ",\"expiring\":[";
  if (const KeySet* keys = keys_.get()) {
    std::vector<ExpiringKey> soon = expiringKeys(*keys, now_);
    for (std::size_t i = 0; i < soon.size(); ++i) {
      if (i) body += ',';
      body += "{\"id\":";
      appendJsonString(body, soon[i].id);
      body += ",\"expires\":";
      appendJsonString(body, formatRfc3339(soon[i].expiresMs));
      body += '}';
    }
  }
  body += ']';
  if (server_) {
    ServerStats stats = server_->stats();
    body += ",\"connections\":{\"accepted\":" + std::to_string(stats.connectionsAccepted) +
            ",\"active\":" + std::to_string(stats.connectionsActive) +
            ",\"refused\":" + std::to_string(stats.connectionsRefused) +
            ",\"timed_out\":" + std::to_string(stats.timeouts) + "}";
    body += ",\"requests\":" + std::to_string(stats.requests);
  }
  body += ",\"shared_state\":";
  if (shared_) {
    SharedStateStatus shared = shared_->status();
    body += "{\"enabled\":true,\"redis\":";
    appendJsonString(body, shared.redis);
    body += ",\"replica\":";
    appendJsonString(body, shared.replica);
    body += std::string(",\"connected\":") + (shared.connected ? "true" : "false") + ",\"last_sync\":";
    if (shared.lastSyncMs)
      appendJsonString(body, formatRfc3339(shared.lastSyncMs));
    else
      body += "null";
    body += ",\"errors\":" + std::to_string(shared.errors) + ",\"last_error\":";
    appendJsonString(body, shared.lastError);
    body += ",\"revocations_received\":" + std::to_string(shared.revocationsReceived) + "}";
  } else {
    body += "{\"enabled\":false}";
  }
  body += "}";
  sendJson(response, 200, body);
}

}  // namespace keyward
