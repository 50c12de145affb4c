#include "keyward/base/Log.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "keyward/base/Json.h"

namespace keyward {
namespace {

std::atomic<int> gLevel{static_cast<int>(LogLevel::Info)};

// Enough for a burst of a few thousand lines; beyond it a stalled stdout costs lines, never
// a stalled loop.
constexpr std::size_t kMaxQueuedLines = 8192;
constexpr std::size_t kMaxQueuedBytes = 4u << 20;

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "debug";
    case LogLevel::Info:
      return "info";
    case LogLevel::Warn:
      return "warn";
    case LogLevel::Error:
      return "error";
  }
  return "info";
}

const char* journalPriority(LogLevel level) {
  switch (level) {
    case LogLevel::Debug:
      return "<7>";
    case LogLevel::Info:
      return "<6>";
    case LogLevel::Warn:
      return "<4>";
    case LogLevel::Error:
      return "<3>";
  }
  return "<6>";
}

// systemd sets JOURNAL_STREAM=<dev>:<ino> for a service whose stdout is the journal; a
// redirected stdout (a file, a pipe) no longer matches and gets plain JSON lines.
bool stdoutIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st;
  if (!stream || ::fstat(STDOUT_FILENO, &st) != 0) return false;
  const std::string expected = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  return expected == stream;
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

bool writeAll(const std::string& text) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // nowhere to log to; serving goes on
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string formatLine(bool journal, LogLevel level, std::string_view event, std::string_view message,
                       std::initializer_list<LogField> fields) {
  std::string line;
  line.reserve(256);
  if (journal) line += journalPriority(level);
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
  return line;
}

// The queue between every logging thread and the one writer thread. Created on first use
// and never destroyed: the writer may still run while static destructors do at exit.
class LogQueue {
 public:
  static LogQueue& instance() {
    static LogQueue* queue = new LogQueue();
    return *queue;
  }

  bool journal() const { return journal_; }
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

  // Never waits for stdout: a full queue drops the line.
  void push(std::string line) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (lines_.size() >= kMaxQueuedLines || bytes_ + line.size() > kMaxQueuedBytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    bytes_ += line.size();
    lines_.push_back(std::move(line));
    startWriterLocked();
    wake_.notify_one();
  }

  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return idle_.wait_for(lock, timeout, [&] { return lines_.empty() && !writing_; });
  }

 private:
  LogQueue() : journal_(stdoutIsJournal()) {}

  void startWriterLocked() {
    if (started_) return;
    started_ = true;
    // The writer must never take the signals the main thread waits for with sigwait():
    // block everything around its creation so it inherits a full mask.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    std::thread([this] { run(); }).detach();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    // Lines queued at exit are written if the reader keeps up, within a bound.
    std::atexit([] { LogQueue::instance().flush(std::chrono::seconds(2)); });
  }

  void run() {
    std::uint64_t reported = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return !lines_.empty(); });
      std::deque<std::string> batch;
      batch.swap(lines_);
      bytes_ = 0;
      writing_ = true;
      lock.unlock();
      std::string text;
      for (std::string& line : batch) {
        text += line;
        if (text.size() >= 65536) {
          writeAll(text);
          text.clear();
        }
      }
      const std::uint64_t dropped = dropped_.load(std::memory_order_relaxed);
      if (dropped > reported) {
        text += formatLine(journal_, LogLevel::Warn, "log_dropped", "log lines were dropped: stdout was not keeping up",
                           {{"count", dropped - reported}, {"total", dropped}});
        reported = dropped;
      }
      writeAll(text);
      lock.lock();
      writing_ = false;
      if (lines_.empty()) idle_.notify_all();
    }
  }

  const bool journal_;
  std::mutex mutex_;
  std::condition_variable wake_;  // lines queued
  std::condition_variable idle_;  // queue drained
  std::deque<std::string> lines_;
  std::size_t bytes_ = 0;
  bool writing_ = false;
  bool started_ = false;
  std::atomic<std::uint64_t> dropped_{0};
};

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
  LogQueue& queue = LogQueue::instance();
  queue.push(formatLine(queue.journal(), level, event, message, fields));
}

std::uint64_t Log::droppedLines() { return LogQueue::instance().dropped(); }

bool Log::flush(std::chrono::milliseconds timeout) { return LogQueue::instance().flush(timeout); }

}  // namespace keyward
