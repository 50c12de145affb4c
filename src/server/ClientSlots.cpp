#include "keyward/server/ClientSlots.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace keyward {

ClientSlots::ClientSlots(std::size_t perClient, std::vector<AddressRange> unlimited)
    : perClient_(static_cast<std::uint32_t>(std::min<std::size_t>(perClient, UINT32_MAX - 1))),
      unlimited_(std::move(unlimited)),
      counts_(new std::atomic<std::uint32_t>[kSlots]) {
  for (std::size_t i = 0; i < kSlots; ++i) counts_[i].store(0, std::memory_order_relaxed);
}

std::uint32_t ClientSlots::slotOf(const sockaddr_storage& address) const {
  if (anyContains(unlimited_, address)) return kUnlimited;
  std::string_view bytes;
  if (address.ss_family == AF_INET) {
    bytes = {reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in*>(&address)->sin_addr), 4};
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = &reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
    // An IPv4-mapped address is its IPv4 address; any other IPv6 address, its /64.
    bytes = IN6_IS_ADDR_V4MAPPED(in6) ? std::string_view(reinterpret_cast<const char*>(in6) + 12, 4)
                                      : std::string_view(reinterpret_cast<const char*>(in6), 8);
  } else {
    return kUnlimited;
  }
  return static_cast<std::uint32_t>(std::hash<std::string_view>{}(bytes) % kSlots);
}

bool ClientSlots::tryTake(std::uint32_t slot) {
  if (slot == kUnlimited) return true;
  std::atomic<std::uint32_t>& count = counts_[slot];
  if (count.fetch_add(1, std::memory_order_relaxed) >= perClient_) {
    count.fetch_sub(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

void ClientSlots::release(std::uint32_t slot) {
  if (slot != kUnlimited) counts_[slot].fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace keyward
