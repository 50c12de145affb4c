// ReloadThread: requests never wait for a run, a burst becomes one more run, and stop()
// gives up on a stuck run instead of hanging the caller.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "keyward/lifecycle/ReloadThread.h"

namespace keyward {
namespace {

using namespace std::chrono_literals;

TEST(ReloadThread, ARequestNeverWaitsAndABurstIsMerged) {
  std::atomic<int> runs{0};
  std::atomic<bool> started{false}, release{false};
  std::string lastTrigger;
  ReloadThread thread([&](const std::string& trigger) {
    started = true;
    while (!release) std::this_thread::sleep_for(1ms);
    lastTrigger = trigger;
    ++runs;
  });
  const auto start = std::chrono::steady_clock::now();
  thread.request("signal");
  while (!started) std::this_thread::sleep_for(1ms);  // the first run is now in progress (stuck)
  for (int i = 0; i < 50; ++i) thread.request(i == 49 ? "watch" : "signal");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms) << "request() waited for the run";
  EXPECT_TRUE(thread.busy());
  release = true;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  while (thread.busy() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(runs, 2) << "one run in progress plus one for the whole burst";
  EXPECT_EQ(lastTrigger, "watch");
  EXPECT_TRUE(thread.stop(1s));
}

TEST(ReloadThread, StopGivesUpOnAStuckRun) {
  auto started = std::make_shared<std::atomic<bool>>(false);
  auto stuck = std::make_shared<std::atomic<bool>>(true);
  // Never deleted (kept reachable, so no leak report): after a failed stop() the detached
  // thread may still touch it, and the daemon ends the process then rather than destroy it.
  static ReloadThread* thread = nullptr;
  thread = new ReloadThread([started, stuck](const std::string&) {
    *started = true;
    while (*stuck) std::this_thread::sleep_for(1ms);
  });
  thread->request("signal");
  while (!*started) std::this_thread::sleep_for(1ms);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(thread->stop(100ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  *stuck = false;  // let the detached thread end
}

}  // namespace
}  // namespace keyward
