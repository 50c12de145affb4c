// Log: lines never wait for stdout. In a child process (a death test, so the logger starts
// fresh), stdout is a small pipe nobody reads: every call must return at once, the overflow
// must be counted, and the lines that were kept must come out whole.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "keyward/base/Log.h"

namespace keyward {
namespace {

// Runs in the child; exits 0 if logging behaved, else 1, with the figures on stderr.
void floodAStalledStdout() {
  ::alarm(10);  // a logger that blocks on stdout ends here (killed by SIGALRM)
  int out[2];
  if (::pipe(out) != 0) _exit(2);
  ::fcntl(out[0], F_SETPIPE_SZ, 4096);
  ::dup2(out[1], STDOUT_FILENO);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20000; ++i) Log::info("flood", "a line nobody reads", {{"i", i}});
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  const std::uint64_t dropped = Log::droppedLines();
  // The reader comes back: what was kept arrives as whole JSON lines.
  ::fcntl(out[0], F_SETFL, O_NONBLOCK);
  std::string text;
  char buffer[65536];
  for (int quiet = 0; quiet < 20;) {
    ssize_t n = ::read(out[0], buffer, sizeof buffer);
    if (n > 0) {
      text.append(buffer, static_cast<std::size_t>(n));
      quiet = 0;
    } else {
      ++quiet;
      ::usleep(10000);
    }
  }
  const bool whole = !text.empty() && text.rfind("{\"ts\"", 0) == 0 && text.back() == '\n';
  std::fprintf(stderr, "ms=%lld dropped=%llu whole=%d\n", static_cast<long long>(ms.count()),
               static_cast<unsigned long long>(dropped), whole ? 1 : 0);
  _exit(ms.count() < 2000 && dropped > 0 && dropped < 20000 && whole ? 0 : 1);
}

TEST(LogQueue, AStalledStdoutDropsAndCountsLinesInsteadOfBlocking) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process: no logger thread yet
  EXPECT_EXIT(floodAStalledStdout(), ::testing::ExitedWithCode(0), "whole=1");
}

}  // namespace
}  // namespace keyward
