#pragma once
// How many connections each client address holds, shared by every event loop, so that one
// client cannot take every connection slot (4,200 idle connections from one address once
// left legitimate clients with 503s).
//
// A fixed table of counters indexed by a hash of the address (IPv6 addresses by their /64,
// since one host holds a whole /64): two addresses that land on one counter share its
// limit, which errs on the side of refusing. Unix-socket peers are not limited (reaching
// the socket already takes its file permissions). Lock-free; thread-safe.

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "keyward/base/AddressRange.h"

namespace keyward {

class ClientSlots {
 public:
  static constexpr std::uint32_t kUnlimited = UINT32_MAX;

  ClientSlots(std::size_t perClient, std::vector<AddressRange> unlimited);

  // The counter of this address, or kUnlimited.
  std::uint32_t slotOf(const sockaddr_storage& address) const;
  // Takes one connection for the slot; false (and nothing taken) if it holds its share.
  bool tryTake(std::uint32_t slot);
  void release(std::uint32_t slot);

 private:
  static constexpr std::size_t kSlots = 8192;
  std::uint32_t perClient_;
  std::vector<AddressRange> unlimited_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> counts_;
};

}  // namespace keyward
