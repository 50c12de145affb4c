#pragma once
// keyward's HTTP endpoints: /v1/verify (and /v1/verify/... for Envoy's path_prefix),
// /healthz, /readyz, /v1/status and the admin API under /v1/keys. One instance per event
// loop.

#include <array>
#include <functional>

#include "keyward/api/FailureThrottle.h"
#include "keyward/api/Metrics.h"
#include "keyward/base/Snapshot.h"
#include "keyward/lifecycle/RateLimiter.h"
#include "keyward/lifecycle/Reloader.h"
#include "keyward/lifecycle/SharedState.h"
#include "keyward/lifecycle/UsageStore.h"
#include "keyward/server/HttpServer.h"
#include "keyward/verify/OriginalRequest.h"
#include "keyward/verify/Verifier.h"

namespace keyward {

using Clock = std::function<std::int64_t()>;  // Unix milliseconds

// What every loop's handler shares. Pointers may be null: that feature is then off.
struct ApiServices {
  const Reloader& reloader;
  const HttpServer* server = nullptr;   // connection counters for /v1/status and /metrics
  UsageStore* usage = nullptr;          // per-key usage
  MetricsRegistry* metrics = nullptr;   // /metrics
  FailureThrottle* throttle = nullptr;  // 429 after repeated denials
  RateLimiter* limiter = nullptr;       // per-key and per-peer rate_limit budgets
  Clock clock;                          // default: the system clock
  const SharedState* shared = nullptr;  // shared_state: its status in /v1/status and /metrics
};

class ApiHandler : public RequestHandler {
 public:
  explicit ApiHandler(const ApiServices& services);
  void handle(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) override;

 private:
  void verify(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response);
  void admin(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response);
  // POST /v1/leaks (scope admin or leaks:report): suspends reported keys; GET /v1/leaks
  // lists suspensions and DELETE /v1/leaks/{id|fingerprint} clears one (scope admin).
  void leaks(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response);
  // Marks the reported keys leaked at once, then writes suspended.json once for the whole
  // report, on this event loop (one fsync); 503 NOT_SAVED if that write fails.
  void reportLeaks(const HttpRequest& request, const KeySet& keys, ResponseWriter& response);
  void ready(ResponseWriter& response);
  void status(ResponseWriter& response);
  void record(const Decision& decision, std::string_view method, std::string_view path, const ClientInfo& client);
  // The one way a request is refused: the denial (logged), or 429 THROTTLED if this client
  // has been denied too often; counted. Returns the verdict sent.
  Verdict refuse(const HttpRequest& request, const ClientInfo& client, const KeySet* keys, Decision decision,
                 AnswerStyle style, ResponseWriter& response);
  Verdict deny(const HttpRequest& request, const ClientInfo& client, const KeySet* keys, Decision decision,
               AnswerStyle style, ResponseWriter& response);
  // For /metrics and /v1/status: true if `scope` is empty or the request's key holds it;
  // otherwise writes the refusal.
  bool allowedToRead(const HttpRequest& request, const ClientInfo& client, const KeySet* keys, std::string_view scope,
                     ResponseWriter& response);
  void metrics(ResponseWriter& response);
  // Takes the request from the key's and its peer's budgets; false if either is spent.
  // Leaves what the RateLimit headers say in rate_.
  bool admitRate(const KeyEntry& key, const AccessRules& rules);
  void writeRateHeaders(ResponseWriter& response);
  void logDenial(const HttpRequest& request, const ClientInfo& client, const Decision& decision);

  const Reloader& reloader_;
  const HttpServer* server_;
  UsageStore* usage_;
  FailureThrottle* throttle_;
  RateLimiter* limiter_;
  const SharedState* shared_;
  MetricsRegistry* registry_;
  VerifyCounters* counters_ = nullptr;  // this loop's
  Clock clock_;
  SnapshotReader<KeySet> keys_;
  std::string configPath_;  // absolute, for /v1/status
  std::int64_t now_ = 0;    // this request's time
  struct RateState {        // the budget this request was measured against
    bool applies = false;
    const char* policy = "";
    RateLimit limit;
    RateBudget::Outcome outcome;
    std::int64_t retryAfterUs = 0;
    void set(const char* name, const RateLimit& l, const RateBudget::Outcome& o) {
      policy = name;
      limit = l;
      outcome = o;
      retryAfterUs = o.retryAfterUs;
    }
  } rate_;
  std::string body_;           // reused between requests
  RouteScratch routeScratch_;  // ditto
  std::string scopes_;         // ditto
  std::array<char, INET6_ADDRSTRLEN> host_{};
  std::int64_t denialLogSecond_ = 0;
  std::uint32_t denialLogsThisSecond_ = 0;
  std::uint32_t denialLogsSuppressed_ = 0;
};

}  // namespace keyward
