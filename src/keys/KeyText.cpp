#include "keyward/keys/KeyText.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "keyward/base/Base64.h"
#include "keyward/keys/PrefixedKey.h"

namespace keyward {

std::string_view keyTextProblem(std::string_view text) {
  if (text.empty()) return "is empty";
  if (text.size() > kMaxKeyTextLength) return "is too long (more than 1024 bytes once decoded)";
  if (text.find('\n') != std::string_view::npos) {
    // The usual cause: `openssl rand -base64 N` wraps its output at 64 columns for N > 48.
    return "contains a line break (use `keygen`, or `openssl rand -base64 -A`, for one line)";
  }
  // Mistakes people make, named before the decoder's finer complaints: a copied key with a
  // space after it, and a password where a key belongs ("hunter2" is too short, not "bad
  // base64").
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  if (isSpace(text.back())) return "ends with whitespace (remove the trailing spaces)";
  if (isSpace(text.front())) return "starts with whitespace (remove the leading spaces)";
  // The prefixed format (PrefixedKey.h) is recognised by its shape and checked by its
  // checksum; it is never also read as base64 (a mistyped prefixed key must not pass as a
  // base64 key that happens to decode).
  switch (prefixedShapeOf(text)) {
    case PrefixedShape::Valid: {
      const std::string_view body = text.substr(text.size() - kPrefixedTailChars + 1, kPrefixedBodyChars);
      if (body.find_first_not_of(body.front()) == std::string_view::npos) {
        return "is not random (every character of the prefixed key's body is the same)";
      }
      return {};
    }
    case PrefixedShape::BadChecksum:
      return "has the prefixed key shape (NAME_ + 49 base62 characters) but a wrong checksum (mistyped or cut "
             "short? if it is a base64 key, make a new one with keygen)";
    case PrefixedShape::NotPrefixed:
      break;
  }
  if (text.size() < kMinKeyTextLength) return "is too short (fewer than 32 bytes once decoded)";
  // On the stack: no heap copy of the key's bytes is ever made (or left behind).
  unsigned char bytes[kMaxKeyBytes];
  std::string_view problem;
  std::size_t size = base64DecodeStrictInto(text, bytes, sizeof bytes, problem);
  if (!problem.empty()) {
    if (problem == "is too long") problem = "is too long (more than 1024 bytes once decoded)";
  } else if (size < kMinKeyBytes) {
    problem = "is too short (fewer than 32 bytes once decoded)";
  } else if (std::all_of(bytes, bytes + size, [&](unsigned char b) { return b == bytes[0]; })) {
    problem = "is not random (every decoded byte has the same value)";
  }
  OPENSSL_cleanse(bytes, size);
  return problem;
}

std::string_view withoutTrailingNewline(std::string_view text) {
  if (text.size() >= 2 && text.substr(text.size() - 2) == "\r\n") return text.substr(0, text.size() - 2);
  if (!text.empty() && text.back() == '\n') return text.substr(0, text.size() - 1);
  return text;
}

}  // namespace keyward
