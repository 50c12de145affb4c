#include "keyward/keys/PrefixedKey.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace keyward {
namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

constexpr bool isBase62(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
constexpr bool isPrefixChar(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }
constexpr bool isWordChar(char c) noexcept { return isBase62(c) || c == '_'; }

constexpr std::array<std::uint32_t, 256> makeCrcTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = makeCrcTable();

void writeChecksum(std::uint32_t crc, char* out) noexcept {
  for (std::size_t i = kPrefixedCheckChars; i-- > 0;) {
    out[i] = kBase62[crc % 62];
    crc /= 62;
  }
}

// The tail "_" BODY CHECK at the end of `text` is well formed (base62, right length).
bool hasTail(std::string_view text) noexcept {
  if (text.size() < kPrefixedMinLength || text.size() > kPrefixedMaxLength) return false;
  const std::size_t tail = text.size() - kPrefixedTailChars;
  if (text[tail] != '_') return false;
  for (std::size_t i = tail + 1; i < text.size(); ++i) {
    if (!isBase62(text[i])) return false;
  }
  return true;
}

bool checksumMatches(std::string_view text) noexcept {
  const std::string_view covered = text.substr(0, text.size() - kPrefixedCheckChars);
  char expected[kPrefixedCheckChars];
  writeChecksum(crc32(covered), expected);
  // Not secret (anybody can compute it): a plain comparison is fine.
  return text.substr(text.size() - kPrefixedCheckChars) == std::string_view(expected, kPrefixedCheckChars);
}

}  // namespace

bool isValidKeyPrefix(std::string_view prefix) noexcept {
  if (prefix.size() < kKeyPrefixMin || prefix.size() > kKeyPrefixMax) return false;
  if (!(prefix.front() >= 'a' && prefix.front() <= 'z') || prefix.back() == '_') return false;
  for (char c : prefix) {
    if (!isPrefixChar(c)) return false;
  }
  return true;
}

std::uint32_t crc32(std::string_view data) noexcept {
  std::uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string prefixedChecksum(std::string_view nameAndBody) {
  std::string out(kPrefixedCheckChars, '0');
  writeChecksum(crc32(nameAndBody), out.data());
  return out;
}

std::string_view prefixOfKey(std::string_view text) noexcept {
  if (!hasTail(text)) return {};
  std::string_view prefix = text.substr(0, text.size() - kPrefixedTailChars);
  return isValidKeyPrefix(prefix) ? prefix : std::string_view();
}

PrefixedShape prefixedShapeOf(std::string_view text) noexcept {
  // Plain keys of keygen's default size stop at the first comparison.
  if (prefixOfKey(text).empty()) return PrefixedShape::NotPrefixed;
  return checksumMatches(text) ? PrefixedShape::Valid : PrefixedShape::BadChecksum;
}

std::string generatePrefixedKey(std::string_view prefix) {
  if (!isValidKeyPrefix(prefix)) {
    throw std::invalid_argument(
        "a key prefix is 2 to 32 characters of a-z, 0-9 and '_', starting with a letter and not ending with '_'");
  }
  std::string key(prefix);
  key += '_';
  // Rejection sampling: bytes below 248 (= 4 * 62) map uniformly onto 62 characters.
  unsigned char random[64];
  std::size_t have = 0;
  for (int rounds = 0; have < kPrefixedBodyChars; ++rounds) {
    if (rounds == 16) {
      OPENSSL_cleanse(random, sizeof random);
      throw std::runtime_error("OpenSSL's random generator keeps returning unusable bytes");
    }
    if (RAND_priv_bytes(random, sizeof random) != 1) {
      OPENSSL_cleanse(random, sizeof random);
      OPENSSL_cleanse(key.data(), key.size());
      throw std::runtime_error("OpenSSL's random generator failed");
    }
    for (unsigned char b : random) {
      if (b < 248 && have < kPrefixedBodyChars) {
        key += kBase62[b % 62];
        ++have;
      }
    }
  }
  OPENSSL_cleanse(random, sizeof random);
  key += prefixedChecksum(key);
  return key;
}

void findPrefixedKeys(std::string_view text, const std::function<void(std::size_t, std::size_t)>& found) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!isWordChar(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && isWordChar(text[end])) ++end;
    // The run text[i, end): its last 50 characters must be the tail.
    if (end - i >= kPrefixedMinLength) {
      const std::size_t tail = end - kPrefixedTailChars;
      if (hasTail(text.substr(tail - kKeyPrefixMin, end - (tail - kKeyPrefixMin)))) {
        // Try each prefix the run allows, shortest first; the checksum picks the right one.
        for (std::size_t length = kKeyPrefixMin; length <= kKeyPrefixMax && length <= tail - i; ++length) {
          const std::string_view candidate = text.substr(tail - length, end - (tail - length));
          if (prefixedShapeOf(candidate) == PrefixedShape::Valid) {
            found(tail - length, candidate.size());
            break;
          }
        }
      }
    }
    i = end;
  }
}

}  // namespace keyward
