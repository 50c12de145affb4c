#pragma once
// Every answer /v1/verify (and the admin, status and metrics endpoints) can give, with its
// HTTP status and the code sent in X-Keyward-Code: the one list that the decision, the
// answer, the log and the counters share. Adding a reason is adding a row here.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace keyward {

enum class Verdict : std::uint8_t {
  Allowed,
  MissingKey,
  InvalidKey,
  AmbiguousKey,
  Expired,
  NotYetValid,
  Suspended,
  Revoked,
  WrongPeer,
  InsufficientScope,
  InvalidPath,
  BadRequest,
  Throttled,
  OriginalUnknown,
  AmbiguousOriginal,
  RateLimited,
  Count_,
};

inline constexpr std::size_t kVerdictCount = static_cast<std::size_t>(Verdict::Count_);

struct VerdictInfo {
  std::string_view code;  // "ok" for Allowed
  int status;
};

inline constexpr std::array<VerdictInfo, kVerdictCount> kVerdicts = {{
    {"ok", 200},
    {"MISSING_KEY", 401},
    {"INVALID_KEY", 401},
    {"AMBIGUOUS_KEY", 401},
    {"EXPIRED", 401},
    {"NOT_YET_VALID", 401},
    {"SUSPENDED", 401},
    {"REVOKED", 401},
    {"WRONG_PEER", 403},
    {"INSUFFICIENT_SCOPE", 403},
    {"INVALID_PATH", 403},
    {"BAD_REQUEST", 400},
    {"THROTTLED", 429},
    {"ORIGINAL_UNKNOWN", 403},
    {"AMBIGUOUS_ORIGINAL", 400},
    {"RATE_LIMITED", 429},
}};

constexpr std::size_t indexOf(Verdict v) { return static_cast<std::size_t>(v); }
constexpr std::string_view codeOf(Verdict v) { return kVerdicts[indexOf(v)].code; }
constexpr int statusOf(Verdict v) { return kVerdicts[indexOf(v)].status; }

}  // namespace keyward
