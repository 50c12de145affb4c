#pragma once
// Runs reloads on a thread of their own, so that the thread taking signals never does
// reload I/O: a slow or stuck file (a FIFO, a hung mount) cannot keep it from answering
// SIGTERM, pinging the systemd watchdog or saving state.
// Requests arriving while a reload runs are merged into one more run after it (a burst of
// SIGHUPs is one reload, and the last request always sees the files as they are after it).
// Thread-safe: request(), busy() and stop() may be called from any thread; the work runs
// only on the reload thread, one run at a time. Signals stay blocked on it (it inherits the
// creating thread's mask; create it after blocking them).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace keyward {

class ReloadThread {
 public:
  using Work = std::function<void(const std::string& trigger)>;
  explicit ReloadThread(Work work);
  ~ReloadThread();  // stop(), waiting as long as a run takes
  ReloadThread(const ReloadThread&) = delete;
  ReloadThread& operator=(const ReloadThread&) = delete;

  // Asks for a run with `trigger` ("signal", "watch"); returns at once.
  void request(std::string trigger);
  // True while a run is in progress or asked for.
  bool busy() const;
  // Takes no more requests and waits up to `timeout` for a run in progress. True if the
  // thread has ended; false if a run is still going (the thread is then left detached,
  // and the caller must not destroy what the work uses: it should end the process).
  bool stop(std::chrono::milliseconds timeout);

 private:
  void run();

  Work work_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;   // a request or stop
  std::condition_variable ended_;  // the thread finished
  std::string trigger_;
  bool requested_ = false;
  bool running_ = false;
  bool stopping_ = false;
  bool ended_flag_ = false;
  std::thread thread_;
};

}  // namespace keyward
