#pragma once
// Slows down key guessing: after `maxFailures` denied requests from one client address
// within `window`, further denials from it are answered 429 until the window ends. Only
// denials are counted and only denials are throttled, so a worker presenting a valid key
// is never locked out by an attacker sharing its address.
//
// Memory is fixed: a table of `capacity` addresses in 8-way buckets; a new address takes
// the slot of the stalest one in its bucket. Thread-safe (a lock per shard, taken only on
// denials).

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace keyward {

using AddressKey = std::array<std::uint8_t, 16>;  // IPv6, or IPv4-mapped IPv6

// The key of a socket address (AF_UNIX peers all share one key).
AddressKey addressKeyOf(const sockaddr_storage& address);

class FailureThrottle {
 public:
  FailureThrottle(std::uint32_t maxFailures, std::int64_t windowMs, std::size_t capacity);

  struct Verdict {
    bool throttled = false;
    bool firstThrottled = false;  // this denial crossed the limit (log it once)
    std::int64_t retryAfterSeconds = 0;
  };
  // Counts one denied request from `address` at `nowMs`.
  Verdict recordDenial(const AddressKey& address, std::int64_t nowMs);
  std::uint64_t throttledTotal() const { return throttled_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    AddressKey address{};
    std::int64_t windowStartMs = 0;
    std::uint32_t failures = 0;
    bool used = false;
  };
  static constexpr std::size_t kWays = 8;
  static constexpr std::size_t kShards = 64;

  std::uint32_t maxFailures_;
  std::int64_t windowMs_;
  std::size_t bucketCount_;
  std::vector<Entry> entries_;  // bucketCount_ * kWays
  std::array<std::mutex, kShards> locks_;
  std::atomic<std::uint64_t> throttled_{0};
};

}  // namespace keyward
