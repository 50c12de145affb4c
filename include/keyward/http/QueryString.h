#pragma once
// Reads parameters of a URL query string ("peer=worker&scope=runs%3Awrite").

#include <optional>
#include <string>
#include <string_view>

namespace keyward {

// 0-15 for a hex digit, -1 otherwise.
int hexDigitValue(char c);

// %XX and '+' decoded. nullopt for a bad escape or a control byte.
std::optional<std::string> percentDecode(std::string_view text);

struct QueryParam {
  bool present = false;
  bool valid = true;  // false if the value does not decode
  std::string value;
};

// The first parameter called `name`.
QueryParam queryParam(std::string_view query, std::string_view name);

}  // namespace keyward
