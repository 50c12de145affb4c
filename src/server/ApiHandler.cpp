#include "keyward/ApiHandler.h"

#include "keyward/Json.h"
#include "keyward/Log.h"
#include "keyward/Verifier.h"

namespace keyward {
namespace {

constexpr std::string_view kJson = "application/json";

bool isVerifyPath(std::string_view path) {
  constexpr std::string_view kVerify = "/v1/verify";
  return path.substr(0, kVerify.size()) == kVerify && (path.size() == kVerify.size() || path[kVerify.size()] == '/');
}

// nginx auth_request reads only the head of keyward's answer, and keeps its upstream
// connection alive only when there is no body to skip; it is recognised by the
// X-Original-URI / X-Original-Method headers its documented config sets.
bool wantsHeadersOnly(const HttpRequest& request) {
  return request.findHeader("x-original-uri") || request.findHeader("x-original-method");
}

// The one way a verify request is refused: fixed body, no detail about the key.
void deny(ResponseWriter& response, int status, std::string_view code, bool headersOnly) {
  response.status(status);
  if (status == 401) response.header("WWW-Authenticate", "ApiKey realm=\"keyward\"");
  response.header("Cache-Control", "no-store");
  response.header("X-Keyward-Code", code);
  if (headersOnly) return response.finish(kJson, {});
  std::string body = "{\"valid\":false,\"code\":\"";
  body += code;
  body += "\"}";
  response.finish(kJson, body);
}

}  // namespace

ApiHandler::ApiHandler(const Reloader& reloader, const HttpServer* server)
    : reloader_(reloader), server_(server), keys_(reloader.keys()) {}

void ApiHandler::handle(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) {
  const std::string_view path = request.path;
  if (isVerifyPath(path)) return verify(request, client, response);
  if (path == "/healthz") {
    response.status(200);
    response.header("Cache-Control", "no-store");
    return response.finish(kJson, "{\"status\":\"ok\"}");
  }
  if (path == "/readyz") return ready(response);
  if (path == "/v1/status") return status(response);
  response.status(404);
  response.header("Cache-Control", "no-store");
  response.finish(kJson, "{\"error\":\"NOT_FOUND\"}");
}

void ApiHandler::verify(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) {
  Decision decision = verifyRequest(request, keys_.get());
  const bool headersOnly = wantsHeadersOnly(request);
  if (!decision.allowed) {
    if (Log::enabled(LogLevel::Debug)) {
      Log::write(LogLevel::Debug, "deny", "request denied",
                 {{"code", decision.code}, {"client", client.text()}, {"path", request.path}});
    }
    return deny(response, decision.status, decision.code, headersOnly);
  }
  const KeyEntry& key = *decision.key;
  response.status(200);
  response.header("Cache-Control", "no-store");
  response.header("X-Keyward-Key-Id", key.id);
  response.header("X-Keyward-Peer", key.peer);
  if (headersOnly) return response.finish(kJson, {});
  body_.assign("{\"valid\":true,\"key_id\":");
  appendJsonString(body_, key.id);
  body_ += ",\"peer\":";
  appendJsonString(body_, key.peer);
  body_ += '}';
  response.finish(kJson, body_);
}

void ApiHandler::ready(ResponseWriter& response) {
  const KeySet* keys = keys_.get();
  bool ready = keys && keys->size() > 0;
  response.status(ready ? 200 : 503);
  response.header("Cache-Control", "no-store");
  response.finish(kJson, ready ? "{\"ready\":true}" : "{\"ready\":false}");
}

void ApiHandler::status(ResponseWriter& response) {
  ReloadStatus s = reloader_.status();
  std::string body = "{\"version\":";
  appendJsonString(body, KEYWARD_VERSION);
  body += ",\"started\":";
  appendJsonString(body, formatRfc3339(s.startedUnixMs));
  body += ",\"generation\":" + std::to_string(s.generation);
  body += ",\"keys\":" + std::to_string(s.keyCount);
  body += ",\"reloads\":{\"succeeded\":" + std::to_string(s.succeeded) + ",\"failed\":" + std::to_string(s.failed) + "}";
  body += ",\"last_reload\":{\"time\":";
  appendJsonString(body, formatRfc3339(s.lastAttemptUnixMs));
  body += ",\"result\":";
  body += s.lastOk ? "\"ok\"" : "\"failed\"";
  body += ",\"errors\":[";
  for (std::size_t i = 0; i < s.lastErrors.size(); ++i) {
    if (i) body += ',';
    appendJsonString(body, s.lastErrors[i]);
  }
  body += "]}";
  if (server_) {
    ServerStats stats = server_->stats();
    body += ",\"connections\":{\"accepted\":" + std::to_string(stats.connectionsAccepted) +
            ",\"active\":" + std::to_string(stats.connectionsActive) +
            ",\"refused\":" + std::to_string(stats.connectionsRefused) +
            ",\"timed_out\":" + std::to_string(stats.timeouts) + "}";
    body += ",\"requests\":" + std::to_string(stats.requests);
  }
  body += "}";
  response.status(200);
  response.header("Cache-Control", "no-store");
  response.finish(kJson, body);
}

}  // namespace keyward
