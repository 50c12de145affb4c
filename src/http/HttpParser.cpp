#include "keyward/http/HttpParser.h"

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

// Content-Length values of this many bytes or more are over every body limit: they are read
// as kHugeLength, whatever their digits (so no length overflows), and refused with 413.
constexpr long long kHugeLength = 1'000'000'000'000'000;

// Content-Length: 1*DIGIT, leading zeros allowed (RFC 9110 8.6). -1 if malformed. A list
// ("5, 5") is refused like a repeated field: RFC 9110 8.6 allows either, and llhttp and nginx
// refuse both, so a proxy never frames such a request as keyward would.
long long parseContentLength(std::string_view value) {
  if (value.empty()) return -1;
  long long n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return -1;
    n = n >= kHugeLength / 10 ? kHugeLength : n * 10 + (c - '0');
  }
  return n;
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

// Whether an HTAB follows the start of `value` (a view into `field`). HTAB is OWS (RFC 9110
// 5.6.3), but llhttp does not take it after a Content-Length or Transfer-Encoding value: the
// fields that frame the body are accepted only as every parser reads them.
bool hasTabAfterValueStart(std::string_view field, std::string_view value) {
  return field.find('\t', static_cast<std::size_t>(value.data() - field.data())) != std::string_view::npos;
}

// RFC 3986 reg-name characters: unreserved and sub-delims ('%' is handled apart). ',' is left
// out although it is a sub-delim: in a field value it separates list members, so
// "Host: a, b" is two Hosts folded into one line (RFC 9110 5.3), which 9112 3.2 refuses.
constexpr std::array<bool, 256> makeRegNameTable() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (char c : std::string_view("-._~!$&'()*+;=")) table[static_cast<unsigned char>(c)] = true;
  return table;
}
constexpr std::array<bool, 256> kRegName = makeRegNameTable();

bool isHexDigit(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

// dec-octet: 0-255 without leading zeros.
bool isDecOctet(std::string_view s) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
  int n = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    n = n * 10 + (c - '0');
  }
  return n <= 255;
}

bool isIpv4Address(std::string_view s) {
  for (int i = 0; i < 3; ++i) {
    std::size_t dot = s.find('.');
    if (dot == std::string_view::npos || !isDecOctet(s.substr(0, dot))) return false;
    s.remove_prefix(dot + 1);
  }
  return isDecOctet(s);
}

// RFC 3986 IPv6address: eight 16-bit groups, or fewer with one "::", the last 32 bits
// optionally as an IPv4 address. No zone identifier (RFC 6874): it names an interface of the
// client's host and means nothing to a server.
bool isIpv6Address(std::string_view s) {
  int groups = 0;
  bool compressed = false;
  std::size_t pos = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    compressed = true;
    pos = 2;
  } else if (!s.empty() && s[0] == ':') {
    return false;
  }
  while (pos < s.size()) {
    std::size_t colon = s.find(':', pos);
    std::string_view piece = s.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
    if (colon == std::string_view::npos && piece.find('.') != std::string_view::npos) {
      if (!isIpv4Address(piece)) return false;
      groups += 2;
      break;
    }
    if (piece.empty() || piece.size() > 4) return false;
    for (char c : piece) {
      if (!isHexDigit(c)) return false;
    }
    ++groups;
    if (colon == std::string_view::npos) break;
    pos = colon + 1;
    if (pos < s.size() && s[pos] == ':') {
      if (compressed) return false;
      compressed = true;
      ++pos;
    } else if (pos == s.size()) {
      return false;  // a single trailing colon
    }
  }
  return compressed ? groups <= 7 : groups == 8;
}

// RFC 9112 3.2 Host = uri-host [ ":" port ], uri-host = IP-literal / IPv4address / reg-name.
// Stricter than the ABNF where it matters to no real client: the host may not be empty, an
// IP literal must be IPv6 (no IPvFuture), and the port, when given, is at most 65535.
// An IPv4address is also a reg-name, so it needs no rule of its own here.
bool isHostAndPort(std::string_view s) {
  std::size_t i = 0;
  if (!s.empty() && s[0] == '[') {
    std::size_t close = s.find(']');
    if (close == std::string_view::npos || !isIpv6Address(s.substr(1, close - 1))) return false;
    i = close + 1;
  } else {
    while (i < s.size() && s[i] != ':') {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '%') {
        if (i + 2 >= s.size() || !isHexDigit(s[i + 1]) || !isHexDigit(s[i + 2])) return false;
        i += 3;
      } else if (kRegName[c]) {
        ++i;
      } else {
        return false;
      }
    }
    if (i == 0) return false;
  }
  if (i == s.size()) return true;
  if (s[i] != ':') return false;
  std::string_view port = s.substr(i + 1);  // port = *DIGIT: may be empty
  if (port.size() > 5) return false;
  long n = 0;
  for (char c : port) {
    if (!isDigit(c)) return false;
    n = n * 10 + (c - '0');
  }
  return n <= 65535;
}

// Transfer-Encoding (RFC 9112 6.1, 6.3), read across every field line in order.
struct TransferCodings {
  bool present = false;
  bool emptyElement = false;
  bool lastIsChunked = false;
  bool chunkedTwice = false;
  bool otherCoding = false;

  void read(std::string_view value) {
    present = true;
    while (true) {
      std::size_t comma = value.find(',');
      std::string_view coding = trimOws(value.substr(0, comma));
      // RFC 9110 5.6.1 would have empty list elements ignored, but this field frames the
      // body: "chunked," is refused by llhttp and nginx, and a proxy that does not see
      // chunked in it would frame the request differently. Refused.
      if (coding.empty()) emptyElement = true;
      const bool chunked = equalsLower(coding, "chunked");
      if (chunked && sawChunked) chunkedTwice = true;
      sawChunked = sawChunked || chunked;
      otherCoding = otherCoding || (!chunked && !coding.empty());
      lastIsChunked = chunked;
      if (comma == std::string_view::npos) return;
      value.remove_prefix(comma + 1);
    }
  }

 private:
  bool sawChunked = false;
};

}  // namespace

ParseResult HttpParser::parse(const char* data, std::size_t size, std::size_t& scanned, HttpRequest& out) const {
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
  // PRI is reserved for the HTTP/2 connection preface (RFC 9113 3.4, 11.6): never a request.
  if (out.method == "PRI") return invalid(400, "invalid method");
  // CONNECT asks for a tunnel, which keyward (no proxy) never opens; what follows its head is
  // tunnel data to other parsers (llhttp), a body to a Content-Length reader: refused whole.
  if (out.method == "CONNECT") return invalid(501, "CONNECT is not supported");
  if (out.target.empty()) return invalid(400, "malformed request line");
  if (out.target.size() > limits_.maxUriBytes) return invalid(414, "request target too long");
  for (char c : out.target) {
    if (!isTargetChar(static_cast<unsigned char>(c))) return invalid(400, "invalid character in request target");
  }
  if (version == "HTTP/1.1") {
    out.minorVersion = 1;
  } else if (version == "HTTP/1.0") {
    out.minorVersion = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' && version[5] <= '9' &&
             version[6] == '.' && version[7] >= '0' && version[7] <= '9') {
    return invalid(505, "HTTP version not supported");
  } else {
    return invalid(400, "malformed HTTP version");
  }

  // Header fields.
  out.headerCount = 0;
  out.contentLength = 0;
  out.expectContinue = false;
  out.chunked = false;
  long long contentLength = -1;
  TransferCodings transferCodings;
  bool closeToken = false, keepAliveToken = false;
  std::string_view host;
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
        if (equalsLower(name, "host")) {
          ++hostCount;
          host = value;
        }
        break;
      case 6:
        if (equalsLower(name, "expect") && equalsLower(value, "100-continue")) out.expectContinue = true;
        break;
      case 10:
        if (equalsLower(name, "connection")) readConnectionTokens(value, closeToken, keepAliveToken);
        break;
      case 14:
        if (equalsLower(name, "content-length")) {
          if (hasTabAfterValueStart(field, value)) return invalid(400, "HTAB in a framing header");
          long long n = parseContentLength(value);
          if (n < 0 || contentLength >= 0) return invalid(400, "invalid or repeated Content-Length");
          contentLength = n;
        }
        break;
      case 17:
        if (equalsLower(name, "transfer-encoding")) {
          if (hasTabAfterValueStart(field, value)) return invalid(400, "HTAB in a framing header");
          transferCodings.read(value);
        }
        break;
      default:
        break;
    }
  }

  if (out.minorVersion == 1 ? hostCount != 1 : hostCount > 1) return invalid(400, "missing or repeated Host header");
  if (hostCount == 1 && !isHostAndPort(host)) return invalid(400, "invalid Host header");
  if (transferCodings.present) {
    if (contentLength >= 0) return invalid(400, "Transfer-Encoding together with Content-Length");
    if (out.minorVersion == 0) return invalid(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (transferCodings.emptyElement) return invalid(400, "malformed Transfer-Encoding");
    // RFC 9112 6.3: without chunked as the final coding a request's length is unknowable.
    if (!transferCodings.lastIsChunked) return invalid(400, "Transfer-Encoding without chunked last");
    if (transferCodings.chunkedTwice) return invalid(400, "chunked applied twice");
    if (transferCodings.otherCoding) return invalid(501, "transfer codings other than chunked are not accepted");
    if (chunkedBodies_ == ChunkedBodies::Refuse) return invalid(501, "chunked request bodies are not accepted");
    out.chunked = true;
  }
  if (contentLength >= kHugeLength) return invalid(413, "request body too large");
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
    // The authority stands in for Host (RFC 9112 3.2.2); userinfo is an error (RFC 9110 4.2.4).
    if (!isHostAndPort(out.target.substr(authority, slash == std::string_view::npos ? slash : slash - authority))) {
      return invalid(400, "invalid authority in the request target");
    }
    pathAndQuery = slash == std::string_view::npos ? std::string_view("/") : out.target.substr(slash);
  } else {
    return invalid(400, "invalid request target");
  }
  std::size_t question = pathAndQuery.find('?');
  out.path = pathAndQuery.substr(0, question);
  if (out.path.empty()) out.path = std::string_view("/");  // "http://a?q": RFC 9110 4.2.3
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
