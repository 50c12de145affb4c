#include "keyward/HttpParser.h"

#include <gtest/gtest.h>

namespace keyward {
namespace {

ParseResult parseAll(const std::string& text, HttpRequest& out, const HttpLimits& limits = {}) {
  HttpParser parser(limits);
  std::size_t scanned = 0;
  return parser.parse(text.data(), text.size(), scanned, out);
}

TEST(HttpParser, ParsesAVerifyRequest) {
  HttpRequest r;
  std::string text = "GET /v1/verify?peer=worker HTTP/1.1\r\nHost: x\r\nX-API-Key:  abc  \r\n\r\nNEXT";
  ParseResult p = parseAll(text, r);
  ASSERT_EQ(p.status, ParseStatus::Complete) << p.reason;
  EXPECT_EQ(p.headBytes, text.size() - 4);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/v1/verify");
  EXPECT_EQ(r.query, "peer=worker");
  EXPECT_EQ(r.minorVersion, 1);
  EXPECT_TRUE(r.keepAlive);
  ASSERT_EQ(r.headerCount, 2u);
  EXPECT_EQ(r.headers[1].name, "X-API-Key");
  EXPECT_EQ(r.headers[1].value, "abc");
}

TEST(HttpParser, NeedsMoreUntilTheBlankLineArrivesInAnyPieces) {
  const std::string text = "GET /v1/verify HTTP/1.1\r\nHost: x\r\n\r\n";
  HttpParser parser{HttpLimits{}};
  for (std::size_t split = 1; split < text.size(); ++split) {
    HttpRequest r;
    std::size_t scanned = 0;
    ParseResult first = parser.parse(text.data(), split, scanned, r);
    EXPECT_EQ(first.status, ParseStatus::NeedMore) << split;
    ParseResult second = parser.parse(text.data(), text.size(), scanned, r);
    EXPECT_EQ(second.status, ParseStatus::Complete) << split;
  }
}

TEST(HttpParser, KeepAliveFollowsVersionAndConnection) {
  HttpRequest r;
  ASSERT_EQ(parseAll("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", r).status, ParseStatus::Complete);
  EXPECT_FALSE(r.keepAlive);
  ASSERT_EQ(parseAll("GET / HTTP/1.0\r\n\r\n", r).status, ParseStatus::Complete);
  EXPECT_FALSE(r.keepAlive);
  ASSERT_EQ(parseAll("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", r).status, ParseStatus::Complete);
  EXPECT_TRUE(r.keepAlive);
}

TEST(HttpParser, AcceptsAbsoluteFormAndLeadingEmptyLines) {
  HttpRequest r;
  ASSERT_EQ(parseAll("\r\nGET http://auth.local:8420/v1/verify?a=1 HTTP/1.1\r\nHost: x\r\n\r\n", r).status,
            ParseStatus::Complete);
  EXPECT_EQ(r.path, "/v1/verify");
  EXPECT_EQ(r.query, "a=1");
}

TEST(HttpParser, TakesValuesLiterally) {
  HttpRequest r;
  ASSERT_EQ(parseAll("GET / HTTP/1.1\r\nHost: x\r\nX-API-Key: =?UTF-8?B?YWJj?=\r\n\r\n", r).status,
            ParseStatus::Complete);
  EXPECT_EQ(r.headers[1].value, "=?UTF-8?B?YWJj?=");
}

TEST(HttpParser, ReadsContentLength) {
  HttpRequest r;
  ASSERT_EQ(parseAll("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", r).status,
            ParseStatus::Complete);
  EXPECT_EQ(r.contentLength, 5u);
}

struct BadRequest {
  const char* why;
  std::string text;
  int status;
};

TEST(HttpParser, RefusesWhatRfc9112SaysToRefuse) {
  const std::vector<BadRequest> cases = {
      {"bare LF line endings", "GET / HTTP/1.1\nHost: x\n\n", 400},
      {"bare LF inside the head", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400},
      {"whitespace before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400},
      {"invalid header name", "GET / HTTP/1.1\r\nHost: x\r\nX(A): a\r\n\r\n", 400},
      {"empty header name", "GET / HTTP/1.1\r\nHost: x\r\n: a\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nHost: x\r\nJunk\r\n\r\n", 400},
      {"NUL in a value", std::string("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 36), 400},
      {"CR in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\rb\r\n\r\n", 400},
      {"control byte in a value", "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01" "b\r\n\r\n", 400},
      {"conflicting Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"Content-Length list that differs", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400},
      {"non-numeric Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
      {"Transfer-Encoding with Content-Length",
       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
      {"Transfer-Encoding alone", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
      {"missing Host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400},
      {"two spaces in the request line", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"no version", "GET /\r\nHost: x\r\n\r\n", 400},
      {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
      {"garbage version", "GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400},
      {"bad method", "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"fragment in target", "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"relative target", "GET v1/verify HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"body over the limit", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413},
  };
  for (const BadRequest& c : cases) {
    HttpRequest r;
    ParseResult p = parseAll(c.text, r);
    EXPECT_EQ(p.status, ParseStatus::Invalid) << c.why;
    EXPECT_EQ(p.errorStatus, c.status) << c.why << ": " << p.reason;
  }
}

TEST(HttpParser, EnforcesSizeLimits) {
  HttpLimits limits;
  limits.maxHeaderBytes = 256;
  limits.maxHeaderCount = 4;
  limits.maxUriBytes = 32;
  HttpRequest r;
  EXPECT_EQ(parseAll("GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", r, limits).errorStatus, 414);
  EXPECT_EQ(parseAll("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", r, limits).errorStatus, 431);
  EXPECT_EQ(parseAll("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(300, 'a') + "\r\n\r\n", r, limits).errorStatus, 431);
  // An unterminated head over the limit is refused without waiting for its end.
  EXPECT_EQ(parseAll("GET / HTTP/1.1\r\nX: " + std::string(300, 'a'), r, limits).errorStatus, 431);
  EXPECT_EQ(parseAll("GET /" + std::string(200, 'a'), r, limits).errorStatus, 414);
}

}  // namespace
}  // namespace keyward
