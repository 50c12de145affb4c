// The request parser on arbitrary bytes (chunked bodies accepted): never crashes, never reads
// past the input, and gives the same verdict whether the head arrives at once or a byte at a
// time.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keyward/http/HttpParser.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  HttpLimits limits;
  limits.maxHeaderBytes = 2048;
  limits.maxUriBytes = 512;
  limits.maxHeaderCount = 16;
  HttpParser parser(limits, ChunkedBodies::Accept);
  // Exact-size copy so ASan sees any read past the end.
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // Reused between inputs, as the event loop reuses its one request: with room for 8192
  // fields it is 256 KiB, too much to build twice per input.
  static HttpRequest whole;
  std::size_t scanned = 0;
  ParseResult once = parser.parse(bytes.data(), bytes.size(), scanned, whole);

  static HttpRequest piecewise;
  std::size_t resume = 0;
  ParseResult step;
  for (std::size_t n = 1; n <= bytes.size(); ++n) {
    step = parser.parse(bytes.data(), n, resume, piecewise);
    if (step.status != ParseStatus::NeedMore) break;
  }
  if (size > 0 && step.status != once.status) std::abort();
  if (once.status == ParseStatus::Complete) {
    if (once.headBytes > size) std::abort();
    if (step.headBytes != once.headBytes || piecewise.target != whole.target) std::abort();
    if (piecewise.chunked != whole.chunked) std::abort();
    if (whole.chunked && whole.contentLength != 0) std::abort();  // one framing, never two
    for (std::size_t i = 0; i < whole.headerCount; ++i) {
      for (char c : whole.headers[i].value) {
        if (c == '\r' || c == '\n' || c == '\0') std::abort();  // never a control byte through
      }
    }
  }
  if (once.status == ParseStatus::Invalid && (once.errorStatus < 400 || once.errorStatus > 505)) std::abort();
  return 0;
}
