#pragma once
// A strict parser for HTTP/1.x request heads (RFC 9112). It refuses, rather than repairs,
// anything ambiguous: bare LF, obs-fold, whitespace before a colon, invalid field names,
// control bytes in values, a repeated Content-Length (even with the same value, as llhttp
// and nginx do), Transfer-Encoding with Content-Length or in HTTP/1.0, the methods PRI (the
// HTTP/2 preface) and CONNECT (501: no tunnels), a missing, repeated or invalid Host
// (RFC 9112 3.2: uri-host [":" port], never empty, no userinfo, path or list), an
// absolute-form target whose authority is not such a host.
// Transfer-Encoding must be exactly `chunked` (any letter case, once, no empty list
// element): other codings before it are 501, `chunked` not last (or absent) is 400
// (RFC 9112 6.3). A chunked request sets HttpRequest::chunked (contentLength stays 0); its
// body is the caller's to step over with ChunkedBodySkipper.
// Values are taken literally (no RFC 2047 decoding). Stateless and thread-safe; the caller
// keeps the bytes and a resume offset between calls.

#include <cstddef>
#include <string_view>

#include "keyward/http/HttpLimits.h"
#include "keyward/http/HttpRequest.h"

namespace keyward {

enum class ParseStatus { Complete, NeedMore, Invalid };

struct ParseResult {
  ParseStatus status = ParseStatus::NeedMore;
  std::size_t headBytes = 0;  // Complete: bytes of the head, including the blank line
  int errorStatus = 0;        // Invalid: 400, 413, 414, 431, 501 or 505
  std::string_view reason;    // Invalid: short fixed text for logs
};

// Whether chunked request bodies are accepted. Refuse answers them 501, for a caller that
// cannot step over them: accepting the head without skipping the body would read the body as
// the next request (request smuggling).
enum class ChunkedBodies { Refuse, Accept };

class HttpParser {
 public:
  explicit HttpParser(const HttpLimits& limits, ChunkedBodies chunked = ChunkedBodies::Refuse)
      : limits_(limits), chunkedBodies_(chunked) {}

  // Parses the head at the start of data[0, size). `scanned` carries how far an earlier
  // call for the same head already checked (start at 0; reset to 0 after Complete).
  ParseResult parse(const char* data, std::size_t size, std::size_t& scanned, HttpRequest& out) const;

 private:
  ParseResult parseHead(std::string_view head, HttpRequest& out) const;
  HttpLimits limits_;
  ChunkedBodies chunkedBodies_;
};

}  // namespace keyward
