#include "keyward/http/ChunkedBody.h"

#include <algorithm>

namespace keyward {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ChunkedBodySkipper::ChunkedBodySkipper(std::size_t maxBodyBytes) : maxBodyBytes_(maxBodyBytes) {}

void ChunkedBodySkipper::reset() {
  total_ = 0;
  chunkLeft_ = 0;
  digits_ = 0;
  step_ = Step::SizeFirst;
  state_ = State::NeedMore;
  errorStatus_ = 0;
  reason_ = {};
}

void ChunkedBodySkipper::fail(int status, std::string_view reason) {
  state_ = State::Invalid;
  errorStatus_ = status;
  reason_ = reason;
}

void ChunkedBodySkipper::readSizeByte(char c) {
  const int digit = hexValue(c);
  if (digit >= 0) {
    if (++digits_ > kMaxSizeDigits) return fail(400, "chunk size too long");
    // The size so far plus the data before it must stay within the limit; checked on every
    // digit, without overflow, so a huge size is refused before its line ends.
    const std::size_t room = maxBodyBytes_ - total_;
    if (chunkLeft_ > (room >> 4)) return fail(413, "request body too large");
    chunkLeft_ <<= 4;
    if (static_cast<std::size_t>(digit) > room - chunkLeft_) return fail(413, "request body too large");
    chunkLeft_ += static_cast<std::size_t>(digit);
    step_ = Step::Size;
  } else if (step_ == Step::SizeFirst) {
    fail(400, "invalid chunk size");
  } else if (c == '\r') {
    step_ = Step::SizeLf;
  } else if (c == ';' || c == ' ' || c == '\t') {
    fail(400, "chunk extensions are not accepted");  // BWS may precede the ';'
  } else {
    fail(400, c == '\n' ? "bare LF in chunked body" : "invalid chunk size");
  }
}

std::size_t ChunkedBodySkipper::consume(const char* data, std::size_t size) {
  std::size_t i = 0;
  while (i < size && state_ == State::NeedMore) {
    if (step_ == Step::Data) {
      // The only bulk step: skip what is there of the chunk.
      const std::size_t take = std::min(chunkLeft_, size - i);
      i += take;
      chunkLeft_ -= take;
      if (chunkLeft_ == 0) step_ = Step::DataCr;
      continue;
    }
    // Every other step reads one byte; a refusal ends the loop (state_ is no longer NeedMore).
    const char c = data[i++];
    switch (step_) {
      case Step::SizeFirst:
      case Step::Size:
        readSizeByte(c);
        break;
      case Step::SizeLf:
        if (c != '\n') {
          fail(400, "bare CR in chunked body");
        } else if (chunkLeft_ == 0) {
          step_ = Step::TrailerCr;  // that was the last chunk
        } else {
          total_ += chunkLeft_;
          digits_ = 0;
          step_ = Step::Data;
        }
        break;
      case Step::DataCr:
        if (c == '\r') {
          step_ = Step::DataLf;
        } else {
          fail(400, c == '\n' ? "bare LF in chunked body" : "chunk data longer than its size");
        }
        break;
      case Step::DataLf:
        if (c == '\n') {
          step_ = Step::SizeFirst;
        } else {
          fail(400, "bare CR in chunked body");
        }
        break;
      case Step::TrailerCr:
        if (c == '\r') {
          step_ = Step::TrailerLf;
        } else {
          fail(400, c == '\n' ? "bare LF in chunked body" : "trailer fields are not accepted");
        }
        break;
      case Step::TrailerLf:
        if (c == '\n') {
          state_ = State::Done;
        } else {
          fail(400, "bare CR in chunked body");
        }
        break;
      case Step::Data:
        break;  // handled above
    }
  }
  return i;
}

}  // namespace keyward
