#pragma once
// keyward's HTTP endpoints: /v1/verify (and /v1/verify/... for Envoy's path_prefix),
// /healthz, /readyz and /v1/status. One instance per event loop.

#include "keyward/HttpServer.h"
#include "keyward/Reloader.h"
#include "keyward/Snapshot.h"

namespace keyward {

class ApiHandler : public RequestHandler {
 public:
  // `server` (may be null) supplies the connection counters shown in /v1/status.
  ApiHandler(const Reloader& reloader, const HttpServer* server);
  void handle(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response) override;

 private:
  void verify(const HttpRequest& request, const ClientInfo& client, ResponseWriter& response);
  void ready(ResponseWriter& response);
  void status(ResponseWriter& response);

  const Reloader& reloader_;
  const HttpServer* server_;
  SnapshotReader<KeySet> keys_;
  std::string body_;  // reused between requests
};

}  // namespace keyward
