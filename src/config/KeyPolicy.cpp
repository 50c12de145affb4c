#include "keyward/config/KeyPolicy.h"

#include <ctime>

namespace keyward {

void KeyPolicy::writeScopeList(std::string& out) const {
  out.clear();
  for (const std::string& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
}

std::string_view toString(KeyStatus status) {
  switch (status) {
    case KeyStatus::Active:
      return "active";
    case KeyStatus::Suspended:
      return "suspended";
    case KeyStatus::Revoked:
      return "revoked";
  }
  return "active";
}

std::string_view toString(KeyType type) { return type == KeyType::User ? "user" : "service"; }

std::optional<KeyStatus> keyStatusFromString(std::string_view text) {
  if (text == "active") return KeyStatus::Active;
  if (text == "suspended") return KeyStatus::Suspended;
  if (text == "revoked") return KeyStatus::Revoked;
  return std::nullopt;
}

std::optional<KeyType> keyTypeFromString(std::string_view text) {
  if (text == "service") return KeyType::Service;
  if (text == "user") return KeyType::User;
  return std::nullopt;
}

namespace {

// Reads exactly `digits` decimal digits at text[pos].
bool readNumber(std::string_view text, std::size_t& pos, int digits, int& out) {
  if (pos + static_cast<std::size_t>(digits) > text.size()) return false;
  out = 0;
  for (int i = 0; i < digits; ++i) {
    char c = text[pos++];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

bool expect(std::string_view text, std::size_t& pos, std::string_view oneOf) {
  if (pos >= text.size() || oneOf.find(text[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

int daysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<std::int64_t> parseRfc3339(std::string_view text) {
  std::size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!readNumber(text, pos, 4, year) || !expect(text, pos, "-") || !readNumber(text, pos, 2, month) ||
      !expect(text, pos, "-") || !readNumber(text, pos, 2, day) || !expect(text, pos, "Tt ") ||
      !readNumber(text, pos, 2, hour) || !expect(text, pos, ":") || !readNumber(text, pos, 2, minute) ||
      !expect(text, pos, ":") || !readNumber(text, pos, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  int millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int offsetMinutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '-' ? -1 : 1;
    int oh, om;
    if (!readNumber(text, pos, 2, oh) || !expect(text, pos, ":") || !readNumber(text, pos, 2, om) || oh > 23 ||
        om > 59) {
      return std::nullopt;
    }
    offsetMinutes = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second > 59 ? 59 : second;  // a leap second counts as the one before it
  const std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offsetMinutes * 60;
  return seconds * 1000 + millis;
}

}  // namespace keyward
