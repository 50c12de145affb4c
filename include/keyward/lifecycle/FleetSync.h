#pragma once
// The pure arithmetic and encodings of the shared state (SharedState.h does the I/O), kept
// apart so that they can be tested without a Redis.
//
// What lives in Redis, under the configured prefix P (never a key, never a full digest):
//   P rate:k:<key id>:<requests>/<per ms>/<burst>   requests the fleet admitted under that key
//   P rate:p:<peer>:<requests>/<per ms>/<burst>     limit (or peer limit), a counter (INCRBY),
//                                                   expiring after 2 periods (at least 60 s) idle
//   P usage:<replica>   hash: key id -> "allowed denied last_used_ms", that replica's totals
//   P replicas          set of replica names that reported usage
//   P revoked           hash: 16-hex fingerprint -> {"id","reason","time"} (never removed)
//   P suspended         hash: 16-hex fingerprint -> {"state","id","url","source","time"}, the
//                       latest leak suspension or clear of that key (the later time wins)
//   P suspended:version counter, incremented after every write to P suspended

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keyward/config/KeyPolicy.h"
#include "keyward/lifecycle/RateLimiter.h"

namespace keyward {

// A budget's fleet counter as one replica follows it. After each sync, the counter's new
// total minus the total seen last time minus what this replica added is what the others
// admitted meanwhile.
struct FleetCount {
  bool known = false;
  std::int64_t lastTotal = 0;

  // `total`: the counter after this replica added `mine` (INCRBY's answer, or GET's when
  // mine is 0). Returns the requests the rest of the fleet admitted since the last call.
  // The first call only learns the total; a counter that went back (expired, flushed)
  // restarts the count.
  std::uint64_t othersSince(std::int64_t total, std::uint64_t mine) {
    const std::int64_t before = lastTotal;
    const bool first = !known;
    known = true;
    lastTotal = total;
    if (first) return 0;
    const std::int64_t others = total - before - static_cast<std::int64_t>(mine);
    return others > 0 ? static_cast<std::uint64_t>(others) : 0;
  }
};

// The Redis key of a budget (see above).
std::string budgetRedisKey(std::string_view prefix, RateLimiter::Kind kind, std::string_view name,
                           const RateLimit& limit);
// How long an idle budget counter lives, in milliseconds.
std::int64_t budgetCounterTtlMs(const RateLimit& limit);

struct UsageFigures {
  std::uint64_t allowed = 0;
  std::uint64_t denied = 0;
  std::int64_t lastUsedMs = 0;
  bool operator==(const UsageFigures&) const = default;
};
std::string encodeUsage(const UsageFigures& figures);
std::optional<UsageFigures> decodeUsage(std::string_view text);

struct SharedRevocation {
  std::string id;
  std::string reason;
  std::int64_t timeMs = 0;
};
std::string encodeRevocation(const SharedRevocation& revocation);
std::optional<SharedRevocation> decodeRevocation(std::string_view json);

// A leak suspension (or its clearing) as the fleet shares it.
struct SharedSuspension {
  bool cleared = false;
  std::string id, url, source;
  std::int64_t timeMs = 0;  // when it was suspended, or cleared
  bool operator==(const SharedSuspension&) const = default;
};
std::string encodeSuspension(const SharedSuspension& suspension);
std::optional<SharedSuspension> decodeSuspension(std::string_view json);

}  // namespace keyward
