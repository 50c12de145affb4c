#pragma once
// Key ids and peer names travel in response headers, JSON, logs and metric labels, so they
// are limited to characters that need no escaping anywhere.

#include <string_view>

namespace keyward {

inline constexpr std::size_t kMaxNameLength = 128;

// 1..128 characters of [A-Za-z0-9._:@+-], starting with a letter or digit.
bool isValidName(std::string_view name);

// An environment variable name: [A-Za-z_][A-Za-z0-9_]*.
bool isValidEnvName(std::string_view name);

}  // namespace keyward
