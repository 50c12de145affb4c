#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keyward/http/ChunkedBody.h"

namespace keyward {
namespace {

using State = ChunkedBodySkipper::State;

struct Outcome {
  State state;
  int status;
  std::size_t consumed;
};

Outcome run(ChunkedBodySkipper& skipper, const std::string& bytes, std::size_t split) {
  skipper.reset();
  std::size_t consumed = skipper.consume(bytes.data(), split);
  if (skipper.state() == State::NeedMore) {
    consumed += skipper.consume(bytes.data() + consumed, bytes.size() - consumed);
  }
  return {skipper.state(), skipper.errorStatus(), consumed};
}

Outcome runByteByByte(ChunkedBodySkipper& skipper, const std::string& bytes) {
  skipper.reset();
  std::size_t consumed = 0;
  for (std::size_t i = 0; i < bytes.size() && skipper.state() == State::NeedMore; ++i) {
    consumed += skipper.consume(bytes.data() + i, 1);
  }
  return {skipper.state(), skipper.errorStatus(), consumed};
}

struct Case {
  const char* why;
  std::string bytes;  // the body, maybe followed by the next request's bytes
  State state;
  int status;            // Invalid: 400 or 413
  std::size_t consumed;  // Done: where the body ends
};

const std::string kNext = "GET / HTTP/1.1\r\n";

// maxBodyBytes is 16 in every case.
const std::vector<Case>& cases() {
  static const std::vector<Case> table = {
      {"only the last chunk", "0\r\n\r\n" + kNext, State::Done, 0, 5},
      {"one chunk", "5\r\nhello\r\n0\r\n\r\n" + kNext, State::Done, 0, 15},
      {"hex digits in either case count: a + A = 20 bytes > 16", "a\r\n0123456789\r\nA\r\n", State::Invalid, 413, 0},
      {"two chunks within the limit", "3\r\nabc\r\nD\r\n0123456789abc\r\n0\r\n\r\n" + kNext, State::Done, 0, 31},
      {"exactly the limit", "10\r\n0123456789abcdef\r\n0\r\n\r\n", State::Done, 0, 27},
      {"leading zeros, 16 digits", "0000000000000003\r\nabc\r\n0\r\n\r\n", State::Done, 0, 28},
      {"a last chunk of several zeros", "000\r\n\r\n", State::Done, 0, 7},
      {"chunk data may hold CR, LF and NUL", std::string("3\r\n\r\n\0\r\n0\r\n\r\n", 13), State::Done, 0, 13},
      {"nothing yet", "", State::NeedMore, 0, 0},
      {"a size line not yet ended", "5", State::NeedMore, 0, 0},
      {"data not all there", "5\r\nhel", State::NeedMore, 0, 0},
      {"no final CRLF yet", "0\r\n", State::NeedMore, 0, 0},

      {"one byte over the limit", "11\r\n", State::Invalid, 413, 0},
      {"chunks that add up to more than the limit", "8\r\n01234567\r\n9\r\n", State::Invalid, 413, 0},
      {"a huge size is refused on its digits, not after its line", "ffffffffffffffff", State::Invalid, 413, 0},
      {"more than 16 digits, even zeros", "00000000000000000\r\n", State::Invalid, 400, 0},
      {"an empty size", "\r\nabc\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"a sign before the size", "+5\r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"a chunk extension", "5;name=value\r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"an extension on the last chunk", "0;x\r\n\r\n", State::Invalid, 400, 0},
      {"whitespace before an extension (BWS)", "5 ;x\r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"whitespace after the size", "5 \r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"whitespace before the size", " 5\r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"bare LF after the size", "5\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"bare CR after the size", "5\rhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"data longer than its size", "3\r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
      {"bare LF after the data", "5\r\nhello\n0\r\n\r\n", State::Invalid, 400, 0},
      {"bare CR after the data", "5\r\nhello\r0\r\n\r\n", State::Invalid, 400, 0},
      {"a trailer field", "0\r\nX-Trailer: 1\r\n\r\n", State::Invalid, 400, 0},
      {"a Content-Length trailer (a smuggling attempt)", "0\r\nContent-Length: 5\r\n\r\n", State::Invalid, 400, 0},
      {"bare LF as the final line", "0\r\n\n", State::Invalid, 400, 0},
      {"bare CR as the final line", "0\r\n\rX", State::Invalid, 400, 0},
      {"bare LF ending the last chunk", "0\n\r\n", State::Invalid, 400, 0},
      {"a non-hex size", "g\r\n", State::Invalid, 400, 0},
      {"a size followed by junk", "5x\r\nhello\r\n0\r\n\r\n", State::Invalid, 400, 0},
  };
  return table;
}

TEST(ChunkedBody, GivesTheSameVerdictWhateverTheSplit) {
  ChunkedBodySkipper skipper(16);
  for (const Case& c : cases()) {
    const Outcome whole = run(skipper, c.bytes, c.bytes.size());
    EXPECT_EQ(whole.state, c.state) << c.why << ": " << skipper.reason();
    // Invalid: the status; Done: where the body ends; NeedMore: everything was taken.
    const std::size_t expectedConsumed = c.state == State::NeedMore ? c.bytes.size() : c.consumed;
    EXPECT_EQ(whole.status, c.status) << c.why << ": " << skipper.reason();
    if (c.state != State::Invalid) {
      EXPECT_EQ(whole.consumed, expectedConsumed) << c.why;
    }
    for (std::size_t split = 0; split <= c.bytes.size(); ++split) {
      const Outcome two = run(skipper, c.bytes, split);
      EXPECT_EQ(two.state, whole.state) << c.why << ", split at " << split;
      EXPECT_EQ(two.status, whole.status) << c.why << ", split at " << split;
      EXPECT_EQ(two.consumed, whole.consumed) << c.why << ", split at " << split;
    }
    const Outcome bytes = runByteByByte(skipper, c.bytes);
    EXPECT_EQ(bytes.state, whole.state) << c.why << ", byte by byte";
    EXPECT_EQ(bytes.status, whole.status) << c.why << ", byte by byte";
    EXPECT_EQ(bytes.consumed, whole.consumed) << c.why << ", byte by byte";
  }
}

TEST(ChunkedBody, ConsumesNothingOnceFinished) {
  ChunkedBodySkipper skipper(16);
  const std::string body = "0\r\n\r\nGET";
  EXPECT_EQ(skipper.consume(body.data(), body.size()), 5u);
  EXPECT_EQ(skipper.state(), State::Done);
  EXPECT_EQ(skipper.consume(body.data() + 5, 3), 0u);
  skipper.reset();
  EXPECT_EQ(skipper.state(), State::NeedMore);
  EXPECT_EQ(skipper.consume("x", 1), 1u);
  EXPECT_EQ(skipper.state(), State::Invalid);
  EXPECT_EQ(skipper.consume("0", 1), 0u);
  EXPECT_FALSE(skipper.reason().empty());
}

TEST(ChunkedBody, ResetStartsTheBodyCountAgain) {
  // 12 + 12 bytes in two requests: each within 16, together not.
  ChunkedBodySkipper skipper(16);
  const std::string body = "c\r\n0123456789ab\r\n0\r\n\r\n";
  for (int request = 0; request < 2; ++request) {
    skipper.reset();
    EXPECT_EQ(skipper.consume(body.data(), body.size()), body.size());
    EXPECT_EQ(skipper.state(), State::Done) << "request " << request << ": " << skipper.reason();
  }
}

TEST(ChunkedBody, BoundsEveryLineItWaitsFor) {
  // However the bytes arrive, a size line never takes more than 16 digits + CRLF before a
  // verdict: the skipper never waits for an unbounded line.
  ChunkedBodySkipper skipper(SIZE_MAX);
  const std::string digits(17, '1');
  EXPECT_EQ(skipper.consume(digits.data(), digits.size()), 17u);
  EXPECT_EQ(skipper.state(), State::Invalid);
  EXPECT_EQ(skipper.errorStatus(), 400);
  // And no size overflows: 16 'f' digits against the largest limit is a size, not a wrap.
  skipper.reset();
  const std::string big = "ffffffffffffffff\r\n";
  skipper.consume(big.data(), big.size());
  EXPECT_EQ(skipper.state(), State::NeedMore);
  skipper.reset();
  const std::string overflow = "1\r\nx\r\nffffffffffffffff\r\n";
  skipper.consume(overflow.data(), overflow.size());
  EXPECT_EQ(skipper.state(), State::Invalid) << "1 + 0xffffffffffffffff bytes exceeds SIZE_MAX";
  EXPECT_EQ(skipper.errorStatus(), 413);
}

}  // namespace
}  // namespace keyward
