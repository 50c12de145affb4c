#pragma once
// SHA-256 digests of key text: the only form in which keys live in memory after loading.

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace keyward {

struct Digest {
  static constexpr std::size_t kSize = 32;
  std::array<unsigned char, kSize> bytes{};

  // Not constant-time; for containers. Use equalsConstantTime() to compare a presented key.
  bool operator==(const Digest& other) const { return bytes == other.bytes; }
  bool operator<(const Digest& other) const { return bytes < other.bytes; }

  // The first 8 bytes as an integer: SHA-256 output is uniform, so this is a good hash.
  std::size_t hashPrefix() const {
    std::size_t h;
    std::memcpy(&h, bytes.data(), sizeof h);
    return h;
  }
};

bool equalsConstantTime(const Digest& a, const Digest& b);

// SHA-256 of `text`. Thread-safe: each thread reuses its own pre-fetched OpenSSL context,
// which costs a third of a one-shot SHA256() call on OpenSSL 3.
Digest sha256(std::string_view text);

// Lower-case hex of the whole digest (64 characters), as written in `sha256:` config entries.
std::string toHex(const Digest& digest);

// Parses 64 hex digits (either case). nullopt on any other input.
std::optional<Digest> digestFromHex(std::string_view hex);

// A short, non-reversible name for a key, safe for logs and listings: the first 8 bytes of
// its SHA-256 as 16 hex digits. Never the full digest.
std::string fingerprint(const Digest& digest);
inline std::string fingerprintOfKey(std::string_view keyText) { return fingerprint(sha256(keyText)); }

struct DigestHash {
  std::size_t operator()(const Digest& d) const { return d.hashPrefix(); }
};

}  // namespace keyward
