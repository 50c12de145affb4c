// The chunked body skipper on arbitrary bytes: never crashes, never consumes more than it is
// given, and gives the same verdict, status, consumed count and body length whether the body
// arrives at once, a byte at a time, or split at a point chosen by the input.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keyward/http/ChunkedBody.h"

using namespace keyward;
using State = ChunkedBodySkipper::State;

namespace {

struct Verdict {
  State state;
  int status;
  std::size_t consumed;
  std::size_t bodyBytes;
};

// Feeds bytes in pieces of at most `step` bytes (0: all at once).
Verdict run(ChunkedBodySkipper& skipper, const std::string& bytes, std::size_t step) {
  skipper.reset();
  std::size_t consumed = 0;
  while (consumed < bytes.size() && skipper.state() == State::NeedMore) {
    const std::size_t left = bytes.size() - consumed;
    const std::size_t piece = step == 0 || step > left ? left : step;
    const std::size_t took = skipper.consume(bytes.data() + consumed, piece);
    if (took > piece) std::abort();
    if (skipper.state() == State::NeedMore && took != piece) std::abort();  // NeedMore takes all
    consumed += took;
  }
  if (skipper.state() == State::Invalid && (skipper.errorStatus() != 400 && skipper.errorStatus() != 413)) {
    std::abort();
  }
  if (skipper.state() == State::Invalid && skipper.reason().empty()) std::abort();
  return {skipper.state(), skipper.errorStatus(), consumed, skipper.bodyBytes()};
}

bool same(const Verdict& a, const Verdict& b) {
  return a.state == b.state && a.status == b.status && a.consumed == b.consumed && a.bodyBytes == b.bodyBytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  // First byte: the body limit (0-255 bytes, or the largest), so 413 and its edges are reached.
  const std::size_t limit = data[0] == 255 ? SIZE_MAX : data[0];
  // Exact-size copy so ASan sees any read past the end.
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  ChunkedBodySkipper skipper(limit);
  const Verdict once = run(skipper, bytes, 0);
  if (once.bodyBytes > limit) std::abort();
  if (!same(run(skipper, bytes, 1), once)) std::abort();
  if (!same(run(skipper, bytes, 2), once)) std::abort();
  if (!same(run(skipper, bytes, 7), once)) std::abort();
  // Done: the body ends at the first "0" CRLF CRLF that is a last chunk, never past the input.
  if (once.state == State::Done) {
    if (once.consumed < 5 || bytes.compare(once.consumed - 4, 4, "\r\n\r\n") != 0) std::abort();
  }
  return 0;
}
