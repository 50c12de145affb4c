#pragma once
// Just enough JSON writing for responses and log lines.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace keyward {

// Appends `text` as a JSON string literal, quotes included.
void appendJsonString(std::string& out, std::string_view text);
// Appends ["a","b",...].
void appendJsonStringArray(std::string& out, const std::vector<std::string>& items);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-22T10:04:05.123Z".
std::string formatRfc3339(std::int64_t unixMillis);

std::int64_t unixMillisNow();

}  // namespace keyward
