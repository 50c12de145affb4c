// Which original request keyward believes, from whom, and when it refuses to guess.

#include <gtest/gtest.h>

#include "keyward/verify/OriginalRequest.h"

namespace keyward {
namespace {

HttpRequest requestWith(std::string_view path, std::vector<HeaderField> headers) {
  HttpRequest r;
  r.method = "GET";
  r.target = path;
  r.path = path;
  for (const HeaderField& h : headers) r.headers[r.headerCount++] = h;
  return r;
}

TEST(OriginalRequest, BelievesOneFamilyFromATrustedPeerAndRefusesMixtures) {
  using F = OriginalFamily;
  struct Case {
    const char* why;
    std::string_view path;
    std::vector<HeaderField> headers;
    bool trusted;
    OriginalRequestFrom expected;
    F family;
    std::string_view uri;
    bool conflicting;
  };
  const auto Auto = OriginalRequestFrom::Auto;
  const std::vector<Case> cases = {
      {"nginx",
       "/v1/verify",
       {{"X-Original-URI", "/admin/x"}, {"X-Original-Method", "GET"}},
       true,
       Auto,
       F::XOriginal,
       "/admin/x",
       false},
      {"Caddy",
       "/v1/verify",
       {{"X-Forwarded-Uri", "/admin/x"}, {"X-Forwarded-Method", "GET"}},
       true,
       Auto,
       F::XForwarded,
       "/admin/x",
       false},
      {"Envoy", "/v1/verify/admin/x", {}, true, Auto, F::EnvoyPath, "/admin/x", false},
      {"untrusted peer: ignored", "/v1/verify", {{"X-Original-URI", "/runs/1"}}, false, Auto, F::None, "", false},
      {"no fields: unknown", "/v1/verify", {}, true, Auto, F::None, "", false},
      {"empty URI: unknown", "/v1/verify", {{"X-Original-URI", ""}}, true, Auto, F::XOriginal, "", false},
      // Caddy sets X-Forwarded-Uri and passes a client's X-Original-URI on: the bypass.
      {"client X-Original-URI through Caddy",
       "/v1/verify",
       {{"X-Original-URI", "/runs/1"}, {"X-Forwarded-Uri", "/admin/x"}, {"X-Forwarded-Method", "GET"}},
       true,
       Auto,
       F::None,
       "",
       true},
      // nginx sets X-Original-* and passes a client's X-Forwarded-Uri on.
      {"client X-Forwarded-Uri through nginx",
       "/v1/verify",
       {{"X-Original-URI", "/admin/x"}, {"X-Forwarded-Uri", "/runs/1"}},
       true,
       Auto,
       F::None,
       "",
       true},
      {"Envoy path plus a header",
       "/v1/verify/admin/x",
       {{"X-Original-URI", "/runs/1"}},
       true,
       Auto,
       F::None,
       "",
       true},
      {"a field twice",
       "/v1/verify",
       {{"X-Original-URI", "/admin/x"}, {"x-original-uri", "/runs/1"}},
       true,
       Auto,
       F::None,
       "",
       true},
      {"another family than configured",
       "/v1/verify",
       {{"X-Original-URI", "/runs/1"}},
       true,
       OriginalRequestFrom::XForwarded,
       F::None,
       "",
       true},
      {"the configured family",
       "/v1/verify",
       {{"X-Forwarded-Uri", "/admin/x"}},
       true,
       OriginalRequestFrom::XForwarded,
       F::XForwarded,
       "/admin/x",
       false},
  };
  for (const Case& c : cases) {
    HttpRequest request = requestWith(c.path, c.headers);
    OriginalRequest got = originalRequestOf(request, "/v1/verify", c.trusted, c.expected);
    EXPECT_EQ(got.conflicting, c.conflicting) << c.why;
    if (!c.conflicting) {
      EXPECT_EQ(got.family, c.family) << c.why;
    }
    EXPECT_EQ(got.uri, c.uri) << c.why;
  }
}

TEST(OriginalRequest, AnswerStyleFollowsTheFieldsSent) {
  EXPECT_EQ(answerStyleOf(requestWith("/v1/verify", {{"X-Original-URI", "/"}})), AnswerStyle::AuthRequest);
  EXPECT_EQ(answerStyleOf(requestWith("/v1/verify", {{"X-Forwarded-Method", "GET"}})), AnswerStyle::HeadersOnly);
  EXPECT_EQ(answerStyleOf(requestWith("/v1/verify", {})), AnswerStyle::Json);
}

}  // namespace
}  // namespace keyward
