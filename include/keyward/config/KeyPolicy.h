#pragma once
// What a key may do and when, as written in the config: name, type, scopes, validity
// window and status. One policy is shared by every key of a source (a key directory's files
// share their directory's policy), so 100,000 keys do not carry 100,000 copies.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

enum class KeyStatus : std::uint8_t { Active, Suspended, Revoked };
enum class KeyType : std::uint8_t { Service, User };

inline constexpr std::int64_t kNoStart = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kNoEnd = std::numeric_limits<std::int64_t>::max();

// `rate_limit: { requests: N, per: DURATION, burst: M }`: on average N requests per `per`,
// up to M at once (default N). requests == 0: no limit.
struct RateLimit {
  std::uint64_t requests = 0;
  std::int64_t perMs = 0;  // whole seconds, at least 1s
  std::uint64_t burst = 0;

  explicit operator bool() const { return requests > 0; }
  bool operator==(const RateLimit&) const = default;
};

struct KeyPolicy {
  std::string name;
  std::string description;
  KeyType type = KeyType::Service;
  std::vector<std::string> scopes;
  std::int64_t createdMs = kNoStart;    // informational
  std::int64_t notBeforeMs = kNoStart;  // Unix milliseconds; the key works from this instant
  std::int64_t expiresMs = kNoEnd;      // ... and stops at this one
  KeyStatus status = KeyStatus::Active;
  std::string revokedReason;
  RateLimit rateLimit;

  bool hasScope(std::string_view scope) const {
    for (const std::string& s : scopes) {
      if (s == scope) return true;
    }
    return false;
  }
  // Scopes joined by spaces, as in OAuth's `scope` and the X-Keyward-Scopes header, into
  // `out` (replaced; a reused buffer costs no allocation per request).
  void writeScopeList(std::string& out) const;
};

std::string_view toString(KeyStatus status);
std::string_view toString(KeyType type);
std::optional<KeyStatus> keyStatusFromString(std::string_view text);
std::optional<KeyType> keyTypeFromString(std::string_view text);

// RFC 3339 date-time ("2026-12-01T00:00:00Z", "2026-12-01T09:30:00.250+02:00") to Unix
// milliseconds. nullopt for anything else, including a missing offset.
std::optional<std::int64_t> parseRfc3339(std::string_view text);

}  // namespace keyward
