#pragma once
// An IP address range in CIDR form ("10.0.0.0/8", "127.0.0.1", "::1/128"), for
// `trusted_proxies`. IPv4-mapped IPv6 peers (::ffff:10.1.2.3, seen on a [::] listener)
// match IPv4 ranges.

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace keyward {

class AddressRange {
 public:
  static std::optional<AddressRange> parse(std::string_view text);
  bool contains(const sockaddr_storage& address) const;

 private:
  int family_ = AF_INET;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes_{};
  unsigned prefix_ = 0;  // bits
};

bool anyContains(const std::vector<AddressRange>& ranges, const sockaddr_storage& address);

}  // namespace keyward
