// Traefik and Envoy are not Debian packages, so their shipped configs (config/traefik/,
// config/envoy/) are tested by replaying against the real keyward exactly the requests
// each proxy sends its auth service, as their source code builds them:
//
// - Traefik forwardAuth, pkg/middlewares/auth/forward.go (ServeHTTP, writeHeader): a GET to
//   `address` carrying the client headers named in authRequestHeaders (X-API-Key,
//   Authorization in our config; Go canonicalises the name to X-Api-Key), then
//   X-Forwarded-For set to the client address, X-Forwarded-Method, -Proto, -Host and -Uri
//   set from the request (trustForwardHeader: false), plus Go's User-Agent and
//   Accept-Encoding. 2xx allows; any other answer goes back to the client as is.
// - Envoy HTTP ext_authz, source/extensions/filters/common/ext_authz/ext_authz_http_impl.cc
//   (RawHttpClientImpl::check, ClientConfig::toRequestMatchers): the original method,
//   path_prefix + the original :path (query included), Content-Length: 0, Host,
//   Authorization, and the headers in allowed_headers (x-api-key, x-forwarded-for in our
//   config; x-forwarded-for already has the client address appended by the connection
//   manager, use_remote_address: true). Only 200 allows.
//
// Each also replays a misconfigured proxy that passes a client's own original-request
// headers through, to show keyward refuses the mix (AMBIGUOUS_ORIGINAL) rather than believe it.

#include <gtest/gtest.h>

#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

const std::string kKeysAndRoutes =
    "throttle: { max_failures: 3, window: 1m }\n"
    "keys:\n"
    "  - { id: worker-1, peer: worker, env: WORKER, scopes: ['runs:read'] }\n"
    "  - { id: writer, peer: worker, env: WRITER, scopes: ['runs:read', 'runs:write'] }\n"
    "  - { id: ops, peer: ops, env: ADMIN, scopes: [admin, 'runs:read', 'runs:write'] }\n"
    "  - { id: limited, peer: worker, env: LIMITED, rate_limit: { requests: 1, per: 60s } }\n"
    "routes:\n"
    "  - { path: '/admin/**', scope: admin }\n"
    "  - { methods: [POST, PUT, DELETE], path: '/runs/**', scope: 'runs:write' }\n";

struct Keys {
  std::string worker = newKey(), writer = newKey(), admin = newKey(), limited = newKey();
  Env env() const { return {{"WORKER", worker}, {"WRITER", writer}, {"ADMIN", admin}, {"LIMITED", limited}}; }
};

// What Traefik's forwardAuth sends for a client request `method uri` from `client`.
Headers traefikHeaders(const std::string& key, const std::string& method, const std::string& uri,
                       const std::string& client = "203.0.113.7") {
  return {{"User-Agent", "Go-http-client/1.1"},
          {"X-Api-Key", key},
          {"X-Forwarded-For", client},
          {"X-Forwarded-Host", "api.example"},
          {"X-Forwarded-Method", method},
          {"X-Forwarded-Proto", "http"},
          {"X-Forwarded-Uri", uri},
          {"Accept-Encoding", "gzip"}};
}

// What Envoy's HTTP ext_authz sends (the method and path are the request line).
// (Host, the original authority, is the test client's own Host line: keyward ignores it.)
Headers envoyHeaders(const std::string& key, const std::string& client = "203.0.113.7") {
  return {{"content-length", "0"}, {"x-api-key", key}, {"x-forwarded-for", client}};
}

TEST(ProxyReplay, TraefikForwardAuthAsShipped) {
  Keys k;
  Keyward kw("original_request: x-forwarded\n" + kKeysAndRoutes, k.env());
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  // One keep-alive connection for everything: Traefik's client reuses it when the answer
  // is fully read, and keyward's answers to X-Forwarded-* requests have no body.
  HttpConnection traefik(kw.port());
  ASSERT_TRUE(traefik.connected());

  auto ok = traefik.request("GET", "/v1/verify", traefikHeaders(k.worker, "GET", "/runs/1"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->raw;
  EXPECT_EQ(ok->header("x-keyward-key-id"), "worker-1");
  EXPECT_EQ(ok->header("x-keyward-peer"), "worker");
  EXPECT_EQ(ok->header("x-keyward-scopes"), "runs:read");
  EXPECT_EQ(ok->header("content-length"), "0") << "headers-only, so the connection is reused";

  const struct {
    const char* why;
    Headers headers;
    std::string target;
    int status;
    std::string code;
  } cases[] = {
      {"unknown key", traefikHeaders(newKey(), "GET", "/runs/1", "203.0.113.20"), "/v1/verify", 401, "INVALID_KEY"},
      {"route scope", traefikHeaders(k.worker, "GET", "/admin/users"), "/v1/verify", 403, "INSUFFICIENT_SCOPE"},
      {"route by method", traefikHeaders(k.worker, "POST", "/runs/1"), "/v1/verify", 403, "INSUFFICIENT_SCOPE"},
      {"encoded letter", traefikHeaders(k.worker, "GET", "/%61dmin/users"), "/v1/verify", 403, "INSUFFICIENT_SCOPE"},
      {"encoded slash", traefikHeaders(k.worker, "GET", "/admin%2Fusers"), "/v1/verify", 403, "INVALID_PATH"},
      {"dot segments", traefikHeaders(k.worker, "GET", "/runs/../admin/users"), "/v1/verify", 403, "INVALID_PATH"},
      {"dot segments out of a protected prefix", traefikHeaders(k.worker, "GET", "/admin/../runs/1"), "/v1/verify", 403,
       "INVALID_PATH"},
      // The keyward-auth-worker middleware's address carries keyward's own demands.
      {"peer location, reader", traefikHeaders(k.worker, "GET", "/internal/x"),
       "/v1/verify?peer=worker&scope=runs:write", 403, "INSUFFICIENT_SCOPE"},
      {"peer location, other peer", traefikHeaders(k.admin, "GET", "/internal/x"),
       "/v1/verify?peer=worker&scope=runs:write", 403, "WRONG_PEER"},
      {"peer location, writer", traefikHeaders(k.writer, "GET", "/internal/x"),
       "/v1/verify?peer=worker&scope=runs:write", 200, ""},
  };
  int client = 100;
  for (const auto& c : cases) {
    // Each case from its own client address: the denials must not add up to a throttle.
    Headers headers = c.headers;
    for (auto& [name, value] : headers) {
      if (name == "X-Forwarded-For") value = "203.0.113." + std::to_string(client++);
    }
    auto r = traefik.request("GET", c.target, headers);
    ASSERT_TRUE(r) << c.why;
    EXPECT_EQ(r->status, c.status) << c.why << "\n" << r->raw;
    EXPECT_EQ(r->header("x-keyward-code"), c.code) << c.why;
    EXPECT_EQ(r->header("content-length"), "0") << c.why << ": headers-only\n" << r->raw;
    if (c.status == 401) {
      EXPECT_EQ(r->header("www-authenticate"), "ApiKey realm=\"keyward\"") << c.why;
    }
  }

  // Throttling counts Traefik's X-Forwarded-For (the client's address), not Traefik.
  std::optional<HttpResponse> throttled;
  for (int i = 0; i < 6; ++i) {
    throttled = traefik.request("GET", "/v1/verify", traefikHeaders(newKey(), "GET", "/runs/1", "203.0.113.66"));
    ASSERT_TRUE(throttled);
    if (throttled->status == 429) break;
  }
  EXPECT_EQ(throttled->status, 429) << throttled->raw;
  EXPECT_EQ(throttled->header("x-keyward-code"), "THROTTLED");
  EXPECT_FALSE(throttled->header("retry-after").empty()) << throttled->raw;
  EXPECT_EQ(throttled->header("content-length"), "0");
  auto other = traefik.request("GET", "/v1/verify", traefikHeaders(newKey(), "GET", "/runs/1", "203.0.113.67"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 401) << "another client is not throttled\n" << other->raw;
  // A key over its rate limit: 429 with the fields Traefik passes to the client as they are.
  ASSERT_EQ(traefik.request("GET", "/v1/verify", traefikHeaders(k.limited, "GET", "/runs/1"))->status, 200);
  auto limited = traefik.request("GET", "/v1/verify", traefikHeaders(k.limited, "GET", "/runs/1"));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429) << limited->raw;
  EXPECT_EQ(limited->header("x-keyward-code"), "RATE_LIMITED");
  EXPECT_FALSE(limited->header("retry-after").empty()) << limited->raw;
  EXPECT_EQ(limited->header("content-length"), "0");
  EXPECT_FALSE(traefik.waitClosed(std::chrono::milliseconds(50))) << "every answer kept the connection open";
}

TEST(ProxyReplay, TraefikPassingClientHeadersThroughIsRefusedNotBelieved) {
  // Without authRequestHeaders Traefik forwards every client header: a client's own
  // X-Original-* (or a second X-Forwarded-Uri) then arrives beside Traefik's.
  Keys k;
  Keyward kw("original_request: x-forwarded\n" + kKeysAndRoutes, k.env());
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  Headers originalToo = traefikHeaders(k.worker, "GET", "/admin/users");
  originalToo.push_back({"X-Original-Uri", "/runs/1"});
  originalToo.push_back({"X-Original-Method", "GET"});
  Headers repeated = traefikHeaders(k.worker, "GET", "/admin/users");
  repeated.push_back({"X-Forwarded-Uri", "/runs/1"});
  Headers envoyPath = traefikHeaders(k.worker, "GET", "/admin/users");
  for (const auto& [why, target, headers] :
       {std::tuple{"client X-Original-* beside Traefik's X-Forwarded-*", "/v1/verify", originalToo},
        std::tuple{"a second X-Forwarded-Uri", "/v1/verify", repeated},
        std::tuple{"the Envoy path form with X-Forwarded-*", "/v1/verify/runs/1", envoyPath}}) {
    auto r = httpRequest(kw.port(), "GET", target, headers);
    ASSERT_TRUE(r) << why;
    // 403 when X-Original-* is among the fields (nginx auth_request accepts no 400), else 400.
    EXPECT_TRUE(r->status == 400 || r->status == 403) << why << "\n" << r->raw;
    EXPECT_EQ(r->header("x-keyward-code"), "AMBIGUOUS_ORIGINAL") << why << "\n" << r->raw;
  }
}

TEST(ProxyReplay, EnvoyExtAuthzAsShipped) {
  Keys k;
  Keyward kw("original_request: envoy-path\n" + kKeysAndRoutes, k.env());
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  HttpConnection envoy(kw.port());
  ASSERT_TRUE(envoy.connected());

  auto ok = envoy.request("GET", "/v1/verify/runs/1?page=2", envoyHeaders(k.worker));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->raw;
  EXPECT_EQ(ok->header("x-keyward-key-id"), "worker-1");
  EXPECT_EQ(ok->header("x-keyward-peer"), "worker");
  EXPECT_EQ(ok->header("x-keyward-scopes"), "runs:read");

  const struct {
    const char* why;
    std::string method;
    std::string target;
    std::string key;
    int status;
    std::string code;
  } cases[] = {
      {"unknown key", "GET", "/v1/verify/runs/1", newKey(), 401, "INVALID_KEY"},
      {"route scope", "GET", "/v1/verify/admin/users", k.worker, 403, "INSUFFICIENT_SCOPE"},
      {"route by the original method", "POST", "/v1/verify/runs/1", k.worker, 403, "INSUFFICIENT_SCOPE"},
      {"a writer may POST", "POST", "/v1/verify/runs/1", k.writer, 200, ""},
      // The query belongs to the original request: it is no demand of keyward's.
      {"original query is not a demand", "GET", "/v1/verify/runs/1?peer=ops&scope=admin", k.worker, 200, ""},
      // Envoy normalises before asking (normalize_path, merge_slashes, escaped slashes
      // refused); keyward resolves the same tricks again on its own.
      {"encoded letter", "GET", "/v1/verify/%61dmin/users", k.worker, 403, "INSUFFICIENT_SCOPE"},
      {"encoded slash", "GET", "/v1/verify/admin%2Fusers", k.worker, 403, "INVALID_PATH"},
      {"dot segments", "GET", "/v1/verify/runs/../admin/users", k.worker, 403, "INVALID_PATH"},
      {"dot segments out of a protected prefix", "GET", "/v1/verify/admin/../runs/1", k.worker, 403, "INVALID_PATH"},
      {"double slash", "GET", "/v1/verify//admin/users", k.worker, 403, "INSUFFICIENT_SCOPE"},
      {"verify prefix inside the original", "GET", "/v1/verify/v1/verify/../../admin/users", k.worker, 403,
       "INVALID_PATH"},
      {"path parameter (;params)", "GET", "/v1/verify/admin;x=1/users", k.worker, 403, "INSUFFICIENT_SCOPE"},
  };
  int client = 100;
  for (const auto& c : cases) {
    // Each case from its own client address: the denials must not add up to a throttle.
    auto r = envoy.request(c.method, c.target, envoyHeaders(c.key, "203.0.113." + std::to_string(client++)));
    ASSERT_TRUE(r) << c.why;
    EXPECT_EQ(r->status, c.status) << c.why << "\n" << r->raw;
    EXPECT_EQ(r->header("x-keyward-code"), c.code) << c.why;
    if (c.status == 401) {
      EXPECT_EQ(r->header("www-authenticate"), "ApiKey realm=\"keyward\"") << c.why;
    }
    // Envoy passes a denial's body to the client: keyward keeps its small JSON body here.
    if (c.status != 200) {
      EXPECT_NE(r->body.find(c.code), std::string::npos) << c.why << "\n" << r->raw;
    }
  }

  // x-forwarded-for as the connection manager leaves it: a client's own entries first, the
  // real address last. Throttling counts the last one.
  std::optional<HttpResponse> throttled;
  for (int i = 0; i < 6; ++i) {
    throttled = envoy.request("GET", "/v1/verify/runs/1",
                              envoyHeaders(newKey(), "10.0.0.1," + std::to_string(i) + ".1.1.1,203.0.113.66"));
    ASSERT_TRUE(throttled);
    if (throttled->status == 429) break;
  }
  EXPECT_EQ(throttled->status, 429) << throttled->raw;
  EXPECT_EQ(throttled->header("x-keyward-code"), "THROTTLED");
  EXPECT_FALSE(throttled->header("retry-after").empty()) << throttled->raw;
  auto other = envoy.request("GET", "/v1/verify/runs/1", envoyHeaders(k.worker, "203.0.113.66,203.0.113.67"));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200) << "another client is not throttled\n" << other->raw;
  // A key over its rate limit: 429; allowed_client_headers pass Retry-After and RateLimit-*.
  ASSERT_EQ(envoy.request("GET", "/v1/verify/runs/1", envoyHeaders(k.limited))->status, 200);
  auto limited = envoy.request("GET", "/v1/verify/runs/1", envoyHeaders(k.limited));
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->status, 429) << limited->raw;
  EXPECT_EQ(limited->header("x-keyward-code"), "RATE_LIMITED");
  EXPECT_FALSE(limited->header("retry-after").empty()) << limited->raw;
  EXPECT_EQ(limited->header("ratelimit-policy"), "\"key\";q=1;w=60") << limited->raw;
  EXPECT_FALSE(envoy.waitClosed(std::chrono::milliseconds(50))) << "every answer kept the connection open";
}

TEST(ProxyReplay, EnvoyPassingClientHeadersThroughIsRefusedNotBelieved) {
  // allowed_headers matching every header (e.g. a `prefix: ""` pattern) forwards a client's
  // own X-Original-* / X-Forwarded-* beside the path form.
  Keys k;
  Keyward kw("original_request: envoy-path\n" + kKeysAndRoutes, k.env());
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  for (const Headers& forged : {Headers{{"x-original-uri", "/runs/1"}, {"x-original-method", "GET"}},
                                Headers{{"x-forwarded-uri", "/runs/1"}, {"x-forwarded-method", "GET"}}}) {
    Headers headers = envoyHeaders(k.worker);
    headers.insert(headers.end(), forged.begin(), forged.end());
    auto r = httpRequest(kw.port(), "GET", "/v1/verify/admin/users", headers);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->status == 400 || r->status == 403) << forged[0].first << "\n" << r->raw;
    EXPECT_EQ(r->header("x-keyward-code"), "AMBIGUOUS_ORIGINAL") << forged[0].first << "\n" << r->raw;
  }
}

TEST(ProxyReplay, OnlyTheConfiguredFamilyIsTaken) {
  // A proxy set up for one family never sends another: one that arrives anyway came from a
  // client (through a config that passes it on), and is refused, not used.
  Keys k;
  const struct {
    const char* configured;
    const char* why;
    std::string target;
    Headers fields;
  } cases[] = {
      {"x-original",
       "X-Forwarded-* alone",
       "/v1/verify",
       {{"X-Forwarded-Uri", "/runs/1"}, {"X-Forwarded-Method", "GET"}}},
      {"x-original", "the Envoy path form", "/v1/verify/runs/1", {}},
      {"x-forwarded",
       "X-Original-* alone",
       "/v1/verify",
       {{"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}}},
      {"x-forwarded", "the Envoy path form", "/v1/verify/runs/1", {}},
      {"envoy-path", "X-Original-* alone", "/v1/verify", {{"X-Original-URI", "/runs/1"}, {"X-Original-Method", "GET"}}},
      {"envoy-path",
       "X-Forwarded-* alone",
       "/v1/verify",
       {{"X-Forwarded-Uri", "/runs/1"}, {"X-Forwarded-Method", "GET"}}},
  };
  for (const auto& c : cases) {
    Keyward kw(std::string("original_request: ") + c.configured + "\n" + kKeysAndRoutes, k.env());
    ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
    Headers headers = c.fields;
    headers.push_back({"X-API-Key", k.worker});
    auto r = httpRequest(kw.port(), "GET", c.target, headers);
    ASSERT_TRUE(r) << c.configured << ": " << c.why;
    EXPECT_TRUE(r->status == 400 || r->status == 403) << c.configured << ": " << c.why << "\n" << r->raw;
    EXPECT_EQ(r->header("x-keyward-code"), "AMBIGUOUS_ORIGINAL") << c.configured << ": " << c.why << "\n" << r->raw;
  }
}

TEST(ProxyReplay, WithRoutesAnUnknownOriginalNeedsEveryRouteScope) {
  // Fail closed: when keyward cannot know the original request from a trusted source, the
  // route rules are not skipped; only a key holding every scope a route demands passes.
  Keys k;
  Keyward trusted("original_request: x-forwarded\n" + kKeysAndRoutes, k.env());
  Keyward untrusted("original_request: x-forwarded\ntrusted_proxies: [10.9.9.9/32]\n" + kKeysAndRoutes, k.env());
  ASSERT_TRUE(trusted.daemon().waitUntilServing()) << trusted.output();
  ASSERT_TRUE(untrusted.daemon().waitUntilServing()) << untrusted.output();
  Headers noOriginal = traefikHeaders(k.worker, "GET", "/runs/1");
  std::erase_if(noOriginal,
                [](const auto& h) { return h.first == "X-Forwarded-Uri" || h.first == "X-Forwarded-Method"; });
  Headers emptyOriginal = traefikHeaders(k.worker, "", "");
  const struct {
    const char* why;
    Keyward* kw;
    Headers headers;
  } cases[] = {
      {"trusted proxy, no original headers", &trusted, noOriginal},
      {"trusted proxy, empty original headers", &trusted, emptyOriginal},
      {"untrusted peer claiming an allowed path", &untrusted, traefikHeaders(k.worker, "GET", "/runs/1")},
  };
  for (const auto& c : cases) {
    auto r = httpRequest(c.kw->port(), "GET", "/v1/verify", c.headers);
    ASSERT_TRUE(r) << c.why;
    EXPECT_EQ(r->status, 403) << c.why << "\n" << r->raw;
    EXPECT_EQ(r->header("x-keyward-code"), "ORIGINAL_UNKNOWN") << c.why << "\n" << r->raw;
    Headers asAdmin = c.headers;
    for (auto& [name, value] : asAdmin) {
      if (name == "X-Api-Key") value = k.admin;
    }
    auto admin = httpRequest(c.kw->port(), "GET", "/v1/verify", asAdmin);
    ASSERT_TRUE(admin) << c.why;
    EXPECT_EQ(admin->status, 200) << c.why << ": a key with every route scope passes\n" << admin->raw;
  }
}

}  // namespace
}  // namespace keyward::test
