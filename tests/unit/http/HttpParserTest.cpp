#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keyward/http/HttpParser.h"

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
  ASSERT_EQ(parseAll("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", r).status, ParseStatus::Complete);
  EXPECT_EQ(r.contentLength, 5u);
  // 1*DIGIT: leading zeros are allowed however many (found by the differential fuzz target).
  ASSERT_EQ(parseAll("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::string(40, '0') + "7\r\n\r\n", r).status,
            ParseStatus::Complete);
  EXPECT_EQ(r.contentLength, 7u);
  // HTAB before the value is OWS that llhttp takes too.
  ASSERT_EQ(parseAll("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\t 7\r\n\r\n", r).status, ParseStatus::Complete);
  EXPECT_EQ(r.contentLength, 7u);
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
      {"control byte in a value",
       "GET / HTTP/1.1\r\nHost: x\r\nX: a\x01"
       "b\r\n\r\n",
       400},
      {"conflicting Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       400},
      {"Content-Length list that differs", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400},
      // RFC 9110 8.6 lets a recipient reject repeats even when equal; llhttp and nginx do, so
      // keyward does too (found by the differential target).
      {"Content-Length repeated with the same value",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400},
      {"HTAB after Content-Length: OWS, but llhttp refuses it (found by the differential target)",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\t\r\n\r\n", 400},
      {"HTAB after Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\t\r\n\r\n", 400},
      {"HTAB inside Transfer-Encoding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip,\tchunked\r\n\r\n", 400},
      {"Content-Length list of the same value", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\n", 400},
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
      {"PRI is only the HTTP/2 preface (RFC 9113 3.4; found by the differential target)",
       "PRI / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"CONNECT: no tunnels here, and its bytes after the head are no body to other parsers "
       "(found by the differential target)",
       "CONNECT / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", 501},
      {"CONNECT in its own authority-form", "CONNECT auth.internal:443 HTTP/1.1\r\nHost: auth.internal:443\r\n\r\n",
       501},
      {"fragment in target", "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"relative target", "GET v1/verify HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"body over the limit", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413},
      {"a length no limit allows, not an overflow",
       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413},
  };
  for (const BadRequest& c : cases) {
    HttpRequest r;
    ParseResult p = parseAll(c.text, r);
    EXPECT_EQ(p.status, ParseStatus::Invalid) << c.why;
    EXPECT_EQ(p.errorStatus, c.status) << c.why << ": " << p.reason;
  }
}

struct HostCase {
  const char* why;
  std::string host;  // the Host field line's value, sent as is
};

std::string withHost(const std::string& host, const char* version = "HTTP/1.1") {
  return std::string("GET /v1/verify ") + version + "\r\nHost:" + host + "\r\n\r\n";
}

TEST(HttpParser, AcceptsEveryHostSpellingOfRfc9112) {
  const std::vector<HostCase> cases = {
      {"a DNS name", " auth.internal"},
      {"a DNS name with a port", " auth.internal:8420"},
      {"a single label, no space after the colon", "keyward"},
      {"letters in any case, digits, '-', '_' and '~' are unreserved", " Auth-1_x~y.Example.COM"},
      {"a trailing dot (fully qualified name)", " auth.internal."},
      {"an IPv4 address", " 127.0.0.1:8420"},
      {"digits and dots that are no IPv4 address are still a reg-name", " 999.1.1.1"},
      {"percent-encoding is part of reg-name", " caf%C3%A9.example"},
      {"sub-delims other than ',' are part of reg-name", " a!$&'()*+;=b"},
      {"port = *DIGIT: an empty port is allowed", " auth.internal:"},
      {"the highest port", " auth.internal:65535"},
      {"IPv6 loopback", " [::1]"},
      {"IPv6 with a port", " [::1]:8420"},
      {"IPv6 in full", " [2001:db8:0:0:1:0:0:1]"},
      {"IPv6 compressed in the middle", " [2001:DB8::1:0:0:1]"},
      {"IPv6 all zeros", " [::]"},
      {"IPv6 with an embedded IPv4 address", " [::ffff:192.0.2.1]:80"},
      {"IPv6 with six groups and a trailing IPv4 address", " [1:2:3:4:5:6:192.0.2.1]"},
      {"trailing whitespace is OWS, not part of the value", " auth.internal \t"},
  };
  for (const HostCase& c : cases) {
    HttpRequest r;
    ParseResult p = parseAll(withHost(c.host), r);
    EXPECT_EQ(p.status, ParseStatus::Complete) << c.why << ": Host:" << c.host << ": " << p.reason;
  }
}

TEST(HttpParser, RefusesAnInvalidHostWith400) {
  const std::vector<HostCase> cases = {
      {"empty value: no server is named", ""},
      {"only whitespace", "  \t "},
      {"userinfo is not part of Host (credentials smuggled past a proxy)", " user@auth.internal"},
      {"userinfo with a password", " user:pw@auth.internal"},
      {"a path is not part of Host", " auth.internal/admin"},
      {"a query is not part of Host", " auth.internal?x=1"},
      {"a fragment is not part of Host", " auth.internal#x"},
      {"two hosts as a list: the same as two Host fields", " auth.internal, other.internal"},
      {"a trailing comma (an empty list element) is still a list", " auth.internal,"},
      {"a space inside the value", " auth internal"},
      {"a port without a host", " :8420"},
      {"a port with letters", " auth.internal:84x0"},
      {"a port above 65535 is no TCP port", " auth.internal:65536"},
      {"an overlong port", " auth.internal:000000080"},
      {"two ports", " auth.internal:80:80"},
      {"a bad percent-escape", " caf%C.example"},
      {"a percent sign alone", " %"},
      {"non-ASCII bytes must be percent-encoded", " caf\xc3\xa9.example"},
      {"a backslash", " auth.internal\\x"},
      {"an unbracketed IPv6 address", " ::1"},
      {"an unclosed bracket", " [::1"},
      {"a bracket in a reg-name", " a[b]"},
      {"text after the closing bracket", " [::1]x"},
      {"an empty IP literal", " []"},
      {"an IPv4 address in brackets", " [127.0.0.1]"},
      {"two '::' in an IPv6 address", " [1::2::3]"},
      {"nine IPv6 groups", " [1:2:3:4:5:6:7:8:9]"},
      {"seven IPv6 groups without '::'", " [1:2:3:4:5:6:7]"},
      {"an IPv6 group of five digits", " [12345::1]"},
      {"a non-hex digit in IPv6", " [::g]"},
      {"a leading single colon in IPv6", " [:1:2:3:4:5:6:7]"},
      {"a trailing single colon in IPv6", " [1:2:3:4:5:6:7:]"},
      {"a bad embedded IPv4 address", " [::ffff:256.0.0.1]"},
      {"an embedded IPv4 address with a leading zero", " [::ffff:01.0.0.1]"},
      {"an embedded IPv4 address that is not last", " [::1.2.3.4:1]"},
      {"an IPv6 zone identifier (RFC 6874) has no meaning to a server", " [fe80::1%25eth0]"},
      {"IPvFuture: nothing uses it", " [v1.x]"},
  };
  for (const HostCase& c : cases) {
    HttpRequest r;
    ParseResult p = parseAll(withHost(c.host), r);
    EXPECT_EQ(p.status, ParseStatus::Invalid) << c.why << ": Host:" << c.host;
    EXPECT_EQ(p.errorStatus, 400) << c.why << ": Host:" << c.host << ": " << p.reason;
  }
  // HTTP/1.0 may omit Host, but one that is sent is checked all the same.
  HttpRequest r;
  EXPECT_EQ(parseAll("GET / HTTP/1.0\r\n\r\n", r).status, ParseStatus::Complete);
  EXPECT_EQ(parseAll(withHost(" user@auth.internal", "HTTP/1.0"), r).errorStatus, 400);
}

TEST(HttpParser, RefusesAnInvalidAuthorityInAbsoluteForm) {
  // The absolute-form authority replaces Host (RFC 9112 3.2.2), so it obeys the same rule.
  const std::vector<HostCase> cases = {
      {"userinfo (RFC 9110 4.2.4: treat as an error)", "http://user@auth.internal/v1/verify"},
      {"an empty host (RFC 9110 4.2.1: invalid http URI)", "http:///v1/verify"},
      {"an empty host before a port", "http://:80/v1/verify"},
      {"a bad IPv6 literal", "http://[::g]/v1/verify"},
  };
  for (const HostCase& c : cases) {
    HttpRequest r;
    ParseResult p = parseAll("GET " + c.host + " HTTP/1.1\r\nHost: auth.internal\r\n\r\n", r);
    EXPECT_EQ(p.errorStatus, 400) << c.why << ": " << c.host << ": " << p.reason;
  }
  HttpRequest r;
  // An empty path before the query is "/" (RFC 9110 4.2.3; found by the differential target).
  ASSERT_EQ(parseAll("GET http://[::1]:8420?a=1 HTTP/1.1\r\nHost: [::1]:8420\r\n\r\n", r).status,
            ParseStatus::Complete);
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.query, "a=1");
  ASSERT_EQ(parseAll("GET http://[::1]:8420/v1/verify?a=1 HTTP/1.1\r\nHost: [::1]:8420\r\n\r\n", r).status,
            ParseStatus::Complete);
  EXPECT_EQ(r.path, "/v1/verify");
  EXPECT_EQ(r.query, "a=1");
}

ParseResult parseChunked(const std::string& text, HttpRequest& out) {
  HttpParser parser(HttpLimits{}, ChunkedBodies::Accept);
  std::size_t scanned = 0;
  return parser.parse(text.data(), text.size(), scanned, out);
}

std::string withTransferEncoding(const std::string& fields, const char* version = "HTTP/1.1") {
  return std::string("POST /v1/verify ") + version + "\r\nHost: x\r\n" + fields + "\r\n";
}

TEST(HttpParser, AcceptsAChunkedBodyWhenAsked) {
  const std::vector<HostCase> cases = {
      {"the one coding every HTTP/1.1 recipient must parse (RFC 9112 7.1)", "Transfer-Encoding: chunked\r\n"},
      {"coding names are case-insensitive", "Transfer-Encoding: Chunked\r\n"},
      {"OWS around the value", "Transfer-Encoding: \t chunked \r\n"},
  };
  for (const HostCase& c : cases) {
    HttpRequest r;
    r.contentLength = 99;
    ParseResult p = parseChunked(withTransferEncoding(c.host), r);
    ASSERT_EQ(p.status, ParseStatus::Complete) << c.why << ": " << p.reason;
    EXPECT_TRUE(r.chunked) << c.why;
    EXPECT_EQ(r.contentLength, 0u) << c.why;
  }
  HttpRequest r;
  r.chunked = true;
  ASSERT_EQ(parseChunked("GET / HTTP/1.1\r\nHost: x\r\n\r\n", r).status, ParseStatus::Complete);
  EXPECT_FALSE(r.chunked) << "a request without Transfer-Encoding is not chunked";
}

TEST(HttpParser, RefusesEveryOtherTransferEncoding) {
  struct Case {
    const char* why;
    std::string fields;
    int status;
    const char* version = "HTTP/1.1";
  };
  const std::vector<Case> cases = {
      {"with Content-Length: which one frames the body? (RFC 9112 6.1)",
       "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", 400},
      {"with Content-Length, in the other order", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", 400},
      {"in HTTP/1.0, which has no Transfer-Encoding (RFC 9112 6.1)", "Transfer-Encoding: chunked\r\n", 400, "HTTP/1.0"},
      {"chunked not last: the length cannot be known (RFC 9112 6.3 says 400)", "Transfer-Encoding: chunked, gzip\r\n",
       400},
      {"chunked not last across two field lines", "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", 400},
      {"no chunked at all: the length cannot be known", "Transfer-Encoding: gzip\r\n", 400},
      {"identity is no transfer coding any more", "Transfer-Encoding: identity\r\n", 400},
      {"an empty value", "Transfer-Encoding:\r\n", 400},
      {"only empty list elements", "Transfer-Encoding: ,\r\n", 400},
      {"an empty list element after chunked: llhttp and nginx refuse it, a proxy may not see chunked "
       "(found by the differential target)",
       "Transfer-Encoding: chunked,\r\n", 400},
      {"an empty list element before chunked", "Transfer-Encoding: , chunked\r\n", 400},
      {"chunked twice (RFC 9112 6.1: a sender must not)", "Transfer-Encoding: chunked, chunked\r\n", 400},
      {"chunked twice across two field lines", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400},
      {"chunked with a parameter is another coding, and not last", "Transfer-Encoding: chunked;q=1\r\n", 400},
      {"a misspelling hides chunked from us but not from a lenient proxy", "Transfer-Encoding: xchunked\r\n", 400},
      {"a coding keyward cannot decode before chunked (RFC 9112 6.1: 501)", "Transfer-Encoding: gzip, chunked\r\n",
       501},
      {"the same across two field lines", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", 501},
  };
  for (const Case& c : cases) {
    HttpRequest r;
    ParseResult p = parseChunked(withTransferEncoding(c.fields, c.version), r);
    EXPECT_EQ(p.status, ParseStatus::Invalid) << c.why;
    EXPECT_EQ(p.errorStatus, c.status) << c.why << ": " << p.reason;
  }
}

TEST(HttpParser, RefusesChunkedBodiesByDefault) {
  // A caller that does not step over chunked bodies must not see one as complete: it would
  // read the body as the next request.
  HttpRequest r;
  ParseResult p = parseAll(withTransferEncoding("Transfer-Encoding: chunked\r\n"), r);
  EXPECT_EQ(p.status, ParseStatus::Invalid);
  EXPECT_EQ(p.errorStatus, 501);
}

TEST(HttpParser, EnforcesSizeLimits) {
  HttpLimits limits;
  limits.maxHeaderBytes = 256;
  limits.maxHeaderCount = 4;
  limits.maxUriBytes = 32;
  HttpRequest r;
  EXPECT_EQ(parseAll("GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", r, limits).errorStatus, 414);
  EXPECT_EQ(parseAll("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", r, limits).errorStatus, 431);
  EXPECT_EQ(parseAll("GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(300, 'a') + "\r\n\r\n", r, limits).errorStatus,
            431);
  // An unterminated head over the limit is refused without waiting for its end.
  EXPECT_EQ(parseAll("GET / HTTP/1.1\r\nX: " + std::string(300, 'a'), r, limits).errorStatus, 431);
  EXPECT_EQ(parseAll("GET /" + std::string(200, 'a'), r, limits).errorStatus, 414);
}

}  // namespace
}  // namespace keyward
