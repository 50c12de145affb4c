#include "keyward/Log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <mutex>

#include "keyward/Json.h"

namespace keyward {
namespace {

std::atomic<int> gLevel{static_cast<int>(LogLevel::Info)};
std::mutex gWriteMutex;

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}

void appendValue(std::string& out, const LogField::Value& value) {
  char digits[32];
  if (auto s = std::get_if<std::string_view>(&value)) {
    appendJsonString(out, *s);
  } else if (auto i = std::get_if<std::int64_t>(&value)) {
    out.append(digits, std::to_chars(digits, digits + sizeof digits, *i).ptr);
  } else if (auto u = std::get_if<std::uint64_t>(&value)) {
    out.append(digits, std::to_chars(digits, digits + sizeof digits, *u).ptr);
  } else if (auto d = std::get_if<double>(&value)) {
    out.append(digits, std::to_chars(digits, digits + sizeof digits, *d, std::chars_format::fixed, 3).ptr);
  } else if (auto b = std::get_if<bool>(&value)) {
    out += *b ? "true" : "false";
  }
}

}  // namespace

std::optional<LogLevel> parseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::Debug;
  if (name == "info") return LogLevel::Info;
  if (name == "warn" || name == "warning") return LogLevel::Warn;
  if (name == "error") return LogLevel::Error;
  return std::nullopt;
}

void Log::setLevel(LogLevel level) { gLevel.store(static_cast<int>(level), std::memory_order_relaxed); }

bool Log::enabled(LogLevel level) { return static_cast<int>(level) >= gLevel.load(std::memory_order_relaxed); }

void Log::write(LogLevel level, std::string_view event, std::string_view message,
                std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(256);
  line += "{\"ts\":\"";
  line += formatRfc3339(unixMillisNow());
  line += "\",\"level\":\"";
  line += levelName(level);
  line += "\",\"event\":";
  appendJsonString(line, event);
  line += ",\"msg\":";
  appendJsonString(line, message);
  for (const LogField& field : fields) {
    line += ',';
    appendJsonString(line, field.key);
    line += ':';
    appendValue(line, field.value);
  }
  line += "}\n";
  // One write per line, under a lock, so lines from different threads never interleave.
  std::lock_guard<std::mutex> lock(gWriteMutex);
  const char* data = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to; serving goes on
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

}  // namespace keyward
