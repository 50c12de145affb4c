#include "keyward/base/AddressRange.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>
#include <string>

namespace keyward {
namespace {

bool prefixEqual(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) {
  const unsigned whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  if (rest == 0) return true;
  const std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

std::optional<AddressRange> AddressRange::parse(std::string_view text) {
  AddressRange range;
  std::string_view address = text;
  std::optional<unsigned> prefix;
  if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    std::string_view bits = text.substr(slash + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
    if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty()) return std::nullopt;
    prefix = value;
  }
  const std::string host(address);
  if (inet_pton(AF_INET, host.c_str(), range.bytes_.data()) == 1) {
    range.family_ = AF_INET;
    range.prefix_ = prefix.value_or(32);
    if (range.prefix_ > 32) return std::nullopt;
  } else if (inet_pton(AF_INET6, host.c_str(), range.bytes_.data()) == 1) {
    range.family_ = AF_INET6;
    range.prefix_ = prefix.value_or(128);
    if (range.prefix_ > 128) return std::nullopt;
  } else {
    return std::nullopt;
  }
  return range;
}

bool AddressRange::contains(const sockaddr_storage& address) const {
  if (address.ss_family == AF_INET) {
    if (family_ != AF_INET) return false;
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    return prefixEqual(reinterpret_cast<const std::uint8_t*>(&in->sin_addr), bytes_.data(), prefix_);
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    const auto* b = reinterpret_cast<const std::uint8_t*>(&in6->sin6_addr);
    if (family_ == AF_INET6) return prefixEqual(b, bytes_.data(), prefix_);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) return prefixEqual(b + 12, bytes_.data(), prefix_);
  }
  return false;
}

bool anyContains(const std::vector<AddressRange>& ranges, const sockaddr_storage& address) {
  for (const AddressRange& range : ranges) {
    if (range.contains(address)) return true;
  }
  return false;
}

}  // namespace keyward
