#pragma once
// What keyward accepts as a key: RFC 4648 base64 text that decodes to 32..1024 bytes, or a
// key in the prefixed format (PrefixedKey.h: NAME_ + base62 body + checksum) whose checksum is right.

#include <cstddef>
#include <string_view>

namespace keyward {

inline constexpr std::size_t kMinKeyBytes = 32;
inline constexpr std::size_t kMaxKeyBytes = 1024;
// Shortest key text that can decode to kMinKeyBytes (base64url, unpadded).
inline constexpr std::size_t kMinKeyTextLength = (kMinKeyBytes * 4 + 2) / 3;
// Longest key text that can decode to kMaxKeyBytes (standard alphabet, padded).
inline constexpr std::size_t kMaxKeyTextLength = (kMaxKeyBytes + 2) / 3 * 4;

// Empty when `text` is an acceptable key; otherwise a fixed reason such as
// "is too short (fewer than 32 bytes once decoded)". The reason never quotes the text, so it
// is safe to log. Decoded bytes are wiped before returning.
std::string_view keyTextProblem(std::string_view text);

// A secret file may end with one newline ("\n" or "\r\n"); this strips exactly one.
std::string_view withoutTrailingNewline(std::string_view text);

}  // namespace keyward
