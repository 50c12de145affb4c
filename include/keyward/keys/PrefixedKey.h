#pragma once
// keyward's identifiable key format (opt-in, `keygen --prefix NAME`):
//
//   NAME _ BODY CHECK      e.g. acme_live_3xq...(43)...Zk 0b1Tq9
//
//   NAME   2..32 of [a-z0-9_], starting with a letter, not ending with '_' (chosen by the
//          operator: it is what scanners look for)
//   BODY   43 base62 characters [0-9A-Za-z], each drawn uniformly from OpenSSL's CSPRNG:
//          62^43 > 2^256, so the body alone carries at least 256 bits
//   CHECK  CRC-32 (IEEE, as zlib) of NAME_BODY, as 6 base62 digits, most significant first
//
// Why: base62 needs no quoting in YAML, env files, shells, URLs or HTTP headers, and a
// double click selects the whole key ('_' is a word character everywhere). The checksum
// lets a scanner tell a real key from a random-looking string offline (a 2^-32 false
// positive rate) and lets keyward refuse a mistyped key before hashing it, as GitHub's
// ghp_ tokens do. It protects against typos, not forgeries: anybody can compute a CRC.
//
// Recognition is by shape: a text is "prefixed" when its last 50 characters are '_' and 49
// base62 characters and everything before them is a valid NAME. Plain base64 keys of
// keygen's default size (43 or 44 characters) are too short to have that shape; a
// base64/base64url key of 39..63 bytes has it by chance with a probability below 1 in
// 1,000 and is then checked (and most likely refused) as a prefixed key — see the README.
//
// Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace keyward {

inline constexpr std::size_t kPrefixedBodyChars = 43;
inline constexpr std::size_t kPrefixedCheckChars = 6;
inline constexpr std::size_t kPrefixedTailChars = 1 + kPrefixedBodyChars + kPrefixedCheckChars;  // "_" BODY CHECK
inline constexpr std::size_t kKeyPrefixMin = 2;
inline constexpr std::size_t kKeyPrefixMax = 32;
inline constexpr std::size_t kPrefixedMinLength = kKeyPrefixMin + kPrefixedTailChars;
inline constexpr std::size_t kPrefixedMaxLength = kKeyPrefixMax + kPrefixedTailChars;

// True for a NAME keygen --prefix accepts.
bool isValidKeyPrefix(std::string_view prefix) noexcept;

enum class PrefixedShape : std::uint8_t {
  NotPrefixed,  // not in the prefixed format (a plain base64 key, or anything else)
  Valid,        // prefixed, checksum right
  BadChecksum,  // prefixed shape, checksum wrong: a typo, a truncated copy, or a guess
};

// Cheap: a length test for anything else; one CRC-32 over at most 81 bytes otherwise.
PrefixedShape prefixedShapeOf(std::string_view text) noexcept;

// The NAME of a text whose shape is prefixed (valid or not); empty otherwise.
std::string_view prefixOfKey(std::string_view text) noexcept;

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32()) of `data`.
std::uint32_t crc32(std::string_view data) noexcept;

// The 6-character base62 checksum of `nameAndBody` ("NAME_BODY").
std::string prefixedChecksum(std::string_view nameAndBody);

// A new key NAME_BODY CHECK. Throws std::invalid_argument for an invalid prefix and
// std::runtime_error if the CSPRNG fails. The caller wipes the returned string.
std::string generatePrefixedKey(std::string_view prefix);

// Calls `found(offset, length)` for every checksum-valid prefixed key in `text`: a run of
// [0-9A-Za-z_] whose end has the prefixed shape, with the prefix being the suffix of the
// run before the tail that makes the checksum right (so "MY_KEY_acme_x_..." finds
// "acme_x_..."). No false positive beyond the checksum's 2^-32.
void findPrefixedKeys(std::string_view text, const std::function<void(std::size_t, std::size_t)>& found);

}  // namespace keyward
