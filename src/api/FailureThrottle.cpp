#include "keyward/api/FailureThrottle.h"

#include <cstring>
#include <functional>
#include <string_view>

namespace keyward {

AddressKey addressKeyOf(const sockaddr_storage& address) {
  AddressKey key{};
  if (address.ss_family == AF_INET6) {
    std::memcpy(key.data(), &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr, 16);
  } else if (address.ss_family == AF_INET) {
    key[10] = 0xff;
    key[11] = 0xff;
    std::memcpy(key.data() + 12, &reinterpret_cast<const sockaddr_in*>(&address)->sin_addr, 4);
  }
  return key;
}

FailureThrottle::FailureThrottle(std::uint32_t maxFailures, std::int64_t windowMs, std::size_t capacity)
    : maxFailures_(maxFailures), windowMs_(windowMs) {
  bucketCount_ = kShards;
  while (bucketCount_ * kWays < capacity) bucketCount_ *= 2;
  entries_.resize(bucketCount_ * kWays);
}

FailureThrottle::Verdict FailureThrottle::recordDenial(const AddressKey& address, std::int64_t nowMs) {
  const std::size_t hash =
      std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(address.data()), address.size()));
  const std::size_t bucket = hash & (bucketCount_ - 1);
  std::lock_guard<std::mutex> lock(locks_[bucket % kShards]);
  Entry* ways = &entries_[bucket * kWays];
  Entry* slot = nullptr;
  for (std::size_t i = 0; i < kWays; ++i) {
    if (ways[i].used && ways[i].address == address) {
      slot = &ways[i];
      break;
    }
  }
  if (!slot) {
    // A free way, else the one whose window started longest ago.
    slot = &ways[0];
    for (std::size_t i = 0; i < kWays; ++i) {
      if (!ways[i].used) {
        slot = &ways[i];
        break;
      }
      if (ways[i].windowStartMs < slot->windowStartMs) slot = &ways[i];
    }
    *slot = Entry{address, nowMs, 0, true};
  }
  if (nowMs - slot->windowStartMs >= windowMs_) {
    slot->windowStartMs = nowMs;
    slot->failures = 0;
  }
  ++slot->failures;
  Verdict verdict;
  if (slot->failures > maxFailures_) {
    verdict.throttled = true;
    verdict.firstThrottled = slot->failures == maxFailures_ + 1;
    verdict.retryAfterSeconds = (slot->windowStartMs + windowMs_ - nowMs + 999) / 1000;
    if (verdict.retryAfterSeconds < 1) verdict.retryAfterSeconds = 1;
    throttled_.fetch_add(1, std::memory_order_relaxed);
  }
  return verdict;
}

}  // namespace keyward
