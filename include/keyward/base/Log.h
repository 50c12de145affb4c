#pragma once
// Structured logging: one JSON object per line on stdout (journald keeps each line as one
// entry). Thread-safe. Never pass key material in a field: log fingerprints instead.
//
// Logging never blocks the caller on stdout: lines go into a bounded in-memory queue that
// one writer thread drains. When stdout's reader stalls and the queue is full, new lines are
// dropped and counted (droppedLines(), and a "log_dropped" line once the writer catches up)
// rather than stalling an event loop. When stdout is connected to journald (JOURNAL_STREAM
// names stdout's device:inode), each line starts with its syslog priority (<3> error,
// <4> warn, <6> info, <7> debug) so `journalctl -p err` filters by level.

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace keyward {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

std::optional<LogLevel> parseLogLevel(std::string_view name);

struct LogField {
  using Value = std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool>;
  std::string_view key;
  Value value;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, int v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, long v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, long long v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, unsigned v) : key(k), value(static_cast<std::uint64_t>(v)) {}
  LogField(std::string_view k, unsigned long v) : key(k), value(static_cast<std::uint64_t>(v)) {}
  LogField(std::string_view k, unsigned long long v) : key(k), value(static_cast<std::uint64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
};

class Log {
 public:
  static void setLevel(LogLevel level);
  static bool enabled(LogLevel level);
  // {"ts":"...","level":"info","event":"<event>","msg":"<message>",<fields>}
  static void write(LogLevel level, std::string_view event, std::string_view message,
                    std::initializer_list<LogField> fields = {});

  // Lines dropped so far because the queue was full (a counter for /metrics).
  static std::uint64_t droppedLines();
  // Waits up to `timeout` for the queued lines to be written (before exiting). True if all were.
  static bool flush(std::chrono::milliseconds timeout);

  static void info(std::string_view event, std::string_view message, std::initializer_list<LogField> fields = {}) {
    write(LogLevel::Info, event, message, fields);
  }
  static void warn(std::string_view event, std::string_view message, std::initializer_list<LogField> fields = {}) {
    write(LogLevel::Warn, event, message, fields);
  }
  static void error(std::string_view event, std::string_view message, std::initializer_list<LogField> fields = {}) {
    write(LogLevel::Error, event, message, fields);
  }
};

}  // namespace keyward
