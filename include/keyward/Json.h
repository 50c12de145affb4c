#pragma once
// Just enough JSON writing for responses and log lines.

#include <cstdint>
#include <string>
#include <string_view>

namespace keyward {

// Appends `text` as a JSON string literal, quotes included.
void appendJsonString(std::string& out, std::string_view text);

// RFC 3339 UTC with milliseconds, e.g. "2026-11-22T10:04:05.123Z".
std::string formatRfc3339(std::int64_t unixMillis);

std::int64_t unixMillisNow();

}  // namespace keyward
