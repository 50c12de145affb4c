#include "keyward/HttpParser.h"

#include <array>
#include <cstring>

namespace keyward {
namespace {

// RFC 9110 tchar: the characters of a token (method, field name).
constexpr std::array<bool, 256> makeTokenTable() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kToken = makeTokenTable();

bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!kToken[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// Request-target bytes: visible ASCII. '#' never appears in a request (fragments stay in
// the client); bytes >= 0x80 must be percent-encoded.
bool isTargetChar(unsigned char c) { return c > 0x20 && c < 0x7f && c != '#'; }

// Field values: VCHAR, SP, HTAB and obs-text; never NUL, CR, LF or other controls.
bool isValueChar(unsigned char c) { return c >= 0x20 ? c != 0x7f : c == '\t'; }

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParseResult invalid(int status, std::string_view reason) {
  ParseResult r;
  r.status = ParseStatus::Invalid;
  r.errorStatus = status;
  r.reason = reason;
  return r;
}

// Content-Length: digits, or a list of identical digit strings ("5, 5"). -1 if malformed.
long long parseContentLength(std::string_view value) {
  long long result = -1;
  while (true) {
    std::size_t comma = value.find(',');
    std::string_view item = trimOws(value.substr(0, comma));
    if (item.empty() || item.size() > 15) return -1;
    long long n = 0;
    for (char c : item) {
      if (c < '0' || c > '9') return -1;
      n = n * 10 + (c - '0');
    }
    if (result >= 0 && n != result) return -1;
    result = n;
    if (comma == std::string_view::npos) return result;
    value.remove_prefix(comma + 1);
  }
}

void readConnectionTokens(std::string_view value, bool& close, bool& keepAlive) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    std::string_view token = trimOws(value.substr(0, comma));
    if (equalsLower(token, "close")) close = true;
    if (equalsLower(token, "keep-alive")) keepAlive = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

bool startsWithLower(std::string_view text, std::string_view lowerPrefix) {
  return text.size() >= lowerPrefix.size() && equalsLower(text.substr(0, lowerPrefix.size()), lowerPrefix);
}

}  // namespace

ParseResult HttpParser::parse(const char* data, std::size_t size, std::size_t& scanned,
                              HttpRequest& out) const {
  // RFC 9112 2.2: ignore empty lines before the request line.
  std::size_t start = 0;
  while (start + 1 < size && data[start] == '\r' && data[start + 1] == '\n') start += 2;

  std::size_t pos = scanned > start ? scanned : start;
  while (pos < size) {
    const void* found = std::memchr(data + pos, '\n', size - pos);
    if (!found) break;
    std::size_t i = static_cast<std::size_t>(static_cast<const char*>(found) - data);
    if (i == 0 || data[i - 1] != '\r') return invalid(400, "bare LF line ending");
    if (i >= start + 3 && data[i - 2] == '\n' && data[i - 3] == '\r') {
      std::size_t end = i + 1;
      if (end > limits_.maxHeaderBytes) return invalid(431, "request head too large");
      ParseResult result = parseHead(std::string_view(data + start, end - start), out);
      if (result.status == ParseStatus::Complete) result.headBytes = end;
      scanned = 0;
      return result;
    }
    pos = i + 1;
  }
  scanned = size;
  if (size > limits_.maxHeaderBytes) return invalid(431, "request head too large");
  // An overlong request line is refused as soon as it is seen, whether or not its end has
  // arrived (so the verdict does not depend on how the bytes were split into reads).
  const void* lineEnd = std::memchr(data + start, '\n', size - start);
  const std::size_t lineLength =
      (lineEnd ? static_cast<std::size_t>(static_cast<const char*>(lineEnd) - data) : size) - start;
  if (lineLength > limits_.maxUriBytes + 64) return invalid(414, "request target too long");
  ParseResult more;
  more.status = ParseStatus::NeedMore;
  return more;
}

ParseResult HttpParser::parseHead(std::string_view head, HttpRequest& out) const {
  // Request line: method SP request-target SP HTTP-version CRLF, single spaces only.
  std::size_t lineEnd = head.find("\r\n");
  std::string_view line = head.substr(0, lineEnd);
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return invalid(400, "malformed request line");
  std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return invalid(400, "malformed request line");
  out.method = line.substr(0, sp1);
  out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!isToken(out.method) || out.method.size() > 32) return invalid(400, "invalid method");
  if (out.target.empty()) return invalid(400, "malformed request line");
  if (out.target.size() > limits_.maxUriBytes) return invalid(414, "request target too long");
  for (char c : out.target) {
    if (!isTargetChar(static_cast<unsigned char>(c))) return invalid(400, "invalid character in request target");
  }
  if (version == "HTTP/1.1") {
    out.minorVersion = 1;
  } else if (version == "HTTP/1.0") {
    out.minorVersion = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' &&
             version[5] <= '9' && version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return invalid(505, "HTTP version not supported");
  } else {
    return invalid(400, "malformed HTTP version");
  }

  // Header fields.
  out.headerCount = 0;
  out.contentLength = 0;
  out.expectContinue = false;
  long long contentLength = -1;
  bool sawTransferEncoding = false, closeToken = false, keepAliveToken = false;
  int hostCount = 0;
  std::size_t pos = lineEnd + 2;
  while (true) {
    std::size_t end = head.find("\r\n", pos);
    if (end == pos) break;  // the blank line that ends the head
    std::string_view field = head.substr(pos, end - pos);
    pos = end + 2;
    if (field.front() == ' ' || field.front() == '\t') return invalid(400, "obsolete line folding");
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) return invalid(400, "header line without a colon");
    std::string_view name = field.substr(0, colon);
    if (!isToken(name)) return invalid(400, "invalid header name (or whitespace before the colon)");
    std::string_view value = trimOws(field.substr(colon + 1));
    for (char c : value) {
      if (!isValueChar(static_cast<unsigned char>(c))) return invalid(400, "control character in a header value");
    }
    if (out.headerCount == limits_.maxHeaderCount) return invalid(431, "too many header fields");
    out.headers[out.headerCount++] = {name, value};

    switch (name.size()) {
      case 4:
        if (equalsLower(name, "host")) ++hostCount;
        break;
      case 6:
        if (equalsLower(name, "expect") && equalsLower(value, "100-continue")) out.expectContinue = true;
        break;
      case 10:
        if (equalsLower(name, "connection")) readConnectionTokens(value, closeToken, keepAliveToken);
        break;
      case 14:
        if (equalsLower(name, "content-length")) {
          long long n = parseContentLength(value);
          if (n < 0 || (contentLength >= 0 && n != contentLength)) return invalid(400, "invalid or conflicting Content-Length");
          contentLength = n;
        }
        break;
      case 17:
        if (equalsLower(name, "transfer-encoding")) sawTransferEncoding = true;
        break;
      default:
        break;
    }
  }

  if (out.minorVersion == 1 ? hostCount != 1 : hostCount > 1) return invalid(400, "missing or repeated Host header");
  if (sawTransferEncoding) {
    if (contentLength >= 0) return invalid(400, "Transfer-Encoding together with Content-Length");
    if (out.minorVersion == 0) return invalid(400, "Transfer-Encoding in an HTTP/1.0 request");
    return invalid(501, "request bodies with Transfer-Encoding are not accepted");
  }
  out.contentLength = contentLength > 0 ? static_cast<std::size_t>(contentLength) : 0;
  out.keepAlive = out.minorVersion == 1 ? !closeToken : keepAliveToken && !closeToken;

  // Request target forms (RFC 9112 3.2): origin-form, absolute-form, and '*' for OPTIONS.
  std::string_view pathAndQuery = out.target;
  if (out.target.front() == '/') {
    // origin-form
  } else if (out.target == "*" && out.method == "OPTIONS") {
    // asterisk-form
  } else if (startsWithLower(out.target, "http://") || startsWithLower(out.target, "https://")) {
    std::size_t authority = out.target.find("//") + 2;
    std::size_t slash = out.target.find_first_of("/?", authority);
    pathAndQuery = slash == std::string_view::npos ? std::string_view("/") : out.target.substr(slash);
    if (pathAndQuery.front() == '?') return invalid(400, "invalid request target");
  } else {
    return invalid(400, "invalid request target");
  }
  std::size_t question = pathAndQuery.find('?');
  out.path = pathAndQuery.substr(0, question);
  out.query = question == std::string_view::npos ? std::string_view() : pathAndQuery.substr(question + 1);
  const std::size_t maxBody = out.path == kBodyPath ? kMaxLeakReportBytes : limits_.maxBodyBytes;
  if (contentLength > 0 && static_cast<unsigned long long>(contentLength) > maxBody) {
    return invalid(413, "request body too large");
  }

  ParseResult ok;
  ok.status = ParseStatus::Complete;
  return ok;
}

}  // namespace keyward
