#include "keyward/base/Base64.h"

#include <openssl/crypto.h>

#include <array>

namespace keyward {
namespace {

constexpr char kStandard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Maps a character of either alphabet to its 6-bit value; the caller tells the forms apart.
constexpr signed char kInvalid = -1;

std::array<signed char, 256> makeDecodeTable() {
  std::array<signed char, 256> table{};
  table.fill(kInvalid);
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(kStandard[i])] = static_cast<signed char>(i);
    table[static_cast<unsigned char>(kUrl[i])] = static_cast<signed char>(i);
  }
  return table;
}

const std::array<signed char, 256> kDecode = makeDecodeTable();

bool isWhitespace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

std::string base64Encode(const unsigned char* data, std::size_t size, Base64Alphabet alphabet) {
  const char* chars = alphabet == Base64Alphabet::Standard ? kStandard : kUrl;
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    unsigned v = data[i] << 16 | data[i + 1] << 8 | data[i + 2];
    out += chars[v >> 18 & 63];
    out += chars[v >> 12 & 63];
    out += chars[v >> 6 & 63];
    out += chars[v & 63];
  }
  std::size_t rest = size - i;
  if (rest > 0) {
    unsigned v = data[i] << 16 | (rest == 2 ? data[i + 1] << 8 : 0);
    out += chars[v >> 18 & 63];
    out += chars[v >> 12 & 63];
    if (rest == 2) out += chars[v >> 6 & 63];
    if (alphabet == Base64Alphabet::Standard) out.append(3 - rest, '=');
  }
  return out;
}

std::size_t base64DecodeStrictInto(std::string_view text, unsigned char* out, std::size_t capacity,
                                   std::string_view& problem) {
  bool sawStandardOnly = false;  // '+' or '/'
  bool sawUrlOnly = false;       // '-' or '_'
  std::size_t padding = 0;
  problem = {};
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '=') {
      ++padding;
      continue;
    }
    if (isWhitespace(c)) {
      problem = "contains whitespace";
    } else if (padding > 0) {
      problem = "has '=' padding before the end";
    } else if (isWhitespace(c)) {
      problem = "contains whitespace";
    } else if (c < 0x20 || c == 0x7f) {
      problem = "contains a control character";
    } else if (kDecode[c] == kInvalid) {
      problem = "contains a character outside the base64 alphabet";
    }
    if (!problem.empty()) return 0;
    sawStandardOnly |= (c == '+' || c == '/');
    sawUrlOnly |= (c == '-' || c == '_');
  }
  if (sawStandardOnly && sawUrlOnly) {
    problem = "mixes the standard and URL-safe base64 alphabets";
    return 0;
  }
  std::size_t dataChars = text.size() - padding;
  if (padding > 0) {
    if (sawUrlOnly) {
      problem = "is base64url with '=' padding (base64url keys are unpadded)";
      return 0;
    }
    if (padding > 2 || text.size() % 4 != 0) {
      problem = "has incorrect base64 padding";
      return 0;
    }
  } else if (text.size() % 4 != 0) {
    if (sawStandardOnly) {
      problem = "is standard base64 without its '=' padding";
      return 0;
    }
    if (text.size() % 4 == 1) {
      problem = "has a length that no base64 encoding can have";
      return 0;
    }
  }
  std::size_t tail = dataChars % 4;  // 0, 2 or 3 data characters in the last group
  if (tail == 1 || (padding > 0 && tail + padding != 4)) {
    problem = "has incorrect base64 padding";
    return 0;
  }
  if (dataChars * 3 / 4 > capacity) {
    problem = "is too long";
    return 0;
  }

  std::size_t size = 0;
  unsigned acc = 0;
  int bits = 0;
  for (std::size_t i = 0; i < dataChars; ++i) {
    acc = (acc << 6) | static_cast<unsigned>(kDecode[static_cast<unsigned char>(text[i])]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[size++] = static_cast<unsigned char>(acc >> bits & 0xff);
    }
  }
  // Leftover bits must be zero, or two different texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
    OPENSSL_cleanse(out, size);
    problem = "is non-canonical base64 (unused trailing bits are not zero)";
    return 0;
  }
  if (size == 0) problem = "is empty";
  return size;
}

Base64Decoded base64DecodeStrict(std::string_view text) {
  Base64Decoded result;
  result.bytes.resize(text.size() * 3 / 4 + 3);
  std::size_t size = base64DecodeStrictInto(text, result.bytes.data(), result.bytes.size(), result.problem);
  result.bytes.resize(size);
  result.ok = result.problem.empty();
  return result;
}

}  // namespace keyward
