#pragma once
// Steps over a chunked request body (RFC 9112 7.1), strictly, without keeping it.
//
// Accepted: chunk-size CRLF chunk-data CRLF ... then a last chunk ("0" CRLF, any number of
// zeros) and the empty trailer section (CRLF). Refused with 400: a chunk size that is not
// 1-16 hex digits, chunk extensions (";name=value": keyward reads no body and has no use for
// them), a non-empty trailer section (no use for trailer fields either; refusing keeps the
// only line after the last chunk a bare CRLF), bare CR or LF, chunk data longer than its size.
// Refused with 413: chunk data adding up to more than maxBodyBytes (checked on every size
// digit, before the data is read). Framing bytes are not counted; every chunk line is at
// most 18 bytes and every chunk but the last carries data, so they are bounded as well.
//
// The verdict and the number of bytes consumed do not depend on how the body is split into
// calls: the state machine looks at one byte at a time and keeps no input. No allocation.
// Not thread-safe: one skipper per connection (or per loop, reset() per request).

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keyward {

class ChunkedBodySkipper {
 public:
  explicit ChunkedBodySkipper(std::size_t maxBodyBytes);

  enum class State { NeedMore, Done, Invalid };

  // Ready for the next body (also sets the state back to NeedMore).
  void reset();

  // Consumes bytes of the body from data[0, size); returns how many it consumed. On Done: the
  // bytes up to and including the final CRLF; the rest belongs to the next request. On
  // Invalid: up to and including the offending byte. Once Done or Invalid, consumes nothing.
  std::size_t consume(const char* data, std::size_t size);

  State state() const { return state_; }
  int errorStatus() const { return errorStatus_; }     // Invalid: 400 or 413
  std::string_view reason() const { return reason_; }  // Invalid: fixed short text
  // Chunk data bytes announced by the chunk sizes read so far (Done: the body's length).
  std::size_t bodyBytes() const { return total_; }

  // Longest chunk-size accepted, in hex digits (leading zeros included).
  static constexpr int kMaxSizeDigits = 16;

 private:
  enum class Step : std::uint8_t { SizeFirst, Size, SizeLf, Data, DataCr, DataLf, TrailerCr, TrailerLf };

  void readSizeByte(char c);
  void fail(int status, std::string_view reason);

  std::size_t maxBodyBytes_;
  std::size_t total_ = 0;      // chunk data bytes so far
  std::size_t chunkLeft_ = 0;  // Size: the size read so far; Data: bytes of the chunk to skip
  int digits_ = 0;
  Step step_ = Step::SizeFirst;
  State state_ = State::NeedMore;
  int errorStatus_ = 0;
  std::string_view reason_;
};

}  // namespace keyward
