#pragma once
// keyward's HTTP endpoints: /v1/verify (and /v1/verify/... for Envoy's path_prefix),
// /healthz, /readyz, /v1/status and the admin API under /v1/keys. One instance per event
// loop.

#include <array>
#include <functional>

#include "keyward/HttpServer.h"
#include "keyward/Reloader.h"
#include "keyward/Snapshot.h"
#include "keyward/UsageStore.h"
#include "keyward/Verifier.h"

namespace keyward {

using Clock = std::function<std::int64_t()>;  // Unix milliseconds

class ApiHandler : public RequestHandler {
 public:
  // `server` (may be null) supplies the connection counters shown in /v1/status; `usage`
  // (may be null) records each key's calls.
  ApiHandler(const Reloader& reloader, const HttpServer* server, UsageStore* usage, Clock clock = {});
  void handle(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) override;

 private:
  // The request a proxy is asking about, when it says (X-Original-*, X-Forwarded-*, or
  // Envoy's path_prefix); otherwise the verify request itself.
  struct Original {
    std::string_view method;  // empty: not known
    std::string_view uri;     // may carry a query
    bool fromProxy = false;
  };
  static Original originalOf(const HttpRequest& request, const ClientInfo& client, const KeySet* keys);

  void verify(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response);
  void admin(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response);
  void ready(ResponseWriter& response);
  void status(ResponseWriter& response);
  void record(const Decision& decision, std::string_view method, std::string_view path, const ClientInfo& client);

  const Reloader& reloader_;
  const HttpServer* server_;
  UsageStore* usage_;
  Clock clock_;
  SnapshotReader<KeySet> keys_;
  std::int64_t now_ = 0;      // this request's time
  std::string body_;          // reused between requests
  std::string scratch_;       // ditto
  std::array<char, INET6_ADDRSTRLEN> host_{};
};

}  // namespace keyward
