#pragma once
// RFC 4648 base64, strict: used to make keys (keygen) and to validate them (KeyText).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

enum class Base64Alphabet {
  Standard,  // A-Z a-z 0-9 + /, padded with '='
  Url,       // A-Z a-z 0-9 - _, unpadded (RFC 4648 section 5, as in JWTs)
};

std::string base64Encode(const unsigned char* data, std::size_t size, Base64Alphabet alphabet);

struct Base64Decoded {
  bool ok = false;
  std::string_view problem;          // why decoding failed; never quotes the input
  std::vector<unsigned char> bytes;  // caller wipes it when the input was a secret
};

// Decodes `text` in either accepted form: the standard alphabet with exact padding, or the
// URL alphabet without padding. Rejects anything else, including whitespace, mixed
// alphabets, misplaced '=' and non-zero unused trailing bits (non-canonical encodings).
Base64Decoded base64DecodeStrict(std::string_view text);

// The same checks, decoding into `out` (capacity `capacity`) without allocating. Returns the
// decoded size, or 0 with `problem` set. Input that would decode to more than `capacity`
// bytes is refused with "is too long".
std::size_t base64DecodeStrictInto(std::string_view text, unsigned char* out, std::size_t capacity,
                                   std::string_view& problem);

}  // namespace keyward
