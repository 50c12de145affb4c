// ApiHandler without a process or a socket: a parsed request in, the response bytes out,
// with an injected clock. The decisions that depend on the proxy in front and on time.

#include <gtest/gtest.h>

#include "keyward/api/ApiHandler.h"
#include "keyward/base/Json.h"
#include "keyward/http/HttpParser.h"
#include "keyward/lifecycle/RateLimiter.h"
#include "support/Keyward.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

constexpr std::int64_t kNow = 1'800'000'000'000;  // 2027-01-15T08:00:00Z

class ApiHandlerTest : public ::testing::Test {
 protected:
  void load(const std::string& yaml, std::map<std::string, std::string> env) {
    path_ = dir_.write("k.yaml", "watch: false\n" + yaml);
    reloader_ = std::make_unique<Reloader>(path_, [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    });
    ASSERT_TRUE(reloader_->reload().ok);
    handler_ = std::make_unique<ApiHandler>(
        ApiServices{*reloader_, nullptr, &usage_, nullptr, nullptr, &limiter_, [this] { return now_; }});
  }

  // The whole response to `head` (a request without its final blank line).
  std::string answer(const std::string& head) {
    input_ = head + "\r\n";
    HttpParser parser(HttpLimits{});
    std::size_t scanned = 0;
    EXPECT_EQ(parser.parse(input_.data(), input_.size(), scanned, *request_).status, ParseStatus::Complete);
    std::string out;
    ResponseWriter writer(out, "Date: x\r\n");
    writer.prepare(request_->isHead(), true, false);
    ClientInfo client;
    auto* in = reinterpret_cast<sockaddr_in*>(&client.address);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    handler_->handle(*request_, client, writer);
    return out;
  }

  test::TempDir dir_;
  std::string path_, input_;
  std::unique_ptr<Reloader> reloader_;
  UsageStore usage_;
  RateLimiter limiter_;
  std::unique_ptr<ApiHandler> handler_;
  std::unique_ptr<HttpRequest> request_ = std::make_unique<HttpRequest>();
  std::int64_t now_ = kNow;
};

TEST_F(ApiHandlerTest, AnswersAreShapedForTheProxyThatAsks) {
  const std::string key = test::newKey();
  load(
      "keys:\n  - { id: w, peer: worker, env: K, scopes: [runs:read] }\n"
      "routes:\n  - { path: /admin/**, scope: admin }\n",
      {{"K", key}});
  const std::string verify = "GET /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + key + "\r\n";
  // Direct, with routes configured and no original: ORIGINAL_UNKNOWN, JSON body.
  std::string out = answer(verify);
  EXPECT_EQ(out.rfind("HTTP/1.1 403 ", 0), 0u) << out;
  EXPECT_NE(out.find("{\"valid\":false,\"code\":\"ORIGINAL_UNKNOWN\"}"), std::string::npos) << out;
  // nginx: head only.
  out = answer(verify + "X-Original-URI: /runs/1\r\nX-Original-Method: GET\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 200 ", 0), 0u) << out;
  EXPECT_NE(out.find("X-Keyward-Key-Id: w\r\n"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 0\r\n"), std::string::npos);
  // nginx asked about /admin: 403; and a 400 reason becomes a 403 for nginx.
  EXPECT_EQ(answer(verify + "X-Original-URI: /ADMIN/x\r\n").rfind("HTTP/1.1 403 ", 0), 0u);
  out = answer(verify + "X-Original-URI: /runs/1\r\nX-Forwarded-Uri: /admin/x\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 403 ", 0), 0u) << out;
  EXPECT_NE(out.find("X-Keyward-Code: AMBIGUOUS_ORIGINAL\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Content-Type:"), std::string::npos) << "no body, so no body type: " << out;
  // Caddy: the real status, head only.
  out = answer(verify + "X-Forwarded-Uri: /runs/1\r\nX-Forwarded-Uri: /admin/x\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 400 ", 0), 0u) << out;
  EXPECT_NE(out.find("Content-Length: 0\r\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("Content-Type:"), std::string::npos) << out;
}

TEST_F(ApiHandlerTest, TheInjectedClockDecidesExpiry) {
  const std::string key = test::newKey();
  load("keys:\n  - { id: w, env: K, expires: '" + formatRfc3339(kNow + 1000) + "' }\n", {{"K", key}});
  const std::string verify = "GET /v1/verify HTTP/1.1\r\nHost: k\r\nX-API-Key: " + key + "\r\n";
  std::string out = answer(verify);
  EXPECT_EQ(out.rfind("HTTP/1.1 200 ", 0), 0u) << out;
  EXPECT_NE(out.find("X-Keyward-Expires: "), std::string::npos) << "within expiry_warning";
  now_ = kNow + 1000;
  out = answer(verify);
  EXPECT_NE(out.find("X-Keyward-Code: EXPIRED\r\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace keyward
