// Log: lines never wait for stdout. A child process logs into a pipe nobody reads; every
// call must return at once, the overflow must be counted, and the lines that were kept must
// arrive whole once the reader comes back.

#include "keyward/Log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace keyward {
namespace {

TEST(LogQueue, AStalledStdoutDropsAndCountsLinesInsteadOfBlocking) {
  int out[2], report[2];
  ASSERT_EQ(::pipe(out), 0);
  ASSERT_EQ(::pipe(report), 0);
  ::fcntl(out[0], F_SETPIPE_SZ, 4096);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20000; ++i) Log::info("flood", "a line nobody reads", {{"i", i}});
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    const std::string text = std::to_string(ms.count()) + " " + std::to_string(Log::droppedLines()) + "\n";
    (void)!::write(report[1], text.data(), text.size());
    ::close(report[1]);
    _exit(0);  // no atexit flush: the reader never comes back
  }
  ::close(out[1]);
  ::close(report[1]);
  // Bounded: a logger that blocks on stdout never reports; the child is then killed.
  std::string reported;
  char buffer[65536];
  pollfd ready{report[0], POLLIN, 0};
  while (::poll(&ready, 1, 5000) == 1) {
    ssize_t n = ::read(report[0], buffer, sizeof buffer);
    if (n <= 0) break;
    reported.append(buffer, static_cast<std::size_t>(n));
  }
  if (reported.empty()) ::kill(pid, SIGKILL);
  long long ms = -1, dropped = -1;
  if (std::sscanf(reported.c_str(), "%lld %lld", &ms, &dropped) != 2) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    FAIL() << "logging blocked on a stdout nobody reads (no report within 5 s)";
  }
  EXPECT_LT(ms, 2000) << "logging waited for stdout";
  EXPECT_GT(dropped, 0) << "20000 lines cannot all fit: some must be counted as dropped";
  EXPECT_LT(dropped, 20000);
  int status = 0;
  ::waitpid(pid, &status, 0);
  // What did get written is whole JSON lines.
  std::string text;
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<std::size_t>(n));
  ::close(out[0]);
  ::close(report[0]);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.rfind("{\"ts\"", 0), 0u);
}

}  // namespace
}  // namespace keyward
