// keyward's request parser (with ChunkedBodySkipper) against llhttp, the parser of Node.js
// (Debian's node-llhttp sources, built into this fuzz target only, never into the daemon),
// compiled in its strict mode (LLHTTP_STRICT_MODE=1) and run with no lenient flag.
//
// Both read the same bytes as a stream of pipelined requests. For every request both finish,
// they must agree on method, target, header names and values, body length, keep-alive, and
// where the request ends (framing). Where one finishes a request and the other refuses it:
//   - keyward must never accept what llhttp refuses, with one documented exception, methods
//     llhttp does not know (see llhttpRefusalKeywardMayIgnore);
//   - keyward may refuse what llhttp accepts only where it is deliberately stricter, for a
//     documented reason (see keywardRefusalIsDeliberate).
// Any other difference aborts, with a description on stderr.
//
// A request is compared only when both parsers reached a verdict on it: a parser that still
// waits for bytes may yet accept or refuse, so nothing is concluded from it, except that
// one parser finishing a request while the other waits for more of it is a framing finding.
// Comparing stops after a request that does not keep the connection alive (keyward closes
// it) and after an Upgrade request (llhttp hands the connection over; keyward never answers
// 101, so a client sends nothing of another protocol).
#include <strings.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keyward/http/ChunkedBody.h"
#include "keyward/http/HttpParser.h"
#include "llhttp.h"

using namespace keyward;

namespace {

struct Message {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  int version = 0;  // 10 * major + minor
  std::size_t bodyBytes = 0;
  std::size_t end = 0;  // offset just past the request
  bool keepAlive = true;
  bool upgrade = false;        // llhttp: the connection is handed over after this request
  bool connectionTab = false;  // llhttp: a Connection value held an HTAB (before trimming)
};

enum class Outcome { Incomplete, Refused, Closed };

struct Run {
  std::vector<Message> messages;
  Outcome outcome = Outcome::Incomplete;  // what came after the last message
  int status = 0;                         // keyward, Refused: 400, 413, ...
  std::string reason;                     // Refused: keyward's reason or llhttp's error name
  int llhttpError = HPE_OK;               // llhttp, Refused
};

constexpr std::size_t kMaxBody = 1024;

// ---- keyward ---------------------------------------------------------------------------

Run runKeyward(const std::string& bytes) {
  HttpLimits limits;
  limits.maxHeaderBytes = 1 << 20;               // inputs are at most a few KiB: limits are never the
  limits.maxUriBytes = 1 << 20;                  // reason for a refusal, except the header count and
  limits.maxHeaderCount = kMaxHeaderCountLimit;  // the body size, checked below
  limits.maxBodyBytes = kMaxBody;
  HttpParser parser(limits, ChunkedBodies::Accept);
  ChunkedBodySkipper skipper(limits.maxBodyBytes);
  Run run;
  std::size_t pos = 0;
  while (true) {
    // Reused, as the event loop reuses its one request (256 KiB with room for 8192 fields).
    static HttpRequest request;
    std::size_t scanned = 0;
    ParseResult parsed = parser.parse(bytes.data() + pos, bytes.size() - pos, scanned, request);
    if (parsed.status == ParseStatus::NeedMore) return run;
    if (parsed.status == ParseStatus::Invalid) {
      run.outcome = Outcome::Refused;
      run.status = parsed.errorStatus;
      run.reason = std::string(parsed.reason);
      return run;
    }
    Message m;
    m.method = std::string(request.method);
    m.target = std::string(request.target);
    for (std::size_t i = 0; i < request.headerCount; ++i) {
      m.headers.emplace_back(std::string(request.headers[i].name), std::string(request.headers[i].value));
    }
    m.keepAlive = request.keepAlive;
    m.version = 10 + request.minorVersion;
    pos += parsed.headBytes;
    if (request.chunked) {
      skipper.reset();
      pos += skipper.consume(bytes.data() + pos, bytes.size() - pos);
      if (skipper.state() == ChunkedBodySkipper::State::NeedMore) return run;
      if (skipper.state() == ChunkedBodySkipper::State::Invalid) {
        run.outcome = Outcome::Refused;
        run.status = skipper.errorStatus();
        run.reason = std::string(skipper.reason());
        return run;
      }
      m.bodyBytes = skipper.bodyBytes();
    } else {
      if (bytes.size() - pos < request.contentLength) return run;
      pos += request.contentLength;
      m.bodyBytes = request.contentLength;
    }
    m.end = pos;
    run.messages.push_back(std::move(m));
    if (!request.keepAlive) {
      run.outcome = Outcome::Closed;
      return run;
    }
  }
}

// ---- llhttp ----------------------------------------------------------------------------

struct LlhttpState {
  Run run;
  Message current;
  bool inValue = false;
};

LlhttpState& stateOf(llhttp_t* p) { return *static_cast<LlhttpState*>(p->data); }

int onMessageBegin(llhttp_t* p) {
  stateOf(p).current = Message();
  stateOf(p).inValue = false;
  return 0;
}
int onMethod(llhttp_t* p, const char* at, std::size_t n) {
  stateOf(p).current.method.append(at, n);
  return 0;
}
int onUrl(llhttp_t* p, const char* at, std::size_t n) {
  stateOf(p).current.target.append(at, n);
  return 0;
}
int onHeaderField(llhttp_t* p, const char* at, std::size_t n) {
  LlhttpState& s = stateOf(p);
  if (s.inValue || s.current.headers.empty()) s.current.headers.emplace_back();
  s.inValue = false;
  s.current.headers.back().first.append(at, n);
  return 0;
}
int onHeaderValue(llhttp_t* p, const char* at, std::size_t n) {
  LlhttpState& s = stateOf(p);
  s.inValue = true;
  s.current.headers.back().second.append(at, n);
  return 0;
}
int onHeaderValueComplete(llhttp_t* p) {
  // A field with an empty value gets no on_header_value call.
  stateOf(p).inValue = true;
  return 0;
}
int onBody(llhttp_t* p, const char*, std::size_t n) {
  stateOf(p).current.bodyBytes += n;
  return 0;
}
int onMessageComplete(llhttp_t* p) {
  LlhttpState& s = stateOf(p);
  // llhttp leaves trailing whitespace in the value span; RFC 9112 5: OWS around the value is
  // not part of it (keyward drops it). Not a difference: trimmed before comparing.
  for (auto& header : s.current.headers) {
    if (strcasecmp(header.first.c_str(), "connection") == 0 && header.second.find('\t') != std::string::npos) {
      s.current.connectionTab = true;
    }
    while (!header.second.empty() && (header.second.back() == ' ' || header.second.back() == '\t')) {
      header.second.pop_back();
    }
  }
  s.current.keepAlive = llhttp_should_keep_alive(p) != 0;
  s.current.upgrade = llhttp_get_upgrade(p) != 0;
  s.current.version = 10 * llhttp_get_http_major(p) + llhttp_get_http_minor(p);
  s.run.messages.push_back(s.current);
  return HPE_PAUSED;  // so that execute returns here and tells where the request ended
}

Run runLlhttp(const std::string& bytes) {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_message_begin = onMessageBegin;
  settings.on_method = onMethod;
  settings.on_url = onUrl;
  settings.on_header_field = onHeaderField;
  settings.on_header_value = onHeaderValue;
  settings.on_header_value_complete = onHeaderValueComplete;
  settings.on_body = onBody;
  settings.on_message_complete = onMessageComplete;
  llhttp_t parser;
  llhttp_init(&parser, HTTP_REQUEST, &settings);  // no lenient flag: llhttp's strict mode
  LlhttpState state;
  parser.data = &state;
  const char* at = bytes.data();
  const char* const end = bytes.data() + bytes.size();
  while (true) {
    const llhttp_errno_t error = llhttp_execute(&parser, at, static_cast<std::size_t>(end - at));
    if (error == HPE_OK) return std::move(state.run);
    if (error != HPE_PAUSED) {
      state.run.outcome = Outcome::Refused;
      state.run.llhttpError = error;
      state.run.reason = llhttp_errno_name(error);
      return std::move(state.run);
    }
    at = llhttp_get_error_pos(&parser);
    Message& done = state.run.messages.back();
    done.end = static_cast<std::size_t>(at - bytes.data());
    if (!done.keepAlive || done.upgrade) {
      state.run.outcome = Outcome::Closed;
      return std::move(state.run);
    }
    llhttp_resume(&parser);
  }
}

// ---- the documented differences --------------------------------------------------------

// RFC 9110 5.6.2 token.
bool isToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!tchar) return false;
  }
  return true;
}

// Whether a Transfer-Encoding field of `m` names any coding.
bool hasTransferCoding(const Message& m) {
  for (const auto& [name, value] : m.headers) {
    if (strcasecmp(name.c_str(), "transfer-encoding") == 0 && value.find_first_not_of(", \t") != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The request line of the request that starts at `rest` (after any empty lines), without CRLF.
// The input from the request line on: both parsers skip empty lines before a request.
std::string_view fromRequestLine(std::string_view rest) {
  while (rest.substr(0, 2) == "\r\n") rest.remove_prefix(2);
  return rest;
}

std::string_view requestLine(std::string_view rest) {
  rest = fromRequestLine(rest);
  return rest.substr(0, rest.find("\r\n"));
}

// Whether the head that starts at `rest` has a line starting with SP or HTAB (obs-fold).
bool hasObsFold(std::string_view rest) {
  rest = fromRequestLine(rest);
  const std::size_t end = rest.find("\r\n\r\n");
  const std::string_view head = rest.substr(0, end);
  return head.find("\r\n ") != std::string_view::npos || head.find("\r\n\t") != std::string_view::npos;
}

// keyward refused a request that llhttp accepted (`accepted`, as llhttp read it; `rest`: the
// input from where the request starts). Returns why that is deliberate, or nullptr (a finding).
const char* keywardRefusalIsDeliberate(const Run& keyward, const Message& accepted, std::string_view rest) {
  const std::string_view reason = keyward.reason;
  // RFC 9112 3: the request line's parts are separated by a single SP; a recipient MAY split
  // on runs of whitespace instead (llhttp does). keyward refuses: a proxy could split otherwise.
  if ((reason == "malformed request line" || reason == "malformed HTTP version") &&
      requestLine(rest).find("  ") != std::string_view::npos) {
    return "single SP";
  }
  // llhttp takes a request line without a version as HTTP/0.9 (even strict); RFC 9112 3
  // requires the version, and keyward speaks HTTP/1.x only: it refuses such a line,
  // whatever else is wrong in it.
  if (accepted.version == 9) return "HTTP/0.9";
  // llhttp parses "HTTP/2.0" (and other digits) with HTTP/1.1 rules; keyward answers 505 to
  // every version but 1.0 and 1.1 (RFC 9110 15.6.6).
  if (keyward.status == 505) return "version";
  // CONNECT: llhttp hands the connection over (a tunnel); keyward opens no tunnels (501).
  if (reason == "CONNECT is not supported") return "CONNECT";
  // With Upgrade + Connection: upgrade llhttp hands the connection over after the head and
  // skips its own Transfer-Encoding and Content-Length checks; keyward never upgrades and
  // checks the framing of every request.
  if (accepted.upgrade &&
      (reason.find("Transfer-Encoding") != std::string_view::npos ||
       reason.find("Content-Length") != std::string_view::npos || reason.find("chunk") != std::string_view::npos)) {
    return "upgrade";
  }
  // llhttp has no size limits; keyward bounds the header count and the body.
  if (keyward.status == 413 || keyward.status == 414 || keyward.status == 431) return "a limit";
  // llhttp frames "gzip, chunked" by its final chunked; keyward cannot decode other codings
  // and answers 501 (RFC 9112 6.1: SHOULD). chunked twice: RFC 9112 6.1, a sender MUST NOT.
  if (reason == "transfer codings other than chunked are not accepted") return "other codings";
  if (reason == "chunked applied twice") return "chunked twice";
  // Empty list elements in Transfer-Encoding (", chunked"): llhttp skips a leading one,
  // keyward refuses every one (HttpParser.cpp: this field frames the body).
  if (reason == "malformed Transfer-Encoding") return "empty list element";
  // A Transfer-Encoding with no coding at all (""): llhttp ignores the field (and frames by
  // Content-Length if there is one); keyward does not: RFC 9112 6.3 says a request whose
  // Transfer-Encoding does not end in chunked is 400, and 6.1 lets a server refuse one with
  // both fields. With a coding present, llhttp refuses both cases itself: a finding.
  if ((reason == "Transfer-Encoding without chunked last" ||
       reason == "Transfer-Encoding together with Content-Length") &&
      !hasTransferCoding(accepted)) {
    return "empty Transfer-Encoding";
  }
  // keyward refuses HTAB after the start of a Content-Length or Transfer-Encoding value
  // because llhttp refuses it after some values (HttpParser.cpp); where llhttp takes it, the
  // refusal is the stricter side of the same rule.
  if (reason == "HTAB in a framing header") return "HTAB";
  // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 MUST be treated as faulty framing; llhttp
  // applies it.
  if (reason == "Transfer-Encoding in an HTTP/1.0 request") return "HTTP/1.0 chunked";
  // keyward bounds the chunk-size line to 16 hex digits, leading zeros included, so that it
  // never waits for an unbounded line (ChunkedBody.h); llhttp takes any number of zeros.
  if (reason == "chunk size too long") return "chunk-size bound";
  // Chunk extensions and trailer fields are allowed by RFC 9112 7.1 and parsed by llhttp;
  // keyward reads no body and refuses both (documented in ChunkedBody.h).
  if (reason == "chunk extensions are not accepted") return "chunk extensions";
  if (reason == "trailer fields are not accepted") return "trailer fields";
  // RFC 9112 2.2 lets a recipient take a bare LF as a line end (llhttp does, even strict); a
  // proxy that does not would see other lines: keyward refuses (README, HttpParser.h).
  if (reason == "bare LF line ending" || reason == "bare LF in chunked body") return "bare LF";
  // obs-fold: RFC 9112 5.2 lets a server reject it with 400 or replace it by SP; llhttp keeps
  // it, keyward rejects it (README).
  // keyward checks each field line as it goes, so a fold may be refused for what the line
  // before it holds ("Content-Length:" CRLF " 2" is an empty Content-Length to keyward, "2" to
  // llhttp): any refusal of a head with a fold in it is the same difference.
  if (reason == "obsolete line folding" || hasObsFold(rest)) return "obs-fold";
  // A fragment never travels in a request (RFC 9112 3.2: no "#" in any target form); llhttp
  // takes one, keyward refuses the target. Only '#': any other byte keyward refuses there
  // stays a finding.
  if (reason == "invalid character in request target" && accepted.target.find('#') != std::string::npos) {
    bool onlyFragment = true;
    for (char c : accepted.target) onlyFragment = onlyFragment && c > 0x20 && c < 0x7f;
    if (onlyFragment) return "fragment";
  }
  // keyward serves origin-form, absolute-form of http and https (its own resources, RFC 9112
  // 3.2.2) and "*" for OPTIONS; it is no proxy: other schemes, authority-form and "*" with
  // other methods are refused. llhttp takes any URL. An http(s) target refused stays a finding.
  if (reason == "invalid request target") {
    std::string lower = accepted.target.substr(0, 8);
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (lower.rfind("http://", 0) != 0 && lower.rfind("https://", 0) != 0) return "target form";
  }
  // Before a request line keyward skips empty lines (CRLF, RFC 9112 2.2) and nothing else;
  // llhttp also skips a lone CR, which RFC 9112 2.2 lets a recipient treat as invalid.
  if ((reason == "invalid method" || reason == "malformed request line") && !requestLine(rest).empty() &&
      requestLine(rest).front() == '\r') {
    return "bare CR before the request";
  }
  // RFC 9110 5.1: field-name = token, so never empty; llhttp (strict) takes ": value".
  if (reason == "invalid header name (or whitespace before the colon)") {
    for (const auto& header : accepted.headers) {
      if (!isToken(header.first)) return "field-name";
    }
  }
  // llhttp does not look at Host; RFC 9112 3.2 says 400 for a missing (HTTP/1.1), repeated or
  // invalid one, and the absolute-form authority stands in for it (3.2.2).
  if (reason == "missing or repeated Host header" || reason == "invalid Host header" ||
      reason == "invalid authority in the request target") {
    return "Host";
  }
  return nullptr;
}

bool isLlhttpMethod(std::string_view method) {
#define KEYWARD_LLHTTP_METHOD(num, name, string) \
  if (method == #string) return true;
  HTTP_METHOD_MAP(KEYWARD_LLHTTP_METHOD)
#undef KEYWARD_LLHTTP_METHOD
  return false;
}

// llhttp refused a request that keyward accepted (`accepted`, as keyward read it). Returns why
// keyward may, or nullptr (a finding).
const char* llhttpRefusalKeywardMayIgnore(const Run& llhttp, const Message& accepted) {
  // llhttp knows a fixed list of methods (its state machine is generated from it) and refuses
  // any other. RFC 9110 9.1: method = token, and keyward's verify answers every method (the
  // proxies forward the original one). Framing never depends on the method, so accepting an
  // unknown one cannot split a stream differently. A method llhttp knows stays a finding.
  if (llhttp.llhttpError == HPE_INVALID_METHOD && !isLlhttpMethod(accepted.method)) return "method";
  return nullptr;
}

// ---- comparison ------------------------------------------------------------------------

void dump(const char* who, const Run& run) {
  for (std::size_t i = 0; i < run.messages.size(); ++i) {
    const Message& m = run.messages[i];
    std::fprintf(stderr, "  %s #%zu: [%s] [%s] HTTP %d body %zu end %zu%s%s\n", who, i, m.method.c_str(),
                 m.target.c_str(), m.version, m.bodyBytes, m.end, m.keepAlive ? "" : " close",
                 m.upgrade ? " upgrade" : "");
    for (const auto& [name, value] : m.headers) std::fprintf(stderr, "    [%s]: [%s]\n", name.c_str(), value.c_str());
  }
}

[[noreturn]] void finding(const char* what, std::size_t index, const Run& keyward, const Run& llhttp) {
  std::fprintf(stderr,
               "DIFFERENTIAL FINDING: %s (request %zu)\n  keyward: %zu requests, then %s %d %s\n"
               "  llhttp:  %zu requests, then %s %s\n",
               what, index, keyward.messages.size(),
               keyward.outcome == Outcome::Refused  ? "refused"
               : keyward.outcome == Outcome::Closed ? "closed"
                                                    : "incomplete",
               keyward.status, keyward.reason.c_str(), llhttp.messages.size(),
               llhttp.outcome == Outcome::Refused  ? "refused"
               : llhttp.outcome == Outcome::Closed ? "closed"
                                                   : "incomplete",
               llhttp.reason.c_str());
  dump("keyward", keyward);
  dump("llhttp", llhttp);
  std::abort();
}

// Whether a Connection field of `m` holds the token "close" (any case).
bool hasConnectionClose(const Message& m) {
  for (const auto& [name, value] : m.headers) {
    if (strcasecmp(name.c_str(), "connection") != 0) continue;
    std::string lower = value;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    if (lower.find("close") != std::string::npos) return true;
  }
  return false;
}

void compareMessages(std::size_t index, const Message& k, const Message& l, const Run& keyward, const Run& llhttp) {
  if (k.method != l.method) finding("method differs", index, keyward, llhttp);
  if (k.target != l.target) finding("target differs", index, keyward, llhttp);
  if (k.version != l.version) finding("version differs", index, keyward, llhttp);
  if (k.headers.size() != l.headers.size()) finding("header count differs", index, keyward, llhttp);
  for (std::size_t i = 0; i < k.headers.size(); ++i) {
    if (k.headers[i].first != l.headers[i].first) finding("header name differs", index, keyward, llhttp);
    if (k.headers[i].second != l.headers[i].second) {
      std::fprintf(stderr, "header %zu: keyward [%s] llhttp [%s]\n", i, k.headers[i].second.c_str(),
                   l.headers[i].second.c_str());
      finding("header value differs", index, keyward, llhttp);
    }
  }
  if (k.bodyBytes != l.bodyBytes) finding("body length differs", index, keyward, llhttp);
  if (k.end != l.end) finding("framing: the request ends elsewhere", index, keyward, llhttp);
  // llhttp's Connection token matcher takes SP but not HTAB as whitespace, so it misses
  // "keep-alive<HTAB>" or "close<HTAB>" (RFC 9110 5.6.3: OWS is SP or HTAB; keyward trims
  // both). Only keep-alive may differ for that: the request still ends at the same byte.
  // And with both "close" and "keep-alive" in an HTTP/1.0 request, llhttp keeps the connection;
  // keyward closes it, as "close" asks (RFC 9112 9.6). Closing early never splits a stream.
  const bool closeWins = !k.keepAlive && l.keepAlive && hasConnectionClose(k);
  if (k.keepAlive != l.keepAlive && !l.connectionTab && !closeWins) {
    finding("keep-alive differs", index, keyward, llhttp);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const Run keyward = runKeyward(bytes);
  const Run llhttp = runLlhttp(bytes);

  const std::size_t both = std::min(keyward.messages.size(), llhttp.messages.size());
  for (std::size_t i = 0; i < both; ++i) {
    compareMessages(i, keyward.messages[i], llhttp.messages[i], keyward, llhttp);
    if (llhttp.messages[i].upgrade) return 0;  // llhttp hands the connection over here
  }
  if (keyward.messages.size() > both) {
    // keyward finished a request llhttp did not.
    const Message& accepted = keyward.messages[both];
    if (llhttp.outcome == Outcome::Closed) return 0;  // after close or upgrade: not compared
    if (llhttp.outcome == Outcome::Incomplete) finding("framing: llhttp waits for more", both, keyward, llhttp);
    if (!llhttpRefusalKeywardMayIgnore(llhttp, accepted)) {
      finding("keyward accepts what llhttp refuses", both, keyward, llhttp);
    }
  } else if (llhttp.messages.size() > both) {
    const Message& accepted = llhttp.messages[both];
    if (keyward.outcome == Outcome::Closed) return 0;
    if (keyward.outcome == Outcome::Incomplete) finding("framing: keyward waits for more", both, keyward, llhttp);
    const std::string_view rest = std::string_view(bytes).substr(both == 0 ? 0 : keyward.messages[both - 1].end);
    if (!keywardRefusalIsDeliberate(keyward, accepted, rest)) {
      finding("keyward refuses what llhttp accepts", both, keyward, llhttp);
    }
  }
  return 0;
}
