#pragma once
// A parsed HTTP/1.x request head. All views point into the connection's input bytes and are
// valid only while the request is being handled.

#include <array>
#include <cstddef>
#include <string_view>

#include "keyward/http/HttpLimits.h"

namespace keyward {

struct HeaderField {
  std::string_view name;   // as sent; compare case-insensitively
  std::string_view value;  // leading and trailing whitespace removed, nothing decoded
};

// The one path whose request body is read (POST /v1/leaks, a leak report), and its own bound
// (max_body_bytes still bounds every other request, whose body is skipped unread).
inline constexpr std::string_view kBodyPath = "/v1/leaks";
inline constexpr std::size_t kMaxLeakReportBytes = 65536;

struct HttpRequest {
  std::string_view method;
  std::string_view target;  // as sent
  std::string_view path;    // target without query; for absolute-form, without scheme and host
  std::string_view query;   // after '?', without it
  int minorVersion = 1;     // HTTP/1.0 or HTTP/1.1
  bool keepAlive = true;
  bool expectContinue = false;
  std::size_t contentLength = 0;
  std::string_view body;  // the whole body, for kBodyPath only; empty for every other path
  bool chunked = false;   // Transfer-Encoding: chunked; the body follows the head, contentLength is 0
  std::size_t headerCount = 0;
  std::array<HeaderField, kMaxHeaderCountLimit> headers;

  bool isHead() const { return method == "HEAD"; }
  // The first field named `lowerName` (given in lower case), or nullptr.
  const HeaderField* findHeader(std::string_view lowerName) const;
};

// ASCII case-insensitive equality; `lower` must already be lower case.
inline bool equalsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

inline const HeaderField* HttpRequest::findHeader(std::string_view lowerName) const {
  for (std::size_t i = 0; i < headerCount; ++i) {
    if (equalsLower(headers[i].name, lowerName)) return &headers[i];
  }
  return nullptr;
}

}  // namespace keyward
